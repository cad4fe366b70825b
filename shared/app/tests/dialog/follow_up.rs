//! After the operator: *perlu dilengkapi* answers, the rating after *selesai*, *belum* reopening.

use prolink_domain::{
    complaint::{Actor, Privacy, Status},
    dialog::{
        complaint_texts::{self as ct, ids as cid},
        reply::Reply,
    },
    nlp::{Engine, KnowledgeBase},
};
use prolink_whatsapp::webhook::InboundMessage;

use super::chat::*;
use crate::support::seed;

#[test]
fn answers_to_perlu_dilengkapi_attach_to_the_ticket_and_resume_it() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);

    chat.now_ms += HOUR_MS;
    operator_sets(
        &mut chat,
        &ticket,
        Status::Diteruskan,
        None,
        Some("INTERNAL: diteruskan tanpa cek lapangan"),
    );
    chat.now_ms += HOUR_MS;
    operator_sets(
        &mut chat,
        &ticket,
        Status::PerluDilengkapi,
        Some("Mohon kirim patokan lokasi yang lebih jelas."),
        Some("INTERNAL: pelapor sudah tiga kali lapor"),
    );

    // Tracking while it waits tells the citizen that replies are attached; it adds nothing.
    chat.now_ms += DAY_MS;
    let turn = chat.say(&format!("cek {ticket}"));
    assert!(turn.complaint_ops.is_empty());
    let timeline = all_text(&turn);
    assert!(timeline.contains(ct::COMPLETE_REQUEST_HINT), "{timeline}");
    assert!(timeline.contains(Status::PerluDilengkapi.label()));

    // The first message answers the request: the ticket resumes where it stood.
    let answer = "Patokannya depan Toko Makmur, sebelah masjid Al-Ikhlas";
    let turn = chat.say(answer);
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, true));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Diteruskan);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::PerluDilengkapi));
    assert_eq!(event.to, Status::Diteruskan);
    assert_eq!(
        event.info.as_ref().and_then(|i| i.text.as_deref()),
        Some(answer)
    );
    let window = chat.session.attach.clone().expect("attach window");
    assert_eq!(window.ticket, ticket);
    assert_eq!(window.until_ms, chat.now_ms + ct::ATTACH_WINDOW_MS);
    assert_eq!(chat.session.flow, None);

    // The rest of the burst, within the window, adds without a status change.
    chat.now_ms += 5 * MINUTE_MS;
    let turn = chat.send(photo("media-extra"));
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, false));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Diteruskan);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Diteruskan));
    assert_eq!(event.to, Status::Diteruskan);
    assert!(changed.photos.iter().any(|p| p.media_id == "media-extra"));
    chat.now_ms += MINUTE_MS;
    let turn = chat.say("lubangnya juga makin lebar kalau hujan");
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, false));
    assert_eq!(updated(&turn).status, Status::Diteruskan);
    assert_eq!(chat.stored(&ticket).status, Status::Diteruskan);

    // The public timeline: status changes, public notes and additions; no internal note.
    let turn = chat.say(&format!("cek {ticket}"));
    let timeline = all_text(&turn);
    assert!(!timeline.contains("INTERNAL"), "{timeline}");
    assert!(timeline.contains("Mohon kirim patokan lokasi yang lebih jelas."));
    assert!(timeline.contains(Status::Diteruskan.label()));
    // Every addition shows as one; the one that resumed the ticket also names the status.
    assert_eq!(
        timeline
            .matches(&format!(
                "Informasi tambahan dari pelapor ({})",
                Status::Diteruskan.label()
            ))
            .count(),
        1,
        "{timeline}"
    );
    assert_eq!(
        timeline.matches("Informasi tambahan dari pelapor").count(),
        3,
        "{timeline}"
    );
    assert!(!timeline.contains(ct::COMPLETE_REQUEST_HINT));

    // After the window, messages are ordinary questions again.
    chat.now_ms += ct::ATTACH_WINDOW_MS;
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );
}

