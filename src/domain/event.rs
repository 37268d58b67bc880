//! The chronicle of a pairing (大事记): dated entries — agreements signed,
//! parks opened, forest quota bought (8.46万亩 for 21150万元) — each with
//! its amounts, every amount a value and its unit.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{event_amounts, events, pairings};
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz;
use super::error::Validator;
use super::page::{self, Page, PageRequest, Sort};
use super::values::Amount;
use super::{Caller, DomainError, DomainResult, Store, begin_write, expect_version, lost_update};

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["occurred_on", "created_at"];

const ENTITY: &str = "event";

/// The most amounts one event carries.
pub const MAX_AMOUNTS: usize = 20;

/// An amount of an event: 8.46万亩, 21150万元.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventAmount {
    pub value: Amount,
    /// The unit of measure: 万亩, 万元, 个 …
    #[schema(example = "万亩", pattern = r"\S", max_length = 20)]
    pub unit: String,
    /// What the amount counts, e.g. 森林面积指标 or 交易金额.
    #[schema(example = "森林面积指标")]
    pub label: Option<String>,
}

/// An entry of a pairing's chronicle (大事记) as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: Uuid,
    pub pairing_id: Uuid,
    /// The day it happened (China's calendar day).
    pub occurred_on: NaiveDate,
    pub title: String,
    pub description: Option<String>,
    /// In the order given.
    pub amounts: Vec<EventAmount>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What an event is made of, for creating or replacing one.
#[derive(Clone, Debug)]
pub struct EventInput {
    pub pairing_id: Uuid,
    pub occurred_on: NaiveDate,
    pub title: String,
    pub description: Option<String>,
    pub amounts: Vec<EventAmount>,
}

/// What a list of events is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub pairing_id: Option<Uuid>,
    /// Events on or after this day.
    pub from: Option<NaiveDate>,
    /// Events on or before this day.
    pub to: Option<NaiveDate>,
}

