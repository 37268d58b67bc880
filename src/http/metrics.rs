//! `/api/v1/metrics`: the metric catalogue (指标目录), read-only: what
//! targets and actuals can be summed across pairings (到位资金, 消费帮扶,
//! 就业培训 …), each with its unit of measure.

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
use crate::domain::metric::{self, Metric};
use crate::domain::page::{Page, PageRequest};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(read))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct MetricQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `code`, `-` first for descending (default `code`).
    sort: Option<String>,
}

/// The metric catalogue (指标目录), by code.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", params(MetricQuery),
    responses((status = 200, description = "A page of metrics", body = Page<Metric>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<MetricQuery>,
) -> ApiResult<Json<Page<Metric>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        metric::list_page(&state.db, &caller, q.sort.as_deref(), &page).await?,
    ))
}

/// A metric (指标) of the catalogue.
#[utoipa::path(get, path = "/api/v1/metrics/{id}", tag = "metrics", params(("id" = Uuid, Path, description = "The metric's id")),
    responses((status = 200, description = "The metric", body = Metric, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = metric::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}