#[test]
fn sudah_asks_for_a_rating_that_closes_the_complaint_and_takes_one_comment() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    finish(&mut chat, &ticket);

    // The timeline of a finished complaint asks the same question as the notice.
    let turn = chat.say(&format!("cek {ticket}"));
    let offered: Vec<String> = turn
        .replies
        .iter()
        .filter(|r| matches!(r, Reply::Buttons(_)))
        .flat_map(button_ids)
        .collect();
    let solved = format!("{}{ticket}", cid::SOLVED_PREFIX);
    assert!(offered.contains(&solved), "{offered:?}");
    assert!(offered.contains(&format!("{}{ticket}", cid::UNSOLVED_PREFIX)));

    // Sudah: the 1–5 list; nothing changes yet.
    let turn = chat.press(&solved);
    assert!(turn.complaint_ops.is_empty());
    let list = as_list(only(&turn));
    assert!(list.body.contains(&ticket));
    let rows: Vec<(String, String)> = list
        .sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| (r.id.clone(), r.title.clone())))
        .collect();
    let expected: Vec<(String, String)> = (1..=5)
        .map(|n| (format!("aduan:nilai:{ticket}:{n}"), "⭐".repeat(n)))
        .collect();
    assert_eq!(rows, expected);

    // 4 stars: closed in one event, the rating kept; a comment is invited.
    let score_id = format!("aduan:nilai:{ticket}:4");
    let turn = chat.tap(&score_id);
    assert_eq!(as_text(only(&turn)), ct::rated(&ticket, 4, true));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Ditutup);
    let rating = changed.rating.clone().expect("rating");
    assert_eq!((rating.score, rating.comment.as_deref()), (4, None));
    assert_eq!(rating.at_ms, chat.now_ms);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Selesai));
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    assert_eq!(event.public_note.as_deref(), Some("Dinilai pelapor: 4/5"));
    assert_eq!(changed.next_due_ms, None);
    let window = chat.session.rating_comment.clone().expect("comment window");
    assert_eq!(window.ticket, ticket);
    assert_eq!(window.until_ms, chat.now_ms + ct::ATTACH_WINDOW_MS);

    // The same tap redelivered: the same answer, nothing stored twice.
    redelivered_stores_nothing(&mut chat, list_tap, &score_id, &turn, &[&ticket]);

    // The next text within 15 minutes is the comment.
    chat.now_ms += 3 * MINUTE_MS;
    let comment = "Petugasnya cepat, tapi tambalannya kurang rata";
    let turn = chat.say(comment);
    assert_eq!(as_text(only(&turn)), ct::COMMENT_THANKS);
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::Ditutup);
    let rating = changed.rating.clone().expect("rating");
    assert_eq!(
        (rating.score, rating.comment.as_deref()),
        (4, Some(comment))
    );
    let event = changed.events.last().expect("event");
    assert_eq!(
        (event.from, event.to),
        (Some(Status::Ditutup), Status::Ditutup)
    );
    assert_eq!(
        event.info.as_ref().and_then(|i| i.text.as_deref()),
        Some(comment)
    );
    assert_eq!(chat.session.rating_comment, None);

    // Only one comment: the next message is an ordinary question.
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );

    // The timeline shows the rating and the comment, never the internal note.
    let text = all_text(&chat.say(&format!("cek {ticket}")));
    assert!(text.contains("Dinilai pelapor: 4/5"), "{text}");
    assert!(text.contains("Komentar penilaian dari pelapor"), "{text}");
    assert!(text.contains(Status::Ditutup.label()));
    assert!(!text.contains("INTERNAL"));

    // Rated once: later taps say so and change nothing.
    for (tap, id) in [
        (list_tap as fn(&str) -> InboundMessage, solved.clone()),
        (list_tap, format!("aduan:nilai:{ticket}:5")),
    ] {
        let turn = chat.send(tap(&id));
        assert!(turn.complaint_ops.is_empty(), "{id}");
        let text = as_text(only(&turn));
        assert!(text.contains("sudah Anda nilai (4/5)"), "{text}");
    }
    assert_eq!(
        chat.stored(&ticket).rating.as_ref().map(|r| r.score),
        Some(4)
    );
}

