//! Probable duplicates: the offer, *ikut melapor* and *tetap terpisah*.

use prolink_domain::{
    calendar,
    complaint::{self, Actor, Privacy, Status},
    dialog::{
        complaint_texts::{self as ct, ids as cid},
        reply::Reply,
        texts::ids,
        ComplaintOp,
    },
    nlp::{Engine, KnowledgeBase},
};

use super::chat::*;
use crate::support::seed;

#[test]
fn the_duplicate_offer_shows_the_original_without_its_reporters_details() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let original = someone_elses(&mut chat, Privacy::Biasa);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let (linked, offer) = link_duplicate(&mut chat, &new);
    assert_eq!(linked, original);
    assert_sendable(std::slice::from_ref(&offer));
    assert_eq!(
        button_ids(&offer),
        vec![
            format!("{}{new}", cid::FOLLOW_PREFIX),
            format!("{}{new}", cid::SEPARATE_PREFIX),
        ]
    );
    let text = body(&offer);
    let theirs = chat.stored(&original);
    assert!(text.contains(&new), "{text}");
    assert!(text.contains(&original), "{text}");
    assert!(text.contains(theirs.status.label()), "{text}");
    assert!(text.contains("Kel. Tisnonegaran"), "{text}");
    // 0.0003° of latitude ≈ 33 m, shown to the nearest 10 m.
    assert!(text.contains("± 30 m"), "{text}");
    let received = calendar::format_date_id(calendar::wib_date(theirs.received_ms));
    assert!(text.contains(&received), "{text}");
    assert!(text.contains("warga lain"), "{text}");
    for private in [
        THEIR_STORY,
        "Siti",
        "Rumah Bu",
        "Suroyo 12",
        OTHER_CITIZEN,
        "INTERNAL",
    ] {
        assert!(!text.contains(private), "{private} in {text}");
    }

    // A secret complaint is never offered.
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    someone_elses(&mut chat, Privacy::Rahasia);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let fresh = chat.stored(&new);
    assert_eq!(
        complaint::duplicates::find_duplicate(&fresh, &chat.complaints(), chat.now_ms),
        None
    );
}

