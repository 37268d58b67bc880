//! `/api/v1/units` and `/api/v1/unit-groups`: units (单位: departments,
//! streets, towns, townships) with their aliases, and unit groups (单位组,
//! e.g. 各镇街) by rule or by members.

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
use super::{ListQuery, conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::page::{Page, PageRequest};
use crate::domain::unit::{self, Unit, UnitFilter, UnitGroup, UnitGroupInput, UnitInput};
use crate::domain::values::UnitKind;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(read_unit, replace_unit, delete_unit))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(read_group, replace_group, delete_group))
        .routes(routes!(group_members))
}

// ------------------------------------------------------------------ units

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UnitQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `name`, `-` first for descending (default `name`).
    sort: Option<String>,
    region_id: Option<Uuid>,
    kind: Option<UnitKind>,
    /// A part of the unit's name or of one of its aliases (区就业人才中心).
    q: Option<String>,
}

/// The units (单位) of every region or of one, by name.
///
/// Departments, streets, towns, townships, management committees and
/// state-owned companies, each with its region, kind and aliases (other names
/// in documents). Narrow by `region_id`, `kind` and `q` (part of the name or of
/// an alias: 区就业人才中心 finds 区就业和人才中心); sort by `name` (`-name` for descending);
/// page with `limit` and `cursor`. Anyone signed in reads them (a client needs
/// the `read` scope).
#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    responses((status = 200, description = "A page of units", body = Page<Unit>)))]
async fn list_units(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> ApiResult<Json<Page<Unit>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = UnitFilter {
        region_id: q.region_id,
        kind: q.kind,
        q: q.q,
    };
    Ok(Json(
        unit::list_units_page(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A unit, whole: the body of a create and of a replace.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitBody {
    /// The region the unit belongs to; it cannot change.
    region_id: Uuid,
    /// Unique in the region among units, groups and aliases.
    #[schema(example = "县经济信息委", pattern = r"\S")]
    name: String,
    kind: UnitKind,
    /// Other names of the unit in documents; replaced as a whole.
    #[serde(default)]
    #[schema(example = json!(["县投资促进服务中心"]))]
    aliases: Vec<String>,
    /// A platform's id of the unit (a provincial platform's unit code);
    /// unique among units; replaced as a whole, as the rest.
    #[schema(value_type = Option<crate::domain::external::ExternalIdText>)]
    external_id: Option<String>,
}

impl UnitBody {
    fn input(&self) -> UnitInput {
        UnitInput {
            region_id: self.region_id,
            name: self.name.clone(),
            kind: self.kind,
            aliases: self.aliases.clone(),
            external_id: self.external_id.clone(),
        }
    }
}

/// Create a unit (单位) with its aliases, as an administrator.
///
/// The unit belongs to one region; its name and each alias must name nothing
/// else in the region — no other unit, group or alias (409 CONFLICT). An
/// unknown region or a wrong field answers 422 VALIDATION_FAILED; anyone but an
/// administrator 403 FORBIDDEN. Answers 201 with the unit and its `ETag`.
/// `Idempotency-Key` makes a retry answer the first 201 again
/// (`Idempotent-Replayed: true`) instead of creating twice; the key reused with
/// another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = UnitBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Unit, headers(("ETag" = String)))))]
async fn create_unit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UnitBody>,
) -> ApiResult<Response> {
    idempotent::create(&state, &caller, &headers, "POST /api/v1/units", &body, async |txn| {
        unit::create_unit(txn, &caller, body.input()).await
    })
    .await
}

/// A unit (单位) with its aliases.
///
/// Its region, name, kind and aliases. Anyone signed in reads it (a client
/// needs the `read` scope); an unknown id answers 404 NOT_FOUND.
/// `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = Uuid, Path, description = "The unit's id")),
    responses((status = 200, description = "The unit", body = Unit, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read_unit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = unit::get_unit(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Replace a unit (单位) and its aliases with the body given, as an administrator.
///
/// The aliases are replaced as a whole; the region cannot change (422
/// VALIDATION_FAILED). A name or alias that names another unit, group or alias
/// of the region answers 409 CONFLICT; anyone but an administrator 403
/// FORBIDDEN; an unknown id 404 NOT_FOUND. Needs `If-Match` with the `ETag`
/// read (without: 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "units", request_body = UnitBody,
    params(("id" = Uuid, Path, description = "The unit's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Replaced", body = Unit, headers(("ETag" = String)))))]
async fn replace_unit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UnitBody>,
) -> ApiResult<Response> {
    let updated = unit::update_unit(&state.db, &caller, id, version, body.input()).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a unit (单位) that no task, report, user or unit pairing refers to, as an administrator.
///
/// A unit still referred to answers 409 CONFLICT naming what refers to it and
/// how many; anyone but an administrator 403 FORBIDDEN; an unknown id 404
/// NOT_FOUND. Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/units/{id}", tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete_unit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    unit::delete_unit(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----------------------------------------------------------------- groups

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct GroupQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `name`, `-` first for descending (default `name`).
    sort: Option<String>,
    region_id: Option<Uuid>,
}

/// The unit groups (单位组: 各镇街, 区级相关部门单位) of every region or of one, by name.
///
/// Each group with its region, its rule (the unit kinds it takes), its explicit
/// members, aliases and description. A group can be assigned to a task wherever
/// a unit can; a unit of the group acts in its role. Narrow by `region_id`;
/// sort by `name` (`-name` for descending); page with `limit` and `cursor`.
/// Anyone signed in reads them (a client needs the `read` scope).
#[utoipa::path(get, path = "/api/v1/unit-groups", tag = "units", params(GroupQuery),
    responses((status = 200, description = "A page of unit groups", body = Page<UnitGroup>)))]
async fn list_groups(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> ApiResult<Json<Page<UnitGroup>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    Ok(Json(
        unit::list_groups_page(&state.db, &caller, q.region_id, q.sort.as_deref(), &page).await?,
    ))
}

/// A unit group, whole: the body of a create and of a replace. Give a
/// rule (`rule_kinds`), members (`member_ids`), or both.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    /// The region the group belongs to; it cannot change.
    region_id: Uuid,
    /// Unique in the region among units, groups and aliases.
    #[schema(example = "各镇街", pattern = r"\S")]
    name: String,
    /// Every unit of these kinds in the region belongs to the group.
    #[schema(example = json!(["street", "town", "township"]), min_items = 1)]
    rule_kinds: Option<Vec<UnitKind>>,
    /// Units of the region named explicitly.
    #[serde(default)]
    member_ids: Vec<Uuid>,
    /// Other names of the group in documents.
    #[serde(default)]
    #[schema(example = json!(["各街镇"]))]
    aliases: Vec<String>,
    #[schema(example = "渝中区所有街道")]
    description: Option<String>,
}

