//! `GET /metrics`: the service's metrics for Prometheus
//! ([`crate::infra::telemetry`]), in the Prometheus text format, or
//! OpenMetrics when the scraper's `Accept` asks for it. Public unless
//! `XIETONG_METRICS_TOKEN` is set; beside the API unless
//! `XIETONG_METRICS_BIND` gives it an address of its own.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::problem::ApiError;
use crate::AppState;
use crate::domain::ErrorCode;
use crate::infra::telemetry::{OPENMETRICS_TEXT, PROMETHEUS_TEXT};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given = super::extract::bearer_token(&headers).unwrap_or_default();
        // Compared as digests, so the time taken tells nothing of the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(token.expose().as_bytes()) {
            return ApiError::new(
                ErrorCode::Unauthenticated,
                "the metrics need `Authorization: Bearer` with the token set in XIETONG_METRICS_TOKEN",
            )
            .into_response();
        }
    }
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"));
    match state.metrics.render(&state.db, openmetrics) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                if openmetrics { OPENMETRICS_TEXT } else { PROMETHEUS_TEXT },
            )],
            text,
        )
            .into_response(),
        Err(_) => ApiError::new(ErrorCode::Internal, "the metrics could not be written").into_response(),
    }
}
