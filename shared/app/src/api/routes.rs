//! The route table: every route with the roles it admits, in one place. The router is built
//! from it (each route gets the authorising layer with its roles), and the tests walk it
//! (every route × every role) and compare it with `docs/openapi.yaml`.

use axum::{
    http::Method,
    middleware,
    routing::{any, on, MethodFilter, MethodRouter},
    Extension, Router,
};

use crate::ports::Role;

use super::error::ApiError;
use super::extract::{authorize, AllowedRoles, RateLimiter};
use super::{
    admin, broadcasts, citizens, complaints, content, conversations, lapor, open_data, stats,
    unanswered, ApiState,
};

const ALL: &[Role] = &[Role::Admin, Role::Operator, Role::Opd, Role::Viewer];
const STAFF: &[Role] = &[Role::Admin, Role::Operator, Role::Opd];
const DISKOMINFO: &[Role] = &[Role::Admin, Role::Operator];
const ADMIN: &[Role] = &[Role::Admin];
/// Statistics and reports: counts only, nothing personal; an OPD user is refused (403), as
/// the counters are city-wide (`docs/operator-api.md`, "Statistics").
const STATS: &[Role] = &[Role::Admin, Role::Operator, Role::Viewer];

/// Largest JSON body a route reads (notes are ≤ 1000 characters; contacts a few dozen
/// numbers).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One route: method, path (axum syntax, `{param}`), the roles it admits, the handler.
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub roles: &'static [Role],
    pub handler: MethodRouter<ApiState>,
}

fn route(
    method: Method,
    path: &'static str,
    roles: &'static [Role],
    handler: MethodRouter<ApiState>,
) -> RouteDef {
    RouteDef {
        method,
        path,
        roles,
        handler,
    }
}

