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
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["code"];

super::values::documented_string!(
    /// A synonym: 1 to 20 characters besides the spaces around them, as
    /// `validate` checks it.
    Synonym: "A word that names the metric in a task's text.", pattern r"^\s*\S(.{0,18}\S)?\s*$"
);

/// A metric's code, as `validate` checks it.
pub const CODE_PATTERN: &str = "^[a-z][a-z0-9_]{1,63}$";

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
    let (_, descending) = page::parse_sort(sort, "code", SORT_KEYS)?;
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
    super::row::<metrics::Entity>(conn, ENTITY, id).await.map(Metric::from)
}

/// Fills in the reported actuals' values in their metric's unit where they
/// are missing: of every target, or only of `only`. Returns how many.
async fn normalize_values<C: ConnectionTrait>(conn: &C, only: Option<&[Uuid]>) -> DomainResult<u64> {
    use entity::{report_values, targets};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let of_metrics = sea_orm::sea_query::Query::select()
        .column(targets::Column::Id)
        .from(targets::Entity)
        .and_where(targets::Column::MetricId.is_not_null())
        .and_where(targets::Column::ValueE4.is_not_null())
        .to_owned();
    let mut pending = report_values::Entity::find()
        .filter(report_values::Column::NormalizedE8.is_null())
        .filter(report_values::Column::TargetId.in_subquery(of_metrics));
    if let Some(ids) = only {
        pending = pending.filter(report_values::Column::TargetId.is_in(ids.iter().copied()));
    }
    let values = pending.all(conn).await?;
    let mut changed = 0;
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

/// Converts the reported actuals of these targets again, after a target's
/// metric, unit or value changed.
pub(crate) async fn renormalize_values<C: ConnectionTrait>(conn: &C, target_ids: &[Uuid]) -> DomainResult<()> {
    use entity::report_values;
    use sea_orm::sea_query::Expr;
    if target_ids.is_empty() {
        return Ok(());
    }
    report_values::Entity::update_many()
        .col_expr(report_values::Column::NormalizedE8, Expr::value(Option::<i64>::None))
        .filter(report_values::Column::TargetId.is_in(target_ids.iter().copied()))
        .exec(conn)
        .await?;
    normalize_values(conn, Some(target_ids)).await?;
    Ok(())
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
    use entity::targets;
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
    changed += normalize_values(conn, None).await?;
    if changed > 0 {
        // Values converted anew change the actuals kept per metric.
        super::figures::refresh_actuals_of_all(conn).await?;
    }
    Ok(changed)
}

/// "No metric has code …": a code of the input that names no metric.
pub fn no_metric(code: &str) -> Text {
    Text::new("no metric has code `%{code}`").arg("code", code)
}

const ENTITY: &str = "metric";

/// What a new metric is made of.
#[derive(Clone, Debug)]
pub struct NewMetric {
    pub code: String,
    pub name: String,
    pub unit_of_measure: String,
    /// `sum` unless given.
    pub aggregation: Option<Aggregation>,
    pub synonyms: Vec<String>,
    pub description: Option<String>,
}

/// Changes to a metric: what is given is replaced.
#[derive(Clone, Debug, Default)]
pub struct MetricChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub unit_of_measure: Option<String>,
    pub aggregation: Option<Aggregation>,
    pub synonyms: Option<Vec<String>>,
    pub description: Option<String>,
}

/// Checks a metric as it would be written; `id` is its own when it exists.
async fn validate<C: ConnectionTrait>(conn: &C, metric: &NewMetric, id: Option<Uuid>) -> DomainResult<()> {
    let mut v = super::error::Validator::new();
    let code_ok = metric.code.len() >= 2
        && metric.code.len() <= 64
        && metric.code.starts_with(|c: char| c.is_ascii_lowercase())
        && metric
            .code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    v.check(
        code_ok,
        "code",
        "2 to 64 lower-case letters, digits and `_`, starting with a letter (`investment_funds`)",
    );
    v.text("name", &metric.name, 100);
    v.optional_text("description", metric.description.as_deref(), 1000);
    let unit = units::find(&metric.unit_of_measure);
    match unit {
        None => v.add(
            "unit_of_measure",
            format!(
                "`{}` is not a unit of the catalogue: one of {}",
                metric.unit_of_measure.trim(),
                units::names().join(", ")
            ),
        ),
        Some(u) if u.dimension == units::Dimension::Percent && metric.aggregation != Some(Aggregation::None) => v.add(
            "aggregation",
            "a metric in % is a share or a growth rate, never added up: `none`",
        ),
        Some(_) => {}
    }
    v.check(metric.synonyms.len() <= 30, "synonyms", "at most 30 words");
    let mut seen = std::collections::HashSet::new();
    for (i, word) in metric.synonyms.iter().enumerate() {
        let length = word.trim().chars().count();
        v.check(
            (1..=20).contains(&length),
            format!("synonyms[{i}]"),
            "1 to 20 characters",
        );
        v.check(seen.insert(word.trim()), format!("synonyms[{i}]"), "given twice");
    }
    v.finish()?;
    let taken = metrics::Entity::find()
        .filter(metrics::Column::Code.eq(metric.code.as_str()))
        .filter(metrics::Column::Id.ne(id.unwrap_or_default()))
        .one(conn)
        .await?;
    if taken.is_some() {
        return Err(DomainError::Conflict {
            message: Text::new("metric code `%{code}` is already used").arg("code", &metric.code),
            field: Some("code".into()),
        });
    }
    Ok(())
}

