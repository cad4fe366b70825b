//! The complaint form: consent, category, description, location, photos, summary and *Kirim*.

use prolink_domain::{
    calendar,
    complaint::{self, ComplaintLocation, Privacy, Status},
    content::ListKey,
    dialog::{
        complaint_texts::{self as ct, ids as cid},
        reply::{list_from_page, Reply},
        texts::{self, ids},
        ComplaintDraft, DraftStep, Flow,
    },
    nlp::{Engine, KnowledgeBase},
};

use prolink_whatsapp::webhook::{Media, MessageContent};

use super::chat::*;
use crate::support::seed;

#[test]
fn a_complaint_from_the_menu_with_a_pin_and_two_photos_is_created_with_its_deadlines() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let category = content.category("jalan-rusak").expect("category");
    assert!(category.requires_location);

    // The privacy notice comes before the first question.
    let turn = chat.tap("menu.aduan");
    assert_eq!(body(only(&turn)), ct::privacy_notice(90));
    assert_eq!(
        button_ids(only(&turn)),
        vec![cid::CONSENT_YES.to_string(), cid::CONSENT_NO.to_string()]
    );
    assert_eq!(chat.profile.privacy_consent_ms, None);

    // Consent is recorded, then the categories are listed, paged.
    let turn = chat.press(cid::CONSENT_YES);
    assert_eq!(chat.profile.privacy_consent_ms, Some(chat.now_ms));
    assert_eq!(turn.replies.len(), 3, "{:#?}", turn.replies);
    assert_eq!(as_text(&turn.replies[0]), ct::CONSENT_THANKS);
    assert_eq!(as_text(&turn.replies[1]), ct::CATEGORY_HINT);
    let first_page = list_from_page(
        content
            .list_page(&ListKey::ComplaintCategories, 1)
            .expect("page"),
    );
    let rows = row_ids(&turn.replies[2]);
    assert_eq!(as_list(&turn.replies[2]), &first_page);
    assert_eq!(rows.len(), 10);
    let more = rows[9].clone();
    let second = chat.tap(&more);
    let second_rows = row_ids(only(&second));
    let all: Vec<String> = content
        .categories
        .iter()
        .map(|c| format!("complaint:{}", c.id))
        .collect();
    assert_eq!(rows[..9], all[..9]);
    assert!(second_rows.starts_with(&all[9..]), "{second_rows:?}");
    assert_eq!(draft(&chat).step, DraftStep::Category);

    let turn = chat.tap("complaint:jalan-rusak");
    assert_eq!(as_text(only(&turn)), ct::DESCRIPTION_ASK);
    let description = "Aspal di Jl. Suroyo mengelupas dan berlubang sedalam 20 cm sejak dua minggu";
    let turn = chat.say(description);
    assert_eq!(only(&turn), &Reply::LocationRequest(ct::location_ask(true)));

    let turn = chat.send(pin_message());
    assert_eq!(body(only(&turn)), ct::photos_ask(0));
    assert_eq!(button_ids(only(&turn)), vec![cid::PHOTOS_DONE.to_string()]);
    chat.send(photo("media-1"));
    let captioned = message(MessageContent::Image(Media {
        id: "media-2".into(),
        caption: Some("Lubang *sedalam* lutut,\ndekat _gapura_".into()),
        ..media()
    }));
    let turn = chat.send(captioned);
    assert_eq!(body(only(&turn)), ct::photos_ask(2));
    let turn = chat.press(cid::PHOTOS_DONE);
    assert_eq!(body(only(&turn)), ct::PRIVACY_ASK);
    assert_eq!(
        button_ids(only(&turn)),
        vec![
            cid::PRIVACY_BIASA.to_string(),
            cid::PRIVACY_ANONIM.to_string(),
            cid::PRIVACY_RAHASIA.to_string()
        ]
    );

    // The summary, with the category's notice (expected handling time) before sending.
    let turn = chat.press(cid::PRIVACY_BIASA);
    assert_eq!(turn.replies.len(), 2);
    let summary = as_text(&turn.replies[0]);
    // The category by the name the list showed, the caption as plain text on its own line.
    let row_title = &first_page
        .sections
        .iter()
        .flat_map(|section| &section.rows)
        .find(|row| row.id == "complaint:jalan-rusak")
        .expect("listed")
        .title;
    assert!(
        summary.contains(&format!("*Kategori:* {row_title}\n")),
        "{summary}"
    );
    assert!(summary.contains(description), "{summary}");
    assert!(summary.contains("Depan Toko Makmur"), "{summary}");
    assert!(
        summary.contains("*Foto:* 2 foto\n   • “Lubang sedalam lutut, dekat gapura”\n"),
        "{summary}"
    );
    assert!(summary.contains(Privacy::Biasa.label()), "{summary}");
    assert!(body(&turn.replies[1]).contains(category.notice.trim()));
    assert_eq!(
        button_ids(&turn.replies[1]),
        vec![
            cid::SUBMIT.to_string(),
            cid::EDIT.to_string(),
            ids::CANCEL.to_string()
        ]
    );
    assert!(turn.complaint_ops.is_empty());

    let before_submit = (chat.session.clone(), chat.profile.clone());
    let turn = chat.press(cid::SUBMIT);
    let new = created(&turn);
    let submit_id = chat.last_id.clone();
    let ticket = complaint::ticket_for(&submit_id, 0);
    assert_eq!(new.ticket, ticket);
    assert_eq!(
        complaint::find_ticket(&ticket).as_deref(),
        Some(ticket.as_str())
    );
    assert_eq!(new.citizen_key, "6281234567890");
    assert_eq!(new.reporter_name.as_deref(), Some("Budi"));
    assert_eq!(new.category_id, "jalan-rusak");
    assert_eq!(new.opd_id, category.opd_id);
    assert_eq!(new.description, description);
    assert_eq!(new.location, Some(pinned()));
    let media_ids: Vec<&str> = new.photos.iter().map(|p| p.media_id.as_str()).collect();
    assert_eq!(media_ids, vec!["media-1", "media-2"]);
    assert_eq!(new.privacy, Privacy::Biasa);
    assert_eq!(new.status, Status::Diterima);
    assert_eq!(new.received_ms, chat.now_ms);
    assert_eq!(new.source_wamid, submit_id);
    let received = calendar::wib_date(chat.now_ms);
    let response = calendar::add_working_days(
        received,
        category.sla_working_days_response,
        &content.holidays,
    )
    .value;
    let resolution = calendar::add_working_days(
        received,
        category.sla_working_days_resolution,
        &content.holidays,
    )
    .value;
    assert_eq!(new.deadlines.response_date, Some(response));
    assert_eq!(new.deadlines.resolution_date, Some(resolution));
    assert!(turn.calendar_gaps.is_empty());

    let opd = content.opd(&category.opd_id).expect("opd").name.clone();
    let confirmation = body(only(&turn));
    assert_eq!(
        confirmation,
        ct::submitted(
            &ticket,
            &opd,
            &calendar::format_date_id(response),
            Privacy::Biasa
        )
    );
    assert!(confirmation.contains(&ticket));
    assert!(confirmation.contains(&opd));
    assert!(
        confirmation.contains("Kamis, 3 Desember 2026"),
        "{confirmation}"
    );
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint, None);
    assert_eq!(chat.complaints().len(), 1);

    // A redelivered *Kirim* (the session save was lost): the same ticket, nothing new.
    chat.session = before_submit.0;
    chat.profile = before_submit.1;
    let mut again = button_tap(cid::SUBMIT);
    again.id = submit_id;
    let turn = chat.deliver(again);
    let repeated = created(&turn);
    assert_eq!(repeated, new);
    assert_eq!(chat.complaints().len(), 1);
    assert_eq!(chat.complaints()[0].version, 1);

    // *Kirim* tapped once more: the list with the ticket, not a new form.
    let turn = chat.press(cid::SUBMIT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(
        row_ids(only(&turn)),
        vec![format!("{}{ticket}", cid::TRACK_PREFIX)]
    );
    assert_eq!(chat.session.flow, None);
}