#[test]
fn the_comment_invitation_can_be_declined_and_lapses_after_15_minutes() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let first = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    let second = submit_one(
        &mut chat,
        "sampah",
        "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat",
    );
    finish(&mut chat, &first);
    finish(&mut chat, &second);

    chat.tap(&format!("aduan:nilai:{first}:5"));
    let turn = chat.say("tidak");
    assert_eq!(as_text(only(&turn)), ct::COMMENT_SKIPPED);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        chat.stored(&first).rating.as_ref().map(|r| r.score),
        Some(5)
    );
    assert_eq!(
        chat.stored(&first)
            .rating
            .as_ref()
            .and_then(|r| r.comment.clone()),
        None
    );

    chat.tap(&format!("aduan:nilai:{second}:1"));
    assert!(chat.session.rating_comment.is_some());
    chat.now_ms += ct::ATTACH_WINDOW_MS;
    let turn = chat.say("apa saja syarat bikin KTP-el baru?");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        as_text(only(&turn)),
        answer_of("kependudukan.ktp-el-baru", &content)
    );
    assert_eq!(chat.session.rating_comment, None);
    assert_eq!(
        chat.stored(&second)
            .rating
            .as_ref()
            .and_then(|r| r.comment.clone()),
        None
    );
}

#[test]
fn ratings_out_of_range_before_selesai_or_on_someone_elses_ticket_are_refused() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);

    // Not finished yet.
    for id in [
        format!("{}{ticket}", cid::SOLVED_PREFIX),
        format!("aduan:nilai:{ticket}:5"),
        format!("{}{ticket}", cid::UNSOLVED_PREFIX),
    ] {
        let turn = chat.press(&id);
        assert!(turn.complaint_ops.is_empty(), "{id}");
        let text = as_text(only(&turn));
        assert!(text.contains("belum selesai ditangani"), "{id}: {text}");
    }

    // Out of range or garbled.
    finish(&mut chat, &ticket);
    for score in ["0", "6", "x", "300", ""] {
        let turn = chat.tap(&format!("aduan:nilai:{ticket}:{score}"));
        assert!(turn.complaint_ops.is_empty(), "{score}");
        assert_eq!(turn.replies.len(), 2, "{score}");
        assert_eq!(as_text(&turn.replies[0]), ct::SCORE_INVALID);
        assert_eq!(row_ids(&turn.replies[1]).len(), 5);
    }
    assert_eq!(chat.stored(&ticket).status, Status::Selesai);

    // Someone else's finished complaint: "not found", like a ticket that does not exist.
    let theirs = someone_elses(&mut chat, Privacy::Biasa);
    chat.now_ms += HOUR_MS;
    operator_sets(&mut chat, &theirs, Status::Diproses, None, None);
    operator_sets(
        &mut chat,
        &theirs,
        Status::Selesai,
        Some("Sudah ditambal."),
        None,
    );
    let version = chat.stored(&theirs).version;
    for id in [
        format!("{}{theirs}", cid::SOLVED_PREFIX),
        format!("aduan:nilai:{theirs}:1"),
        format!("{}{theirs}", cid::UNSOLVED_PREFIX),
        format!("{}{theirs}", cid::FOLLOW_PREFIX),
        format!("{}{theirs}", cid::SEPARATE_PREFIX),
    ] {
        let turn = chat.press(&id);
        assert!(turn.complaint_ops.is_empty(), "{id}");
        assert_eq!(body(only(&turn)), ct::TICKET_NOT_FOUND, "{id}");
    }
    assert_eq!(chat.stored(&theirs).version, version);
    assert_eq!(chat.stored(&theirs).status, Status::Selesai);
}

