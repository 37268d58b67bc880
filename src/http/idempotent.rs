//! Creating requests with an `Idempotency-Key`: the first answer is kept
//! and given again to a replay (see `domain::idempotency`).

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::problem::{ApiError, ApiResult};
use crate::AppState;
use crate::domain::idempotency::{self, Begin};
use crate::domain::{Caller, DomainResult};

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
/// request carries an `Idempotency-Key`.
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
    F: Future<Output = DomainResult<T>>,
{
    let key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            ApiError::from(crate::domain::DomainError::invalid(
                "Idempotency-Key",
                "must be printable ASCII",
            ))
        })?),
    };
    let serialize = |value: &T| {
        serde_json::to_string(value).map_err(|e| ApiError::from(crate::domain::DomainError::Internal(e.into())))
    };
    let Some(key) = key else {
        let made = create.await?;
        return Ok(created(StatusCode::CREATED, serialize(&made)?, false));
    };
    let input =
        serde_json::to_vec(input).map_err(|e| ApiError::from(crate::domain::DomainError::Internal(e.into())))?;
    match idempotency::begin(&state.db, &caller.principal, key, operation, &input).await? {
        Begin::Replay(answer) => Ok(created(
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED),
            answer.body,
            true,
        )),
        Begin::Proceed(claim) => match create.await {
            Ok(made) => {
                let body = serialize(&made)?;
                idempotency::finish(&state.db, claim, StatusCode::CREATED.as_u16(), &body).await?;
                Ok(created(StatusCode::CREATED, body, false))
            }
            Err(err) => {
                idempotency::abandon(&state.db, claim).await?;
                Err(err.into())
            }
        },
    }
}
