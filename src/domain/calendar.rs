//! The reporting calendar (报送日历): when each report on a task is due by
//! its plan's rhythm — monthly scheduling (月调度), the quarterly bulletin
//! (季通报), the half-year review, the yearly evaluation (年评估考核) — who
//! owes it by the plan's [`Reporting`] rule, and, for any unit and day,
//! which are open, submitted, submitted late, or late.
//!
//! Every task of an issued (or closed) plan owes its lead units'
//! consolidated report for each period of the plan's rhythm; a lead group
//! owes one, filed by any member (or, with `groups: none`, each member its
//! own). Supporting units owe nothing unless the rule asks them to report
//! to the lead unit or to the office. A period counts once it has begun; a
//! completed task owes nothing for periods that begin after it was
//! completed, a cancelled one nothing at all. The rule says what is owed; a
//! report for any valid period is still accepted.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Utc};
use entity::{plans, reports, task_assignments, tasks, unit_group_members, unit_groups, units};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::Validator;
use super::names::{self, Named};
use super::values::{
    AssignmentRole, GroupReports, ObligationStatus, PeriodKind, PlanKind, PlanStatus, ReportPeriod, ReportStatus,
    SupportingReports, TaskStatus, china_day,
};
use super::{Caller, DomainError, DomainResult, authz};
use crate::domain::Text;

pub(crate) mod kept;

/// When a plan's reports are due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Calendar {
    /// The day (1–28) of the following month by which each monthly report
    /// (月调度) is due; none when the plan has no monthly rhythm.
    #[schema(minimum = 1, maximum = 28, example = 5)]
    pub monthly_due_day: Option<i32>,
    /// The day (1–28) of the month after each quarter by which the quarterly
    /// report (季通报) is due; none when the plan has no quarterly rhythm.
    #[schema(minimum = 1, maximum = 28, example = 10)]
    pub quarterly_due_day: Option<i32>,
    /// The day (1–28) of the month after each half-year (July, January) by
    /// which the half-year report (半年总结) is due; none (the default) when
    /// the plan asks for none.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 28, example = 15)]
    pub half_yearly_due_day: Option<i32>,
    /// `MM-DD` in the plan's year by which the yearly report (年评估考核)
    /// reaches the coordinating office (11月20日前).
    #[schema(pattern = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", example = "11-20")]
    pub yearly_due: String,
    /// `MM-DD` in the plan's year by which the coordinating office writes
    /// the year's summary (12月20日前).
    #[schema(pattern = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", example = "12-20")]
    pub summary_due: String,
}

impl Default for Calendar {
    /// Monthly by the 5th, quarterly by the 10th, the year by 11-20, the summary by 12-20.
    fn default() -> Calendar {
        Calendar {
            monthly_due_day: Some(5),
            quarterly_due_day: Some(10),
            half_yearly_due_day: None,
            yearly_due: "11-20".into(),
            summary_due: "12-20".into(),
        }
    }
}

impl Calendar {
    /// What the documents ask of a plan of `kind`: a pairing's list reports
    /// on the year by 11-20 and is summed up by 12-20 (南川区·武隆区 2021);
    /// a region's own plan reports each quarter by the 10th and on the year.
    pub fn default_for(kind: PlanKind) -> Calendar {
        match kind {
            PlanKind::Pairing => Calendar {
                monthly_due_day: None,
                quarterly_due_day: None,
                ..Calendar::default()
            },
            PlanKind::Region => Calendar {
                monthly_due_day: None,
                ..Calendar::default()
            },
        }
    }
}

/// Who owes a plan's reports (the calendar says which and when). The lead
/// units' consolidated report is always owed; the summary is the
/// coordinators' own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Reporting {
    /// Whether supporting units (配合单位) owe reports: `none` (the lead
    /// unit's consolidated report covers them), `to_lead` (each its own,
    /// reviewed by the lead unit), `to_office` (each its own, reviewed by
    /// the plan's coordinators).
    pub supporting: SupportingReports,
    /// How a group assigned to a task (各镇街) owes: `one_per_group` (one
    /// report, filed by any member) or `none` (each member its own).
    pub groups: GroupReports,
    /// How many days before a report is due its units are reminded (0: not
    /// at all); a late report is always reminded of, once.
    #[schema(minimum = 0, maximum = 60, example = 3)]
    pub remind_days: i32,
    /// Whether a report needs evidence (佐证材料, an attachment) before it
    /// is submitted (false by default).
    pub evidence_required: bool,
}

