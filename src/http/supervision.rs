//! Supervision (督查督办): `/api/v1/leaders`, the leaders (牵头领导) who each
//! watch their own list; `/api/v1/lights`, the traffic lights of a list of
//! tasks rolled up by plan, lead unit and leader; `/api/v1/notifications`,
//! each user's inbox; urgings (催办) and requests for more time (延期申请)
//! on a task.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated};
use super::problem::ApiResult;
use super::{conditional, idempotent};
use crate::AppState;
use crate::domain::extension::{self, Decision, Extension};
use crate::domain::leader::{self, Leader, LeaderFilter};
use crate::domain::light::{self, LightSummary};
use crate::domain::notification::{self, Notification};
use crate::domain::page::{Page, PageRequest};
use crate::domain::task::TaskFilter;
use crate::domain::urging::{self, NewUrging, Urging};
use crate::domain::values::Light;
use crate::domain::values::ReportPeriod;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(lights))
        .routes(routes!(notifications))
        .routes(routes!(read_notification))
        .routes(routes!(read_all_notifications))
        .routes(routes!(urgings, urge))
        .routes(routes!(extensions, request_extension))
        .routes(routes!(read_extension))
        .routes(routes!(approve_extension))
        .routes(routes!(refuse_extension))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LeaderQuery {
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
    /// Leaders of this region.
    region_id: Option<Uuid>,
    /// A part of the name.
    q: Option<String>,
}

/// The leaders (牵头领导) the caller may see.
///
/// Those of its region and of the regions it is paired with (everyone, for
/// administrators, viewers and integration clients), each with name, title
/// and region: a pairing's list is led by the helping district's leaders.
/// Narrow by `region_id` and `q` (part of the name); sort by `name`
/// (default) or `created_at` (`-` for descending); page with `limit` and
/// `cursor`. Pass a leader's id as `leader_id` to the task list, the lights
/// or the statistics to watch his or her own list.
#[utoipa::path(get, path = "/api/v1/leaders", tag = "supervision", params(LeaderQuery),
    responses((status = 200, description = "A page of leaders", body = Page<Leader>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<LeaderQuery>,
) -> ApiResult<Json<Page<Leader>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = LeaderFilter {
        region_id: q.region_id,
        q: q.q,
    };
    Ok(Json(
        leader::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A leader (牵头领导).
///
/// Name, title and the region the leader serves. A leader the caller may not
/// see (of a region it neither belongs to nor is paired with) answers 404
/// NOT_FOUND. `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/leaders/{id}", tag = "supervision", params(("id" = Uuid, Path, description = "The leader's id")),
    responses((status = 200, description = "The leader", body = Leader, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = leader::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LightsQuery {
    plan_id: Option<Uuid>,
    pairing_id: Option<Uuid>,
    /// Tasks of the plans of this region: its own and its pairings'.
    region_id: Option<Uuid>,
    /// The plan's year.
    year: Option<i32>,
    /// Tasks this unit works on, directly or through a group (各镇街).
    unit_id: Option<Uuid>,
    /// Tasks this leader (牵头领导) leads.
    leader_id: Option<Uuid>,
    /// Only tasks of this colour.
    light: Option<Light>,
}

/// The traffic lights (督查亮灯) of the tasks the caller may see.
///
/// Over the tasks that meet the filter, as of today: how many are green,
/// yellow and red, and the worst, in all and by plan, lead unit and leader
/// (the worst first). A task is red when it is overdue or a report it owes
/// is late; yellow when its deadline is within the plan's days and it is
/// not complete, or its progress trails the elapsed time by more than the
/// plan's points; green otherwise (a cancelled task too). Narrow by
/// `plan_id`, `pairing_id`, `region_id`, `year`, `unit_id`, `leader_id` and
/// `light`.
#[utoipa::path(get, path = "/api/v1/lights", tag = "supervision", params(LightsQuery),
    responses((status = 200, description = "The lights, in all and rolled up", body = LightSummary)))]
async fn lights(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<LightsQuery>,
) -> ApiResult<Json<LightSummary>> {
    let filter = TaskFilter {
        plan_id: q.plan_id,
        pairing_id: q.pairing_id,
        region_id: q.region_id,
        year: q.year,
        unit_id: q.unit_id,
        leader_id: q.leader_id,
        light: q.light,
        ..TaskFilter::default()
    };
    Ok(Json(light::summary(&state.db, &caller, &filter).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NotificationQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `true`: only those not yet marked read.
    unread: Option<bool>,
}

/// The caller's notifications (站内通知), newest first.
///
/// Reports due soon and late, returned and approved, urgings, requests for
/// more time and their decisions. `unread=true` lists only those not yet
/// marked read, and its `total_count` is the unread count; page with
/// `limit` and `cursor`. Only users have an inbox: an integration client
/// answers 403 FORBIDDEN (it follows the change feed).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "supervision", params(NotificationQuery),
    responses((status = 200, description = "A page of notifications; `total_count` with `unread=true` is the unread count", body = Page<Notification>)))]
async fn notifications(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<Page<Notification>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    Ok(Json(
        notification::list(&state.db, &caller, q.unread.unwrap_or(false), &page).await?,
    ))
}

/// Marks one of the caller's notifications read (reading it again changes nothing).
///
/// Answers the notification with the time it was first read. Another
/// user's notification, or an unknown id, answers 404 NOT_FOUND; an
/// integration client, which has no inbox, 403 FORBIDDEN.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "supervision",
    params(("id" = Uuid, Path, description = "The notification's id")),
    responses((status = 200, description = "The notification, read", body = Notification)))]
async fn read_notification(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Notification>> {
    Ok(Json(notification::mark_read(&state.db, &caller, id).await?))
}

/// How many notifications were marked read.
#[derive(Serialize, utoipa::ToSchema)]
struct MarkedRead {
    marked: u64,
}

/// Marks every unread notification of the caller read.
///
/// Answers how many were marked (0 when none was unread). Only users have
/// an inbox: an integration client answers 403 FORBIDDEN.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "supervision",
    responses((status = 200, description = "How many were marked", body = MarkedRead)))]
