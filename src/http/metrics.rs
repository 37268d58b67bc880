//! `/api/v1/metrics`: the metric catalogue (指标目录): what targets and
//! actuals can be summed across pairings (到位资金, 消费帮扶, 就业培训 …),
//! each with its unit of measure, how it aggregates and the words that name
//! it; kept by administrators.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use super::problem::ApiResult;
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::metric::{self, Metric, MetricChanges, NewMetric};
use crate::domain::page::{Page, PageRequest};
use crate::domain::values::Aggregation;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update))
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
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `code`, `-` first for descending (default `code`).
    sort: Option<String>,
}

/// The metric catalogue (指标目录), by code.
///
/// What targets and actuals can be summed across pairings (到位资金, 消费帮扶,
/// 就业培训 …), each with its unit of measure, how it aggregates (`sum`, or
/// `none` for percentages and growth rates) and the words that name it in
/// a task's text. Sorted by `code` (`-code` for descending), paged with
/// `limit` and `cursor`. Anyone signed in reads it (a client needs the
/// `read` scope).
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", params(MetricQuery),
    responses((status = 200, description = "A page of metrics", body = Page<Metric>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<MetricQuery>,
) -> ApiResult<Json<Page<Metric>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    Ok(Json(
        metric::list_page(&state.db, &caller, q.sort.as_deref(), &page).await?,
    ))
}

/// A metric (指标) of the catalogue.
///
/// Its code, name, unit of measure, aggregation, synonyms and description.
/// Anyone signed in reads it (a client needs the `read` scope); an unknown id
/// answers 404 NOT_FOUND. `If-None-Match` with the current `ETag` answers 304.
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

/// A new metric of the catalogue.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateMetric {
    /// Stable, unique: lower-case letters, digits and `_`.
    #[schema(example = "villages_paired", pattern = r"^[a-z][a-z0-9_]{1,63}$")]
    code: String,
    #[schema(example = "结对村", pattern = r"\S")]
    name: String,
    // A unit of the catalogue of units (元, 万元, 亿元, 人, 名, 人次, 亩, 个,
    // 家, 对 …), as UnitName's enumeration says.
    #[schema(inline, value_type = crate::domain::units::UnitName)]
    unit_of_measure: String,
    /// `sum` (the default) or `none` (percentages, growth rates: never added up; required for %).
    aggregation: Option<Aggregation>,
    /// The words that name it in a task's text, for the target extractor (the longest found wins).
    #[serde(default)]
    #[schema(example = json!(["结对村", "村村结对"]), max_items = 30, inline, value_type = Vec<crate::domain::metric::Synonym>)]
    synonyms: Vec<String>,
    description: Option<String>,
}

/// Changes to a metric: the fields given are replaced.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchMetric {
    #[schema(pattern = r"^[a-z][a-z0-9_]{1,63}$")]
    code: Option<String>,
    #[schema(pattern = r"\S")]
    name: Option<String>,
    /// A unit of the same dimension while targets use the metric (万元 to
    /// 亿元: every stored figure is converted); any unit of the catalogue
    /// otherwise.
    #[schema(inline, value_type = Option<crate::domain::units::UnitName>)]
    unit_of_measure: Option<String>,
    aggregation: Option<Aggregation>,
    #[schema(max_items = 30, inline, value_type = Option<Vec<crate::domain::metric::Synonym>>)]
    synonyms: Option<Vec<String>>,
    description: Option<String>,
}

/// Add a metric to the catalogue (指标目录), as an administrator.
///
/// The code is 2 to 64 lower-case letters, digits and `_`, starting with a
/// letter; the unit one of the catalogue of units; a metric in % must have
/// `aggregation: none`; at most 30 synonyms of 1 to 20 characters each. A wrong
/// field answers 422 VALIDATION_FAILED, a code already used 409 CONFLICT,
/// anyone but an administrator 403 FORBIDDEN. Answers 201 with the metric and
/// its `ETag`. `Idempotency-Key` makes a retry answer the first 201 again
/// (`Idempotent-Replayed: true`) instead of creating twice; the key reused with
/// another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/metrics", tag = "metrics", request_body = CreateMetric,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Metric, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateMetric>,
) -> ApiResult<Response> {
    let input = NewMetric {
        code: body.code.clone(),
        name: body.name.clone(),
        unit_of_measure: body.unit_of_measure.clone(),
        aggregation: body.aggregation,
        synonyms: body.synonyms.clone(),
        description: body.description.clone(),
    };
    idempotent::create(&state, &caller, &headers, "POST /api/v1/metrics", &body, async |txn| {
        metric::create(txn, &caller, input).await
    })
    .await
}

/// Change a metric of the catalogue, as an administrator.
///
/// Audited and versioned: the fields given are replaced and checked as on
/// creation. A metric that targets use keeps its unit's dimension (another
/// dimension: 409 CONFLICT); a new unit of the same dimension (万元 to 亿元)
/// converts every stored target and actual of the metric to it. A code already
/// used answers 409 CONFLICT, a wrong field 422 VALIDATION_FAILED, anyone but
/// an administrator 403 FORBIDDEN. Needs `If-Match` with the `ETag` read
/// (without: 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(patch, path = "/api/v1/metrics/{id}", tag = "metrics", request_body = PatchMetric,
    params(("id" = Uuid, Path, description = "The metric's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Metric, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchMetric>,
) -> ApiResult<Response> {
    let changes = MetricChanges {
        code: body.code,
        name: body.name,
        unit_of_measure: body.unit_of_measure,
        aggregation: body.aggregation,
        synonyms: body.synonyms,
        description: body.description,
    };
    let updated = metric::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}
