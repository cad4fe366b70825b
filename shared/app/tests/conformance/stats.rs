//! `StatsCounters`: an event counts once whatever the redeliveries (also when they race),
//! additions of one event land together, and a range read returns the days' counters in
//! order and nothing outside the range. The cases use their own days (a year of their own
//! per run), so a shared store works too.

use std::sync::Arc;

use prolink_app::ports::{CounterAdd, DayCounter, PortError, StatsCounters};
use prolink_app::stats::EventCounts;

fn add(day: &str, counter: &str, delta: i64) -> CounterAdd {
    CounterAdd {
        day: day.into(),
        counter: counter.into(),
        delta,
    }
}

fn row(day: &str, counter: &str, value: i64) -> DayCounter {
    DayCounter {
        day: day.into(),
        counter: counter.into(),
        value,
    }
}

/// A year nobody else uses in this store (the suite may share it).
fn year() -> i32 {
    2100 + i32::try_from(uuid::Uuid::new_v4().as_u128() % 800).unwrap_or(0)
}

pub async fn run_stats_suite(store: Arc<dyn StatsCounters>) {
    tokio::join!(
        events_count_once(store.clone()),
        racing_redeliveries_count_once(store.clone()),
        reads_cover_exactly_the_range(store.clone()),
        invalid_input_is_refused(store.clone()),
        events_together_count_each_once(store.clone()),
    );
}

pub async fn events_count_once(store: Arc<dyn StatsCounters>) {
    let y = year();
    let d1 = format!("{y}-03-04");
    let d2 = format!("{y}-03-05");
    let adds = [
        add(&d1, "msg_in", 1),
        add(&d1, "msg_out", 2),
        add(&d1, "msg_out", 1),
        add(&d2, "faq#ktp-baru", 1),
    ];
    assert!(store.add("msg.wamid-1", &adds).await.expect("add"));
    assert!(!store.add("msg.wamid-1", &adds).await.expect("again"));
    // Another event of the same counters adds up.
    assert!(store
        .add("msg.wamid-2", &[add(&d1, "msg_in", 1)])
        .await
        .expect("second event"));
    let rows = store.read_counters(&d1, &d2).await.expect("read");
    assert_eq!(
        rows,
        [
            row(&d1, "msg_in", 2),
            row(&d1, "msg_out", 3),
            row(&d2, "faq#ktp-baru", 1),
        ]
    );
}

pub async fn racing_redeliveries_count_once(store: Arc<dyn StatsCounters>) {
    let y = year();
    let day = format!("{y}-07-01");
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let store = store.clone();
        let day = day.clone();
        racers.spawn(async move {
            store
                .add("cmp.PS-RACE01.opened", &[add(&day, "cmp_opened", 1)])
                .await
        });
    }
    let mut won = 0;
    while let Some(result) = racers.join_next().await {
        match result.expect("task") {
            Ok(true) => won += 1,
            Ok(false) => {}
            // A lost transaction under contention is a retryable error, never a double count.
            Err(PortError::Backend(_) | PortError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert!(won <= 1, "{won} racers counted");
    // Whatever the race left, a retry settles on exactly one.
    let _ = store
        .add("cmp.PS-RACE01.opened", &[add(&day, "cmp_opened", 1)])
        .await
        .expect("retry");
    let rows = store.read_counters(&day, &day).await.expect("read");
    assert_eq!(rows, [row(&day, "cmp_opened", 1)]);
}

pub async fn reads_cover_exactly_the_range(store: Arc<dyn StatsCounters>) {
    let y = year();
    for (i, day) in [
        format!("{y}-01-31"),
        format!("{y}-02-01"),
        format!("{y}-02-28"),
        format!("{y}-03-01"),
    ]
    .iter()
    .enumerate()
    {
        store
            .add(
                &format!("e.{i}"),
                &[add(day, "msg_in", 1), add(day, "handoff", 1)],
            )
            .await
            .expect("add");
    }
    let rows = store
        .read_counters(&format!("{y}-02-01"), &format!("{y}-02-28"))
        .await
        .expect("read");
    let days: Vec<&str> = rows.iter().map(|r| r.day.as_str()).collect();
    assert_eq!(
        days,
        [
            format!("{y}-02-01").as_str(),
            &format!("{y}-02-01"),
            &format!("{y}-02-28"),
            &format!("{y}-02-28")
        ]
    );
    assert_eq!(rows[0].counter, "handoff");
    assert_eq!(rows[1].counter, "msg_in");
    // A range over three months' parts: every day once, in day order, the edges included.
    let rows = store
        .read_counters(&format!("{y}-01-31"), &format!("{y}-03-01"))
        .await
        .expect("read over months");
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.day.as_str(), r.counter.as_str()))
        .collect();
    let want: Vec<(String, &str)> = ["01-31", "02-01", "02-28", "03-01"]
        .iter()
        .flat_map(|d| {
            [
                (format!("{y}-{d}"), "handoff"),
                (format!("{y}-{d}"), "msg_in"),
            ]
        })
        .collect();
    let want: Vec<(&str, &str)> = want.iter().map(|(d, c)| (d.as_str(), *c)).collect();
    assert_eq!(got, want);
    let edge = store
        .read_counters(&format!("{y}-03-01"), &format!("{y}-03-01"))
        .await
        .expect("one day");
    assert_eq!(edge.len(), 2, "{edge:?}");
    let none = store
        .read_counters(&format!("{y}-06-01"), &format!("{y}-06-30"))
        .await
        .expect("empty read");
    assert!(none.is_empty());
}

