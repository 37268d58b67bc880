//! `/api/v1/statistics`: what is done, what is late, and what the figures
//! add up to, over what the caller may see.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::statistics::{self, Series, Statistics, StatisticsFilter};
use crate::domain::values::{Cluster, ReportPeriod, StatisticsScope};
use chrono::NaiveDate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read)).routes(routes!(series))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatisticsQuery {
    /// The plans' year.
    year: Option<i32>,
    /// 一区两群: `main_metro`, `northeast`, `southeast` (of the plan's region, or a pairing's recipient).
    cluster: Option<Cluster>,
    pairing_id: Option<Uuid>,
    plan_id: Option<Uuid>,
    /// 协同发展事项 / 重点领域, exactly.
    category: Option<String>,
    /// A metric code: only its targets and actuals (`investment_funds`).
    metric: Option<String>,
    /// `pairing` (the default): pairings' task lists only; `all`: also
    /// regions' own plans (a district's work-report breakdown).
    scope: Option<StatisticsScope>,
    /// A region on either side of a pairing, or whose own plan it is.
    region_id: Option<Uuid>,
    /// Figures as they stood at the end of this month, quarter, half-year
    /// or year (`2025-H1`): for each task and lead unit, the latest approved
    /// report whose period ends by then, within that year.
    period: Option<ReportPeriod>,
    /// A day in China (`2025-06-30`): only reports approved by its end
    /// count; tasks are completed or overdue as they were then.
    as_of: Option<NaiveDate>,
    /// How many overdue tasks to list, 50 unless given.
    #[param(minimum = 1, maximum = 200)]
    overdue_limit: Option<u64>,
    /// Tasks this leader (牵头领导) leads.
    leader_id: Option<Uuid>,
}

/// Statistics (统计) over the tasks the caller may see.
///
/// Task counts by status, completion and on-time rates, the overdue list (逾期,
/// `overdue_limit` long, 50 by default), and per metric the sums of targets and
/// of the approved year-to-date actuals (only approved values count) — in total
/// and per pairing. Pairings' task lists only, unless `scope=all`; `period`
/// gives the figures at its end, `as_of` on a day. A `period` outside `year`,
/// an unknown metric or an `overdue_limit` outside 1 to 200 is 422
/// VALIDATION_FAILED; a client without `read` 403 FORBIDDEN.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics", params(StatisticsQuery),
    responses((status = 200, description = "The statistics", body = Statistics)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> ApiResult<Json<Statistics>> {
    Ok(Json(statistics::compute(&state.db, &caller, q.filter()).await?))
}

impl StatisticsQuery {
    fn filter(self) -> StatisticsFilter {
        StatisticsFilter {
            scope: self.scope,
            region_id: self.region_id,
            period: self.period,
            as_of: self.as_of,
            overdue_limit: self.overdue_limit,
            year: self.year,
            cluster: self.cluster,
            pairing_id: self.pairing_id,
            plan_id: self.plan_id,
            category: self.category,
            metric: self.metric,
            leader_id: self.leader_id,
        }
    }
}

/// A metric's series for a chart (`metric` and `year` required).
///
/// For each month of the year, the cumulative approved actual at its end by the
/// reports' periods — for each task and lead unit, its latest approved
/// consolidated report whose period ends by then — in the metric's unit; always
/// twelve points, over the tasks the caller may see. It takes the statistics'
/// filters but `period`. No `metric` or `year`, a `period`, an unknown metric
/// or one that does not add up (a share, a rate) is 422 VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/statistics/series", tag = "statistics", params(StatisticsQuery),
    responses((status = 200, description = "Twelve monthly points", body = Series)))]
async fn series(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> ApiResult<Json<Series>> {
    Ok(Json(statistics::series(&state.db, &caller, q.filter()).await?))
}
