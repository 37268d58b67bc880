//! Signing in and out (`/api/v1/auth/…`), the OAuth2 client-credentials
//! endpoint for integration clients, and the caller's own account.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use super::extract::{ApiJson, Authenticated, Origin};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::client::{self, GrantError};
use crate::domain::{Caller, Principal, session, user};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    origin: Origin,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let caller = Caller {
        principal: Principal::System,
        request_id: origin.request_id,
        client_addr: origin.client_addr,
    };
    let tokens = session::login(&state.db, &state.keys, &caller, &body.username, &body.password).await?;
    Ok(no_store(Json(tokens)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

async fn refresh(State(state): State<AppState>, ApiJson(body): ApiJson<RefreshBody>) -> ApiResult<Response> {
    let tokens = session::refresh(&state.db, &state.keys, &body.refresh_token).await?;
    Ok(no_store(Json(tokens)))
}

async fn logout(State(state): State<AppState>, ApiJson(body): ApiJson<RefreshBody>) -> ApiResult<StatusCode> {
    session::logout(&state.db, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tokens must not be cached by proxies (RFC 6749 §5.1).
fn no_store(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// An RFC 6749 §5.2 error: the one exception to problem+json.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"xietong\""),
        );
    }
    response
}

/// Client id and secret from HTTP Basic authentication, if sent.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send application/x-www-form-urlencoded fields",
        );
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is missing"),
    }
    let credentials =
        basic_credentials(&headers).or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)));
    let Some((client_id, client_secret)) = credentials else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send client_id and client_secret",
        );
    };
    match client::grant(
        &state.db,
        &state.keys,
        &client_id,
        &client_secret,
        form.scope.as_deref(),
    )
    .await
    {
        Ok(granted) => no_store(Json(granted)),
        Err(GrantError::InvalidClient) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, wrong secret, or revoked client",
        ),
        Err(GrantError::InvalidScope(why)) => oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &why),
        Err(GrantError::Domain(err)) => {
            tracing::error!(error = %err, "client credentials grant failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the service failed; the error is logged",
            )
        }
    }
}

/// Who the caller is: a user's account, or a client's identity.
async fn me(State(state): State<AppState>, Authenticated(caller): Authenticated) -> ApiResult<Response> {
    match &caller.principal {
        Principal::User(u) => Ok(Json(user::get(&state.db, &caller, u.id).await?).into_response()),
        Principal::Client(c) => {
            let scopes: Vec<&str> = [c.can_read.then_some("read"), c.can_write.then_some("write")]
                .into_iter()
                .flatten()
                .collect();
            Ok(Json(json!({ "client_id": c.client_id, "role": "integration", "scopes": scopes })).into_response())
        }
        Principal::System => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    user::change_own_password(&state.db, &caller, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
