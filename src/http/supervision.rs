//! Supervision (督查督办): `/api/v1/leaders`, the leaders (牵头领导) who each
//! watch their own list, and `/api/v1/lights`, the traffic lights of a
//! list of tasks rolled up by plan, lead unit and leader.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::conditional;
use super::extract::{ApiPath, ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::leader::{self, Leader, LeaderFilter};
use crate::domain::light::{self, LightSummary};
use crate::domain::page::{Page, PageRequest};
use crate::domain::task::TaskFilter;
use crate::domain::values::Light;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(lights))
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
    /// `name` or `created_at`, `-` first for descending (default `name`).
    sort: Option<String>,
    /// Leaders of this region.
    region_id: Option<Uuid>,
    /// A part of the name.
    q: Option<String>,
}

/// The leaders (牵头领导) the caller may see: those of its region and of
/// the regions it is paired with (everyone, for those who read everything).
#[utoipa::path(get, path = "/api/v1/leaders", tag = "supervision", params(LeaderQuery),
    responses((status = 200, description = "A page of leaders", body = Page<Leader>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<LeaderQuery>,
) -> ApiResult<Json<Page<Leader>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = LeaderFilter {
        region_id: q.region_id,
        q: q.q,
    };
    Ok(Json(
        leader::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A leader (牵头领导).
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

/// The traffic lights (督查亮灯) of the tasks the caller may see that meet
/// the filter, as of today: how many are green, yellow and red, and the
/// worst, in all and by plan, lead unit and leader (the worst first).
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
