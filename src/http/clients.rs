//! `/api/v1/clients`: integration clients, for administrators. A secret is
//! shown once, when made or rotated.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::ListQuery;
use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::client::{self, IntegrationClient, IssuedClient, NewClient};
use crate::domain::page::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read))
        .routes(routes!(rotate))
        .routes(routes!(revoke))
}

/// The integration clients: for administrators.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListQuery),
    responses((status = 200, description = "A page of clients", body = Page<IntegrationClient>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    Ok(Json(client::list(&state.db, &caller, &q.page()?).await?).into_response())
}

/// A new integration client.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateClient {
    #[serde(default)]
    client_id: Option<String>,
    name: String,
    /// `read` and/or `write`.
    scopes: Vec<String>,
    /// What a token request that names no `scope` gets; `read` when absent
    /// (or the client's scopes, if it holds no `read`).
    #[serde(default)]
    default_scopes: Vec<String>,
}

/// Create a client (对接平台); its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = CreateClient,
    responses((status = 201, description = "Created, with its secret", body = IssuedClient)))]
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
            default_scopes: body.default_scopes,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

/// A client.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "The client", body = IntegrationClient)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::get(&state.db, &caller, id).await?).into_response())
}

/// Give a client a new secret (in this answer only); the old one stops working.
#[utoipa::path(post, path = "/api/v1/clients/{id}/secret", tag = "clients", params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "The new secret", body = IssuedClient)))]
async fn rotate(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::rotate_secret(&state.db, &caller, id).await?).into_response())
}

/// Revoke a client: its secret buys no more tokens.
#[utoipa::path(post, path = "/api/v1/clients/{id}/revoke", tag = "clients", params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "Revoked", body = IntegrationClient)))]
async fn revoke(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::revoke(&state.db, &caller, id).await?).into_response())
}
