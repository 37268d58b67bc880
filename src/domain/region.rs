//! Regions (行政区划): provinces, cities, districts, counties and
//! development zones, with their codes and clusters.

use chrono::{DateTime, Utc};
use entity::{pairing_co_helpers, pairings, plans, regions, unit_groups, units};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz;
use super::error::Validator;
use super::page::{self, Page, PageRequest, Sort};
use super::values::{Cluster, RegionKind};
use super::{Caller, DomainError, DomainResult, Store, begin_write, lost_update, row_for_change};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["name", "created_at"];

const ENTITY: &str = "region";

/// A region as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Region {
    pub id: Uuid,
    /// 行政区划代码: six digits; none for development zones.
    pub code: Option<String>,
    pub name: String,
    pub kind: RegionKind,
    /// 一区两群 cluster, none outside Chongqing.
    pub cluster: Option<Cluster>,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Region {
    fn from_model(m: regions::Model) -> DomainResult<Region> {
        Ok(Region {
            id: m.id,
            code: m.code,
            name: m.name,
            kind: parse_stored(&m.kind)?,
            cluster: m.cluster.as_deref().map(parse_stored).transpose()?,
            parent_id: m.parent_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// Parses a value the database holds; the migrations' checks make failure a
/// sign of a corrupt row, not of bad input.
pub(crate) fn parse_stored<T>(text: &str) -> DomainResult<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored value: {e}")))
}

/// What a region is made of, for creating or replacing one.
#[derive(Clone, Debug)]
pub struct RegionInput {
    pub code: Option<String>,
    pub name: String,
    pub kind: RegionKind,
    pub cluster: Option<Cluster>,
    pub parent_id: Option<Uuid>,
}

async fn validate<C: ConnectionTrait>(conn: &C, input: &RegionInput, id: Option<Uuid>) -> DomainResult<()> {
    let mut v = Validator::new();
    v.text("name", &input.name, 100);
    if let Some(code) = &input.code {
        v.check(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "code",
            "must be six digits (行政区划代码)",
        );
        v.check(
            input.kind != RegionKind::DevelopmentZone,
            "code",
            "a development zone has no 行政区划代码",
        );
    }
    if let Some(parent_id) = input.parent_id {
        if Some(parent_id) == id {
            v.add("parent_id", "a region cannot be its own parent");
        } else if regions::Entity::find_by_id(parent_id).one(conn).await?.is_none() {
            v.add("parent_id", crate::domain::no_such("region", parent_id));
        }
    }
    v.finish()?;

    if let Some(code) = &input.code {
        let taken = regions::Entity::find()
            .filter(regions::Column::Code.eq(code.as_str()))
            .filter(regions::Column::Id.ne(id.unwrap_or_default()))
            .one(conn)
            .await?;
        if let Some(other) = taken {
            return Err(DomainError::Conflict {
                message: Text::new("region code %{code} is already used by %{name}")
                    .arg("code", code)
                    .arg("name", &other.name),
                field: Some("code".into()),
            });
        }
    }
    let same_name = regions::Entity::find()
        .filter(regions::Column::Name.eq(input.name.trim()))
        .filter(match input.parent_id {
            Some(parent) => regions::Column::ParentId.eq(parent),
            None => regions::Column::ParentId.is_null(),
        })
        .filter(regions::Column::Id.ne(id.unwrap_or_default()))
        .count(conn)
        .await?;
    if same_name > 0 {
        return Err(DomainError::Conflict {
            message: Text::new("a region named %{name} already exists under the same parent")
                .arg("name", input.name.trim()),
            field: Some("name".into()),
        });
    }
    Ok(())
}

pub async fn create(db: &impl Store, caller: &Caller, input: RegionInput) -> DomainResult<Region> {
    authz::require_admin(&caller.principal, "create regions")?;
    let txn = begin_write(db).await?;
    validate(&txn, &input, None).await?;
    let at = caller.now();
    let model = regions::ActiveModel {
        id: Set(Uuid::new_v4()),
        code: Set(input.code),
        name: Set(input.name.trim().to_owned()),
        kind: Set(input.kind.as_str().to_owned()),
        cluster: Set(input.cluster.map(|c| c.as_str().to_owned())),
        parent_id: Set(input.parent_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let region = Region::from_model(model)?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(region.id), &region)?).await?;
    Ok(region)
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Region> {
    authz::require_reader(&caller.principal)?;
    let model = super::row::<regions::Entity>(conn, ENTITY, id).await?;
    Region::from_model(model)
}

/// Every region, by name.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<Vec<Region>> {
    authz::require_reader(&caller.principal)?;
    by_name(conn, regions::Entity::find()).await
}

/// The regions `query` finds, by name.
async fn by_name<C: ConnectionTrait>(conn: &C, query: sea_orm::Select<regions::Entity>) -> DomainResult<Vec<Region>> {
    query
        .order_by_asc(regions::Column::Name)
        .order_by_asc(regions::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Region::from_model)
        .collect()
}

/// The regions whose parent is one of `parent_ids` (a city's districts
/// and counties), by name, in one statement: for batch loading
/// (`Region.children`).
pub async fn children_of<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    parent_ids: &[Uuid],
) -> DomainResult<Vec<Region>> {
    authz::require_reader(&caller.principal)?;
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = regions::Entity::find().filter(regions::Column::ParentId.is_in(parent_ids.iter().copied()));
    by_name(conn, query).await
}

/// What a list of regions is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct RegionFilter {
    pub kind: Option<RegionKind>,
    pub cluster: Option<Cluster>,
    pub parent_id: Option<Uuid>,
    /// A part of the name or of the code.
    pub q: Option<String>,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern that finds
/// `text` anywhere.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A condition that `column` contains `text`.
pub(crate) fn contains(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, LikeExpr};
    Expr::col(column).like(LikeExpr::new(like_pattern(text)).escape('\\'))
}

/// The regions that meet `filter`, one page in `sort` order (`name` or
/// `created_at`; `-` for descending; by name when none).
pub async fn list_page<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: RegionFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Region>> {
    authz::require_reader(&caller.principal)?;
    let (field, descending) = page::parse_sort(sort, "name", SORT_KEYS)?;
    let mut query = regions::Entity::find();
    if let Some(kind) = filter.kind {
        query = query.filter(regions::Column::Kind.eq(kind.as_str()));
    }
    if let Some(cluster) = filter.cluster {
        query = query.filter(regions::Column::Cluster.eq(cluster.as_str()));
    }
    if let Some(parent_id) = filter.parent_id {
        query = query.filter(regions::Column::ParentId.eq(parent_id));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            sea_orm::Condition::any()
                .add(contains(regions::Column::Name, q))
                .add(contains(regions::Column::Code, q)),
        );
    }
    let sort = match field {
        "name" => Sort::<regions::Entity> {
            column: regions::Column::Name,
            id: regions::Column::Id,
            descending,
            key_of: |m: &regions::Model| (serde_json::json!(m.name), m.id),
            value_of: page::text_value,
        },
        _ => Sort {
            column: regions::Column::CreatedAt,
            id: regions::Column::Id,
            descending,
            key_of: |m: &regions::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    page::fetch(conn, query, &sort, page).await?.try_map(Region::from_model)
}

/// Finds a region by its name, as the CLI and the import files write it
/// (`渝中区`), or by its code.
pub async fn find_by_name<C: ConnectionTrait>(conn: &C, name: &str) -> DomainResult<Region> {
    let name = name.trim();
    let found = regions::Entity::find()
        .filter(regions::Column::Name.eq(name).or(regions::Column::Code.eq(name)))
        .all(conn)
        .await?;
    match found.len() {
        0 => Err(DomainError::not_found(ENTITY, name)),
        1 => Region::from_model(
            found
                .into_iter()
                .next()
                .ok_or_else(|| DomainError::not_found(ENTITY, name))?,
        ),
        n => Err(DomainError::conflict(
            Text::new("%{count} regions are named %{name}; name it by its code instead")
                .arg("count", n)
                .arg("name", name),
        )),
    }
}

pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    input: RegionInput,
) -> DomainResult<Region> {
    authz::require_admin(&caller.principal, "change regions")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<regions::Entity>(&txn, ENTITY, id, expected_version, |m| m.version).await?;
    validate(&txn, &input, Some(id)).await?;
    let before = Region::from_model(current)?;
    let model = regions::Entity::update(regions::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        code: Set(input.code),
        name: Set(input.name.trim().to_owned()),
        kind: Set(input.kind.as_str().to_owned()),
        cluster: Set(input.cluster.map(|c| c.as_str().to_owned())),
        parent_id: Set(input.parent_id),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(regions::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    let after = Region::from_model(model)?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// Removes a region that nothing refers to any more.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    authz::require_admin(&caller.principal, "delete regions")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<regions::Entity>(&txn, ENTITY, id, expected_version, |m| m.version).await?;
    let in_use = [
        (
            "sub-regions",
            regions::Entity::find()
                .filter(regions::Column::ParentId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "units",
            units::Entity::find()
                .filter(units::Column::RegionId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "unit groups",
            unit_groups::Entity::find()
                .filter(unit_groups::Column::RegionId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "pairings",
            pairings::Entity::find()
                .filter(
                    pairings::Column::HelperRegionId
                        .eq(id)
                        .or(pairings::Column::RecipientRegionId.eq(id)),
                )
                .count(&txn)
                .await?
                + pairing_co_helpers::Entity::find()
                    .filter(pairing_co_helpers::Column::RegionId.eq(id))
                    .count(&txn)
                    .await?,
        ),
        (
            "plans",
            plans::Entity::find()
                .filter(plans::Column::RegionId.eq(id))
                .count(&txn)
                .await?,
        ),
    ];
    let users: Vec<String> = in_use
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    if !users.is_empty() {
        return Err(DomainError::conflict(
            Text::new("region %{name} is still referred to by %{users}")
                .arg("name", &current.name)
                .arg("users", users.join(", ")),
        ));
    }
    let before = Region::from_model(current)?;
    regions::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &before)?).await?;
    Ok(())
}

/// The regions with these ids that exist, in no particular order: one
/// query, for the batch loading of the GraphQL API.
pub async fn get_many<C: ConnectionTrait>(conn: &C, caller: &Caller, ids: &[Uuid]) -> DomainResult<Vec<Region>> {
    authz::require_reader(&caller.principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    regions::Entity::find()
        .filter(regions::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Region::from_model)
        .collect()
}
