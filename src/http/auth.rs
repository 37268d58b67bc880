//! Signing in and out (`/api/v1/auth/…`), the OAuth2 client-credentials
//! endpoint for integration clients, and the caller's own account.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Authenticated, Origin};
use super::problem::ApiResult;
use crate::AppState;
use crate::auth::session;
use crate::domain::client::{self, GrantError};
use crate::domain::{Principal, user};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(token))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

/// A username and password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    #[schema(example = "wx-jxw")]
    username: String,
    #[schema(format = Password)]
    password: String,
}

/// Sign in with a password (登录): an access token and a refresh token.
///
/// No bearer token is needed. The access token lasts 15 minutes
/// (`expires_in`), the refresh token 30 days. A wrong username or password,
/// or a disabled account, answers 401 UNAUTHENTICATED.
///
/// Five failures for one account from one address hold that address back
/// for that account (429 with `Retry-After`, 30 s doubling up to 15 min);
/// failures for other accounts do not. Twenty failures for one account from
/// anywhere make it answer 401 to addresses it never signed in from, and a
/// hundred from one address make that address wait (429) except for
/// accounts that signed in from it before (SECURITY.md).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody, security(()),
    responses((status = 200, description = "Signed in", body = crate::auth::session::Tokens)))]
async fn login(
    State(state): State<AppState>,
    origin: Origin,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let caller = origin.caller();
    let tokens = session::login(
        &state.db,
        &state.keys,
        &state.session,
        &caller,
        &body.username,
        &body.password,
    )
    .await?;
    Ok(no_store(Json(tokens)))
}

/// A refresh token.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

/// Trade a refresh token for new tokens (续期).
///
/// No bearer token is needed: the body's refresh token is the credential.
/// The old refresh token is spent. Presented again within 30 seconds
/// (`XIETONG_REFRESH_GRACE_SECS`) from the same address, as racing tabs and
/// retries do, it answers the same new tokens; presented again later or
/// from elsewhere, it ends every token of its sign-in. An unknown, revoked,
/// expired or reused token, or one of a disabled account, answers 401
/// UNAUTHENTICATED: sign in again. Answers carry `Cache-Control: no-store`.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshBody, security(()),
    responses((status = 200, description = "New tokens", body = crate::auth::session::Tokens)))]
async fn refresh(
    State(state): State<AppState>,
    origin: Origin,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Response> {
    let caller = origin.caller();
    let tokens = session::refresh(&state.db, &state.keys, &state.session, &caller, &body.refresh_token).await?;
    Ok(no_store(Json(tokens)))
}

/// Sign out (退出).
///
/// The refresh token in the body and every token rotated from the same
/// sign-in stop working; access tokens already given run out within their
/// 15 minutes. No bearer token is needed. An unknown token is ignored, so
/// signing out twice answers 204 both times.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshBody, security(()),
    responses((status = 204, description = "Signed out")))]
async fn logout(
    State(state): State<AppState>,
    origin: Origin,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<StatusCode> {
    session::logout(&state.db, &origin.caller(), &body.refresh_token).await?;
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

/// The OAuth2 client-credentials grant (RFC 6749 §4.4).
#[derive(Deserialize, utoipa::ToSchema)]
struct TokenForm {
    /// `client_credentials`, the one grant served here.
    #[schema(required = true, nullable = false, pattern = "^client_credentials$")]
    grant_type: Option<String>,
    /// In the form, or with the secret as HTTP Basic authentication.
    #[schema(nullable = false)]
    client_id: Option<String>,
    #[schema(nullable = false)]
    client_secret: Option<String>,
    /// `read`, `write` or both, separated by a space; the client's default
    /// scopes when omitted.
    #[schema(nullable = false, pattern = "^(read|write)( (read|write))?$")]
    scope: Option<String>,
}

/// An RFC 6749 §5.2 error.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct OAuthError {
    #[schema(example = "invalid_client")]
    error: String,
    error_description: String,
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

/// The OAuth2 token endpoint for integration clients (对接平台).
///
/// Form-encoded `grant_type=client_credentials`, with `client_id` and
/// `client_secret` in the form or as HTTP Basic authentication, and optionally
/// `scope` (`read`, `write`; the client's default scopes when omitted). Errors
/// follow RFC 6749 §5.2 (`error`, `error_description`), not problem+json: 400
/// `invalid_request`, `unsupported_grant_type` or `invalid_scope` (a scope the
/// client does not hold); 401 `invalid_client` (unknown, wrong secret or
/// revoked).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token", body = crate::domain::client::ClientToken),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
        (status = 500, description = "server_error", body = OAuthError),
    ))]
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
        state.clock.now(),
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

/// The identity of an integration client.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ClientIdentity {
    client_id: String,
    /// Always `integration`.
    role: String,
    /// `read` and/or `write`.
    scopes: Vec<String>,
}

/// The caller: a user's account, or a client's identity.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum Me {
    User(user::User),
    Client(ClientIdentity),
}

/// Who the caller is: a user's account, or a client's identity.
///
/// For a user, its account as `GET /api/v1/users/{id}` shows it (role,
/// unit, name); for an integration client, its `client_id`, the role
/// `integration` and the scopes its token carries (`read`, `write`). Any
/// signed-in caller may ask; without a valid bearer token it answers 401
/// UNAUTHENTICATED.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "The caller", body = Me)))]
async fn me(State(state): State<AppState>, Authenticated(caller): Authenticated) -> ApiResult<Json<Me>> {
    match &caller.principal {
        Principal::User(u) => Ok(Json(Me::User(user::get(&state.db, &caller, u.id).await?))),
        Principal::Client(c) => {
            let scopes = [c.can_read.then_some("read"), c.can_write.then_some("write")]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            Ok(Json(Me::Client(ClientIdentity {
                client_id: c.client_id.clone(),
                role: "integration".into(),
                scopes,
            })))
        }
        Principal::System => Err(crate::domain::DomainError::Unauthenticated("sign in".into()).into()),
    }
}

/// The current password and a new one.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    #[schema(format = Password)]
    current_password: String,
    /// 8 to 256 characters, not the current one (user::check_password).
    #[schema(format = Password, min_length = 8, max_length = 256)]
    new_password: String,
}

/// Change one's own password (修改密码); every session of the user ends.
///
/// For users only (an integration client has no password: 403 FORBIDDEN).
/// The new password must be 8 to 256 characters and differ from the
/// current one, and `current_password` must be right; otherwise 422
/// VALIDATION_FAILED names the field. Every refresh token of the user is
/// revoked, so every device signs in again; the change is audited, the
/// password never.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "Changed")))]
async fn change_password(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    user::change_own_password(&state.db, &caller, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