#[test]
fn a_free_text_complaint_preselects_its_category_and_keeps_the_words_as_description() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    let category = content.category("jalan-rusak").expect("category");

    let turn = chat.say(POTHOLE);
    assert_eq!(
        body(only(&turn)),
        ct::confirm_category(&category.short_name, &category.short_description)
    );
    assert_eq!(
        button_ids(only(&turn)),
        vec![
            cid::CATEGORY_OK.to_string(),
            cid::CATEGORY_OTHER.to_string()
        ]
    );
    let form = draft(&chat);
    assert_eq!(form.step, DraftStep::ConfirmCategory);
    assert_eq!(form.category.as_deref(), Some("jalan-rusak"));
    assert!(!form.category_confirmed);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));

    // Confirmed: the description is not asked again.
    let turn = chat.press(cid::CATEGORY_OK);
    assert_eq!(only(&turn), &Reply::LocationRequest(ct::location_ask(true)));

    // A typed address: too short is asked again, a real one is kept as typed.
    let turn = chat.say("sini");
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), ct::LOCATION_TOO_SHORT);
    assert!(matches!(turn.replies[1], Reply::LocationRequest(_)));
    assert_eq!(draft(&chat).location, None);
    let address = "Jl. Mastrip gang 3 RT 02 RW 05, Kelurahan Kedopok";
    let turn = chat.say(address);
    assert_eq!(body(only(&turn)), ct::photos_ask(0));
    assert_eq!(
        draft(&chat).location,
        Some(ComplaintLocation::Typed {
            text: address.to_string()
        })
    );
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_ANONIM);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.category_id, "jalan-rusak");
    assert_eq!(new.description, POTHOLE);
    assert_eq!(
        new.location,
        Some(ComplaintLocation::Typed {
            text: address.to_string()
        })
    );
    assert!(new.photos.is_empty());
    assert_eq!(new.privacy, Privacy::Anonim);

    // "Pilih kategori lain": the list, and the description already given stays.
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.say(POTHOLE);
    let turn = chat.press(cid::CATEGORY_OTHER);
    assert_eq!(as_text(&turn.replies[0]), ct::CATEGORY_HINT);
    assert!(matches!(turn.replies[1], Reply::List(_)));
    assert_eq!(draft(&chat).category, None);
    let turn = chat.tap("complaint:fasilitas-umum");
    assert!(matches!(only(&turn), Reply::LocationRequest(_)));
    let form = draft(&chat);
    assert_eq!(form.category.as_deref(), Some("fasilitas-umum"));
    assert!(form.category_confirmed);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
}

