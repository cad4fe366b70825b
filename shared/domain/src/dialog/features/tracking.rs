//! Tracking: a ticket id in the text shows its public timeline (or, with "batalkan"/"cabut",
//! asks to withdraw it); `cek aduan` lists the citizen's own complaints. Only the reporter's
//! own complaints, and those they follow ("ikut melapor"), are shown; any other ticket gets
//! the same "not found" as a ticket that does not exist.

use crate::calendar;
use crate::channel::{limits, ListMessage, ListRow, ListSection};
use crate::complaint::{self, Actor, Change, Complaint, Privacy, Status, TransitionError};
use crate::dialog::{
    complaint_texts::{self as ct, ids as cid, titles as ctitle},
    keywords::{self, phrase_in},
    reply::{buttons, truncate_chars, Reply},
    texts::{ids, titles},
    turn::{ComplaintOp, TurnBuilder},
};

/// Public events shown in a timeline reply (the newest ones).
const TIMELINE_EVENTS: usize = 12;

/// Words that turn "… PS-XXXXXX" into a withdrawal.
const WITHDRAW_WORDS: &[&str] = &["batal", "batalkan", "cabut", "cabutkan", "tarik", "hapus"];

/// Messages asking for the citizen's own complaints. Answered with their list: the FAQ entry
/// on these words only explains how tracking works.
const LIST_PHRASES: &[&str] = &[
    "cek aduan",
    "cek aduan saya",
    "cek status aduan",
    "status aduan",
    "status aduan saya",
    "aduan saya",
    "daftar aduan",
    "daftar aduan saya",
    "lihat aduan",
    "lihat aduan saya",
    "cek laporan",
    "cek laporan saya",
    "status laporan",
    "status laporan saya",
    "laporan saya",
];

/// Whether the whole message asks for the citizen's complaint list (`cek aduan`).
pub(in crate::dialog) fn asks_for_own_complaints(text: &str) -> bool {
    phrase_in(text, LIST_PHRASES)
}

/// Text naming a ticket: a withdrawal when it says so, else its timeline.
pub(in crate::dialog) fn ticket_command(t: &mut TurnBuilder, ticket: &str, text: &str) {
    let wants_withdrawal = keywords::words(text)
        .iter()
        .any(|w| WITHDRAW_WORDS.contains(&w.as_str()));
    if wants_withdrawal {
        withdraw_request(t, ticket)
    } else {
        show(t, Some(ticket))
    }
}

/// `cek aduan` (the citizen's list) or `cek PS-…` (one ticket's public timeline).
pub(in crate::dialog) fn show(t: &mut TurnBuilder, ticket: Option<&str>) {
    match ticket {
        Some(ticket) => {
            if let Some(found) = t.own_complaint(ticket).cloned() {
                timeline(t, &found, true)
            } else if let Some(found) = followed_complaint(t, ticket).cloned() {
                timeline(t, &found, false)
            } else {
                t.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]))
            }
        }
        None => complaint_list(t),
    }
}

/// A complaint of another citizen that this one follows (its public timeline only).
/// *Rahasia* complaints are never shown to anyone but their reporter.
fn followed_complaint<'t>(t: &'t TurnBuilder, ticket: &str) -> Option<&'t Complaint> {
    let key = &t.turn.profile.key;
    t.env.complaints.iter().chain(t.env.related).find(|c| {
        c.ticket == ticket
            && c.privacy != Privacy::Rahasia
            && complaint::duplicates::follows(c, key)
    })
}