#[test]
fn ikut_melapor_follows_the_original_withdraws_the_new_one_and_shows_the_original() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let original = someone_elses(&mut chat, Privacy::Biasa);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    link_duplicate(&mut chat, &new);
    let before_original = chat.stored(&original);
    let before_new = chat.stored(&new);

    // Not a follower yet: the original is someone else's ticket.
    let turn = chat.say(&format!("cek {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);

    let follow_id = format!("{}{new}", cid::FOLLOW_PREFIX);
    let turn = chat.press(&follow_id);
    let reply = only(&turn);
    assert_eq!(body(reply), ct::following(&new, &original, false));
    assert_eq!(
        button_ids(reply),
        vec![
            format!("{}{original}", cid::TRACK_PREFIX),
            ids::MENU.to_string()
        ]
    );
    let (followed, merged) = match turn.complaint_ops.as_slice() {
        [ComplaintOp::Update(a), ComplaintOp::Update(b)] => ((**a).clone(), (**b).clone()),
        other => panic!("expected two updates, got {other:?}"),
    };
    // The original: one more follower, an internal event, same status.
    assert_eq!(followed.ticket, original);
    assert_eq!(followed.followers, vec!["6281234567890".to_string()]);
    assert_eq!(followed.status, before_original.status);
    let event = followed.events.last().expect("event");
    assert_eq!(event.from, Some(event.to));
    assert_eq!(event.public_note, None);
    assert!(event.internal_note.is_some());
    // The new one: withdrawn into the original, with a note the citizen sees.
    assert_eq!(merged.ticket, new);
    assert_eq!(merged.status, Status::Dicabut);
    assert_eq!(merged.duplicate_of.as_deref(), Some(original.as_str()));
    let event = merged.events.last().expect("event");
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    let merged_note = ct::merged_note(&original);
    assert_eq!(event.public_note.as_deref(), Some(merged_note.as_str()));
    assert_eq!(chat.stored(&original).version, before_original.version + 1);
    assert_eq!(chat.stored(&new).version, before_new.version + 1);

    // Redelivered, then tapped again: the same answer, nothing stored again.
    let again =
        redelivered_stores_nothing(&mut chat, button_tap, &follow_id, &turn, &[&original, &new]);
    assert!(again.complaint_ops.is_empty());
    let tapped = chat.press(&follow_id);
    assert_eq!(tapped.replies, turn.replies);
    assert!(tapped.complaint_ops.is_empty());
    assert_eq!(chat.stored(&original).version, before_original.version + 1);
    assert_eq!(chat.stored(&original).followers.len(), 1);
    assert_eq!(chat.stored(&new).version, before_new.version + 1);

    // The follower sees the original's public timeline, without actions on it.
    chat.now_ms += HOUR_MS;
    operator_sets(
        &mut chat,
        &original,
        Status::Diproses,
        Some("Perbaikan dijadwalkan Kamis."),
        Some("INTERNAL: anggaran pemeliharaan"),
    );
    let turn = chat.say(&format!("cek {original}"));
    let text = all_text(&turn);
    assert!(text.contains(&original), "{text}");
    assert!(text.contains(Status::Diproses.label()), "{text}");
    assert!(text.contains("Perbaikan dijadwalkan Kamis."), "{text}");
    assert!(text.contains(ct::FOLLOWER_NOTE), "{text}");
    for private in [THEIR_STORY, "Siti", "INTERNAL", "Warga lain ikut melapor"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let offered: Vec<String> = turn
        .replies
        .iter()
        .filter(|r| matches!(r, Reply::Buttons(_)))
        .flat_map(button_ids)
        .collect();
    assert!(offered
        .iter()
        .all(|id| !id.starts_with(cid::WITHDRAW_PREFIX)));
    let tapped = chat.tap(&format!("{}{original}", cid::TRACK_PREFIX));
    assert_eq!(tapped.replies, turn.replies);
    // Following gives no right to change it.
    let turn = chat.say(&format!("batalkan aduan {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);
    assert!(turn.complaint_ops.is_empty());

    // The citizen's own complaint says where it went.
    let text = all_text(&chat.say(&format!("cek {new}")));
    assert!(text.contains(Status::Dicabut.label()), "{text}");
    assert!(text.contains(&merged_note), "{text}");

    // Anyone else still gets "not found" for the original.
    let mut stranger = chat.beside("6287777777777");
    let turn = stranger.say(&format!("cek {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);
}

#[test]
fn tetap_terpisah_keeps_both_and_a_closed_original_cannot_be_followed() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let original = someone_elses(&mut chat, Privacy::Biasa);
    let new = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    link_duplicate(&mut chat, &new);
    let original_version = chat.stored(&original).version;

    let separate_id = format!("{}{new}", cid::SEPARATE_PREFIX);
    let turn = chat.press(&separate_id);
    assert_eq!(as_text(only(&turn)), ct::kept_separate(&new));
    let kept = updated(&turn);
    assert_eq!(kept.ticket, new);
    assert_eq!(kept.status, Status::Diterima);
    assert_eq!(kept.duplicate_of.as_deref(), Some(original.as_str()));
    let event = kept.events.last().expect("event");
    assert_eq!(event.public_note, None);
    assert!(event
        .internal_note
        .as_deref()
        .is_some_and(|n| n.contains(&original)));
    let version = chat.stored(&new).version;
    let again = redelivered_stores_nothing(
        &mut chat,
        button_tap,
        &separate_id,
        &turn,
        &[&original, &new],
    );
    assert!(again.complaint_ops.is_empty());
    let tapped = chat.press(&separate_id);
    assert_eq!(tapped.replies, turn.replies);
    assert!(tapped.complaint_ops.is_empty());
    assert_eq!(chat.stored(&new).version, version);
    assert_eq!(chat.stored(&original).version, original_version);
    assert!(chat.stored(&original).followers.is_empty());
    let turn = chat.say(&format!("cek {original}"));
    assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND);

    // The original closed in the meantime: following it is refused, nothing changes.
    operator_sets(
        &mut chat,
        &original,
        Status::BukanWewenang,
        Some("Jalan provinsi: silakan lapor ke UPT PJJ Jatim."),
        None,
    );
    let turn = chat.press(&format!("{}{new}", cid::FOLLOW_PREFIX));
    assert_eq!(
        as_text(only(&turn)),
        ct::follow_refused(&new, &original, Status::BukanWewenang)
    );
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.stored(&new).status, Status::Diterima);

    // A complaint without a link has nothing to follow.
    let lone = submit_one(
        &mut chat,
        "sampah",
        "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat",
    );
    let turn = chat.press(&format!("{}{lone}", cid::FOLLOW_PREFIX));
    assert_eq!(as_text(only(&turn)), ct::not_linked(&lone));
    assert!(turn.complaint_ops.is_empty());
}

#[test]
fn ikut_melapor_on_the_citizens_own_earlier_complaint_only_withdraws_the_new_one() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let first = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    chat.now_ms += DAY_MS;
    let second = submit_one(
        &mut chat,
        "jalan-rusak",
        "lubang di jalan depan rumah saya makin besar dan belum ditambal",
    );
    let (linked, offer) = link_duplicate(&mut chat, &second);
    assert_eq!(linked, first);
    assert!(
        body(&offer).contains("pernah Anda laporkan"),
        "{}",
        body(&offer)
    );

    let turn = chat.press(&format!("{}{second}", cid::FOLLOW_PREFIX));
    assert_eq!(body(only(&turn)), ct::following(&second, &first, true));
    let merged = updated(&turn);
    assert_eq!(merged.ticket, second);
    assert_eq!(merged.status, Status::Dicabut);
    assert!(chat.stored(&first).followers.is_empty());
}