#[test]
fn a_required_location_cannot_be_skipped_an_optional_one_can() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));

    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    for skip in ["lewati", "LEWATI", "tidak ada"] {
        let turn = chat.say(skip);
        assert_eq!(turn.replies.len(), 2, "{skip}");
        assert_eq!(as_text(&turn.replies[0]), ct::LOCATION_REQUIRED);
        assert_eq!(
            turn.replies[1],
            Reply::LocationRequest(ct::location_ask(true))
        );
        let form = draft(&chat);
        assert_eq!(form.step, DraftStep::Location);
        assert!(!form.location_skipped);
    }
    chat.press(cid::SKIP_LOCATION);
    assert_eq!(draft(&chat).step, DraftStep::Location);

    let optional = content
        .categories
        .iter()
        .find(|c| !c.requires_location && !c.emergency)
        .expect("a category without a required location");
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap(&format!("complaint:{}", optional.id));
    let turn = chat.say("petugas meminta uang tambahan supaya berkas cepat selesai diproses");
    assert_eq!(
        only(&turn),
        &Reply::LocationRequest(ct::location_ask(false))
    );
    let turn = chat.say("lewati");
    assert_eq!(body(only(&turn)), ct::photos_ask(0));
    assert!(draft(&chat).location_skipped);
    chat.press(cid::PHOTOS_DONE);
    let turn = chat.press(cid::PRIVACY_RAHASIA);
    assert!(as_text(&turn.replies[0]).contains("(tanpa lokasi)"));
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.category_id, optional.id);
    assert_eq!(new.opd_id, optional.opd_id);
    assert_eq!(new.location, None);
    assert_eq!(new.privacy, Privacy::Rahasia);
}