fn synonyms_json(words: &[String]) -> DomainResult<String> {
    let words: Vec<&str> = words.iter().map(|w| w.trim()).collect();
    serde_json::to_string(&words).map_err(|e| DomainError::Internal(e.into()))
}

/// Adds a metric to the catalogue, as an administrator.
pub async fn create(db: &impl super::Store, caller: &Caller, input: NewMetric) -> DomainResult<Metric> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    authz::require_admin(&caller.principal, "change the metric catalogue")?;
    let txn = super::begin_write(db).await?;
    validate(&txn, &input, None).await?;
    let at = caller.now();
    let model = metrics::ActiveModel {
        id: Set(Uuid::new_v4()),
        code: Set(input.code.clone()),
        name: Set(input.name.trim().to_owned()),
        unit_of_measure: Set(input.unit_of_measure.trim().to_owned()),
        aggregation: Set(input.aggregation.unwrap_or(Aggregation::Sum).as_str().to_owned()),
        synonyms: Set(synonyms_json(&input.synonyms)?),
        description: Set(input.description.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let metric = Metric::from(model);
    super::audit::commit(
        txn,
        caller,
        super::audit::Change::created(ENTITY, Some(metric.id), &metric)?,
    )
    .await?;
    Ok(metric)
}

/// Changes a metric, as an administrator. A metric that targets use keeps
/// the dimension of its unit; a new unit of the same dimension (万元 to
/// 亿元) converts every stored target and actual of the metric to it.
pub async fn update(
    db: &impl super::Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: MetricChanges,
) -> DomainResult<Metric> {
    use entity::{report_values, targets};
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::{ActiveValue::Set, PaginatorTrait};
    authz::require_admin(&caller.principal, "change the metric catalogue")?;
    let txn = super::begin_write(db).await?;
    let current = super::row_for_change::<metrics::Entity>(&txn, ENTITY, id, expected_version, |m| m.version).await?;
    let before = Metric::from(current.clone());
    let next = NewMetric {
        code: changes.code.unwrap_or_else(|| before.code.clone()),
        name: changes.name.unwrap_or_else(|| before.name.clone()),
        unit_of_measure: changes
            .unit_of_measure
            .unwrap_or_else(|| before.unit_of_measure.clone()),
        aggregation: Some(changes.aggregation.unwrap_or(before.aggregation)),
        synonyms: changes.synonyms.unwrap_or_else(|| before.synonyms.clone()),
        description: changes.description.or_else(|| before.description.clone()),
    };
    validate(&txn, &next, Some(id)).await?;
    let unit_changed = next.unit_of_measure.trim() != before.unit_of_measure;
    if unit_changed {
        let used = targets::Entity::find()
            .filter(targets::Column::MetricId.eq(id))
            .count(&txn)
            .await?;
        let converts = matches!(
            (units::find(&before.unit_of_measure), units::find(&next.unit_of_measure)),
            (Some(a), Some(b)) if a.converts_to(b)
        );
        if used > 0 && !converts {
            return Err(DomainError::Conflict {
                message: Text::new(
                    "%{used} targets count in %{unit}: the metric cannot take a unit of another dimension",
                )
                .arg("used", used)
                .arg("unit", &before.unit_of_measure),
                field: Some("unit_of_measure".into()),
            });
        }
    }
    let model = metrics::Entity::update(metrics::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        code: Set(next.code.clone()),
        name: Set(next.name.trim().to_owned()),
        unit_of_measure: Set(next.unit_of_measure.trim().to_owned()),
        aggregation: Set(next.aggregation.unwrap_or(Aggregation::Sum).as_str().to_owned()),
        synonyms: Set(synonyms_json(&next.synonyms)?),
        description: Set(next.description.clone()),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(metrics::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(super::lost_update(ENTITY, id, expected_version))?;
    if unit_changed {
        // Every figure of the metric, converted again to its new unit.
        let of_metric = Query::select()
            .column(targets::Column::Id)
            .from(targets::Entity)
            .and_where(targets::Column::MetricId.eq(id))
            .to_owned();
        report_values::Entity::update_many()
            .col_expr(report_values::Column::NormalizedE8, Expr::value(Option::<i64>::None))
            .filter(report_values::Column::TargetId.in_subquery(of_metric))
            .exec(&txn)
            .await?;
        targets::Entity::update_many()
            .col_expr(targets::Column::NormalizedE8, Expr::value(Option::<i64>::None))
            .col_expr(targets::Column::NormalizedMaxE8, Expr::value(Option::<i64>::None))
            .filter(targets::Column::MetricId.eq(id))
            .exec(&txn)
            .await?;
        normalize_stored(&txn).await?;
    }
    let after = Metric::from(model);
    super::audit::commit(
        txn,
        caller,
        super::audit::Change::updated(ENTITY, Some(id), &before, &after)?,
    )
    .await?;
    Ok(after)
}