/// Builds the views of many events with one more query, whatever their number.
pub async fn event_views<C: ConnectionTrait>(conn: &C, models: Vec<events::Model>) -> DomainResult<Vec<Event>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut amounts: HashMap<Uuid, Vec<EventAmount>> = HashMap::new();
    if !ids.is_empty() {
        for row in event_amounts::Entity::find()
            .filter(event_amounts::Column::EventId.is_in(ids.iter().copied()))
            .order_by_asc(event_amounts::Column::Position)
            .all(conn)
            .await?
        {
            amounts.entry(row.event_id).or_default().push(EventAmount {
                value: Amount::from_scaled(row.value_e4),
                unit: row.unit_of_measure,
                label: row.label,
            });
        }
    }
    Ok(models
        .into_iter()
        .map(|m| Event {
            id: m.id,
            pairing_id: m.pairing_id,
            occurred_on: m.occurred_on,
            amounts: amounts.remove(&m.id).unwrap_or_default(),
            title: m.title,
            description: m.description,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
        .collect())
}

async fn event_view<C: ConnectionTrait>(conn: &C, model: events::Model) -> DomainResult<Event> {
    super::only(event_views(conn, vec![model]).await?, "event")
}

/// Checks the input; answers the amounts' stored values, in order.
async fn validate<C: ConnectionTrait>(conn: &C, input: &EventInput) -> DomainResult<Vec<i64>> {
    let mut v = Validator::new();
    if pairings::Entity::find_by_id(input.pairing_id)
        .one(conn)
        .await?
        .is_none()
    {
        v.add("pairing_id", crate::domain::no_such("pairing", input.pairing_id));
    }
    v.check(
        (1990..=2100).contains(&input.occurred_on.year()),
        "occurred_on",
        "must be a day between 1990 and 2100",
    );
    v.text("title", &input.title, 500);
    v.optional_text("description", input.description.as_deref(), 10_000);
    v.check(
        input.amounts.len() <= MAX_AMOUNTS,
        "amounts",
        format!("at most {MAX_AMOUNTS} amounts"),
    );
    let mut scaled = Vec::with_capacity(input.amounts.len());
    for (i, amount) in input.amounts.iter().enumerate() {
        v.text(&format!("amounts[{i}].unit"), &amount.unit, 20);
        v.optional_text(&format!("amounts[{i}].label"), amount.label.as_deref(), 200);
        match amount.value.to_scaled() {
            Ok(value) => scaled.push(value),
            Err(e) => v.add(format!("amounts[{i}].value"), e),
        }
    }
    v.finish()?;
    Ok(scaled)
}

async fn replace_amounts<C: ConnectionTrait>(
    conn: &C,
    event_id: Uuid,
    amounts: &[EventAmount],
    scaled: &[i64],
) -> DomainResult<()> {
    event_amounts::Entity::delete_many()
        .filter(event_amounts::Column::EventId.eq(event_id))
        .exec(conn)
        .await?;
    for (position, (amount, value)) in (0..).zip(amounts.iter().zip(scaled)) {
        event_amounts::ActiveModel {
            id: Set(Uuid::new_v4()),
            event_id: Set(event_id),
            value_e4: Set(*value),
            unit_of_measure: Set(amount.unit.trim().to_owned()),
            label: Set(amount
                .label
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)),
            position: Set(position),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

fn clean_description(description: Option<String>) -> Option<String> {
    description.filter(|d| !d.trim().is_empty())
}

/// Adds an event to a pairing's chronicle.
pub async fn create(db: &impl Store, caller: &Caller, input: EventInput) -> DomainResult<Event> {
    let txn = begin_write(db).await?;
    authz::require_chronicle_writer(&txn, &caller.principal, input.pairing_id).await?;
    let scaled = validate(&txn, &input).await?;
    let at = caller.now();
    let model = events::ActiveModel {
        id: Set(Uuid::new_v4()),
        pairing_id: Set(input.pairing_id),
        occurred_on: Set(input.occurred_on),
        title: Set(input.title.trim().to_owned()),
        description: Set(clean_description(input.description)),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    replace_amounts(&txn, model.id, &input.amounts, &scaled).await?;
    let event = event_view(&txn, model).await?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(event.id), &event)?).await?;
    Ok(event)
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Event> {
    authz::require_reader(&caller.principal)?;
    let model = super::row::<events::Entity>(conn, ENTITY, id).await?;
    event_view(conn, model).await
}

/// The events that meet `filter`, one page in `sort` order (`occurred_on`
/// or `created_at`, `-` for descending; by day when none).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: EventFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Event>> {
    authz::require_reader(&caller.principal)?;
    let (field, descending) = page::parse_sort(sort, "occurred_on", SORT_KEYS)?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(DomainError::invalid("to", "must not be before `from`"));
    }
    let mut query = events::Entity::find();
    if let Some(pairing_id) = filter.pairing_id {
        query = query.filter(events::Column::PairingId.eq(pairing_id));
    }
    if let Some(from) = filter.from {
        query = query.filter(events::Column::OccurredOn.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(events::Column::OccurredOn.lte(to));
    }
    let sort = match field {
        "occurred_on" => Sort::<events::Entity> {
            column: events::Column::OccurredOn,
            id: events::Column::Id,
            descending,
            key_of: |m: &events::Model| (serde_json::json!(m.occurred_on.to_string()), m.id),
            value_of: page::date_value,
        },
        _ => Sort {
            column: events::Column::CreatedAt,
            id: events::Column::Id,
            descending,
            key_of: |m: &events::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    let rows = page::fetch(conn, query, &sort, page).await?;
    rows.then(async |items| event_views(conn, items).await).await
}

/// Replaces an event (its amounts with it), at the version the caller read.
/// The chronicles of these pairings, by day, in a fixed number of
/// statements: for batch loading (`Pairing.events`).
pub async fn of_pairings<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    pairing_ids: &[Uuid],
) -> DomainResult<Vec<Event>> {
    authz::require_reader(&caller.principal)?;
    if pairing_ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = events::Entity::find()
        .filter(events::Column::PairingId.is_in(pairing_ids.iter().copied()))
        .order_by_asc(events::Column::OccurredOn)
        .order_by_asc(events::Column::Id)
        .all(conn)
        .await?;
    event_views(conn, models).await
}

pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    input: EventInput,
) -> DomainResult<Event> {
    let txn = begin_write(db).await?;
    let current = super::row::<events::Entity>(&txn, ENTITY, id).await?;
    authz::require_chronicle_writer(&txn, &caller.principal, current.pairing_id).await?;
    expect_version(ENTITY, id, expected_version, current.version)?;
    if input.pairing_id != current.pairing_id {
        return Err(DomainError::invalid(
            "pairing_id",
            "an event cannot move to another pairing",
        ));
    }
    let scaled = validate(&txn, &input).await?;
    let before = event_view(&txn, current).await?;
    let model = events::Entity::update(events::ActiveModel {
        id: ActiveValue::Unchanged(id),
        occurred_on: Set(input.occurred_on),
        title: Set(input.title.trim().to_owned()),
        description: Set(clean_description(input.description)),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(events::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    replace_amounts(&txn, id, &input.amounts, &scaled).await?;
    let after = event_view(&txn, model).await?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// Removes an event with its amounts, at the version the caller read.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    let current = super::row::<events::Entity>(&txn, ENTITY, id).await?;
    authz::require_chronicle_writer(&txn, &caller.principal, current.pairing_id).await?;
    expect_version(ENTITY, id, expected_version, current.version)?;
    let before = event_view(&txn, current).await?;
    event_amounts::Entity::delete_many()
        .filter(event_amounts::Column::EventId.eq(id))
        .exec(&txn)
        .await?;
    events::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &before)?).await?;
    Ok(())
}