#[test]
fn belum_reopens_the_complaint_and_what_follows_attaches_to_it() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(&mut chat, "jalan-rusak", POTHOLE);
    finish(&mut chat, &ticket);

    let unsolved = format!("{}{ticket}", cid::UNSOLVED_PREFIX);
    let turn = chat.press(&unsolved);
    assert_eq!(as_text(only(&turn)), ct::reopened(&ticket));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::DibukaKembali);
    let event = changed.events.last().expect("event");
    assert_eq!(event.from, Some(Status::Selesai));
    assert_eq!(event.actor, Actor::citizen("6281234567890"));
    assert_eq!(
        event.public_note.as_deref(),
        Some("Pelapor menyatakan belum selesai.")
    );
    let window = chat.session.attach.clone().expect("attach window");
    assert_eq!(window.ticket, ticket);

    // Redelivered: the same answer, nothing more.
    redelivered_stores_nothing(&mut chat, button_tap, &unsolved, &turn, &[&ticket]);

    // What the citizen sends next is added to the reopened complaint.
    chat.now_ms += 2 * MINUTE_MS;
    let detail = "Tambalannya sudah ambles lagi setelah hujan semalam";
    let turn = chat.say(detail);
    assert_eq!(as_text(only(&turn)), ct::info_attached(&ticket, false));
    let changed = updated(&turn);
    assert_eq!(changed.status, Status::DibukaKembali);
    let event = changed.events.last().expect("event");
    assert_eq!(
        event.info.as_ref().and_then(|i| i.text.as_deref()),
        Some(detail)
    );
    chat.now_ms += MINUTE_MS;
    let turn = chat.send(photo("media-ambles"));
    assert!(updated(&turn)
        .photos
        .iter()
        .any(|p| p.media_id == "media-ambles"));

    // A second Belum (or Sudah) says it is being handled again.
    let turn = chat.press(&unsolved);
    assert!(turn.complaint_ops.is_empty());
    assert!(as_text(only(&turn)).contains("dibuka kembali"));
    let turn = chat.press(&format!("{}{ticket}", cid::SOLVED_PREFIX));
    assert!(turn.complaint_ops.is_empty());
    assert!(as_text(only(&turn)).contains("dibuka kembali"));

    let text = all_text(&chat.say(&format!("cek {ticket}")));
    assert!(text.contains(Status::DibukaKembali.label()), "{text}");
    assert!(text.contains("Pelapor menyatakan belum selesai."), "{text}");

    // Finished again: the question is asked again, and a rating now closes it.
    operator_sets(
        &mut chat,
        &ticket,
        Status::Selesai,
        Some("Ditambal ulang dengan aspal hotmix."),
        None,
    );
    let turn = chat.tap(&format!("aduan:nilai:{ticket}:5"));
    assert_eq!(updated(&turn).status, Status::Ditutup);
}

#[test]
fn a_photo_sent_after_a_failed_copy_joins_that_complaint() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let ticket = submit_one(
        &mut chat,
        "jalan-rusak",
        "Jalan berlubang besar di depan pasar, sudah seminggu",
    );
    // The complaint worker could not copy the photo and asked for it again.
    let mut stored = chat.stored(&ticket);
    stored.photos.push(prolink_domain::complaint::Photo {
        media_id: "media-lost".into(),
        mime_type: Some("image/jpeg".into()),
        sha256: None,
        caption: None,
        stored_key: None,
        fetch_error: Some("Foto tidak bisa diunduh lagi".into()),
    });
    chat.write(&stored);
    let turn = chat.send(photo("media-again"));
    let changed = updated(&turn);
    assert_eq!(changed.ticket, ticket);
    assert!(changed.photos.iter().any(|p| p.media_id == "media-again"));
    assert!(all_text(&turn).contains(&ticket));
}
