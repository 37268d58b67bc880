//! The HTTP surface: health probes now; REST resources under `/api/v1`
//! each in a module of their own, merged here.

mod health;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The request id header, set when the client sends none and echoed back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest request body accepted (an XLSX task list fits many times).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The whole router of the service.
pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state.cors_origins);
    Router::new()
        .merge(health::router())
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
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
        ])
        .expose_headers([axum::http::header::ETAG, REQUEST_ID])
        .max_age(Duration::from_secs(3600))
}