/// Every route of the operator API.
pub fn routes() -> Vec<RouteDef> {
    vec![
        route(
            Method::GET,
            "/api/me",
            ALL,
            on(MethodFilter::GET, admin::me),
        ),
        route(
            Method::GET,
            "/api/complaints",
            STAFF,
            on(MethodFilter::GET, complaints::list),
        ),
        route(
            Method::GET,
            "/api/complaints.csv",
            STAFF,
            on(MethodFilter::GET, complaints::export_csv),
        ),
        route(
            Method::GET,
            "/api/complaints/{ticket}",
            STAFF,
            on(MethodFilter::GET, complaints::get_one),
        ),
        route(
            Method::POST,
            "/api/complaints/{ticket}/transitions",
            STAFF,
            on(MethodFilter::POST, complaints::transition),
        ),
        route(
            Method::POST,
            "/api/complaints/{ticket}/notes",
            STAFF,
            on(MethodFilter::POST, complaints::add_note),
        ),
        route(
            Method::POST,
            "/api/complaints/{ticket}/reassign",
            DISKOMINFO,
            on(MethodFilter::POST, complaints::reassign),
        ),
        route(
            Method::POST,
            "/api/complaints/{ticket}/merge",
            DISKOMINFO,
            on(MethodFilter::POST, complaints::merge),
        ),
        route(
            Method::GET,
            "/api/alerts",
            STAFF,
            on(MethodFilter::GET, admin::list_alerts),
        ),
        route(
            Method::POST,
            "/api/alerts/{id}/resolve",
            STAFF,
            on(MethodFilter::POST, admin::resolve_alert),
        ),
        route(
            Method::GET,
            "/api/unanswered",
            DISKOMINFO,
            on(MethodFilter::GET, unanswered::list),
        ),
        route(
            Method::POST,
            "/api/unanswered/{group}/resolve",
            DISKOMINFO,
            on(MethodFilter::POST, unanswered::resolve),
        ),
        route(
            Method::GET,
            "/api/users",
            ADMIN,
            on(MethodFilter::GET, admin::list_users),
        ),
        route(
            Method::POST,
            "/api/users",
            ADMIN,
            on(MethodFilter::POST, admin::create_user),
        ),
        route(
            Method::PATCH,
            "/api/users/{username}",
            ADMIN,
            on(MethodFilter::PATCH, admin::patch_user),
        ),
        route(
            Method::GET,
            "/api/settings/operator-contacts",
            ADMIN,
            on(MethodFilter::GET, admin::get_contacts),
        ),
        route(
            Method::PUT,
            "/api/settings/operator-contacts",
            ADMIN,
            on(MethodFilter::PUT, admin::put_contacts),
        ),
        route(
            Method::GET,
            "/api/audit",
            ADMIN,
            on(MethodFilter::GET, admin::list_audit),
        ),
        // Statistics and reports.
        route(
            Method::GET,
            "/api/stats",
            STATS,
            on(MethodFilter::GET, stats::get_stats),
        ),
        route(
            Method::GET,
            "/api/reports/monthly.csv",
            STATS,
            on(MethodFilter::GET, stats::monthly_csv),
        ),
        // Content: staff read, Diskominfo writes (`docs/operator-api.md`, "Content").
        route(
            Method::GET,
            "/api/content/revisions",
            STAFF,
            on(MethodFilter::GET, content::list_revisions),
        ),
        route(
            Method::POST,
            "/api/content/revisions/{number}/restore",
            DISKOMINFO,
            on(MethodFilter::POST, content::restore),
        ),
        route(
            Method::GET,
            "/api/content/{kind}",
            STAFF,
            on(MethodFilter::GET, content::list),
        ),
        route(
            Method::POST,
            "/api/content/{kind}",
            DISKOMINFO,
            on(MethodFilter::POST, content::create),
        ),
        route(
            Method::GET,
            "/api/content/{kind}/{id}",
            STAFF,
            on(MethodFilter::GET, content::get_one),
        ),
        route(
            Method::PUT,
            "/api/content/{kind}/{id}",
            DISKOMINFO,
            on(MethodFilter::PUT, content::update),
        ),
        route(
            Method::DELETE,
            "/api/content/{kind}/{id}",
            DISKOMINFO,
            on(MethodFilter::DELETE, content::retire),
        ),
        // Conversations and human handoff: OPD users may read (phone masked); answering,
        // claiming and handing back are Diskominfo's.
        route(
            Method::GET,
            "/api/conversations",
            STAFF,
            on(MethodFilter::GET, conversations::list),
        ),
        route(
            Method::GET,
            "/api/conversations/{id}/messages",
            STAFF,
            on(MethodFilter::GET, conversations::messages),
        ),
        route(
            Method::POST,
            "/api/conversations/{id}/reply",
            DISKOMINFO,
            on(MethodFilter::POST, conversations::reply),
        ),
        route(
            Method::POST,
            "/api/conversations/{id}/claim",
            DISKOMINFO,
            on(MethodFilter::POST, conversations::claim),
        ),
        route(
            Method::POST,
            "/api/conversations/{id}/hand-back",
            DISKOMINFO,
            on(MethodFilter::POST, conversations::hand_back),
        ),
        // Broadcasts.
        route(
            Method::POST,
            "/api/broadcasts",
            DISKOMINFO,
            on(MethodFilter::POST, broadcasts::create),
        ),
        route(
            Method::GET,
            "/api/broadcasts",
            DISKOMINFO,
            on(MethodFilter::GET, broadcasts::list),
        ),
        route(
            Method::POST,
            "/api/broadcasts/audience",
            DISKOMINFO,
            on(MethodFilter::POST, broadcasts::audience),
        ),
        route(
            Method::GET,
            "/api/broadcasts/{id}",
            DISKOMINFO,
            on(MethodFilter::GET, broadcasts::get),
        ),
        route(
            Method::POST,
            "/api/broadcasts/{id}/schedule",
            DISKOMINFO,
            on(MethodFilter::POST, broadcasts::schedule),
        ),
        route(
            Method::POST,
            "/api/broadcasts/{id}/cancel",
            DISKOMINFO,
            on(MethodFilter::POST, broadcasts::cancel),
        ),
        route(
            Method::GET,
            "/api/broadcasts/templates",
            DISKOMINFO,
            on(MethodFilter::GET, broadcasts::templates),
        ),
        route(
            Method::POST,
            "/api/broadcasts/{id}/resume",
            ADMIN,
            on(MethodFilter::POST, broadcasts::resume),
        ),
        // Citizens' data rights.
        route(
            Method::POST,
            "/api/citizens/lookup",
            ADMIN,
            on(MethodFilter::POST, citizens::lookup),
        ),
        route(
            Method::GET,
            "/api/citizens/{id}/export",
            ADMIN,
            on(MethodFilter::GET, citizens::export),
        ),
        route(
            Method::POST,
            "/api/citizens/{id}/erase",
            ADMIN,
            on(MethodFilter::POST, citizens::erase),
        ),
        route(
            Method::GET,
            "/api/erasure-requests",
            ADMIN,
            on(MethodFilter::GET, citizens::list_requests),
        ),
        // SP4N-LAPOR! (issue #23).
        route(
            Method::GET,
            "/api/complaints/{ticket}/lapor",
            STAFF,
            on(MethodFilter::GET, lapor::get),
        ),
        route(
            Method::POST,
            "/api/complaints/{ticket}/lapor",
            DISKOMINFO,
            on(MethodFilter::POST, lapor::forward),
        ),
        route(
            Method::POST,
            "/api/complaints/{ticket}/lapor/tracking-id",
            DISKOMINFO,
            on(MethodFilter::POST, lapor::set_tracking_id),
        ),
        route(
            Method::GET,
            "/api/lapor/export",
            DISKOMINFO,
            on(MethodFilter::GET, lapor::export),
        ),
    ]
}

async fn unknown_route() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Metode permintaan ini tidak didukung di alamat ini.",
    )
}

/// The operator API under `/api`. It sets no router-wide fallback (the deployments merge it
/// with the login router and their own routes): unknown `/api/…` paths answer through a
/// catch-all route instead.
pub fn router(state: ApiState) -> Router {
    let limiter = std::sync::Arc::new(RateLimiter::new(state.config.requests_per_minute));
    let mut router: Router<ApiState> = Router::new();
    for def in routes() {
        let handler = def
            .handler
            .route_layer(middleware::from_fn_with_state(
                (state.clone(), limiter.clone()),
                authorize,
            ))
            .route_layer(Extension(AllowedRoles(def.roles)));
        router = router.route(def.path, handler);
    }
    let public = open_data::router(state.clone());
    router
        .route("/api/{*rest}", any(unknown_route))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        .merge(public)
}
