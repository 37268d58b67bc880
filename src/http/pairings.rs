//! `/api/v1/pairings` and `/api/v1/unit-pairings`: pairings (结对) of a
//! helper (帮扶方) and a recipient (受帮扶方) region with their co-helpers
//! (联合帮扶方) and documents, and the unit pairing table within a pairing
//! (部门街镇结对帮扶表: 解放碑街道 ↔ 白鹿镇).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use super::problem::ApiResult;
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::page::{Page, PageRequest};
use crate::domain::pairing::{
    self, Pairing, PairingDocument, PairingFilter, PairingInput, UnitPairing, UnitPairingFilter, UnitPairingInput,
};
use crate::domain::values::PairingStatus;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pairings, create_pairing))
        .routes(routes!(read_pairing, replace_pairing, delete_pairing))
        .routes(routes!(list_unit_pairings, create_unit_pairing))
        .routes(routes!(export_unit_pairings))
        .routes(routes!(read_unit_pairing, replace_unit_pairing, delete_unit_pairing))
}

// --------------------------------------------------------------- pairings

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PairingQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `created_at`, `-` first for descending (default `created_at`).
    sort: Option<String>,
    /// Pairings where the region is the helper (帮扶方), a co-helper (联合帮扶方) or the recipient (受帮扶方).
    region_id: Option<Uuid>,
    status: Option<PairingStatus>,
}

/// The pairings (结对), in the order they were recorded.
///
/// Each with its helper (帮扶方), recipient (受帮扶方), co-helpers (联合帮扶方),
/// start year, status, note and agreement documents. Narrow by `region_id`
/// (as helper, co-helper or recipient) and `status`; sort by `created_at`
/// (`-created_at` for newest first); page with `limit` and `cursor`.
/// Pairings are shared reference data: anyone signed in reads them (a
/// client needs the `read` scope).
#[utoipa::path(get, path = "/api/v1/pairings", tag = "pairings", params(PairingQuery),
    responses((status = 200, description = "A page of pairings", body = Page<Pairing>)))]
