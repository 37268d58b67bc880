//! Who may do what (DOMAIN.md, "Who may do what"), decided in one place.
//! Services ask here before they read or write; rows a principal may not
//! see answer as if they did not exist.

use std::collections::{HashMap, HashSet};

use entity::{pairing_co_helpers, pairings, plans, task_assignments, unit_group_members, unit_groups, units};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::values::{AssignmentRole, ReportStatus, Role};
use super::{DomainError, DomainResult, Principal};
use crate::domain::Text;

mod reach;
mod visibility;

pub use reach::{Reach, Target, Targets};
pub use visibility::{Visibility, assignments_of, pairings_of_region, plans_of_region, tasks_of_unit};

/// Fails unless the principal administers the service: regions, pairings,
/// units, groups, metrics, users and clients are theirs to change.
pub fn require_admin(principal: &Principal, what: &'static str) -> DomainResult<()> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            Text::new("only an administrator may %{action}").word("action", what),
        ))
    }
}

/// The refusal of a write: a machine whose token lacks the `write` scope is
/// told that (RFC 6750 `insufficient_scope`), anyone else `message`.
pub fn refuse_write(principal: &Principal, message: impl Into<Text>) -> DomainError {
    match principal {
        Principal::Client(client) if !client.can_write => DomainError::InsufficientScope { scope: "write" },
        _ => DomainError::forbidden(message),
    }
}

/// Fails unless the principal may read shared reference data (regions,
/// pairings, units, metrics): anyone signed in, and machines that read
/// ([`Principal::reads_everything`]).
pub fn require_reader(principal: &Principal) -> DomainResult<()> {
    match principal {
        Principal::Client(_) if !principal.reads_everything() => Err(DomainError::InsufficientScope { scope: "read" }),
        _ => Ok(()),
    }
}

/// The regions a plan belongs to: its own region, or the helper, co-helpers
/// and recipient of its pairing.
pub async fn plan_regions<C: ConnectionTrait>(conn: &C, plan: &plans::Model) -> DomainResult<Vec<Uuid>> {
    if let Some(region_id) = plan.region_id {
        return Ok(vec![region_id]);
    }
    let Some(pairing_id) = plan.pairing_id else {
        return Ok(vec![]);
    };
    pairing_regions(conn, pairing_id).await
}

/// The helper, co-helpers and recipient of a pairing.
pub async fn pairing_regions<C: ConnectionTrait>(conn: &C, pairing_id: Uuid) -> DomainResult<Vec<Uuid>> {
    let Some(pairing) = pairings::Entity::find_by_id(pairing_id).one(conn).await? else {
        return Ok(vec![]);
    };
    let mut regions = vec![pairing.helper_region_id, pairing.recipient_region_id];
    let co_helpers = pairing_co_helpers::Entity::find()
        .filter(pairing_co_helpers::Column::PairingId.eq(pairing_id))
        .all(conn)
        .await?;
    regions.extend(co_helpers.into_iter().map(|c| c.region_id));
    Ok(regions)
}

/// What a principal may do with a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanAccess {
    /// See the plan and its tasks.
    pub read: bool,
    /// Coordinate it: issue it, add and remove tasks, assign units, review
    /// consolidated reports, see every report.
    pub coordinate: bool,
}

/// What `principal` may do with `plan` ([`Visibility::plan`]).
pub async fn plan_access<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    plan: &plans::Model,
) -> DomainResult<PlanAccess> {
    Visibility::of(conn, principal).await?.plan(conn, plan).await
}

/// Fails unless `principal` may write the chronicle (大事记) of a pairing:
/// an administrator, a coordinator whose unit's region is the pairing's
/// helper, a co-helper or its recipient (as for the pairing's plans, see
/// [`plan_access`]), or a machine whose `write` grants reach the pairing
/// ([`Visibility::chronicle`]).
pub async fn require_chronicle_writer<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    pairing_id: Uuid,
) -> DomainResult<()> {
    if Visibility::of(conn, principal)
        .await?
        .chronicle(conn, pairing_id)
        .await?
    {
        Ok(())
    } else {
        Err(refuse_write(
            principal,
            "only an administrator or a coordinator of the pairing's regions may change its chronicle",
        ))
    }
}

/// The groups a unit belongs to: by explicit membership, or by a rule that
/// takes every unit of its kind in its region.
pub async fn groups_of_unit<C: ConnectionTrait>(conn: &C, unit_id: Uuid) -> DomainResult<HashSet<Uuid>> {
    Ok(groups_of_units(conn, &[unit_id])
        .await?
        .remove(&unit_id)
        .unwrap_or_default())
}

