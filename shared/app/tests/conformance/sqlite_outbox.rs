//! The simulator outbox (SQLite): records exact Graph bodies, idempotent on the outbox id, and
//! finds a user's messages by phone digits or business-scoped user id.

use std::sync::Arc;

use serde_json::json;

use prolink_app::ports::{Messenger, OutboundMessage, OutboxReader, SendError};
use prolink_embedded::sqlite::{SimulatorOutbox, SqliteDb};

use crate::support::ManualClock;

const START_MS: i64 = 1_780_000_000_000;

fn outbox() -> (Arc<ManualClock>, SimulatorOutbox) {
    let clock = ManualClock::at(START_MS);
    let db = SqliteDb::open_in_memory().expect("open");
    (clock.clone(), SimulatorOutbox::new(db, clock))
}

fn text_to(to_field: &str, to: &str, text: &str) -> serde_json::Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        to_field: to,
        "type": "text",
        "text": { "preview_url": false, "body": text },
    })
}

#[tokio::test]
async fn send_records_the_exact_body_once() {
    let (_clock, outbox) = outbox();
    let message = OutboundMessage {
        outbox_id: "wamid.IN1:0".into(),
        body: text_to("to", "+6281234567890", "Terima kasih, aduan Anda diterima."),
    };
    let first = outbox.send(&message).await.expect("send");
    assert!(first.newly_sent);
    assert!(first.wamid.starts_with("wamid.SIM"), "{}", first.wamid);

    let retry = OutboundMessage {
        body: text_to("to", "+6281234567890", "a different body"),
        ..message.clone()
    };
    let second = outbox.send(&retry).await.expect("send again");
    assert_eq!(second.wamid, first.wamid, "same outbox id, same wamid");
    assert!(!second.newly_sent);

    let recorded = outbox.messages_for("6281234567890").await.expect("read");
    assert_eq!(recorded.len(), 1, "recorded once: {recorded:?}");
    assert_eq!(recorded[0].outbox_id, message.outbox_id);
    assert_eq!(recorded[0].wamid, first.wamid);
    assert_eq!(recorded[0].recorded_at_ms, START_MS);
    assert_eq!(recorded[0].body, message.body, "the first body, unchanged");
}

#[tokio::test]
async fn messages_are_found_by_phone_digits_or_user_id_oldest_first() {
    let (clock, outbox) = outbox();
    let bodies = [
        text_to("to", "6281234567890", "satu"),
        text_to("to", "+62 812-3456-7890", "dua"),
        text_to("recipient", "ID.1830495827364019283", "tiga"),
        text_to("to", "+6289999999999", "orang lain"),
        text_to("to", "+6281234567890", "empat"),
    ];
    let mut wamids = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let receipt = outbox
            .send(&OutboundMessage {
                outbox_id: format!("out-{i}"),
                body,
            })
            .await
            .expect("send");
        wamids.push(receipt.wamid);
        clock.advance(std::time::Duration::from_secs(1));
    }
    let mut distinct = wamids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), wamids.len(), "a fresh wamid per message");

    let texts = |messages: Vec<prolink_app::ports::RecordedMessage>| -> Vec<String> {
        messages
            .into_iter()
            .map(|m| {
                m.body["text"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        texts(outbox.messages_for("+6281234567890").await.expect("read")),
        ["satu", "dua", "empat"]
    );
    assert_eq!(
        texts(outbox.messages_for("6281234567890").await.expect("read")),
        ["satu", "dua", "empat"]
    );
    assert_eq!(
        texts(
            outbox
                .messages_for("ID.1830495827364019283")
                .await
                .expect("read")
        ),
        ["tiga"]
    );
    assert!(
        outbox
            .messages_for("1830495827364019283")
            .await
            .expect("read")
            .is_empty(),
        "a user id is not a phone number"
    );
    assert!(outbox
        .messages_for("6280000000000")
        .await
        .expect("read")
        .is_empty());
}

#[tokio::test]
async fn unaddressed_or_malformed_messages_are_invalid() {
    let (_clock, outbox) = outbox();
    let cases = [
        (
            "out-1",
            json!({ "messaging_product": "whatsapp", "type": "text" }),
        ),
        ("out-2", json!(["not", "an", "object"])),
        ("out-3", text_to("to", "not a phone", "x")),
        ("", text_to("to", "+6281234567890", "x")),
    ];
    for (outbox_id, body) in cases {
        let result = outbox
            .send(&OutboundMessage {
                outbox_id: outbox_id.into(),
                body,
            })
            .await;
        assert!(
            matches!(result, Err(SendError::Invalid(_))),
            "{outbox_id}: {result:?}"
        );
    }
    assert!(outbox
        .messages_for("6281234567890")
        .await
        .expect("read")
        .is_empty());
}
