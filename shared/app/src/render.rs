//! The one place where the domain's messages become Graph API bodies: a dialog [`Reply`] or
//! a filled [`TemplateMessage`] in, the JSON of `POST /{phone-number-id}/messages` out, built
//! by `prolink_whatsapp::outbound` (which enforces Meta's limits once more on the wire form).

use prolink_domain::{
    channel::{self, TemplateMessage},
    citizen::CitizenRef,
    dialog::Reply,
};
use prolink_whatsapp::outbound::{
    self, BuildResult, ButtonsMessage, CtaUrlMessage, ListMessage, ListRow, ListSection,
    ReplyAddress, ReplyButton, Template, TemplateButtonType, TemplateComponent, TemplateParameter,
};

/// Where a citizen's messages go.
pub trait ReplyTo {
    /// The phone wins when known: it works for every message type, while BSUID addressing
    /// is refused for some authentication templates (131062).
    fn reply_address(&self) -> ReplyAddress;
}

impl ReplyTo for CitizenRef {
    fn reply_address(&self) -> ReplyAddress {
        match (&self.wa_id, &self.user_id) {
            (Some(phone), _) => ReplyAddress::Phone(phone.clone()),
            (None, Some(user_id)) => ReplyAddress::UserId(user_id.clone()),
            (None, None) => ReplyAddress::UserId(self.key.clone()),
        }
    }
}

/// The Graph API body of a dialog reply.
pub fn reply_body(reply: &Reply, to: &ReplyAddress) -> BuildResult {
    match reply {
        Reply::Text(text) => outbound::text(to, text, false),
        Reply::List(list) => outbound::list(to, &list_of(list)),
        Reply::Buttons(buttons) => outbound::reply_buttons(to, &buttons_of(buttons)),
        Reply::CtaUrl(cta) => outbound::cta_url(to, &cta_of(cta)),
        Reply::LocationRequest(body) => outbound::location_request(to, body),
    }
}

/// The wire template of a filled domain template: positional body parameters, then one
/// quick-reply button per payload in template order.
pub fn template_of(message: &TemplateMessage) -> Template {
    let parameters = message
        .body
        .iter()
        .map(|text| TemplateParameter::Text {
            text: text.clone(),
            parameter_name: None,
        })
        .collect();
    let mut components = vec![TemplateComponent::Body { parameters }];
    for (index, payload) in (0u8..).zip(&message.quick_reply_payloads) {
        components.push(TemplateComponent::Button {
            sub_type: TemplateButtonType::QuickReply,
            index,
            parameters: vec![TemplateParameter::Payload {
                payload: payload.clone(),
            }],
        });
    }
    Template {
        name: message.name.clone(),
        language_code: message.language.clone(),
        components,
    }
}

