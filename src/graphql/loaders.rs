//! Batch loading of relations (task → plan, plan → tasks, task → reports,
//! unit → region …): every key asked for while one level of a query
//! resolves becomes one domain call, so the number of SQL statements does
//! not grow with the number of rows. A loader acts for one caller and
//! shows only what the domain lets that caller see.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::DomainResultExt;
use crate::domain::Caller;
use crate::domain::event::{self, Event};
use crate::domain::pairing::{self, Pairing};
use crate::domain::plan::{self, Plan};
use crate::domain::progress::{self, PlanProgress};
use crate::domain::region::{self, Region};
use crate::domain::report::{self, Report};
use crate::domain::task::{self, Placed, Task};
use crate::domain::unit::{self, Unit, UnitGroup};
use crate::domain::user::{self, User};
use crate::domain::values::AssignmentRole;

/// The loader of one request: its caller and the database.
pub struct DomainLoader {
    db: DatabaseConnection,
    caller: Caller,
}

impl DomainLoader {
    pub fn new(db: DatabaseConnection, caller: Caller) -> DomainLoader {
        DomainLoader { db, caller }
    }
}

/// A region by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionKey(pub Uuid);
/// A unit by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnitKey(pub Uuid);
/// A unit group by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupKey(pub Uuid);
/// A pairing by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PairingKey(pub Uuid);
/// A plan by id, if the caller may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlanKey(pub Uuid);
/// A task by id, if the caller may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskKey(pub Uuid);
/// The places of the tasks of a plan that the caller may see, in document
/// order (the page shown is built through [`TaskKey`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlanTasksKey(pub Uuid);
/// The reports on a task that the caller may see, by period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskReportsKey(pub Uuid);

/// The units of a region, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionUnitsKey(pub Uuid);
/// The regions whose parent a region is, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionChildrenKey(pub Uuid);
/// The plans of a pairing that the caller may see, newest year first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PairingPlansKey(pub Uuid);
/// The chronicle (大事记) of a pairing, by day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PairingEventsKey(pub Uuid);

/// Groups `items` under the keys asked for (every key gets a list, empty
/// when nothing is its), in their order.
fn grouped<K: Copy + Eq + std::hash::Hash, T>(
    keys: &[K],
    items: Vec<T>,
    key_of: impl Fn(&T) -> K,
) -> HashMap<K, Vec<T>> {
    let mut out: HashMap<K, Vec<T>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for item in items {
        out.entry(key_of(&item)).or_default().push(item);
    }
    out
}

impl Loader<RegionUnitsKey> for DomainLoader {
    type Value = Vec<Unit>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RegionUnitsKey]) -> Loaded<RegionUnitsKey, Vec<Unit>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = unit::units_of_regions(&self.db, &self.caller, &ids).await.gql()?;
        Ok(grouped(keys, found, |u| RegionUnitsKey(u.region_id)))
    }
}

impl Loader<RegionChildrenKey> for DomainLoader {
    type Value = Vec<Region>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RegionChildrenKey]) -> Loaded<RegionChildrenKey, Vec<Region>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = region::children_of(&self.db, &self.caller, &ids).await.gql()?;
        Ok(grouped(keys, found, |r| {
            RegionChildrenKey(r.parent_id.unwrap_or_default())
        }))
    }
}

impl Loader<PairingPlansKey> for DomainLoader {
    type Value = Vec<Plan>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PairingPlansKey]) -> Loaded<PairingPlansKey, Vec<Plan>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = plan::of_pairings(&self.db, &self.caller, &ids).await.gql()?;
        Ok(grouped(keys, found, |p| {
            PairingPlansKey(p.pairing_id.unwrap_or_default())
        }))
    }
}

impl Loader<PairingEventsKey> for DomainLoader {
    type Value = Vec<Event>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PairingEventsKey]) -> Loaded<PairingEventsKey, Vec<Event>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = event::of_pairings(&self.db, &self.caller, &ids).await.gql()?;
        Ok(grouped(keys, found, |e| PairingEventsKey(e.pairing_id)))
    }
}

/// The pairings a region takes part in, by creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionPairingsKey(pub Uuid);

impl Loader<RegionPairingsKey> for DomainLoader {
    type Value = Vec<Pairing>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RegionPairingsKey]) -> Loaded<RegionPairingsKey, Vec<Pairing>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = pairing::of_regions(&self.db, &self.caller, &ids).await.gql()?;
        let mut out = grouped(keys, found, |(region, _)| RegionPairingsKey(*region));
        Ok(out
            .drain()
            .map(|(key, found)| (key, found.into_iter().map(|(_, p)| p).collect()))
            .collect())
    }
}

