//! The simulator's HTTP handlers and the loopback guard.

use super::*;

/// Loopback names only: another name pointing at 127.0.0.1 (DNS rebinding) must not let a web
/// page read the conversations. Requests built in process carry no Host and pass.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Host checks, JSON-only POSTs (a cross-site form cannot post JSON without a preflight this
/// server never grants), and the security headers of every simulator response.
pub(super) async fn guard(request: Request, next: Next) -> Response {
    if !loopback_host(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "Simulator hanya dapat dibuka lewat alamat loopback (127.0.0.1 atau localhost)." })),
        )
            .into_response();
    }
    if request.method() == axum::http::Method::POST {
        let json_body = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json_body {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Json(json!({ "error": "Kirim permintaan sebagai JSON (Content-Type: application/json)." })),
            )
                .into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

pub(super) async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE_HTML)
}

pub(super) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub(super) async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

pub(super) async fn logo() -> Response {
    asset("image/svg+xml", LOGO_SVG)
}

pub(super) async fn templates() -> Response {
    asset("application/json", TEMPLATES_JSON)
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, SimulatorError> {
    serde_json::from_slice(body)
        .map_err(|error| invalid(format!("Permintaan tidak dapat dibaca: {error}")))
}

pub(super) async fn send(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let request: SendRequest = match parse_body(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    match state.send(&request).await {
        Ok(accepted) => Json(accepted).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct UserQuery {
    user: Option<String>,
}

fn required_user(user: Option<String>) -> Result<String, SimulatorError> {
    user.map(|user| user.trim().to_owned())
        .filter(|user| !user.is_empty() && user.chars().count() <= 140)
        .ok_or_else(|| invalid("Parameter user wajib diisi (nomor atau user id)."))
}

pub(super) async fn messages(
    State(state): State<Arc<SimulatorState>>,
    Query(query): Query<UserQuery>,
) -> Response {
    let user = match required_user(query.user) {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    match state.store.conversation(&user).await {
        Ok(items) => {
            let messages: Vec<&Value> = items
                .iter()
                .filter(|item| item.outbox_id.is_some())
                .map(|item| &item.body)
                .collect();
            Json(json!({
                "messages": messages,
                "items": items,
                "clock": state.clock_view(),
            }))
            .into_response()
        }
        Err(error) => {
            warn!(%error, "simulator conversation read failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "Kotak keluar simulator tidak dapat dibaca." })),
            )
                .into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadRequest {
    user: Option<String>,
}

pub(super) async fn read(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let result = async {
        let request: ReadRequest = parse_body(&body)?;
        let user = required_user(request.user)?;
        state.mark_conversation_read(&user).await
    }
    .await;
    match result {
        Ok(count) => Json(json!({ "read": count })).into_response(),
        Err(error) => error.into_response(),
    }
}

pub(super) async fn citizens(State(state): State<Arc<SimulatorState>>) -> Response {
    match state.store.citizens().await {
        Ok(citizens) => Json(json!({ "citizens": citizens })).into_response(),
        Err(error) => SimulatorError::from(error).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CitizenRequest {
    number: String,
    name: String,
    #[serde(default)]
    user_id: Option<String>,
}

/// Checks a citizen added in the page.
fn check_citizen(request: CitizenRequest) -> Result<SimCitizen, SimulatorError> {
    let number = request.number.trim().to_owned();
    if number.len() < 6 || number.len() > 20 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "Nomor warga harus berupa 6–20 angka, contoh 6281234567890.",
        ));
    }
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("Nama warga wajib diisi (maksimal 100 karakter)."));
    }
    let user_id = request
        .user_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty());
    if user_id.as_deref().is_some_and(|id| !valid_user_id(id)) {
        return Err(invalid(
            "User id harus berbentuk kode negara, titik, lalu huruf/angka, contoh ID.1830495827364019283.",
        ));
    }
    Ok(SimCitizen {
        number,
        name,
        user_id,
    })
}

pub(super) async fn put_citizen(State(state): State<Arc<SimulatorState>>, body: Bytes) -> Response {
    let result = async {
        let citizen = check_citizen(parse_body(&body)?)?;
        state
            .store
            .put_citizen(&citizen, state.clock.now_ms())
            .await?;
        Ok::<_, SimulatorError>(state.store.citizens().await?)
    }
    .await;
    match result {
        Ok(citizens) => Json(json!({ "citizens": citizens })).into_response(),
        Err(error) => error.into_response(),
    }
}

pub(super) async fn clock_view(State(state): State<Arc<SimulatorState>>) -> Response {
    Json(state.clock_view()).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    advance_minutes: i64,
}

pub(super) async fn advance_clock(
    State(state): State<Arc<SimulatorState>>,
    body: Bytes,
) -> Response {
    let result = async {
        let request: AdvanceRequest = parse_body(&body)?;
        state.advance_clock(request.advance_minutes).await
    }
    .await;
    match result {
        Ok(view) => Json(view).into_response(),
        Err(error) => error.into_response(),
    }
}

fn media_response(media: MediaFile) -> Response {
    let mut response = Response::new(Body::from(media.data));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(media.file_size));
    response
}

/// Media ids are decimal; anything else cannot name a stored file.
fn plausible_media_id(media_id: &str) -> bool {
    !media_id.is_empty() && media_id.len() <= 40 && media_id.bytes().all(|b| b.is_ascii_digit())
}

/// The page shows the citizen's own pictures (same origin, no token: the page is the phone).
pub(super) async fn page_media(
    State(state): State<Arc<SimulatorState>>,
    Path(media_id): Path<String>,
) -> Response {
    if !plausible_media_id(&media_id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.store.media(&media_id).await {
        Ok(Some(media)) => media_response(media),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => SimulatorError::from(error).into_response(),
    }
}

fn graph_error(status: StatusCode, code: i64, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": {
            "message": message,
            "type": kind,
            "code": code,
            "fbtrace_id": "SIMULATOR",
        }})),
    )
        .into_response()
}

