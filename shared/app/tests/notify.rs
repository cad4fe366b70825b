//! Complaint notifications: every status notice fits WhatsApp's limits in both forms, the
//! templates under infra/whatsapp-templates satisfy Meta's rules and match what the code
//! fills, the OPD alerts keep the reporter anonymous, and quiet hours hold.

use std::{collections::BTreeMap, path::PathBuf};

use chrono::NaiveDate;
use serde_json::Value;

use prolink_app::broadcast;
use prolink_app::render::{reply_body, template_of};
use prolink_domain::{
    calendar,
    complaint::{
        self, add_info,
        notify::{self, Notice, TemplateSpec},
        Actor, AddedInfo, Change, Complaint, ComplaintEvent, ComplaintLocation, Photo, Privacy,
        Rating, Rules, Sla, Status, Submission,
    },
    content::ContentBundle,
    dialog::Reply,
};
use prolink_whatsapp::outbound::ReplyAddress;
use prolink_whatsapp::outbound::{self, TemplateButtonType, TemplateComponent, TemplateParameter};

use crate::support::{seed, wib};

const KEY: &str = "6281234567890";
const NAME: &str = "Sari Wulandari";
const HOUR: i64 = 3_600_000;

fn address() -> ReplyAddress {
    ReplyAddress::Phone(KEY.to_string())
}

fn rules(content: &ContentBundle) -> Rules<'_> {
    let sla = content
        .category("jalan-rusak")
        .map_or(Sla::FALLBACK, Sla::from);
    Rules {
        sla,
        holidays: &content.holidays,
    }
}

/// A road complaint as the form submits it: Monday 23 November 2026, 09:15 WIB.
fn submitted(content: &ContentBundle, privacy: Privacy, description: &str) -> Complaint {
    complaint::submit(
        Submission {
            ticket: "PS-7K3QX9".into(),
            citizen_key: KEY.into(),
            reporter_name: Some(NAME.into()),
            category_id: "jalan-rusak".into(),
            opd_id: "dpupr-pkp".into(),
            description: description.into(),
            location: Some(ComplaintLocation::Pin {
                latitude: -7.75432,
                longitude: 113.21567,
                name: Some("Pasar Baru".into()),
                address: Some("Jl. Panglima Sudirman, Kel. Jati".into()),
            }),
            photos: vec![Photo {
                media_id: "1037543291543636".into(),
                mime_type: Some("image/jpeg".into()),
                sha256: None,
                caption: None,
                stored_key: None,
                fetch_error: None,
            }],
            privacy,
            source_wamid: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA".into(),
            at_ms: wib(2026, 11, 23, 9, 15),
        },
        &rules(content),
    )
}

const DESCRIPTION: &str =
    "Jalan di depan Pasar Baru berlubang besar sejak seminggu, motor sering jatuh.";

fn change(
    content: &ContentBundle,
    complaint: &Complaint,
    to: Status,
    actor: Actor,
    note: Option<&str>,
) -> Complaint {
    let change = Change {
        event_id: format!("ev.{}", complaint.events.len()),
        at_ms: complaint.updated_ms + 2 * HOUR,
        actor,
        to,
        public_note: note.map(str::to_string),
        internal_note: Some("catatan internal: jangan tampil".into()),
    };
    complaint::apply(complaint, change, &rules(content))
        .unwrap_or_else(|error| panic!("{to:?}: {error}"))
}

fn op() -> Actor {
    Actor::operator("opd-pupr-1")
}

fn citizen() -> Actor {
    Actor::citizen(KEY)
}

