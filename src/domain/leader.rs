//! Leaders (牵头领导): the officials who lead tasks, as records of their
//! region, so that each can watch his or her own list.
//!
//! A task keeps its leaders' names in the document's order (`leaders`);
//! writing them links the task to the region's leader of that name, made on
//! first use. A pairing's list is led by the helping district's leaders.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{leaders, pairing_co_helpers, pairings, plans, task_leaders, tasks};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;
use uuid::Uuid;

use super::authz::{self, Visibility};
use super::page::{self, Page, PageRequest, Sort};
use super::{Caller, DomainError, DomainResult};

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["name", "created_at"];

const ENTITY: &str = "leader";

/// A leader (牵头领导).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Leader {
    pub id: Uuid,
    /// 冯星贵
    pub name: String,
    /// 区委副书记、区长, when known.
    pub title: Option<String>,
    /// The region the leader serves.
    pub region_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<leaders::Model> for Leader {
    fn from(m: leaders::Model) -> Leader {
        Leader {
            id: m.id,
            name: m.name,
            title: m.title,
            region_id: m.region_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// The region whose leaders lead a plan's tasks: the region's own plan's
/// region, or the helping district of a pairing's list.
pub async fn region_of_plan<C: ConnectionTrait>(conn: &C, plan: &plans::Model) -> DomainResult<Uuid> {
    if let Some(region) = plan.region_id {
        return Ok(region);
    }
    let pairing_id = plan.pairing_id.unwrap_or_default();
    let pairing = pairings::Entity::find_by_id(pairing_id)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("plan {} has no owner", plan.id)))?;
    Ok(pairing.helper_region_id)
}

/// Links a task to the leaders named `names` (in that order) of `region`,
/// making those not yet recorded; the task's previous links go.
pub async fn link<C: ConnectionTrait>(
    conn: &C,
    at: DateTime<Utc>,
    task_id: Uuid,
    region: Uuid,
    names: &[String],
) -> DomainResult<()> {
    task_leaders::Entity::delete_many()
        .filter(task_leaders::Column::TaskId.eq(task_id))
        .exec(conn)
        .await?;
    let mut seen = HashSet::new();
    for (position, name) in names.iter().map(|n| n.trim()).enumerate() {
        if name.is_empty() || !seen.insert(name) {
            continue;
        }
        let existing = leaders::Entity::find()
            .filter(leaders::Column::RegionId.eq(region))
            .filter(leaders::Column::Name.eq(name))
            .one(conn)
            .await?;
        let leader_id = match existing {
            Some(leader) => leader.id,
            None => {
                leaders::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    region_id: Set(region),
                    name: Set(name.to_owned()),
                    title: Set(None),
                    created_at: Set(at),
                    updated_at: Set(at),
                    version: Set(1),
                }
                .insert(conn)
                .await?
                .id
            }
        };
        task_leaders::ActiveModel {
            task_id: Set(task_id),
            leader_id: Set(leader_id),
            position: Set(position as i32),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// The leader ids of each task, in the order its names are written.
pub async fn ids_of_tasks<C: ConnectionTrait>(conn: &C, task_ids: &[Uuid]) -> DomainResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut links = Vec::new();
    for chunk in task_ids.chunks(500) {
        links.extend(
            task_leaders::Entity::find()
                .filter(task_leaders::Column::TaskId.is_in(chunk.iter().copied()))
                .all(conn)
                .await?,
        );
    }
    Ok(by_task(links))
}

/// The leaders' ids of each task of `in_scope` (a statement selecting
/// task ids), in their order.
pub(crate) async fn ids_in<C: ConnectionTrait>(
    conn: &C,
    in_scope: &SelectStatement,
) -> DomainResult<HashMap<Uuid, Vec<Uuid>>> {
    let links = task_leaders::Entity::find()
        .filter(task_leaders::Column::TaskId.in_subquery(in_scope.clone()))
        .all(conn)
        .await?;
    Ok(by_task(links))
}

/// Links grouped by task, each task's in their order.
fn by_task(links: Vec<task_leaders::Model>) -> HashMap<Uuid, Vec<Uuid>> {
    let mut out: HashMap<Uuid, Vec<(i32, Uuid)>> = HashMap::new();
    for link in links {
        out.entry(link.task_id)
            .or_default()
            .push((link.position, link.leader_id));
    }
    out.into_iter()
        .map(|(task, mut links)| {
            links.sort();
            (task, links.into_iter().map(|(_, id)| id).collect())
        })
        .collect()
}

/// The leaders a principal sees, as SQL: every one for those who read
/// everything; otherwise those of its region and of the regions it is
/// paired with (whose leaders lead the lists it takes part in).
async fn visible<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<Condition> {
    let sight = Visibility::of(conn, &caller.principal).await?;
    if caller.principal.reads_everything() {
        return Ok(Condition::all());
    }
    let Some(region) = sight.region() else {
        return Ok(Condition::all().add(Expr::cust("1 = 0")));
    };
    let mut regions: HashSet<Uuid> = HashSet::from([region]);
    let co_helped: Vec<Uuid> = pairing_co_helpers::Entity::find()
        .filter(pairing_co_helpers::Column::RegionId.eq(region))
        .select_only()
        .column(pairing_co_helpers::Column::PairingId)
        .into_tuple()
        .all(conn)
        .await?;
    for p in pairings::Entity::find()
        .filter(
            Condition::any()
                .add(pairings::Column::HelperRegionId.eq(region))
                .add(pairings::Column::RecipientRegionId.eq(region))
                .add(pairings::Column::Id.is_in(co_helped)),
        )
        .all(conn)
        .await?
    {
        regions.extend([p.helper_region_id, p.recipient_region_id]);
    }
    Ok(Condition::all().add(leaders::Column::RegionId.is_in(regions)))
}

/// A leader the caller may see; one it may not see does not exist.
pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Leader> {
    authz::require_reader(&caller.principal)?;
    leaders::Entity::find_by_id(id)
        .filter(visible(conn, caller).await?)
        .one(conn)
        .await?
        .map(Leader::from)
        .ok_or_else(|| DomainError::not_found(ENTITY, id))
}

/// The tasks a leader named in a filter (`leader_id`) leads, as SQL; a
/// leader the caller may not see is an invalid `leader_id`.
pub async fn tasks_led<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<SelectStatement> {
    get(conn, caller, id).await.map_err(|e| e.naming("leader_id"))?;
    Ok(Query::select()
        .column(task_leaders::Column::TaskId)
        .from(task_leaders::Entity)
        .and_where(task_leaders::Column::LeaderId.eq(id))
        .to_owned())
}

/// What the leader list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct LeaderFilter {
    pub region_id: Option<Uuid>,
    /// A part of the name.
    pub q: Option<String>,
}

/// The leaders the caller may see, one page by name.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: LeaderFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Leader>> {
    authz::require_reader(&caller.principal)?;
    let (field, descending) = page::parse_sort(sort, "name", SORT_KEYS)?;
    let mut query = leaders::Entity::find().filter(visible(conn, caller).await?);
    if let Some(region) = filter.region_id {
        query = query.filter(leaders::Column::RegionId.eq(region));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(super::region::contains(leaders::Column::Name, q));
    }
    let sort = match field {
        "name" => Sort::<leaders::Entity> {
            column: leaders::Column::Name,
            id: leaders::Column::Id,
            descending,
            key_of: |m: &leaders::Model| (serde_json::json!(m.name), m.id),
            value_of: page::text_value,
        },
        _ => Sort {
            column: leaders::Column::CreatedAt,
            id: leaders::Column::Id,
            descending,
            key_of: |m: &leaders::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    Ok(page::fetch(conn, query, &sort, page).await?.map(Leader::from))
}

/// Links the tasks whose leaders were written before leaders were records
/// (run when the service starts; a task already linked is left alone).
pub async fn link_stored<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    let unlinked = tasks::Entity::find()
        .filter(Expr::cust("CAST(leaders AS TEXT) <> '[]'"))
        .filter(
            tasks::Column::Id.not_in_subquery(
                Query::select()
                    .column(task_leaders::Column::TaskId)
                    .from(task_leaders::Entity)
                    .to_owned(),
            ),
        )
        .all(conn)
        .await?;
    let mut regions: HashMap<Uuid, Uuid> = HashMap::new();
    let at = Utc::now();
    for task in unlinked {
        let names: Vec<String> = serde_json::from_value(task.leaders).unwrap_or_default();
        if names.iter().all(|n| n.trim().is_empty()) {
            continue;
        }
        let region = match regions.get(&task.plan_id) {
            Some(region) => *region,
            None => {
                let Some(plan) = plans::Entity::find_by_id(task.plan_id).one(conn).await? else {
                    continue;
                };
                let region = region_of_plan(conn, &plan).await?;
                regions.insert(plan.id, region);
                region
            }
        };
        link(conn, at, task.id, region, &names).await?;
    }
    Ok(())
}
