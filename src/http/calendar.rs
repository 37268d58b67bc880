//! `/api/v1/calendar`: which reports are due, submitted and late, by the
//! plans' rhythm; and `/api/v1/tasks/{id}/progress`, `/api/v1/plans/{id}/progress`:
//! how far tasks and their targets have got.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiPath, ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::DomainError;
use crate::domain::calendar::{self, CalendarFilter, CalendarPage, LateReport};
use crate::domain::progress::{self, PlanProgress, TaskProgress};
use crate::domain::values::{ObligationStatus, PeriodKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(obligations))
        .routes(routes!(late))
        .routes(routes!(late_export))
        .routes(routes!(task_progress))
        .routes(routes!(plan_progress))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CalendarQuery {
    /// The day to look from (China's calendar); today when omitted.
    on: Option<NaiveDate>,
    /// Only what this unit owes (directly or through its groups).
    unit_id: Option<Uuid>,
    plan_id: Option<Uuid>,
    /// The plans' year; the year of `on` and the one before when omitted.
    year: Option<i32>,
    /// Only reports owed that stand so.
    status: Option<ObligationStatus>,
    /// Only months (月调度), quarters (季通报) or years (年评估考核).
    kind: Option<PeriodKind>,
    /// Page size, 1 to 1000 (100 when omitted).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    /// Where the page starts (`next_offset` of the page before).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// The reporting calendar (报送日历): the reports owed as of a day.
///
/// Over the tasks the caller may see, of issued and closed plans (cancelled
/// tasks owe nothing): each unit's report for each month, quarter and year of
/// its plan's rhythm, open, submitted, submitted late or late, with counts of
/// all, in order of due day. Lead units always owe the consolidated report,
/// supporting units when the plan's rule says. `year` defaults to that of `on`
/// and the one before; page with `limit` (1 to 1000) and `offset`. An `on`
/// outside 2000 to 2100 or a `limit` out of range is 422 VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(CalendarQuery),
    responses((status = 200, description = "The reports owed", body = CalendarPage)))]
async fn obligations(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<CalendarPage>> {
    let filter = CalendarFilter {
        on: q.on,
        unit_id: q.unit_id,
        plan_id: q.plan_id,
        year: q.year,
        status: q.status,
        kind: q.kind,
        ..Default::default()
    };
    // Signed as the document's int64 says, so that no offset past it is taken.
    let offset = u64::try_from(q.offset.unwrap_or(0)).map_err(|_| DomainError::invalid("offset", "0 or more"))?;
    let page = calendar::obligations(&state.db, &caller, filter, q.limit.unwrap_or(100), offset).await?;
    Ok(Json(page))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LateQuery {
    /// The day to look from (China's calendar); today when omitted.
    on: Option<NaiveDate>,
    plan_id: Option<Uuid>,
    /// The plans of this pairing.
    pairing_id: Option<Uuid>,
    /// The plans of this region: its own and its pairings'.
    region_id: Option<Uuid>,
    /// The plans' year; the year of `on` and the one before when omitted.
    year: Option<i32>,
    /// Only months (月调度), quarters (季通报) or years (年评估考核).
    kind: Option<PeriodKind>,
}

/// Late units (逾期未报): the units with reports past their due day.
///
/// Across the plans the caller sees (a coordinator: the plans it
/// coordinates), as of `on` (today by default): the most late first (then
/// the oldest, by name, by district), each
/// unit (or group that owes as one) with its district, its count of late
/// reports and its oldest late reports (twenty at most; the count is
/// whole). Narrow by `plan_id`, `pairing_id`, `region_id` (its own plans and
/// its pairings'), `year` and `kind`. An `on` outside 2000 to 2100 answers
/// 422 VALIDATION_FAILED; a client without the `read` scope 403 FORBIDDEN.
#[utoipa::path(get, path = "/api/v1/calendar/late", tag = "calendar", params(LateQuery),
    responses((status = 200, description = "The late units", body = LateReport)))]
async fn late(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<LateQuery>,
) -> ApiResult<Json<LateReport>> {
    Ok(Json(calendar::late_units(&state.db, &caller, q.filter()).await?))
}

impl LateQuery {
    fn filter(&self) -> CalendarFilter {
        CalendarFilter {
            on: self.on,
            plan_id: self.plan_id,
            pairing_id: self.pairing_id,
            region_id: self.region_id,
            year: self.year,
            kind: self.kind,
            ..Default::default()
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LateExportQuery {
    /// The day to look from (China's calendar); today when omitted.
    on: Option<NaiveDate>,
    plan_id: Option<Uuid>,
    /// The plans of this pairing.
    pairing_id: Option<Uuid>,
    /// The plans of this region: its own and its pairings'.
    region_id: Option<Uuid>,
    /// The plans' year; the year of `on` and the one before when omitted.
    year: Option<i32>,
    /// Only months (月调度), quarters (季通报) or years (年评估考核).
    kind: Option<PeriodKind>,
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// The late list (逾期未报单位清单) as a document.
///
/// The late units of `GET /api/v1/calendar/late`, with the same filters, as
/// an office circulates them: a row per late report (a unit's oldest twenty
/// at most), each unit's number, name, district and count merged over its
/// rows, the most late first; its title and the day above. `format=xlsx`
/// (default) or `csv` (another is 422 VALIDATION_FAILED), named
/// `late-<day>` (`Content-Disposition`). Output only: no import reads it
/// back.
#[utoipa::path(get, path = "/api/v1/calendar/late/export", tag = "calendar", params(LateExportQuery),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
    ))]
async fn late_export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<LateExportQuery>,
) -> ApiResult<Response> {
    use crate::documents::export::{Format, to_file};
    let format = Format::asked(q.format.as_deref())?;
    let query = LateQuery {
        on: q.on,
        plan_id: q.plan_id,
        pairing_id: q.pairing_id,
        region_id: q.region_id,
        year: q.year,
        kind: q.kind,
    };
    let sheet = crate::documents::late::sheet(&state.db, &caller, query.filter()).await?;
    let stem = format!("late-{}", q.on.unwrap_or_else(|| caller.today()));
    Ok(super::download(format, &stem, to_file(&sheet, format)?))
}

/// A task's progress (进度).
///
/// Each target's approved year-to-date actual (from the task's latest
/// approved consolidated report) against the target as its comparator
/// reads, with its percent and whether it is met; and the task's percent
/// from its targets (each capped at 100), or from its lead unit's
/// declaration where it has none, and whether it is overdue. Only approved
/// figures count. A task the caller may not see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/progress", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id")),
    responses((status = 200, description = "The task's progress", body = TaskProgress)))]
async fn task_progress(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<TaskProgress>> {
    Ok(Json(progress::of_task_id(&state.db, &caller, id).await?))
}

/// The progress of every task of a plan, and the plan's mean.
///
/// Each task of the plan in document order, with its progress as
/// `GET /api/v1/tasks/{id}/progress` answers it, and the mean of the tasks'
/// percents (those that have one). Whoever may see the plan may ask; a
/// plan the caller may not see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/plans/{id}/progress", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id")),
    responses((status = 200, description = "The plan's progress", body = PlanProgress)))]
async fn plan_progress(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<PlanProgress>> {
    Ok(Json(progress::of_plan(&state.db, &caller, id).await?))
}
