//! `/api/v1/clients`: integration clients, for administrators. A secret is
//! shown once, when made or rotated. A client's grants say what it serves.

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
use crate::domain::client::grants::{self, ClientGrant, GrantRequest, NewGrant};
use crate::domain::client::{self, IntegrationClient, IssuedClient, NewClient};
use crate::domain::page::Page;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read))
        .routes(routes!(rotate))
        .routes(routes!(revoke))
        .routes(routes!(list_grants, add_grant))
        .routes(routes!(remove_grant))
}

/// The integration clients: for administrators.
///
/// The platforms (对接平台) that hold credentials of their own, by
/// `client_id`, paged with `limit` and `cursor`: each with its name,
/// scopes, default scopes, when it was last used and whether it is revoked
/// — never its secret. Anyone but an administrator answers 403 FORBIDDEN.
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
    #[schema(pattern = r"^[A-Za-z0-9._-]{3,64}$")]
    client_id: Option<String>,
    #[schema(pattern = r"\S")]
    name: String,
    /// `read` and/or `write`.
    #[schema(min_items = 1, inline, value_type = Vec<crate::domain::client::ScopeName>)]
    scopes: Vec<String>,
    /// What a token request that names no `scope` gets; `read` when absent
    /// (or the client's scopes, if it holds no `read`).
    #[serde(default)]
    #[schema(inline, value_type = Vec<crate::domain::client::ScopeName>)]
    default_scopes: Vec<String>,
}

/// Create a client (对接平台); its secret is in this answer only.
///
/// For administrators (anyone else: 403 FORBIDDEN). `scopes` holds `read`
/// and/or `write`; `default_scopes`, among them, is what a token request
/// naming no scope gets (`read` when absent, or the client's scopes if it
/// holds no `read`). `client_id` is made up (`xt-…`) unless given (3 to 64
/// letters, digits, `-`, `_` or `.`). A wrong field answers 422
/// VALIDATION_FAILED, a `client_id` already taken 409 CONFLICT. Store
/// `client_secret` now: it is kept only as a hash.
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
///
/// An integration client as the list shows it: name, scopes, default
/// scopes, last use, revocation, version — never its secret. For
/// administrators (anyone else: 403 FORBIDDEN); an unknown id answers 404
/// NOT_FOUND.
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
///
/// For administrators (anyone else: 403 FORBIDDEN). The old secret buys no
/// token from now on; access tokens it already bought run until they
/// expire. A revoked client gets no new secret: 409 CONFLICT. An unknown id
/// answers 404 NOT_FOUND. The rotation is audited, the secret never.
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
///
/// For administrators (anyone else: 403 FORBIDDEN). Answers the client with
/// `revoked_at` set; revoking a revoked client changes nothing and answers
/// it as it is. Access tokens already issued run until they expire. An
/// unknown id answers 404 NOT_FOUND.
#[utoipa::path(post, path = "/api/v1/clients/{id}/revoke", tag = "clients", params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "Revoked", body = IntegrationClient)))]
async fn revoke(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(client::revoke(&state.db, &caller, id).await?).into_response())
}

/// What a client serves: its grants.
///
/// Each grant names what it reaches (`kind`: `all`, or a `region`, a
/// `pairing` or a `plan` with its id) and whether the client only reads
/// there or also writes (`scope`). A client sees the union of its grants
/// and changes what its `write` grants reach, when its token carries
/// `write`; a client without grants sees no plan, task, report or project.
/// A grant of kind `all` is unrestricted (`unrestricted: true`): every
/// client made before grants existed holds one, as does a new client until
/// it is narrowed. Oldest first. For administrators and the client itself
/// (anyone else: 403 FORBIDDEN); an unknown client answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/clients/{id}/grants", tag = "clients", params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "The client's grants", body = Vec<ClientGrant>)))]
async fn list_grants(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ClientGrant>>> {
    Ok(Json(grants::list(&state.db, &caller, id).await?))
}

/// Give a client a grant.
///
/// `{"scope": "write", "kind": "pairing", "pairing_id": "…"}`: what the
/// grant reaches (`kind` `all`, `region` with `region_id`, `pairing` with
/// `pairing_id`, `plan` with `plan_id`) and whether the client also writes
/// there. A region reaches its own plans and those of every pairing it
/// takes part in, with those pairings' projects and chronicle; a pairing
/// its plans, projects and chronicle; a plan its tasks and their reports.
/// To narrow a client, give its narrower grants, then remove its grant of
/// kind `all`. Answers 201 with the new grant, or 200 with the same grant
/// if the client holds it already. For administrators (anyone else: 403
/// FORBIDDEN); an unknown client answers 404 NOT_FOUND; a region, pairing
/// or plan that does not exist, or a `write` grant to a client without the
/// `write` scope, 422 VALIDATION_FAILED. Audited; the client's next request
/// sees it.
#[utoipa::path(post, path = "/api/v1/clients/{id}/grants", tag = "clients", params(("id" = Uuid, Path, description = "The client's id")),
    request_body = NewGrant,
    responses((status = 201, description = "Given", body = ClientGrant), (status = 200, description = "Held already", body = ClientGrant)))]
async fn add_grant(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<GrantRequest>,
) -> ApiResult<Response> {
    let (grant, new) = grants::add(&state.db, &caller, id, body.grant()?).await?;
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(grant)).into_response())
}

/// Take a grant from a client.
///
/// The client's next request is seen without it (access tokens it holds
/// keep their scopes, not the grant). For administrators (anyone else: 403
/// FORBIDDEN); an unknown client, or a grant it does not hold, answers 404
/// NOT_FOUND. Audited.
#[utoipa::path(delete, path = "/api/v1/clients/{id}/grants/{grant_id}", tag = "clients",
    params(("id" = Uuid, Path, description = "The client's id"), ("grant_id" = Uuid, Path, description = "The grant's id")),
    responses((status = 204, description = "Taken")))]
async fn remove_grant(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((id, grant_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    grants::remove(&state.db, &caller, id, grant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
