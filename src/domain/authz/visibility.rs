//! What a principal sees, decided once. [`Visibility`] answers both
//! questions a read asks, from the same facts: may this principal see this
//! row (a read of one item), and which rows (the SQL condition of every
//! list, count and figure). A test walks every principal of the permission
//! matrix and holds the two to the same rows.

use entity::{plans, reports, task_assignments, tasks, units};
use sea_orm::sea_query::{Expr, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::reach::Reach;
use super::{PlanAccess, ProjectAccess, TaskAccess, groups_of_unit, plan_regions, unit_role_on_task};
use crate::domain::values::{AssignmentRole, ReportStatus, Role};
use crate::domain::{DomainResult, Principal};

/// The sight of one principal.
#[derive(Clone, Debug)]
pub struct Visibility<'p> {
    principal: &'p Principal,
    /// Administrators, viewers, the service and machines with an
    /// unrestricted grant see every row.
    everything: bool,
    /// The region of a coordinator's or unit user's unit: they see the
    /// plans of that region and of the pairings it takes part in.
    region: Option<Uuid>,
    /// A machine's grants: what it reads and what it writes.
    reach: Option<Reach>,
}

impl<'p> Visibility<'p> {
    pub async fn of<C: ConnectionTrait>(conn: &C, principal: &'p Principal) -> DomainResult<Visibility<'p>> {
        let reach = match principal {
            // Boxed: every read and write waits for this, and its future
            // would otherwise grow each of theirs.
            Principal::Client(client) => Some(Box::pin(Reach::of(conn, client)).await?),
            _ => None,
        };
        let everything = match &reach {
            Some(reach) => reach.read.all(),
            None => principal.reads_everything(),
        };
        let region = match (everything, unit_of(principal)) {
            (false, Some(unit)) => units::Entity::find_by_id(unit).one(conn).await?.map(|u| u.region_id),
            _ => None,
        };
        Ok(Visibility {
            principal,
            everything,
            region,
            reach,
        })
    }

    /// Whether the principal may write the chronicle (大事记) of a pairing:
    /// an administrator, a coordinator whose unit's region takes part in
    /// it, a machine whose `write` grants reach it.
    pub async fn chronicle<C: ConnectionTrait>(&self, conn: &C, pairing_id: Uuid) -> DomainResult<bool> {
        if let Some(reach) = &self.reach {
            return reach.write.covers_pairing(conn, pairing_id).await;
        }
        Ok(match self.principal.role() {
            Role::Admin => true,
            Role::Coordinator => match self.region {
                Some(region) => super::pairing_regions(conn, pairing_id).await?.contains(&region),
                None => false,
            },
            Role::UnitUser | Role::Viewer | Role::Integration => false,
        })
    }

    /// The region whose plans a coordinator or unit user sees.
    pub fn region(&self) -> Option<Uuid> {
        self.region
    }

    /// What the principal may do with `plan`. A coordinator coordinates
    /// the plans of its unit's region: the region's own, and those of
    /// pairings where the region is helper, co-helper or recipient; a unit
    /// user reads them (public documents, 此件公开发布).
    pub async fn plan<C: ConnectionTrait>(&self, conn: &C, plan: &plans::Model) -> DomainResult<PlanAccess> {
        if let Some(reach) = &self.reach {
            return Ok(PlanAccess {
                read: reach.read.covers_plan(conn, plan).await?,
                coordinate: reach.write.covers_plan(conn, plan).await?,
            });
        }
        if self.everything {
            return Ok(PlanAccess {
                read: true,
                coordinate: self.principal.is_admin(),
            });
        }
        let Some(region) = self.region else {
            return Ok(PlanAccess::default());
        };
        let in_scope = plan_regions(conn, plan).await?.contains(&region);
        Ok(PlanAccess {
            read: in_scope,
            coordinate: in_scope && self.principal.role() == Role::Coordinator,
        })
    }

    /// The plans [`Visibility::plan`] lets read, as SQL.
    pub fn plans(&self) -> Condition {
        if let Some(reach) = &self.reach {
            return reach.read.plans();
        }
        match (self.everything, self.region) {
            (true, _) => Condition::all(),
            (false, Some(region)) => plans_of_region(region),
            (false, None) => nothing(),
        }
    }

    /// What the principal may do with task `task_id` of `plan`: as with
    /// the plan, and more when its unit works on the task.
    pub async fn task<C: ConnectionTrait>(
        &self,
        conn: &C,
        plan: &plans::Model,
        task_id: Uuid,
    ) -> DomainResult<TaskAccess> {
        let plan = self.plan(conn, plan).await?;
        let unit_role = match unit_of(self.principal) {
            Some(unit) => unit_role_on_task(conn, unit, task_id).await?,
            None => None,
        };
        Ok(TaskAccess { plan, unit_role })
    }

    /// What the principal may do with a project of `pairing_id` carried
    /// out by `implementing_unit`: coordinators of the pairing's regions
    /// (and administrators, machines that write) coordinate it; the
    /// implementing unit's users record its milestones and spending; the
    /// units of the pairing's regions read it, as they read its plans.
    pub async fn project<C: ConnectionTrait>(
        &self,
        conn: &C,
        pairing_id: Uuid,
        implementing_unit: Uuid,
    ) -> DomainResult<ProjectAccess> {
        if let Some(reach) = &self.reach {
            let coordinate = reach.write.covers_pairing(conn, pairing_id).await?;
            return Ok(ProjectAccess {
                read: reach.read.covers_pairing(conn, pairing_id).await?,
                coordinate,
                implement: coordinate,
            });
        }
        if self.everything {
            let coordinate = self.principal.is_admin();
            return Ok(ProjectAccess {
                read: true,
                coordinate,
                implement: coordinate,
            });
        }
        let implementing = unit_of(self.principal) == Some(implementing_unit);
        let in_scope = match self.region {
            Some(region) => super::pairing_regions(conn, pairing_id).await?.contains(&region),
            None => false,
        };
        let coordinate = in_scope && self.principal.role() == Role::Coordinator;
        Ok(ProjectAccess {
            read: in_scope || implementing,
            coordinate,
            implement: coordinate || implementing,
        })
    }

    /// The projects [`Visibility::project`] lets read, as SQL.
    pub fn projects(&self) -> Condition {
        use entity::projects;
        if let Some(reach) = &self.reach {
            return reach.read.pairings(projects::Column::PairingId);
        }
        if self.everything {
            return Condition::all();
        }
        let mut cond = Condition::any();
        if let Some(region) = self.region {
            cond = cond.add(projects::Column::PairingId.in_subquery(pairings_of_region(region)));
        }
        match unit_of(self.principal) {
            Some(unit) => cond.add(projects::Column::ImplementingUnitId.eq(unit)),
            None if self.region.is_none() => nothing(),
            None => cond,
        }
    }

    /// The tasks [`Visibility::task`] lets read, as SQL: those of the
    /// plans seen, and those the principal's unit works on.
    pub async fn tasks<C: ConnectionTrait>(&self, conn: &C) -> DomainResult<Condition> {
        if self.everything {
            return Ok(Condition::all());
        }
        let mut cond = Condition::any().add(tasks::Column::PlanId.in_subquery(self.plan_ids()));
        if let Some(unit) = unit_of(self.principal) {
            cond = cond.add(tasks::Column::Id.in_subquery(tasks_of_unit(conn, unit, None).await?));
        }
        Ok(cond)
    }

    /// The plans whose tasks are exactly the tasks [`Visibility::tasks`]
    /// lets read, as SQL, when there are such plans: every plan for those
    /// who see everything, the plans they see for the others, unless their
    /// unit works on a task of another plan (then none: the tasks they see
    /// are not whole plans). What figures kept per plan can serve.
    pub async fn whole_plans<C: ConnectionTrait>(&self, conn: &C) -> DomainResult<Option<Condition>> {
        if self.everything {
            return Ok(Some(Condition::all()));
        }
        if let Some(unit) = unit_of(self.principal) {
            let beyond = Query::select()
                .column(tasks::Column::Id)
                .from(tasks::Entity)
                .and_where(tasks::Column::Id.in_subquery(tasks_of_unit(conn, unit, None).await?))
                .and_where(tasks::Column::PlanId.not_in_subquery(self.plan_ids()))
                .limit(1)
                .to_owned();
            if conn.query_one(&beyond).await?.is_some() {
                return Ok(None);
            }
        }
        Ok(Some(self.plans()))
    }

    /// The reports [`TaskAccess::read_report`] lets read, as SQL: every
    /// report of the plans a coordinator coordinates or a machine reads;
    /// for a unit, those of the tasks it works on, other units' drafts
    /// aside.
    pub async fn reports<C: ConnectionTrait>(&self, conn: &C) -> DomainResult<Condition> {
        if self.everything {
            return Ok(Condition::all());
        }
        let mut cond = Condition::any();
        let coordinates = self.principal.role() == Role::Coordinator && self.region.is_some();
        if coordinates || self.reach.is_some() {
            let coordinated = Query::select()
                .column(tasks::Column::Id)
                .from(tasks::Entity)
                .and_where(tasks::Column::PlanId.in_subquery(self.plan_ids()))
                .to_owned();
            cond = cond.add(reports::Column::TaskId.in_subquery(coordinated));
        }
        if let Some(unit) = unit_of(self.principal) {
            cond = cond.add(
                Condition::all()
                    .add(reports::Column::TaskId.in_subquery(tasks_of_unit(conn, unit, None).await?))
                    .add(
                        Condition::any()
                            .add(reports::Column::Status.ne(ReportStatus::Draft.as_str()))
                            .add(reports::Column::UnitId.eq(unit)),
                    ),
            );
        }
        Ok(if cond.is_empty() { nothing() } else { cond })
    }

    /// The changes of the feed the principal may read, as SQL on `changes`,
    /// from the scope stored with each ([`crate::domain::feed`]):
    /// administrators read every change; whoever reads everything all but
    /// accounts; a coordinator what concerns its region (reports included)
    /// and its unit; a unit user what concerns its region but reports,
    /// and its unit's reports.
    pub fn changes(&self) -> Condition {
        use crate::domain::feed::Audience;
        use entity::{change_regions, changes};
        if self.principal.is_admin() {
            return Condition::all();
        }
        if self.everything {
            return Condition::all().add(changes::Column::Audience.ne(Audience::Admins.as_str()));
        }
        let scoped = [Audience::Regions.as_str(), Audience::Coordinated.as_str()];
        let mut cond = Condition::any().add(changes::Column::Audience.eq(Audience::Everyone.as_str()));
        if let Some(reach) = &self.reach {
            return cond.add(
                Condition::all()
                    .add(changes::Column::Audience.is_in(scoped))
                    .add(reach.read.changes()),
            );
        }
        if let Some(region) = self.region {
            let of_region = changes::Column::Id.in_subquery(
                Query::select()
                    .column(change_regions::Column::ChangeId)
                    .from(change_regions::Entity)
                    .and_where(change_regions::Column::RegionId.eq(region))
                    .to_owned(),
            );
            let audience = if self.principal.role() == Role::Coordinator {
                changes::Column::Audience.is_in(scoped)
            } else {
                changes::Column::Audience.eq(Audience::Regions.as_str())
            };
            cond = cond.add(Condition::all().add(audience).add(of_region));
        }
        if let Some(unit) = unit_of(self.principal) {
            cond = cond.add(
                Condition::all()
                    .add(changes::Column::Audience.is_in(scoped))
                    .add(changes::Column::UnitId.eq(unit)),
            );
        }
        cond
    }

    fn plan_ids(&self) -> SelectStatement {
        Query::select()
            .column(plans::Column::Id)
            .from(plans::Entity)
            .cond_where(self.plans())
            .to_owned()
    }
}

/// The unit whose work a principal sees: a coordinator's or unit user's.
fn unit_of(principal: &Principal) -> Option<Uuid> {
    match principal.role() {
        Role::Coordinator | Role::UnitUser => principal.unit_id(),
        _ => None,
    }
}

/// A condition no row meets.
pub(super) fn nothing() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

/// The plans of a region: its own, and those of the pairings it takes part
/// in as helper, co-helper or recipient.
pub fn plans_of_region(region: Uuid) -> Condition {
    Condition::any()
        .add(plans::Column::RegionId.eq(region))
        .add(plans::Column::PairingId.in_subquery(pairings_of_region(region)))
}

/// The pairings a region takes part in (helper, co-helper or recipient), as SQL.
pub fn pairings_of_region(region: Uuid) -> SelectStatement {
    use entity::{pairing_co_helpers, pairings};
    Query::select()
        .column(pairings::Column::Id)
        .from(pairings::Entity)
        .cond_where(
            Condition::any()
                .add(pairings::Column::HelperRegionId.eq(region))
                .add(pairings::Column::RecipientRegionId.eq(region)),
        )
        .union(
            UnionType::All,
            Query::select()
                .column(pairing_co_helpers::Column::PairingId)
                .from(pairing_co_helpers::Entity)
                .and_where(pairing_co_helpers::Column::RegionId.eq(region))
                .to_owned(),
        )
        .to_owned()
}

/// The tasks a unit works on, directly or through one of its groups, in
/// `role` when given.
pub async fn tasks_of_unit<C: ConnectionTrait>(
    conn: &C,
    unit: Uuid,
    role: Option<AssignmentRole>,
) -> DomainResult<SelectStatement> {
    let groups = groups_of_unit(conn, unit).await?;
    Ok(Query::select()
        .column(task_assignments::Column::TaskId)
        .from(task_assignments::Entity)
        .cond_where(assignments_of(&[unit], groups, role))
        .to_owned())
}

/// The assignments of `units`, directly or through `groups` (theirs), in
/// `role` when given, as SQL on `task_assignments`.
pub fn assignments_of(
    units: &[Uuid],
    groups: impl IntoIterator<Item = Uuid>,
    role: Option<AssignmentRole>,
) -> Condition {
    let groups: Vec<Uuid> = groups.into_iter().collect();
    let mut who = Condition::any().add(task_assignments::Column::UnitId.is_in(units.iter().copied()));
    if !groups.is_empty() {
        who = who.add(task_assignments::Column::GroupId.is_in(groups));
    }
    let mut cond = Condition::all().add(who);
    if let Some(role) = role {
        cond = cond.add(task_assignments::Column::Role.eq(role.as_str()));
    }
    cond
}