/// Every public change a complaint can go through, each with the complaint as it stood
/// right after it.
fn every_change(content: &ContentBundle) -> Vec<(Complaint, ComplaintEvent)> {
    let mut out = Vec::new();
    let mut record = |c: &Complaint| {
        let event = c.events.last().cloned().expect("event");
        out.push((c.clone(), event));
    };
    let start = submitted(content, Privacy::Biasa, DESCRIPTION);
    record(&start);

    // The long road: triage, the OPD, an answer, "belum selesai", a second answer, silence.
    let mut c = change(content, &start, Status::Diverifikasi, op(), None);
    record(&c);
    c = change(
        content,
        &c,
        Status::Diteruskan,
        op(),
        Some("Diteruskan ke bidang Bina Marga."),
    );
    record(&c);
    let sent_back = change(content, &c, Status::Diverifikasi, op(), Some("Salah OPD."));
    record(&sent_back);
    c = change(content, &c, Status::Diproses, op(), None);
    record(&c);
    c = change(
        content,
        &c,
        Status::Selesai,
        op(),
        Some("Lubang sudah ditambal dan diaspal ulang pada 25 November 2026."),
    );
    record(&c);
    c = change(
        content,
        &c,
        Status::DibukaKembali,
        citizen(),
        Some("Pelapor menyatakan belum selesai: masih ada lubang di sisi timur."),
    );
    record(&c);
    c = change(content, &c, Status::Diproses, op(), None);
    record(&c);
    c = change(
        content,
        &c,
        Status::Selesai,
        op(),
        Some("Sisi timur sudah ditambal."),
    );
    record(&c);
    c = change(
        content,
        &c,
        Status::Ditutup,
        Actor::system("scheduler"),
        None,
    );
    record(&c);

    // Waiting for the citizen: answered, and not answered.
    let asked = change(
        content,
        &start,
        Status::PerluDilengkapi,
        op(),
        Some("Mohon kirim foto lubang dari dekat dan patokan terdekat."),
    );
    record(&asked);
    let answered = add_info(
        &asked,
        "wamid.answer",
        asked.updated_ms + HOUR,
        citizen(),
        AddedInfo {
            text: Some("Patokannya depan toko emas.".into()),
            ..AddedInfo::default()
        },
        &rules(content),
    )
    .expect("answer");
    record(&answered);
    let silent = change(
        content,
        &asked,
        Status::Ditutup,
        Actor::system("scheduler"),
        None,
    );
    record(&silent);

    // Ends without handling.
    record(&change(
        content,
        &start,
        Status::Ditolak,
        op(),
        Some("Lokasi berada di jalan tol, bukan jalan kota."),
    ));
    record(&change(
        content,
        &start,
        Status::BukanWewenang,
        op(),
        Some("Jalan nasional: sampaikan ke BBPJN Jawa Timur-Bali."),
    ));
    record(&change(content, &start, Status::Dicabut, citizen(), None));
    out
}

// ---------------------------------------------------------------------------------------------
// The template files
// ---------------------------------------------------------------------------------------------

fn templates_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../infra/whatsapp-templates"
    ))
}

/// Every template file, by name.
fn template_files() -> BTreeMap<String, Value> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(templates_dir()).expect("templates dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read template");
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("stem")
            .to_string();
        files.insert(stem, json);
    }
    files
}

fn component<'a>(template: &'a Value, kind: &str) -> Option<&'a Value> {
    template["components"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn body_text(template: &Value) -> String {
    component(template, "BODY")
        .and_then(|b| b["text"].as_str())
        .expect("a BODY with text")
        .to_string()
}

/// The positional placeholders of a text, in order of appearance.
fn placeholders(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").expect("closed placeholder");
        found.push(after[..end].parse::<usize>().expect("numeric placeholder"));
        rest = &after[end + 2..];
    }
    found
}

