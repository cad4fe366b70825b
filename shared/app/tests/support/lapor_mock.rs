//! A local SP4N-LAPOR! stand-in (axum on 127.0.0.1, a free port) speaking the built-in mapping
//! (`infra/lapor/mapping.json`): creates are idempotent on the `Idempotency-Key` header, a key
//! can be looked up, a report's status read. The test switches how it misbehaves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

/// How the server answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    Normal,
    /// Every request: 503.
    Outage,
    /// Every request: 200 with a body that is not JSON.
    Malformed,
    /// The create is made, but its answer is lost in garbage (the retry must find it).
    CreatesThenGarbles,
    /// Every request waits this long first.
    Slow(Duration),
    /// Creates are refused (400).
    Refuses,
}

#[derive(Debug)]
pub struct MockState {
    pub behaviour: Behaviour,
    /// Idempotency key → tracking id.
    pub by_key: HashMap<String, String>,
    /// Tracking id → (status, answer).
    pub statuses: HashMap<String, (String, Option<String>)>,
    /// The bodies of the reports made, by tracking id.
    pub bodies: HashMap<String, Value>,
    /// POSTs received (including duplicates).
    pub creates: usize,
    pub lookups: usize,
    pub authorization: Option<String>,
    next_id: u64,
}

#[derive(Clone)]
pub struct LaporMock {
    pub state: Arc<Mutex<MockState>>,
    pub base_url: String,
}

impl LaporMock {
    pub async fn start() -> LaporMock {
        let state = Arc::new(Mutex::new(MockState {
            behaviour: Behaviour::Normal,
            by_key: HashMap::new(),
            statuses: HashMap::new(),
            bodies: HashMap::new(),
            creates: 0,
            lookups: 0,
            authorization: None,
            next_id: 4_100_000,
        }));
        let router = Router::new()
            .route("/laporan", post(create).get(find))
            .route("/laporan/{id}", get(status))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        LaporMock {
            state,
            base_url: format!("http://{addr}"),
        }
    }

    pub fn set(&self, behaviour: Behaviour) {
        self.lock().behaviour = behaviour;
    }

    pub fn set_status(&self, id: &str, status: &str, answer: Option<&str>) {
        self.lock()
            .statuses
            .insert(id.into(), (status.into(), answer.map(str::to_string)));
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, MockState> {
        self.state.lock().expect("mock state")
    }
}

type Shared = Arc<Mutex<MockState>>;

/// The misbehaviour common to every route, after the slow wait.
async fn misbehave(state: &Shared) -> Option<Response> {
    let behaviour = state.lock().expect("mock").behaviour.clone();
    match behaviour {
        Behaviour::Slow(wait) => {
            tokio::time::sleep(wait).await;
            None
        }
        Behaviour::Outage => Some(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        Behaviour::Malformed => Some((StatusCode::OK, "<html>maintenance</html>").into_response()),
        _ => None,
    }
}

async fn create(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(response) = misbehave(&state).await {
        state.lock().expect("mock").creates += 1;
        return response;
    }
    let mut s = state.lock().expect("mock");
    s.creates += 1;
    s.authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if s.behaviour == Behaviour::Refuses {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "judul wajib"})),
        )
            .into_response();
    }
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let id = match s.by_key.get(&key) {
        Some(id) => id.clone(),
        None => {
            s.next_id += 1;
            let id = s.next_id.to_string();
            s.by_key.insert(key, id.clone());
            s.statuses
                .insert(id.clone(), ("Belum Terverifikasi".into(), None));
            s.bodies.insert(id.clone(), body);
            id
        }
    };
    if s.behaviour == Behaviour::CreatesThenGarbles {
        return (StatusCode::OK, "{\"tracking_id\":").into_response();
    }
    (StatusCode::CREATED, Json(json!({ "tracking_id": id }))).into_response()
}

async fn find(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(response) = misbehave(&state).await {
        return response;
    }
    let mut s = state.lock().expect("mock");
    s.lookups += 1;
    match query.get("idempotency_key").and_then(|k| s.by_key.get(k)) {
        Some(id) => Json(json!({ "tracking_id": id })).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn status(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    if let Some(response) = misbehave(&state).await {
        return response;
    }
    let s = state.lock().expect("mock");
    match s.statuses.get(&id) {
        Some((status, answer)) => {
            Json(json!({ "tracking_id": id, "status": status, "tindak_lanjut": answer }))
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
