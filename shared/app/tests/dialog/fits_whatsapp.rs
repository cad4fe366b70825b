//! Everything the seed can produce passes the outbound builders.

use prolink_app::render::reply_body;
use prolink_domain::{
    content::{self, ListKey, MenuAction, RowTarget},
    dialog::{
        reply::{list_from_page, Reply},
        texts::{self},
    },
    nlp::{Engine, KnowledgeBase},
};
use prolink_whatsapp::outbound;

use super::chat::*;
use crate::support::seed;

#[test]
fn every_menu_list_answer_and_card_of_the_seed_passes_the_outbound_builders() {
    let content = seed();
    let to = address();

    for menu in &content.menus.menus {
        let page = content.menu_page(&menu.id).expect("menu page");
        if let Err(e) = reply_body(&Reply::List(list_from_page(page)), &to) {
            panic!("menu {}: {e}", menu.id);
        }
    }
    let mut keys = vec![ListKey::Topics, ListKey::ComplaintCategories];
    for category in content::FAQ_CATEGORIES {
        keys.push(ListKey::FaqCategory(category.to_string()));
        keys.push(ListKey::ServiceCategory(category.to_string()));
    }
    for key in &keys {
        for (i, page) in content.list_pages(key).into_iter().enumerate() {
            if let Err(e) = reply_body(&Reply::List(list_from_page(page)), &to) {
                panic!("{key:?} page {}: {e}", i + 1);
            }
        }
    }

    // Through the engine: every row of every menu, every FAQ, every service, under both
    // settings of PROLINK_SHOW_UNVERIFIED. `Chat::send` builds each reply; here we also
    // check nothing had to be degraded to plain text.
    let answerer = Engine::build(&KnowledgeBase::from(&content));
    for show_unverified in [false, true] {
        let mut taps: Vec<String> = content
            .menus
            .menus
            .iter()
            .flat_map(|m| m.rows.iter().map(|r| r.id.clone()))
            .collect();
        taps.extend(content.faqs.iter().map(|f| format!("faq:{}", f.id)));
        taps.extend(content.services.iter().map(|s| format!("service:{}", s.id)));
        taps.extend(content.topics.iter().map(|t| format!("topic:{}", t.id)));
        taps.extend(
            content
                .categories
                .iter()
                .map(|c| format!("complaint:{}", c.id)),
        );
        for key in &keys {
            let pages = content.list_pages(key).len();
            taps.extend((1..=pages).map(|p| {
                RowTarget::Page {
                    key: key.clone(),
                    page: p,
                }
                .row_id()
            }));
        }
        for id in taps {
            let mut chat = Chat::new(&content, &answerer);
            chat.show_unverified = show_unverified;
            let turn = chat.tap(&id);
            assert!(!turn.replies.is_empty(), "{id}");
            if id.starts_with("menu.") {
                let action = &content.menu_row(&id).expect("row").action;
                let interactive = matches!(
                    action,
                    MenuAction::Submenu { .. }
                        | MenuAction::FaqCategory { .. }
                        | MenuAction::ServiceCategory { .. }
                        | MenuAction::Subscriptions
                );
                assert_eq!(
                    interactive,
                    matches!(turn.replies[0], Reply::List(_)),
                    "{id}: {:?}",
                    turn.replies[0]
                );
            }
            if id.starts_with("faq:") || id.starts_with("service:") {
                assert!(
                    turn.replies.iter().all(|r| matches!(r, Reply::Text(_))),
                    "{id}"
                );
            }
        }
    }

    // The fixed texts.
    for text in [
        texts::HELP,
        texts::STOP_DONE,
        texts::HANDOFF_LAPSED,
        texts::HANDED_BACK,
        texts::FALLBACK,
    ] {
        assert!(outbound::text(&to, text, false).is_ok());
    }
}
