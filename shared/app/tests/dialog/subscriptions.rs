//! Subscriptions: opting in by topic and out with STOP.

use prolink_domain::{
    dialog::{
        texts::{self, ids},
        ComplaintDraft, Flow,
    },
    nlp::{Engine, KnowledgeBase},
};

use super::chat::*;
use crate::support::seed;

#[test]
fn opt_in_by_choosing_topics_and_opt_out_with_stop() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);

    let turn = chat.say("mulai");
    let rows = row_ids(only(&turn));
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0], "topic:pengumuman-umum");
    assert_eq!(rows[9], "page:topik:2");
    assert!(as_list(only(&turn)).body.contains("belum berlangganan"));
    assert!(!chat.profile.broadcast_opt_in);

    let turn = chat.tap("topic:kesehatan");
    assert_eq!(
        button_ids(only(&turn)),
        vec![ids::DONE.to_string(), ids::TOPICS.to_string()]
    );
    assert!(only(&turn)
        .plain_text()
        .contains("*Info Kesehatan* ditambahkan"));
    assert!(chat.profile.broadcast_opt_in);
    assert_eq!(chat.profile.topics, vec!["kesehatan"]);

    let page2 = chat.tap("page:topik:2");
    assert_eq!(row_ids(only(&page2)).len(), 6);
    assert!(as_list(only(&page2)).body.contains("Info Kesehatan"));
    chat.tap("topic:kecamatan:wonoasih");
    // A typed topic name works too, in any case.
    chat.say("info PAJAK daerah");
    chat.tap("topic:pengumuman-umum");
    assert_eq!(
        chat.profile.topics,
        vec![
            "pengumuman-umum",
            "kesehatan",
            "pajak",
            "kecamatan:wonoasih"
        ]
    );
    let turn = chat.tap("topic:kesehatan");
    assert!(only(&turn).plain_text().contains("dihapus"));

    let turn = chat.say("selesai");
    let text = as_text(only(&turn));
    assert!(text.contains("Pengumuman Umum, Info Pajak Daerah, Kecamatan Wonoasih"));
    assert_eq!(chat.session.flow, None);
    assert!(chat.profile.broadcast_opt_in);

    // STOP: no more broadcasts, complaint notifications go on.
    let turn = chat.say("STOP");
    assert_eq!(as_text(only(&turn)), texts::STOP_DONE);
    assert!(as_text(only(&turn)).contains("Notifikasi aduan"));
    assert!(!chat.profile.broadcast_opt_in);
    assert!(chat.profile.topics.is_empty());

    // Removing the last topic opts out as well.
    chat.tap("topic:sosial");
    assert!(chat.profile.broadcast_opt_in);
    chat.tap("topic:sosial");
    assert!(!chat.profile.broadcast_opt_in);
    let turn = chat.send(button_tap(ids::DONE));
    assert!(as_text(only(&turn)).contains("belum memilih topik"));
}

#[test]
fn stop_does_not_cancel_a_complaint_form() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.profile.broadcast_opt_in = true;
    chat.profile.topics = vec!["kesehatan".into()];
    let form = Flow::Complaint(ComplaintDraft {
        category: Some("jalan-rusak".into()),
        ..ComplaintDraft::default()
    });
    chat.session.flow = Some(form.clone());
    chat.say("berhenti");
    assert_eq!(chat.session.flow, Some(form));
    assert!(!chat.profile.broadcast_opt_in);
}