impl Default for Reporting {
    /// Lead units only; a group owes one report; reminded 3 days before.
    fn default() -> Reporting {
        Reporting {
            supporting: SupportingReports::None,
            groups: GroupReports::OnePerGroup,
            remind_days: 3,
            evidence_required: false,
        }
    }
}

impl Reporting {
    /// A stored plan's rule.
    pub(crate) fn of(plan: &plans::Model) -> DomainResult<Reporting> {
        Ok(Reporting {
            supporting: super::region::parse_stored(&plan.reporting_supporting)?,
            groups: super::region::parse_stored(&plan.reporting_groups)?,
            remind_days: plan.remind_days,
            evidence_required: plan.evidence_required,
        })
    }

    pub fn validate(&self, v: &mut Validator) {
        v.check(
            (0..=60).contains(&self.remind_days),
            "reporting.remind_days",
            "from 0 to 60 days",
        );
    }
}

/// `MM-DD` that is a day in every year (so not `02-29`).
fn month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.split_once('-')?;
    if m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (m, d) = (m.parse().ok()?, d.parse().ok()?);
    NaiveDate::from_ymd_opt(2023, m, d).map(|_| (m, d))
}

fn on_day(year: i32, (month, day): (u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MAX)
}

impl Calendar {
    pub(crate) fn from_stored(
        monthly_due_day: Option<i32>,
        quarterly_due_day: Option<i32>,
        half_yearly_due_day: Option<i32>,
        yearly_due: &str,
        summary_due: &str,
    ) -> DomainResult<Calendar> {
        let calendar = Calendar {
            monthly_due_day,
            quarterly_due_day,
            half_yearly_due_day,
            yearly_due: yearly_due.to_owned(),
            summary_due: summary_due.to_owned(),
        };
        let mut v = Validator::new();
        calendar.validate(&mut v);
        v.finish()
            .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored calendar: {e}")))?;
        Ok(calendar)
    }

    pub fn validate(&self, v: &mut Validator) {
        for (field, day) in [
            ("calendar.monthly_due_day", self.monthly_due_day),
            ("calendar.quarterly_due_day", self.quarterly_due_day),
            ("calendar.half_yearly_due_day", self.half_yearly_due_day),
        ] {
            v.check(
                day.is_none_or(|d| (1..=28).contains(&d)),
                field,
                "a day of the month from 1 to 28, or none",
            );
        }
        for (field, text) in [
            ("calendar.yearly_due", &self.yearly_due),
            ("calendar.summary_due", &self.summary_due),
        ] {
            v.check(
                month_day(text).is_some(),
                field,
                "a day of the year as `MM-DD` (`11-20`), not 02-29",
            );
        }
    }

    /// The periods a plan of `year` reports on, each with its due day, in
    /// the order they fall due.
    pub fn periods(&self, year: i32) -> Vec<(ReportPeriod, NaiveDate)> {
        let mut out = Vec::with_capacity(17);
        let month_after = |month: u32, day: i32| {
            let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            NaiveDate::from_ymd_opt(y, m, day.clamp(1, 28) as u32).unwrap_or(NaiveDate::MAX)
        };
        if let Some(day) = self.monthly_due_day {
            out.extend((1..=12).map(|month| (ReportPeriod::Month { year, month }, month_after(month, day))));
        }
        if let Some(day) = self.quarterly_due_day {
            out.extend((1..=4).map(|quarter| (ReportPeriod::Quarter { year, quarter }, month_after(quarter * 3, day))));
        }
        if let Some(day) = self.half_yearly_due_day {
            out.extend((1..=2).map(|half| (ReportPeriod::HalfYear { year, half }, month_after(half * 6, day))));
        }
        if let Some(due) = self.yearly_due_on(year) {
            out.push((ReportPeriod::Year { year }, due));
        }
        out.sort_by_key(|(period, due)| (*due, period.kind() as u8));
        out
    }

    /// The day the yearly report of `year` is due.
    pub fn yearly_due_on(&self, year: i32) -> Option<NaiveDate> {
        month_day(&self.yearly_due).map(|md| on_day(year, md))
    }

    /// The day the coordinating office's summary of `year` is due.
    pub fn summary_due_on(&self, year: i32) -> Option<NaiveDate> {
        month_day(&self.summary_due).map(|md| on_day(year, md))
    }
}

/// The first day a period covers.
fn period_start(period: ReportPeriod) -> NaiveDate {
    period.start()
}

/// The most years past its plan's a task's deadline may be moved.
pub const MAX_YEARS_PAST_PLAN: i32 = 5;

