//! Progress reports (进展报告): `POST /api/v1/tasks/{task_id}/reports` makes
//! a draft; `/api/v1/reports/{id}/submit`, `…/approve`, `…/return` move it
//! through its review.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch, if_match_version};
use super::problem::ApiResult;
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::comment::{self, ReportComment};
use crate::domain::page::{Page, PageRequest};
use crate::domain::report::{self, NewReport, Report, ReportChanges, ReportFilter, Transition, ValueInput};
use crate::domain::values::{Amount, ReportPeriod, ReportStatus};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(read, update, delete))
        .routes(routes!(submit))
        .routes(routes!(recall))
        .routes(routes!(comments, add_comment))
        .routes(routes!(approve))
        .routes(routes!(return_report))
        .routes(routes!(upsert))
}

/// A figure reached for one target, for the year to date (年度累计).
#[derive(Deserialize, Serialize, utoipa::ToSchema, Clone)]
#[serde(deny_unknown_fields)]
struct ValueBody {
    target_id: Uuid,
    actual: Amount,
    /// The unit the actual is written in, when not its target's (亿元
    /// against a target in 万元); it must convert to the target's metric's.
    #[schema(example = "亿元")]
    unit: Option<String>,
}

fn values(bodies: &[ValueBody]) -> Vec<ValueInput> {
    bodies
        .iter()
        .map(|v| ValueInput {
            target_id: v.target_id,
            actual: v.actual,
            unit: v.unit.clone(),
        })
        .collect()
}

/// A new report: a draft for the caller's unit (an administrator or
/// coordinator names `unit_id`).
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateReport {
    period: ReportPeriod,
    /// True for the lead unit's report, which includes its supporting units' work.
    #[serde(default)]
    consolidated: bool,
    #[serde(default)]
    #[schema(example = "已帮助销售农特产品2025万元，提前完成年度目标")]
    text: String,
    #[serde(default)]
    values: Vec<ValueBody>,
    unit_id: Option<Uuid>,
    /// The platform's own id of it, unique per client: the key of `PUT
    /// /api/v1/reports/by-external-id/{external_id}`.
    #[schema(value_type = Option<crate::domain::external::ExternalIdText>)]
    external_id: Option<String>,
}

impl CreateReport {
    fn input(&self, task_id: Uuid) -> NewReport {
        NewReport {
            task_id,
            unit_id: self.unit_id,
            period: self.period,
            consolidated: self.consolidated,
            text: self.text.clone(),
            values: values(&self.values),
            external_id: self.external_id.clone(),
        }
    }
}

/// A report by the platform's own id: the body of `POST
/// /api/v1/tasks/{task_id}/reports` with its task.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PutReport {
    task_id: Uuid,
    period: ReportPeriod,
    /// True for the lead unit's report, which includes its supporting units' work.
    #[serde(default)]
    consolidated: bool,
    #[serde(default)]
    #[schema(example = "已帮助销售农特产品2025万元，提前完成年度目标")]
    text: String,
    #[serde(default)]
    values: Vec<ValueBody>,
    unit_id: Option<Uuid>,
    /// The path's, when given.
    #[schema(value_type = Option<crate::domain::external::ExternalIdText>)]
    external_id: Option<String>,
}

/// Create or replace a report by the platform's own id.
///
/// The caller's report whose `external_id` is the path's (unique per
/// client; a person's external ids are the office's): none, and it is made
/// as `POST /api/v1/tasks/{task_id}/reports` makes one, a draft (201); one,
/// and its text and figures are replaced as its `PATCH` would (200), or it
/// is answered as it is when the body says what it holds, so a retried
/// request leaves one report at one version. Its task, unit, period and
/// whether it is consolidated stay (422 VALIDATION_FAILED if the body says
/// otherwise); only a draft or returned report changes (409 CONFLICT).
/// `If-Match` is optional: when sent it must name the current version (412
/// VERSION_CONFLICT; also when there is no report yet). Permissions and
/// errors are those of making and of changing a report.
#[utoipa::path(put, path = "/api/v1/reports/by-external-id/{external_id}", tag = "reports", request_body = PutReport,
    params(("external_id" = String, Path, description = "The platform's own id of the report"),
        ("If-Match" = Option<String>, Header, description = "The version read, as its ETag: checked when sent")),
    responses((status = 201, description = "Created", body = Report, headers(("ETag" = String))),
        (status = 200, description = "Replaced, or as it was", body = Report, headers(("ETag" = String)))))]