impl GroupBody {
    fn input(&self) -> UnitGroupInput {
        UnitGroupInput {
            region_id: self.region_id,
            name: self.name.clone(),
            rule_kinds: self.rule_kinds.clone(),
            member_ids: self.member_ids.clone(),
            aliases: self.aliases.clone(),
            description: self.description.clone(),
        }
    }
}

/// Create a unit group (单位组, e.g. 各镇街), as an administrator.
///
/// By a rule (`rule_kinds`: every unit of these kinds in the region), by
/// members (`member_ids`, units of its region), or both. Its name and aliases
/// must name nothing else in the region (else 409 CONFLICT); an unknown region
/// or unit, a member of another region, or a wrong field is 422
/// VALIDATION_FAILED; anyone but an administrator 403 FORBIDDEN. Answers 201
/// with its `ETag`. `Idempotency-Key` makes a retry answer the first 201 again
/// (`Idempotent-Replayed: true`) instead of creating twice; the key reused with
/// another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/unit-groups", tag = "units", request_body = GroupBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = UnitGroup, headers(("ETag" = String)))))]
async fn create_group(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<GroupBody>,
) -> ApiResult<Response> {
    idempotent::create(
        &state,
        &caller,
        &headers,
        "POST /api/v1/unit-groups",
        &body,
        async |txn| unit::create_group(txn, &caller, body.input()).await,
    )
    .await
}

/// A unit group (单位组).
///
/// Its region, name, rule, explicit members, aliases and description. Anyone
/// signed in reads it (a client needs the `read` scope); an unknown id answers
/// 404 NOT_FOUND. `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/unit-groups/{id}", tag = "units", params(("id" = Uuid, Path, description = "The group's id")),
    responses((status = 200, description = "The group", body = UnitGroup, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read_group(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = unit::get_group(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Replace a unit group (单位组) with the body given, as an administrator.
///
/// Checked as on creation; the region cannot change (422 VALIDATION_FAILED). A
/// name or alias that names another unit, group or alias of the region answers
/// 409 CONFLICT; anyone but an administrator 403 FORBIDDEN; an unknown id 404
/// NOT_FOUND. Needs `If-Match` with the `ETag` read (without: 428
/// PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(put, path = "/api/v1/unit-groups/{id}", tag = "units", request_body = GroupBody,
    params(("id" = Uuid, Path, description = "The group's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Replaced", body = UnitGroup, headers(("ETag" = String)))))]
async fn replace_group(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<GroupBody>,
) -> ApiResult<Response> {
    let updated = unit::update_group(&state.db, &caller, id, version, body.input()).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a unit group (单位组) that no task is assigned to, as an administrator.
///
/// A group assigned to tasks answers 409 CONFLICT saying to how many; anyone
/// but an administrator 403 FORBIDDEN; an unknown id 404 NOT_FOUND. Needs
/// `If-Match` with the `ETag` read (without: 428 PRECONDITION_REQUIRED; stale:
/// 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/unit-groups/{id}", tag = "units",
    params(("id" = Uuid, Path, description = "The group's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete_group(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    unit::delete_group(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The units a group (单位组) stands for now: its members and every unit its rule takes, by name.
///
/// Computed now, so a unit added to the region with a kind of the rule
/// belongs at once. Paged with `limit` and `cursor`. Anyone signed in reads
/// it (a client needs the `read` scope); an unknown group answers 404
/// NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/unit-groups/{id}/members", tag = "units",
    params(("id" = Uuid, Path, description = "The group's id"), ListQuery),
    responses((status = 200, description = "A page of units", body = Page<Unit>)))]
async fn group_members(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Unit>>> {
    let page = q.page()?;
    Ok(Json(unit::group_members_page(&state.db, &caller, id, &page).await?))
}
