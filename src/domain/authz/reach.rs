//! What an integration client serves ([`Reach`]): the union of its grants,
//! for reading (every grant) and for writing (its `write` grants, when its
//! token carries `write`). [`super::Visibility`] asks it for both the row
//! check and the SQL condition, as it asks a person's region.

use std::collections::BTreeSet;

use entity::{change_regions, changes, client_grants, plans};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::visibility::{pairings_of_region, plans_of_region};
use super::{pairing_regions, plan_regions};
use crate::domain::{ClientPrincipal, DomainResult};

/// What one grant names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every row: the grant of clients made before grants existed, and of
    /// new clients until an administrator narrows it.
    All,
    /// The region's plans and those of every pairing it takes part in
    /// (helper, co-helper or recipient), as its coordinators see them, and
    /// those pairings' projects.
    Region(Uuid),
    /// The pairing's plans and projects.
    Pairing(Uuid),
    /// The plan, its tasks and their reports.
    Plan(Uuid),
}

impl Target {
    /// The target a grant row names.
    pub fn of(row: &client_grants::Model) -> Target {
        match (row.region_id, row.pairing_id, row.plan_id) {
            (Some(region), _, _) => Target::Region(region),
            (_, Some(pairing), _) => Target::Pairing(pairing),
            (_, _, Some(plan)) => Target::Plan(plan),
            _ => Target::All,
        }
    }
}

/// A union of targets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    all: bool,
    regions: BTreeSet<Uuid>,
    pairings: BTreeSet<Uuid>,
    plans: BTreeSet<Uuid>,
}

impl Targets {
    fn add(&mut self, target: Target) {
        match target {
            Target::All => self.all = true,
            Target::Region(id) => {
                self.regions.insert(id);
            }
            Target::Pairing(id) => {
                self.pairings.insert(id);
            }
            Target::Plan(id) => {
                self.plans.insert(id);
            }
        }
    }

    /// Every row.
    pub fn all(&self) -> bool {
        self.all
    }

    fn is_empty(&self) -> bool {
        !self.all && self.regions.is_empty() && self.pairings.is_empty() && self.plans.is_empty()
    }

    /// Whether `plan` is in these targets.
    pub async fn covers_plan<C: ConnectionTrait>(&self, conn: &C, plan: &plans::Model) -> DomainResult<bool> {
        if self.all || self.plans.contains(&plan.id) || plan.pairing_id.is_some_and(|p| self.pairings.contains(&p)) {
            return Ok(true);
        }
        if self.regions.is_empty() {
            return Ok(false);
        }
        Ok(plan_regions(conn, plan).await?.iter().any(|r| self.regions.contains(r)))
    }

    /// Whether the pairing (its projects, its chronicle) is in these
    /// targets: a grant of it, or of one of its regions. A plan's grant
    /// does not reach its pairing.
    pub async fn covers_pairing<C: ConnectionTrait>(&self, conn: &C, pairing: Uuid) -> DomainResult<bool> {
        if self.all || self.pairings.contains(&pairing) {
            return Ok(true);
        }
        if self.regions.is_empty() {
            return Ok(false);
        }
        Ok(pairing_regions(conn, pairing)
            .await?
            .iter()
            .any(|r| self.regions.contains(r)))
    }

    /// The plans [`Targets::covers_plan`] covers, as SQL on `plans`.
    pub fn plans(&self) -> Condition {
        if self.all {
            return Condition::all();
        }
        if self.is_empty() {
            return super::visibility::nothing();
        }
        let mut cond = Condition::any();
        if !self.plans.is_empty() {
            cond = cond.add(plans::Column::Id.is_in(self.plans.iter().copied()));
        }
        if !self.pairings.is_empty() {
            cond = cond.add(plans::Column::PairingId.is_in(self.pairings.iter().copied()));
        }
        for region in &self.regions {
            cond = cond.add(plans_of_region(*region));
        }
        cond
    }

    /// The pairings [`Targets::covers_pairing`] covers, as SQL on `column`
    /// (a pairing id); every row when unrestricted.
    pub fn pairings(&self, column: impl ColumnTrait) -> Condition {
        if self.all {
            return Condition::all();
        }
        let mut cond = Condition::any();
        if !self.pairings.is_empty() {
            cond = cond.add(column.is_in(self.pairings.iter().copied()));
        }
        for region in &self.regions {
            cond = cond.add(column.in_subquery(pairings_of_region(*region)));
        }
        if cond.is_empty() {
            super::visibility::nothing()
        } else {
            cond
        }
    }

    /// The changes of the feed these targets reach, as SQL on `changes`:
    /// those of the regions granted (as their coordinators read them), of
    /// the pairings and of the plans.
    pub fn changes(&self) -> Condition {
        let mut cond = Condition::any();
        if !self.regions.is_empty() {
            cond = cond.add(changes::Column::Id.in_subquery(self.changes_of_regions()));
        }
        if !self.pairings.is_empty() {
            cond = cond.add(changes::Column::PairingId.is_in(self.pairings.iter().copied()));
        }
        if !self.plans.is_empty() {
            cond = cond.add(changes::Column::PlanId.is_in(self.plans.iter().copied()));
        }
        if cond.is_empty() {
            super::visibility::nothing()
        } else {
            cond
        }
    }

    fn changes_of_regions(&self) -> SelectStatement {
        Query::select()
            .column(change_regions::Column::ChangeId)
            .from(change_regions::Entity)
            .and_where(change_regions::Column::RegionId.is_in(self.regions.iter().copied()))
            .to_owned()
    }

    /// Whether a change that concerns `regions`, `pairing` and `plan` is
    /// in these targets ([`Targets::changes`], for one change in memory).
    pub fn covers_change(&self, regions: &BTreeSet<Uuid>, pairing: Option<Uuid>, plan: Option<Uuid>) -> bool {
        self.all
            || regions.iter().any(|r| self.regions.contains(r))
            || pairing.is_some_and(|p| self.pairings.contains(&p))
            || plan.is_some_and(|p| self.plans.contains(&p))
    }
}

/// What a client reaches: every grant for reading, the `write` grants for
/// writing (when its token carries `write`; none when it carries neither
/// scope).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub read: Targets,
    pub write: Targets,
}

impl Reach {
    /// The reach of `grants` for a token that may read and may write as said.
    pub fn of_grants(grants: &[client_grants::Model], may_read: bool, may_write: bool) -> Reach {
        let mut reach = Reach::default();
        for grant in grants {
            let target = Target::of(grant);
            if may_read || may_write {
                reach.read.add(target);
            }
            if may_write && grant.scope == "write" {
                reach.write.add(target);
            }
        }
        reach
    }

    /// The reach of `client`'s token, from its grants as they are now (a
    /// grant removed takes effect at the next request).
    pub async fn of<C: ConnectionTrait>(conn: &C, client: &ClientPrincipal) -> DomainResult<Reach> {
        let grants = client_grants::Entity::find()
            .filter(client_grants::Column::ClientId.eq(client.id))
            .all(conn)
            .await?;
        Ok(Reach::of_grants(&grants, client.can_read, client.can_write))
    }
}
