//! Conformance of the `ConversationLog` port: message entries (idempotent, newest first,
//! paged, expiring, delivery states) and conversation summaries (versioned, found by opaque
//! id, listed from the handoff and recent indexes). Needs a fresh, empty store.

use std::sync::Arc;

use prolink_app::conversations::new_conversation_id;
use prolink_app::ports::{
    ConversationFilter, ConversationLog, ConversationSummary, Direction, LoggedMessage,
    OutboxState, PageRequest, PortError,
};

use super::complaint::unique;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn entry(key: &str, id: &str, at_ms: i64) -> LoggedMessage {
    LoggedMessage {
        citizen_key: key.to_string(),
        id: id.to_string(),
        at_ms,
        direction: Direction::Outbound,
        actor: Some("ani".into()),
        kind: "interactive".into(),
        text: Some("Pilih layanan".into()),
        choices: vec!["Ya".into(), "Tidak".into()],
        media_ref: None,
        delivery: Some(OutboxState::Pending),
        expires_at_ms: now() + 86_400_000,
    }
}

fn page(limit: usize, after: Option<String>) -> PageRequest {
    PageRequest { limit, after }
}

pub async fn run_message_log_suite(log: Arc<dyn ConversationLog>) {
    entries_are_idempotent_paged_and_expire(log.clone()).await;
    summaries_are_versioned_found_by_id_and_listed(log).await;
}

pub async fn entries_are_idempotent_paged_and_expire(log: Arc<dyn ConversationLog>) {
    let key = unique("6281");
    let t = now() - 60_000;
    let first = entry(&key, "wamid.a", t);
    assert!(log.append_message(&first).await.expect("append"));
    let mut changed = first.clone();
    changed.text = Some("other".into());
    assert!(!log.append_message(&changed).await.expect("again"));
    for i in 1..5 {
        assert!(log
            .append_message(&entry(&key, &format!("out.{i}"), t + i))
            .await
            .expect("append"));
    }
    // Another citizen's entries stay apart; an expired one is absent.
    log.append_message(&entry(&unique("6282"), "x", t))
        .await
        .expect("other");
    let mut expired = entry(&key, "old", t - 10);
    expired.expires_at_ms = now() - 1;
    log.append_message(&expired).await.expect("expired");

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let p = log.messages_of(&key, &page(2, after)).await.expect("page");
        assert!(p.items.len() <= 2);
        seen.extend(p.items.iter().map(|m| m.id.clone()));
        match p.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["out.4", "out.3", "out.2", "out.1", "wamid.a"]);
    let all = log.messages_of(&key, &page(10, None)).await.expect("all");
    assert_eq!(all.items[4], first, "round trip is exact");
    assert_eq!(all.next, None);

    assert!(log
        .set_delivery(&key, t + 2, "out.2", OutboxState::Read)
        .await
        .expect("set"));
    assert!(!log
        .set_delivery(&key, t + 2, "nope", OutboxState::Read)
        .await
        .expect("absent"));
    assert!(!log
        .set_delivery(&key, t - 10, "old", OutboxState::Read)
        .await
        .expect("expired"));
    let all = log.messages_of(&key, &page(10, None)).await.expect("all");
    assert_eq!(all.items[2].delivery, Some(OutboxState::Read));

    assert!(matches!(
        log.messages_of(&key, &page(2, Some("garbage".into())))
            .await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        log.append_message(&entry("", "x", t)).await,
        Err(PortError::Invalid(_))
    ));
}

fn summary(key: &str) -> ConversationSummary {
    ConversationSummary {
        citizen_key: key.to_string(),
        id: new_conversation_id(),
        name: Some("Sari".into()),
        phone: Some(key.to_string()),
        last_message_ms: now(),
        last_inbound_ms: Some(now()),
        ..ConversationSummary::default()
    }
}

pub async fn summaries_are_versioned_found_by_id_and_listed(log: Arc<dyn ConversationLog>) {
    let t = now();
    // Three conversations in handoff: two waiting (since t-300 s, t-100 s), one answered.
    let mut made = Vec::new();
    for (i, waiting) in [(0, Some(t - 100_000)), (1, Some(t - 300_000)), (2, None)] {
        let mut s = summary(&unique("6281"));
        s.handoff_since_ms = Some(t - 400_000 + i);
        s.handoff_until_ms = Some(t + 86_400_000);
        s.waiting_since_ms = waiting;
        s.last_message_ms = t - 1000 * (10 - i);
        assert_eq!(log.put_conversation(&s).await.expect("create"), 1);
        s.version = 1;
        made.push(s);
    }
    // One with the bot only.
    let mut bot = summary(&unique("6281"));
    bot.last_message_ms = t;
    assert_eq!(log.put_conversation(&bot).await.expect("create"), 1);
    bot.version = 1;

    // Versioned: a stale or repeated create loses.
    assert!(matches!(
        log.put_conversation(&ConversationSummary {
            version: 0,
            ..made[0].clone()
        })
        .await,
        Err(PortError::Conflict(_))
    ));
    let got = log
        .get_conversation(&made[0].citizen_key)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got, made[0]);
    let by_id = log
        .conversation_by_id(&made[1].id)
        .await
        .expect("by id")
        .expect("found");
    assert_eq!(by_id, made[1]);
    assert_eq!(
        log.conversation_by_id(&new_conversation_id())
            .await
            .expect("none"),
        None
    );

    // Handoff list: waiting oldest first, then the answered one; never the bot's.
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let p = log
            .list_conversations(ConversationFilter::Handoff, &page(2, after))
            .await
            .expect("handoff");
        ids.extend(p.items.iter().map(|s| s.id.clone()));
        match p.next {
            Some(next) => {
                assert!(!next.contains("6281"), "cursors never name the citizen");
                after = Some(next)
            }
            None => break,
        }
    }
    assert_eq!(
        ids,
        [made[1].id.clone(), made[0].id.clone(), made[2].id.clone()]
    );

    // Leaving the handoff takes it out of that list in the same write.
    let mut back = made[1].clone();
    back.handoff_since_ms = None;
    back.handoff_until_ms = None;
    back.waiting_since_ms = None;
    back.last_message_ms = t + 5;
    assert_eq!(log.put_conversation(&back).await.expect("update"), 2);
    assert!(matches!(
        log.put_conversation(&back).await,
        Err(PortError::Conflict(_))
    ));
    let handoff = log
        .list_conversations(ConversationFilter::Handoff, &page(10, None))
        .await
        .expect("handoff");
    let ids: Vec<&str> = handoff.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [made[0].id.as_str(), made[2].id.as_str()]);

    // Recent: last message newest first, paged.
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let p = log
            .list_conversations(ConversationFilter::Recent, &page(3, after))
            .await
            .expect("recent");
        ids.extend(p.items.iter().map(|s| s.id.clone()));
        match p.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        ids,
        [
            back.id.clone(),
            bot.id.clone(),
            made[2].id.clone(),
            made[0].id.clone()
        ]
    );
    assert!(matches!(
        log.list_conversations(ConversationFilter::Recent, &page(3, Some("zz".into())))
            .await,
        Err(PortError::Invalid(_))
    ));
}