fn list_of(list: &channel::ListMessage) -> ListMessage {
    ListMessage {
        header: list.header.clone(),
        body: list.body.clone(),
        footer: list.footer.clone(),
        button: list.button.clone(),
        sections: list
            .sections
            .iter()
            .map(|section| ListSection {
                title: section.title.clone(),
                rows: section
                    .rows
                    .iter()
                    .map(|row| ListRow {
                        id: row.id.clone(),
                        title: row.title.clone(),
                        description: row.description.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn buttons_of(buttons: &channel::ButtonsMessage) -> ButtonsMessage {
    ButtonsMessage {
        header: buttons.header.clone(),
        body: buttons.body.clone(),
        footer: buttons.footer.clone(),
        buttons: buttons
            .buttons
            .iter()
            .map(|button| ReplyButton {
                id: button.id.clone(),
                title: button.title.clone(),
            })
            .collect(),
    }
}

fn cta_of(cta: &channel::CtaUrlMessage) -> CtaUrlMessage {
    CtaUrlMessage {
        header: cta.header.clone(),
        body: cta.body.clone(),
        footer: cta.footer.clone(),
        display_text: cta.display_text.clone(),
        url: cta.url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prolink_whatsapp::outbound::limits as wire;

    /// The domain renders within its own copy of the channel's limits; the wire builders
    /// enforce Meta's. The two tables must never drift apart.
    #[test]
    fn domain_limits_equal_the_wire_limits() {
        use channel::limits as domain;
        let pairs = [
            (domain::TEXT_BODY, wire::TEXT_BODY),
            (domain::LIST_BODY, wire::LIST_BODY),
            (domain::LIST_HEADER, wire::LIST_HEADER),
            (domain::LIST_FOOTER, wire::LIST_FOOTER),
            (domain::LIST_BUTTON, wire::LIST_BUTTON),
            (domain::LIST_MAX_SECTIONS, wire::LIST_MAX_SECTIONS),
            (domain::LIST_MAX_ROWS, wire::LIST_MAX_ROWS),
            (domain::LIST_SECTION_TITLE, wire::LIST_SECTION_TITLE),
            (domain::LIST_ROW_ID, wire::LIST_ROW_ID),
            (domain::LIST_ROW_TITLE, wire::LIST_ROW_TITLE),
            (domain::LIST_ROW_DESCRIPTION, wire::LIST_ROW_DESCRIPTION),
            (domain::BUTTONS_MAX, wire::BUTTONS_MAX),
            (domain::BUTTONS_BODY, wire::BUTTONS_BODY),
            (domain::BUTTON_TITLE, wire::BUTTON_TITLE),
            (domain::BUTTON_ID, wire::BUTTON_ID),
            (domain::BUTTONS_HEADER, wire::BUTTONS_HEADER),
            (domain::BUTTONS_FOOTER, wire::BUTTONS_FOOTER),
            (domain::CTA_BODY, wire::CTA_BODY),
            (domain::CTA_DISPLAY_TEXT, wire::CTA_DISPLAY_TEXT),
            (domain::CTA_HEADER, wire::CTA_HEADER),
            (domain::CTA_FOOTER, wire::CTA_FOOTER),
            (domain::LOCATION_REQUEST_BODY, wire::LOCATION_REQUEST_BODY),
        ];
        for (i, (domain, wire)) in pairs.into_iter().enumerate() {
            assert_eq!(domain, wire, "limit #{i} differs");
        }
    }

    /// The phone wins when WhatsApp gave one; a username user without a phone is reached
    /// by the business-scoped user id.
    #[test]
    fn citizens_are_addressed_by_phone_first_then_by_user_id() {
        let some = |v: &str| Some(v.to_owned());
        let both = CitizenRef::from_ids(
            some("ID.1830495827364019283"),
            some("6281234567890"),
            some("Budi"),
            None,
        )
        .expect("identifiers present");
        assert_eq!(
            both.reply_address(),
            ReplyAddress::Phone("6281234567890".into())
        );
        let user_only = CitizenRef::from_ids(
            some("ID.6381920475638192047"),
            None,
            some("Putri Ayu"),
            some("@putri.ayu"),
        )
        .expect("user id present");
        let address = user_only.reply_address();
        assert_eq!(
            address,
            ReplyAddress::UserId("ID.6381920475638192047".into())
        );
        assert_eq!(address.field(), "recipient");
        assert_eq!(address.wire_value(), "ID.6381920475638192047");
    }

    /// Whatever the domain accepts, the wire builders accept: a reply that passed
    /// `Reply::check` never fails at send time.
    #[test]
    fn replies_the_domain_accepts_build_on_the_wire() {
        let to = ReplyAddress::Phone("6281234567890".into());
        let list = Reply::List(channel::ListMessage {
            header: Some("Menu".into()),
            body: "Pilih layanan".into(),
            footer: None,
            button: "Lihat".into(),
            sections: vec![channel::ListSection {
                title: None,
                rows: (0..10)
                    .map(|i| channel::ListRow {
                        id: format!("r{i}"),
                        title: "é".repeat(24),
                        description: Some("x".repeat(72)),
                    })
                    .collect(),
            }],
        });
        let buttons = prolink_domain::dialog::reply::buttons(
            "Lanjut?",
            &[("a", "Ya"), ("b", "Tidak"), ("c", "Menu Utama")],
        );
        for reply in [list, buttons, Reply::Text("Halo".into())] {
            assert!(reply.check().is_ok());
            let body = reply_body(&reply, &to).expect("builds");
            assert_eq!(body["to"], "+6281234567890");
        }
    }
}
