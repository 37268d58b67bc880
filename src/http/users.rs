//! `/api/v1/users`: user administration for administrators.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use super::problem::ApiResult;
use super::{ListQuery, conditional, with_etag};
use crate::AppState;
use crate::domain::user::{self, NewUser, User, UserChanges};
use crate::domain::values::Role;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update))
        .routes(routes!(reset_password))
}

/// The users (用户), by username: for administrators.
///
/// Each user with its role, unit (none for administrators and viewers),
/// display name, whether it is disabled, and its version — never a
/// password. Paged with `limit` and `cursor`. Anyone but an administrator
/// answers 403 FORBIDDEN.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, description = "A page of users", body = crate::domain::page::Page<User>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let page = q.page()?;
    Ok(Json(user::list(&state.db, &caller, &page).await?).into_response())
}

/// A new user. Unit users and coordinators belong to a unit; administrators and viewers to none.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    /// 8 to 256 characters (user::check_password).
    #[schema(format = Password, min_length = 8, max_length = 256)]
    password: String,
    role: Role,
    #[serde(default)]
    unit_id: Option<Uuid>,
}

/// Create a user: for administrators.
///
/// Unit users and coordinators belong to a unit (`unit_id` required);
/// administrators and viewers to none; the `integration` role is for
/// clients, not users. The username may hold no spaces; the password is 8
/// to 256 characters. A wrong field answers 422 VALIDATION_FAILED, a
/// username taken 409 CONFLICT, anyone but an administrator 403 FORBIDDEN.
/// Answers 201 with the user and its `ETag`.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, description = "Created", body = User, headers(("ETag" = String, description = "The version, quoted")))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<Response> {
    let created = user::create(
        &state.db,
        &caller,
        NewUser {
            username: body.username,
            display_name: body.display_name,
            password: body.password,
            role: body.role,
            unit_id: body.unit_id,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, with_etag(created.version, Json(created))).into_response())
}

/// A user: administrators see all, a user sees itself.
///
/// The account with its role, unit, display name, disabled flag and
/// version (its `ETag`); never the password. Any other user's id answers
/// 404 NOT_FOUND, as an unknown id does. `If-None-Match` with the current
/// `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = User, headers(("ETag" = String))), (status = 304, description = "Not modified since the `If-None-Match` version")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = user::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Changes to a user; absent fields stay, `null` clears.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchUser {
    #[serde(default, with = "super::double_option")]
    display_name: Option<Option<String>>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default, with = "super::double_option")]
    unit_id: Option<Option<Uuid>>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// Change a user's role, unit, name, or disable it: for administrators.
///
/// Absent fields stay, `null` clears. A disabled user loses access at its next
/// refresh: disabling a user, or changing its role or unit, revokes its refresh
/// tokens (tokens carry the role and unit). The role and unit must go together
/// as on creation, and administrators cannot disable or demote themselves (422
/// VALIDATION_FAILED). Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT). Anyone but an
/// administrator answers 403 FORBIDDEN.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = PatchUser,
    params(("id" = Uuid, Path, description = "The user's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = User, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchUser>,
) -> ApiResult<Response> {
    let changes = UserChanges {
        display_name: body.display_name,
        role: body.role,
        unit_id: body.unit_id,
        disabled: body.disabled,
    };
    let updated = user::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// A new password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetPassword {
    /// 8 to 256 characters (user::check_password).
    #[schema(format = Password, min_length = 8, max_length = 256)]
    password: String,
}

/// Set a new password for a user (重置密码): for administrators; the user's sessions end.
///
/// The password is 8 to 256 characters (else 422 VALIDATION_FAILED).
/// Every refresh token of the user is revoked, so it signs in again with
/// the new password. Anyone but an administrator answers 403 FORBIDDEN; an
/// unknown id 404 NOT_FOUND. The reset is audited, the password never.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", request_body = ResetPassword,
    params(("id" = Uuid, Path, description = "The user's id")), responses((status = 204, description = "Set")))]
async fn reset_password(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ResetPassword>,
) -> ApiResult<StatusCode> {
    user::reset_password(&state.db, &caller, id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
