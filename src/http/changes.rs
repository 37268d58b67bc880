//! `/api/v1/changes`: the change feed, to follow from a cursor.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::feed::{self, FeedPage};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(changes))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ChangesQuery {
    /// `next_cursor` of the previous read; from the oldest change kept
    /// when omitted.
    #[param(pattern = "^[0-9]{1,18}$")]
    after: Option<String>,
    /// How many changes at most, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// The change feed (变更流).
///
/// Every create, update and delete of what the caller may see, oldest first,
/// each with the resource as it read at that version. Follow it with
/// `after=next_cursor`: no change is skipped, also when writers commit out of
/// order, and the changes of one resource come in the order they were made.
/// Changes are kept 90 days (`XIETONG_CHANGES_RETENTION_DAYS`); an older cursor
/// answers 410 CURSOR_EXPIRED: read the resources again, then follow the feed
/// from its newest cursor.
///
/// Administrators see every change; viewers and clients (`read` scope) all but
/// accounts; a coordinator what concerns its region (reports included) and its
/// unit; a unit user what concerns its region but reports, and its unit's
/// reports. An `after` this feed never gave, or a `limit` outside 1 to 500, is
/// 422 VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(ChangesQuery),
    responses((status = 200, description = "The changes after the cursor", body = FeedPage)))]
async fn changes(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> ApiResult<Json<FeedPage>> {
    let limit = feed::limit("limit", q.limit)?;
    Ok(Json(
        feed::read(&state.databases.primary, &state.db, &caller, q.after.as_deref(), limit).await?,
    ))
}