/// Whether a task of a plan of `plan_year` reports on `period`: the plan's
/// year, and, when its deadline was moved past that year (延期), the periods
/// of the following years that begin by its deadline.
pub fn task_reports_on(plan_year: i32, deadline: NaiveDate, period: ReportPeriod) -> bool {
    period.year() == plan_year
        || (period.year() > plan_year
            && period.year() <= plan_year + MAX_YEARS_PAST_PLAN
            && period_start(period) <= deadline)
}

/// The periods of the years after its plan's that a task whose deadline
/// was moved past its plan's year reports on, by its plan's calendar.
fn periods_past_plan_year(calendar: &Calendar, plan_year: i32, deadline: NaiveDate) -> Vec<(ReportPeriod, NaiveDate)> {
    (plan_year + 1..=deadline.year().min(plan_year + MAX_YEARS_PAST_PLAN))
        .flat_map(|year| calendar.periods(year))
        .filter(|(period, _)| task_reports_on(plan_year, deadline, *period))
        .collect()
}

/// A report owed on a task for a period: by a unit, or by a group that
/// owes one report filed by any member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Obligation {
    pub plan_id: Uuid,
    pub task_id: Uuid,
    /// 部分; none when the plan has no sections.
    pub section: Option<String>,
    pub seq: i32,
    /// The task's place in its plan's document (`task::place`): the
    /// calendar's order, not shown.
    #[serde(skip)]
    pub place: i64,
    /// The unit that owes it; for a group's report, the member that filed
    /// it (none until one has).
    pub unit_id: Option<Uuid>,
    /// The group that owes it as one (各镇街), when it is a group's.
    pub group_id: Option<Uuid>,
    /// Lead units owe the consolidated report.
    pub role: AssignmentRole,
    pub period: ReportPeriod,
    pub due_on: NaiveDate,
    pub status: ObligationStatus,
    /// The submitted (or approved) report, when there is one by that day.
    pub report_id: Option<Uuid>,
    /// The day (in China) it was last submitted.
    pub submitted_on: Option<NaiveDate>,
}

/// Plans whose tasks owe reports: issued, or closed with their record.
const OWING: [PlanStatus; 2] = [PlanStatus::Issued, PlanStatus::Closed];

/// What the calendar is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct CalendarFilter {
    /// The day to look from (China's calendar); today when none.
    pub on: Option<NaiveDate>,
    pub unit_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    /// The plans of this pairing.
    pub pairing_id: Option<Uuid>,
    /// The plans of this region: its own and its pairings'.
    pub region_id: Option<Uuid>,
    /// Pairings' lists only, or regions' own plans only.
    pub plan_kind: Option<PlanKind>,
    /// The plans' year; when none, the year of `on` and the one before.
    pub year: Option<i32>,
    pub status: Option<ObligationStatus>,
    pub kind: Option<PeriodKind>,
}

/// How many reports owed stand where.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ObligationCounts {
    pub open: u64,
    pub submitted: u64,
    pub submitted_late: u64,
    pub late: u64,
}

impl ObligationCounts {
    fn add(&mut self, status: ObligationStatus) {
        match status {
            ObligationStatus::Open => self.open += 1,
            ObligationStatus::Submitted => self.submitted += 1,
            ObligationStatus::SubmittedLate => self.submitted_late += 1,
            ObligationStatus::Late => self.late += 1,
        }
    }
}

/// The reports owed as of a day, with counts of all of them and one page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CalendarPage {
    /// The day looked from.
    pub on: NaiveDate,
    /// Counts over everything that meets the filter except `status`.
    pub counts: ObligationCounts,
    /// How many meet the whole filter.
    pub total: u64,
    /// In order of due day, plan, section, number, unit.
    pub items: Vec<Obligation>,
    /// The `offset` of the next page; none on the last.
    pub next_offset: Option<u64>,
}

/// A unit (or a group that owes as one) with reports past their due day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LateUnit {
    /// The unit; none when the late reports are a group's.
    pub unit_id: Option<Uuid>,
    /// The group that owes them as one (各镇街), when it is a group.
    pub group_id: Option<Uuid>,
    /// The unit's or group's name.
    pub unit_name: String,
    pub region_id: Uuid,
    /// How many of its reports are late.
    pub late: u64,
    pub oldest_due_on: NaiveDate,
    /// The first (oldest) of them, at most 20.
    pub items: Vec<Obligation>,
}

/// Late units, the latest first by count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LateReport {
    pub on: NaiveDate,
    pub units: Vec<LateUnit>,
}

/// Largest page of the calendar.
pub const MAX_LIMIT: u64 = 1000;
/// The most of one unit's late reports a late list names (its count is whole).
pub const LATE_ITEMS: usize = 20;

