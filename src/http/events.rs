//! `/api/v1/events`: the chronicle of a pairing (大事记) — agreements
//! signed, parks opened, forest quota bought (8.46万亩 for 21150万元) —
//! each event with its amounts.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use super::problem::ApiResult;
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::event::{self, Event, EventAmount, EventFilter, EventInput};
use crate::domain::page::{Page, PageRequest};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(export))
        .routes(routes!(read, replace, delete))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `occurred_on` or `created_at`, `-` first for descending (default `occurred_on`).
    sort: Option<String>,
    pairing_id: Option<Uuid>,
    /// Events on or after this day.
    from: Option<NaiveDate>,
    /// Events on or before this day.
    to: Option<NaiveDate>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// The pairing whose chronicle it is.
    pairing_id: Uuid,
    /// Events on or after this day.
    from: Option<NaiveDate>,
    /// Events on or before this day.
    to: Option<NaiveDate>,
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// A pairing's chronicle (大事记) as its document.
///
/// Its title above, a row per amount (日期, 事项, 内容, 数额, 单位, 名目), an
/// event's date, title and description merged over its rows, by day,
/// between `from` and `to` when given. The chronicle import reads it back.
/// `format=xlsx` (default) or `csv`, named `events-<pairing id>`
/// (`Content-Disposition`). Anyone signed in may export it (a client needs
/// the `read` scope); an unknown `pairing_id`, or another `format`, answers
/// 422 VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/events/export", tag = "events", params(ExportQuery),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
    ))]
async fn export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    use crate::documents::export::{Format, to_file};
    let format = Format::asked(q.format.as_deref())?;
    let sheet = crate::documents::events::sheet(&state.db, &caller, q.pairing_id, q.from, q.to).await?;
    Ok(super::download(
        format,
        &format!("events-{}", q.pairing_id),
        to_file(&sheet, format)?,
    ))
}

/// The chronicle (大事记): events of every pairing or of one, by day.
///
/// Each event with its amounts (8.46万亩, 21150万元), narrowed by
/// `pairing_id` and the days `from` and `to`, sorted by `occurred_on`
/// (default) or `created_at` (`-` for descending), paged with `limit` and
/// `cursor`. The chronicle is shared: anyone signed in reads it (a client
/// needs the `read` scope). A `to` before `from` answers 422
/// VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, description = "A page of events", body = Page<Event>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<Page<Event>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = EventFilter {
        pairing_id: q.pairing_id,
        from: q.from,
        to: q.to,
    };
    Ok(Json(
        event::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// An event, whole: the body of a create and of a replace.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EventBody {
    /// The pairing whose chronicle it belongs to; it cannot change.
    pairing_id: Uuid,
    /// The day it happened.
    #[schema(example = "2021-06-18", pattern = "^(199[0-9]|20[0-9]{2}|2100)-")]
    occurred_on: NaiveDate,
    #[schema(example = "渝中区向巫溪县购买森林面积指标", pattern = r"\S")]
    title: String,
    #[schema(example = "签订森林覆盖率指标交易协议，购买森林面积指标8.46万亩，交易金额21150万元。")]
    description: Option<String>,
    /// In order; replaced as a whole.
    #[serde(default)]
    #[schema(example = json!([
        {"value": "8.46", "unit": "万亩", "label": "森林面积指标"},
        {"value": "21150", "unit": "万元", "label": "交易金额"}
    ]))]
    amounts: Vec<EventAmount>,
}

impl EventBody {
    fn input(&self) -> EventInput {
        EventInput {
            pairing_id: self.pairing_id,
            occurred_on: self.occurred_on,
            title: self.title.clone(),
            description: self.description.clone(),
            amounts: self.amounts.clone(),
        }
    }
}

/// Add an event to a pairing's chronicle (大事记), as an administrator or a coordinator of the pairing's regions.
///
/// For administrators, coordinators of the pairing's regions (helper, co-helper
/// or recipient) and `write` clients (else 403 FORBIDDEN). A day from 1990 to
/// 2100, a title, an optional description and at most 20 amounts (a value and
/// its unit, with a label); a wrong field or an unknown pairing is 422
/// VALIDATION_FAILED. Answers 201 with its `ETag`. `Idempotency-Key` makes a
/// retry answer the first 201 again (`Idempotent-Replayed: true`) instead of
/// creating twice; the key reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EventBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Event, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EventBody>,
) -> ApiResult<Response> {
    idempotent::create(&state, &caller, &headers, "POST /api/v1/events", &body, async |txn| {
        event::create(txn, &caller, body.input()).await
    })
    .await
}

/// An event of a pairing's chronicle (大事记) with its amounts.
///
/// Anyone signed in reads it (a client needs the `read` scope); an unknown id
/// answers 404 NOT_FOUND. `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = Uuid, Path, description = "The event's id")),
    responses((status = 200, description = "The event", body = Event, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = event::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Replace an event of the chronicle (大事记) and its amounts with the body given, as an administrator or a coordinator of the pairing's regions.
///
/// Who may: administrators, coordinators whose unit's region is the pairing's
/// helper, a co-helper or its recipient, and integration clients with the
/// `write` scope; anyone else answers 403 FORBIDDEN. The body is the whole
/// event, checked as on creation; its amounts replace the old ones;
/// `pairing_id` cannot change (422 VALIDATION_FAILED). Needs `If-Match` with
/// the `ETag` read (without: 428 PRECONDITION_REQUIRED; stale: 412
/// VERSION_CONFLICT). An unknown id answers 404 NOT_FOUND.
#[utoipa::path(put, path = "/api/v1/events/{id}", tag = "events", request_body = EventBody,
    params(("id" = Uuid, Path, description = "The event's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Replaced", body = Event, headers(("ETag" = String)))))]
async fn replace(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<EventBody>,
) -> ApiResult<Response> {
    let updated = event::update(&state.db, &caller, id, version, body.input()).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete an event of the chronicle (大事记), as an administrator or a coordinator of the pairing's regions.
///
/// Who may: administrators, coordinators whose unit's region is the pairing's
/// helper, a co-helper or its recipient, and integration clients with the
/// `write` scope; anyone else answers 403 FORBIDDEN. The event goes with its
/// amounts. Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT). An unknown id answers
/// 404 NOT_FOUND.
#[utoipa::path(delete, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = Uuid, Path, description = "The event's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    event::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
