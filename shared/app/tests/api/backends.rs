//! The harness itself: on DynamoDB, what the API reads and writes is in the table, not in the
//! local app's SQLite store (which would make the `dynamodb::` variants SQLite tests again).

use axum::http::StatusCode;
use serde_json::json;

use prolink_app::ports::{AuditLog, AuditQuery, ComplaintStore, PageRequest, UserStore};

use super::harness::{Api, Backend, Seed};

#[tokio::test]
async fn the_dynamodb_backend_keeps_the_apis_data_out_of_sqlite() {
    let Some(api) = Api::on(Backend::Dynamodb).await else {
        return;
    };
    let sqlite = api.app.app.store.clone();
    api.complaint(Seed::new("PS-KK0001")).await;
    let read = api.get("/api/complaints/PS-KK0001", "t-operator").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let created = api
        .post(
            "/api/users",
            "t-admin",
            json!({"username": "eko", "role": "viewer", "password": "rahasia-sekali"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    assert!(sqlite
        .get_complaint("PS-KK0001")
        .await
        .expect("sqlite")
        .is_none());
    let everything = PageRequest {
        limit: 100,
        after: None,
    };
    let local_audit = sqlite
        .query_audit(&AuditQuery::default(), &everything)
        .await
        .expect("sqlite audit");
    assert!(local_audit.items.is_empty(), "{:?}", local_audit.items);
    assert!(api
        .audit()
        .await
        .iter()
        .any(|r| r.action == "complaint.read"));
    assert_eq!(sqlite.get_user("eko").await.expect("sqlite user"), None);
    assert_eq!(api.user_count().await, 1);
}
