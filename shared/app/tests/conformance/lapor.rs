//! The SP4N-LAPOR! outbox (`LaporStore`): versioned writes (a second create and a stale
//! update are conflicts), an exact round trip, and the due index holding exactly the tasks with
//! a `next_run_ms`, earliest first, leaving a task once it has none.

use std::sync::Arc;

use prolink_app::ports::{LaporStore, LaporTask, LaporTaskState, PortError};
use prolink_domain::lapor::RemoteStatus;

fn task(ticket: &str, next_run_ms: Option<i64>) -> LaporTask {
    LaporTask {
        ticket: ticket.into(),
        citizen_key: "6281234567890".into(),
        state: LaporTaskState::Pending,
        idempotency_key: format!("prolink-{}", ticket.to_lowercase()),
        lapor_id: None,
        attempts: 0,
        last_error: None,
        next_run_ms,
        remote_status: None,
        sent_ms: None,
        requested_by: "kategori".into(),
        anonymised: false,
        created_ms: 1_780_000_000_000,
        updated_ms: 1_780_000_000_000,
        version: 0,
    }
}

pub async fn run_lapor_suite<S>(store: Arc<S>)
where
    S: LaporStore + 'static,
{
    let run = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let tickets: Vec<String> = (0..4).map(|i| format!("PS-{}{i}", &run[..5])).collect();
    // Far in the past, so the store-wide due list puts this run's tasks first.
    let base = 1_000_000 + i64::from(u32::from_str_radix(&run[..5], 16).unwrap_or(0) % 1000);

    // Versioned writes.
    let mut first = task(&tickets[0], Some(base + 30));
    assert_eq!(store.put_lapor_task(&first).await.expect("create"), 1);
    assert!(matches!(
        store.put_lapor_task(&first).await,
        Err(PortError::Conflict(_))
    ));
    first.version = 1;
    first.state = LaporTaskState::Linked;
    first.lapor_id = Some("1234567".into());
    first.remote_status = Some(RemoteStatus::Proses);
    first.sent_ms = Some(base);
    first.last_error = Some("Jawaban \"aneh\" — ☂".into());
    assert_eq!(store.put_lapor_task(&first).await.expect("update"), 2);
    let stale = LaporTask {
        version: 1,
        ..first.clone()
    };
    assert!(matches!(
        store.put_lapor_task(&stale).await,
        Err(PortError::Conflict(_))
    ));
    let read = store
        .get_lapor_task(&tickets[0])
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(
        read,
        LaporTask {
            version: 2,
            ..first.clone()
        },
        "round trip"
    );
    assert_eq!(store.get_lapor_task(&tickets[3]).await.expect("get"), None);
    assert!(store.get_lapor_task("").await.is_err(), "empty ticket");

    // The due index: only tasks with a next run, earliest first, up to the bound.
    store
        .put_lapor_task(&task(&tickets[1], Some(base + 10)))
        .await
        .expect("second");
    store
        .put_lapor_task(&task(&tickets[2], None))
        .await
        .expect("parked");
    let due: Vec<String> = store
        .lapor_tasks_due(base + 30, 50)
        .await
        .expect("due")
        .into_iter()
        .map(|t| t.ticket)
        .filter(|t| tickets.contains(t))
        .collect();
    assert_eq!(due, vec![tickets[1].clone(), tickets[0].clone()]);
    let early: Vec<String> = store
        .lapor_tasks_due(base + 29, 50)
        .await
        .expect("due")
        .into_iter()
        .map(|t| t.ticket)
        .filter(|t| tickets.contains(t))
        .collect();
    assert_eq!(early, vec![tickets[1].clone()], "the bound is inclusive");
    assert_eq!(
        store.lapor_tasks_due(base + 30, 0).await.expect("none"),
        vec![]
    );

    // Leaving the index: no next run.
    let mut done = store
        .get_lapor_task(&tickets[1])
        .await
        .expect("get")
        .expect("stored");
    done.next_run_ms = None;
    done.state = LaporTaskState::Parked;
    store.put_lapor_task(&done).await.expect("park");
    let due: Vec<String> = store
        .lapor_tasks_due(base + 30, 50)
        .await
        .expect("due")
        .into_iter()
        .map(|t| t.ticket)
        .filter(|t| tickets.contains(t))
        .collect();
    assert_eq!(due, vec![tickets[0].clone()]);
}
