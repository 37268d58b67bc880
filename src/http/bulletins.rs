//! `GET /api/v1/bulletins`: the bulletin (季通报) of a period, the city's, a
//! region's or a pairing's, as a workbook with its charts, or its figures
//! table as CSV.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::documents::export::Format;
use crate::domain::bulletin::{self, BulletinRequest};
use crate::domain::values::ReportPeriod;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulletin_of))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct BulletinQuery {
    /// `2025-Q4`, `2025-H1`, `2025-03` or `2025`: figures as they stood at its end.
    period: ReportPeriod,
    /// A region's bulletin: its own plans and its pairings'.
    region_id: Option<Uuid>,
    /// A pairing's bulletin.
    pairing_id: Option<Uuid>,
    /// The day late reports are judged on; today when omitted.
    on: Option<NaiveDate>,
    /// `xlsx` (default: the workbook with its charts) or `csv` (the figures table).
    format: Option<String>,
}

/// The bulletin (季通报) of a period, as a download.
///
/// Over the pairings' task lists (对口协同): figures per metric and pairing as they
/// stood at the period's end (targets, approved actuals, share reached), task
/// progress per pairing, late units (as of `on`, today by default), tasks lit
/// red or yellow, and charts — for the city, a region (`region_id`) or a
/// pairing (`pairing_id`), not both. `format=xlsx` (default) answers the
/// workbook with its charts, `csv` its figures table.
///
/// Administrators, viewers and clients read any extent; a coordinator its
/// region's (the default) and its region's pairings', anything else 403
/// FORBIDDEN; unit users issue no bulletins (403). Unknown ids, or another
/// format, are 422 VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/bulletins", tag = "statistics", params(BulletinQuery),
    responses(
        (status = 200, description = "The bulletin", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
    ))]
async fn bulletin_of(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<BulletinQuery>,
) -> ApiResult<Response> {
    let format = Format::asked(q.format.as_deref())?;
    let request = BulletinRequest {
        period: q.period,
        region_id: q.region_id,
        pairing_id: q.pairing_id,
        on: q.on,
    };
    let found = bulletin::gather(&state.db, &caller, request).await?;
    let bytes = match format {
        Format::Csv => crate::documents::bulletin::figures_csv(&found)?,
        Format::Xlsx => crate::documents::bulletin::workbook(&state.db, &found).await?,
    };
    Ok(super::download(format, &format!("bulletin-{}", q.period), bytes))
}
