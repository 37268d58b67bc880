//! Units (单位: departments, towns, streets, committees, companies), their
//! aliases, and unit groups (各镇街, 区级相关部门单位) by rule or by members.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    regions, reports, task_assignments, unit_aliases, unit_group_members, unit_groups, unit_pairings, units, users,
};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz;
use super::error::Validator;
use super::page::{self, Page, PageRequest, Sort};
use super::region::{contains, parse_stored};
use super::values::UnitKind;
use super::{Caller, DomainError, DomainResult, Store, begin_write, lost_update, row_for_change};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["name"];

const UNIT: &str = "unit";
const GROUP: &str = "unit_group";

/// A unit as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: Uuid,
    pub region_id: Uuid,
    pub name: String,
    pub kind: UnitKind,
    /// Other names of the unit in documents (区就业人才中心 for 区就业和人才中心).
    pub aliases: Vec<String>,
    /// A platform's id of the unit, set by an administrator; unique among units.
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What a unit is made of.
#[derive(Clone, Debug)]
pub struct UnitInput {
    pub region_id: Uuid,
    pub name: String,
    pub kind: UnitKind,
    pub aliases: Vec<String>,
    /// A platform's id of the unit; unique among units.
    pub external_id: Option<String>,
}

/// A named set of a region's units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnitGroup {
    pub id: Uuid,
    pub region_id: Uuid,
    pub name: String,
    /// A group by rule holds every unit of these kinds in its region.
    pub rule_kinds: Option<Vec<UnitKind>>,
    /// Units named explicitly (a group by rule may name extra ones).
    pub member_ids: Vec<Uuid>,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What a unit group is made of.
#[derive(Clone, Debug)]
pub struct UnitGroupInput {
    pub region_id: Uuid,
    pub name: String,
    pub rule_kinds: Option<Vec<UnitKind>>,
    pub member_ids: Vec<Uuid>,
    pub aliases: Vec<String>,
    pub description: Option<String>,
}

async fn aliases_by_owner<C: ConnectionTrait>(
    conn: &C,
    column: unit_aliases::Column,
    ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, Vec<String>>> {
    let mut map: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = unit_aliases::Entity::find()
        .filter(column.is_in(ids.iter().copied()))
        .order_by_asc(unit_aliases::Column::Alias)
        .all(conn)
        .await?;
    for row in rows {
        let owner = match column {
            unit_aliases::Column::UnitId => row.unit_id,
            _ => row.group_id,
        };
        if let Some(owner) = owner {
            map.entry(owner).or_default().push(row.alias);
        }
    }
    Ok(map)
}

/// Builds the views of many units with two queries, whatever their number.
pub async fn unit_views<C: ConnectionTrait>(conn: &C, models: Vec<units::Model>) -> DomainResult<Vec<Unit>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut aliases = aliases_by_owner(conn, unit_aliases::Column::UnitId, &ids).await?;
    models
        .into_iter()
        .map(|m| {
            let own = aliases.remove(&m.id).unwrap_or_default();
            view(m, own)
        })
        .collect()
}

