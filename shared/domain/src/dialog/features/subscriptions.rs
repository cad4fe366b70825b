//! Subscriptions (*Langganan Info*): choosing broadcast topics by tapping or typing their
//! names, `selesai` to end the choice, and `STOP` to opt out of every broadcast (complaint
//! notifications go on).

use crate::content::ListKey;
use crate::dialog::{
    complaint_texts as ct, keywords,
    reply::buttons,
    session::Flow,
    texts::{self, ids, titles},
    turn::TurnBuilder,
};

pub(in crate::dialog) fn start(t: &mut TurnBuilder) {
    if t.content().topics.is_empty() {
        return t.text(texts::SUBSCRIPTION_EMPTY);
    }
    if t.suspend_complaint() {
        t.text(ct::FORM_SUSPENDED);
    }
    if t.turn.session.flow.is_none() {
        t.turn.session.flow = Some(Flow::Subscription);
    }
    topic_page(t, 1);
}

/// A page of the topic list, with the topics chosen so far.
pub(in crate::dialog) fn topic_page(t: &mut TurnBuilder, page: usize) {
    let current = texts::current_topics(&topic_names(t));
    t.list_page_with(&ListKey::Topics, page, |list| {
        list.body = format!("{}\n\n{}\n{}", list.body, current, texts::TOPIC_LIST_HINT);
    });
}

/// Typed text while choosing: `selesai` ends the choice, a topic's name toggles it. False
/// for anything else (it is then answered as a question).
pub(in crate::dialog) fn on_text(t: &mut TurnBuilder, text: &str) -> bool {
    if keywords::is_done(text) {
        finish(t);
        return true;
    }
    let typed_topic = t
        .content()
        .topics
        .iter()
        .find(|topic| {
            keywords::same_words(&topic.name, text) || keywords::same_words(&topic.id, text)
        })
        .map(|topic| topic.id.clone());
    match typed_topic {
        Some(topic) => {
            toggle_topic(t, &topic);
            true
        }
        None => false,
    }
}

/// Subscribed topic names, in display order.
fn topic_names(t: &TurnBuilder) -> Vec<String> {
    t.content()
        .topics
        .iter()
        .filter(|topic| t.turn.profile.topics.contains(&topic.id))
        .map(|topic| topic.name.clone())
        .collect()
}

pub(in crate::dialog) fn toggle_topic(t: &mut TurnBuilder, id: &str) {
    let Some(topic) = t.content().topic(id) else {
        return t.stale_choice();
    };
    let name = topic.name.clone();
    let profile = &mut t.turn.profile;
    let added = if profile.topics.iter().any(|topic| topic == id) {
        profile.topics.retain(|topic| topic != id);
        false
    } else {
        profile.topics.push(id.to_string());
        true
    };
    // Keep the stored order stable (display order), whatever order the taps came in.
    let order: Vec<String> = t
        .content()
        .topics
        .iter()
        .map(|topic| topic.id.clone())
        .collect();
    let profile = &mut t.turn.profile;
    profile
        .topics
        .sort_by_key(|topic| order.iter().position(|o| o == topic).unwrap_or(usize::MAX));
    profile.broadcast_opt_in = !profile.topics.is_empty();
    if t.turn.session.flow.is_none() {
        t.turn.session.flow = Some(Flow::Subscription);
    }
    let change = if added {
        texts::topic_added(&name)
    } else {
        texts::topic_removed(&name)
    };
    let body = format!(
        "{change}\n\n{}\n\n{}",
        texts::current_topics(&topic_names(t)),
        texts::TOPIC_NEXT
    );
    t.say(buttons(
        body,
        &[(ids::DONE, titles::DONE), (ids::TOPICS, titles::TOPICS)],
    ));
}

pub(in crate::dialog) fn finish(t: &mut TurnBuilder) {
    if t.turn.session.flow == Some(Flow::Subscription) {
        t.turn.session.flow = None;
    }
    let names = topic_names(t);
    t.text(texts::subscription_done(&names));
}

/// `BATAL` during the topic choice: it ends, the topics chosen so far stay. False when no
/// choice is open.
pub(in crate::dialog) fn cancel(t: &mut TurnBuilder) -> bool {
    if t.turn.session.flow != Some(Flow::Subscription) {
        return false;
    }
    t.turn.session.flow = None;
    let names = topic_names(t);
    t.text(texts::subscription_cancelled(&names));
    true
}

/// `STOP`: no more broadcasts.
pub(in crate::dialog) fn stop(t: &mut TurnBuilder) {
    let profile = &mut t.turn.profile;
    profile.broadcast_opt_in = false;
    profile.topics.clear();
    // A topic choice ends with the opt-out; a complaint form goes on.
    if t.turn.session.flow == Some(Flow::Subscription) {
        t.turn.session.flow = None;
    }
    t.text(texts::STOP_DONE);
}
