//! The unanswered questions: grouped by the engine's terms with counts and masked examples,
//! resolved to an FAQ (its training phrases gain the examples, as a content revision, and the
//! bot answers from it) or dismissed, and hidden once resolved.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use prolink_app::ports::UnansweredQuestion;

use super::harness::Api;

const DAY_MS: i64 = 86_400_000;

impl Api {
    async fn unanswered(&self, id: &str, text: &str, candidates: &[(&str, f64)], ago_ms: i64) {
        let now = chrono::Utc::now().timestamp_millis();
        self.stores
            .signals
            .record_unanswered(&UnansweredQuestion {
                id: id.to_string(),
                citizen_key: "6281234500099".to_string(),
                text: text.to_string(),
                candidates: candidates
                    .iter()
                    .map(|(id, score)| (id.to_string(), *score))
                    .collect(),
                asked_ms: now - ago_ms,
                expires_at_ms: now + 30 * DAY_MS,
            })
            .await
            .expect("recorded");
    }

    async fn groups(&self) -> Vec<Value> {
        let reply = self.get("/api/unanswered", "t-operator").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.json["next_cursor"], Value::Null);
        reply.json["items"].as_array().cloned().unwrap_or_default()
    }

    async fn resolve(&self, group: &str, body: Value) -> super::harness::Reply {
        self.post(
            &format!("/api/unanswered/{group}/resolve"),
            "t-operator",
            body,
        )
        .await
    }

    /// Three questions about one thing, two about another, one alone.
    async fn some_unanswered(&self) {
        let posyandu = [("kesehatan.imunisasi", 0.4), ("kesehatan.puskesmas", 0.3)];
        self.unanswered(
            "q.1",
            "kapan jadwal posyandu di kelurahan mangunharjo?",
            &posyandu,
            5_000,
        )
        .await;
        self.unanswered("q.2", "berapa biaya sewa gedung olahraga", &[], 4_000)
            .await;
        self.unanswered(
            "q.3",
            "jadwal posyandu mangunharjo kapan ya min",
            &posyandu,
            3_000,
        )
        .await;
        self.unanswered("q.4", "biaya sewa gedung olahraga berapa kak", &[], 2_000)
            .await;
        self.unanswered("q.5", "Jadwal POSYANDUUU mangunharjo kapan??", &[], 1_000)
            .await;
        self.unanswered("q.6", "wifi gratis di alun-alun", &[], 500)
            .await;
    }
}