/// A unit as the service shows it: its row and its aliases.
fn view(m: units::Model, aliases: Vec<String>) -> DomainResult<Unit> {
    Ok(Unit {
        id: m.id,
        region_id: m.region_id,
        kind: parse_stored(&m.kind)?,
        aliases,
        name: m.name,
        external_id: m.external_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

async fn unit_view<C: ConnectionTrait>(conn: &C, model: units::Model) -> DomainResult<Unit> {
    super::only(unit_views(conn, vec![model]).await?, "unit")
}

/// Cleans a list of aliases: trimmed, without blanks and duplicates.
fn clean_aliases(aliases: &[String], own_name: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    aliases
        .iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty() && a != own_name.trim())
        .filter(|a| seen.insert(a.clone()))
        .collect()
}

/// Checks that `names` (a name and aliases) name nothing else in the region.
async fn check_names_free<C: ConnectionTrait>(
    conn: &C,
    region_id: Uuid,
    name: &str,
    aliases: &[String],
    own_unit: Option<Uuid>,
    own_group: Option<Uuid>,
) -> DomainResult<()> {
    let mut all: Vec<(&str, &str)> = vec![("name", name.trim())];
    all.extend(aliases.iter().map(|a| ("aliases", a.as_str())));
    for (field, text) in all {
        let unit = units::Entity::find()
            .filter(units::Column::RegionId.eq(region_id))
            .filter(units::Column::Name.eq(text))
            .one(conn)
            .await?;
        let group = unit_groups::Entity::find()
            .filter(unit_groups::Column::RegionId.eq(region_id))
            .filter(unit_groups::Column::Name.eq(text))
            .one(conn)
            .await?;
        let alias = unit_aliases::Entity::find()
            .filter(unit_aliases::Column::RegionId.eq(region_id))
            .filter(unit_aliases::Column::Alias.eq(text))
            .one(conn)
            .await?;
        let clash = unit.is_some_and(|u| Some(u.id) != own_unit)
            || group.is_some_and(|g| Some(g.id) != own_group)
            || alias.is_some_and(|a| {
                (a.unit_id.is_some() && a.unit_id != own_unit) || (a.group_id.is_some() && a.group_id != own_group)
            });
        if clash {
            return Err(DomainError::Conflict {
                message: Text::new("%{alias} already names another unit or group of the region").arg("alias", text),
                field: Some(field.to_owned()),
            });
        }
    }
    Ok(())
}

async fn replace_aliases<C: ConnectionTrait>(
    conn: &C,
    region_id: Uuid,
    unit_id: Option<Uuid>,
    group_id: Option<Uuid>,
    aliases: &[String],
    at: DateTime<Utc>,
) -> DomainResult<()> {
    let owner = match (unit_id, group_id) {
        (Some(id), _) => unit_aliases::Column::UnitId.eq(id),
        (None, Some(id)) => unit_aliases::Column::GroupId.eq(id),
        (None, None) => return Ok(()),
    };
    unit_aliases::Entity::delete_many().filter(owner).exec(conn).await?;
    for alias in aliases {
        unit_aliases::ActiveModel {
            id: Set(Uuid::new_v4()),
            region_id: Set(region_id),
            alias: Set(alias.clone()),
            unit_id: Set(unit_id),
            group_id: Set(group_id),
            created_at: Set(at),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

async fn validate_unit<C: ConnectionTrait>(conn: &C, input: &UnitInput) -> DomainResult<()> {
    let mut v = Validator::new();
    v.text("name", &input.name, 200);
    for (i, alias) in input.aliases.iter().enumerate() {
        v.optional_text(&format!("aliases[{i}]"), Some(alias), 200);
    }
    if regions::Entity::find_by_id(input.region_id).one(conn).await?.is_none() {
        v.add("region_id", crate::domain::no_such("region", input.region_id));
    }
    super::external::check(&mut v, "external_id", input.external_id.as_deref());
    v.finish()
}

pub async fn create_unit(db: &impl Store, caller: &Caller, input: UnitInput) -> DomainResult<Unit> {
    authz::require_admin(&caller.principal, "create units")?;
    let txn = begin_write(db).await?;
    validate_unit(&txn, &input).await?;
    let aliases = clean_aliases(&input.aliases, &input.name);
    check_names_free(&txn, input.region_id, &input.name, &aliases, None, None).await?;
    let at = caller.now();
    let model = units::ActiveModel {
        id: Set(Uuid::new_v4()),
        region_id: Set(input.region_id),
        name: Set(input.name.trim().to_owned()),
        kind: Set(input.kind.as_str().to_owned()),
        external_id: Set(input.external_id.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    replace_aliases(&txn, model.region_id, Some(model.id), None, &aliases, caller.now()).await?;
    let unit = unit_view(&txn, model).await?;
    audit::commit(txn, caller, Change::created(UNIT, Some(unit.id), &unit)?).await?;
    Ok(unit)
}

pub async fn get_unit<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Unit> {
    authz::require_reader(&caller.principal)?;
    let model = super::row::<units::Entity>(conn, UNIT, id).await?;
    unit_view(conn, model).await
}

/// The units of a region (or of every region), by name.
pub async fn list_units<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    region_id: Option<Uuid>,
) -> DomainResult<Vec<Unit>> {
    authz::require_reader(&caller.principal)?;
    let mut query = units::Entity::find();
    if let Some(region_id) = region_id {
        query = query.filter(units::Column::RegionId.eq(region_id));
    }
    let models = query
        .order_by_asc(units::Column::Name)
        .order_by_asc(units::Column::Id)
        .all(conn)
        .await?;
    unit_views(conn, models).await
}

/// What a list of units is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct UnitFilter {
    pub region_id: Option<Uuid>,
    pub kind: Option<UnitKind>,
    /// A part of the unit's name or of one of its aliases.
    pub q: Option<String>,
}

fn unit_name_sort(descending: bool) -> Sort<units::Entity> {
    Sort {
        column: units::Column::Name,
        id: units::Column::Id,
        descending,
        key_of: |m: &units::Model| (serde_json::json!(m.name), m.id),
        value_of: page::text_value,
    }
}

/// Views of one page of unit rows.
async fn unit_page<C: ConnectionTrait>(conn: &C, rows: Page<units::Model>) -> DomainResult<Page<Unit>> {
    rows.then(async |items| unit_views(conn, items).await).await
}

/// The units that meet `filter`, one page by name (`sort`: `name` or `-name`).
pub async fn list_units_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: UnitFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Unit>> {
    authz::require_reader(&caller.principal)?;
    let (_, descending) = page::parse_sort(sort, "name", SORT_KEYS)?;
    let mut query = units::Entity::find();
    if let Some(region_id) = filter.region_id {
        query = query.filter(units::Column::RegionId.eq(region_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(units::Column::Kind.eq(kind.as_str()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let by_alias = sea_orm::sea_query::Query::select()
            .column(unit_aliases::Column::UnitId)
            .from(unit_aliases::Entity)
            .and_where(unit_aliases::Column::UnitId.is_not_null())
            .and_where(contains(unit_aliases::Column::Alias, q))
            .to_owned();
        query = query.filter(
            sea_orm::Condition::any()
                .add(contains(units::Column::Name, q))
                .add(units::Column::Id.in_subquery(by_alias)),
        );
    }
    let rows = page::fetch(conn, query, &unit_name_sort(descending), page).await?;
    unit_page(conn, rows).await
}

pub async fn update_unit(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    input: UnitInput,
) -> DomainResult<Unit> {
    authz::require_admin(&caller.principal, "change units")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<units::Entity>(&txn, UNIT, id, expected_version, |m| m.version).await?;
    validate_unit(&txn, &input).await?;
    if input.region_id != current.region_id {
        return Err(DomainError::invalid(
            "region_id",
            "a unit cannot move to another region",
        ));
    }
    let aliases = clean_aliases(&input.aliases, &input.name);
    check_names_free(&txn, input.region_id, &input.name, &aliases, Some(id), None).await?;
    let before = unit_view(&txn, current).await?;
    let model = units::Entity::update(units::ActiveModel {
        id: ActiveValue::Unchanged(id),
        name: Set(input.name.trim().to_owned()),
        kind: Set(input.kind.as_str().to_owned()),
        external_id: Set(input.external_id.clone()),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(units::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(UNIT, id, expected_version))?;
    replace_aliases(&txn, model.region_id, Some(id), None, &aliases, caller.now()).await?;
    let after = unit_view(&txn, model).await?;
    audit::commit(txn, caller, Change::updated(UNIT, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// Removes a unit that no task, report, user or unit pairing refers to.
pub async fn delete_unit(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    authz::require_admin(&caller.principal, "delete units")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<units::Entity>(&txn, UNIT, id, expected_version, |m| m.version).await?;
    let uses = [
        (
            "task assignments",
            task_assignments::Entity::find()
                .filter(task_assignments::Column::UnitId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "reports",
            reports::Entity::find()
                .filter(reports::Column::UnitId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "users",
            users::Entity::find()
                .filter(users::Column::UnitId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "unit pairings",
            unit_pairings::Entity::find()
                .filter(
                    unit_pairings::Column::HelperUnitId
                        .eq(id)
                        .or(unit_pairings::Column::RecipientUnitId.eq(id)),
                )
                .count(&txn)
                .await?,
        ),
    ];
    let named: Vec<String> = uses
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(w, n)| format!("{n} {w}"))
        .collect();
    if !named.is_empty() {
        return Err(DomainError::conflict(
            Text::new("unit %{name} is still referred to by %{users}")
                .arg("name", &current.name)
                .arg("users", named.join(", ")),
        ));
    }
    let before = unit_view(&txn, current).await?;
    units::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(UNIT, Some(id), &before)?).await?;
    Ok(())
}

/// What a name in a document stands for within a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedUnit {
    Unit(Uuid),
    Group(Uuid),
}

/// Finds the unit or group a region calls `name`, by name or alias.
pub async fn resolve_name<C: ConnectionTrait>(
    conn: &C,
    region_id: Uuid,
    name: &str,
) -> DomainResult<Option<NamedUnit>> {
    let name = name.trim();
    if let Some(unit) = units::Entity::find()
        .filter(units::Column::RegionId.eq(region_id))
        .filter(units::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(Some(NamedUnit::Unit(unit.id)));
    }
    if let Some(group) = unit_groups::Entity::find()
        .filter(unit_groups::Column::RegionId.eq(region_id))
        .filter(unit_groups::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(Some(NamedUnit::Group(group.id)));
    }
    let alias = unit_aliases::Entity::find()
        .filter(unit_aliases::Column::RegionId.eq(region_id))
        .filter(unit_aliases::Column::Alias.eq(name))
        .one(conn)
        .await?;
    Ok(alias.and_then(|a| a.unit_id.map(NamedUnit::Unit).or(a.group_id.map(NamedUnit::Group))))
}

// ---------------------------------------------------------------- groups

fn rule_text(kinds: &Option<Vec<UnitKind>>) -> Option<String> {
    kinds
        .as_ref()
        .map(|ks| ks.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","))
}

/// Builds the views of many groups with three queries, whatever their number.
pub async fn group_views<C: ConnectionTrait>(
    conn: &C,
    models: Vec<unit_groups::Model>,
) -> DomainResult<Vec<UnitGroup>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut aliases = aliases_by_owner(conn, unit_aliases::Column::GroupId, &ids).await?;
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !ids.is_empty() {
        for m in unit_group_members::Entity::find()
            .filter(unit_group_members::Column::GroupId.is_in(ids.iter().copied()))
            .all(conn)
            .await?
        {
            members.entry(m.group_id).or_default().push(m.unit_id);
        }
    }
    models
        .into_iter()
        .map(|m| {
            let rule_kinds = m
                .rule_kinds
                .as_deref()
                .map(|text| {
                    text.split(',')
                        .map(|k| parse_stored::<UnitKind>(k.trim()))
                        .collect::<DomainResult<Vec<_>>>()
                })
                .transpose()?;
            let mut member_ids = members.remove(&m.id).unwrap_or_default();
            member_ids.sort();
            Ok(UnitGroup {
                id: m.id,
                region_id: m.region_id,
                name: m.name,
                rule_kinds,
                member_ids,
                aliases: aliases.remove(&m.id).unwrap_or_default(),
                description: m.description,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

async fn group_view<C: ConnectionTrait>(conn: &C, model: unit_groups::Model) -> DomainResult<UnitGroup> {
    super::only(group_views(conn, vec![model]).await?, "group")
}

async fn validate_group<C: ConnectionTrait>(conn: &C, input: &UnitGroupInput) -> DomainResult<()> {
    let mut v = Validator::new();
    v.text("name", &input.name, 200);
    v.optional_text("description", input.description.as_deref(), 2000);
    if let Some(kinds) = &input.rule_kinds {
        v.check(!kinds.is_empty(), "rule_kinds", "a rule names at least one unit kind");
    }
    v.check(
        input.rule_kinds.is_some() || !input.member_ids.is_empty(),
        "member_ids",
        "a group needs a rule or at least one member",
    );
    if regions::Entity::find_by_id(input.region_id).one(conn).await?.is_none() {
        v.add("region_id", crate::domain::no_such("region", input.region_id));
    }
    for (i, unit_id) in input.member_ids.iter().enumerate() {
        match units::Entity::find_by_id(*unit_id).one(conn).await? {
            None => v.add(format!("member_ids[{i}]"), crate::domain::no_such("unit", unit_id)),
            Some(unit) if unit.region_id != input.region_id => v.add(
                format!("member_ids[{i}]"),
                format!("{} belongs to another region", unit.name),
            ),
            Some(_) => {}
        }
    }
    v.finish()
}

async fn replace_members<C: ConnectionTrait>(
    conn: &C,
    group_id: Uuid,
    member_ids: &[Uuid],
    at: DateTime<Utc>,
) -> DomainResult<()> {
    unit_group_members::Entity::delete_many()
        .filter(unit_group_members::Column::GroupId.eq(group_id))
        .exec(conn)
        .await?;
    let unique: HashSet<Uuid> = member_ids.iter().copied().collect();
    for unit_id in unique {
        unit_group_members::ActiveModel {
            group_id: Set(group_id),
            unit_id: Set(unit_id),
            created_at: Set(at),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

pub async fn create_group(db: &impl Store, caller: &Caller, input: UnitGroupInput) -> DomainResult<UnitGroup> {
    authz::require_admin(&caller.principal, "create unit groups")?;
    let txn = begin_write(db).await?;
    validate_group(&txn, &input).await?;
    let aliases = clean_aliases(&input.aliases, &input.name);
    check_names_free(&txn, input.region_id, &input.name, &aliases, None, None).await?;
    let at = caller.now();
    let model = unit_groups::ActiveModel {
        id: Set(Uuid::new_v4()),
        region_id: Set(input.region_id),
        name: Set(input.name.trim().to_owned()),
        rule_kinds: Set(rule_text(&input.rule_kinds)),
        description: Set(input.description.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    replace_members(&txn, model.id, &input.member_ids, caller.now()).await?;
    replace_aliases(&txn, model.region_id, None, Some(model.id), &aliases, caller.now()).await?;
    let group = group_view(&txn, model).await?;
    audit::commit(txn, caller, Change::created(GROUP, Some(group.id), &group)?).await?;
    Ok(group)
}

pub async fn get_group<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<UnitGroup> {
    authz::require_reader(&caller.principal)?;
    let model = super::row::<unit_groups::Entity>(conn, GROUP, id).await?;
    group_view(conn, model).await
}

pub async fn list_groups<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    region_id: Option<Uuid>,
) -> DomainResult<Vec<UnitGroup>> {
    authz::require_reader(&caller.principal)?;
    let mut query = unit_groups::Entity::find();
    if let Some(region_id) = region_id {
        query = query.filter(unit_groups::Column::RegionId.eq(region_id));
    }
    let models = query
        .order_by_asc(unit_groups::Column::Name)
        .order_by_asc(unit_groups::Column::Id)
        .all(conn)
        .await?;
    group_views(conn, models).await
}

/// The units a group stands for now: its explicit members and every unit
/// its rule takes.
pub async fn group_members<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Vec<Unit>> {
    let group = get_group(conn, caller, id).await?;
    let models = members_query(&group)
        .order_by_asc(units::Column::Name)
        .order_by_asc(units::Column::Id)
        .all(conn)
        .await?;
    unit_views(conn, models).await
}

/// The groups of a region (or of every region), one page by name
/// (`sort`: `name` or `-name`).
pub async fn list_groups_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    region_id: Option<Uuid>,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<UnitGroup>> {
    authz::require_reader(&caller.principal)?;
    let (_, descending) = page::parse_sort(sort, "name", SORT_KEYS)?;
    let mut query = unit_groups::Entity::find();
    if let Some(region_id) = region_id {
        query = query.filter(unit_groups::Column::RegionId.eq(region_id));
    }
    let sort = Sort::<unit_groups::Entity> {
        column: unit_groups::Column::Name,
        id: unit_groups::Column::Id,
        descending,
        key_of: |m: &unit_groups::Model| (serde_json::json!(m.name), m.id),
        value_of: page::text_value,
    };
    let rows = page::fetch(conn, query, &sort, page).await?;
    rows.then(async |items| group_views(conn, items).await).await
}

/// The units a group stands for now (see [`group_members`]), one page by name.
pub async fn group_members_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
    page: &PageRequest,
) -> DomainResult<Page<Unit>> {
    let group = get_group(conn, caller, id).await?;
    let rows = page::fetch(conn, members_query(&group), &unit_name_sort(false), page).await?;
    unit_page(conn, rows).await
}

fn members_query(group: &UnitGroup) -> sea_orm::Select<units::Entity> {
    let query = units::Entity::find().filter(units::Column::RegionId.eq(group.region_id));
    let explicit = units::Column::Id.is_in(group.member_ids.iter().copied());
    match &group.rule_kinds {
        Some(kinds) => query.filter(units::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())).or(explicit)),
        None => query.filter(explicit),
    }
}

pub async fn update_group(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    input: UnitGroupInput,
) -> DomainResult<UnitGroup> {
    authz::require_admin(&caller.principal, "change unit groups")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<unit_groups::Entity>(&txn, GROUP, id, expected_version, |m| m.version).await?;
    validate_group(&txn, &input).await?;
    if input.region_id != current.region_id {
        return Err(DomainError::invalid(
            "region_id",
            "a group cannot move to another region",
        ));
    }
    let aliases = clean_aliases(&input.aliases, &input.name);
    check_names_free(&txn, input.region_id, &input.name, &aliases, None, Some(id)).await?;
    let before = group_view(&txn, current).await?;
    let model = unit_groups::Entity::update(unit_groups::ActiveModel {
        id: ActiveValue::Unchanged(id),
        name: Set(input.name.trim().to_owned()),
        rule_kinds: Set(rule_text(&input.rule_kinds)),
        description: Set(input.description.clone()),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(unit_groups::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(GROUP, id, expected_version))?;
    replace_members(&txn, id, &input.member_ids, caller.now()).await?;
    replace_aliases(&txn, model.region_id, None, Some(id), &aliases, caller.now()).await?;
    let after = group_view(&txn, model).await?;
    audit::commit(txn, caller, Change::updated(GROUP, Some(id), &before, &after)?).await?;
    Ok(after)
}

pub async fn delete_group(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    authz::require_admin(&caller.principal, "delete unit groups")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<unit_groups::Entity>(&txn, GROUP, id, expected_version, |m| m.version).await?;
    let assigned = task_assignments::Entity::find()
        .filter(task_assignments::Column::GroupId.eq(id))
        .count(&txn)
        .await?;
    if assigned > 0 {
        return Err(DomainError::conflict(
            Text::new("group %{name} is assigned to %{tasks} tasks")
                .arg("name", &current.name)
                .arg("tasks", assigned),
        ));
    }
    let before = group_view(&txn, current).await?;
    unit_groups::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(GROUP, Some(id), &before)?).await?;
    Ok(())
}

/// The units of these regions, by name, in a fixed number of statements:
/// for batch loading (`Region.units`).
pub async fn units_of_regions<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    region_ids: &[Uuid],
) -> DomainResult<Vec<Unit>> {
    authz::require_reader(&caller.principal)?;
    if region_ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = units::Entity::find()
        .filter(units::Column::RegionId.is_in(region_ids.iter().copied()))
        .order_by_asc(units::Column::Name)
        .order_by_asc(units::Column::Id)
        .all(conn)
        .await?;
    unit_views(conn, models).await
}

/// The units with these ids that exist, in no particular order, with their
/// aliases, in one statement: for batch loading.
pub async fn get_units<C: ConnectionTrait>(conn: &C, caller: &Caller, ids: &[Uuid]) -> DomainResult<Vec<Unit>> {
    use sea_orm::QuerySelect;
    authz::require_reader(&caller.principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = units::Entity::find()
        .column_as(aliases_as_json(conn.get_database_backend()), "aliases")
        .filter(units::Column::Id.is_in(ids.iter().copied()))
        .into_model::<UnitRow>()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let aliases = serde_json::from_str(&row.aliases)
                .map_err(|e| DomainError::Internal(anyhow::anyhow!("aggregated aliases: {e}")))?;
            let model = units::Model {
                id: row.id,
                region_id: row.region_id,
                name: row.name,
                kind: row.kind,
                external_id: row.external_id,
                created_at: row.created_at,
                updated_at: row.updated_at,
                version: row.version,
            };
            view(model, aliases)
        })
        .collect()
}

/// A unit with its aliases, read in one statement.
#[derive(sea_orm::FromQueryResult)]
struct UnitRow {
    id: Uuid,
    region_id: Uuid,
    name: String,
    kind: String,
    external_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i32,
    /// A JSON array of strings, in the order [`aliases_by_owner`] gives.
    aliases: String,
}

/// The aliases of the row's unit (`units`) as a JSON array, in the same
/// order as [`aliases_by_owner`]: a column of [`UnitRow`].
fn aliases_as_json(backend: sea_orm::DatabaseBackend) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::cust(match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "(SELECT coalesce(json_agg(a.alias ORDER BY a.alias), '[]')::text \
             FROM unit_aliases a WHERE a.unit_id = units.id)"
        }
        _ => {
            "(SELECT json_group_array(alias) FROM \
             (SELECT a.alias FROM unit_aliases a WHERE a.unit_id = units.id ORDER BY a.alias))"
        }
    })
}

/// The unit groups with these ids that exist, in no particular order, with
/// a fixed number of queries: for batch loading.
pub async fn get_groups<C: ConnectionTrait>(conn: &C, caller: &Caller, ids: &[Uuid]) -> DomainResult<Vec<UnitGroup>> {
    authz::require_reader(&caller.principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = unit_groups::Entity::find()
        .filter(unit_groups::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    group_views(conn, models).await
}
