//! The operator dashboard (`infra/dashboard/`), embedded in the binary and served at `/`:
//! a static site without a build step, so every file is included as it is in the repository
//! (`include_bytes!` per file: no new dependency, and a file missing from the list is a
//! compile-time absence the browser test notices at once). `config.json` is generated: mode
//! `local`, the API on the same origin.
//!
//! Also the first-run experience: when `prolink serve` starts on a store without any
//! operator account and a person is watching (standard output is a terminal), it creates
//! `admin` with a random password printed once on the console (never through `tracing`, so
//! never into a log file).

use std::sync::Arc;

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use rand::Rng;

use prolink_app::api::auth::LocalUserDirectory;
use prolink_app::ports::{NewUser, PageRequest, PortError, Role, UserDirectory, UserStore};

/// Scripts, styles, images and API calls from this origin only (images also `data:`/`blob:`
/// for the photos' previews): no inline script or style, no CDN, no web font, no map tile.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'none'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
     object-src 'none'";

macro_rules! site_files {
    ($($path:literal => $mime:literal),* $(,)?) => {
        /// (URL path under `/`, content type, bytes) of every file of the site.
        pub const FILES: &[(&str, &str, &[u8])] = &[
            $(($path, $mime, include_bytes!(concat!("../../../infra/dashboard/", $path))),)*
        ];
    };
}

site_files! {
    "index.html" => "text/html; charset=utf-8",
    "app.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "js/app.js" => "text/javascript; charset=utf-8",
    "js/lib.js" => "text/javascript; charset=utf-8",
    "js/ui.js" => "text/javascript; charset=utf-8",
    "js/pages-main.js" => "text/javascript; charset=utf-8",
    "js/pages-more.js" => "text/javascript; charset=utf-8",
    "js/lapor.js" => "text/javascript; charset=utf-8",
    "vendor/preact.module.js" => "text/javascript; charset=utf-8",
    "vendor/htm.module.js" => "text/javascript; charset=utf-8",
    "vendor/chart.umd.min.js" => "text/javascript; charset=utf-8",
    "vendor/oidc-client-ts.min.js" => "text/javascript; charset=utf-8",
}

/// The generated `config.json` of the local mode: the API on the same origin, local sign-in.
pub fn local_config() -> serde_json::Value {
    serde_json::json!({
        "mode": "local",
        "api_base_url": "",
        "cognito_domain": null,
        "client_id": null,
    })
}

fn file(path: &str) -> Option<(&'static str, &'static [u8])> {
    FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|(_, mime, bytes)| (*mime, *bytes))
}

/// Set to a checkout's `infra/dashboard`, the same files are read from there on every request
/// (editing the site without rebuilding the binary). Only names of [`FILES`] are served.
pub const DEV_DIR_VARIABLE: &str = "PROLINK_DASHBOARD_DIR";

async fn serve_file(request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match file(path) {
        Some((mime, bytes)) => {
            if let Some(dir) = prolink_app::config::env_opt(DEV_DIR_VARIABLE) {
                if let Ok(fresh) = tokio::fs::read(std::path::Path::new(&dir).join(path)).await {
                    return ([(header::CONTENT_TYPE, mime)], fresh).into_response();
                }
            }
            ([(header::CONTENT_TYPE, mime)], bytes).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Tidak ditemukan.",
        )
            .into_response(),
    }
}

async fn config() -> Response {
    axum::Json(local_config()).into_response()
}

async fn headers(request: Request, next: Next) -> Response {
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
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Embedded files change only with the binary; `no-cache` revalidates on every open.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `/`, `/config.json` and every file of the site.
pub fn router() -> Router {
    let mut router = Router::new()
        .route("/", get(serve_file))
        .route("/config.json", get(config));
    for (path, _, _) in FILES {
        if *path != "index.html" {
            router = router.route(&format!("/{path}"), get(serve_file));
        }
    }
    router.layer(middleware::from_fn(headers))
}

/// The name of the account made on first run.
pub const FIRST_ADMIN: &str = "admin";

/// A password of 20 characters from an alphabet without look-alikes (≈ 110 bits).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Creates `admin` with a random password when the store has no operator account at all;
/// returns the password (to be shown once), or `None` when accounts already exist.
pub async fn ensure_first_admin(
    users: Arc<dyn UserStore>,
    now_ms: i64,
) -> Result<Option<String>, PortError> {
    let existing = users
        .list_users(&PageRequest {
            limit: 1,
            after: None,
        })
        .await?;
    if !existing.items.is_empty() {
        return Ok(None);
    }
    let password = random_password();
    let directory = LocalUserDirectory::new(users);
    let user = NewUser {
        username: FIRST_ADMIN.to_string(),
        role: Role::Admin,
        opd_id: None,
        password: password.clone(),
    };
    match directory.create_user(&user, now_ms).await {
        Ok(_) => Ok(Some(password)),
        // Someone (`prolink user add`) was faster: theirs is the first account.
        Err(PortError::Conflict(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_type_and_content() {
        for (path, mime, bytes) in FILES {
            assert!(!bytes.is_empty(), "{path} is empty");
            assert!(mime.contains('/'), "{path}");
        }
        assert!(file("index.html").is_some());
    }

    #[test]
    fn the_policy_allows_no_inline_script() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-eval"));
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }

    #[test]
    fn passwords_are_long_and_differ() {
        let first = random_password();
        assert_eq!(first.chars().count(), 20);
        assert_ne!(first, random_password());
    }
}

#[cfg(test)]
mod first_run {
    use super::*;
    use crate::sqlite::{SqliteDb, SqliteStore};
    use prolink_app::ports::SystemClock;

    #[tokio::test]
    async fn an_empty_store_gets_one_admin_and_only_once() {
        let db = SqliteDb::open_in_memory().expect("in-memory SQLite");
        let store: Arc<dyn UserStore> = Arc::new(SqliteStore::new(db, Arc::new(SystemClock)));
        let password = ensure_first_admin(store.clone(), 1_000)
            .await
            .expect("store works")
            .expect("an admin is made on an empty store");
        assert_eq!(password.chars().count(), 20);
        let admin = store
            .get_user(FIRST_ADMIN)
            .await
            .expect("store works")
            .expect("admin exists");
        assert_eq!(admin.role, Role::Admin);
        // The hash is stored, never the password.
        assert!(!format!("{admin:?}").contains(&password));
        assert_eq!(
            ensure_first_admin(store, 2_000).await.expect("store works"),
            None
        );
    }
}