fn complaint_list(t: &mut TurnBuilder) {
    let key = t.turn.profile.key.clone();
    let mine: Vec<Complaint> = t
        .env
        .complaints
        .iter()
        .filter(|c| c.citizen_key == key)
        .take(limits::LIST_MAX_ROWS)
        .cloned()
        .collect();
    if mine.is_empty() {
        return t.say(buttons(
            ct::NO_COMPLAINTS,
            &[
                (ids::COMPLAINT, titles::COMPLAINT),
                (ids::MENU, titles::MENU),
            ],
        ));
    }
    let lines: Vec<String> = mine
        .iter()
        .map(|c| ct::list_line(c, &category_name(t, &c.category_id)))
        .collect();
    let rows = mine
        .iter()
        .map(|c| ListRow {
            id: format!("{}{}", cid::TRACK_PREFIX, c.ticket),
            title: c.ticket.clone(),
            description: Some(truncate_chars(
                &format!(
                    "{} · {}",
                    c.status.label(),
                    category_name(t, &c.category_id)
                ),
                limits::LIST_ROW_DESCRIPTION,
            )),
        })
        .collect();
    let body = format!(
        "🗂️ *Aduan Anda*\n\n{}\n\nKetuk *Lihat Aduan* untuk riwayat lengkapnya.",
        lines.join("\n\n")
    );
    t.say(Reply::List(ListMessage {
        header: None,
        body: truncate_chars(&body, limits::LIST_BODY),
        footer: None,
        button: "Lihat Aduan".to_string(),
        sections: vec![ListSection {
            title: Some("Aduan terbaru".to_string()),
            rows,
        }],
    }));
}

fn category_name(t: &TurnBuilder, id: &str) -> String {
    t.content()
        .category(id)
        .map_or_else(|| "Aduan".to_string(), |c| c.short_name.clone())
}

/// The public timeline; `own`: the reporter's view (else a follower's: no actions).
fn timeline(t: &mut TurnBuilder, found: &Complaint, own: bool) {
    let mut text = format!(
        "🔎 *Aduan {}*\n{}\nStatus: *{}*",
        found.ticket,
        category_name(t, &found.category_id),
        found.status.label()
    );
    // The OPD's full name, as the receipt ("Diteruskan ke") and the notifications give it: an
    // abbreviation such as "DLH" means nothing to many citizens.
    if let Some(opd) = t.content().opd(&found.opd_id) {
        text.push_str(&format!("\nDitangani: {}", opd.name));
    }
    if let Some(next) = ct::next_deadline_text(found) {
        text.push_str(&format!("\n{next}"));
    }
    if let Some(lapor_id) = crate::lapor::tracking_id(found) {
        text.push_str(&format!("\nNomor SP4N-LAPOR!: #{lapor_id}"));
    }
    text.push_str("\n\n*Riwayat:*");
    // The newest events matter most (the officer's latest request): older ones are
    // summarised rather than pushing the newest out of the message.
    let public: Vec<_> = found.public_events().collect();
    let hidden = public.len().saturating_sub(TIMELINE_EVENTS);
    if hidden > 0 {
        text.push_str(&format!(
            "\n• _({hidden} riwayat sebelumnya tidak ditampilkan)_"
        ));
    }
    for event in public.into_iter().skip(hidden) {
        let when = calendar::wib_datetime(event.at_ms).format("%d/%m/%Y %H.%M");
        let what = if event.info.is_some() && event.changes_status() {
            format!("Informasi tambahan dari pelapor ({})", event.to.label())
        } else if event.info.is_some() && event.to.is_final() {
            // The one addition a closed complaint takes: the rating's comment.
            "Komentar penilaian dari pelapor".to_string()
        } else if event.changes_status() {
            event.to.label().to_string()
        } else if event.info.is_some() {
            "Informasi tambahan dari pelapor".to_string()
        } else {
            // A note without a status change (the scheduler's progress note, an officer's
            // public remark).
            "Kabar dari petugas".to_string()
        };
        text.push_str(&format!("\n• {when} – {what}"));
        if let Some(note) = &event.public_note {
            text.push_str(&format!("\n   _{}_", truncate_chars(note, 300)));
        }
    }
    if !own {
        text.push_str(&format!("\n\n{}", ct::FOLLOWER_NOTE));
    } else if found.status == Status::PerluDilengkapi {
        text.push_str(&format!("\n\n{}", ct::COMPLETE_REQUEST_HINT));
    }
    let mut choices: Vec<(String, &str)> = Vec::new();
    if own && complaint::can_withdraw(found) {
        choices.push((
            format!("{}{}", cid::WITHDRAW_PREFIX, found.ticket),
            "Cabut Aduan",
        ));
    }
    if own && found.status == Status::Selesai {
        // The answer the `selesai` notice asks for, for a citizen who missed it.
        choices.push((
            format!("{}{}", cid::SOLVED_PREFIX, found.ticket),
            ctitle::SOLVED,
        ));
        choices.push((
            format!("{}{}", cid::UNSOLVED_PREFIX, found.ticket),
            ctitle::UNSOLVED,
        ));
    } else {
        choices.push((cid::TRACK_LIST.to_string(), ctitle::MY_COMPLAINTS));
    }
    choices.push((ids::MENU.to_string(), titles::MENU));
    let pairs: Vec<(&str, &str)> = choices
        .iter()
        .map(|(id, title)| (id.as_str(), *title))
        .collect();
    // A long timeline goes as text; the buttons follow with a short body.
    if text.chars().count() > limits::BUTTONS_BODY {
        t.text(truncate_chars(&text, limits::TEXT_BODY));
        t.say(buttons("Pilih tindakan berikutnya.", &pairs));
    } else {
        t.say(buttons(text, &pairs));
    }
}

