//! Errors as `application/problem+json` (RFC 9457) with the stable `code`
//! of CONTRACT.md and per-field `errors`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::{DomainError, ErrorCode, FieldError};

/// An error answer of the HTTP API.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> ApiError {
        let code = err.code();
        let retry_after_secs = match &err {
            DomainError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let errors = match &err {
            DomainError::Validation(errors) => errors.clone(),
            DomainError::Conflict {
                field: Some(field),
                message,
            } => {
                vec![FieldError {
                    field: field.clone(),
                    message: message.clone(),
                }]
            }
            _ => Vec::new(),
        };
        let detail = match &err {
            DomainError::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                "the service failed; the error is logged".to_owned()
            }
            other => other.to_string(),
        };
        ApiError {
            code,
            detail,
            errors,
            retry_after_secs,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({
            "type": "about:blank",
            "title": self.code.title(),
            "status": status.as_u16(),
            "detail": self.detail,
            "code": self.code.as_str(),
        });
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.code == ErrorCode::Unauthenticated {
            let challenge = format!(
                "Bearer realm=\"xietong\", error=\"invalid_token\", error_description=\"{}\"",
                self.detail.replace('"', "'")
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            } else {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"xietong\""),
                );
            }
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
