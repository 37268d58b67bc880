//! Extractors that turn a request into domain input at the edge: the
//! acting principal, JSON bodies whose rejections read as problems, and
//! the `If-Match` version.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use serde::de::DeserializeOwned;

use super::REQUEST_ID;
use super::problem::ApiError;
use crate::AppState;
use crate::config::AddressBlock;
use crate::domain::{Caller, Clock, ErrorCode, Principal, Text};

/// The caller of a request that must be signed in.
pub struct Authenticated(pub Caller);

/// The client's address: the TCP peer's; when the peer is a trusted proxy,
/// the nearest address of `X-Forwarded-For` (read from the right, as each
/// proxy appends the address it heard from) that is not itself a trusted
/// proxy. A client can put anything at the left of the header, so nothing
/// left of the first untrusted address is believed.
pub fn client_addr(extensions: &Extensions, headers: &HeaderMap, trusted: &[AddressBlock]) -> Option<String> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip().to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|block| block.contains(ip));
    let mut client = peer;
    if is_trusted(peer) {
        let hops = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .rev()
            .flat_map(|value| value.to_str().unwrap_or("").rsplit(','));
        for hop in hops {
            let hop = hop.trim();
            let Some(ip) = hop
                .parse::<IpAddr>()
                .ok()
                .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
            else {
                break;
            };
            client = ip.to_canonical();
            if !is_trusted(client) {
                break;
            }
        }
    }
    Some(client.to_string())
}

const FORWARDED_FOR: &str = "x-forwarded-for";

/// A caller with no principal yet, for sign-in: where the request came
/// from, and the app's clock.
pub struct Origin {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub clock: Clock,
}

impl Origin {
    fn of(parts: &Parts, state: &AppState) -> Origin {
        Origin {
            request_id: parts
                .headers
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            client_addr: client_addr(&parts.extensions, &parts.headers, &state.trusted_proxies),
            clock: state.clock,
        }
    }

    /// The caller of a request made before signing in.
    pub fn caller(self) -> Caller {
        self.acting_as(Principal::System)
    }

    /// The caller of a request signed in as `principal`.
    fn acting_as(self, principal: Principal) -> Caller {
        Caller {
            principal,
            request_id: self.request_id,
            client_addr: self.client_addr,
            clock: self.clock,
        }
    }
}

impl FromRequestParts<AppState> for Origin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Origin, ApiError> {
        Ok(Origin::of(parts, state))
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Authenticated, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "sign in: send `Authorization: Bearer <access token>`",
            )
        })?;
        let text = header
            .to_str()
            .map_err(|_| ApiError::new(ErrorCode::Unauthenticated, "the Authorization header is not text"))?;
        let token = bearer_of(text).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "the Authorization header must be `Bearer <access token>`",
            )
        })?;
        let principal = state
            .keys
            .verify(token)
            .map_err(|e| ApiError::new(ErrorCode::Unauthenticated, e.text()))?;
        if let Some(acting) = parts.extensions.get::<super::access::Acting>() {
            acting.note(&principal);
        }
        Ok(Authenticated(Origin::of(parts, state).acting_as(principal)))
    }
}

/// A JSON body; malformed JSON is 400, a wrong content type 415, a body too
/// large 413, and JSON of the wrong shape 422 — each as a problem.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<ApiJson<T>, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    Text::new("the body is larger than %{max} bytes").arg("max", super::MAX_BODY_BYTES),
                )
            } else {
                ApiError::new(ErrorCode::BadRequest, "the body could not be read")
            }
        })?;
        super::input::json_body(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be left out: no body at all is none; a body is
/// read as [`ApiJson`] reads it.
impl<T, S> axum::extract::OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<ApiJson<T>>, ApiError> {
        if req.headers().get(header::CONTENT_TYPE).is_none() {
            let bytes = axum::body::Bytes::from_request(req, state)
                .await
                .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the body could not be read"))?;
            return if bytes.is_empty() {
                Ok(None)
            } else {
                Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as `Content-Type: application/json`",
                ))
            };
        }
        <ApiJson<T> as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

/// Whether the request says its body is JSON (`application/json`, or a
/// `+json` type).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The version a write expects, from `If-Match: "<version>"`.
pub struct IfMatch(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IfMatch, ApiError> {
        if_match_version(&parts.headers)?.map(IfMatch).ok_or_else(|| {
            ApiError::new(
                ErrorCode::PreconditionRequired,
                "send `If-Match` with the version you read (its ETag)",
            )
        })
    }
}

/// The version an `If-Match` header names, when there is one: `"3"` or
/// `W/"3"`, as the ETags this service gives out (the document's pattern).
pub fn if_match_version(headers: &axum::http::HeaderMap) -> Result<Option<i32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|digits| (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::BadRequest,
                "If-Match must be an ETag this service gave out, like \"3\"",
            )
        })
}

/// Query parameters; a malformed or mistyped query is a 400 problem.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ApiQuery<T>, ApiError> {
        if let Some(query) = parts.uri.query()
            && !decodes_to_utf8(query)
        {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "the query string is not UTF-8 once percent-decoded",
            ));
        }
        super::input::query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Path parameters; an id that is not an id is a 400 problem.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiPath<T>, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(super::input::path(&rejection)),
        }
    }
}

/// Whether a query string percent-decodes to UTF-8; the usual decoders
/// replace bad bytes with U+FFFD, which would search for the wrong text.
fn decodes_to_utf8(query: &str) -> bool {
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        decoded.push(b);
                        i += 3;
                    }
                    None => {
                        decoded.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// The token of an `Authorization: Bearer <token>` value (the scheme in
/// either case), trimmed; none when it is not one or is empty.
pub fn bearer_of(value: &str) -> Option<&str> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The bearer token of a request's `Authorization` header, when it has one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_of)
}

#[cfg(test)]
mod tests {
    use super::decodes_to_utf8;

    #[test]
    fn query_strings_must_decode_to_utf8() {
        assert!(decodes_to_utf8("q=%E5%B0%B1%E4%B8%9A&limit=5"));
        assert!(decodes_to_utf8("q=50%"));
        assert!(!decodes_to_utf8("q=%FF%FE"));
        assert!(!decodes_to_utf8("q=%E5%B0"));
    }
}