/// The tasks a unit works on that the caller may see, in document order;
/// with a role, only where it leads or only where it supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnitTasksKey(pub Uuid, pub Option<AssignmentRole>);

impl Loader<UnitTasksKey> for DomainLoader {
    type Value = Vec<Placed>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UnitTasksKey]) -> Loaded<UnitTasksKey, Vec<Placed>> {
        let mut out: HashMap<UnitTasksKey, Vec<Placed>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        // One domain call for each role asked for: at most three.
        let mut roles: Vec<Option<AssignmentRole>> = keys.iter().map(|k| k.1).collect();
        roles.sort_by_key(|r| r.map(AssignmentRole::as_str));
        roles.dedup();
        for role in roles {
            let ids: Vec<Uuid> = keys.iter().filter(|k| k.1 == role).map(|k| k.0).collect();
            for (unit, t) in task::of_units(&self.db, &self.caller, &ids, role).await.gql()? {
                out.entry(UnitTasksKey(unit, role)).or_default().push(t);
            }
        }
        Ok(out)
    }
}

/// A plan's progress over the tasks the caller may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlanProgressKey(pub Uuid);

impl Loader<PlanProgressKey> for DomainLoader {
    type Value = PlanProgress;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PlanProgressKey]) -> Loaded<PlanProgressKey, PlanProgress> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = progress::of_plans(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|p| (PlanProgressKey(p.plan_id), p)).collect())
    }
}

/// A user named by a record the caller sees (a report's maker, a
/// comment's author).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ActorKey(pub Uuid);

/// The latest approved consolidated report on a task (its figure for the
/// year to date), for tasks the caller has been allowed to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LatestApprovedKey(pub Uuid);

type Loaded<K, V> = async_graphql::Result<HashMap<K, V>>;

impl Loader<RegionKey> for DomainLoader {
    type Value = Region;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RegionKey]) -> Loaded<RegionKey, Region> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = region::get_many(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|r| (RegionKey(r.id), r)).collect())
    }
}

impl Loader<ActorKey> for DomainLoader {
    type Value = User;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ActorKey]) -> Loaded<ActorKey, User> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = user::named_by_records(&self.db, &ids).await.gql()?;
        Ok(found.into_iter().map(|u| (ActorKey(u.id), u)).collect())
    }
}

impl Loader<UnitKey> for DomainLoader {
    type Value = Unit;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UnitKey]) -> Loaded<UnitKey, Unit> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = unit::get_units(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|u| (UnitKey(u.id), u)).collect())
    }
}

impl Loader<GroupKey> for DomainLoader {
    type Value = UnitGroup;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[GroupKey]) -> Loaded<GroupKey, UnitGroup> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = unit::get_groups(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|g| (GroupKey(g.id), g)).collect())
    }
}

impl Loader<PairingKey> for DomainLoader {
    type Value = Pairing;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PairingKey]) -> Loaded<PairingKey, Pairing> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = pairing::get_many(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|p| (PairingKey(p.id), p)).collect())
    }
}

impl Loader<PlanKey> for DomainLoader {
    type Value = Plan;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PlanKey]) -> Loaded<PlanKey, Plan> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = plan::get_many(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|p| (PlanKey(p.id), p)).collect())
    }
}

impl Loader<TaskKey> for DomainLoader {
    type Value = Task;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TaskKey]) -> Loaded<TaskKey, Task> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = task::get_many(&self.db, &self.caller, &ids).await.gql()?;
        Ok(found.into_iter().map(|t| (TaskKey(t.id), t)).collect())
    }
}

impl Loader<PlanTasksKey> for DomainLoader {
    type Value = Vec<Placed>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PlanTasksKey]) -> Loaded<PlanTasksKey, Vec<Placed>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = task::placed_by_plans(&self.db, &self.caller, &ids).await.gql()?;
        Ok(grouped(keys, found, |t| PlanTasksKey(t.plan_id)))
    }
}

impl Loader<TaskReportsKey> for DomainLoader {
    type Value = Vec<Report>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TaskReportsKey]) -> Loaded<TaskReportsKey, Vec<Report>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = report::list_by_tasks(&self.db, &self.caller, &ids).await.gql()?;
        Ok(grouped(keys, found, |r| TaskReportsKey(r.task_id)))
    }
}

impl Loader<LatestApprovedKey> for DomainLoader {
    type Value = crate::domain::report::Report;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[LatestApprovedKey]) -> Loaded<LatestApprovedKey, crate::domain::report::Report> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = crate::domain::progress::latest_approved(&self.db, &ids).await.gql()?;
        Ok(found.into_iter().map(|(id, r)| (LatestApprovedKey(id), r)).collect())
    }
}