async fn list_pairings(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<PairingQuery>,
) -> ApiResult<Json<Page<Pairing>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = PairingFilter {
        region_id: q.region_id,
        status: q.status,
    };
    Ok(Json(
        pairing::list_page(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A pairing, whole: the body of a create and of a replace.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PairingBody {
    /// 帮扶方, e.g. 渝中区.
    helper_region_id: Uuid,
    /// 受帮扶方, e.g. 巫溪县.
    recipient_region_id: Uuid,
    /// 联合帮扶方 (南川区 with 涪陵区 helps 武隆区); replaced as a whole.
    #[serde(default)]
    co_helper_region_ids: Vec<Uuid>,
    /// The year the pairing began.
    #[schema(example = 2020)]
    #[schema(minimum = 1990, maximum = 2100)]
    start_year: Option<i32>,
    /// Defaults to `active`.
    status: Option<PairingStatus>,
    note: Option<String>,
    /// Agreement documents, in order; replaced as a whole.
    #[serde(default)]
    documents: Vec<PairingDocument>,
}

impl PairingBody {
    fn input(&self) -> PairingInput {
        PairingInput {
            helper_region_id: self.helper_region_id,
            recipient_region_id: self.recipient_region_id,
            co_helper_region_ids: self.co_helper_region_ids.clone(),
            start_year: self.start_year,
            status: self.status.unwrap_or_default(),
            note: self.note.clone(),
            documents: self.documents.clone(),
        }
    }
}

/// Create a pairing (结对) of a helper and a recipient region, as an administrator.
///
/// With its co-helpers (联合帮扶方: neither the helper nor the recipient, none
/// twice), start year (1990 to 2100), status (`active` by default), note and
/// documents. Unknown regions or a region helping itself answer 422
/// VALIDATION_FAILED; a helper and recipient already paired 409 CONFLICT;
/// anyone but an administrator 403 FORBIDDEN. Answers 201 with the pairing and
/// its `ETag`. `Idempotency-Key` makes a retry answer the first 201 again
/// (`Idempotent-Replayed: true`) instead of creating twice; the key reused with
/// another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/pairings", tag = "pairings", request_body = PairingBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Pairing, headers(("ETag" = String)))))]
async fn create_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PairingBody>,
) -> ApiResult<Response> {
    idempotent::create(&state, &caller, &headers, "POST /api/v1/pairings", &body, async |txn| {
        pairing::create(txn, &caller, body.input()).await
    })
    .await
}

/// A pairing (结对) with its co-helpers (联合帮扶方) and documents.
///
/// Pairings are shared reference data: anyone signed in reads them (a client
/// needs the `read` scope). An unknown id answers 404 NOT_FOUND.
/// `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/pairings/{id}", tag = "pairings", params(("id" = Uuid, Path, description = "The pairing's id")),
    responses((status = 200, description = "The pairing", body = Pairing, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = pairing::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Replace a pairing (结对), its co-helpers and documents with the body given, as an administrator.
///
/// The body is the whole pairing, checked as on creation; co-helpers and
/// documents are replaced as a whole. A helper and recipient already paired
/// elsewhere answer 409 CONFLICT, a wrong field 422 VALIDATION_FAILED, anyone
/// but an administrator 403 FORBIDDEN, an unknown id 404 NOT_FOUND. Needs
/// `If-Match` with the `ETag` read (without: 428 PRECONDITION_REQUIRED; stale:
/// 412 VERSION_CONFLICT).
#[utoipa::path(put, path = "/api/v1/pairings/{id}", tag = "pairings", request_body = PairingBody,
    params(("id" = Uuid, Path, description = "The pairing's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Replaced", body = Pairing, headers(("ETag" = String)))))]
async fn replace_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PairingBody>,
) -> ApiResult<Response> {
    let updated = pairing::update(&state.db, &caller, id, version, body.input()).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a pairing (结对) that has no plans (任务清单) and no chronicle (大事记), as an administrator.
///
/// A pairing that still has plans or chronicle events answers 409 CONFLICT
/// saying how many; anyone but an administrator 403 FORBIDDEN; an unknown id
/// 404 NOT_FOUND. Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/pairings/{id}", tag = "pairings",
    params(("id" = Uuid, Path, description = "The pairing's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    pairing::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------- unit pairings

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UnitPairingQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `created_at`, `-` first for descending (default `created_at`).
    sort: Option<String>,
    pairing_id: Option<Uuid>,
    /// Unit pairings where the unit is the helper or the recipient unit.
    unit_id: Option<Uuid>,
}

/// The unit pairings (部门街镇结对), in the order they were recorded.
///
/// Each a helper unit paired with a recipient unit within a pairing
/// (解放碑街道 ↔ 白鹿镇), with its 序号 and note. Narrow by `pairing_id` and
/// `unit_id` (as helper or recipient unit); sort by `created_at`
/// (`-created_at` for newest first); page with `limit` and `cursor`. Anyone
/// signed in reads them (a client needs the `read` scope).
#[utoipa::path(get, path = "/api/v1/unit-pairings", tag = "pairings", params(UnitPairingQuery),
    responses((status = 200, description = "A page of unit pairings", body = Page<UnitPairing>)))]
async fn list_unit_pairings(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<UnitPairingQuery>,
) -> ApiResult<Json<Page<UnitPairing>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = UnitPairingFilter {
        pairing_id: q.pairing_id,
        unit_id: q.unit_id,
    };
    Ok(Json(
        pairing::list_unit_pairings_page(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A unit pairing, whole: the body of a create and of a replace. The
/// helper unit belongs to the helper or a co-helper of the pairing, the
/// recipient unit to its recipient.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitPairingBody {
    /// The pairing; it cannot change.
    pairing_id: Uuid,
    /// e.g. 解放碑街道 of 渝中区.
    helper_unit_id: Uuid,
    /// e.g. 白鹿镇 of 巫溪县.
    recipient_unit_id: Uuid,
    /// 序号 in the document's table.
    #[schema(example = 1)]
    seq: Option<i32>,
    #[schema(example = "街镇结对")]
    note: Option<String>,
}

impl UnitPairingBody {
    fn input(&self) -> UnitPairingInput {
        UnitPairingInput {
            pairing_id: self.pairing_id,
            helper_unit_id: self.helper_unit_id,
            recipient_unit_id: self.recipient_unit_id,
            seq: self.seq,
            note: self.note.clone(),
        }
    }
}

/// Pair a helper unit with a recipient unit within a pairing (部门街镇结对: 解放碑街道 ↔ 白鹿镇), as an administrator.
///
/// The helper unit belongs to the pairing's helper or a co-helper, the
/// recipient unit to its recipient (else, or for an unknown pairing or unit,
/// 422 VALIDATION_FAILED). Two units already paired in the pairing are 409
/// CONFLICT; anyone but an administrator 403 FORBIDDEN. Answers 201 with its
/// `ETag`. `Idempotency-Key` makes a retry answer the first 201 again
/// (`Idempotent-Replayed: true`) instead of creating twice; the key reused with
/// another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/unit-pairings", tag = "pairings", request_body = UnitPairingBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = UnitPairing, headers(("ETag" = String)))))]
async fn create_unit_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UnitPairingBody>,
) -> ApiResult<Response> {
    idempotent::create(
        &state,
        &caller,
        &headers,
        "POST /api/v1/unit-pairings",
        &body,
        async |txn| pairing::create_unit_pairing(txn, &caller, body.input()).await,
    )
    .await
}

/// A unit pairing (部门街镇结对).
///
/// Its pairing, helper unit, recipient unit, 序号 and note. Anyone signed in
/// reads it (a client needs the `read` scope); an unknown id answers 404
/// NOT_FOUND. `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/unit-pairings/{id}", tag = "pairings", params(("id" = Uuid, Path, description = "The unit pairing's id")),
    responses((status = 200, description = "The unit pairing", body = UnitPairing, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read_unit_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = pairing::get_unit_pairing(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Replace a unit pairing (部门街镇结对) with the body given, as an administrator.
///
/// Checked as on creation; `pairing_id` cannot change (422 VALIDATION_FAILED).
/// Two units already paired in the pairing answer 409 CONFLICT; anyone but an
/// administrator 403 FORBIDDEN; an unknown id 404 NOT_FOUND. Needs `If-Match`
/// with the `ETag` read (without: 428 PRECONDITION_REQUIRED; stale: 412
/// VERSION_CONFLICT).
#[utoipa::path(put, path = "/api/v1/unit-pairings/{id}", tag = "pairings", request_body = UnitPairingBody,
    params(("id" = Uuid, Path, description = "The unit pairing's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Replaced", body = UnitPairing, headers(("ETag" = String)))))]
async fn replace_unit_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UnitPairingBody>,
) -> ApiResult<Response> {
    let updated = pairing::update_unit_pairing(&state.db, &caller, id, version, body.input()).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a unit pairing (部门街镇结对), as an administrator.
///
/// Anyone but an administrator answers 403 FORBIDDEN; an unknown id 404
/// NOT_FOUND. Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/unit-pairings/{id}", tag = "pairings",
    params(("id" = Uuid, Path, description = "The unit pairing's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete_unit_pairing(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    pairing::delete_unit_pairing(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The pairing's unit pairing table (部门街镇结对帮扶表) as a document.
///
/// In the layout `POST /api/v1/imports/unit-pairs` reads: 序号 and a column
/// named after each region, a row per 序号 with its units joined by 、 as
/// the document writes them. `format=xlsx` (default) or `csv` (another is
/// 422 VALIDATION_FAILED), named `unit-pairings-<pairing id>`
/// (`Content-Disposition`). Anyone signed in may export it (a client needs
/// the `read` scope); an unknown pairing answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/pairings/{id}/unit-pairings/export", tag = "pairings",
    params(("id" = Uuid, Path, description = "The pairing's id"), super::FormatQuery),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
    ))]
async fn export_unit_pairings(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<super::FormatQuery>,
) -> ApiResult<axum::response::Response> {
    use crate::documents::export::{Format, Sheet, to_file};
    let format = Format::asked(q.format.as_deref())?;
    let rows = crate::documents::reference::unit_pairs_rows(&state.db, &caller, id).await?;
    let bytes = to_file(&Sheet::plain(rows), format)?;
    Ok(super::download(format, &format!("unit-pairings-{id}"), bytes))
}
