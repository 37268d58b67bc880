//! The metric catalogue (指标目录): what targets and actuals can be summed
//! across pairings, each with its unit of measure, how it aggregates and the
//! words that name it; and the conversion of a figure to its metric's unit,
//! which every target and reported actual goes through.

use entity::metrics;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::page::{self, Page, PageRequest, Sort};
use super::units::{self, Normalized};
use super::values::{Aggregation, Amount};
use super::{Caller, DomainError, DomainResult, authz};

/// A metric of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Metric {
    pub id: Uuid,
    /// Stable code, e.g. `investment_funds`.
    pub code: String,
    /// The term the documents use, e.g. 实际到位资金.
    pub name: String,
    /// A unit of the catalogue of units: 万元, 人次, 个 …
    pub unit_of_measure: String,
    /// `sum`, or `none` for percentages and growth rates.
    pub aggregation: Aggregation,
    /// The words that name it in a task's text (到位资金), for the target
    /// extractor; the longest found wins.
    pub synonyms: Vec<String>,
    pub description: Option<String>,
    pub version: i32,
}

impl From<metrics::Model> for Metric {
    fn from(m: metrics::Model) -> Metric {
        Metric {
            id: m.id,
            synonyms: synonyms_of(&m),
            aggregation: m.aggregation.parse().unwrap_or(Aggregation::Sum),
            code: m.code,
            name: m.name,
            unit_of_measure: m.unit_of_measure,
            description: m.description,
            version: m.version,
        }
    }
}

fn synonyms_of(m: &metrics::Model) -> Vec<String> {
    serde_json::from_str(&m.synonyms).unwrap_or_default()
}

/// What the target extractor needs of a metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricWords {
    pub code: String,
    pub unit: String,
    pub synonyms: Vec<String>,
}

/// The words of every metric, for the target extractor.
pub async fn vocabulary<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<MetricWords>> {
    Ok(metrics::Entity::find()
        .order_by_asc(metrics::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| MetricWords {
            synonyms: synonyms_of(&m),
            code: m.code,
            unit: m.unit_of_measure,
        })
        .collect())
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

/// A figure written in `unit`, in the unit of `metric`: a problem for
/// `field` when the catalogue does not know the unit or it measures
/// something else.
pub(crate) fn normalize(metric: &metrics::Model, value: Amount, unit: &str) -> Result<Normalized, String> {
    units::convert(value, unit, &metric.unit_of_measure).map_err(|e| match e {
        units::ConversionError::OtherDimension { .. } => format!(
            "{e}: metric `{}` ({}) counts in {}",
            metric.code, metric.name, metric.unit_of_measure
        ),
        other => other.to_string(),
    })
}

/// The metrics with these ids.
pub(crate) async fn by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<std::collections::HashMap<Uuid, metrics::Model>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(metrics::Entity::find()
        .filter(metrics::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

/// Fills in the values in their metric's unit that the figures migration
/// left to the service (which owns the catalogue of units). A target whose
/// unit does not convert to its metric's loses the metric: it never was a
/// figure of it (2家 counted in 对). Runs at every start and does nothing
/// once everything is filled in; returns how many rows it changed.
pub async fn normalize_stored<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    use entity::{report_values, targets};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let pending = targets::Entity::find()
        .filter(targets::Column::MetricId.is_not_null())
        .filter(targets::Column::ValueE4.is_not_null())
        .filter(targets::Column::NormalizedE8.is_null())
        .all(conn)
        .await?;
    let catalogue = by_ids(conn, pending.iter().filter_map(|t| t.metric_id)).await?;
    let mut changed = 0;
    for target in pending {
        let (Some(metric), Some(value)) = (target.metric_id.and_then(|id| catalogue.get(&id)), target.value_e4) else {
            continue;
        };
        let unit = target.unit_of_measure.clone();
        let max = target.value_max_e4;
        let mut row = target.into_active_model();
        match normalize(metric, Amount::from_scaled(value), &unit) {
            Ok(n) => {
                row.normalized_e8 = Set(Some(n.to_scaled()));
                row.normalized_max_e8 = Set(max
                    .and_then(|m| normalize(metric, Amount::from_scaled(m), &unit).ok())
                    .map(Normalized::to_scaled));
            }
            Err(_) => row.metric_id = Set(None),
        }
        row.update(conn).await?;
        changed += 1;
    }
    let values = report_values::Entity::find()
        .filter(report_values::Column::NormalizedE8.is_null())
        .all(conn)
        .await?;
    let mut target_ids: Vec<Uuid> = values.iter().map(|v| v.target_id).collect();
    target_ids.sort_unstable();
    target_ids.dedup();
    let mut of_values = std::collections::HashMap::new();
    for chunk in target_ids.chunks(500) {
        for target in targets::Entity::find()
            .filter(targets::Column::Id.is_in(chunk.iter().copied()))
            .filter(targets::Column::MetricId.is_not_null())
            .all(conn)
            .await?
        {
            of_values.insert(target.id, target);
        }
    }
    let catalogue = by_ids(conn, of_values.values().filter_map(|t| t.metric_id)).await?;
    for value in values {
        let Some(target) = of_values.get(&value.target_id) else {
            continue;
        };
        let Some(metric) = target.metric_id.and_then(|id| catalogue.get(&id)) else {
            continue;
        };
        let unit = value
            .unit_of_measure
            .clone()
            .unwrap_or_else(|| target.unit_of_measure.clone());
        if let Ok(n) = normalize(metric, Amount::from_scaled(value.actual_e4), &unit) {
            let mut row = value.into_active_model();
            row.normalized_e8 = Set(Some(n.to_scaled()));
            row.update(conn).await?;
            changed += 1;
        }
    }
    Ok(changed)
}