async fn similar_questions_are_grouped_with_counts_and_examples(api: Api) {
    assert!(api.groups().await.is_empty());
    api.some_unanswered().await;
    let groups = api.groups().await;
    let counts: Vec<u64> = groups.iter().filter_map(|g| g["count"].as_u64()).collect();
    assert_eq!(counts, [3, 2, 1], "{groups:?}");
    let posyandu = &groups[0];
    assert_eq!(
        posyandu["examples"],
        json!([
            "Jadwal POSYANDUUU mangunharjo kapan??",
            "jadwal posyandu mangunharjo kapan ya min",
            "kapan jadwal posyandu di kelurahan mangunharjo?",
        ])
    );
    assert_eq!(
        posyandu["candidates"],
        json!(["kesehatan.imunisasi", "kesehatan.puskesmas"])
    );
    assert!(posyandu["first_asked"]
        .as_str()
        .is_some_and(|t| t.ends_with("+07:00")));
    assert!(posyandu["first_asked"].as_str() < posyandu["last_asked"].as_str());
    // The ids stay while newer questions join a group.
    api.unanswered("q.7", "jadwal posyandu kelurahan mangunharjo", &[], 100)
        .await;
    let again = api.groups().await;
    assert_eq!(again[0]["id"], posyandu["id"]);
    assert_eq!(again[0]["count"], 4);
    assert_eq!(again[1]["id"], groups[1]["id"]);
    // Paging.
    let page = api.get("/api/unanswered?limit=1", "t-admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.json["items"].as_array().map(Vec::len), Some(1));
    let next = page.json["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let rest = api
        .get(
            &format!("/api/unanswered?limit=100&cursor={next}"),
            "t-admin",
        )
        .await;
    assert_eq!(rest.json["items"].as_array().map(Vec::len), Some(2));
}

async fn only_diskominfo_sees_and_resolves(api: Api) {
    api.some_unanswered().await;
    let group = api.groups().await[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for token in ["t-opd", "t-viewer"] {
        assert_eq!(
            api.get("/api/unanswered", token).await.status,
            StatusCode::FORBIDDEN
        );
        let reply = api
            .post(
                &format!("/api/unanswered/{group}/resolve"),
                token,
                json!({"dismiss": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        api.call(Method::GET, "/api/unanswered", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api.groups().await.len(), 3);
}

async fn a_dismissed_group_is_no_longer_listed(api: Api) {
    api.some_unanswered().await;
    let group = api.groups().await[1]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let reply = api.resolve(&group, json!({"dismiss": true})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json,
        json!({"group": group, "count": 2, "faq_id": null, "dismissed": true,
               "added": [], "version": null})
    );
    let left: Vec<Value> = api.groups().await.iter().map(|g| g["id"].clone()).collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&json!(group)));
    assert_eq!(
        api.resolve(&group, json!({"dismiss": true})).await.status,
        StatusCode::NOT_FOUND
    );
    let audit = api.audit().await;
    let record = audit
        .iter()
        .find(|r| r.action == "unanswered.resolve")
        .expect("audited");
    assert_eq!(
        record.subject.as_deref(),
        Some(format!("unanswered/{group}").as_str())
    );
    assert_eq!(record.actor, "ani");
}

async fn bad_bodies_and_unknown_groups_are_refused(api: Api) {
    api.some_unanswered().await;
    let group = api.groups().await[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for body in [
        json!({}),
        json!({"dismiss": false}),
        json!({"faq_id": "  "}),
        json!({"faq_id": "kesehatan.puskesmas", "dismiss": true}),
        json!({"faq_id": "tidak.ada"}),
    ] {
        let reply = api.resolve(&group, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.json["code"], "invalid_field");
    }
    for body in [json!({"faq": "x"}), json!({"dismiss": "ya"}), json!([1])] {
        let reply = api.resolve(&group, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
    }
    let unknown = api
        .resolve("g0000000000000000", json!({"dismiss": true}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Nothing was resolved, nothing changed.
    assert_eq!(api.groups().await.len(), 3);
    let revisions = api.get("/api/content/revisions", "t-operator").await;
    assert_eq!(revisions.json["items"], json!([]));
}

/// Every text the citizen received, as one string.
async fn received(api: &Api, citizen: &str) -> String {
    api.app
        .outbox_for(citizen)
        .await
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// SQLite only: the dialog worker records unanswered questions in the local app's store.
#[tokio::test]
async fn resolving_to_an_faq_teaches_the_bot() {
    let api = Api::sqlite().await;
    let worker = api.app.dialog_worker().with_content(api.content.clone());
    let citizen = "6281234500088";
    let question = "kapan jadwal fogging nyamuk di kelurahan jrebeng lor";
    let answer = "fasilitas kesehatan tingkat pertama";
    let ask = |wamid: &str| crate::app::text_payload(citizen, "Sari", wamid, question);
    assert_eq!(
        api.app.post_signed(&ask("wamid.unans.1")).await,
        StatusCode::OK
    );
    api.app.drain_with(&worker).await;
    assert!(!received(&api, citizen).await.contains(answer));

    let groups = api.groups().await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["examples"], json!([question]));
    let group = groups[0]["id"].as_str().unwrap_or_default().to_string();
    let reply = api
        .resolve(&group, json!({"faq_id": "kesehatan.puskesmas"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["added"], json!([question]));
    assert_eq!(reply.json["version"], 1);
    assert!(api.groups().await.is_empty());

    let entry = api
        .get("/api/content/faq/kesehatan.puskesmas", "t-operator")
        .await;
    let phrases = entry.json["entry"]["phrases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(phrases.last(), Some(&json!(question)));
    let revisions = api.get("/api/content/revisions", "t-operator").await;
    assert_eq!(
        revisions.json["items"][0]["entry_id"],
        "kesehatan.puskesmas"
    );
    assert_eq!(revisions.json["items"][0]["action"], "update");

    assert_eq!(
        api.app.post_signed(&ask("wamid.unans.2")).await,
        StatusCode::OK
    );
    api.app.drain_with(&worker).await;
    assert!(
        received(&api, citizen).await.contains(answer),
        "{}",
        received(&api, citizen).await
    );
}

async fn phrases_respect_the_limit_and_skip_duplicates(api: Api) {
    // Citizens' questions become training phrases; what the entry already has (its question,
    // alternative questions or phrases, ignoring case and spacing) is skipped.
    let entry = api
        .get("/api/content/faq/kesehatan.imunisasi", "t-operator")
        .await;
    let own = entry.json["entry"]["alt_questions"][0]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    let phrases_before = entry.json["entry"]["phrases"]
        .as_array()
        .map_or(0, Vec::len);
    let phrase = entry.json["entry"]["phrases"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    api.unanswered("q.a", &own, &[], 3_000).await;
    api.unanswered("q.b", &format!("{own} ya"), &[], 2_000)
        .await;
    api.unanswered("q.c", &format!("{own} kak"), &[], 1_000)
        .await;
    let groups = api.groups().await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    let group = groups[0]["id"].as_str().unwrap_or_default().to_string();
    let reply = api
        .resolve(&group, json!({"faq_id": "kesehatan.imunisasi"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["count"], 3);
    let mut added: Vec<String> = reply.json["added"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    added.sort();
    assert_eq!(added, [format!("{own} kak"), format!("{own} ya")]);
    let entry = api
        .get("/api/content/faq/kesehatan.imunisasi", "t-operator")
        .await;
    assert_eq!(
        entry.json["entry"]["phrases"].as_array().map(Vec::len),
        Some(phrases_before + 2)
    );
    assert_eq!(
        entry.json["entry"]["alt_questions"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "the curated questions stay as they were"
    );
    // A phrase it already has, in other spacing and case, adds nothing.
    if !phrase.is_empty() {
        api.unanswered("q.d", &format!("  {}  ", phrase.to_uppercase()), &[], 500)
            .await;
        let groups = api.groups().await;
        let group = groups[0]["id"].as_str().unwrap_or_default().to_string();
        let reply = api
            .resolve(&group, json!({"faq_id": "kesehatan.imunisasi"}))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.json["added"], json!([]), "{}", reply.text);
    }
}

on_both_stores!(
    similar_questions_are_grouped_with_counts_and_examples,
    only_diskominfo_sees_and_resolves,
    a_dismissed_group_is_no_longer_listed,
    bad_bodies_and_unknown_groups_are_refused,
    phrases_respect_the_limit_and_skip_duplicates,
);
