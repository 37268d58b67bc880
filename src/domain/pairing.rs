//! Pairings (结对): a helper region helps a recipient region, perhaps with
//! co-helpers (联合帮扶), under agreement documents; and the unit pairing
//! table (部门街镇结对帮扶表) within a pairing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{events, pairing_co_helpers, pairing_documents, pairings, plans, regions, unit_pairings, units};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz;
use super::error::Validator;
use super::names::{self, Named};
use super::page::{self, Page, PageRequest, Sort};
use super::region::parse_stored;
use super::values::PairingStatus;
use super::{Caller, DomainError, DomainResult, Store, begin_write, lost_update, row_for_change};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["created_at"];

const PAIRING: &str = "pairing";
const UNIT_PAIRING: &str = "unit_pairing";

/// An agreement or task-list document of a pairing (文件).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingDocument {
    #[schema(example = "渝中区·巫溪县对口协同发展合作协议", pattern = r"\S")]
    pub title: String,
    /// 文号, e.g. 巫溪府发〔2025〕20号.
    #[schema(example = "巫溪府发〔2025〕20号")]
    pub doc_number: Option<String>,
    /// 印发日期
    #[schema(example = "2025-06-27")]
    pub issued_on: Option<NaiveDate>,
}

/// A pairing as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pairing {
    pub id: Uuid,
    /// 帮扶方
    pub helper_region_id: Uuid,
    /// 受帮扶方
    pub recipient_region_id: Uuid,
    /// 联合帮扶方
    pub co_helper_region_ids: Vec<Uuid>,
    pub start_year: Option<i32>,
    pub status: PairingStatus,
    pub note: Option<String>,
    pub documents: Vec<PairingDocument>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What a pairing is made of.
#[derive(Clone, Debug)]
pub struct PairingInput {
    pub helper_region_id: Uuid,
    pub recipient_region_id: Uuid,
    pub co_helper_region_ids: Vec<Uuid>,
    pub start_year: Option<i32>,
    pub status: PairingStatus,
    pub note: Option<String>,
    pub documents: Vec<PairingDocument>,
}