/// The plans `filter` asks about among those owing reports, as SQL.
fn plans_asked(filter: &CalendarFilter, years: &[i32]) -> Condition {
    let mut cond = Condition::all()
        .add(plans::Column::Year.is_in(years.iter().copied()))
        .add(plans::Column::Status.is_in(OWING.map(PlanStatus::as_str)));
    if let Some(id) = filter.plan_id {
        cond = cond.add(plans::Column::Id.eq(id));
    }
    if let Some(id) = filter.pairing_id {
        cond = cond.add(plans::Column::PairingId.eq(id));
    }
    if let Some(region) = filter.region_id {
        cond = cond.add(authz::plans_of_region(region));
    }
    if let Some(kind) = filter.plan_kind {
        cond = cond.add(super::plan::of_kind(kind));
    }
    cond
}

/// The tasks in scope, as SQL: visible to the caller, of issued or closed
/// plans of the years asked, not cancelled, the unit's when one is given.
async fn scope<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &CalendarFilter,
    years: &[i32],
) -> DomainResult<SelectStatement> {
    let plan_cond = plans_asked(filter, years);
    let mut cond = Condition::all()
        .add(
            authz::Visibility::of(conn, &caller.principal)
                .await?
                .tasks(conn)
                .await?,
        )
        .add(tasks::Column::Status.ne(TaskStatus::Cancelled.as_str()))
        .add(
            tasks::Column::PlanId.in_subquery(
                Query::select()
                    .column(plans::Column::Id)
                    .from(plans::Entity)
                    .cond_where(plan_cond)
                    .to_owned(),
            ),
        );
    if let Some(unit_id) = filter.unit_id {
        cond = cond.add(tasks::Column::Id.in_subquery(authz::tasks_of_unit(conn, unit_id, None).await?));
    }
    Ok(Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .cond_where(cond)
        .to_owned())
}

/// The units a group stands for: its members, or every unit of its rule's
/// kinds in its region.
pub(crate) async fn group_units<C: ConnectionTrait>(
    conn: &C,
    group_ids: &HashSet<Uuid>,
) -> DomainResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if group_ids.is_empty() {
        return Ok(out);
    }
    for m in unit_group_members::Entity::find()
        .filter(unit_group_members::Column::GroupId.is_in(group_ids.iter().copied()))
        .all(conn)
        .await?
    {
        out.entry(m.group_id).or_default().push(m.unit_id);
    }
    for group in unit_groups::Entity::find()
        .filter(unit_groups::Column::Id.is_in(group_ids.iter().copied()))
        .all(conn)
        .await?
    {
        let Some(kinds) = group.rule_kinds.as_deref() else {
            continue;
        };
        let kinds: Vec<&str> = kinds.split(',').map(str::trim).collect();
        let members = units::Entity::find()
            .filter(units::Column::RegionId.eq(group.region_id))
            .filter(units::Column::Kind.is_in(kinds))
            .all(conn)
            .await?;
        out.entry(group.id)
            .or_default()
            .extend(members.into_iter().map(|u| u.id));
    }
    Ok(out)
}

/// Who owes a report on a task.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Debtor {
    Unit(Uuid),
    /// A group owing one report, with its members (any of whom files it).
    Group(Uuid, Vec<Uuid>),
}