#[test]
fn a_too_short_description_is_asked_again() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:sampah");
    // Under 20 characters, or under 3 words however long.
    for short in [
        "rusak",
        "sampah numpuk bgt",
        "sampahnyaaaaa numpukkkkkkkkkk",
    ] {
        let turn = chat.say(short);
        assert_eq!(as_text(only(&turn)), ct::DESCRIPTION_TOO_SHORT, "{short}");
        let form = draft(&chat);
        assert_eq!(form.step, DraftStep::Description);
        assert_eq!(form.description, None);
    }
    let long = "x ".repeat(ct::DESCRIPTION_MAX_CHARS);
    let turn = chat.say(&long);
    assert!(as_text(only(&turn)).contains(&ct::DESCRIPTION_MAX_CHARS.to_string()));
    assert_eq!(draft(&chat).description, None);

    let enough = "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat";
    let turn = chat.say(enough);
    assert!(matches!(only(&turn), Reply::LocationRequest(_)));
    assert_eq!(draft(&chat).description.as_deref(), Some(enough));
}

#[test]
fn cancel_in_the_middle_of_the_form_discards_it() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    chat.send(photo("media-1"));
    assert_eq!(draft(&chat).step, DraftStep::Location);

    let turn = chat.say("batal");
    assert_eq!(as_text(only(&turn)), texts::CANCEL_COMPLAINT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint, None);
    assert!(chat.complaints().is_empty());

    // Starting again starts empty.
    let turn = chat.tap("menu.aduan");
    assert!(!all_text(&turn).contains(ct::FORM_CONTINUES));
    assert_eq!(
        draft(&chat),
        ComplaintDraft {
            step: DraftStep::Category,
            ..ComplaintDraft::default()
        }
    );

    // The summary's *Batal* button does the same.
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    let turn = chat.press(ids::CANCEL);
    assert_eq!(as_text(only(&turn)), texts::CANCEL_COMPLAINT);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
}

#[test]
fn an_emergency_in_the_form_answers_112_and_keeps_the_form_for_later() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    chat.say(POTHOLE);
    chat.send(photo("media-1"));
    let kept = draft(&chat);
    assert_eq!(kept.step, DraftStep::Location);

    let turn = chat.say("tolong ada kebakaran di rumah tetangga");
    let text = as_text(only(&turn));
    assert!(text.starts_with(texts::EMERGENCY_HEAD), "{text}");
    assert!(text.contains("112"));
    assert!(text.ends_with(ct::EMERGENCY_FORM_SUSPENDED), "{text}");
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint.as_ref(), Some(&kept));

    // *Buat Aduan* continues where it stopped, with everything kept.
    chat.now_ms += HOUR_MS;
    let turn = chat.press(ids::COMPLAINT);
    assert_eq!(turn.replies.len(), 2, "{:#?}", turn.replies);
    assert_eq!(as_text(&turn.replies[0]), ct::FORM_CONTINUES);
    assert_eq!(
        turn.replies[1],
        Reply::LocationRequest(ct::location_ask(true))
    );
    assert_eq!(draft(&chat), kept);
    assert_eq!(chat.session.suspended_complaint, None);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.description, POTHOLE);
    assert_eq!(new.photos.len(), 1);
    assert_eq!(new.location, Some(pinned()));

    // The emergency category never opens a form: 112, and the form is set aside.
    chat.tap("complaint:sampah");
    let turn = chat.tap("complaint:darurat-112");
    assert!(as_text(only(&turn)).starts_with(texts::EMERGENCY_HEAD));
    assert_eq!(chat.session.flow, None);
    let suspended = chat.session.suspended_complaint.clone().expect("kept");
    assert_eq!(suspended.category.as_deref(), Some("sampah"));
}

#[test]
fn declining_the_privacy_notice_ends_the_form_without_a_complaint() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say(POTHOLE);
    assert!(asks_consent(&turn));
    assert!(chat.session.flow.is_some());

    let turn = chat.press(cid::CONSENT_NO);
    assert_eq!(body(only(&turn)), ct::CONSENT_DECLINED);
    assert_eq!(button_ids(only(&turn)), vec![ids::MENU.to_string()]);
    assert!(turn.complaint_ops.is_empty());
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.session.suspended_complaint, None);
    assert_eq!(chat.profile.privacy_consent_ms, None);

    // Asked again next time; a typed "tidak setuju" declines too.
    let turn = chat.tap("menu.aduan");
    assert!(asks_consent(&turn));
    let turn = chat.say("tidak setuju");
    assert_eq!(body(only(&turn)), ct::CONSENT_DECLINED);
    assert_eq!(chat.session.flow, None);
    assert_eq!(chat.profile.privacy_consent_ms, None);
    assert!(chat.complaints().is_empty());
}

