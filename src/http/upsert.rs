//! `PUT /api/v1/{plans|tasks|reports|projects}/by-external-id/{external_id}`:
//! a platform's row by its own id, created or replaced
//! ([`crate::domain::external`]). Each resource's module parses its body
//! as its `POST` does and answers through here.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::extract::if_match_version;
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::Caller;
use crate::domain::external::{self, Upsert};

/// Creates (201) or replaces (200) the caller's row `external_id` with
/// `body`; `If-Match`, when sent, must name the version there is.
pub async fn answer<R: Upsert>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    external_id: &str,
    body: R,
) -> ApiResult<Response>
where
    R::View: serde::Serialize,
{
    let if_match = if_match_version(headers)?;
    let (view, created) = external::upsert(&state.db, caller, external_id, if_match, body).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, super::with_etag(R::version(&view), Json(view))).into_response())
}