/// Who owes on each task, by the rule of its plan: lead units and groups
/// always, supporting ones when the rule asks; a unit that both leads and
/// supports owes as the lead. Only those involving `unit` when one is given.
async fn debtors<C: ConnectionTrait>(
    conn: &C,
    in_scope: &SelectStatement,
    rule_of_task: &HashMap<Uuid, Reporting>,
    unit: Option<Uuid>,
) -> DomainResult<HashMap<Uuid, Vec<(Debtor, AssignmentRole)>>> {
    let assignments = task_assignments::Entity::find()
        .filter(task_assignments::Column::TaskId.in_subquery(in_scope.clone()))
        .all(conn)
        .await?;
    let groups: HashSet<Uuid> = assignments.iter().filter_map(|a| a.group_id).collect();
    let members = group_units(conn, &groups).await?;
    let mut out: HashMap<Uuid, Vec<(Debtor, AssignmentRole)>> = HashMap::new();
    // Leads first, so that a unit or group that plays both owes as the lead.
    let mut ordered: Vec<&task_assignments::Model> = assignments.iter().collect();
    ordered.sort_by_key(|a| a.role != AssignmentRole::Lead.as_str());
    for a in ordered {
        let Some(rule) = rule_of_task.get(&a.task_id) else {
            continue;
        };
        let role = if a.role == AssignmentRole::Lead.as_str() {
            AssignmentRole::Lead
        } else if rule.supporting == SupportingReports::None {
            continue;
        } else {
            AssignmentRole::Supporting
        };
        let owing: Vec<Debtor> = match (a.unit_id, a.group_id) {
            (Some(unit), _) => vec![Debtor::Unit(unit)],
            (None, Some(group)) => {
                let of_group = members.get(&group).cloned().unwrap_or_default();
                match rule.groups {
                    GroupReports::OnePerGroup => vec![Debtor::Group(group, of_group)],
                    GroupReports::None => of_group.into_iter().map(Debtor::Unit).collect(),
                }
            }
            (None, None) => vec![],
        };
        let entry = out.entry(a.task_id).or_default();
        for debtor in owing {
            let involved = match (&debtor, unit) {
                (_, None) => true,
                (Debtor::Unit(u), Some(wanted)) => *u == wanted,
                (Debtor::Group(_, of_group), Some(wanted)) => of_group.contains(&wanted),
            };
            let known = entry.iter().any(|(d, _)| match (d, &debtor) {
                (Debtor::Unit(a), Debtor::Unit(b)) => a == b,
                (Debtor::Group(a, _), Debtor::Group(b, _)) => a == b,
                _ => false,
            });
            if involved && !known {
                entry.push((debtor, role));
            }
        }
    }
    Ok(out)
}

/// What of a task the calendar reads.
struct OwingTask {
    id: Uuid,
    plan_id: Uuid,
    section: String,
    seq: i32,
    place: i64,
    deadline: NaiveDate,
    completed_on: Option<NaiveDate>,
}