// ---------------------------------------------------------------------------------------------
// Withdrawal
// ---------------------------------------------------------------------------------------------

fn withdraw_request(t: &mut TurnBuilder, ticket: &str) {
    let Some(found) = t.own_complaint(ticket).cloned() else {
        return t.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]));
    };
    if !found.followers.is_empty() && found.status.is_open() {
        return t.text(ct::withdraw_refused_followed(&found.ticket));
    }
    if !complaint::can_withdraw(&found) {
        return t.text(ct::withdraw_refused(&found.ticket, found.status));
    }
    let confirm = format!("{}{}", cid::WITHDRAW_PREFIX, found.ticket);
    t.say(buttons(
        ct::withdraw_confirm(&found.ticket),
        &[
            (confirm.as_str(), ctitle::WITHDRAW),
            (cid::KEEP, ctitle::KEEP),
        ],
    ));
}

/// The withdrawal confirmed (`aduan:cabut:…`).
pub(in crate::dialog) fn withdraw(t: &mut TurnBuilder, ticket: &str) {
    let Some(found) = t.own_complaint(ticket).cloned() else {
        return t.say(buttons(ct::TICKET_NOT_FOUND, &[(ids::MENU, titles::MENU)]));
    };
    let change = Change {
        event_id: t.event_id("withdraw"),
        at_ms: t.env.now_ms,
        actor: Actor::citizen(&found.citizen_key),
        to: Status::Dicabut,
        public_note: Some("Dicabut oleh pelapor melalui WhatsApp.".to_string()),
        internal_note: None,
    };
    let rules = t.rules_for(&found.category_id);
    match complaint::apply(&found, change, &rules) {
        Ok(changed) => {
            t.store(ComplaintOp::Update(Box::new(changed)));
            t.text(ct::withdrawn(&found.ticket));
        }
        // Redelivered after it was stored: same answer as the first time.
        Err(TransitionError::AlreadyApplied) => {
            t.replay(&found);
            t.text(ct::withdrawn(&found.ticket))
        }
        Err(_) if found.status == Status::Dicabut => t.text(ct::withdrawn(&found.ticket)),
        Err(TransitionError::WithdrawFollowed) => {
            t.text(ct::withdraw_refused_followed(&found.ticket))
        }
        Err(_) => t.text(ct::withdraw_refused(&found.ticket, found.status)),
    }
}

/// *Tidak* to the withdrawal question: the complaint goes on.
pub(in crate::dialog) fn keep(t: &mut TurnBuilder) {
    t.text(ct::WITHDRAW_KEPT);
}
