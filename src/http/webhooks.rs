//! `/api/v1/webhooks`: endpoints told of changes (Standard Webhooks), for
//! administrators and integration clients, and their delivery logs.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use super::problem::ApiResult;
use super::{ListQuery, conditional, with_etag};
use crate::AppState;
use crate::domain::page::Page;
use crate::domain::webhook::{self, Delivery, NewWebhook, Webhook, WebhookChanges, WebhookWithSecret};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(deliveries))
        .routes(routes!(rotate_secret))
        .routes(routes!(test))
        .routes(routes!(redeliver))
}

/// The endpoints the caller registered (an administrator sees every one).
///
/// Newest first, each with its URL, event types, filter, status (`active`, or
/// `disabled` after a day of failed deliveries, and why), since when it fails
/// and who registered it — never its secret. Paged with `limit` and `cursor`.
/// Administrators manage every endpoint, an integration client (`read` or
/// `write` scope) its own; other users answer 403 FORBIDDEN.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(ListQuery),
    responses((status = 200, description = "A page of endpoints, newest first", body = Page<Webhook>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    Ok(Json(webhook::list(&state.db, &caller, &q.page()?).await?).into_response())
}

/// Register an endpoint for events (Standard Webhooks).
///
/// Its URL (absolute http or https, no credentials, no private, loopback or
/// link-local address unless `XIETONG_WEBHOOK_ALLOW_PRIVATE=true`), the event
/// types it hears (`report.submitted`, `task.updated`, … or `*`) and an
/// optional filter (a region, a pairing, a plan). Each event is posted as
/// Standard Webhooks says, signed with the secret in this answer (shown once;
/// or bring your own `whsec_…`); accounts are told only to administrators'
/// endpoints. A wrong field is 422 VALIDATION_FAILED. Administrators manage
/// every endpoint, a client (`read` or `write` scope) its own; other users
/// answer 403 FORBIDDEN. Answers 201 with its `ETag`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, description = "Registered, with its secret", body = WebhookWithSecret, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<Response> {
    let made = webhook::create(&state.db, &caller, body, state.webhooks.allow_private).await?;
    Ok(with_etag(made.webhook.version, (StatusCode::CREATED, Json(made))))
}

/// An endpoint, with its state (`disabled` after a day of failures, and why).
///
/// Its URL, event types, filter, status, failing-since time and owner — never
/// its secret. Administrators manage every endpoint, an integration client
/// (`read` or `write` scope) its own; other users answer 403 FORBIDDEN. An
/// endpoint the caller does not manage answers 404 NOT_FOUND. `If-None-Match`
/// with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = Webhook, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = webhook::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Change an endpoint's URL, event types, filter, or status.
///
/// The fields given are replaced and checked as on registration (422
/// VALIDATION_FAILED); `status` is `active` (enables a disabled one again,
/// clearing why it was disabled) or `disabled` (stops it). Administrators
/// manage every endpoint, an integration client (`read` or `write` scope) its
/// own; other users answer 403 FORBIDDEN. An endpoint the caller does not
/// manage answers 404 NOT_FOUND. Needs `If-Match` with the `ETag` read
/// (without: 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookChanges,
    params(("id" = Uuid, Path, description = "The endpoint's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Webhook, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<WebhookChanges>,
) -> ApiResult<Response> {
    let updated = webhook::update(&state.db, &caller, id, version, body, state.webhooks.allow_private).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Remove an endpoint and its delivery log.
///
/// Administrators manage every endpoint, an integration client (`read` or
/// `write` scope) its own; other users answer 403 FORBIDDEN. An endpoint the
/// caller does not manage answers 404 NOT_FOUND. Needs `If-Match` with the
/// `ETag` read (without: 428 PRECONDITION_REQUIRED; stale: 412
/// VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Removed")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    webhook::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log of an endpoint, newest first.
///
/// Each event's status (`pending`, `delivered` or `failed`), attempts, the last
/// answer's status, latency and first 1,000 characters, or why the last attempt
/// got no answer, and the payload posted. Paged with `limit` and `cursor`.
/// Administrators manage every endpoint, an integration client (`read` or
/// `write` scope) its own; other users answer 403 FORBIDDEN. An endpoint the
/// caller does not manage answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id"), ListQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<Delivery>)))]
async fn deliveries(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    Ok(Json(webhook::deliveries(&state.db, &caller, id, &q.page()?).await?).into_response())
}

/// Give an endpoint a new secret (in this answer only).
///
/// For 24 hours each delivery carries two signatures, by the new secret and by
/// the old, so the receiver can switch without losing one. Administrators
/// manage every endpoint, an integration client (`read` or `write` scope) its
/// own; other users answer 403 FORBIDDEN. An endpoint the caller does not
/// manage answers 404 NOT_FOUND. Answers the endpoint with its new secret and
/// `ETag`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The new secret", body = WebhookWithSecret, headers(("ETag" = String)))))]
async fn rotate_secret(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let rotated = webhook::rotate_secret(&state.db, &caller, id).await?;
    Ok(with_etag(rotated.webhook.version, Json(rotated)))
}

/// Send an endpoint a `webhook.test` event now, also when it is disabled.
///
/// Answers 202 with the queued delivery: follow it in the endpoint's delivery
/// log to see whether the receiver answers (again). Administrators manage every
/// endpoint, an integration client (`read` or `write` scope) its own; other
/// users answer 403 FORBIDDEN. An endpoint the caller does not manage answers
/// 404 NOT_FOUND.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 202, description = "Queued", body = Delivery)))]
async fn test(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok((StatusCode::ACCEPTED, Json(webhook::test(&state.db, &caller, id).await?)).into_response())
}

/// Send a delivery again now, with the same `webhook-id`.
///
/// A failed one, or a delivered one the receiver lost: it is queued again with
/// its attempts reset, and answers 202 with the delivery; its `webhook-id`
/// stays, so a receiver that has it can tell. A pending one answers 409
/// CONFLICT. Administrators manage every endpoint, an integration client
/// (`read` or `write` scope) its own; other users answer 403 FORBIDDEN. A
/// delivery to an endpoint the caller does not manage answers 404 NOT_FOUND.
#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = Uuid, Path, description = "The delivery's id (its `webhook-id`)")),
    responses((status = 202, description = "Queued", body = Delivery)))]
async fn redeliver(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok((
        StatusCode::ACCEPTED,
        Json(webhook::redeliver(&state.db, &caller, id).await?),
    )
        .into_response())
}