/// Every report owed on the tasks of `in_scope` (already visible to the
/// caller) as of `on`, in order: of issued and closed plans, by each plan's
/// calendar and rule, of `kind` and involving `unit` when given, and only
/// those standing as `only` when given (the late list and the lights ask
/// for the late ones alone).
pub(crate) async fn owed_on<C: ConnectionTrait>(
    conn: &C,
    in_scope: SelectStatement,
    on: NaiveDate,
    kind: Option<PeriodKind>,
    unit: Option<Uuid>,
    only: Option<ObligationStatus>,
) -> DomainResult<Vec<Obligation>> {
    let task_rows: Vec<OwingTask> = tasks::Entity::find()
        .select_only()
        .columns([
            tasks::Column::Id,
            tasks::Column::PlanId,
            tasks::Column::Section,
            tasks::Column::Seq,
            tasks::Column::Place,
            tasks::Column::Deadline,
            tasks::Column::CompletedOn,
        ])
        .filter(tasks::Column::Id.in_subquery(in_scope.clone()))
        .filter(tasks::Column::Status.ne(TaskStatus::Cancelled.as_str()))
        .into_tuple::<(Uuid, Uuid, String, i32, i64, NaiveDate, Option<NaiveDate>)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, plan_id, section, seq, place, deadline, completed_on)| OwingTask {
            id,
            plan_id,
            section,
            seq,
            place,
            deadline,
            completed_on,
        })
        .collect();
    if task_rows.is_empty() {
        return Ok(Vec::new());
    }
    let plan_ids: HashSet<Uuid> = task_rows.iter().map(|t| t.plan_id).collect();
    let mut plans_owing: HashMap<Uuid, (Vec<(ReportPeriod, NaiveDate)>, Reporting)> = HashMap::new();
    let mut calendars: HashMap<Uuid, (Calendar, i32)> = HashMap::new();
    for plan in plans::Entity::find()
        .filter(plans::Column::Id.is_in(plan_ids.iter().copied()))
        .filter(plans::Column::Status.is_in(OWING.map(PlanStatus::as_str)))
        .all(conn)
        .await?
    {
        let calendar = Calendar::from_stored(
            plan.monthly_due_day,
            plan.quarterly_due_day,
            plan.half_yearly_due_day,
            &plan.yearly_due,
            &plan.summary_due,
        )?;
        let mut periods = calendar.periods(plan.year);
        periods.retain(|(period, _)| period_start(*period) <= on && kind.is_none_or(|k| period.kind() == k));
        let rule = Reporting::of(&plan)?;
        plans_owing.insert(plan.id, (periods, rule));
        calendars.insert(plan.id, (calendar, plan.year));
    }
    // Tasks whose deadline was moved past their plan's year owe on.
    let owed_now = |period: &ReportPeriod| period_start(*period) <= on && kind.is_none_or(|k| period.kind() == k);
    let past_plan_year: HashMap<Uuid, Vec<(ReportPeriod, NaiveDate)>> = task_rows
        .iter()
        .filter_map(|t| {
            let (calendar, year) = calendars.get(&t.plan_id)?;
            (t.deadline.year() > *year).then(|| {
                let mut periods = periods_past_plan_year(calendar, *year, t.deadline);
                periods.retain(|(period, _)| owed_now(period));
                (t.id, periods)
            })
        })
        .collect();
    let rule_of_task: HashMap<Uuid, Reporting> = task_rows
        .iter()
        .filter_map(|t| Some((t.id, plans_owing.get(&t.plan_id)?.1)))
        .collect();
    let debtors = debtors(conn, &in_scope, &rule_of_task, unit).await?;
    // Only reports on owed periods count (a plan owing the year alone
    // leaves its units' monthly reports aside).
    let owed_periods: HashSet<ReportPeriod> = plans_owing
        .values()
        .flat_map(|(periods, _)| periods.iter())
        .chain(past_plan_year.values().flatten())
        .map(|(p, _)| *p)
        .collect();

    // Reports that count as submitted: submitted or approved, by the day looked from.
    let submitted: HashMap<(Uuid, Uuid, ReportPeriod), (Uuid, NaiveDate)> = reports::Entity::find()
        .select_only()
        .columns([
            reports::Column::Id,
            reports::Column::TaskId,
            reports::Column::UnitId,
            reports::Column::Period,
            reports::Column::SubmittedAt,
        ])
        .filter(reports::Column::TaskId.in_subquery(in_scope))
        .filter(reports::Column::Period.is_in(owed_periods.iter().map(ReportPeriod::to_string)))
        .filter(reports::Column::Status.is_in([ReportStatus::Submitted.as_str(), ReportStatus::Approved.as_str()]))
        .into_tuple::<(Uuid, Uuid, Uuid, String, Option<chrono::DateTime<Utc>>)>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(id, task, unit, period, at)| {
            let day = china_day(at?);
            let period = ReportPeriod::parse(&period).ok()?;
            (day <= on).then_some(((task, unit, period), (id, day)))
        })
        .collect();

    let mut out = Vec::new();
    for t in &task_rows {
        let (Some(owing), Some((periods, _))) = (debtors.get(&t.id), plans_owing.get(&t.plan_id)) else {
            continue;
        };
        let past = past_plan_year.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        for (period, due_on) in periods.iter().chain(past) {
            if t.completed_on.is_some_and(|done| period_start(*period) > done) {
                continue;
            }
            let filed = |unit: Uuid| submitted.get(&(t.id, unit, *period)).map(|(id, day)| (unit, *id, *day));
            for (debtor, role) in owing {
                // A group's report is filed by whichever member was first.
                let (group_id, report) = match debtor {
                    Debtor::Unit(unit) => (None, filed(*unit)),
                    Debtor::Group(group, of_group) => (
                        Some(*group),
                        of_group.iter().filter_map(|m| filed(*m)).min_by_key(|(_, _, day)| *day),
                    ),
                };
                let status = match report {
                    Some((_, _, day)) if day <= *due_on => ObligationStatus::Submitted,
                    Some(_) => ObligationStatus::SubmittedLate,
                    None if *due_on < on => ObligationStatus::Late,
                    None => ObligationStatus::Open,
                };
                if only.is_some_and(|wanted| wanted != status) {
                    continue;
                }
                out.push(Obligation {
                    plan_id: t.plan_id,
                    task_id: t.id,
                    section: (!t.section.is_empty()).then(|| t.section.clone()),
                    seq: t.seq,
                    place: t.place,
                    unit_id: match debtor {
                        Debtor::Unit(unit) => Some(*unit),
                        Debtor::Group(..) => report.map(|(unit, _, _)| unit),
                    },
                    group_id,
                    role: *role,
                    period: *period,
                    due_on: *due_on,
                    status,
                    report_id: report.map(|(_, id, _)| id),
                    submitted_on: report.map(|(_, _, day)| day),
                });
            }
        }
    }
    in_order(&mut out);
    Ok(out)
}

/// Obligations in the calendar's order: by due day, then as the plans
/// list their tasks (in document order), then by who owes them.
fn in_order(obligations: &mut [Obligation]) {
    obligations.sort_by(|a, b| {
        (
            a.due_on,
            a.plan_id,
            a.place,
            a.group_id,
            a.unit_id,
            a.period.kind() as u8,
        )
            .cmp(&(
                b.due_on,
                b.plan_id,
                b.place,
                b.group_id,
                b.unit_id,
                b.period.kind() as u8,
            ))
    });
}