async fn upsert(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiPath(external_id): ApiPath<String>,
    ApiJson(body): ApiJson<PutReport>,
) -> ApiResult<Response> {
    let input = NewReport {
        task_id: body.task_id,
        unit_id: body.unit_id,
        period: body.period,
        consolidated: body.consolidated,
        text: body.text,
        values: values(&body.values),
        external_id: body.external_id,
    };
    super::upsert::answer(&state, &caller, &headers, &external_id, input).await
}

/// Make a draft report on a task.
///
/// Text and, for each target, the actual reached for the year to date (年度累计),
/// in the target's unit or one converting to it, for a period (`2025-03`,
/// `2025-Q1`, `2025`). The report is for `unit_id`, by default the caller's
/// unit: a unit's users write its reports; a coordinator of the plan, an
/// administrator or a `write` client may write for any unit with a role on the
/// task. The lead unit's report is the consolidated one (`consolidated: true`).
///
/// Refused with 422 VALIDATION_FAILED (a period outside the plan's year, a unit
/// without a role, a wrong value), 409 CONFLICT (a plan not issued, or closed;
/// the unit's report for the period exists), 403 FORBIDDEN, or 404 NOT_FOUND (a
/// task the caller may not see). Answers 201 with its `ETag`. `Idempotency-Key`
/// makes a retry answer the first 201 again (`Idempotent-Replayed: true`)
/// instead of creating twice; the key reused with another body is 422
/// VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/reports", tag = "reports", request_body = CreateReport,
    params(("task_id" = Uuid, Path, description = "The task's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Report, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(task_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateReport>,
) -> ApiResult<Response> {
    let input = body.input(task_id);
    let operation = format!("POST /api/v1/tasks/{task_id}/reports");
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        report::create(txn, &caller, input).await
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `created_at`, `updated_at` or `period_end`, `-` first for descending (default `-created_at`).
    sort: Option<String>,
    task_id: Option<Uuid>,
    plan_id: Option<Uuid>,
    unit_id: Option<Uuid>,
    period: Option<ReportPeriod>,
    status: Option<ReportStatus>,
    consolidated: Option<bool>,
}

/// The reports the caller may see.
///
/// Administrators, viewers and integration clients (`read` scope) see every
/// report; a coordinator every report of the plans it coordinates; a unit
/// the reports on the tasks it works on, other units' drafts aside —
/// nothing of tasks it has no role in. Narrow by `task_id`, `plan_id`,
/// `unit_id`, `period`, `status` and `consolidated`; sort by `created_at`
/// (default newest first), `updated_at` or `period_end` (`-` for
/// descending); page with `limit` and `cursor`.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "A page of reports", body = Page<Report>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Page<Report>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = ReportFilter {
        task_id: q.task_id,
        plan_id: q.plan_id,
        unit_id: q.unit_id,
        period: q.period,
        status: q.status,
        consolidated: q.consolidated,
    };
    Ok(Json(
        report::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A report.
///
/// Its task, unit, period, whether it is consolidated, status, text, the
/// year-to-date values (as written and in the metric's unit), who submitted and
/// reviewed it and when, and why it was returned. A report the caller may not
/// see (another unit's draft, a task it has no role in) is 404 NOT_FOUND.
/// `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = Uuid, Path, description = "The report's id")),
    responses((status = 200, description = "The report", body = Report, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = report::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Changes to a draft or returned report; `values`, when given, replace the list.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchReport {
    text: Option<String>,
    values: Option<Vec<ValueBody>>,
}

/// Change a draft or returned report, as its unit.
///
/// The text, and the values (replaced as a whole when given), checked as on
/// creation (422 VALIDATION_FAILED). For its unit's users, the plan's
/// coordinators, administrators and `write` clients (others who see it: 403
/// FORBIDDEN; unseen: 404 NOT_FOUND). A submitted or approved report, or one of
/// a closed plan, is 409 CONFLICT. Needs `If-Match` with the `ETag` read
/// (without: 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(patch, path = "/api/v1/reports/{id}", tag = "reports", request_body = PatchReport,
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Report, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchReport>,
) -> ApiResult<Response> {
    let changes = ReportChanges {
        text: body.text,
        values: body.values.as_deref().map(values),
    };
    let updated = report::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a draft that was never submitted, as its unit.
///
/// For its unit's users, the plan's coordinators, administrators and `write`
/// clients (others who see it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). A report
/// that is not a draft, or one of a closed plan, is 409 CONFLICT. Needs
/// `If-Match` with the `ETag` read (without: 428 PRECONDITION_REQUIRED; stale:
/// 412 VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    report::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn step(
    state: AppState,
    caller: crate::domain::Caller,
    id: Uuid,
    version: Option<i32>,
    transition: Transition,
) -> ApiResult<Response> {
    let moved = report::transition(&state.db, &caller, id, version, transition).await?;
    Ok(with_etag(moved.version, Json(moved)))
}

/// Submit a draft or returned report (报送), as its unit.
///
/// It goes to its reviewer; who submitted it and when are recorded. For its
/// unit's users, the plan's coordinators, administrators and `write` clients
/// (others who see it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). Only a draft or
/// returned report of a plan not closed (else 409 CONFLICT), with an attachment
/// when the plan asks for evidence (佐证材料; else 409). `If-Match` is optional: a
/// stale one is 412 VERSION_CONFLICT.
#[utoipa::path(post, path = "/api/v1/reports/{id}/submit", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Submitted", body = Report)))]
async fn submit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    step(state, caller, id, if_match_version(&headers)?, Transition::Submit).await
}

/// Recall a submitted report before it is reviewed (撤回), as its unit.
///
/// It becomes a draft again, to change and submit anew. For its unit's users,
/// the plan's coordinators, administrators and `write` clients (others who see
/// it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). Only a submitted report (not yet
/// approved or returned) of a plan not closed (else 409 CONFLICT). `If-Match`
/// is optional: a stale one is 412 VERSION_CONFLICT.
#[utoipa::path(post, path = "/api/v1/reports/{id}/recall", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Recalled: a draft again", body = Report)))]
async fn recall(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    step(state, caller, id, if_match_version(&headers)?, Transition::Recall).await
}

/// Approve a submitted report (审核通过); it is then frozen.
///
/// Reviewers: the task's lead unit for a supporting unit's report (the plan's
/// coordinators when its supporting units report to the office); the plan's
/// coordinators, never a client, for a consolidated one; administrators for
/// both (others who see it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). Only a
/// submitted report of a plan not closed (else 409 CONFLICT). The reviewer and
/// time are recorded, the unit's users notified; a task's figure for a period
/// is its latest approved consolidated report. `If-Match` is optional: a stale
/// one is 412 VERSION_CONFLICT.
#[utoipa::path(post, path = "/api/v1/reports/{id}/approve", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Approved", body = Report)))]
async fn approve(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    step(state, caller, id, if_match_version(&headers)?, Transition::Approve).await
}

/// Why a report goes back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnBody {
    #[schema(example = "请补充到位资金凭证")]
    reason: String,
}

/// Return a submitted report to its unit (退回) with a reason.
///
/// The unit may change it and submit it again; its users are notified with the
/// reason (required, at most 2000 characters, else 422 VALIDATION_FAILED).
/// Reviewers: the task's lead unit for a supporting unit's report (the plan's
/// coordinators when its supporting units report to the office); the plan's
/// coordinators, never a client, for a consolidated one; administrators for
/// both (others who see it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). Only a
/// submitted report of a plan not closed (else 409 CONFLICT). `If-Match` is
/// optional: a stale one is 412 VERSION_CONFLICT.
#[utoipa::path(post, path = "/api/v1/reports/{id}/return", tag = "reports", request_body = ReturnBody,
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Returned", body = Report)))]
async fn return_report(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReturnBody>,
) -> ApiResult<Response> {
    step(
        state,
        caller,
        id,
        if_match_version(&headers)?,
        Transition::Return { reason: body.reason },
    )
    .await
}

/// The thread of comments on a report (退回 and its answers), oldest first.
///
/// Each comment with its author's name and unit and its time. Anyone who
/// may read the report reads its thread; a report the caller may not see
/// (another unit's draft, a task it has no role in) answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/reports/{id}/comments", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id")),
    responses((status = 200, description = "The comments, oldest first", body = Vec<ReportComment>)))]
async fn comments(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ReportComment>>> {
    Ok(Json(comment::list(&state.db, &caller, id).await?))
}

/// A comment on a report.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    /// At most 2000 characters.
    #[schema(example = "已补充到位资金凭证，请再审")]
    body: String,
}

/// Comment on a submitted, returned or approved report, as its unit or its reviewer.
///
/// Whoever may write the report (its unit's users, the plan's coordinators,
/// administrators, `write` clients) or review it may comment (others who see
/// it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). A draft has no reviewer yet (409
/// CONFLICT); the body is 1 to 2000 characters (else 422 VALIDATION_FAILED).
/// Answers 201 with the comment. `Idempotency-Key` makes a retry answer the
/// first 201 again (`Idempotent-Replayed: true`) instead of creating twice; the
/// key reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/reports/{id}/comments", tag = "reports", request_body = CommentBody,
    params(("id" = Uuid, Path, description = "The report's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Added", body = ReportComment)))]
async fn add_comment(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    let operation = format!("POST /api/v1/reports/{id}/comments");
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        comment::add(txn, &caller, id, &body.body).await
    })
    .await
}
