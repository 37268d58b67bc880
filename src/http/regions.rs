//! `/api/v1/regions`: regions (行政区划) — districts, counties, development
//! zones — with their codes (行政区划代码) and clusters (一区两群).

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
use crate::domain::region::{self, Region, RegionFilter, RegionInput};
use crate::domain::values::{Cluster, RegionKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, replace, delete))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RegionQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `name` or `created_at`, `-` first for descending (default `name`).
    sort: Option<String>,
    kind: Option<RegionKind>,
    cluster: Option<Cluster>,
    /// The regions directly under this one.
    parent_id: Option<Uuid>,
    /// A part of the name or of the code (行政区划代码).
    q: Option<String>,
}

/// The regions (行政区划).
///
/// Districts, counties, development zones and the regions above them, each
/// with its code, kind, cluster (一区两群; none outside Chongqing) and
/// parent. Narrow by `kind`, `cluster`, `parent_id` (the regions directly
/// under it) and `q` (part of the name or code); sort by `name` (default)
/// or `created_at` (`-` for descending); page with `limit` and `cursor`.
/// Regions are shared reference data: anyone signed in reads them (a client
/// needs the `read` scope).
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(RegionQuery),
    responses((status = 200, description = "A page of regions", body = Page<Region>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Page<Region>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = RegionFilter {
        kind: q.kind,
        cluster: q.cluster,
        parent_id: q.parent_id,
        q: q.q,
    };
    Ok(Json(
        region::list_page(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A region, whole: the body of a create and of a replace.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RegionBody {
    /// 行政区划代码, six digits; none for a development zone (开发区, 新区).
    #[schema(example = "500103", pattern = "^[0-9]{6}$")]
    code: Option<String>,
    #[schema(example = "渝中区", pattern = r"\S")]
    name: String,
    kind: RegionKind,
    /// 一区两群 cluster; none outside Chongqing.
    cluster: Option<Cluster>,
    /// The region it belongs to (a city of a district), if any.
    parent_id: Option<Uuid>,
}

impl RegionBody {
    fn input(&self) -> RegionInput {
        RegionInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind,
            cluster: self.cluster,
            parent_id: self.parent_id,
        }
    }
}

/// Create a region (行政区划), as an administrator.
///
/// The code (行政区划代码) is six digits, none for a development zone; the parent
/// must exist. A wrong field is 422 VALIDATION_FAILED; a code already used, or
/// a name already used under the same parent, 409 CONFLICT; anyone but an
/// administrator 403 FORBIDDEN. Answers 201 with its `ETag`. `Idempotency-Key`
/// makes a retry answer the first 201 again (`Idempotent-Replayed: true`)
/// instead of creating twice; the key reused with another body is 422
/// VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/regions", tag = "regions", request_body = RegionBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Region, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegionBody>,
) -> ApiResult<Response> {
    idempotent::create(&state, &caller, &headers, "POST /api/v1/regions", &body, async |txn| {
        region::create(txn, &caller, body.input()).await
    })
    .await
}

/// A region (行政区划).
///
/// Its code, name, kind, cluster and parent. Anyone signed in reads it (a
/// client needs the `read` scope); an unknown id answers 404 NOT_FOUND.
/// `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/regions/{id}", tag = "regions", params(("id" = Uuid, Path, description = "The region's id")),
    responses((status = 200, description = "The region", body = Region, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = region::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Replace a region (行政区划) with the body given, as an administrator.
///
/// The whole region, checked as on creation: a six-digit code (none for a
/// development zone), an existing parent other than itself (422
/// VALIDATION_FAILED); a code, or a name under the same parent, used by another
/// region is 409 CONFLICT. Anyone but an administrator answers 403 FORBIDDEN,
/// an unknown id 404 NOT_FOUND. Needs `If-Match` with the `ETag` read (without:
/// 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(put, path = "/api/v1/regions/{id}", tag = "regions", request_body = RegionBody,
    params(("id" = Uuid, Path, description = "The region's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Replaced", body = Region, headers(("ETag" = String)))))]
async fn replace(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<RegionBody>,
) -> ApiResult<Response> {
    let updated = region::update(&state.db, &caller, id, version, body.input()).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a region (行政区划) that no sub-region, unit, group, pairing or plan refers to, as an administrator.
///
/// A region still referred to answers 409 CONFLICT naming what refers to it and
/// how many; anyone but an administrator 403 FORBIDDEN; an unknown id 404
/// NOT_FOUND. Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/regions/{id}", tag = "regions",
    params(("id" = Uuid, Path, description = "The region's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    region::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
