//! Bulk export of a list: `Accept: application/x-ndjson` on any list of
//! `/api/v1` answers every row the list would page through, from `cursor`
//! on (the first page when none), one JSON object a line.
//!
//! The list is read by its own handler, a page of the largest size after
//! another, following `next_cursor`: the same filters, sort, visibility and
//! answers as the pages, in constant memory (one page at a time), without
//! counting the rows once a page. The first page is read before answering,
//! so that a refusal (401, 403, 422) is the usual problem; the request's
//! time limit covers that wait only, not the stream after it. A failure
//! after the first page ends the stream early (the body is cut, not
//! finished), which an HTTP client reports as an incomplete body.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tower::ServiceExt;

use super::problem::ApiError;
use crate::domain::page::{self, MAX_LIMIT};
use crate::domain::{ErrorCode, Text};

/// The media type of a bulk export.
pub const NDJSON: &str = "application/x-ndjson";

/// Whether the client asks for NDJSON.
fn wants_ndjson(request: &Request) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case(NDJSON)
        })
}

/// The middleware: `lists` is the router whose handlers read the pages.
pub async fn export(State(lists): State<Router>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || !request.uri().path().starts_with("/api/v1/") || !wants_ndjson(&request) {
        return next.run(request).await;
    }
    let (parts, _) = request.into_parts();
    let first = page::uncounted(next.run(page_request(&parts, None))).await;
    if !first.status().is_success() {
        return first;
    }
    let first = match list_page(first).await {
        Ok(page) => page,
        Err(refusal) => return refusal,
    };
    let rows = futures_util::stream::unfold(Some(first), move |state| {
        let (lists, parts) = (lists.clone(), parts.clone());
        async move {
            let page = state?;
            let lines = match lines(&page) {
                Ok(lines) => lines,
                Err(error) => return Some((Err(error), None)),
            };
            let next = match page.get("next_cursor").and_then(Value::as_str) {
                None => None,
                Some(cursor) => {
                    let answer = page::uncounted(lists.oneshot(page_request(&parts, Some(cursor)))).await;
                    match answer {
                        Ok(answer) if answer.status().is_success() => match list_page(answer).await {
                            Ok(page) => Some(page),
                            Err(_) => return Some((Err(cut("a page could not be read")), None)),
                        },
                        _ => return Some((Err(cut("a page could not be read")), None)),
                    }
                }
            };
            Some((Ok(lines), next))
        }
    });
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON))],
        Body::from_stream(rows),
    )
        .into_response()
}

/// The request of one page: the client's, with the largest page, `cursor`
/// when given, and JSON asked for.
fn page_request(parts: &axum::http::request::Parts, cursor: Option<&str>) -> Request {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let asked = parts.uri.query().unwrap_or_default();
    for (name, value) in url::form_urlencoded::parse(asked.as_bytes()) {
        let replaced = name == "limit" || (name == "cursor" && cursor.is_some());
        if !replaced {
            query.append_pair(&name, &value);
        }
    }
    query.append_pair("limit", &MAX_LIMIT.to_string());
    if let Some(cursor) = cursor {
        query.append_pair("cursor", cursor);
    }
    let uri = format!("{}?{}", parts.uri.path(), query.finish());
    let mut request = Request::new(Body::empty());
    *request.method_mut() = Method::GET;
    *request.uri_mut() = uri.parse().unwrap_or_else(|_| parts.uri.clone());
    *request.headers_mut() = parts.headers.clone();
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    *request.extensions_mut() = parts.extensions.clone();
    request
}

/// A list's page, or the answer that it is not one.
async fn list_page(answer: Response) -> Result<Value, Response> {
    let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "a page could not be read").into_response())?;
    let page: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if page.get("items").is_some_and(Value::is_array) && page.get("next_cursor").is_some() {
        Ok(page)
    } else {
        Err(ApiError::new(
            ErrorCode::NotAcceptable,
            Text::new("only a list answers %{type}; ask for application/json").arg("type", NDJSON),
        )
        .into_response())
    }
}

/// A page's rows, a JSON object a line.
fn lines(page: &Value) -> Result<Bytes, std::io::Error> {
    let mut out = Vec::new();
    for item in page["items"].as_array().into_iter().flatten() {
        serde_json::to_writer(&mut out, item)?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

fn cut(why: &str) -> std::io::Error {
    std::io::Error::other(why.to_owned())
}