#[test]
fn consent_is_asked_once_per_citizen() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.tap("menu.aduan");
    assert!(asks_consent(&turn));
    let consent_at = chat.now_ms;
    chat.press(cid::CONSENT_YES);
    submit_one(&mut chat, "jalan-rusak", POTHOLE);

    chat.now_ms += 3 * DAY_MS;
    let turn = chat.tap("menu.aduan");
    assert!(!asks_consent(&turn), "{:#?}", turn.replies);
    assert_eq!(as_text(&turn.replies[0]), ct::CATEGORY_HINT);
    chat.say("batal");
    let turn = chat.say(POTHOLE);
    assert!(!asks_consent(&turn));
    assert_eq!(draft(&chat).step, DraftStep::ConfirmCategory);
    chat.press(cid::CATEGORY_OK);
    chat.send(pin_message());
    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    created(&chat.press(cid::SUBMIT));
    assert_eq!(chat.complaints().len(), 2);
    assert_eq!(chat.profile.privacy_consent_ms, Some(consent_at));
}

#[test]
fn a_burst_of_text_photo_and_location_lands_in_the_form_in_order() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:jalan-rusak");
    assert_eq!(draft(&chat).step, DraftStep::Description);

    // Sent within seconds: each one is a turn on the session the previous one left.
    let turn = chat.say(POTHOLE);
    assert!(matches!(only(&turn), Reply::LocationRequest(_)));
    chat.now_ms += 2_000;
    let turn = chat.send(photo("media-1"));
    // The photo is kept while the location is still asked for.
    assert_eq!(only(&turn), &Reply::LocationRequest(ct::location_ask(true)));
    let form = draft(&chat);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
    assert_eq!(form.photos.len(), 1);
    chat.now_ms += 2_000;
    let turn = chat.send(pin_message());
    assert_eq!(body(only(&turn)), ct::photos_ask(1));
    let form = draft(&chat);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
    assert_eq!(form.photos[0].media_id, "media-1");
    assert_eq!(form.location, Some(pinned()));
    assert_eq!(form.step, DraftStep::Photos);

    chat.press(cid::PHOTOS_DONE);
    chat.press(cid::PRIVACY_BIASA);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.description, POTHOLE);
    assert_eq!(new.photos.len(), 1);
    assert_eq!(new.photos[0].media_id, "media-1");
    assert_eq!(new.location, Some(pinned()));

    // A burst opening the form from nothing: text, photo, location, all before consent.
    let mut chat = Chat::new(&content, &answerer);
    chat.say(POTHOLE);
    chat.send(photo("media-9"));
    chat.send(pin_message());
    let turn = chat.press(cid::CONSENT_YES);
    assert!(all_text(&turn).contains(&content.category("jalan-rusak").expect("c").short_name));
    chat.press(cid::CATEGORY_OK);
    let form = draft(&chat);
    assert_eq!(form.step, DraftStep::Photos);
    assert_eq!(form.description.as_deref(), Some(POTHOLE));
    assert_eq!(form.photos[0].media_id, "media-9");
    assert_eq!(form.location, Some(pinned()));
}

#[test]
fn ubah_changes_the_description_and_returns_to_the_summary() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    fill_form(&mut chat, "jalan-rusak", POTHOLE);

    let turn = chat.press(cid::EDIT);
    let list = as_list(only(&turn));
    assert_eq!(list.body, ct::EDIT_ASK);
    assert_eq!(
        row_ids(only(&turn)),
        vec![
            cid::EDIT_CATEGORY,
            cid::EDIT_DESCRIPTION,
            cid::EDIT_LOCATION,
            cid::EDIT_PHOTOS,
            cid::EDIT_PRIVACY
        ]
    );
    let turn = chat.tap(cid::EDIT_DESCRIPTION);
    assert_eq!(as_text(only(&turn)), ct::DESCRIPTION_ASK);

    let better = "Lubang di Jl. Suroyo depan Toko Makmur, lebar satu meter, dua motor jatuh";
    let turn = chat.say(better);
    assert_eq!(turn.replies.len(), 2);
    let summary = as_text(&turn.replies[0]);
    assert!(summary.contains(better), "{summary}");
    assert!(!summary.contains(POTHOLE), "{summary}");
    assert!(
        summary.contains("Depan Toko Makmur"),
        "location kept: {summary}"
    );
    assert_eq!(
        button_ids(&turn.replies[1]),
        vec![
            cid::SUBMIT.to_string(),
            cid::EDIT.to_string(),
            ids::CANCEL.to_string()
        ]
    );
    assert_eq!(draft(&chat).step, DraftStep::Summary);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.description, better);
    assert_eq!(new.location, Some(pinned()));
}

