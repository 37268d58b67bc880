//! The HTTP surface: the health probes and the REST resources under
//! `/api/v1`, each in a module of their own, merged here; and the layers
//! every request passes, GraphQL's too (`lib.rs` puts the two side by side).

pub mod access;
mod attachments;
mod audit;
mod auth;
mod bulletins;
mod calendar;
mod changes;
mod clients;
pub mod consistency;
mod events;
pub mod extract;
pub mod guard;
pub mod health;
pub mod idempotent;
mod imports;
mod input;
mod metrics;
pub mod ndjson;
pub mod openapi;
mod pairings;
mod plans;
pub mod problem;
mod projects;
mod regions;
mod reports;
mod statistics;
mod supervision;
mod tasks;
pub mod telemetry;
mod units;
mod upsert;
mod users;
mod webhooks;

use std::sync::Arc;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The request id header, set when the client sends none and echoed back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest request body accepted (an XLSX task list fits many times).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The probes, the REST API, its OpenAPI document and its docs page.
pub fn routes() -> Router<AppState> {
    let (api_routes, api) = openapi::api_router().split_for_parts();
    let document_json = Arc::new(openapi::to_json(&openapi::finish(api)));
    Router::new()
        .merge(health::router())
        .merge(api_routes)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let body = document_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body.as_str().to_owned(),
                    )
                }
            }),
        )
        // The page is served from the binary and reads the document above:
        // it works on an intranet with no internet.
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::new(["/api/openapi.json"])))
}

/// `routes` (REST's and GraphQL's) behind what every request passes: the
/// request id, tracing, the security headers, CORS, the limits (guard.rs),
/// the body limit; a path nothing answers is a 404 problem. With a read
/// replica, all of it twice, over the primary and over the replica, and
/// each request handed to one (consistency.rs).
pub fn serve(routes: Router<AppState>, state: AppState) -> Router {
    if state.databases.replica.is_none() {
        return layered(routes, state);
    }
    let routing = consistency::Routing {
        replica: layered(routes.clone(), state.reading()),
        primary: layered(routes, state),
    };
    Router::new().fallback(consistency::route).with_state(routing)
}

fn layered(routes: Router<AppState>, state: AppState) -> Router {
    let cors = cors_layer(&state.cors_origins);
    let guard = axum::middleware::from_fn_with_state(state.clone(), guard::limits);
    let state_metrics = state.metrics.clone();
    let handlers = routes
        .fallback(not_found)
        .with_state(state)
        // Extractors refuse larger bodies, and their refusal is a problem.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    handlers
        .clone()
        // Inside the limits: a bulk export is one request to them, and its
        // time limit ends with the first page.
        .layer(axum::middleware::from_fn_with_state(handlers, ndjson::export))
        .layer(axum::middleware::map_response(problem::method_not_allowed))
        .layer(axum::middleware::from_fn(consistency::checked))
        .layer(guard)
        // Preflights are answered here, before the limits count them.
        .layer(cors)
        .layer(axum::middleware::from_fn(problem::in_readers_language))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(axum::middleware::from_fn_with_state(state_metrics, access::log))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim())
        // No wildcard: `AllowOrigin::list` would panic, and an API that
        // acts on bearer tokens names the portals it serves.
        .filter(|o| !o.is_empty() && !o.contains('*'))
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            axum::http::header::IF_MATCH,
            axum::http::header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            consistency::CONSISTENCY,
        ])
        // What a portal's script must read: the version, the request id,
        // a replayed create, and how long to wait after a 429 or 503.
        .expose_headers([
            axum::http::header::ETAG,
            REQUEST_ID,
            HeaderName::from_static("idempotent-replayed"),
            axum::http::header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600))
}

async fn not_found() -> problem::ApiError {
    problem::ApiError::new(crate::domain::ErrorCode::NotFound, "no such resource")
}

/// `limit` and `cursor` of a list.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    pub updated_since: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> Result<crate::domain::page::PageRequest, problem::ApiError> {
        Ok(
            crate::domain::page::PageRequest::new(self.limit, self.cursor.as_deref())?
                .since(self.updated_since.as_deref())?,
        )
    }
}

/// A resource answer with its `ETag`; `304 Not Modified` when the client's
/// `If-None-Match` already names this version.
pub fn conditional(
    headers: &axum::http::HeaderMap,
    version: i32,
    body: impl axum::response::IntoResponse,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if etag_matches(headers, &format!("\"{version}\"")) {
        return with_etag(version, axum::http::StatusCode::NOT_MODIFIED).into_response();
    }
    with_etag(version, body)
}

/// Whether the client's `If-None-Match` names `etag` (quoted), weakly or
/// with `*`.
pub fn etag_matches(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag || t.trim().strip_prefix("W/") == Some(etag) || t.trim() == "*")
        })
}

/// A resource answer with its `ETag`, the quoted version.
pub fn with_etag(version: i32, body: impl axum::response::IntoResponse) -> axum::response::Response {
    let mut response = body.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(axum::http::header::ETAG, value);
    }
    response
}

/// Tells a field that is absent (leave it) from one that is `null` (clear it).
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// The query of a download: its format.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

/// A file to download: its content type, and its name with the format's extension.
pub fn download(format: crate::documents::export::Format, stem: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let disposition = content_disposition(&format!("{stem}.{}", format.extension()));
    (
        [
            (axum::http::header::CONTENT_TYPE, format.content_type().to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// `Content-Disposition: attachment` naming `file_name` (RFC 6266): an
/// ASCII `filename` for old clients (other characters as `_`) and the
/// UTF-8 name as `filename*` (RFC 5987), which every current browser and
/// HTTP library reads first.
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in file_name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
