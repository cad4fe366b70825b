//! Tracking and withdrawing: the citizen sees and withdraws only their own complaints.

use prolink_app::render::reply_body;
use prolink_domain::{
    complaint::{self, Actor, Privacy, Rules, Sla, Status, Submission},
    dialog::{
        complaint_texts::{self as ct, ids as cid},
        reply::Reply,
        Turn,
    },
    nlp::{Engine, KnowledgeBase},
};

use super::chat::*;
use crate::support::seed;

#[test]
fn a_complaint_can_be_withdrawn_until_it_is_processed() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let confirm_id = format!("{}{ticket}", cid::WITHDRAW_PREFIX);

    let turn = chat.say(&format!("batalkan aduan {ticket}"));
    assert_eq!(body(only(&turn)), ct::withdraw_confirm(&ticket));
    assert_eq!(
        button_ids(only(&turn)),
        vec![confirm_id.clone(), cid::KEEP.to_string()]
    );
    assert!(turn.complaint_ops.is_empty());
    let turn = chat.press(cid::KEEP);
    assert_eq!(as_text(only(&turn)), ct::WITHDRAW_KEPT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.stored(&ticket).status, Status::Diterima);

    chat.say(&format!("cabut {}", ticket.to_lowercase()));
    let turn = chat.press(&confirm_id);
    assert_eq!(as_text(only(&turn)), ct::withdrawn(&ticket));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Dicabut);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Diterima));
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    assert_eq!(chat.stored(&ticket).status, Status::Dicabut);
    // Tapped again: the same answer, nothing more.
    let turn = chat.press(&confirm_id);
    assert_eq!(as_text(only(&turn)), ct::withdrawn(&ticket));
    assert!(turn.complaint_ops.is_empty());

    // Once processed, refused with the reason.
    let other = submit_one(
        &mut chat,
        "sampah",
        "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat",
    );
    let other_confirm = format!("{}{other}", cid::WITHDRAW_PREFIX);
    let turn = chat.say(&format!("batalkan aduan {other}"));
    assert_eq!(button_ids(only(&turn))[0], other_confirm);
    chat.now_ms += HOUR_MS;
    operator_sets(&mut chat, &other, Status::Diteruskan, None, None);
    operator_sets(&mut chat, &other, Status::Diproses, None, None);
    let refusal = ct::withdraw_refused(&other, Status::Diproses);
    let turn = chat.say(&format!("batalkan aduan {other}"));
    assert_eq!(as_text(only(&turn)), refusal);
    assert!(turn.complaint_ops.is_empty());
    // The confirmation button sent before the processing started is refused too.
    let turn = chat.press(&other_confirm);
    assert_eq!(as_text(only(&turn)), refusal);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.stored(&other).status, Status::Diproses);
    // The timeline no longer offers to withdraw it.
    let turn = chat.say(&format!("cek {other}"));
    let offered: Vec<String> = turn
        .replies
        .iter()
        .filter(|r| matches!(r, Reply::Buttons(_)))
        .flat_map(button_ids)
        .collect();
    assert!(!offered.contains(&other_confirm), "{offered:?}");
}

#[test]
fn tracking_shows_only_the_citizens_own_complaints() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    let turn = chat.say("cek aduan");
    assert_eq!(body(only(&turn)), ct::NO_COMPLAINTS);

    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let category = content.category("sampah").expect("category");
    let rules = Rules {
        sla: Sla::from(category),
        holidays: &content.holidays,
    };
    let theirs = complaint::submit(
        Submission {
            ticket: complaint::ticket_for("wamid.SOMEONE-ELSE", 0),
            citizen_key: "6289999999999".into(),
            reporter_name: Some("Siti".into()),
            category_id: category.id.clone(),
            opd_id: category.opd_id.clone(),
            description: "Sampah di depan rumah Siti tidak diangkut seminggu".into(),
            location: None,
            photos: Vec::new(),
            privacy: Privacy::Biasa,
            source_wamid: "wamid.SOMEONE-ELSE".into(),
            at_ms: chat.now_ms,
        },
        &rules,
    );
    let other = theirs.ticket.clone();
    chat.add(&theirs);
    let nowhere = complaint::ticket_for("wamid.NOWHERE", 0);
    assert!(chat.complaints().iter().all(|c| c.ticket != nowhere));

    // "cek aduan": the citizen's own list, with status and the next deadline.
    let turn = chat.say("cek aduan");
    let list = as_list(only(&turn));
    let own = chat.stored(&ticket);
    assert!(list.body.contains(&ticket), "{}", list.body);
    assert!(list.body.contains(own.status.label()));
    let next = ct::next_deadline_text(&own).expect("next deadline");
    assert!(list.body.contains(&next), "{}", list.body);
    assert!(!list.body.contains(&other));
    assert_eq!(
        row_ids(only(&turn)),
        vec![format!("{}{ticket}", cid::TRACK_PREFIX)]
    );
    let from_menu = chat.tap("menu.cek-aduan");
    assert_eq!(from_menu.replies, turn.replies);

    // One ticket: the public timeline, whatever the case or the dash.
    let timeline = chat.say(&format!("cek {ticket}"));
    let text = all_text(&timeline);
    assert!(text.contains(&ticket));
    assert!(text.contains(Status::Diterima.label()));
    assert!(text.contains(&next));
    // The OPD by the name the receipt gave, the deadline as the receipt wrote it.
    let opd = content.opd(&own.opd_id).expect("opd");
    assert!(
        text.contains(&format!("\nDitangani: {}\n", opd.name)),
        "{text}"
    );
    assert!(next.starts_with("Tanggapan paling lambat: "), "{next}");
    let code = &ticket[3..];
    for typed in [
        ticket.to_lowercase(),
        format!("cek ps{}", code.to_lowercase()),
        format!("Ps {code}"),
        format!("status aduan PS-{}?", code.to_lowercase()),
    ] {
        let turn = chat.say(&typed);
        assert_eq!(turn.replies, timeline.replies, "{typed}");
    }
    let tapped = chat.tap(&format!("{}{ticket}", cid::TRACK_PREFIX));
    assert_eq!(tapped.replies, timeline.replies);

    // Someone else's ticket gets exactly the "not found" of a ticket that does not exist.
    let built = |turn: &Turn| -> Vec<String> {
        turn.replies
            .iter()
            .map(|r| reply_body(r, &address()).expect("sendable").to_string())
            .collect()
    };
    let not_found = chat.say(&format!("cek {nowhere}"));
    assert_eq!(body(only(&not_found)), ct::TICKET_NOT_FOUND);
    for (others, none) in [
        (format!("cek {other}"), format!("cek {nowhere}")),
        (other.to_lowercase(), nowhere.to_lowercase()),
        (
            format!("batalkan aduan {other}"),
            format!("batalkan aduan {nowhere}"),
        ),
    ] {
        let a = chat.say(&others);
        let b = chat.say(&none);
        assert_eq!(built(&a), built(&b), "{others}");
        assert_eq!(built(&a), built(&not_found), "{others}");
        assert!(a.complaint_ops.is_empty());
    }
    for prefix in [cid::TRACK_PREFIX, cid::WITHDRAW_PREFIX] {
        let a = chat.press(&format!("{prefix}{other}"));
        let b = chat.press(&format!("{prefix}{nowhere}"));
        assert_eq!(built(&a), built(&b), "{prefix}");
        assert_eq!(built(&a), built(&not_found), "{prefix}");
        assert!(a.complaint_ops.is_empty());
    }
    assert_eq!(chat.stored(&other).status, Status::Diterima);
    assert_eq!(chat.stored(&other).version, 1);
}
