//! What every request passes before a handler sees it: bounded headers,
//! a bounded number of requests at once, the rate limits per token and per
//! address, and a time limit; and the headers every answer carries.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::{bearer_token, client_addr};
use super::problem::ApiError;
use crate::AppState;
use crate::domain::{DomainError, ErrorCode, Text};

/// The most header fields a request may carry.
pub const MAX_HEADERS: usize = 64;
/// The most bytes a request's header fields may hold in all.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Probes and the metrics answer whatever the load, unlimited: an
/// orchestrator must be able to tell a busy instance from a dead one, and a
/// scraper to see why it is busy.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

fn has_nul(query: &str) -> bool {
    query.as_bytes().windows(3).any(|w| w == b"%00") || query.contains('\0')
}

fn unavailable(message: Text) -> Response {
    ApiError::from(DomainError::Unavailable {
        message,
        retry_after_secs: 1,
    })
    .into_response()
}

/// Refuses oversized headers (431), sheds requests beyond the concurrency
/// limit (503), applies the rate limits (429) and the time limit (503).
pub async fn limits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let header_bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            ErrorCode::HeadersTooLarge,
            Text::new("at most %{fields} header fields and %{bytes} bytes of them are accepted")
                .arg("fields", MAX_HEADERS)
                .arg("bytes", MAX_HEADER_BYTES),
        )
        .into_response();
    }
    // PostgreSQL's text holds no NUL, so no backend is asked to: a filter
    // with one is refused alike on both.
    if request.uri().query().is_some_and(has_nul) {
        return ApiError::new(
            ErrorCode::BadRequest,
            "the query string may not contain the NUL character (%00)",
        )
        .into_response();
    }
    if is_probe(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = state.requests.clone().try_acquire_owned() else {
        return unavailable(Text::new(
            "the service is serving as many requests as it can; retry shortly",
        ));
    };
    if state.rate_limiter.is_on() {
        // The handler checks the token again and answers for it; here it
        // only says whose count the request is.
        let principal = bearer_token(headers).and_then(|token| state.keys.verify(token).ok());
        let addr = client_addr(request.extensions(), headers, &state.trusted_proxies);
        if let Err(refused) = state.rate_limiter.admit(principal.as_ref(), addr.as_deref()).await {
            return ApiError::from(refused).into_response();
        }
    }
    let limit = state.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            unavailable(Text::new("the request was not answered within %{seconds} s").arg("seconds", limit.as_secs()))
        }
    }
}

/// `X-Content-Type-Options`, `X-Frame-Options` and `Referrer-Policy` on
/// every answer; `Cache-Control: no-store` on answers to requests that
/// carried credentials, so no shared cache keeps them.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let authenticated = request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if authenticated {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
