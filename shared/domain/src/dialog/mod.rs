//! The conversation: a pure state machine per citizen.
//!
//! [`handle_message`] takes the stored [`Session`], the citizen's profile and one inbound
//! message and returns the new session and profile, the replies to send and what to record
//! ([`Turn`]). No I/O, no clock (the time comes in [`DialogEnv::now_ms`]), no async: the
//! worker loads and saves around it with optimistic versions, so a redelivered message cannot
//! apply twice.
//!
//! Behaviour, in the order it is decided:
//! 1. Reactions and identity-change notices are not turns: no reply, nothing changes.
//! 2. A handoff past its 24 hours lapses: the first message after it gets a notice, then
//!    normal handling.
//! 3. During a handoff the bot is quiet ([`Turn::forwarded_to_operator`]) except for
//!    emergencies (answered with 112, the handoff goes on), `BATAL` (ends the handoff) and
//!    `MENU` or the *Menu Utama* button (end it and show the menu).
//! 4. Keywords from any state ([`keywords`]): `MENU`, greetings (menu with a greeting),
//!    `BATAL`, `BANTUAN`, `OPERATOR`/`PETUGAS`, `STOP`/`BERHENTI` (broadcasts only; a
//!    complaint form goes on), `MULAI`/`LANGGANAN`.
//! 5. Interactive ids route by themselves, whatever the state (an old list still works):
//!    content rows (`RowTarget`) and the engine's buttons ([`texts::ids`]).
//! 6. While choosing topics, a typed topic name toggles it and `selesai` ends the choice.
//! 7. Other text goes by what the answering engine made of it ([`DialogEnv::answered`]): answer, "Apakah maksud Anda …" (top 3) or a
//!    fallback with *Menu Utama* / *Bicara ke Petugas*; the last two are
//!    [`Turn::unanswered`], PII-masked. A verified FAQ answer to a typed question is marked
//!    as [`Turn::rephrase`], which the worker may reword when the optional generative step is
//!    on (`domain::nlp::rephrase`).
//! 8. Emergencies answer with 112 and the relevant numbers at once and stop any flow.
//! 9. Photos, videos and locations outside a complaint form get an acknowledgement and a
//!    *Buat Aduan* button; stickers, voice notes and other types a polite note of what the
//!    bot understands.
//!
//! 10. Complaints: a ticket id in the text tracks it (or withdraws it, with
//!     "batalkan"/"cabut"); "cek aduan" lists the citizen's own complaints (`tracking`). The
//!     form (`complaint_form`) asks consent once per citizen, then category, description,
//!     location, photos and privacy, and ends with a summary (*Kirim* / *Ubah* / *Batal*).
//!     Photos and locations land in the open form whatever question is pending. The menu, a
//!     handoff or an emergency set the form aside; starting a complaint continues it. While
//!     a ticket of the citizen waits in `perlu_dilengkapi`, other messages are added to it
//!     (`additions`). Complaint changes leave the turn as [`Turn::complaint_ops`].
//! 11. After `selesai` (`followup`): *Sudah* asks for a 1–5 rating that closes the
//!     complaint, then takes one optional comment; *Belum* reopens it and attaches what
//!     follows. A possible duplicate's offer: *Ikut melapor* follows the original and
//!     withdraws the new complaint into it, *Tetap terpisah* keeps both.
//!
//! Layout: `router` applies the rules above, deciding which feature a message is for; each
//! feature (`features::*`: knowledge, complaint_form, tracking, additions, followup,
//! handoff, subscriptions) is one module that decides its part of the turn through the
//! `TurnBuilder` of `turn`, the core they all share. Features import the core, never one
//! another, and nothing imports the router.

pub mod answer;
pub mod complaint_texts;
mod features;
pub mod input;
pub mod keywords;
pub mod reply;
mod router;
pub mod session;
pub mod texts;
mod turn;

pub use answer::{AnswerKind, Answered, Decision};
pub use features::handoff::{hand_back, hand_back_notice};
pub use router::handle_message;
pub use session::{
    AttachWindow, ComplaintDraft, DraftStep, Flow, Handoff, Session, HANDOFF_TTL_MS, SESSION_TTL_MS,
};
pub use turn::{ComplaintOp, DialogEnv, RephraseCandidate, Turn, Unanswered, MAX_EXTRA_PASSAGES};

pub use input::{Inbound, Input};
pub use reply::Reply;
