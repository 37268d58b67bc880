//! `/api/v1/audit`: the audit log, read-only, for administrators and viewers.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::Authenticated;
use super::problem::ApiResult;
use crate::AppState;
use crate::domain::audit::{self, AuditFilter};
use crate::domain::page::PageRequest;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    limit: Option<u64>,
    cursor: Option<String>,
    entity: Option<String>,
    entity_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    action: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        action: q.action,
    };
    Ok(Json(audit::list(&state.db, &caller, filter, &page).await?).into_response())
}