async fn read_all_notifications(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<MarkedRead>> {
    Ok(Json(MarkedRead {
        marked: notification::mark_all_read(&state.db, &caller).await?,
    }))
}

/// The urgings (催办) of a task, newest first.
///
/// Each with the unit urged, the owed report's period when one was named,
/// the message, and who urged and when. Whoever may see the task reads
/// them. A task the caller may not see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/urgings", tag = "supervision",
    params(("id" = Uuid, Path, description = "The task's id")),
    responses((status = 200, description = "The urgings, newest first", body = Vec<Urging>)))]
async fn urgings(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Urging>>> {
    Ok(Json(urging::list(&state.db, &caller, id).await?))
}

/// An urging: whom, what, and perhaps which owed report.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UrgingBody {
    /// A unit working on the task.
    unit_id: Uuid,
    /// At most 2000 characters.
    #[schema(example = "请于11月20日前报送年度进展报告")]
    message: String,
    /// The owed report's period: `2025-03`, `2025-Q3`, `2025-H2`, `2025`.
    period: Option<ReportPeriod>,
}

/// Urges a unit on a task (催办), as a coordinator of its plan; the unit's users are notified.
///
/// For the plan's coordinators and administrators, as persons (clients and
/// others who see the task: 403 FORBIDDEN; unseen: 404 NOT_FOUND). The unit
/// must work on the task, the period be one it owes a report for, the message 1
/// to 2000 characters (else 422 VALIDATION_FAILED); a plan not issued, or
/// closed, is 409 CONFLICT. Answers 201 with the urging. `Idempotency-Key`
/// makes a retry answer the first 201 again (`Idempotent-Replayed: true`)
/// instead of creating twice; the key reused with another body is 422
/// VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/urgings", tag = "supervision", request_body = UrgingBody,
    params(("id" = Uuid, Path, description = "The task's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Urged", body = Urging)))]
async fn urge(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UrgingBody>,
) -> ApiResult<Response> {
    let operation = format!("POST /api/v1/tasks/{id}/urgings");
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        let input = NewUrging {
            unit_id: body.unit_id,
            message: body.message.clone(),
            period: body.period,
        };
        urging::urge(txn, &caller, id, input).await
    })
    .await
}