/// The groups each of `unit_ids` belongs to ([`groups_of_unit`]), in three
/// statements.
pub async fn groups_of_units<C: ConnectionTrait>(
    conn: &C,
    unit_ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, HashSet<Uuid>>> {
    let mut out: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    if unit_ids.is_empty() {
        return Ok(out);
    }
    let found = units::Entity::find()
        .filter(units::Column::Id.is_in(unit_ids.iter().copied()))
        .all(conn)
        .await?;
    for member in unit_group_members::Entity::find()
        .filter(unit_group_members::Column::UnitId.is_in(unit_ids.iter().copied()))
        .all(conn)
        .await?
    {
        out.entry(member.unit_id).or_default().insert(member.group_id);
    }
    let regions: HashSet<Uuid> = found.iter().map(|u| u.region_id).collect();
    let by_rule = unit_groups::Entity::find()
        .filter(unit_groups::Column::RegionId.is_in(regions))
        .filter(unit_groups::Column::RuleKinds.is_not_null())
        .all(conn)
        .await?;
    for unit in &found {
        for group in by_rule.iter().filter(|g| g.region_id == unit.region_id) {
            if group
                .rule_kinds
                .as_deref()
                .is_some_and(|kinds| kinds.split(',').any(|k| k.trim() == unit.kind))
            {
                out.entry(unit.id).or_default().insert(group.id);
            }
        }
    }
    Ok(out)
}

/// The role a unit plays on a task, directly or through a group it belongs
/// to; lead wins when it plays both.
pub async fn unit_role_on_task<C: ConnectionTrait>(
    conn: &C,
    unit_id: Uuid,
    task_id: Uuid,
) -> DomainResult<Option<AssignmentRole>> {
    let assignments = task_assignments::Entity::find()
        .filter(task_assignments::Column::TaskId.eq(task_id))
        .all(conn)
        .await?;
    if assignments.is_empty() {
        return Ok(None);
    }
    let groups = if assignments.iter().any(|a| a.group_id.is_some()) {
        groups_of_unit(conn, unit_id).await?
    } else {
        HashSet::new()
    };
    let mut role = None;
    for assignment in assignments {
        let applies = assignment.unit_id == Some(unit_id) || assignment.group_id.is_some_and(|g| groups.contains(&g));
        if applies {
            match assignment.role.parse::<AssignmentRole>() {
                Ok(AssignmentRole::Lead) => return Ok(Some(AssignmentRole::Lead)),
                Ok(AssignmentRole::Supporting) => role = Some(AssignmentRole::Supporting),
                Err(_) => {}
            }
        }
    }
    Ok(role)
}

/// What a principal may do with a project (援建项目).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProjectAccess {
    /// See it, its milestones and its money.
    pub read: bool,
    /// Change what it is, allocate its money, record anything on it.
    pub coordinate: bool,
    /// Record its milestones and spending: its implementing unit.
    pub implement: bool,
}

/// What a principal may do with a task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskAccess {
    pub plan: PlanAccess,
    /// The role of the principal's unit on the task.
    pub unit_role: Option<AssignmentRole>,
}

impl TaskAccess {
    /// See the task: its plan is visible, or the principal's unit works on it.
    pub fn read(&self) -> bool {
        self.plan.read || self.unit_role.is_some()
    }

    /// Change what the task is (text, deadline, units, targets) or remove it.
    pub fn edit_definition(&self) -> bool {
        self.plan.coordinate
    }

    /// Change the task's progress and status: its lead unit or a coordinator.
    pub fn edit_progress(&self) -> bool {
        self.plan.coordinate || self.unit_role == Some(AssignmentRole::Lead)
    }

    /// See one report on the task: coordinators and readers of everything
    /// see all; a unit working on the task sees its own and the others'
    /// once submitted, never another unit's draft.
    pub fn read_report(&self, principal: &Principal, report_unit: Uuid, status: ReportStatus) -> bool {
        if self.read_all_reports(principal) {
            return true;
        }
        self.unit_role.is_some() && (principal.unit_id() == Some(report_unit) || status != ReportStatus::Draft)
    }

    /// Whether every report of the task is visible, drafts included (so
    /// lists need no per-row filter).
    pub fn read_all_reports(&self, principal: &Principal) -> bool {
        self.plan.coordinate || (self.plan.read && principal.reads_everything())
    }

    /// Write reports on the task at all: for some unit, if not the caller's.
    pub fn writes_reports(&self, principal: &Principal) -> bool {
        match principal {
            Principal::System => true,
            Principal::Client(_) => self.plan.coordinate,
            Principal::User(user) => user.role == Role::Admin || self.plan.coordinate || self.unit_role.is_some(),
        }
    }

    /// Write and submit the reports of `unit` on the task: the unit's own
    /// users, a coordinator of the plan, an administrator, or a machine
    /// whose `write` grants reach the plan.
    pub fn write_report_of(&self, principal: &Principal, unit: Uuid) -> bool {
        match principal {
            Principal::System => true,
            Principal::Client(_) => self.plan.coordinate,
            Principal::User(user) => {
                user.role == Role::Admin
                    || self.plan.coordinate
                    || (matches!(user.role, Role::UnitUser | Role::Coordinator)
                        && user.unit_id == Some(unit)
                        && self.unit_role.is_some())
            }
        }
    }

    /// Review (approve or return) a report: a supporting unit's report is
    /// the lead unit's to review, or the office's when the plan has its
    /// supporting units report to the office; the lead unit's consolidated
    /// report is the plan's coordinators'. Administrators review both.
    pub fn review(&self, principal: &Principal, consolidated: bool, to_office: bool) -> bool {
        if principal.is_admin() {
            return true;
        }
        if consolidated || to_office {
            self.plan.coordinate && !matches!(principal, Principal::Client(_))
        } else {
            self.unit_role == Some(AssignmentRole::Lead)
        }
    }
}

impl TaskAccess {
    /// Speak for the plan's office to the task's units: urge them (催办),
    /// decide their requests for more time. A coordinator of the plan or an
    /// administrator; a person, not a machine.
    pub fn supervise(&self, principal: &Principal) -> bool {
        principal.is_admin() || (self.plan.coordinate && matches!(principal, Principal::User(_)))
    }

    /// Ask for more time (延期申请): the users of the task's lead unit.
    pub fn ask_for_time(&self, principal: &Principal) -> bool {
        self.unit_role == Some(AssignmentRole::Lead)
            && matches!(principal, Principal::User(user) if matches!(user.role, Role::UnitUser | Role::Coordinator))
    }
}

/// What `principal` may do with a task ([`Visibility::task`]).
pub async fn task_access<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    plan: &plans::Model,
    task_id: Uuid,
) -> DomainResult<TaskAccess> {
    Visibility::of(conn, principal).await?.task(conn, plan, task_id).await
}
