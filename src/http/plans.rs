//! `/api/v1/plans`: plans (任务清单) of pairings and regions.

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
use crate::domain::calendar::{Calendar, Reporting};
use crate::domain::light::LightSettings;
use crate::domain::page::{Page, PageRequest};
use crate::domain::plan::{self, NewPlan, Plan, PlanChanges, PlanFilter, PlanOwner, PlanTransition};
use crate::domain::values::PlanStatus;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(issue))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(export))
        .routes(routes!(upsert))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PlanQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `title`, `year` or `created_at`, `-` first for descending (default `-year`).
    sort: Option<String>,
    pairing_id: Option<Uuid>,
    /// The region's own plans and those of the pairings it takes part in.
    region_id: Option<Uuid>,
    year: Option<i32>,
    status: Option<PlanStatus>,
}

/// The plans the caller may see.
///
/// Administrators, viewers and integration clients (`read` scope) see
/// every plan; coordinators and unit users the plans of their unit's region:
/// its own, and those of the pairings it takes part in (helper, co-helper
/// or recipient). Narrow by `pairing_id`, `region_id` (its own plans and its
/// pairings'), `year` and `status`; sort by `title`, `year` or `created_at`
/// (`-` for descending; newest year first by default); page with `limit`
/// and `cursor`.
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans", params(PlanQuery),
    responses((status = 200, description = "A page of plans", body = Page<Plan>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> ApiResult<Json<Page<Plan>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = PlanFilter {
        pairing_id: q.pairing_id,
        region_id: q.region_id,
        year: q.year,
        status: q.status,
    };
    Ok(Json(
        plan::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A new plan, of a pairing (`pairing_id`) or of one region (`region_id`).
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreatePlan {
    pairing_id: Option<Uuid>,
    region_id: Option<Uuid>,
    #[schema(example = 2025, minimum = 1990, maximum = 2100)]
    year: i32,
    #[schema(example = "渝中区·巫溪县2025年度对口协同发展任务清单")]
    title: String,
    /// 文号
    #[schema(example = "巫溪府发〔2025〕20号")]
    doc_number: Option<String>,
    /// 印发日期
    #[schema(example = "2025-06-27")]
    issued_on: Option<NaiveDate>,
    /// 印发机关
    #[serde(default)]
    #[schema(example = json!(["巫溪县人民政府", "渝中区人民政府"]), inline, value_type = Vec<crate::domain::values::NonBlank>)]
    issuers: Vec<String>,
    /// Defaults to the end of the year.
    default_deadline: Option<NaiveDate>,
    /// When its reports are due; when omitted, as the documents ask of its
    /// kind: a pairing's list the year by 11-20 (and the summary by 12-20),
    /// a region's own plan each quarter by the 10th and the year.
    calendar: Option<Calendar>,
    /// Who owes the reports; lead units only, one report per group, when omitted.
    reporting: Option<Reporting>,
    /// When tasks turn yellow; 15 days before the deadline, or 20 points
    /// behind the time elapsed, when omitted.
    lights: Option<LightSettings>,
    /// The platform's own id of it, unique per client: the key of `PUT
    /// /api/v1/plans/by-external-id/{external_id}`.
    #[schema(value_type = Option<crate::domain::external::ExternalIdText>)]
    external_id: Option<String>,
}

impl CreatePlan {
    fn input(&self) -> ApiResult<NewPlan> {
        Ok(NewPlan {
            owner: PlanOwner::required(self.pairing_id, self.region_id, ["pairing_id", "region_id"])?,
            year: self.year,
            title: self.title.clone(),
            doc_number: self.doc_number.clone(),
            issued_on: self.issued_on,
            issuers: self.issuers.clone(),
            default_deadline: self.default_deadline,
            calendar: self.calendar.clone(),
            reporting: self.reporting,
            lights: self.lights,
            external_id: self.external_id.clone(),
        })
    }
}

/// Create a plan (a draft) as a coordinator of its regions.
///
/// Of a pairing (`pairing_id`) or one region (`region_id`), exactly one, with
/// its year (1990 to 2100), title, document, default deadline (the end of its
/// year), reporting calendar and rule, and light thresholds. For coordinators
/// of the plan's regions, administrators and `write` clients (else 403
/// FORBIDDEN); a wrong field or an unknown owner is 422 VALIDATION_FAILED.
/// Answers 201 with its `ETag`. `Idempotency-Key` makes a retry answer the
/// first 201 again (`Idempotent-Replayed: true`) instead of creating twice; the
/// key reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = CreatePlan,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Plan, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreatePlan>,
) -> ApiResult<Response> {
    let input = body.input()?;
    idempotent::create(&state, &caller, &headers, "POST /api/v1/plans", &body, async |txn| {
        plan::create(txn, &caller, input).await
    })
    .await
}

/// Create or replace a plan by the platform's own id.
///
/// The caller's plan whose `external_id` is the path's (unique per client;
/// a person's external ids are the office's): none, and it is created as
/// `POST /api/v1/plans` creates one (201); one, and it is replaced as a
/// `PATCH` naming every field would change it (200), or answered as it is
/// when the body says what it holds, so a retried request leaves one plan
/// at one version. The body is `POST`'s; its `external_id`, when given,
/// must be the path's; its `year` must be the plan's. `If-Match` is
/// optional: when sent it must name the current version (412
/// VERSION_CONFLICT; also when there is no plan yet). Permissions, errors
/// and states are those of creating and of changing a plan (a closed plan
/// changes no more: 409 CONFLICT).
#[utoipa::path(put, path = "/api/v1/plans/by-external-id/{external_id}", tag = "plans", request_body = CreatePlan,
    params(("external_id" = String, Path, description = "The platform's own id of the plan"),
        ("If-Match" = Option<String>, Header, description = "The version read, as its ETag: checked when sent")),
    responses((status = 201, description = "Created", body = Plan, headers(("ETag" = String))),
        (status = 200, description = "Replaced, or as it was", body = Plan, headers(("ETag" = String)))))]
async fn upsert(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiPath(external_id): ApiPath<String>,
    ApiJson(body): ApiJson<CreatePlan>,
) -> ApiResult<Response> {
    super::upsert::answer(&state, &caller, &headers, &external_id, body.input()?).await
}

/// A plan.
///
/// The plan with its owner (a pairing, or a region for a region's own
/// plan), kind, year, document, status, default deadline, reporting
/// calendar and rule, and light thresholds, as the caller may see it:
/// administrators, viewers and integration clients see every plan,
/// coordinators and unit users those of their unit's region and its
/// pairings. A plan the caller may not see answers 404 NOT_FOUND.
/// `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = Uuid, Path, description = "The plan's id")),
    responses((status = 200, description = "The plan", body = Plan, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = plan::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Changes to a plan; absent fields stay, `null` clears.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchPlan {
    title: Option<String>,
    #[serde(default, with = "super::double_option")]
    doc_number: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    issued_on: Option<Option<NaiveDate>>,
    #[schema(inline, value_type = Option<Vec<crate::domain::values::NonBlank>>)]
    issuers: Option<Vec<String>>,
    default_deadline: Option<NaiveDate>,
    /// The whole calendar, replaced.
    calendar: Option<Calendar>,
    /// The whole rule, replaced (an absent field takes its default).
    reporting: Option<Reporting>,
    /// Both thresholds, replaced (an absent one takes its default).
    lights: Option<LightSettings>,
    /// Move the plan to this pairing: it becomes the pairing's list
    /// (`kind` `pairing`). Its tasks' units must all belong to the
    /// pairing's regions and take the side their region is on.
    pairing_id: Option<Uuid>,
    /// Move the plan to this region: it becomes the region's own plan
    /// (`kind` `region`). Its tasks' units must all be the region's.
    region_id: Option<Uuid>,
}

/// Change a plan, as its coordinator.
///
/// Absent fields stay, `null` clears; calendar, reporting rule and lights are
/// replaced whole. `pairing_id` or `region_id` moves the plan to that owner
/// (its `kind` follows) if the caller coordinates it too and every unit on its
/// tasks belongs to its regions (else 422 VALIDATION_FAILED); projects of the
/// old pairing linked to it block the move (409 CONFLICT). A closed plan cannot
/// change (409 CONFLICT). For the plan's coordinators, administrators and
/// `write` clients (others who see it: 403 FORBIDDEN; unseen: 404 NOT_FOUND).
/// Needs `If-Match` with the `ETag` read (without: 428 PRECONDITION_REQUIRED;
/// stale: 412 VERSION_CONFLICT).
#[utoipa::path(patch, path = "/api/v1/plans/{id}", tag = "plans", request_body = PatchPlan,
    params(("id" = Uuid, Path, description = "The plan's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Plan, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchPlan>,
) -> ApiResult<Response> {
    let changes = PlanChanges {
        title: body.title,
        doc_number: body.doc_number,
        issued_on: body.issued_on,
        issuers: body.issuers,
        default_deadline: body.default_deadline,
        calendar: body.calendar,
        reporting: body.reporting,
        lights: body.lights,
        owner: PlanOwner::named(body.pairing_id, body.region_id, ["pairing_id", "region_id"])?,
    };
    let updated = plan::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a plan with its tasks, as its coordinator, while no report was made on it.
///
/// A plan with reports answers 409 CONFLICT (close it instead). Only a
/// coordinator of the plan (a coordinator whose unit's region owns it or takes
/// part in its pairing), an administrator or a client with the `write` scope
/// may; another who sees the plan answers 403 FORBIDDEN, and a plan the caller
/// may not see 404 NOT_FOUND. Needs `If-Match` with the `ETag` read (without:
/// 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    plan::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn move_to(
    state: AppState,
    caller: crate::domain::Caller,
    id: Uuid,
    version: i32,
    step: PlanTransition,
) -> ApiResult<Response> {
    let moved = plan::transition(&state.db, &caller, id, version, step).await?;
    Ok(with_etag(moved.version, Json(moved)))
}

/// Issue a draft plan (印发): reports may then be made on its tasks.
///
/// Moves the plan from `draft` to `issued`; its tasks then owe reports by its
/// calendar. A plan that is not a draft answers 409 CONFLICT. Only a
/// coordinator of the plan (a coordinator whose unit's region owns it or takes
/// part in its pairing), an administrator or a client with the `write` scope
/// may; another who sees the plan answers 403 FORBIDDEN, and a plan the caller
/// may not see 404 NOT_FOUND. Needs `If-Match` with the `ETag` read (without:
/// 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT). Answers the plan
/// with its new `ETag`.
#[utoipa::path(post, path = "/api/v1/plans/{id}/issue", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Issued", body = Plan)))]
async fn issue(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<Response> {
    move_to(state, caller, id, version, PlanTransition::Issue).await
}

/// Close an issued plan (关闭): nothing in it changes any more.
///
/// Moves the plan from `issued` to `closed`; it can be reopened. A plan that is
/// not issued answers 409 CONFLICT. Only a coordinator of the plan (a
/// coordinator whose unit's region owns it or takes part in its pairing), an
/// administrator or a client with the `write` scope may; another who sees the
/// plan answers 403 FORBIDDEN, and a plan the caller may not see 404 NOT_FOUND.
/// Needs `If-Match` with the `ETag` read (without: 428 PRECONDITION_REQUIRED;
/// stale: 412 VERSION_CONFLICT). Answers the plan with its new `ETag`.
#[utoipa::path(post, path = "/api/v1/plans/{id}/close", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Closed", body = Plan)))]
async fn close(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<Response> {
    move_to(state, caller, id, version, PlanTransition::Close).await
}

/// Reopen a closed plan.
///
/// Moves the plan from `closed` back to `issued`. A plan that is not closed
/// answers 409 CONFLICT. Only a coordinator of the plan (a coordinator whose
/// unit's region owns it or takes part in its pairing), an administrator or a
/// client with the `write` scope may; another who sees the plan answers 403
/// FORBIDDEN, and a plan the caller may not see 404 NOT_FOUND. Needs `If-Match`
/// with the `ETag` read (without: 428 PRECONDITION_REQUIRED; stale: 412
/// VERSION_CONFLICT). Answers the plan with its new `ETag`.
#[utoipa::path(post, path = "/api/v1/plans/{id}/reopen", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Reopened", body = Plan)))]
async fn reopen(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<Response> {
    move_to(state, caller, id, version, PlanTransition::Reopen).await
}

/// The plan as its document lays it out, for download.
///
/// 序号, 分类, 具体任务, 完成时限, 牵头领导, lead and supporting units per
/// region — in the columns of the document it was imported from, when it
/// was — with each task's status and latest approved progress beside it;
/// its title, document number, issuers and issue date above. The import
/// reads it back. `format=xlsx` (default) or `csv` (another is 422
/// VALIDATION_FAILED), named `plan-<id>` (`Content-Disposition`). A plan
/// the caller may not see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/plans/{id}/export", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id"), super::FormatQuery),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
    ))]
async fn export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<super::FormatQuery>,
) -> ApiResult<Response> {
    use crate::documents::export::{self, Format};
    let format = Format::asked(q.format.as_deref())?;
    let bytes = export::export(&state.db, &caller, id, format).await?;
    Ok(super::download(format, &format!("plan-{id}"), bytes))
}