#[test]
fn a_fourth_photo_is_refused() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:sampah");
    chat.say("TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat");
    chat.send(pin_message());
    chat.send(photo("media-1"));
    chat.send(photo("media-2"));
    // The third photo completes them: the next question comes.
    let turn = chat.send(photo("media-3"));
    assert_eq!(body(only(&turn)), ct::PRIVACY_ASK);

    let turn = chat.send(photo("media-4"));
    assert_eq!(turn.replies.len(), 2);
    assert_eq!(as_text(&turn.replies[0]), ct::PHOTOS_FULL);
    assert_eq!(body(&turn.replies[1]), ct::PRIVACY_ASK);
    let kept: Vec<String> = draft(&chat)
        .photos
        .iter()
        .map(|p| p.media_id.clone())
        .collect();
    assert_eq!(kept, vec!["media-1", "media-2", "media-3"]);
    // The same photo delivered twice is attached once.
    let mut chat2 = Chat::new(&content, &answerer);
    consented(&mut chat2);
    chat2.tap("complaint:sampah");
    chat2.send(photo("media-1"));
    chat2.send(photo("media-1"));
    assert_eq!(draft(&chat2).photos.len(), 1);

    chat.press(cid::PRIVACY_BIASA);
    let new = created(&chat.press(cid::SUBMIT));
    assert_eq!(new.photos.len(), ct::FORM_MAX_PHOTOS);
}

#[test]
fn words_typed_at_the_photo_question_join_the_description() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    consented(&mut chat);
    chat.tap("complaint:sampah");
    chat.say("TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat");
    chat.send(pin_message());
    let turn = chat.say("baunya sampai ke rumah warga dan banyak lalat");
    assert_eq!(as_text(&turn.replies[0]), ct::DESCRIPTION_EXTENDED);
    assert_eq!(
        draft(&chat).description.as_deref(),
        Some(
            "TPS di Jl. Brantas penuh, sampah tidak diangkut sejak Jumat\n\
             baunya sampai ke rumah warga dan banyak lalat"
        )
    );
    assert_eq!(draft(&chat).step, DraftStep::Photos);
}

#[test]
fn an_old_decline_button_after_consenting_keeps_the_form() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    let mut chat = Chat::new(&content, &answerer);
    chat.tap("menu.aduan");
    chat.press(cid::CONSENT_YES);
    chat.tap("complaint:sampah");
    let consent_ms = chat.profile.privacy_consent_ms;
    assert!(consent_ms.is_some());
    // The notice's other button, tapped late.
    chat.press(cid::CONSENT_NO);
    assert_eq!(chat.profile.privacy_consent_ms, consent_ms);
    assert_eq!(draft(&chat).category.as_deref(), Some("sampah"));
    assert_eq!(draft(&chat).step, DraftStep::Description);
}

#[test]
fn typing_buat_aduan_opens_the_form_and_a_how_to_question_gets_the_faq() {
    let content = seed();
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    for opener in ["Buat Aduan", "mau lapor", "saya mau mengadu", "aduan"] {
        let mut chat = Chat::new(&content, &answerer);
        let turn = chat.say(opener);
        assert!(asks_consent(&turn), "{opener}: {:#?}", turn.replies);
        assert!(matches!(chat.session.flow, Some(Flow::Complaint(_))));
    }
    let mut chat = Chat::new(&content, &answerer);
    let turn = chat.say("bagaimana cara membuat aduan?");
    assert!(chat.session.flow.is_none(), "{:#?}", turn.replies);
}
