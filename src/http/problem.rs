//! Errors as `application/problem+json` (RFC 9457) with the stable `code`
//! of CONTRACT.md and per-field `errors`.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::{DomainError, ErrorCode, FieldError, Locale, PublicError, Text};

/// A problem (RFC 9457), the body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: `code` says what kind of problem it is.
    #[schema(example = "about:blank")]
    pub r#type: String,
    #[schema(example = "Validation failed")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong, for people, in the language `Accept-Language` asks
    /// for (Chinese for any `zh`, English otherwise).
    #[schema(example = "the input is not valid: seq: must be a positive number")]
    pub detail: String,
    /// A stable machine-readable code: BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT,
    /// VERSION_CONFLICT, CURSOR_EXPIRED, PAYLOAD_TOO_LARGE, HEADERS_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, NOT_ACCEPTABLE,
    /// METHOD_NOT_ALLOWED, VALIDATION_FAILED,
    /// PRECONDITION_REQUIRED, RATE_LIMITED, INTERNAL, UNAVAILABLE.
    #[schema(example = "VALIDATION_FAILED")]
    pub code: String,
    /// Per-field messages of a validation failure or a uniqueness clash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For a failed import: its whole report, row by row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

/// An error answer of the HTTP API.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// What went wrong, in the reader's language.
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    /// Extra detail for the problem body (an import's report).
    pub report: Option<serde_json::Value>,
    /// The scope a machine's token lacks, named in `WWW-Authenticate`.
    pub missing_scope: Option<&'static str>,
}

impl ApiError {
    /// An error of `code`; `detail` is told in the language of the request
    /// being served.
    pub fn new(code: ErrorCode, detail: impl Into<Text>) -> ApiError {
        ApiError {
            code,
            detail: detail.into().localized(),
            errors: Vec::new(),
            retry_after_secs: None,
            report: None,
            missing_scope: None,
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> ApiError {
        let public = PublicError::from(err);
        ApiError {
            code: public.code,
            detail: public.message,
            errors: public.fields,
            retry_after_secs: public.retry_after_secs,
            report: None,
            missing_scope: public.missing_scope,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Problem {
            r#type: "about:blank".to_owned(),
            title: self.code.title_in(Locale::current()),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            errors: (!self.errors.is_empty()).then(|| self.errors.clone()),
            report: self.report.clone(),
        };
        let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        let mut response = (status, text).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // The title and detail are told in the language the request asked
        // for (`Accept-Language`), and say which.
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(Locale::current().tag()),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
        // RFC 6750 §3: a bad token, or a good one without the scope asked.
        let challenge = match (self.code, self.missing_scope) {
            (ErrorCode::Unauthenticated, _) => Some("error=\"invalid_token\"".to_owned()),
            (_, Some(scope)) => Some(format!("error=\"insufficient_scope\", scope=\"{scope}\"")),
            _ => None,
        };
        if let Some(error) = challenge {
            let full = format!(
                "Bearer realm=\"xietong\", {error}, error_description=\"{}\"",
                self.detail.replace('"', "'")
            );
            let value =
                HeaderValue::from_str(&full).unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"xietong\""));
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The router's bare 405 (a path that answers other methods) as a problem
/// like every other error. (It runs inside the router, before the router
/// adds `Allow`, so it points there rather than naming the methods.)
pub async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this path does not answer this method: `Allow` lists those it answers",
    )
    .into_response()
}

/// Serves the request in the language its `Accept-Language` prefers
/// (Chinese for any `zh`, English otherwise): the problems it answers with,
/// REST's and GraphQL's, are told in it.
pub async fn in_readers_language(request: Request, next: Next) -> Response {
    let locale = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default();
    locale.scope(next.run(request)).await
}