pub async fn invalid_input_is_refused(store: Arc<dyn StatsCounters>) {
    let invalid = |r: Result<bool, PortError>| matches!(r, Err(PortError::Invalid(_)));
    assert!(invalid(store.add("", &[add("2100-01-01", "x", 1)]).await));
    assert!(invalid(store.add("e", &[]).await));
    assert!(invalid(store.add("e", &[add("2100-1-1", "x", 1)]).await));
    assert!(invalid(store.add("e", &[add("2100-01-01", "", 1)]).await));
    assert!(matches!(
        store.read_counters("2100-02-01", "2100-01-01").await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        store.read_counters("2100-01-01", "2102-01-01").await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        store.read_counters("yesterday", "2100-01-01").await,
        Err(PortError::Invalid(_))
    ));
}

/// `add_each`: a message's events written together, each counted once; one already counted,
/// one repeated in the same call and one invalid cost only themselves.
pub async fn events_together_count_each_once(store: Arc<dyn StatsCounters>) {
    let y = year();
    let day = format!("{y}-09-10");
    let event = |id: &str, counter: &str| EventCounts {
        event_id: id.to_owned(),
        adds: vec![add(&day, counter, 1)],
    };
    assert!(store
        .add("msg.before", &[add(&day, "msg_in", 1)])
        .await
        .expect("counted alone first"));
    let results = store
        .add_each(&[
            event("msg.before", "msg_in"),
            event("msg.new", "msg_in"),
            event("active.d.x", "active_d"),
            event("msg.new", "msg_in"),
        ])
        .await;
    let counted: Vec<bool> = results
        .into_iter()
        .map(|result| result.expect("valid events"))
        .collect();
    assert_eq!(counted, [false, true, true, false]);

    // An invalid event among valid ones: refused on its own, the others still counted.
    let results = store
        .add_each(&[
            event("msg.after", "msg_in"),
            EventCounts {
                event_id: String::new(),
                adds: vec![add(&day, "msg_in", 1)],
            },
            event("active.w.x", "active_w"),
        ])
        .await;
    assert!(matches!(results[0], Ok(true)), "{results:?}");
    assert!(
        matches!(results[1], Err(PortError::Invalid(_))),
        "{results:?}"
    );
    assert!(matches!(results[2], Ok(true)), "{results:?}");
    assert_eq!(
        store.read_counters(&day, &day).await.expect("read"),
        [
            row(&day, "active_d", 1),
            row(&day, "active_w", 1),
            row(&day, "msg_in", 3),
        ]
    );
}
