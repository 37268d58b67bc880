//! `/healthz` (the process is up) and `/readyz` (the database answers).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::problem::Problem;
use crate::AppState;
use crate::domain::ErrorCode;
use crate::domain::error::UNREACHABLE_RETRY_AFTER_SECS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 with `{"status":"ok","database":"ok"}` when the database answers;
/// otherwise 503, a problem with code `UNAVAILABLE`, `Retry-After`, and
/// `"database":"unreachable"` as an extension member.
async fn readyz(State(state): State<AppState>) -> Response {
    if crate::db::ping(&state.db).await {
        return (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok" }))).into_response();
    }
    let code = ErrorCode::Unavailable;
    let problem = Problem {
        r#type: "about:blank".to_owned(),
        title: code.title().to_owned(),
        status: code.http_status(),
        detail: "the database does not answer".to_owned(),
        code: code.as_str().to_owned(),
        errors: None,
        report: None,
    };
    let mut body = serde_json::to_value(problem).unwrap_or_else(|_| json!({}));
    body["database"] = json!("unreachable");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "application/problem+json".to_owned()),
            (header::RETRY_AFTER, UNREACHABLE_RETRY_AFTER_SECS.to_string()),
        ],
        body.to_string(),
    )
        .into_response()
}
