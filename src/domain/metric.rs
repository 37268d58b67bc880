//! The metric catalogue (指标目录): what targets and actuals can be summed
//! across pairings, each with its unit of measure.

use entity::metrics;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::page::{self, Page, PageRequest, Sort};
use super::{Caller, DomainError, DomainResult, authz};

/// A metric of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Metric {
    pub id: Uuid,
    /// Stable code, e.g. `investment_funds`.
    pub code: String,
    /// The term the documents use, e.g. 实际到位资金.
    pub name: String,
    /// 万元, 人次, 个 …
    pub unit_of_measure: String,
    pub description: Option<String>,
    pub version: i32,
}

impl From<metrics::Model> for Metric {
    fn from(m: metrics::Model) -> Metric {
        Metric {
            id: m.id,
            code: m.code,
            name: m.name,
            unit_of_measure: m.unit_of_measure,
            description: m.description,
            version: m.version,
        }
    }
}

pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<Vec<Metric>> {
    authz::require_reader(&caller.principal)?;
    Ok(metrics::Entity::find()
        .order_by_asc(metrics::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(Metric::from)
        .collect())
}

/// The catalogue, one page by code (`sort`: `code` or `-code`).
pub async fn list_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Metric>> {
    authz::require_reader(&caller.principal)?;
    let (_, descending) = page::parse_sort(sort, "code", &["code"])?;
    let sort = Sort::<metrics::Entity> {
        column: metrics::Column::Code,
        id: metrics::Column::Id,
        descending,
        key_of: |m: &metrics::Model| (serde_json::json!(m.code), m.id),
        value_of: page::text_value,
    };
    Ok(page::fetch(conn, metrics::Entity::find(), &sort, page)
        .await?
        .map(Metric::from))
}

/// The metric with this code, if the catalogue has one.
pub async fn find_by_code<C: ConnectionTrait>(conn: &C, code: &str) -> DomainResult<Option<Metric>> {
    Ok(metrics::Entity::find()
        .filter(metrics::Column::Code.eq(code))
        .one(conn)
        .await?
        .map(Metric::from))
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Metric> {
    authz::require_reader(&caller.principal)?;
    metrics::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(Metric::from)
        .ok_or_else(|| DomainError::not_found("metric", id))
}