/// Builds the views of many pairings with three queries.
pub async fn pairing_views<C: ConnectionTrait>(conn: &C, models: Vec<pairings::Model>) -> DomainResult<Vec<Pairing>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut co_helpers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut documents: HashMap<Uuid, Vec<PairingDocument>> = HashMap::new();
    if !ids.is_empty() {
        for row in pairing_co_helpers::Entity::find()
            .filter(pairing_co_helpers::Column::PairingId.is_in(ids.iter().copied()))
            .all(conn)
            .await?
        {
            co_helpers.entry(row.pairing_id).or_default().push(row.region_id);
        }
        for row in pairing_documents::Entity::find()
            .filter(pairing_documents::Column::PairingId.is_in(ids.iter().copied()))
            .order_by_asc(pairing_documents::Column::Position)
            .all(conn)
            .await?
        {
            documents.entry(row.pairing_id).or_default().push(PairingDocument {
                title: row.title,
                doc_number: row.doc_number,
                issued_on: row.issued_on,
            });
        }
    }
    models
        .into_iter()
        .map(|m| {
            let mut co = co_helpers.remove(&m.id).unwrap_or_default();
            co.sort();
            Ok(Pairing {
                id: m.id,
                helper_region_id: m.helper_region_id,
                recipient_region_id: m.recipient_region_id,
                co_helper_region_ids: co,
                start_year: m.start_year,
                status: parse_stored(&m.status)?,
                note: m.note,
                documents: documents.remove(&m.id).unwrap_or_default(),
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

async fn pairing_view<C: ConnectionTrait>(conn: &C, model: pairings::Model) -> DomainResult<Pairing> {
    super::only(pairing_views(conn, vec![model]).await?, "pairing")
}

async fn validate_pairing<C: ConnectionTrait>(conn: &C, input: &PairingInput, id: Option<Uuid>) -> DomainResult<()> {
    let mut v = Validator::new();
    for (field, region_id) in [
        ("helper_region_id", input.helper_region_id),
        ("recipient_region_id", input.recipient_region_id),
    ] {
        if regions::Entity::find_by_id(region_id).one(conn).await?.is_none() {
            v.add(field, crate::domain::no_such("region", region_id));
        }
    }
    v.check(
        input.helper_region_id != input.recipient_region_id,
        "recipient_region_id",
        "a region cannot help itself",
    );
    let mut seen = HashSet::new();
    for (i, region_id) in input.co_helper_region_ids.iter().enumerate() {
        let field = format!("co_helper_region_ids[{i}]");
        if !seen.insert(*region_id) {
            v.add(&field, "named twice");
        } else if *region_id == input.helper_region_id || *region_id == input.recipient_region_id {
            v.add(&field, "a co-helper is neither the helper nor the recipient");
        } else if regions::Entity::find_by_id(*region_id).one(conn).await?.is_none() {
            v.add(&field, crate::domain::no_such("region", region_id));
        }
    }
    if let Some(year) = input.start_year {
        v.check(
            (1990..=2100).contains(&year),
            "start_year",
            "must be a year between 1990 and 2100",
        );
    }
    v.optional_text("note", input.note.as_deref(), 2000);
    for (i, doc) in input.documents.iter().enumerate() {
        v.text(&format!("documents[{i}].title"), &doc.title, 500);
        v.optional_text(&format!("documents[{i}].doc_number"), doc.doc_number.as_deref(), 100);
    }
    v.finish()?;
    let existing = pairings::Entity::find()
        .filter(pairings::Column::HelperRegionId.eq(input.helper_region_id))
        .filter(pairings::Column::RecipientRegionId.eq(input.recipient_region_id))
        .filter(pairings::Column::Id.ne(id.unwrap_or_default()))
        .count(conn)
        .await?;
    if existing > 0 {
        return Err(DomainError::Conflict {
            message: "these two regions are already paired".into(),
            field: Some("recipient_region_id".into()),
        });
    }
    Ok(())
}

async fn replace_parts<C: ConnectionTrait>(conn: &C, pairing_id: Uuid, input: &PairingInput) -> DomainResult<()> {
    pairing_co_helpers::Entity::delete_many()
        .filter(pairing_co_helpers::Column::PairingId.eq(pairing_id))
        .exec(conn)
        .await?;
    for region_id in &input.co_helper_region_ids {
        pairing_co_helpers::ActiveModel {
            pairing_id: Set(pairing_id),
            region_id: Set(*region_id),
        }
        .insert(conn)
        .await?;
    }
    pairing_documents::Entity::delete_many()
        .filter(pairing_documents::Column::PairingId.eq(pairing_id))
        .exec(conn)
        .await?;
    for (position, doc) in (0..).zip(&input.documents) {
        pairing_documents::ActiveModel {
            id: Set(Uuid::new_v4()),
            pairing_id: Set(pairing_id),
            title: Set(doc.title.trim().to_owned()),
            doc_number: Set(doc.doc_number.clone()),
            issued_on: Set(doc.issued_on),
            position: Set(position),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

pub async fn create(db: &impl Store, caller: &Caller, input: PairingInput) -> DomainResult<Pairing> {
    authz::require_admin(&caller.principal, "create pairings")?;
    let txn = begin_write(db).await?;
    validate_pairing(&txn, &input, None).await?;
    let at = caller.now();
    let model = pairings::ActiveModel {
        id: Set(Uuid::new_v4()),
        helper_region_id: Set(input.helper_region_id),
        recipient_region_id: Set(input.recipient_region_id),
        start_year: Set(input.start_year),
        status: Set(input.status.as_str().to_owned()),
        note: Set(input.note.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    replace_parts(&txn, model.id, &input).await?;
    let pairing = pairing_view(&txn, model).await?;
    audit::commit(txn, caller, Change::created(PAIRING, Some(pairing.id), &pairing)?).await?;
    Ok(pairing)
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Pairing> {
    authz::require_reader(&caller.principal)?;
    let model = super::row::<pairings::Entity>(conn, PAIRING, id).await?;
    pairing_view(conn, model).await
}

pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<Vec<Pairing>> {
    authz::require_reader(&caller.principal)?;
    let models = pairings::Entity::find()
        .order_by_asc(pairings::Column::CreatedAt)
        .order_by_asc(pairings::Column::Id)
        .all(conn)
        .await?;
    pairing_views(conn, models).await
}

/// The pairings where one of `regions` is helper, co-helper or recipient,
/// as SQL.
fn of_regions_condition(regions: &[Uuid]) -> sea_orm::Condition {
    let as_co_helper = sea_orm::sea_query::Query::select()
        .column(pairing_co_helpers::Column::PairingId)
        .from(pairing_co_helpers::Entity)
        .and_where(pairing_co_helpers::Column::RegionId.is_in(regions.iter().copied()))
        .to_owned();
    sea_orm::Condition::any()
        .add(pairings::Column::HelperRegionId.is_in(regions.iter().copied()))
        .add(pairings::Column::RecipientRegionId.is_in(regions.iter().copied()))
        .add(pairings::Column::Id.in_subquery(as_co_helper))
}

/// The pairings each of `regions` takes part in (as helper, co-helper or
/// recipient), by creation, each with the region it was found for, in a
/// fixed number of statements: for batch loading (`Region.pairings`).
pub async fn of_regions<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    regions: &[Uuid],
) -> DomainResult<Vec<(Uuid, Pairing)>> {
    authz::require_reader(&caller.principal)?;
    if regions.is_empty() {
        return Ok(Vec::new());
    }
    let models = pairings::Entity::find()
        .filter(of_regions_condition(regions))
        .order_by_asc(pairings::Column::CreatedAt)
        .order_by_asc(pairings::Column::Id)
        .all(conn)
        .await?;
    let asked: HashSet<Uuid> = regions.iter().copied().collect();
    let mut out = Vec::new();
    for pairing in pairing_views(conn, models).await? {
        let sides = [pairing.helper_region_id, pairing.recipient_region_id];
        for region in sides.iter().chain(&pairing.co_helper_region_ids) {
            if asked.contains(region) {
                out.push((*region, pairing.clone()));
            }
        }
    }
    Ok(out)
}

/// What a list of pairings is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct PairingFilter {
    /// Pairings where the region is helper, co-helper or recipient.
    pub region_id: Option<Uuid>,
    pub status: Option<PairingStatus>,
}

/// The pairings that meet `filter`, one page by creation (`sort`:
/// `created_at` or `-created_at`).
pub async fn list_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: PairingFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Pairing>> {
    authz::require_reader(&caller.principal)?;
    let (_, descending) = page::parse_sort(sort, "created_at", SORT_KEYS)?;
    let mut query = pairings::Entity::find();
    if let Some(region_id) = filter.region_id {
        query = query.filter(of_regions_condition(&[region_id]));
    }
    if let Some(status) = filter.status {
        query = query.filter(pairings::Column::Status.eq(status.as_str()));
    }
    let sort = Sort::<pairings::Entity> {
        column: pairings::Column::CreatedAt,
        id: pairings::Column::Id,
        descending,
        key_of: |m: &pairings::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
        value_of: page::timestamp_value,
    };
    let rows = page::fetch(conn, query, &sort, page).await?;
    rows.then(async |items| pairing_views(conn, items).await).await
}

/// Finds the pairing of a helper and a recipient, named as the CLI names
/// them (`渝中区:巫溪县`).
pub async fn find_by_regions<C: ConnectionTrait>(
    conn: &C,
    helper_region_id: Uuid,
    recipient_region_id: Uuid,
) -> DomainResult<Option<pairings::Model>> {
    Ok(pairings::Entity::find()
        .filter(pairings::Column::HelperRegionId.eq(helper_region_id))
        .filter(pairings::Column::RecipientRegionId.eq(recipient_region_id))
        .one(conn)
        .await?)
}

pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    input: PairingInput,
) -> DomainResult<Pairing> {
    authz::require_admin(&caller.principal, "change pairings")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<pairings::Entity>(&txn, PAIRING, id, expected_version, |m| m.version).await?;
    validate_pairing(&txn, &input, Some(id)).await?;
    let before = pairing_view(&txn, current).await?;
    let model = pairings::Entity::update(pairings::ActiveModel {
        id: ActiveValue::Unchanged(id),
        helper_region_id: Set(input.helper_region_id),
        recipient_region_id: Set(input.recipient_region_id),
        start_year: Set(input.start_year),
        status: Set(input.status.as_str().to_owned()),
        note: Set(input.note.clone()),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(pairings::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(PAIRING, id, expected_version))?;
    replace_parts(&txn, id, &input).await?;
    let after = pairing_view(&txn, model).await?;
    audit::commit(txn, caller, Change::updated(PAIRING, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// Removes a pairing that has no plans and no chronicle.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    authz::require_admin(&caller.principal, "delete pairings")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<pairings::Entity>(&txn, PAIRING, id, expected_version, |m| m.version).await?;
    let plan_count = plans::Entity::find()
        .filter(plans::Column::PairingId.eq(id))
        .count(&txn)
        .await?;
    let event_count = events::Entity::find()
        .filter(events::Column::PairingId.eq(id))
        .count(&txn)
        .await?;
    if plan_count + event_count > 0 {
        return Err(DomainError::conflict(
            Text::new("the pairing still has %{plans} plans and %{events} chronicle events")
                .arg("plans", plan_count)
                .arg("events", event_count),
        ));
    }
    let before = pairing_view(&txn, current).await?;
    pairings::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(PAIRING, Some(id), &before)?).await?;
    Ok(())
}

// ---------------------------------------------------------- unit pairings

/// A helper unit paired with a recipient unit (区发展改革委 ↔ 县发展改革委).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnitPairing {
    pub id: Uuid,
    pub pairing_id: Uuid,
    pub helper_unit_id: Uuid,
    pub recipient_unit_id: Uuid,
    /// 序号 in the document's table.
    pub seq: Option<i32>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<unit_pairings::Model> for UnitPairing {
    fn from(m: unit_pairings::Model) -> UnitPairing {
        UnitPairing {
            id: m.id,
            pairing_id: m.pairing_id,
            helper_unit_id: m.helper_unit_id,
            recipient_unit_id: m.recipient_unit_id,
            seq: m.seq,
            note: m.note,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// What a unit pairing is made of.
#[derive(Clone, Debug)]
pub struct UnitPairingInput {
    pub pairing_id: Uuid,
    pub helper_unit_id: Uuid,
    pub recipient_unit_id: Uuid,
    pub seq: Option<i32>,
    pub note: Option<String>,
}

async fn validate_unit_pairing<C: ConnectionTrait>(
    conn: &C,
    input: &UnitPairingInput,
    id: Option<Uuid>,
) -> DomainResult<()> {
    let mut v = Validator::new();
    v.optional_text("note", input.note.as_deref(), 500);
    let Some(pairing) = pairings::Entity::find_by_id(input.pairing_id).one(conn).await? else {
        v.add("pairing_id", crate::domain::no_such("pairing", input.pairing_id));
        return v.finish();
    };
    let regions = authz::pairing_regions(conn, pairing.id).await?;
    let helper_side: Vec<Uuid> = regions
        .iter()
        .copied()
        .filter(|r| *r != pairing.recipient_region_id)
        .collect();
    for (field, unit_id, allowed, side) in [
        (
            "helper_unit_id",
            input.helper_unit_id,
            helper_side,
            "the helper or a co-helper",
        ),
        (
            "recipient_unit_id",
            input.recipient_unit_id,
            vec![pairing.recipient_region_id],
            "the recipient",
        ),
    ] {
        match units::Entity::find_by_id(unit_id).one(conn).await? {
            None => v.add(field, crate::domain::no_such("unit", unit_id)),
            Some(unit) if !allowed.contains(&unit.region_id) => v.add(
                field,
                Text::new("%{unit} is not a unit of %{side} of the pairing")
                    .arg("unit", &unit.name)
                    .word("side", side),
            ),
            Some(_) => {}
        }
    }
    v.finish()?;
    let taken = unit_pairings::Entity::find()
        .filter(unit_pairings::Column::PairingId.eq(input.pairing_id))
        .filter(unit_pairings::Column::HelperUnitId.eq(input.helper_unit_id))
        .filter(unit_pairings::Column::RecipientUnitId.eq(input.recipient_unit_id))
        .filter(unit_pairings::Column::Id.ne(id.unwrap_or_default()))
        .count(conn)
        .await?;
    if taken > 0 {
        return Err(DomainError::Conflict {
            message: "these two units are already paired in this pairing".into(),
            field: Some("recipient_unit_id".into()),
        });
    }
    Ok(())
}

pub async fn create_unit_pairing(
    db: &impl Store,
    caller: &Caller,
    input: UnitPairingInput,
) -> DomainResult<UnitPairing> {
    authz::require_admin(&caller.principal, "create unit pairings")?;
    let txn = begin_write(db).await?;
    validate_unit_pairing(&txn, &input, None).await?;
    let at = caller.now();
    let model = unit_pairings::ActiveModel {
        id: Set(Uuid::new_v4()),
        pairing_id: Set(input.pairing_id),
        helper_unit_id: Set(input.helper_unit_id),
        recipient_unit_id: Set(input.recipient_unit_id),
        seq: Set(input.seq),
        note: Set(input.note.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let view = UnitPairing::from(model);
    audit::commit(txn, caller, Change::created(UNIT_PAIRING, Some(view.id), &view)?).await?;
    Ok(view)
}

pub async fn list_unit_pairings<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    pairing_id: Uuid,
) -> DomainResult<Vec<UnitPairing>> {
    authz::require_reader(&caller.principal)?;
    Ok(unit_pairings::Entity::find()
        .filter(unit_pairings::Column::PairingId.eq(pairing_id))
        .order_by_asc(unit_pairings::Column::Seq)
        .order_by_asc(unit_pairings::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(UnitPairing::from)
        .collect())
}

pub async fn get_unit_pairing<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<UnitPairing> {
    authz::require_reader(&caller.principal)?;
    unit_pairings::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(UnitPairing::from)
        .ok_or_else(|| DomainError::not_found(UNIT_PAIRING, id))
}

/// What a list of unit pairings is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct UnitPairingFilter {
    pub pairing_id: Option<Uuid>,
    /// Unit pairings where the unit is the helper or the recipient unit.
    pub unit_id: Option<Uuid>,
}

/// The unit pairings that meet `filter`, one page by creation (`sort`:
/// `created_at` or `-created_at`).
pub async fn list_unit_pairings_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: UnitPairingFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<UnitPairing>> {
    authz::require_reader(&caller.principal)?;
    let (_, descending) = page::parse_sort(sort, "created_at", SORT_KEYS)?;
    let mut query = unit_pairings::Entity::find();
    if let Some(pairing_id) = filter.pairing_id {
        query = query.filter(unit_pairings::Column::PairingId.eq(pairing_id));
    }
    if let Some(unit_id) = filter.unit_id {
        query = query.filter(
            sea_orm::Condition::any()
                .add(unit_pairings::Column::HelperUnitId.eq(unit_id))
                .add(unit_pairings::Column::RecipientUnitId.eq(unit_id)),
        );
    }
    let sort = Sort::<unit_pairings::Entity> {
        column: unit_pairings::Column::CreatedAt,
        id: unit_pairings::Column::Id,
        descending,
        key_of: |m: &unit_pairings::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
        value_of: page::timestamp_value,
    };
    Ok(page::fetch(conn, query, &sort, page).await?.map(UnitPairing::from))
}

pub async fn update_unit_pairing(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    input: UnitPairingInput,
) -> DomainResult<UnitPairing> {
    authz::require_admin(&caller.principal, "change unit pairings")?;
    let txn = begin_write(db).await?;
    let current =
        row_for_change::<unit_pairings::Entity>(&txn, UNIT_PAIRING, id, expected_version, |m| m.version).await?;
    if input.pairing_id != current.pairing_id {
        return Err(DomainError::invalid(
            "pairing_id",
            "a unit pairing cannot move to another pairing",
        ));
    }
    validate_unit_pairing(&txn, &input, Some(id)).await?;
    let before = UnitPairing::from(current);
    let model = unit_pairings::Entity::update(unit_pairings::ActiveModel {
        id: ActiveValue::Unchanged(id),
        helper_unit_id: Set(input.helper_unit_id),
        recipient_unit_id: Set(input.recipient_unit_id),
        seq: Set(input.seq),
        note: Set(input.note.clone()),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(unit_pairings::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(UNIT_PAIRING, id, expected_version))?;
    let after = UnitPairing::from(model);
    audit::commit(txn, caller, Change::updated(UNIT_PAIRING, Some(id), &before, &after)?).await?;
    Ok(after)
}

pub async fn delete_unit_pairing(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<()> {
    authz::require_admin(&caller.principal, "delete unit pairings")?;
    let txn = begin_write(db).await?;
    let current =
        row_for_change::<unit_pairings::Entity>(&txn, UNIT_PAIRING, id, expected_version, |m| m.version).await?;
    unit_pairings::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(
        txn,
        caller,
        Change::deleted(UNIT_PAIRING, Some(id), &UnitPairing::from(current))?,
    )
    .await?;
    Ok(())
}

/// The pairings with these ids that exist, in no particular order, with a
/// fixed number of queries: for batch loading.
pub async fn get_many<C: ConnectionTrait>(conn: &C, caller: &Caller, ids: &[Uuid]) -> DomainResult<Vec<Pairing>> {
    authz::require_reader(&caller.principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = pairings::Entity::find()
        .filter(pairings::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    pairing_views(conn, models).await
}

/// Each pairing's name as documents write it: 帮扶方·受帮扶方 (渝中区·巫溪县).
pub async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, String>> {
    let rows = pairings::Entity::find()
        .filter(pairings::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    let region_names = names::of(
        conn,
        Named::Regions,
        rows.iter().flat_map(|p| [p.helper_region_id, p.recipient_region_id]),
    )
    .await?;
    let name_of = |id: Uuid| region_names.get(&id).map(String::as_str).unwrap_or_default();
    Ok(rows
        .iter()
        .map(|p| {
            (
                p.id,
                format!("{}·{}", name_of(p.helper_region_id), name_of(p.recipient_region_id)),
            )
        })
        .collect())
}
