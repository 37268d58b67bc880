//! `/api/v1/clients`: integration clients, for administrators. A secret is
//! shown once, when made or rotated.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiJson, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::client::{self, NewClient};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clients", get(list).post(create))
        .route("/api/v1/clients/{id}", get(read))
        .route("/api/v1/clients/{id}/secret", post(rotate))
        .route("/api/v1/clients/{id}/revoke", post(revoke))
}

async fn list(State(state): State<AppState>, Authenticated(caller): Authenticated) -> ApiResult<Response> {
    let items = client::list(&state.db, &caller).await?;
    let total_count = items.len();
    Ok(Json(serde_json::json!({ "items": items, "next_cursor": null, "total_count": total_count })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateClient {
    #[serde(default)]
    client_id: Option<String>,
    name: String,
    scopes: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<CreateClient>,
) -> ApiResult<Response> {
    let issued = client::create(
        &state.db,
        &caller,
        NewClient {
            client_id: body.client_id,
            name: body.name,
            scopes: body.scopes,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::get(&state.db, &caller, id).await?).into_response())
}

async fn rotate(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::rotate_secret(&state.db, &caller, id).await?).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::revoke(&state.db, &caller, id).await?).into_response())
}
