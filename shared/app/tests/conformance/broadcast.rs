//! Broadcasts (`BroadcastStore`): versioned writes, the newest-first list with its cursor, the
//! due index holding exactly the scheduled and sending ones, and the opted-in citizens read
//! page by page in a stable order that follows opt-ins and opt-outs.

use std::collections::HashSet;
use std::sync::Arc;

use prolink_app::ports::{
    BroadcastAudience, BroadcastRecord, BroadcastState, BroadcastStore, BroadcastTemplate,
    CitizenProfile, CitizenStore, PageRequest, PortError,
};

fn record(id: &str, created_ms: i64) -> BroadcastRecord {
    BroadcastRecord {
        id: id.into(),
        name: format!("Siaran {id}"),
        template: BroadcastTemplate {
            name: "siaran_layanan".into(),
            language: "id".into(),
            parameters: vec!["a".into(), "b".into(), "c".into()],
            header_parameters: vec![],
        },
        audience: BroadcastAudience {
            all: true,
            topics: vec![],
        },
        send_at_ms: None,
        urgent: false,
        state: BroadcastState::Draft,
        audience_size: 3,
        progress: 0,
        cursor: None,
        next_run_ms: None,
        stop_reason: None,
        created_by: "ani".into(),
        created_ms,
        updated_ms: created_ms,
        started_ms: None,
        finished_ms: None,
        version: 0,
    }
}

pub async fn run_broadcast_suite<S>(store: Arc<S>)
where
    S: BroadcastStore + CitizenStore + 'static,
{
    let run = uuid::Uuid::new_v4().simple().to_string();
    let ids: Vec<String> = (0..3)
        .map(|i| format!("bc-20261207-{}{i}", &run[..11]))
        .collect();
    let base = 1_780_000_000_000;

    // Versioned writes.
    let mut first = record(&ids[0], base);
    assert_eq!(store.put_broadcast(&first).await.expect("create"), 1);
    assert!(matches!(
        store.put_broadcast(&first).await,
        Err(PortError::Conflict(_))
    ));
    first.version = 1;
    first.state = BroadcastState::Scheduled;
    first.next_run_ms = Some(base + 500);
    assert_eq!(store.put_broadcast(&first).await.expect("update"), 2);
    let stored = store.get_broadcast(&ids[0]).await.unwrap().expect("stored");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.state, BroadcastState::Scheduled);
    assert_eq!(stored.template, first.template);
    assert!(store
        .get_broadcast("bc-20261207-ffffffffffff")
        .await
        .unwrap()
        .is_none());
    for (i, id) in ids.iter().enumerate().skip(1) {
        store
            .put_broadcast(&record(id, base + i as i64 * 1000))
            .await
            .expect("create");
    }

    // Newest first, page by page (the store may hold other runs' broadcasts: only ours
    // are checked, in order).
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_broadcasts(&PageRequest { limit: 2, after })
            .await
            .expect("list");
        seen.extend(page.items.into_iter().map(|b| b.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let ours: Vec<&String> = seen.iter().filter(|id| ids.contains(id)).collect();
    assert_eq!(ours, vec![&ids[2], &ids[1], &ids[0]]);
    assert!(matches!(
        store
            .list_broadcasts(&PageRequest {
                limit: 2,
                after: Some("bukan-kursor".into())
            })
            .await,
        Err(PortError::Invalid(_))
    ));

    // Due: only scheduled or sending, by next run.
    let due = store.broadcasts_due(base + 499, 10).await.expect("due");
    assert!(!due.iter().any(|b| ids.contains(&b.id)), "not due yet");
    let due = store.broadcasts_due(base + 500, 10).await.expect("due");
    assert!(due.iter().any(|b| b.id == ids[0]));
    let mut done = store.get_broadcast(&ids[0]).await.unwrap().expect("stored");
    done.state = BroadcastState::Done;
    store.put_broadcast(&done).await.expect("done");
    let due = store.broadcasts_due(base + 10_000, 10).await.expect("due");
    assert!(
        !due.iter().any(|b| ids.contains(&b.id)),
        "done leaves the index"
    );

    // Subscribers: opted-in only, each once across pages, opt-outs leave.
    let keys: Vec<String> = (0..7).map(|i| format!("62899{}{i}", &run[..6])).collect();
    for (i, key) in keys.iter().enumerate() {
        store
            .put_citizen(&CitizenProfile {
                key: key.clone(),
                wa_id: Some(key.clone()),
                broadcast_opt_in: i != 3,
                topics: vec!["kesehatan".into()],
                ..CitizenProfile::default()
            })
            .await
            .expect("citizen");
    }
    let read_all = || async {
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .subscribers(cursor.as_deref(), 2)
                .await
                .expect("subscribers");
            if page.is_empty() {
                break;
            }
            cursor = page.last().map(|s| s.cursor.clone());
            found.extend(page.into_iter().map(|s| s.profile.key));
        }
        found
    };
    let found = read_all().await;
    let ours: Vec<&String> = found.iter().filter(|k| keys.contains(k)).collect();
    let unique: HashSet<&&String> = ours.iter().collect();
    assert_eq!(ours.len(), 6, "opted-in only: {ours:?}");
    assert_eq!(unique.len(), 6, "each once");
    assert!(!ours.contains(&&keys[3]));
    let mut leaving = store.get_citizen(&keys[0]).await.unwrap().expect("citizen");
    leaving.broadcast_opt_in = false;
    store.put_citizen(&leaving).await.expect("opt out");
    let found = read_all().await;
    assert!(!found.contains(&keys[0]), "an opt-out leaves the list");
    assert!(matches!(
        store.subscribers(Some("bukan kursor"), 2).await,
        Err(PortError::Invalid(_))
    ));
}
