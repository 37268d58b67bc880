//! Creating requests with an `Idempotency-Key`: the first answer is kept
//! and given again to a replay (see `infra::idempotency`).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseTransaction;
use serde::Serialize;

use super::problem::ApiResult;
use crate::AppState;
use crate::domain::{Caller, DomainError, DomainResult};
use crate::infra::idempotency::{self, Created};

/// The header a client names its attempt with.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn created(status: StatusCode, body: String, replayed: bool) -> Response {
    let version = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["version"].as_i64());
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(version) = version
        && let Ok(value) = HeaderValue::from_str(&format!("\"{version}\""))
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Runs `create` and answers 201 with what it made, once per key when the
/// request carries an `Idempotency-Key`. `create` gets the transaction the
/// claim on the key is in (see `infra::idempotency`).
pub async fn create<T, F>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    operation: &str,
    input: &impl Serialize,
    create: F,
) -> ApiResult<Response>
where
    T: Serialize,
    F: AsyncFnOnce(&DatabaseTransaction) -> DomainResult<T>,
{
    let key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| DomainError::invalid("Idempotency-Key", "must be printable ASCII"))?,
        ),
    };
    Ok(
        match idempotency::create_once(&state.db, caller, key, operation, input, create).await? {
            Created::New { body, .. } => created(StatusCode::CREATED, body, false),
            Created::Replay(answer) => created(
                StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED),
                answer.body,
                true,
            ),
        },
    )
}
