//! WhatsApp layer: webhook parsing against every fixture, signature and handshake checks,
//! outbound builders and their limits, text splitting, and robustness against garbage.

use std::path::PathBuf;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use prolink_app::render::ReplyTo;
use prolink_app::webhook_item::{status_record, webhook_items, WebhookItem};
use prolink_domain::citizen::{group_id_for, CitizenRef};
use prolink_whatsapp::outbound::ReplyAddress;
use prolink_whatsapp::outbound::{
    self, BuildError, ButtonsMessage, CtaUrlMessage, ListMessage, ListRow, ListSection, MediaKind,
    MediaSource, ReplyButton, Template, TemplateButtonType, TemplateComponent, TemplateParameter,
};
use prolink_whatsapp::signature::{
    find_signature_header, signature_header_value, verify_handshake, verify_signature,
    HandshakeError, SignatureError,
};
use prolink_whatsapp::webhook::{
    parse_payload, InboundMessage, InteractiveReply, MessageContent, StatusKind, SystemKind,
    WebhookParseError,
};

const PNID: &str = "109876543210987";

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhook")
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn items(name: &str) -> Vec<WebhookItem> {
    webhook_items(&parse_payload(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn messages(name: &str) -> Vec<(CitizenRef, InboundMessage)> {
    items(name)
        .into_iter()
        .map(|item| match item {
            WebhookItem::Message {
                phone_number_id,
                citizen,
                message,
            } => {
                assert_eq!(phone_number_id, PNID, "{name}");
                (citizen, message)
            }
            other => panic!("{name}: expected only messages, got {other:?}"),
        })
        .collect()
}

fn single_message(name: &str) -> (CitizenRef, InboundMessage) {
    let mut all = messages(name);
    assert_eq!(all.len(), 1, "{name}");
    all.remove(0)
}

fn message_item(name: &str) -> WebhookItem {
    let all = items(name);
    assert_eq!(all.len(), 1, "{name}");
    all.into_iter().next().expect("one item")
}

// ---------------------------------------------------------------------------------------------
// Every fixture
// ---------------------------------------------------------------------------------------------

#[test]
fn all_reference_samples_are_present_as_fixtures() {
    let names = fixture_names();
    for sample in [
        "inbound-button-reply.json",
        "inbound-image.json",
        "inbound-list-reply.json",
        "inbound-location.json",
        "inbound-reaction.json",
        "inbound-template-button.json",
        "inbound-text-username-bsuid.json",
        "inbound-text.json",
        "inbound-unsupported.json",
        "multi-message-batch.json",
        "status-delivered.json",
        "status-failed-131047.json",
    ] {
        assert!(names.iter().any(|n| n == sample), "missing {sample}");
    }
    assert!(names.len() >= 24, "own fixtures missing: {names:?}");
}

#[test]
fn every_fixture_parses_and_every_item_round_trips() {
    for name in fixture_names() {
        let payload = parse_payload(&fixture(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(payload.object, "whatsapp_business_account", "{name}");
        let items = webhook_items(&payload);
        if name != "account-update.json" {
            assert!(!items.is_empty(), "{name} yields no item");
        }
        for item in items {
            let json = serde_json::to_string(&item).expect("serialize item");
            let back: WebhookItem =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e} in {json}"));
            assert_eq!(back, item, "{name}");
            // A second trip must be byte-identical (stable queue bodies).
            assert_eq!(serde_json::to_string(&back).expect("serialize"), json);

            let dedup = item.dedup_id();
            assert!(!dedup.is_empty() && dedup.len() <= 128, "{name}: {dedup}");
            assert!(dedup.bytes().all(|b| (33..=126).contains(&b)), "{name}");
            let group = item.group_id();
            assert_eq!(group.len(), 64, "{name}");
            assert!(group.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        }
        // The whole payload round-trips too.
        let again: prolink_whatsapp::webhook::WebhookPayload =
            serde_json::from_value(serde_json::to_value(&payload).expect("to_value"))
                .expect("from_value");
        assert_eq!(again, payload, "{name}");
    }
}

#[test]
fn truncated_fixtures_and_random_bytes_are_errors_not_panics() {
    for name in fixture_names() {
        let raw = fixture(&name);
        let complete = String::from_utf8_lossy(&raw).trim_end().len();
        let mut cut = 0;
        while cut < complete {
            let truncated = &raw[..cut];
            if let Ok(payload) = parse_payload(truncated) {
                panic!("{name} cut at {cut} parsed: {payload:?}");
            }
            cut += 1 + cut / 16;
        }
        let text = String::from_utf8_lossy(&raw).trim_end().to_owned();
        assert!(parse_payload(text.as_bytes()).is_ok(), "{name} untruncated");
    }
    // A deterministic xorshift keeps failures reproducible.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        assert!(
            parse_payload(&bytes).is_err(),
            "random bytes of length {len} parsed"
        );
    }
}

#[test]
fn non_objects_are_refused_with_a_typed_error() {
    assert_eq!(parse_payload(b"[]"), Err(WebhookParseError::NotAnObject));
    assert_eq!(parse_payload(b"42"), Err(WebhookParseError::NotAnObject));
    assert_eq!(parse_payload(b"\"x\""), Err(WebhookParseError::NotAnObject));
    assert!(matches!(
        parse_payload(b"{\"object\":"),
        Err(WebhookParseError::NotJson(_))
    ));
    assert!(matches!(
        parse_payload(b""),
        Err(WebhookParseError::NotJson(_))
    ));
    // An object of the wrong shape is read leniently: no items, no error.
    let payload = parse_payload(br#"{"object": 5, "entry": {"x": 1}}"#).expect("lenient");
    assert!(webhook_items(&payload).is_empty());
    let payload =
        parse_payload(br#"{"entry": [{"changes": [{"field": "messages", "value": 7}]}]}"#)
            .expect("lenient");
    assert!(webhook_items(&payload).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Per-type expectations
// ---------------------------------------------------------------------------------------------

#[test]
fn text_message_fields_and_queue_ids() {
    let item = message_item("inbound-text.json");
    let wamid = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDk1RkJBNUE3QUM0QkVDNzVGNjQ1AA==";
    assert_eq!(item.dedup_id(), wamid);
    assert_eq!(item.group_id(), group_id_for("ID.1830495827364019283"));
    let WebhookItem::Message {
        citizen, message, ..
    } = item
    else {
        panic!("not a message");
    };
    assert_eq!(citizen.key, "ID.1830495827364019283");
    assert_eq!(citizen.wa_id.as_deref(), Some("6281234567890"));
    assert_eq!(citizen.name.as_deref(), Some("Budi Santoso"));
    assert_eq!(citizen.username, None);
    assert_eq!(
        citizen.reply_address(),
        ReplyAddress::Phone("6281234567890".into())
    );
    assert_eq!(message.id, wamid);
    assert_eq!(message.timestamp_secs(), Some(1_794_276_900));
    assert_eq!(message.kind(), "text");
    match &message.content {
        MessageContent::Text(text) => assert!(text.body.starts_with("Selamat pagi, saya mau")),
        other => panic!("{other:?}"),
    }
    assert_eq!(message.context, None);
}

#[test]
fn username_user_is_keyed_and_addressed_by_bsuid() {
    let (citizen, message) = single_message("inbound-text-username-bsuid.json");
    assert_eq!(citizen.key, "ID.6381920475638192047");
    assert_eq!(citizen.user_id.as_deref(), Some("ID.6381920475638192047"));
    assert_eq!(citizen.wa_id, None);
    assert_eq!(citizen.username.as_deref(), Some("@putri.ayu"));
    assert_eq!(citizen.name.as_deref(), Some("Putri Ayu"));
    assert_eq!(
        citizen.reply_address(),
        ReplyAddress::UserId("ID.6381920475638192047".into())
    );
    assert_eq!(message.from, None);
    let reply = outbound::text(&citizen.reply_address(), "Halo", false).expect("build");
    assert_eq!(reply["recipient"], "ID.6381920475638192047");
    assert!(reply.get("to").is_none());
}

#[test]
fn interactive_replies_carry_ids_and_context() {
    let (citizen, message) = single_message("inbound-list-reply.json");
    assert_eq!(citizen.key, "ID.2749103856271940362");
    match &message.content {
        MessageContent::Interactive(InteractiveReply::ListReply(reply)) => {
            assert_eq!(reply.id, "layanan_ktp_el");
            assert_eq!(reply.title, "KTP Elektronik");
            assert!(reply
                .description
                .as_deref()
                .is_some_and(|d| d.contains("KTP-el")));
        }
        other => panic!("{other:?}"),
    }
    let context = message.context.as_ref().expect("context");
    assert_eq!(context.from.as_deref(), Some("6281119990000"));
    assert_eq!(
        context.id.as_deref(),
        Some("wamid.HBgNNjI4NTcxMjM0NTY3OBUCABEYEjQwMjhCNDZGOTQyNjE5MEEwRQA=")
    );

    let (citizen, message) = single_message("inbound-button-reply.json");
    assert_eq!(citizen.wa_id.as_deref(), Some("6281398765432"));
    match &message.content {
        MessageContent::Interactive(InteractiveReply::ButtonReply(reply)) => {
            assert_eq!(reply.id, "antrian_batal");
            assert_eq!(reply.title, "Batalkan Antrian");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn template_button_image_location_reaction() {
    let (_, message) = single_message("inbound-template-button.json");
    match &message.content {
        MessageContent::Button(button) => {
            assert_eq!(
                button.payload.as_deref(),
                Some("KONFIRMASI_HADIR:ANTRIAN-20261112-0457")
            );
            assert_eq!(button.text.as_deref(), Some("Ya, Saya Hadir"));
        }
        other => panic!("{other:?}"),
    }

    let (citizen, message) = single_message("inbound-image.json");
    assert_eq!(citizen.key, "ID.4192837465019283746");
    match &message.content {
        MessageContent::Image(media) => {
            assert_eq!(media.id, "8933241983819774");
            assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
            assert_eq!(
                media.sha256.as_deref(),
                Some("QAgOT4bC5bHOIIarSFhPPRRi9YJ1fOi+G2SdgE/gjXU=")
            );
            assert!(media
                .caption
                .as_deref()
                .is_some_and(|c| c.starts_with("Foto KK")));
            assert!(media
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://lookaside")));
        }
        other => panic!("{other:?}"),
    }

    let (_, message) = single_message("inbound-location.json");
    match &message.content {
        MessageContent::Location(location) => {
            assert_eq!(location.latitude, -6.175392);
            assert_eq!(location.longitude, 106.827153);
            assert_eq!(location.name.as_deref(), Some("Monumen Nasional"));
        }
        other => panic!("{other:?}"),
    }
    assert!(message.context.is_some());

    let (_, message) = single_message("inbound-reaction.json");
    match &message.content {
        MessageContent::Reaction(reaction) => {
            assert_eq!(reaction.emoji.as_deref(), Some("🙏"));
            assert!(!reaction.is_removal());
            assert_eq!(
                reaction.message_id,
                "wamid.HBgNNjI4NTcxMjM0NTY3OBUCABEYEjQwMjhCNDZGOTQyNjE5MEEwRQA="
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reaction_removal_absent_or_empty_emoji() {
    let all = messages("inbound-reaction-removed.json");
    assert_eq!(all.len(), 2);
    for (_, message) in all {
        match &message.content {
            MessageContent::Reaction(reaction) => assert!(reaction.is_removal(), "{reaction:?}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn unsupported_message_keeps_its_errors() {
    let (_, message) = single_message("inbound-unsupported.json");
    match &message.content {
        MessageContent::Unsupported(unsupported) => {
            assert_eq!(
                unsupported.unsupported_type.as_deref(),
                Some("poll_creation")
            );
            assert_eq!(unsupported.errors.len(), 1);
            assert_eq!(unsupported.errors[0].code, Some(131051));
            assert_eq!(
                unsupported.errors[0].details(),
                Some("Message type is currently not supported.")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn media_types_of_own_fixtures() {
    let media_of = |name: &str| {
        let (_, message) = single_message(name);
        message.content
    };
    match media_of("inbound-video.json") {
        MessageContent::Video(media) => {
            assert_eq!(media.id, "1122334455667788");
            assert_eq!(media.mime_type.as_deref(), Some("video/mp4"));
        }
        other => panic!("{other:?}"),
    }
    match media_of("inbound-audio-voice.json") {
        MessageContent::Audio(media) => {
            assert_eq!(media.id, "2233445566778899");
            assert_eq!(media.voice, Some(true));
            assert_eq!(media.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
        }
        other => panic!("{other:?}"),
    }
    match media_of("inbound-document.json") {
        MessageContent::Document(media) => {
            assert_eq!(media.id, "3344556677889900");
            assert_eq!(media.filename.as_deref(), Some("surat-pengantar-rt.pdf"));
            assert_eq!(media.caption.as_deref(), Some("Surat pengantar RT"));
        }
        other => panic!("{other:?}"),
    }
    match media_of("inbound-sticker.json") {
        MessageContent::Sticker(media) => {
            assert_eq!(media.id, "4455667788990011");
            assert_eq!(media.animated, Some(false));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn shared_contacts_are_parsed() {
    let (citizen, message) = single_message("inbound-contacts.json");
    assert_eq!(citizen.key, "ID.1830495827364019283");
    let MessageContent::Contacts(cards) = &message.content else {
        panic!("{:?}", message.content);
    };
    assert_eq!(cards.len(), 2);
    let lurah = &cards[0];
    assert_eq!(
        lurah
            .name
            .as_ref()
            .and_then(|n| n.formatted_name.as_deref()),
        Some("Pak Lurah Wiroborang")
    );
    assert_eq!(lurah.phones[0].wa_id.as_deref(), Some("62335421000"));
    assert_eq!(lurah.phones[0].kind.as_deref(), Some("WORK"));
    assert_eq!(
        lurah.org.as_ref().and_then(|o| o.company.as_deref()),
        Some("Kelurahan Wiroborang")
    );
    assert_eq!(cards[1].origin.as_deref(), Some("contact_request"));
}

#[test]
fn system_messages_have_no_contacts_and_keep_the_old_identity() {
    let (citizen, message) = single_message("system-user-changed-number.json");
    assert_eq!(citizen.key, "ID.3018472659104738265");
    assert_eq!(citizen.wa_id.as_deref(), Some("6281398765432"));
    assert_eq!(citizen.name, None);
    match &message.content {
        MessageContent::System(system) => {
            assert_eq!(system.system_kind(), SystemKind::UserChangedNumber);
            assert_eq!(system.wa_id.as_deref(), Some("6281398760000"));
        }
        other => panic!("{other:?}"),
    }

    let (citizen, message) = single_message("system-user-changed-user-id.json");
    assert_eq!(citizen.key, "ID.6381920475638192047");
    assert_eq!(
        citizen.reply_address(),
        ReplyAddress::UserId("ID.6381920475638192047".into())
    );
    match &message.content {
        MessageContent::System(system) => {
            assert_eq!(system.system_kind(), SystemKind::UserChangedUserId);
            assert_eq!(system.user_id.as_deref(), Some("ID.7492031586749203158"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_and_malformed_messages_do_not_sink_the_payload() {
    let all = messages("inbound-order-and-unknown.json");
    let ids: Vec<&str> = all.iter().map(|(_, m)| m.id.as_str()).collect();
    // The message without an id and the non-object are dropped; the rest survive in order.
    assert_eq!(
        ids,
        [
            "wamid.TEST-ORDER-0001",
            "wamid.TEST-REVOKE-0001",
            "wamid.TEST-BADTEXT-0001",
            "wamid.TEST-FUTURE-0001",
            "wamid.TEST-TEXT-AFTER-0001"
        ]
    );
    let raw: Value =
        serde_json::from_slice(&fixture("inbound-order-and-unknown.json")).expect("fixture json");
    let raw_messages = &raw["entry"][0]["changes"][0]["value"]["messages"];
    for (index, expected_kind) in [(0, "order"), (1, "revoke"), (2, "text"), (5, "poll_vote")] {
        let (_, message) = all
            .iter()
            .find(|(_, m)| raw_messages[index]["id"] == m.id.as_str())
            .expect("message present");
        match &message.content {
            MessageContent::Unknown { kind, raw } => {
                assert_eq!(kind, expected_kind);
                assert_eq!(raw, &raw_messages[index]);
            }
            other => panic!("{other:?}"),
        }
        // Serialized back to the exact JSON Meta sent.
        assert_eq!(
            serde_json::to_value(message).expect("serialize"),
            raw_messages[index]
        );
    }
    let (citizen, last) = &all[4];
    assert_eq!(citizen.key, "ID.5027361948502736194");
    assert!(matches!(&last.content, MessageContent::Text(t) if t.body.starts_with("Pesan normal")));
    // The order's citizen is Budi, not Rina: correlation by identifier.
    assert_eq!(all[0].0.name.as_deref(), Some("Budi Santoso"));
    assert_eq!(all[1].0.name.as_deref(), Some("Rina Marlina"));
}

#[test]
fn nfm_reply_referral_forwarded_and_unknown_interactive() {
    let all = messages("inbound-nfm-referral-forwarded.json");
    assert_eq!(all.len(), 4);
    match &all[0].1.content {
        MessageContent::Interactive(InteractiveReply::NfmReply(reply)) => {
            assert_eq!(reply.name.as_deref(), Some("flow"));
            let inner: Value =
                serde_json::from_str(reply.response_json.as_deref().expect("json")).expect("json");
            assert_eq!(inner["flow_token"], "F-1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(all[0].0.name.as_deref(), Some("Dewi Lestari"));
    let referral = all[1].1.referral.as_ref().expect("referral");
    assert_eq!(referral.source_type.as_deref(), Some("ad"));
    assert_eq!(referral.ctwa_clid.as_deref(), Some("ARAkLkA"));
    assert_eq!(
        referral
            .welcome_message
            .as_ref()
            .and_then(|w| w.text.as_deref()),
        Some("Selamat datang")
    );
    assert_eq!(all[1].0.name.as_deref(), Some("Siti Nurhaliza"));
    let context = all[2].1.context.as_ref().expect("context");
    assert_eq!(context.forwarded, Some(true));
    assert_eq!(context.frequently_forwarded, Some(true));
    match &all[3].1.content {
        MessageContent::Interactive(InteractiveReply::Other { kind, raw }) => {
            assert_eq!(kind, "product_list_reply");
            assert_eq!(raw["product_list_reply"]["foo"], "bar");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn multi_message_batch_correlates_contacts_by_identifier() {
    let all = items("multi-message-batch.json");
    assert_eq!(all.len(), 5);
    let budi = group_id_for("ID.1830495827364019283");
    let rina = group_id_for("ID.5027361948502736194");
    let expected = [
        (
            "Budi Santoso",
            &budi,
            "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFEYzRDVENDU0QjVBMTM2REIyMzU3AA==",
        ),
        (
            "Budi Santoso",
            &budi,
            "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFEE5QkYwMTQzNEM0QzlGNTQ4QURFAA==",
        ),
        (
            "Rina Marlina",
            &rina,
            "wamid.HBgNNjI4MjE0NTY3ODkwMRUCABIYFDg3Q0Q5RjA2MDJGNTQyNUQzRjA0AA==",
        ),
    ];
    for (item, (name, group, wamid)) in all.iter().zip(expected) {
        let WebhookItem::Message { citizen, .. } = item else {
            panic!("{item:?}");
        };
        assert_eq!(citizen.name.as_deref(), Some(name));
        assert_eq!(&item.group_id(), group);
        assert_eq!(item.dedup_id(), wamid);
    }
    // Rina's key matches her contact even though she is the second contact.
    let WebhookItem::Message { citizen, .. } = &all[2] else {
        panic!("not a message");
    };
    assert_eq!(citizen.key, "ID.5027361948502736194");
    assert_eq!(citizen.wa_id.as_deref(), Some("6282145678901"));

    let WebhookItem::Status { status, .. } = &all[3] else {
        panic!("{:?}", all[3]);
    };
    assert_eq!(status.kind(), StatusKind::Read);
    assert_eq!(status.pricing, None);
    assert_eq!(
        all[3].dedup_id(),
        "wamid.HBgNNjI4NTcxMjM0NTY3OBUCABEYEjQwMjhCNDZGOTQyNjE5MEEwRQA=:read"
    );
    assert_eq!(
        all[3].group_id(),
        group_id_for("status#ID.2749103856271940362")
    );
    let WebhookItem::Status { status, .. } = &all[4] else {
        panic!("{:?}", all[4]);
    };
    assert_eq!(status.kind(), StatusKind::Sent);
    let pricing = status.pricing.as_ref().expect("pricing");
    assert_eq!(pricing.category.as_deref(), Some("utility"));
    assert_eq!(pricing.pricing_type.as_deref(), Some("regular"));
    assert_eq!(pricing.billable, Some(true));
}

#[test]
fn contacts_are_not_matched_by_position() {
    // Two contacts in reverse order of the messages: index alignment would swap the names.
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": PNID },
            "contacts": [
                { "profile": { "name": "Second" }, "wa_id": "622222" },
                { "profile": { "name": "First" }, "user_id": "ID.111" }
            ],
            "messages": [
                { "from_user_id": "ID.111", "id": "wamid.1", "timestamp": "1", "type": "text", "text": { "body": "a" } },
                { "from": "622222", "id": "wamid.2", "timestamp": "2", "type": "text", "text": { "body": "b" } },
                { "from": "623333", "id": "wamid.3", "timestamp": "3", "type": "text", "text": { "body": "c" } }
            ]
        }}]}]
    });
    let all = webhook_items(&parse_payload(body.to_string().as_bytes()).expect("parse"));
    let citizens: Vec<CitizenRef> = all
        .into_iter()
        .map(|item| match item {
            WebhookItem::Message { citizen, .. } => citizen,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(citizens[0].name.as_deref(), Some("First"));
    assert_eq!(citizens[0].key, "ID.111");
    assert_eq!(citizens[1].name.as_deref(), Some("Second"));
    assert_eq!(citizens[1].key, "622222");
    assert_eq!(citizens[2].name, None);
    assert_eq!(citizens[2].key, "623333");
}

#[test]
fn statuses_delivered_and_failed() {
    let item = message_item("status-delivered.json");
    assert_eq!(
        item.dedup_id(),
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjY4MjI5RjEyNUM3RjUyNkVEMgA=:delivered"
    );
    // Statuses have their own group per recipient, apart from Budi's inbound messages.
    assert_eq!(
        item.group_id(),
        group_id_for("status#ID.1830495827364019283")
    );
    let WebhookItem::Status {
        phone_number_id,
        status,
    } = item
    else {
        panic!("not a status");
    };
    assert_eq!(phone_number_id, PNID);
    assert_eq!(status.kind(), StatusKind::Delivered);
    assert_eq!(status.timestamp_secs(), Some(1_794_276_965));
    assert_eq!(
        status
            .pricing
            .as_ref()
            .and_then(|p| p.pricing_type.as_deref()),
        Some("free_customer_service")
    );

    let item = message_item("status-failed-131047.json");
    // No BSUID on failed statuses addressed by phone: grouped by the phone number.
    assert_eq!(item.group_id(), group_id_for("status#6285712345678"));
    let WebhookItem::Status { status, .. } = item else {
        panic!("not a status");
    };
    assert_eq!(status.kind(), StatusKind::Failed);
    assert_eq!(status.error_code(), Some(131047));
    assert_eq!(
        status.errors[0].title.as_deref(),
        Some("Re-engagement message")
    );
    assert!(status.errors[0]
        .details()
        .is_some_and(|d| d.contains("24 hours")));
    assert_eq!(
        status.errors[0].href.as_deref(),
        Some("/documentation/business-messaging/whatsapp/support/error-codes")
    );
    let record = status_record(&status, 99);
    assert_eq!(record.wamid, status.id);
    assert_eq!(record.status, "failed");
    assert_eq!(record.timestamp, 1_794_366_900);
    assert_eq!(record.recipient.as_deref(), Some("6285712345678"));
    assert_eq!(record.error_code, Some(131047));
    assert_eq!(record.expires_at_ms, 99);
}

#[test]
fn status_kind_helper_and_unknown_values() {
    for (raw, kind) in [
        ("sent", StatusKind::Sent),
        ("delivered", StatusKind::Delivered),
        ("read", StatusKind::Read),
        ("played", StatusKind::Played),
        ("failed", StatusKind::Failed),
        ("deleted", StatusKind::Unknown("deleted".into())),
    ] {
        assert_eq!(StatusKind::parse(raw), kind);
    }
    assert!(StatusKind::Sent.rank() < StatusKind::Delivered.rank());
    assert!(StatusKind::Delivered.rank() < StatusKind::Read.rank());
    assert!(StatusKind::Read.rank() < StatusKind::Failed.rank());

    let body = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{
    "field": "messages", "value": { "metadata": { "phone_number_id": PNID }, "statuses": [
        { "id": "wamid.A", "status": "played", "timestamp": 1794276965, "recipient_user_id": "ID.9",
          "biz_opaque_callback_data": "outbox-1", "pricing": "garbage" },
        { "status": "read", "timestamp": "1" }
    ]}}]}]});
    let all = webhook_items(&parse_payload(body.to_string().as_bytes()).expect("parse"));
    assert_eq!(all.len(), 1, "the status without id is skipped");
    let WebhookItem::Status { status, .. } = &all[0] else {
        panic!("{all:?}");
    };
    assert_eq!(status.kind(), StatusKind::Played);
    assert_eq!(status.timestamp_secs(), Some(1_794_276_965));
    assert_eq!(status.pricing, None);
    assert_eq!(
        status_record(status, 0).outbox_id.as_deref(),
        Some("outbox-1")
    );
}

#[test]
fn system_level_errors_become_error_items() {
    let item = message_item("system-error.json");
    assert_eq!(item.group_id(), group_id_for("system"));
    let dedup = item.dedup_id();
    assert_eq!(dedup.len(), 64);
    let WebhookItem::Error {
        phone_number_id,
        error,
    } = &item
    else {
        panic!("{item:?}");
    };
    assert_eq!(phone_number_id.as_deref(), Some(PNID));
    assert_eq!(error.code, Some(130429));
    assert_eq!(
        error.details(),
        Some("Cloud API message throughput has been reached.")
    );
    // Deterministic, and different for a different error.
    assert_eq!(message_item("system-error.json").dedup_id(), dedup);
    let mut other = item.clone();
    if let WebhookItem::Error { error, .. } = &mut other {
        error.code = Some(131000);
    }
    assert_ne!(other.dedup_id(), dedup);
}

#[test]
fn other_fields_yield_no_items() {
    let payload = parse_payload(&fixture("account-update.json")).expect("parse");
    assert_eq!(payload.entry[0].changes[0].field, "account_update");
    assert_eq!(payload.entry[0].time, Some(1_794_278_600));
    assert!(webhook_items(&payload).is_empty());
}

#[test]
fn long_or_odd_wamids_are_hashed_into_valid_dedup_ids() {
    let citizen = CitizenRef::from_ids(Some("ID.1".into()), None, None, None).expect("citizen");
    let message_with_id = |id: &str| {
        let message: InboundMessage = serde_json::from_value(json!({
            "id": id, "timestamp": "1", "type": "text", "text": { "body": "x" }
        }))
        .expect("message");
        WebhookItem::Message {
            phone_number_id: PNID.into(),
            citizen: citizen.clone(),
            message,
        }
    };
    let long = "w".repeat(129);
    let dedup = message_with_id(&long).dedup_id();
    assert_eq!(dedup.len(), 64);
    assert_eq!(dedup, group_id_for(&long), "sha256 hex of the wamid");
    let exact = "w".repeat(128);
    assert_eq!(message_with_id(&exact).dedup_id(), exact);
    let spaced = message_with_id("wamid with space").dedup_id();
    assert_eq!(spaced, group_id_for("wamid with space"));
    let unicode = message_with_id("wamid.é").dedup_id();
    assert_eq!(unicode.len(), 64);
}

// ---------------------------------------------------------------------------------------------
// Signature and handshake
// ---------------------------------------------------------------------------------------------

const SECRET: &str = "app-secret-current";
const PREVIOUS: &str = "app-secret-previous";

#[test]
fn signature_valid_and_tampered() {
    let body = fixture("inbound-text.json");
    let header = signature_header_value(SECRET, &body);
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), 7 + 64);
    assert_eq!(verify_signature(&body, Some(&header), &[SECRET]), Ok(()));

    let mut tampered = body.clone();
    tampered[100] ^= 1;
    assert_eq!(
        verify_signature(&tampered, Some(&header), &[SECRET]),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(&body, Some(&header), &["wrong-secret"]),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn signature_known_vector() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    let header = signature_header_value("Jefe", b"what do ya want for nothing?");
    assert_eq!(
        header,
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn signature_rotation_accepts_previous_secret() {
    let body = b"{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
    let old_header = signature_header_value(PREVIOUS, body);
    assert_eq!(
        verify_signature(body, Some(&old_header), &[SECRET, PREVIOUS]),
        Ok(())
    );
    assert_eq!(
        verify_signature(body, Some(&old_header), &[SECRET]),
        Err(SignatureError::Mismatch)
    );
    // Empty secrets are ignored, never used as an HMAC key.
    let empty_key_header = signature_header_value("", body);
    assert_eq!(
        verify_signature(body, Some(&empty_key_header), &[SECRET, ""]),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(body, Some(&empty_key_header), &[""]),
        Err(SignatureError::NoSecret)
    );
    assert_eq!(
        verify_signature(body, Some(&empty_key_header), &[]),
        Err(SignatureError::NoSecret)
    );
}

#[test]
fn signature_header_format_errors() {
    let body = b"{}";
    let header = signature_header_value(SECRET, body);
    let hex = header.trim_start_matches("sha256=");
    assert_eq!(
        verify_signature(body, None, &[SECRET]),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        verify_signature(body, Some(""), &[SECRET]),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        verify_signature(body, Some(hex), &[SECRET]),
        Err(SignatureError::Malformed),
        "no sha256= prefix"
    );
    assert_eq!(
        verify_signature(body, Some(&format!("sha1={hex}")), &[SECRET]),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        verify_signature(body, Some(&header[..header.len() - 2]), &[SECRET]),
        Err(SignatureError::Malformed),
        "truncated digest"
    );
    assert_eq!(
        verify_signature(body, Some("sha256=zz"), &[SECRET]),
        Err(SignatureError::Malformed)
    );
    let upper = format!("sha256={}", hex.to_ascii_uppercase());
    assert_eq!(verify_signature(body, Some(&upper), &[SECRET]), Ok(()));
}

#[test]
fn signature_header_lookup_is_case_insensitive() {
    let body = b"payload";
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_bytes(b"X-HUB-SIGNATURE-256").expect("header name"),
        HeaderValue::from_str(&signature_header_value(SECRET, body)).expect("value"),
    );
    let found = find_signature_header(&headers);
    assert!(found.is_some());
    assert_eq!(verify_signature(body, found, &[SECRET]), Ok(()));
    assert_eq!(find_signature_header(&HeaderMap::new()), None);
}

#[test]
fn handshake() {
    assert_eq!(
        verify_handshake(Some("subscribe"), Some("tok"), Some("1158201444"), "tok"),
        Ok("1158201444".to_owned())
    );
    assert_eq!(
        verify_handshake(Some("subscribe"), Some("tok2"), Some("1158201444"), "tok"),
        Err(HandshakeError::TokenMismatch)
    );
    assert_eq!(
        verify_handshake(Some("subscribe"), Some("to"), Some("1"), "tok"),
        Err(HandshakeError::TokenMismatch)
    );
    assert_eq!(
        verify_handshake(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
        Err(HandshakeError::WrongMode)
    );
    for (mode, token, challenge) in [
        (None, Some("tok"), Some("1")),
        (Some("subscribe"), None, Some("1")),
        (Some("subscribe"), Some("tok"), None),
    ] {
        assert_eq!(
            verify_handshake(mode, token, challenge, "tok"),
            Err(HandshakeError::MissingParameter)
        );
    }
    assert_eq!(
        verify_handshake(Some("subscribe"), Some(""), Some("1"), ""),
        Err(HandshakeError::NoToken)
    );
    assert_eq!(
        verify_handshake(Some("subscribe"), Some("tok"), Some("<script>"), "tok"),
        Err(HandshakeError::BadChallenge)
    );
    assert_eq!(
        verify_handshake(Some("subscribe"), Some("tok"), Some(""), "tok"),
        Err(HandshakeError::BadChallenge)
    );
}

// ---------------------------------------------------------------------------------------------
// Outbound builders
// ---------------------------------------------------------------------------------------------

fn phone() -> ReplyAddress {
    ReplyAddress::Phone("6281234567890".into())
}

fn too_long(result: Result<Value, BuildError>, max: usize) {
    match result {
        Err(BuildError::TooLong { max: m, actual, .. }) => {
            assert_eq!(m, max);
            assert_eq!(actual, max + 1);
        }
        other => panic!("expected TooLong({max}), got {other:?}"),
    }
}

#[test]
fn text_builder_shape_and_limit_in_characters() {
    let body = outbound::text(&phone(), "Syarat SIM: https://contoh.go.id", true).expect("build");
    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+6281234567890",
            "type": "text",
            "text": { "preview_url": true, "body": "Syarat SIM: https://contoh.go.id" }
        })
    );
    // 4096 multi-byte characters are fine (16 KiB of bytes); 4097 are not.
    let max = "é".repeat(4096);
    assert!(outbound::text(&phone(), &max, false).is_ok());
    too_long(outbound::text(&phone(), &format!("{max}a"), false), 4096);
    assert!(matches!(
        outbound::text(&phone(), "  ", false),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        outbound::text(&ReplyAddress::Phone(String::new()), "x", false),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        outbound::text(&ReplyAddress::Phone("+62 812".into()), "x", false),
        Err(BuildError::Invalid { .. })
    ));
    let by_user = outbound::text(&ReplyAddress::UserId("ID.1".into()), "x", false).expect("ok");
    assert_eq!(by_user["recipient"], "ID.1");
    assert!(by_user.get("to").is_none());
}

fn row(id: &str, title: &str) -> ListRow {
    ListRow {
        id: id.into(),
        title: title.into(),
        description: None,
    }
}

fn valid_list() -> ListMessage {
    ListMessage {
        header: Some("Layanan Kependudukan".into()),
        body: "Silakan pilih layanan yang Anda butuhkan.".into(),
        footer: Some("Dinas Dukcapil".into()),
        button: "Pilih Layanan".into(),
        sections: vec![
            ListSection {
                title: Some("Dokumen Identitas".into()),
                rows: vec![
                    ListRow {
                        description: Some(
                            "Perekaman baru, cetak ulang, atau perubahan data KTP-el".into(),
                        ),
                        ..row("layanan_ktp_el", "KTP Elektronik")
                    },
                    row("layanan_kk", "Kartu Keluarga"),
                ],
            },
            ListSection {
                title: Some("Akta".into()),
                rows: vec![row("layanan_akta_lahir", "Akta Kelahiran")],
            },
        ],
    }
}

#[test]
fn list_builder_shape() {
    let body = outbound::list(&ReplyAddress::Phone("6285712345678".into()), &valid_list())
        .expect("valid list");
    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+6285712345678",
            "type": "interactive",
            "interactive": {
                "type": "list",
                "header": { "type": "text", "text": "Layanan Kependudukan" },
                "body": { "text": "Silakan pilih layanan yang Anda butuhkan." },
                "footer": { "text": "Dinas Dukcapil" },
                "action": {
                    "button": "Pilih Layanan",
                    "sections": [
                        { "title": "Dokumen Identitas", "rows": [
                            { "id": "layanan_ktp_el", "title": "KTP Elektronik",
                              "description": "Perekaman baru, cetak ulang, atau perubahan data KTP-el" },
                            { "id": "layanan_kk", "title": "Kartu Keluarga" } ] },
                        { "title": "Akta", "rows": [
                            { "id": "layanan_akta_lahir", "title": "Akta Kelahiran" } ] }
                    ]
                }
            }
        })
    );
    // One section needs no title; empty header/footer are left out.
    let mut single = valid_list();
    single.sections.truncate(1);
    single.sections[0].title = None;
    single.header = Some(String::new());
    single.footer = None;
    let body = outbound::list(&phone(), &single).expect("single section");
    assert!(body["interactive"].get("header").is_none());
    assert!(body["interactive"].get("footer").is_none());
    assert!(body["interactive"]["action"]["sections"][0]
        .get("title")
        .is_none());
}

#[test]
fn list_builder_limits() {
    let check = |edit: &dyn Fn(&mut ListMessage)| {
        let mut list = valid_list();
        edit(&mut list);
        outbound::list(&phone(), &list)
    };
    too_long(check(&|l| l.header = Some("h".repeat(61))), 60);
    too_long(check(&|l| l.footer = Some("f".repeat(61))), 60);
    too_long(check(&|l| l.body = "b".repeat(4097)), 4096);
    too_long(check(&|l| l.button = "b".repeat(21)), 20);
    too_long(check(&|l| l.sections[0].title = Some("t".repeat(25))), 24);
    too_long(check(&|l| l.sections[0].rows[0].id = "i".repeat(201)), 200);
    too_long(check(&|l| l.sections[0].rows[0].title = "t".repeat(25)), 24);
    too_long(
        check(&|l| l.sections[0].rows[0].description = Some("d".repeat(73))),
        72,
    );
    assert!(check(&|l| l.sections[0].rows[0].description = Some("d".repeat(72))).is_ok());
    assert!(matches!(
        check(&|l| l.sections[1].title = None),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        check(&|l| l.button = String::new()),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        check(&|l| l.sections.clear()),
        Err(BuildError::Count { .. })
    ));
    assert!(matches!(
        check(&|l| l.sections[1].rows.clear()),
        Err(BuildError::Count { .. })
    ));
    // 10 rows in total are fine, 11 across two sections are not.
    assert!(check(&|l| {
        l.sections[0].rows = (0..9).map(|i| row(&format!("r{i}"), "Baris")).collect();
    })
    .is_ok());
    assert!(matches!(
        check(&|l| {
            l.sections[0].rows = (0..10).map(|i| row(&format!("r{i}"), "Baris")).collect();
        }),
        Err(BuildError::Count {
            actual: 11,
            max: 10,
            ..
        })
    ));
    assert!(matches!(
        check(&|l| {
            l.sections = (0..11)
                .map(|i| ListSection {
                    title: Some(format!("S{i}")),
                    rows: vec![row(&format!("r{i}"), "Baris")],
                })
                .collect();
        }),
        Err(BuildError::Count { actual: 11, .. })
    ));
    assert!(matches!(
        check(&|l| l.sections[1].rows[0].id = "layanan_kk".into()),
        Err(BuildError::Duplicate { .. })
    ));
}

fn valid_buttons() -> ButtonsMessage {
    ButtonsMessage {
        header: Some("Jadwal Antrian".into()),
        body: "Antrian Anda: Kamis 12 Nov 2026 pukul 09.00 WIB.".into(),
        footer: Some("Balas tombol di bawah".into()),
        buttons: vec![
            ReplyButton {
                id: "antrian_ok".into(),
                title: "Ya, Saya Hadir".into(),
            },
            ReplyButton {
                id: "antrian_ubah".into(),
                title: "Ubah Jadwal".into(),
            },
            ReplyButton {
                id: "antrian_batal".into(),
                title: "Batalkan Antrian".into(),
            },
        ],
    }
}

#[test]
fn reply_buttons_shape_and_limits() {
    let body = outbound::reply_buttons(&phone(), &valid_buttons()).expect("valid");
    assert_eq!(body["type"], "interactive");
    assert_eq!(body["interactive"]["type"], "button");
    assert_eq!(
        body["interactive"]["header"],
        json!({ "type": "text", "text": "Jadwal Antrian" })
    );
    assert_eq!(
        body["interactive"]["action"]["buttons"][2],
        json!({ "type": "reply", "reply": { "id": "antrian_batal", "title": "Batalkan Antrian" } })
    );
    let check = |edit: &dyn Fn(&mut ButtonsMessage)| {
        let mut message = valid_buttons();
        edit(&mut message);
        outbound::reply_buttons(&phone(), &message)
    };
    too_long(check(&|m| m.body = "b".repeat(1025)), 1024);
    too_long(check(&|m| m.header = Some("h".repeat(61))), 60);
    too_long(check(&|m| m.footer = Some("f".repeat(61))), 60);
    too_long(check(&|m| m.buttons[0].title = "t".repeat(21)), 20);
    too_long(check(&|m| m.buttons[0].id = "i".repeat(257)), 256);
    assert!(check(&|m| m.buttons[0].id = "i".repeat(256)).is_ok());
    assert!(matches!(
        check(&|m| m.buttons.push(ReplyButton {
            id: "x".into(),
            title: "X".into()
        })),
        Err(BuildError::Count { actual: 4, .. })
    ));
    assert!(matches!(
        check(&|m| m.buttons.clear()),
        Err(BuildError::Count { actual: 0, .. })
    ));
    assert!(matches!(
        check(&|m| m.buttons[1].title = "Ya, Saya Hadir".into()),
        Err(BuildError::Duplicate { .. })
    ));
    assert!(matches!(
        check(&|m| m.buttons[1].id = "antrian_ok".into()),
        Err(BuildError::Duplicate { .. })
    ));
}

fn valid_cta() -> CtaUrlMessage {
    CtaUrlMessage {
        header: Some("Cek Status Permohonan".into()),
        body: "Ketuk tombol di bawah untuk melihat status permohonan akta Anda.".into(),
        footer: Some("Tautan resmi pemerintah".into()),
        display_text: "Cek Status".into(),
        url: "https://contoh.go.id/status?ref=AKT-0457".into(),
    }
}

#[test]
fn cta_url_shape_and_limits() {
    let body = outbound::cta_url(&phone(), &valid_cta()).expect("valid");
    assert_eq!(
        body["interactive"],
        json!({
            "type": "cta_url",
            "header": { "type": "text", "text": "Cek Status Permohonan" },
            "body": { "text": "Ketuk tombol di bawah untuk melihat status permohonan akta Anda." },
            "footer": { "text": "Tautan resmi pemerintah" },
            "action": { "name": "cta_url",
                        "parameters": { "display_text": "Cek Status", "url": "https://contoh.go.id/status?ref=AKT-0457" } }
        })
    );
    let check = |edit: &dyn Fn(&mut CtaUrlMessage)| {
        let mut message = valid_cta();
        edit(&mut message);
        outbound::cta_url(&phone(), &message)
    };
    too_long(check(&|m| m.body = "b".repeat(1025)), 1024);
    too_long(check(&|m| m.display_text = "d".repeat(21)), 20);
    too_long(check(&|m| m.header = Some("h".repeat(61))), 60);
    too_long(check(&|m| m.footer = Some("f".repeat(61))), 60);
    assert!(check(&|m| m.url = "http://contoh.go.id".into()).is_ok());
    for bad in [
        "ftp://contoh.go.id",
        "javascript:alert(1)",
        "contoh.go.id",
        "https://",
        "https:///path",
        "https://contoh.go.id/a b",
    ] {
        assert!(
            matches!(
                check(&|m| m.url = bad.into()),
                Err(BuildError::Invalid { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn location_request_reaction_mark_read() {
    let body = outbound::location_request(&phone(), "Bagikan lokasi Anda.").expect("valid");
    assert_eq!(
        body["interactive"],
        json!({ "type": "location_request_message",
                "body": { "text": "Bagikan lokasi Anda." },
                "action": { "name": "send_location" } })
    );
    too_long(
        outbound::location_request(&phone(), &"x".repeat(1025)),
        1024,
    );

    let body = outbound::reaction(&phone(), "wamid.X", "🙏").expect("valid");
    assert_eq!(body["type"], "reaction");
    assert_eq!(
        body["reaction"],
        json!({ "message_id": "wamid.X", "emoji": "🙏" })
    );
    assert!(
        outbound::reaction(&phone(), "wamid.X", "").is_ok(),
        "removal"
    );
    assert!(matches!(
        outbound::reaction(&phone(), "", "🙏"),
        Err(BuildError::Empty { .. })
    ));

    assert_eq!(
        outbound::mark_read("wamid.X", false).expect("valid"),
        json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X" })
    );
    assert_eq!(
        outbound::mark_read("wamid.X", true).expect("valid"),
        json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X",
                "typing_indicator": { "type": "text" } })
    );
    assert!(outbound::mark_read("", false).is_err());
}

fn valid_template() -> Template {
    Template {
        name: "pengingat_antrian".into(),
        language_code: "id".into(),
        components: vec![
            TemplateComponent::Header {
                parameters: vec![TemplateParameter::Text {
                    text: "Dukcapil Jakarta Pusat".into(),
                    parameter_name: None,
                }],
            },
            TemplateComponent::Body {
                parameters: vec![
                    TemplateParameter::Text {
                        text: "Dewi Lestari".into(),
                        parameter_name: None,
                    },
                    TemplateParameter::Text {
                        text: "Kamis, 12 November 2026 pukul 09.00 WIB".into(),
                        parameter_name: None,
                    },
                ],
            },
            TemplateComponent::Button {
                sub_type: TemplateButtonType::QuickReply,
                index: 0,
                parameters: vec![TemplateParameter::Payload {
                    payload: "KONFIRMASI_HADIR:ANTRIAN-20261112-0457".into(),
                }],
            },
            TemplateComponent::Button {
                sub_type: TemplateButtonType::Url,
                index: 1,
                parameters: vec![TemplateParameter::Text {
                    text: "AKT-0457".into(),
                    parameter_name: None,
                }],
            },
        ],
    }
}

#[test]
fn template_shape_matches_the_reference() {
    let body = outbound::template(
        &ReplyAddress::Phone("6287812340000".into()),
        &valid_template(),
    )
    .expect("valid");
    assert_eq!(
        body,
        json!({ "messaging_product": "whatsapp", "recipient_type": "individual",
          "to": "+6287812340000", "type": "template",
          "template": {
            "name": "pengingat_antrian",
            "language": { "code": "id" },
            "components": [
              { "type": "header", "parameters": [ { "type": "text", "text": "Dukcapil Jakarta Pusat" } ] },
              { "type": "body", "parameters": [
                  { "type": "text", "text": "Dewi Lestari" },
                  { "type": "text", "text": "Kamis, 12 November 2026 pukul 09.00 WIB" } ] },
              { "type": "button", "sub_type": "quick_reply", "index": "0",
                "parameters": [ { "type": "payload", "payload": "KONFIRMASI_HADIR:ANTRIAN-20261112-0457" } ] },
              { "type": "button", "sub_type": "url", "index": "1",
                "parameters": [ { "type": "text", "text": "AKT-0457" } ] } ] } })
    );
    let named = Template {
        name: "status_aduan".into(),
        language_code: "id".into(),
        components: vec![TemplateComponent::Body {
            parameters: vec![TemplateParameter::Text {
                text: "ADU-1".into(),
                parameter_name: Some("nomor".into()),
            }],
        }],
    };
    let body = outbound::template(&phone(), &named).expect("named");
    assert_eq!(
        body["template"]["components"][0]["parameters"][0],
        json!({ "type": "text", "text": "ADU-1", "parameter_name": "nomor" })
    );
}

#[test]
fn template_refusals() {
    let check = |edit: &dyn Fn(&mut Template)| {
        let mut template = valid_template();
        edit(&mut template);
        outbound::template(&phone(), &template)
    };
    assert!(matches!(
        check(&|t| t.name = String::new()),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        check(&|t| t.name = "Pengingat Antrian".into()),
        Err(BuildError::Invalid { .. })
    ));
    assert!(matches!(
        check(&|t| t.language_code = String::new()),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        check(&|t| t.components[1] = TemplateComponent::Body {
            parameters: vec![TemplateParameter::Text {
                text: " ".into(),
                parameter_name: None
            }]
        }),
        Err(BuildError::Empty { .. })
    ));
    assert!(matches!(
        check(
            &|t| if let TemplateComponent::Button { index, .. } = &mut t.components[3] {
                *index = 0;
            }
        ),
        Err(BuildError::Duplicate { .. })
    ));
    assert!(matches!(
        check(
            &|t| if let TemplateComponent::Button { index, .. } = &mut t.components[3] {
                *index = 10;
            }
        ),
        Err(BuildError::Invalid { .. })
    ));
    assert!(matches!(
        check(
            &|t| if let TemplateComponent::Button { sub_type, .. } = &mut t.components[2] {
                *sub_type = TemplateButtonType::Url;
            }
        ),
        Err(BuildError::Invalid { .. })
    ));
}

#[test]
fn media_builder() {
    let body = outbound::media(
        &phone(),
        MediaKind::Document,
        &MediaSource::Id("1037543291543636".into()),
        Some("Formulir F-1.01"),
        Some("formulir-f101.pdf"),
    )
    .expect("valid");
    assert_eq!(
        body["document"],
        json!({ "id": "1037543291543636", "caption": "Formulir F-1.01", "filename": "formulir-f101.pdf" })
    );
    too_long(
        outbound::media(
            &phone(),
            MediaKind::Image,
            &MediaSource::Link("https://contoh.go.id/a.jpg".into()),
            Some(&"c".repeat(1025)),
            None,
        ),
        1024,
    );
    assert!(outbound::media(
        &phone(),
        MediaKind::Audio,
        &MediaSource::Id("1".into()),
        Some("caption"),
        None
    )
    .is_err());
    assert!(outbound::media(
        &phone(),
        MediaKind::Image,
        &MediaSource::Link("http://contoh.go.id/a.jpg".into()),
        None,
        None
    )
    .is_err());
}

#[test]
fn callback_and_context_helpers() {
    let body = outbound::text(&phone(), "Halo", false).expect("valid");
    let body = outbound::with_callback(body, "outbox-123");
    assert_eq!(body["biz_opaque_callback_data"], "outbox-123");
    let body = outbound::with_reply_context(body, "wamid.X");
    assert_eq!(body["context"], json!({ "message_id": "wamid.X" }));
    let reaction = outbound::reaction(&phone(), "wamid.X", "👍").expect("valid");
    assert!(outbound::with_reply_context(reaction, "wamid.X")
        .get("context")
        .is_none());
}

#[test]
fn build_error_converts_to_send_error() {
    let error = outbound::text(&phone(), "", false).expect_err("empty");
    let send: prolink_app::ports::SendError = error.clone().into();
    assert!(
        matches!(send, prolink_app::ports::SendError::Invalid(reason) if reason == error.to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// split_text
// ---------------------------------------------------------------------------------------------

fn without_whitespace(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn split_text_respects_the_limit_and_keeps_the_content() {
    let paragraph = "Syarat perpanjangan SIM A: KTP-el asli, SIM lama, surat keterangan sehat \
                     dan hasil tes psikologi. Datang ke Satpas terdekat. 🙏";
    let text = [paragraph; 12].join("\n\n") + "\nBaris terakhir tanpa paragraf.";
    for max in [1, 2, 7, 40, 100, 250, 4096] {
        let chunks = outbound::split_text(&text, max);
        assert!(!chunks.is_empty());
        for chunk in &chunks {
            let n = chunk.chars().count();
            assert!(n <= max && n > 0, "max {max}: chunk of {n}");
            assert_eq!(chunk.trim(), chunk, "chunks carry no edge whitespace");
        }
        assert_eq!(
            without_whitespace(&chunks.concat()),
            without_whitespace(&text),
            "max {max}"
        );
        if max >= 40 {
            // Every word is shorter than 40 chars, so no word is ever cut.
            let words: Vec<&str> = text.split_whitespace().collect();
            let rejoined = chunks.join(" ");
            let rejoined_words: Vec<&str> = rejoined.split_whitespace().collect();
            assert_eq!(rejoined_words, words, "max {max}");
        }
    }
}

#[test]
fn split_text_prefers_paragraph_then_line_boundaries() {
    let first = "a".repeat(60);
    let second = "b".repeat(30);
    let text = format!("{first}\n\n{second}");
    assert_eq!(outbound::split_text(&text, 100), vec![text.clone()]);
    assert_eq!(
        outbound::split_text(&text, 80),
        vec![first.clone(), second.clone()]
    );
    let lines = format!("{first} {first}\n{second}");
    let chunks = outbound::split_text(&lines, 130);
    assert_eq!(chunks, vec![format!("{first} {first}"), second.clone()]);
    // Multi-byte characters are never split.
    let emoji = "🙏".repeat(10);
    let chunks = outbound::split_text(&emoji, 3);
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks.concat(), emoji);
    assert!(outbound::split_text("   \n ", 10).is_empty());
    assert_eq!(outbound::split_text("  kecil  ", 10), vec!["kecil"]);
}
