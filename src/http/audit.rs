//! `/api/v1/audit`: the audit log, read-only, for administrators and viewers.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiQuery, Authenticated};
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::audit::{self, AuditFilter};
use crate::domain::page::PageRequest;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `task`, `report`, `plan`, `user` …
    entity: Option<String>,
    entity_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    /// `create`, `update`, `delete`, `submit`, `approve`, `return`, `login` …
    action: Option<String>,
}

/// The audit log (操作日志), newest first.
///
/// Who changed what, when and from where: each entry names the actor
/// (user, client or system, with its role), the action, the entity, the
/// fields before and after, the request id and the client's address.
/// Filter by `entity`, `entity_id`, `actor_id` and `action`; page with
/// `limit` and `cursor` (and `updated_since`). Only
/// administrators and viewers read it; anyone else, integration clients
/// included, answers 403 FORBIDDEN. The log is never editable.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of entries", body = crate::domain::page::Page<crate::domain::audit::AuditEntry>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        action: q.action,
    };
    Ok(Json(audit::list(&state.db, &caller, filter, &page).await?).into_response())
}
