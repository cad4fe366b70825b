//! The content routes: every kind read and written back, the import's rules per field,
//! create / retire / restore with the revision trail, optimistic concurrency, verification,
//! and the bot answering from a change at once.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::harness::{Api, Reply};

const KINDS: [(&str, &str); 7] = [
    ("faq", "id"),
    ("services", "id"),
    ("categories", "id"),
    ("opds", "id"),
    ("topics", "id"),
    ("menus", "id"),
    ("holidays", "date"),
];

impl Api {
    async fn put(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(&body.to_string()))
            .await
    }

    async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// GET of one entry: `{"entry", "version"}`.
    async fn entry(&self, kind: &str, id: &str) -> Value {
        let reply = self
            .get(&format!("/api/content/{kind}/{id}"), "t-operator")
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{kind}/{id}: {}", reply.text);
        reply.json
    }
}

fn version_of(reply: &Reply) -> u64 {
    reply.json["version"].as_u64().unwrap_or(u64::MAX)
}

async fn a_put_of_exactly_what_the_get_returned_succeeds_for_every_kind(api: Api) {
    let mut version = 0;
    for (kind, key) in KINDS {
        let list = api
            .get(&format!("/api/content/{kind}?limit=2"), "t-opd")
            .await;
        assert_eq!(list.status, StatusCode::OK, "{kind}: {}", list.text);
        assert_eq!(version_of(&list), version, "{kind}");
        assert_eq!(
            list.json["items"].as_array().map(Vec::len),
            Some(2),
            "{kind}"
        );
        assert!(list.json["next_cursor"].is_string(), "{kind}");
        let id = list.json["items"][0][key].as_str().expect("id").to_string();
        let got = api.entry(kind, &id).await;
        assert_eq!(got["entry"], list.json["items"][0], "{kind}");
        let put = api
            .put(&format!("/api/content/{kind}/{id}"), "t-operator", &got)
            .await;
        assert_eq!(put.status, StatusCode::OK, "{kind}/{id}: {}", put.text);
        version += 1;
        assert_eq!(version_of(&put), version, "{kind}");
        assert_eq!(put.json["entry"], got["entry"], "{kind}: unchanged");
    }
    let unknown = api.get("/api/content/pizza", "t-operator").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let missing = api
        .get("/api/content/faq/umum.tidak-ada", "t-operator")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn a_bad_entry_is_refused_per_field_and_changes_nothing(api: Api) {
    let faq = api.entry("faq", "kependudukan.ktp-el-baru").await;
    let cases = [
        ("answer", json!("a".repeat(4100)), "entry.answer"),
        ("opd_id", json!("dinas-tidak-ada"), "entry.opd_id"),
        ("title", json!(""), "entry.title"),
        ("verified", json!("ya"), "entry.verified"),
        ("colour", json!("merah"), "entry.colour"),
    ];
    for (field, value, key) in cases {
        let mut body = faq.clone();
        body["entry"][field] = value;
        let reply = api
            .put(
                "/api/content/faq/kependudukan.ktp-el-baru",
                "t-operator",
                &body,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.text
        );
        assert_eq!(reply.json["code"], "invalid_field", "{field}");
        assert!(
            reply.json["fields"][key]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{field}: {}",
            reply.text
        );
    }
    let mut body = faq.clone();
    body["entry"]
        .as_object_mut()
        .expect("object")
        .remove("question");
    let missing = api
        .put(
            "/api/content/faq/kependudukan.ktp-el-baru",
            "t-operator",
            &body,
        )
        .await;
    assert!(
        missing.json["fields"]["entry.question"].is_string(),
        "{}",
        missing.text
    );
    let mut category = api.entry("categories", "jalan-rusak").await;
    category["entry"]["opd_id"] = json!("dinas-tidak-ada");
    let reply = api
        .put("/api/content/categories/jalan-rusak", "t-admin", &category)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.json["fields"]["entry.opd_id"]
        .as_str()
        .is_some_and(|m| m.contains("dinas-tidak-ada")));
    let mut renamed = faq.clone();
    renamed["entry"]["id"] = json!("kependudukan.lain");
    let reply = api
        .put(
            "/api/content/faq/kependudukan.ktp-el-baru",
            "t-admin",
            &renamed,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.json["fields"]["entry.id"].is_string());

    assert_eq!(api.entry("faq", "kependudukan.ktp-el-baru").await, faq);
    let revisions = api.get("/api/content/revisions", "t-operator").await;
    assert_eq!(revisions.json["items"], json!([]));
}