/// The requests for more time (延期申请) on a task, newest first.
///
/// The approved ones are the history of its deadline: each request keeps the
/// deadline before it, the one asked for, the reason, its status (pending,
/// approved, refused), and who asked and decided, when and why. Whoever may see
/// the task reads them. A task the caller may not see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/extensions", tag = "supervision",
    params(("id" = Uuid, Path, description = "The task's id")),
    responses((status = 200, description = "The requests, newest first", body = Vec<Extension>)))]
async fn extensions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Extension>>> {
    Ok(Json(extension::list(&state.db, &caller, id).await?))
}

/// A request for more time.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ExtensionBody {
    /// The deadline asked for: a day after today, later than the task's.
    deadline: NaiveDate,
    /// At most 2000 characters.
    #[schema(example = "因征地手续调整，项目开工推迟")]
    reason: String,
}

/// Asks for a later deadline on a task (延期申请), as its lead unit; the plan's coordinators are notified.
///
/// For the users of the task's lead unit (others who see the task: 403
/// FORBIDDEN; unseen: 404 NOT_FOUND). The deadline is a day after today, later
/// than the task's, at most five years past the plan's year; the reason 1 to
/// 2000 characters (else 422 VALIDATION_FAILED). A plan not issued or closed, a
/// completed or cancelled task, or a request already pending is 409 CONFLICT.
/// Answers 201 with the pending request. `Idempotency-Key` makes a retry answer
/// the first 201 again (`Idempotent-Replayed: true`) instead of creating twice;
/// the key reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/extensions", tag = "supervision", request_body = ExtensionBody,
    params(("id" = Uuid, Path, description = "The task's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Asked", body = Extension)))]
async fn request_extension(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> ApiResult<Response> {
    let operation = format!("POST /api/v1/tasks/{id}/extensions");
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        extension::request(txn, &caller, id, body.deadline, &body.reason).await
    })
    .await
}

/// A request for more time (延期申请).
///
/// Its task, unit, the deadline before and the one asked for, the reason,
/// its status and decision. Whoever may see the task reads it; a request on
/// a task the caller may not see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/extensions/{id}", tag = "supervision",
    params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, description = "The request", body = Extension)))]
async fn read_extension(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Extension>> {
    Ok(Json(extension::get(&state.db, &caller, id).await?))
}

/// Why a request was approved (optional) or refused (required).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// At most 2000 characters.
    #[schema(example = "同意延期，请加快推进")]
    reason: Option<String>,
}

/// Approves a pending request for more time, as a coordinator of the plan.
///
/// The task's deadline moves (the old one is kept on the request, and the
/// task's version moves on); the unit's users are notified. The body, with an
/// optional reason (at most 2000 characters), may be left out. Only a
/// coordinator of the request's plan or an administrator may, as a person:
/// integration clients and anyone else who sees the task answer 403 FORBIDDEN.
/// A request already decided, or a plan not issued or closed, answers 409
/// CONFLICT; a request the caller may not see 404 NOT_FOUND.
#[utoipa::path(post, path = "/api/v1/extensions/{id}/approve", tag = "supervision", request_body(content = Option<DecisionBody>),
    params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, description = "Approved", body = Extension)))]
async fn approve_extension(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    body: Option<ApiJson<DecisionBody>>,
) -> ApiResult<Json<Extension>> {
    let reason = body.and_then(|ApiJson(b)| b.reason);
    Ok(Json(
        extension::decide(&state.db, &caller, id, Decision::Approve { reason }).await?,
    ))
}

/// Refuses a pending request for more time with a reason, as a coordinator of the plan.
///
/// The deadline stays; the unit's users are notified. The reason is required, 1
/// to 2000 characters (else 422 VALIDATION_FAILED). Only a coordinator of the
/// request's plan or an administrator may, as a person: integration clients and
/// anyone else who sees the task answer 403 FORBIDDEN. A request already
/// decided, or a plan not issued or closed, answers 409 CONFLICT; a request the
/// caller may not see 404 NOT_FOUND.
#[utoipa::path(post, path = "/api/v1/extensions/{id}/refuse", tag = "supervision", request_body = DecisionBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, description = "Refused", body = Extension)))]
async fn refuse_extension(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<Extension>> {
    // An absent reason is an empty one: the domain refuses it, naming `reason`.
    let reason = body.reason.unwrap_or_default();
    Ok(Json(
        extension::decide(&state.db, &caller, id, Decision::Refuse { reason }).await?,
    ))
}