fn quick_replies(template: &Value) -> Vec<String> {
    component(template, "BUTTONS")
        .and_then(|b| b["buttons"].as_array())
        .map(|buttons| {
            buttons
                .iter()
                .map(|b| {
                    assert_eq!(b["type"], "QUICK_REPLY", "only quick replies are used");
                    b["text"].as_str().expect("button text").to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The body as the citizen would read it, placeholders replaced.
fn hydrate(body: &str, values: &[String]) -> String {
    let mut text = body.to_string();
    for (i, value) in values.iter().enumerate() {
        text = text.replace(&format!("{{{{{}}}}}", i + 1), value);
    }
    text
}

fn spec(name: &str) -> TemplateSpec {
    *notify::template_specs()
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no spec for {name}"))
}

#[test]
fn template_files_satisfy_meta_rules() {
    let files = template_files();
    assert!(!files.is_empty());
    for (stem, template) in &files {
        let name = template["name"].as_str().expect("name");
        assert_eq!(name, stem, "file name and template name differ");
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name} is not snake_case"
        );
        // Complaint notices are UTILITY; broadcasts are MARKETING (campaigns) or UTILITY
        // (service changes), as the catalog says.
        let broadcast = broadcast::catalog().into_iter().find(|t| t.name == name);
        match &broadcast {
            Some(known) => {
                assert!(
                    matches!(known.category.as_str(), "MARKETING" | "UTILITY"),
                    "{name}"
                );
                assert_eq!(template["category"], known.category.as_str(), "{name}");
            }
            None => assert_eq!(template["category"], "UTILITY", "{name}"),
        }
        assert_eq!(template["language"], notify::TEMPLATE_LANGUAGE, "{name}");

        let body = body_text(template);
        assert!(body.chars().count() <= 1024, "{name}: body too long");
        let found = placeholders(&body);
        let count = found.iter().copied().max().unwrap_or(0);
        let mut sorted = found.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, (1..=count).collect::<Vec<_>>(), "{name}: gaps");
        assert_eq!(found.len(), count, "{name}: a placeholder is repeated");
        assert!(
            !body.trim_start().starts_with("{{"),
            "{name} starts with a variable"
        );
        assert!(
            !body.trim_end().ends_with("}}"),
            "{name} ends with a variable"
        );
        assert!(
            !body.contains("}}{{") && !body.contains("}} {{"),
            "{name}: adjacent variables"
        );
        assert!(!body.contains("\n\n\n") && !body.contains('\t') && !body.contains("     "));

        let examples = &component(template, "BODY").expect("body")["example"]["body_text"];
        let examples: Vec<&str> = examples[0]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: example.body_text missing"))
            .iter()
            .map(|v| v.as_str().expect("example text"))
            .collect();
        assert_eq!(examples.len(), count, "{name}: one example per variable");
        assert!(examples.iter().all(|e| !e.trim().is_empty()));
        let example_body = hydrate(
            &body,
            &examples.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        );
        assert!(example_body.chars().count() <= 1024);

        if let Some(header) = component(template, "HEADER") {
            let text = header["text"].as_str().expect("header text");
            assert!(text.chars().count() <= 60 && !text.contains('\n'));
            // A text header has at most one variable, with its example.
            let variables = placeholders(text);
            assert!(variables.len() <= 1, "{name}: header variables");
            if !variables.is_empty() {
                assert_eq!(variables, vec![1], "{name}: header variable is {{{{1}}}}");
                let example = header["example"]["header_text"][0].as_str();
                assert!(
                    example.is_some_and(|e| !e.trim().is_empty()),
                    "{name}: header example"
                );
            }
        }
        if let Some(known) = &broadcast {
            assert_eq!(known.body_params, count, "{name}: catalog body parameters");
        }
        if let Some(footer) = component(template, "FOOTER") {
            let text = footer["text"].as_str().expect("footer text");
            assert!(text.chars().count() <= 60 && !text.contains('\n'));
            assert!(text.is_ascii(), "{name}: no emoji in a footer");
        }
        let buttons = quick_replies(template);
        assert!(buttons.len() <= 10);
        for title in &buttons {
            assert!(!title.is_empty() && title.chars().count() <= 25, "{title}");
        }
    }
}

#[test]
fn every_template_the_code_fills_exists_with_the_same_shape() {
    let files = template_files();
    let names: Vec<&str> = notify::template_specs().iter().map(|s| s.name).collect();
    assert_eq!(names, notify::template_names());
    for spec in notify::template_specs() {
        let file = files
            .get(spec.name)
            .unwrap_or_else(|| panic!("{} has no file in infra/whatsapp-templates", spec.name));
        let body = body_text(file);
        assert_eq!(
            placeholders(&body).len(),
            spec.body_params.len(),
            "{}: body parameters",
            spec.name
        );
        assert_eq!(
            quick_replies(file).len(),
            spec.quick_replies.len(),
            "{}: quick replies",
            spec.name
        );
        // Even with every parameter at its longest, the filled body stays within 1024.
        let fixed = body.chars().count() - 5 * spec.body_params.len();
        let worst = fixed + spec.body_params.iter().sum::<usize>();
        assert!(worst <= 1024, "{}: up to {worst} characters", spec.name);
    }
    let broadcasts: Vec<String> = broadcast::catalog().into_iter().map(|t| t.name).collect();
    assert_eq!(
        broadcasts.len(),
        5,
        "the five broadcast templates of the KAK"
    );
    for name in files.keys() {
        assert!(
            notify::template_names().contains(&name.as_str()) || broadcasts.contains(name),
            "{name} is defined but never used"
        );
    }
    for name in &broadcasts {
        assert!(files.contains_key(name), "{name} has no file");
    }
}

/// The template of a notice agrees with its file and Meta's limits.
fn check_template(notice: &Notice, files: &BTreeMap<String, Value>) {
    let template = &template_of(&notice.template);
    outbound::template(&address(), template)
        .unwrap_or_else(|error| panic!("{}: {error}", template.name));
    assert_eq!(template.language_code, "id");
    let file = files
        .get(&template.name)
        .unwrap_or_else(|| panic!("{} has no file", template.name));
    let spec = spec(&template.name);
    let mut texts = Vec::new();
    let mut buttons = Vec::new();
    for component in &template.components {
        match component {
            TemplateComponent::Body { parameters } => {
                for (i, parameter) in parameters.iter().enumerate() {
                    let TemplateParameter::Text {
                        text,
                        parameter_name,
                    } = parameter
                    else {
                        panic!("body parameters are text");
                    };
                    assert!(parameter_name.is_none(), "positional");
                    assert!(!text.trim().is_empty());
                    assert!(!text.contains(['\n', '\r', '\t']), "{text:?}");
                    assert!(!text.contains("     "), "{text:?}");
                    assert!(text.chars().count() <= spec.body_params[i], "{text:?}");
                    texts.push(text.clone());
                }
            }
            TemplateComponent::Button {
                sub_type,
                index,
                parameters,
            } => {
                assert_eq!(*sub_type, TemplateButtonType::QuickReply);
                let [TemplateParameter::Payload { payload }] = parameters.as_slice() else {
                    panic!("one payload per quick reply");
                };
                buttons.push((*index, payload.clone()));
            }
            TemplateComponent::Header { .. } => panic!("no header in these templates"),
        }
    }
    let body = body_text(file);
    assert_eq!(texts.len(), placeholders(&body).len(), "{}", template.name);
    assert!(hydrate(&body, &texts).chars().count() <= 1024);
    assert_eq!(
        buttons.len(),
        quick_replies(file).len(),
        "{}",
        template.name
    );
    for (position, (index, _)) in buttons.iter().enumerate() {
        assert_eq!(usize::from(*index), position);
    }
}

// ---------------------------------------------------------------------------------------------
// Status notices
// ---------------------------------------------------------------------------------------------

#[test]
fn every_status_notice_builds_in_both_forms() {
    let content = seed();
    let files = template_files();
    let changes = every_change(&content);
    let reached: std::collections::BTreeSet<Status> = changes.iter().map(|(_, e)| e.to).collect();
    assert_eq!(reached.len(), Status::ALL.len(), "every status is covered");
    // The newest complaint too: a late task tells an older event of a complaint that moved on.
    let latest = changes.last().map(|(c, _)| c.clone()).expect("changes");
    for (complaint, event) in &changes {
        for notice in [
            notify::status_notice(complaint, event, &content),
            notify::status_notice(&latest, event, &content),
        ] {
            let ticket = &complaint.ticket;
            let label = event.to.label();
            reply_body(&notice.reply, &address())
                .unwrap_or_else(|error| panic!("{label}: {error}"));
            let text = notice.reply.plain_text();
            assert!(text.contains(ticket.as_str()), "{label}: {text}");
            assert!(text.contains(&format!("CEK {ticket}")), "{label}: {text}");
            assert!(text.contains(label), "{label}: {text}");
            if let Some(note) = &event.public_note {
                assert!(text.contains(note.as_str()), "{label}: the note is shown");
            }
            assert!(
                !text.contains("catatan internal"),
                "internal notes stay inside"
            );
            assert!(!notice.urgent);
            check_template(&notice, &files);
            let params = body_texts(&notice);
            assert_eq!(params[0], *ticket);
            if event.to == Status::Selesai {
                assert_eq!(notice.template.name, "aduan_selesai");
            } else {
                assert_eq!(notice.template.name, "aduan_status");
                assert_eq!(params[1], label);
                assert!(params[3].contains(&format!("CEK {ticket}")));
            }
        }
    }
}

fn body_texts(notice: &Notice) -> Vec<String> {
    template_of(&notice.template)
        .components
        .iter()
        .find_map(|c| match c {
            TemplateComponent::Body { parameters } => Some(
                parameters
                    .iter()
                    .filter_map(|p| match p {
                        TemplateParameter::Text { text, .. } => Some(text.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

fn event_to(changes: &[(Complaint, ComplaintEvent)], to: Status) -> (Complaint, ComplaintEvent) {
    changes
        .iter()
        .find(|(_, e)| e.to == to && e.changes_status())
        .cloned()
        .unwrap_or_else(|| panic!("no change to {to:?}"))
}

#[test]
fn texts_say_what_happens_next() {
    let content = seed();
    let changes = every_change(&content);
    let text_of = |to: Status| {
        let (c, e) = event_to(&changes, to);
        notify::status_notice(&c, &e, &content).reply.plain_text()
    };
    let opd = &content.opd("dpupr-pkp").expect("opd").name;
    assert!(text_of(Status::Diteruskan).contains(opd.as_str()));
    let (asked, _) = event_to(&changes, Status::PerluDilengkapi);
    let by = calendar::format_date_id(asked.deadlines.complete_by_date.expect("complete by"));
    let request = text_of(Status::PerluDilengkapi);
    assert!(request.contains(&by), "{request}");
    assert!(request.contains("Balas pesan ini"), "{request}");
    let elsewhere = text_of(Status::BukanWewenang);
    assert!(elsewhere.contains("BBPJN") && elsewhere.contains("lapor.go.id"));
    assert!(text_of(Status::Ditolak).contains("jalan tol"));
    let closed = changes
        .iter()
        .filter(|(_, e)| e.to == Status::Ditutup)
        .map(|(c, e)| notify::status_notice(c, e, &content).reply.plain_text())
        .collect::<Vec<_>>();
    assert!(closed.iter().any(|t| t.contains("tidak ada tanggapan")));
    assert!(closed.iter().any(|t| t.contains("informasi tambahan")));
}

#[test]
fn selesai_asks_sudah_or_belum_in_both_forms() {
    let content = seed();
    let changes = every_change(&content);
    let (complaint, event) = event_to(&changes, Status::Selesai);
    let notice = notify::status_notice(&complaint, &event, &content);
    let ticket = complaint.ticket.as_str();
    let sudah = format!("aduan:sudah:{ticket}");
    let belum = format!("aduan:belum:{ticket}");
    let Reply::Buttons(message) = &notice.reply else {
        panic!("selesai asks with buttons: {:?}", notice.reply);
    };
    let buttons: Vec<(&str, &str)> = message
        .buttons
        .iter()
        .map(|b| (b.id.as_str(), b.title.as_str()))
        .collect();
    assert_eq!(
        buttons,
        [
            (sudah.as_str(), "Sudah selesai"),
            (belum.as_str(), "Belum selesai")
        ]
    );
    assert_eq!(notify::resolved_id(ticket), sudah);
    assert_eq!(notify::unresolved_id(ticket), belum);

    let payloads: Vec<(u8, String)> = template_of(&notice.template)
        .components
        .iter()
        .filter_map(|c| match c {
            TemplateComponent::Button {
                index, parameters, ..
            } => match parameters.as_slice() {
                [TemplateParameter::Payload { payload }] => Some((*index, payload.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(payloads, [(0, sudah.clone()), (1, belum.clone())]);
    // The template's buttons are in the same order, with the same titles.
    let files = template_files();
    assert_eq!(
        quick_replies(&files["aduan_selesai"]),
        ["Sudah selesai", "Belum selesai"]
    );
    let params = body_texts(&notice);
    let close = calendar::format_date_id(complaint.deadlines.close_by_date.expect("close by"));
    assert_eq!(params[3], close);
    assert!(notice.reply.plain_text().contains(&close));

    // A note at the lifecycle's maximum still fits the buttons' body limit.
    let long = change(
        &content,
        &event_to(&changes, Status::Diproses).0,
        Status::Selesai,
        op(),
        Some(&"Perbaikan saluran dan jalan sudah dikerjakan. ".repeat(22)[..1000]),
    );
    let event = long.events.last().cloned().expect("event");
    let notice = notify::status_notice(&long, &event, &content);
    reply_body(&notice.reply, &address()).expect("fits 1024");
    assert!(matches!(notice.reply, Reply::Buttons(_)));
    check_template(&notice, &files);
}

#[test]
fn followers_hear_the_news_without_the_reporters_buttons() {
    let content = seed();
    let files = template_files();
    for (complaint, event) in every_change(&content) {
        let notice = notify::follower_notice(&complaint, &event, &content);
        reply_body(&notice.reply, &address()).expect("builds");
        assert!(matches!(notice.reply, Reply::Text(_)), "{:?}", event.to);
        let text = notice.reply.plain_text();
        assert!(text.contains(&complaint.ticket));
        assert!(
            !text.contains("CEK "),
            "tracking shows only one's own tickets"
        );
        assert!(
            !text.contains("Balas pesan ini"),
            "nothing is asked of a follower"
        );
        assert_eq!(notice.template.name, "aduan_status");
        check_template(&notice, &files);
    }
}

#[test]
fn template_parameters_are_flattened_and_cut() {
    let content = seed();
    let start = submitted(&content, Privacy::Biasa, DESCRIPTION);
    let messy = "Mohon lengkapi:\n\n1. foto\tlubang      dari dekat\r\n2. patokan terdekat";
    let asked = change(&content, &start, Status::PerluDilengkapi, op(), Some(messy));
    let event = asked.events.last().cloned().expect("event");
    let notice = notify::status_notice(&asked, &event, &content);
    check_template(&notice, &template_files());
    let explanation = &body_texts(&notice)[2];
    assert!(
        explanation.contains("Mohon lengkapi: 1. foto lubang dari dekat 2. patokan terdekat"),
        "{explanation}"
    );
    // The free-form message keeps the officer's layout.
    assert!(notice.reply.plain_text().contains(messy));

    let long_note = "Kerusakan meliputi badan jalan dan saluran samping. ".repeat(19);
    let long_note = long_note.trim();
    let asked = change(
        &content,
        &start,
        Status::PerluDilengkapi,
        op(),
        Some(long_note),
    );
    let event = asked.events.last().cloned().expect("event");
    let notice = notify::status_notice(&asked, &event, &content);
    check_template(&notice, &template_files());
    let explanation = &body_texts(&notice)[2];
    assert!(explanation.ends_with('…'), "{explanation}");
    assert!(notice.reply.plain_text().contains(long_note));

    assert_eq!(
        notify::template_param(" a \n\n b\t\tc     d ", 100),
        "a b c d"
    );
    assert_eq!(notify::template_param("\n\t ", 100), "-");
    let cut = notify::template_param("satu dua tiga empat lima enam", 15);
    assert!(cut.chars().count() <= 15 && cut.ends_with('…'), "{cut}");
}

#[test]
fn a_photo_that_could_not_be_stored_is_asked_again() {
    let content = seed();
    let mut complaint = submitted(&content, Privacy::Anonim, DESCRIPTION);
    complaint.photos[0].fetch_error = Some("media expired".into());
    let notice = notify::resend_photo_notice(&complaint);
    reply_body(&notice.reply, &address()).expect("builds");
    let text = notice.reply.plain_text();
    assert!(text.contains("PS-7K3QX9") && text.contains("kirim ulang"));
    assert!(text.contains("CEK PS-7K3QX9"));
    assert!(
        !text.contains("media expired"),
        "the technical reason stays inside"
    );
    assert_eq!(notice.template.name, "aduan_foto_ulang");
    assert_eq!(body_texts(&notice), ["PS-7K3QX9"]);
    assert!(!notice.urgent);
    check_template(&notice, &template_files());
}

// ---------------------------------------------------------------------------------------------
// OPD alerts
// ---------------------------------------------------------------------------------------------

/// Digits joined across single spaces, dots and dashes: 9 or more look like a phone number.
fn has_phone_like_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut digits = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            digits += 1;
            if digits >= 9 {
                return true;
            }
        } else if [' ', '.', '-'].contains(&chars[i])
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            // A separator inside a number.
        } else {
            digits = 0;
        }
        i += 1;
    }
    false
}

const REVEALING: &str = "Saya Sari Wulandari, WA 0812-3456-7890. Jalan depan rumah saya \
berlubang besar sejak seminggu.";

/// Every alert the OPD may get about one complaint.
fn all_alerts(content: &ContentBundle, privacy: Privacy) -> Vec<String> {
    let start = submitted(content, privacy, REVEALING);
    let mut alerts = vec![notify::opd_new_complaint_alert(&start, content)];
    let c = change(content, &start, Status::Diteruskan, op(), None);
    let c = change(content, &c, Status::Diproses, op(), None);
    let done = change(content, &c, Status::Selesai, op(), Some("Sudah ditambal."));
    let reopened = change(
        content,
        &done,
        Status::DibukaKembali,
        citizen(),
        Some("Pelapor menyatakan belum selesai: kata Sari masih berlubang, hubungi 081234567890"),
    );
    let mut rated = change(
        content,
        &done,
        Status::Ditutup,
        citizen(),
        Some("Dinilai pelapor: 4/5"),
    );
    rated.rating = Some(Rating {
        score: 4,
        comment: Some("Terima kasih, dari Wulandari (0812 3456 7890)".into()),
        at_ms: rated.updated_ms,
    });
    let info = add_info(
        &c,
        "wamid.more",
        c.updated_ms + HOUR,
        citizen(),
        AddedInfo {
            text: Some("Ini Sari lagi, nomor saya +62 812-3456-7890".into()),
            photos: Vec::new(),
            location: None,
        },
        &rules(content),
    )
    .expect("info");
    let withdrawn = change(
        content,
        &start,
        Status::Dicabut,
        citizen(),
        Some("Sudah diperbaiki warga sendiri, Sari"),
    );
    for complaint in [&reopened, &rated, &info, &withdrawn] {
        let event = complaint.events.last().expect("event");
        alerts.push(notify::opd_citizen_update_alert(complaint, event, content));
    }
    alerts
}

#[test]
fn opd_alerts_never_reveal_a_hidden_reporter_or_any_phone_number() {
    let content = seed();
    for privacy in [Privacy::Anonim, Privacy::Rahasia] {
        for alert in all_alerts(&content, privacy) {
            for secret in ["Sari", "Wulandari", KEY, "81234567890", "0812", "3456"] {
                assert!(
                    !alert.to_lowercase().contains(&secret.to_lowercase()),
                    "{privacy:?} alert shows {secret:?}:\n{alert}"
                );
            }
            assert!(!has_phone_like_number(&alert), "{alert}");
        }
    }
    for alert in all_alerts(&content, Privacy::Biasa) {
        assert!(
            !alert.contains(KEY) && !alert.contains("81234567890"),
            "{alert}"
        );
        assert!(!has_phone_like_number(&alert), "{alert}");
    }
    let biasa = &all_alerts(&content, Privacy::Biasa)[0];
    assert!(biasa.contains(NAME), "a Biasa reporter is named:\n{biasa}");
    assert!(
        has_phone_like_number("hubungi 0812 3456 7890"),
        "the probe works"
    );
}

#[test]
fn opd_alerts_say_what_the_citizen_did() {
    let content = seed();
    let alerts = all_alerts(&content, Privacy::Biasa);
    let new = &alerts[0];
    assert!(new.contains("PS-7K3QX9") && new.contains("Jalan Rusak"));
    assert!(new.contains("Pasar Baru"), "location: {new}");
    assert!(new.contains("Tanggapan paling lambat"), "{new}");
    assert!(alerts[1].contains("BELUM SELESAI"), "{}", alerts[1]);
    assert!(alerts[2].contains("4/5"), "{}", alerts[2]);
    assert!(alerts[2].contains("Terima kasih"), "comment: {}", alerts[2]);
    assert!(alerts[3].contains("menambahkan informasi"), "{}", alerts[3]);
    assert!(alerts[3].contains("nomor saya"), "{}", alerts[3]);
    assert!(alerts[4].contains("mencabut"), "{}", alerts[4]);
    let rahasia = &all_alerts(&content, Privacy::Rahasia)[0];
    assert!(rahasia.contains("RAHASIA"));
}

// ---------------------------------------------------------------------------------------------
// Quiet hours
// ---------------------------------------------------------------------------------------------

#[test]
fn quiet_hours_hold_until_six_in_the_morning() {
    const SECOND: i64 = 1_000;
    let morning = |y, m, d| Some(wib(y, m, d, 6, 0));
    // 14:00 UTC is 21:00 WIB: the zone is WIB, not UTC or the machine's.
    let utc_afternoon = NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(14, 0, 0))
        .expect("time")
        .and_utc()
        .timestamp_millis();
    let cases = [
        (wib(2026, 11, 23, 21, 0) - SECOND, None),
        (wib(2026, 11, 23, 21, 0), morning(2026, 11, 24)),
        (wib(2026, 11, 24, 2, 0), morning(2026, 11, 24)),
        (wib(2026, 11, 24, 6, 0) - 1, morning(2026, 11, 24)),
        (wib(2026, 11, 24, 6, 0), None),
        // Across midnight, a month and a year.
        (wib(2027, 1, 1, 0, 0) - SECOND, morning(2027, 1, 1)),
        (wib(2027, 1, 1, 0, 0), morning(2027, 1, 1)),
        (utc_afternoon, morning(2026, 11, 24)),
    ];
    for (at, held_until) in cases {
        assert_eq!(
            notify::not_before(at, false),
            held_until,
            "at {}",
            calendar::wib_datetime(at)
        );
    }
    // Urgent messages go at any hour.
    assert_eq!(notify::not_before(wib(2026, 11, 24, 2, 0), true), None);
}