async fn create_retire_restore_leave_a_revision_trail(api: Api) {
    let mut new = api.entry("faq", "umum.tentang-prolink-sakti").await;
    new["entry"]["id"] = json!("umum.uji-coba-api");
    new["entry"]["title"] = json!("Uji coba API");
    let created = api
        .post("/api/content/faq", "t-operator", new.clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(version_of(&created), 1);
    assert_eq!(
        api.entry("faq", "umum.uji-coba-api").await["entry"],
        new["entry"]
    );
    let mut again = new.clone();
    again["version"] = json!(1);
    let taken = api.post("/api/content/faq", "t-operator", again).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);

    // An OPD a category still names stays.
    let referenced = api
        .delete("/api/content/opds/dpupr-pkp?version=1", "t-admin")
        .await;
    assert_eq!(
        referenced.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        referenced.text
    );
    assert!(
        referenced.json["fields"]
            .as_object()
            .is_some_and(|f| f.keys().any(|k| k.starts_with("categories/"))),
        "{}",
        referenced.text
    );
    assert_eq!(api.entry("opds", "dpupr-pkp").await["version"], 1);

    let retired = api
        .delete("/api/content/faq/umum.uji-coba-api?version=1", "t-operator")
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.text);
    assert_eq!(version_of(&retired), 2);
    let gone = api
        .get("/api/content/faq/umum.uji-coba-api", "t-operator")
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let restored = api
        .post(
            "/api/content/revisions/1/restore",
            "t-admin",
            json!({"version": 2}),
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text);
    assert_eq!(restored.json["number"], 3);
    assert_eq!(restored.json["restored_from"], 1);
    assert_eq!(
        api.entry("faq", "umum.uji-coba-api").await["entry"],
        new["entry"]
    );
    let missing = api
        .post(
            "/api/content/revisions/99/restore",
            "t-admin",
            json!({"version": 3}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let trail = api.get("/api/content/revisions?limit=2", "t-opd").await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.text);
    let items = trail.json["items"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(Value, Value, Value, Value)> = items
        .iter()
        .map(|r| {
            (
                r["number"].clone(),
                r["action"].clone(),
                r["actor"].clone(),
                r["entry_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!(3), json!("restore"), json!("admin"), Value::Null),
            (
                json!(2),
                json!("retire"),
                json!("ani"),
                json!("umum.uji-coba-api")
            ),
        ]
    );
    assert!(items[0]["at"]
        .as_str()
        .is_some_and(|t| t.ends_with("+07:00")));
    let older = api
        .get(
            &format!(
                "/api/content/revisions?limit=2&cursor={}",
                trail.json["next_cursor"].as_str().expect("cursor")
            ),
            "t-opd",
        )
        .await;
    assert_eq!(older.json["items"][0]["action"], "create");
    assert_eq!(older.json["items"][0]["kind"], "faq");
    assert_eq!(older.json["next_cursor"], Value::Null);

    let actions: Vec<String> = api
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action.starts_with("content."))
        .map(|r| format!("{} {}", r.action, r.subject.unwrap_or_default()))
        .collect();
    assert_eq!(
        actions,
        [
            "content.restore revisi 3",
            "content.retire faq/umum.uji-coba-api",
            "content.create faq/umum.uji-coba-api",
        ]
    );
}

async fn a_stale_version_is_a_conflict(api: Api) {
    let read = api.entry("topics", "kesehatan").await;
    let mut first = read.clone();
    first["entry"]["description"] = json!("Info kesehatan dari Dinkes.");
    let ok = api
        .put("/api/content/topics/kesehatan", "t-operator", &first)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let mut second = read.clone();
    second["entry"]["description"] = json!("Ditimpa operator kedua.");
    let stale = api
        .put("/api/content/topics/kesehatan", "t-admin", &second)
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert_eq!(stale.json["code"], "conflict");
    let stale_delete = api
        .delete("/api/content/topics/kesehatan?version=0", "t-admin")
        .await;
    assert_eq!(stale_delete.status, StatusCode::CONFLICT);
    let stale_restore = api
        .post(
            "/api/content/revisions/1/restore",
            "t-admin",
            json!({"version": 0}),
        )
        .await;
    assert_eq!(stale_restore.status, StatusCode::CONFLICT);
    assert_eq!(
        api.entry("topics", "kesehatan").await["entry"]["description"],
        "Info kesehatan dari Dinkes."
    );
}

async fn verified_records_who_and_when(api: Api) {
    let path = "/api/content/faq/umum.tentang-prolink-sakti";
    let mut body = api.entry("faq", "umum.tentang-prolink-sakti").await;
    assert_eq!(body["entry"]["verified"], false);
    assert!(body["entry"].get("verified_by").is_none());
    body["entry"]["verified"] = json!(true);
    body["entry"]["verified_by"] = json!("orang-lain");
    let verified = api.put(path, "t-operator", &body).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    let entry = api.entry("faq", "umum.tentang-prolink-sakti").await;
    assert_eq!(entry["entry"]["verified_by"], "ani");
    let at = entry["entry"]["verified_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(at.ends_with("+07:00"), "{at}");

    // Still verified: who verified stays, whoever saves next.
    let kept = api.put(path, "t-admin", &entry).await;
    assert_eq!(kept.json["entry"]["verified_by"], "ani");
    assert_eq!(kept.json["entry"]["verified_at"], at.as_str());

    let mut unverified = kept.json.clone();
    unverified["entry"]["verified"] = json!(false);
    let cleared = api.put(path, "t-admin", &unverified).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(
        cleared.json["entry"].get("verified_by").is_none(),
        "{}",
        cleared.text
    );
}

async fn only_staff_read_and_only_diskominfo_writes(api: Api) {
    for token in ["t-admin", "t-operator", "t-opd"] {
        let reply = api.get("/api/content/services", token).await;
        assert_eq!(reply.status, StatusCode::OK, "{token}");
    }
    let viewer = api.get("/api/content/services", "t-viewer").await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    let body = api.entry("opds", "dishub").await;
    let opd = api.put("/api/content/opds/dishub", "t-opd", &body).await;
    assert_eq!(opd.status, StatusCode::FORBIDDEN);
    let opd_delete = api
        .delete("/api/content/opds/dishub?version=0", "t-opd")
        .await;
    assert_eq!(opd_delete.status, StatusCode::FORBIDDEN);
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

async fn the_bot_answers_from_the_new_revision_at_once(api: Api) {
    // The worker reads through the API's content source (60 s refresh), as in serve.
    let worker = api.app.dialog_worker().with_content(api.content.clone());
    let citizen = "6281234500077";
    let question = "apa saja syarat bikin KTP-el baru?";
    let ask = |wamid: &str| crate::app::text_payload(citizen, "Sari", wamid, question);
    assert_eq!(
        api.app.post_signed(&ask("wamid.content.1")).await,
        StatusCode::OK
    );
    api.app.drain_with(&worker).await;
    assert!(received(&api, citizen).await.contains("Syarat KTP-el baru"));

    let marker = "Bawa KK asli ke Dispendukcapil (revisi uji).";
    let mut body = api.entry("faq", "kependudukan.ktp-el-baru").await;
    body["entry"]["answer"] = json!(format!("*Syarat KTP-el baru:*\n{marker}"));
    let changed = api
        .put(
            "/api/content/faq/kependudukan.ktp-el-baru",
            "t-operator",
            &body,
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);

    assert!(!received(&api, citizen).await.contains(marker));
    assert_eq!(
        api.app.post_signed(&ask("wamid.content.2")).await,
        StatusCode::OK
    );
    api.app.drain_with(&worker).await;
    assert!(
        received(&api, citizen).await.contains(marker),
        "{}",
        received(&api, citizen).await
    );
}

async fn empty_optional_lists_pass_and_training_phrases_are_kept(api: Api) {
    // The dashboard's new-FAQ form sends every field an existing entry has, emptied: an empty
    // list of a field that is only written when it has items is not an unknown field.
    let mut new = api.entry("faq", "umum.tentang-prolink-sakti").await;
    new["entry"]["id"] = json!("umum.uji-frasa");
    new["entry"]["title"] = json!("Uji frasa latih");
    new["entry"]["phrases"] = json!([]);
    let created = api
        .post("/api/content/faq", "t-operator", new.clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    let mut service = api.entry("services", "svc.kependudukan.ktp-el-baru").await;
    service["entry"]["phrases"] = json!([]);
    let edited = api
        .put(
            "/api/content/services/svc.kependudukan.ktp-el-baru",
            "t-operator",
            &service,
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);

    // Training phrases edited by an operator are stored as given.
    let mut faq = api.entry("faq", "umum.uji-frasa").await;
    let phrases = json!(["frasa pertama buat uji coba", "frasa kedua buat uji coba"]);
    faq["entry"]["phrases"] = phrases.clone();
    let saved = api
        .put("/api/content/faq/umum.uji-frasa", "t-operator", &faq)
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(
        api.entry("faq", "umum.uji-frasa").await["entry"]["phrases"],
        phrases
    );

    // A field no entry has is still refused, empty or not.
    let mut unknown = api.entry("faq", "umum.uji-frasa").await;
    unknown["entry"]["pizza"] = json!(["keju"]);
    let refused = api
        .put("/api/content/faq/umum.uji-frasa", "t-operator", &unknown)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.json["fields"].get("entry.pizza").is_some(),
        "{}",
        refused.text
    );
}

on_both_stores!(
    a_put_of_exactly_what_the_get_returned_succeeds_for_every_kind,
    empty_optional_lists_pass_and_training_phrases_are_kept,
    a_bad_entry_is_refused_per_field_and_changes_nothing,
    create_retire_restore_leave_a_revision_trail,
    a_stale_version_is_a_conflict,
    verified_records_who_and_when,
    only_staff_read_and_only_diskominfo_writes,
    the_bot_answers_from_the_new_revision_at_once,
);
