//! The dialog's features, one module each. A feature reads the input the router hands it and
//! decides the turn through [`TurnBuilder`](super::turn::TurnBuilder) only: it imports the
//! core (`turn`, texts, session, keywords), never another feature and never the router, so
//! each can be read, and changed, on its own.
//!
//! - [`knowledge`]: answers from the knowledge base (FAQ entries, service cards), "Apakah
//!   maksud Anda …" and the fallback.
//! - [`complaint_form`]: consent, category, description, location, photos, privacy, summary
//!   and submission of a new complaint.
//! - [`tracking`]: the citizen's complaint list, one ticket's timeline, withdrawal.
//! - [`additions`]: messages that add to a ticket waiting in `perlu_dilengkapi` (or just
//!   reopened).
//! - [`followup`]: after `selesai`, the verdict, the rating and its comment; the choice
//!   offered for a possible duplicate.
//! - [`handoff`]: a human operator takes the conversation, and gives it back.
//! - [`subscriptions`]: broadcast topics (*Langganan Info*) and `STOP`.

pub mod additions;
pub mod complaint_form;
pub mod followup;
pub mod handoff;
pub mod knowledge;
pub mod subscriptions;
pub mod tracking;

#[cfg(test)]
mod tests {
    /// The wall the module docs promise: a feature that reached into another would bring
    /// back the circle of `impl TurnBuilder` blocks this layout replaced.
    #[test]
    fn features_import_the_core_and_never_each_other() {
        let features = [
            ("additions", include_str!("additions.rs")),
            ("complaint_form", include_str!("complaint_form.rs")),
            ("followup", include_str!("followup.rs")),
            ("handoff", include_str!("handoff.rs")),
            ("knowledge", include_str!("knowledge.rs")),
            ("subscriptions", include_str!("subscriptions.rs")),
            ("tracking", include_str!("tracking.rs")),
        ];
        for (name, source) in features {
            for forbidden in ["features::", "router::"] {
                assert!(!source.contains(forbidden), "{name} uses {forbidden}");
            }
            for (other, _) in features.iter().filter(|(other, _)| *other != name) {
                assert!(
                    !source.contains(&format!("{other}::")),
                    "{name} reaches into {other}"
                );
            }
        }
    }
}
