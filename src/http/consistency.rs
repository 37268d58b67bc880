//! Where a request reads: with a streaming replica configured
//! (`DATABASE_READ_URL`), GET and HEAD requests are served over the replica
//! and everything else over the primary; `X-Consistency: primary` sends a
//! read to the primary too (a portal reading back what it just wrote).
//! GraphQL decides per operation (`graphql/http.rs`): a query reads the
//! replica, a mutation the primary.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use super::problem::ApiError;
use crate::domain::ErrorCode;

/// The header that asks for the primary.
pub const CONSISTENCY: HeaderName = HeaderName::from_static("x-consistency");

/// Its one value.
const PRIMARY: &str = "primary";

/// Whether the request asks to read from the primary; an `X-Consistency`
/// other than `primary` is refused, so that a misspelt one is not taken
/// for a read that may lag.
pub fn primary_asked(headers: &HeaderMap) -> Result<bool, ApiError> {
    let Some(value) = headers.get(CONSISTENCY) else {
        return Ok(false);
    };
    if value.to_str().is_ok_and(|v| v.trim().eq_ignore_ascii_case(PRIMARY)) {
        return Ok(true);
    }
    Err(ApiError::new(
        ErrorCode::BadRequest,
        "X-Consistency: the one value is `primary` (read what was just written)",
    ))
}

/// The app twice, every layer included: over the primary, and over the
/// replica.
#[derive(Clone)]
pub struct Routing {
    pub primary: Router,
    pub replica: Router,
}

/// Refuses an `X-Consistency` other than `primary` (a layer of both stacks,
/// so that the refusal is a problem like any other, in the reader's
/// language, logged and counted).
pub async fn checked(request: Request, next: Next) -> Response {
    match primary_asked(request.headers()) {
        Ok(_) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// Hands the request to the handlers over the database it reads (one
/// refused for its `X-Consistency` to the primary's, which refuses it).
pub async fn route(State(routing): State<Routing>, request: Request) -> Response {
    let primary = primary_asked(request.headers()).unwrap_or(true);
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let router = if read && !primary {
        routing.replica
    } else {
        routing.primary
    };
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