/// Every report owed in scope as of `on`, in order, before `status` is
/// applied; only those standing as `only` when given.
async fn owed<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &CalendarFilter,
    on: NaiveDate,
    only: Option<ObligationStatus>,
) -> DomainResult<Vec<Obligation>> {
    authz::require_reader(&caller.principal)?;
    let in_scope = scope(conn, caller, filter, &years_asked(filter, on)).await?;
    owed_on(conn, in_scope, on, filter.kind, filter.unit_id, only).await
}

/// The plans' years `filter` asks about: its own, or those of `on` and
/// the one before.
fn years_asked(filter: &CalendarFilter, on: NaiveDate) -> Vec<i32> {
    match filter.year {
        Some(year) => vec![year],
        None => vec![on.year() - 1, on.year()],
    }
}

/// The reports late on `on` in scope, in order: those of plans seen whole
/// from what is kept of them ([`kept`]), the rest from the calendar. (A
/// unit's are few, and a group owes them for its members: the calendar
/// works them out.)
async fn late<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &CalendarFilter,
    on: NaiveDate,
) -> DomainResult<Vec<Obligation>> {
    authz::require_reader(&caller.principal)?;
    let whole = match filter.unit_id {
        None => {
            authz::Visibility::of(conn, &caller.principal)
                .await?
                .whole_plans(conn)
                .await?
        }
        Some(_) => None,
    };
    let Some(whole) = whole else {
        return owed(conn, caller, filter, on, Some(ObligationStatus::Late)).await;
    };
    let plans = Query::select()
        .column(plans::Column::Id)
        .from(plans::Entity)
        .cond_where(plans_asked(filter, &years_asked(filter, on)).add(whole))
        .to_owned();
    let kept::Late {
        kept: mut all,
        not_kept,
    } = kept::late(conn, plans, None, on, filter.kind).await?;
    if !not_kept.is_empty() {
        let in_scope = Query::select()
            .column(tasks::Column::Id)
            .from(tasks::Entity)
            .and_where(tasks::Column::PlanId.is_in(not_kept))
            .to_owned();
        all.extend(owed_on(conn, in_scope, on, filter.kind, None, Some(ObligationStatus::Late)).await?);
    }
    in_order(&mut all);
    Ok(all)
}

/// The reports owed on the tasks of `in_scope` (already visible to the
/// caller) that are late on `on`, in no particular order: from what is
/// kept of their plans where it counts, from the calendar for the rest.
pub(crate) async fn late_on_tasks<C: ConnectionTrait>(
    conn: &C,
    in_scope: SelectStatement,
    on: NaiveDate,
) -> DomainResult<Vec<Obligation>> {
    let plans = Query::select()
        .distinct()
        .column(tasks::Column::PlanId)
        .from(tasks::Entity)
        .and_where(tasks::Column::Id.in_subquery(in_scope.clone()))
        .to_owned();
    let kept::Late {
        kept: mut all,
        not_kept,
    } = kept::late(conn, plans, Some(in_scope.clone()), on, None).await?;
    if !not_kept.is_empty() {
        let rest = Query::select()
            .column(tasks::Column::Id)
            .from(tasks::Entity)
            .and_where(tasks::Column::Id.in_subquery(in_scope))
            .and_where(tasks::Column::PlanId.is_in(not_kept))
            .to_owned();
        all.extend(owed_on(conn, rest, on, None, None, Some(ObligationStatus::Late)).await?);
    }
    Ok(all)
}

fn check_on(on: Option<NaiveDate>, today: NaiveDate) -> DomainResult<NaiveDate> {
    let on = on.unwrap_or(today);
    if !(2000..=2100).contains(&on.year()) {
        return Err(DomainError::invalid("on", "a day from 2000 to 2100"));
    }
    Ok(on)
}

/// The reports owed as of a day that meet `filter`: counts, and one page of
/// `limit` (at most [`MAX_LIMIT`]) from `offset`.
pub async fn obligations<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: CalendarFilter,
    limit: u64,
    offset: u64,
) -> DomainResult<CalendarPage> {
    let on = check_on(filter.on, caller.today())?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(DomainError::invalid(
            "limit",
            Text::new("from 1 to %{max}").arg("max", MAX_LIMIT),
        ));
    }
    let all = owed(conn, caller, &filter, on, None).await?;
    let mut counts = ObligationCounts::default();
    for o in &all {
        counts.add(o.status);
    }
    let wanted: Vec<Obligation> = all
        .into_iter()
        .filter(|o| filter.status.is_none_or(|s| o.status == s))
        .collect();
    let total = wanted.len() as u64;
    let items: Vec<Obligation> = wanted
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    let next = offset.saturating_add(items.len() as u64);
    Ok(CalendarPage {
        on,
        counts,
        total,
        items,
        next_offset: (next < total).then_some(next),
    })
}