/// Graph accepts any non-empty bearer token locally, or exactly the configured one when a
/// `WHATSAPP_ACCESS_TOKEN` is set (so a wrong token fails here as it would at Meta).
async fn bearer_ok(state: &SimulatorState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
    else {
        return false;
    };
    match state.secrets.whatsapp().await {
        Ok(secrets) => match secrets.access_token.as_deref() {
            Some(expected) => {
                use subtle::ConstantTimeEq;
                bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
            }
            None => true,
        },
        Err(_) => false,
    }
}

fn invalid_token() -> Response {
    graph_error(
        StatusCode::UNAUTHORIZED,
        190,
        "OAuthException",
        "Invalid OAuth access token - Cannot parse access token",
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct GraphMediaQuery {
    phone_number_id: Option<String>,
}

/// `GET /{version}/{media_id}`: where to download a file, as Meta answers it.
pub(super) async fn graph_media(
    State(state): State<Arc<SimulatorState>>,
    Path((version, media_id)): Path<(String, String)>,
    Query(query): Query<GraphMediaQuery>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&state, &headers).await {
        return invalid_token();
    }
    let unknown = || {
        graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "GraphMethodException",
            &format!(
                "Unsupported get request. Object with ID '{media_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        )
    };
    let version_ok = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        });
    if !version_ok {
        return graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            "OAuthException",
            "Unknown path components",
        );
    }
    if query
        .phone_number_id
        .as_deref()
        .is_some_and(|id| id != state.phone_number_id)
    {
        return unknown();
    }
    if !plausible_media_id(&media_id) {
        return unknown();
    }
    let media = match state.store.media(&media_id).await {
        Ok(Some(media)) => media,
        Ok(None) => return unknown(),
        Err(error) => return SimulatorError::from(error).into_response(),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let expires = state.clock.now_ms() / 1000 + MEDIA_URL_TTL_SECS;
    Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{host}/simulator/media/{media_id}?ext={expires}"),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.file_size.to_string(),
        "id": media.media_id,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct DownloadQuery {
    ext: Option<i64>,
}

/// The download URL: bytes with the bearer token, 404 once the URL expired (fetch a new one).
pub(super) async fn media_download(
    State(state): State<Arc<SimulatorState>>,
    Path(media_id): Path<String>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&state, &headers).await {
        return invalid_token();
    }
    let expired = query
        .ext
        .is_none_or(|expires| expires < state.clock.now_ms() / 1000);
    if expired || !plausible_media_id(&media_id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.store.media(&media_id).await {
        Ok(Some(media)) => media_response(media),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => SimulatorError::from(error).into_response(),
    }
}
