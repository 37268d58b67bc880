//! `/api/v1/users`: user administration for administrators.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiJson, Authenticated, IfMatch};
use super::problem::ApiResult;
use super::{ListQuery, with_etag};
use crate::AppState;
use crate::domain::user::{self, NewUser, UserChanges};
use crate::domain::values::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(read).patch(update))
        .route("/api/v1/users/{id}/password", post(reset_password))
}

async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let page = q.page()?;
    Ok(Json(user::list(&state.db, &caller, &page).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    password: String,
    role: Role,
    #[serde(default)]
    unit_id: Option<Uuid>,
}

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

async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let found = user::get(&state.db, &caller, id).await?;
    Ok(with_etag(found.version, Json(found)))
}

#[derive(Deserialize)]
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

async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<Uuid>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetPassword {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ResetPassword>,
) -> ApiResult<StatusCode> {
    user::reset_password(&state.db, &caller, id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