/// The units with late reports as of a day, across the plans the caller
/// sees (a coordinator: its own), the most late first, then the oldest,
/// by name, and by district's name where units share one.
pub async fn late_units<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: CalendarFilter,
) -> DomainResult<LateReport> {
    let on = check_on(filter.on, caller.today())?;
    let all = late(conn, caller, &filter, on).await?;
    // A late report was never filed: a group's has no unit, only the group.
    let mut by_unit: HashMap<(Option<Uuid>, Option<Uuid>), Vec<Obligation>> = HashMap::new();
    for o in all {
        by_unit
            .entry((o.group_id.is_none().then_some(o.unit_id).flatten(), o.group_id))
            .or_default()
            .push(o);
    }
    let unit_ids = by_unit.keys().filter_map(|(unit, _)| *unit);
    let group_ids = by_unit.keys().filter_map(|(_, group)| *group);
    let mut names: HashMap<Uuid, (String, Uuid)> = units::Entity::find()
        .filter(units::Column::Id.is_in(unit_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.name, u.region_id)))
        .collect();
    names.extend(
        unit_groups::Entity::find()
            .filter(unit_groups::Column::Id.is_in(group_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|g| (g.id, (g.name, g.region_id))),
    );
    let mut late: Vec<LateUnit> = by_unit
        .into_iter()
        .filter_map(|((unit_id, group_id), items)| {
            let (name, region_id) = names.get(&group_id.or(unit_id)?)?;
            Some(LateUnit {
                unit_id,
                group_id,
                unit_name: name.clone(),
                region_id: *region_id,
                late: items.len() as u64,
                oldest_due_on: items.first()?.due_on,
                items: items.into_iter().take(LATE_ITEMS).collect(),
            })
        })
        .collect();
    // Offices' units share names across districts (区商务委): equal counts
    // and names then go by the district's name, so that the list (and its
    // document) comes in the same order every time.
    let districts = names::of(conn, Named::Regions, late.iter().map(|u| u.region_id)).await?;
    late.sort_by(|a, b| {
        b.late
            .cmp(&a.late)
            .then(a.oldest_due_on.cmp(&b.oldest_due_on))
            .then(a.unit_name.cmp(&b.unit_name))
            .then(districts.get(&a.region_id).cmp(&districts.get(&b.region_id)))
            .then((a.unit_id, a.group_id).cmp(&(b.unit_id, b.group_id)))
    });
    Ok(LateReport { on, units: late })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rhythm_is_monthly_quarterly_and_yearly() {
        let periods = Calendar::default().periods(2025);
        assert_eq!(periods.len(), 17);
        let due = |text: &str| {
            let period = ReportPeriod::parse(text).expect("period");
            periods.iter().find(|(p, _)| *p == period).map(|(_, d)| d.to_string())
        };
        assert_eq!(due("2025-01").as_deref(), Some("2025-02-05"));
        assert_eq!(due("2025-12").as_deref(), Some("2026-01-05"));
        assert_eq!(due("2025-Q1").as_deref(), Some("2025-04-10"));
        assert_eq!(due("2025-Q4").as_deref(), Some("2026-01-10"));
        assert_eq!(due("2025").as_deref(), Some("2025-11-20"));
        assert_eq!(
            Calendar::default()
                .summary_due_on(2025)
                .map(|d| d.to_string())
                .as_deref(),
            Some("2025-12-20")
        );
    }

    #[test]
    fn a_calendar_without_monthly_reports_owes_quarters_and_the_year() {
        let calendar = Calendar {
            monthly_due_day: None,
            ..Calendar::default()
        };
        assert_eq!(calendar.periods(2025).len(), 5);
    }

    #[test]
    fn bad_calendars_name_their_fields() {
        let calendar = Calendar {
            monthly_due_day: Some(31),
            quarterly_due_day: Some(0),
            half_yearly_due_day: Some(29),
            yearly_due: "02-29".into(),
            summary_due: "1220".into(),
        };
        let mut v = Validator::new();
        calendar.validate(&mut v);
        let message = v.finish().expect_err("invalid").to_string();
        for field in [
            "monthly_due_day",
            "quarterly_due_day",
            "half_yearly_due_day",
            "yearly_due",
            "summary_due",
        ] {
            assert!(message.contains(field), "{message}");
        }
    }
}
