//! Traffic lights (督查亮灯): what the 督查室 looks at first. A task is red
//! when it is overdue or a report it owes is late; yellow when its deadline
//! is within the plan's N days and it is not complete, or when its progress
//! trails the elapsed share of its time by more than the plan's M points;
//! green otherwise. A cancelled task is green: nothing is asked of it.
//!
//! The elapsed share is the days since the plan's year began over the days
//! from then to the deadline; a task with no figure counts 0 progress.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{plans, tasks};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, QuerySelect, QueryTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::calendar::{late_on_tasks, owed_on};
use super::error::Validator;
use super::names::{self, Named};
use super::statistics::get_uuid;
use super::task::Task;
use super::values::{AssignmentRole, Light, ObligationStatus, TaskStatus, is_overdue};
use super::{DomainError, DomainResult};

pub mod kept;

/// A plan's thresholds for yellow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LightSettings {
    /// N: a task not complete turns yellow this many days before its deadline.
    #[schema(minimum = 0, maximum = 366, example = 15)]
    pub due_soon_days: i32,
    /// M: a task turns yellow when its progress trails the elapsed share of
    /// its time by more than this many percentage points.
    #[schema(minimum = 0, maximum = 100, example = 20)]
    pub lag_points: i32,
}

impl Default for LightSettings {
    fn default() -> LightSettings {
        LightSettings {
            due_soon_days: 15,
            lag_points: 20,
        }
    }
}

impl LightSettings {
    /// A stored plan's thresholds.
    pub(crate) fn of(plan: &plans::Model) -> LightSettings {
        LightSettings {
            due_soon_days: plan.light_due_days,
            lag_points: plan.light_lag_points,
        }
    }

    pub fn validate(&self, v: &mut Validator) {
        v.check(
            (0..=366).contains(&self.due_soon_days),
            "lights.due_soon_days",
            "from 0 to 366 days",
        );
        v.check(
            (0..=100).contains(&self.lag_points),
            "lights.lag_points",
            "from 0 to 100 points",
        );
    }
}

/// Why a task is not green.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LightReason {
    /// `overdue`, `report_late` (red); `deadline_near`, `behind_schedule` (yellow).
    pub code: String,
    /// What a person reads: the day, the count, the figures.
    pub message: String,
}

impl LightReason {
    fn new(code: &str, message: String) -> LightReason {
        LightReason {
            code: code.to_owned(),
            message,
        }
    }

    /// The colour this reason gives.
    pub fn light(&self) -> Light {
        match self.code.as_str() {
            "overdue" | "report_late" => Light::Red,
            _ => Light::Yellow,
        }
    }
}

/// What a task's light is judged from.
pub struct Facts {
    pub status: TaskStatus,
    pub deadline: NaiveDate,
    /// The plan's year.
    pub year: i32,
    pub settings: LightSettings,
    /// The task's progress in percent; none counts 0.
    pub percent: Option<Decimal>,
    /// Its owed reports that are late: how many, and the oldest due day.
    pub late: Option<(usize, NaiveDate)>,
}

/// A task's light and the reasons for it, as of `today`.
pub fn judge(facts: &Facts, today: NaiveDate) -> (Light, Vec<LightReason>) {
    let mut reasons = Vec::new();
    if facts.status == TaskStatus::Cancelled {
        return (Light::Green, reasons);
    }
    if is_overdue(facts.status, facts.deadline, today) {
        reasons.push(LightReason::new(
            "overdue",
            format!("past its deadline of {} and not completed (逾期)", facts.deadline),
        ));
    }
    if let Some((count, oldest)) = facts.late {
        reasons.push(LightReason::new(
            "report_late",
            format!("{count} report(s) owed are late, the oldest due {oldest}"),
        ));
    }
    let open = facts.status != TaskStatus::Completed;
    let days_left = (facts.deadline - today).num_days();
    if open && (0..=i64::from(facts.settings.due_soon_days)).contains(&days_left) {
        reasons.push(LightReason::new(
            "deadline_near",
            format!(
                "due {} ({days_left} day(s) left, within {}) and not completed",
                facts.deadline, facts.settings.due_soon_days
            ),
        ));
    }
    if open {
        let begun = NaiveDate::from_ymd_opt(facts.year, 1, 1).unwrap_or(NaiveDate::MIN);
        let span = (facts.deadline - begun).num_days();
        let elapsed = (today - begun).num_days().clamp(0, span.max(0));
        let expected = if span <= 0 {
            Decimal::ONE_HUNDRED
        } else {
            Decimal::from(elapsed) * Decimal::ONE_HUNDRED / Decimal::from(span)
        };
        let percent = facts.percent.unwrap_or(Decimal::ZERO);
        if expected - percent > Decimal::from(facts.settings.lag_points) {
            reasons.push(LightReason::new(
                "behind_schedule",
                format!(
                    "progress {}% trails the {}% of its time elapsed by more than {} points",
                    percent.round_dp(2).normalize(),
                    expected.round_dp(2).normalize(),
                    facts.settings.lag_points
                ),
            ));
        }
    }
    let light = reasons.iter().map(LightReason::light).max().unwrap_or(Light::Green);
    (light, reasons)
}

/// Judges the lights of tasks the caller may already see, as of `today`,
/// as [`judged`] does: from their rows, their plans' settings, their kept
/// progress and the late reports they owe.
pub async fn judge_all<C: ConnectionTrait>(conn: &C, today: NaiveDate, tasks: &mut [Task]) -> DomainResult<()> {
    if tasks.is_empty() {
        return Ok(());
    }
    let in_scope = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::Id.is_in(tasks.iter().map(|t| t.id)))
        .to_owned();
    let mut judged: HashMap<Uuid, Judged> = judged(conn, today, &in_scope, Owing::Kept)
        .await?
        .into_iter()
        .map(|j| (j.task_id, j))
        .collect();
    for task in tasks.iter_mut() {
        let found = judged
            .remove(&task.id)
            .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("task {} without its plan", task.id)))?;
        (task.light, task.light_reasons) = (found.light, found.reasons);
    }
    Ok(())
}

/// Where the late reports that turn a task red are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owing {
    /// What is kept of each plan where it counts
    /// ([`crate::domain::calendar::kept`]), the calendar for the rest.
    Kept,
    /// The calendar alone: what the keeper keeps, and what its check
    /// compares the kept rows with.
    Calendar,
}

/// Per task of `in_scope`, the reports it owes that are late on `today`:
/// how many, and the oldest due day.
async fn late_reports<C: ConnectionTrait>(
    conn: &C,
    in_scope: SelectStatement,
    today: NaiveDate,
    owing: Owing,
) -> DomainResult<HashMap<Uuid, (usize, NaiveDate)>> {
    let owed = match owing {
        Owing::Kept => late_on_tasks(conn, in_scope, today).await?,
        Owing::Calendar => owed_on(conn, in_scope, today, None, None, Some(ObligationStatus::Late)).await?,
    };
    let mut late: HashMap<Uuid, (usize, NaiveDate)> = HashMap::new();
    for o in owed {
        let entry = late.entry(o.task_id).or_insert((0, o.due_on));
        entry.0 += 1;
        entry.1 = entry.1.min(o.due_on);
    }
    Ok(late)
}

/// How many tasks show each colour, and the worst of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LightCounts {
    pub green: u64,
    pub yellow: u64,
    pub red: u64,
    /// The worst colour among them; none without tasks.
    pub worst: Option<Light>,
}

impl LightCounts {
    pub fn add(&mut self, light: Light) {
        match light {
            Light::Green => self.green += 1,
            Light::Yellow => self.yellow += 1,
            Light::Red => self.red += 1,
        }
        self.worst = self.worst.max(Some(light));
    }

    /// The lights of the tasks of `in_scope` on `today`, judged from their
    /// kept progress (`figures`) without building their views: the same
    /// colours their views show, at the cost of one row a task.
    pub(crate) async fn of_kept<C: ConnectionTrait>(
        conn: &C,
        today: NaiveDate,
        in_scope: &SelectStatement,
    ) -> DomainResult<LightCounts> {
        let mut counts = LightCounts::default();
        for task in judged(conn, today, in_scope, Owing::Kept).await? {
            counts.add(task.light);
        }
        Ok(counts)
    }

    /// Counts of each colour, as kept.
    pub(crate) fn of_counts(green: u64, yellow: u64, red: u64) -> LightCounts {
        let worst = [(red, Light::Red), (yellow, Light::Yellow), (green, Light::Green)]
            .into_iter()
            .find(|(n, _)| *n > 0)
            .map(|(_, light)| light);
        LightCounts {
            green,
            yellow,
            red,
            worst,
        }
    }

    /// These and `other` together.
    pub(crate) fn merge(&mut self, other: &LightCounts) {
        self.green += other.green;
        self.yellow += other.yellow;
        self.red += other.red;
        self.worst = self.worst.max(other.worst);
    }
}

/// Where a task's light is counted when lights are kept: its plan and its
/// category (`''` for none).
pub(crate) type PlanCategory = (Uuid, String);

/// A task's light, judged without building its view ([`judged`]).
pub(crate) struct Judged {
    pub(crate) task_id: Uuid,
    /// Its plan and category.
    pub(crate) place: PlanCategory,
    pub(crate) light: Light,
    pub(crate) reasons: Vec<LightReason>,
}

/// The light of each task of `in_scope` on `today`, with its plan and
/// category, judged from its kept progress (`figures`) and the late
/// reports `owing` reads, without building its view.
pub(crate) async fn judged<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
    in_scope: &SelectStatement,
    owing: Owing,
) -> DomainResult<Vec<Judged>> {
    let sql = "SELECT t.id, t.status, t.deadline, p.year, p.light_due_days, p.light_lag_points, f.progress_e2, \
         t.plan_id, COALESCE(t.category, '') \
         FROM tasks t JOIN plans p ON p.id = t.plan_id LEFT JOIN task_figures f ON f.task_id = t.id \
         WHERE t.id IN ({tasks})";
    let late = late_reports(conn, in_scope.clone(), today, owing).await?;
    let internal = |e: sea_orm::DbErr| DomainError::Internal(e.into());
    let mut out = Vec::new();
    for row in super::statistics::query(conn, sql, in_scope).await? {
        let id: Uuid = row.try_get_by_index(0).map_err(internal)?;
        let status: String = row.try_get_by_index(1).map_err(internal)?;
        let progress: Option<i64> = row.try_get_by_index(6).map_err(internal)?;
        let facts = Facts {
            status: super::region::parse_stored(&status)?,
            deadline: row.try_get_by_index(2).map_err(internal)?,
            year: row.try_get_by_index(3).map_err(internal)?,
            settings: LightSettings {
                due_soon_days: row.try_get_by_index(4).map_err(internal)?,
                lag_points: row.try_get_by_index(5).map_err(internal)?,
            },
            percent: progress.map(|hundredths| Decimal::new(hundredths, 2)),
            late: late.get(&id).copied(),
        };
        let place = (
            row.try_get_by_index(7).map_err(internal)?,
            row.try_get_by_index(8).map_err(internal)?,
        );
        let (light, reasons) = judge(&facts, today);
        out.push(Judged {
            task_id: id,
            place,
            light,
            reasons,
        });
    }
    Ok(out)
}

/// The lights of what a task list rolls up to: a plan, a lead unit or
/// group, or a leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LightRollup {
    pub id: Uuid,
    /// The plan's title, the unit's or group's name, the leader's name.
    pub name: String,
    #[serde(flatten)]
    pub counts: LightCounts,
}

/// The lights of the tasks in a filter, in all and rolled up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LightSummary {
    /// The day judged (today in China).
    pub on: NaiveDate,
    /// Over every task in the filter.
    pub total: LightCounts,
    /// By plan, the worst first (then the most red, then by name).
    pub plans: Vec<LightRollup>,
    /// By lead unit or lead group, the worst first.
    pub units: Vec<LightRollup>,
    /// By leader (牵头领导), the worst first.
    pub leaders: Vec<LightRollup>,
}

/// What a task's light is rolled up by: its plan, its lead units and
/// groups (id and name), its leaders.
pub struct Rolled<'a> {
    pub plan_id: Uuid,
    pub light: Light,
    pub leads: &'a [(Uuid, String)],
    pub leader_ids: &'a [Uuid],
}

/// Rolls lights up by plan, lead unit and leader.
pub fn summarize<'a>(
    on: NaiveDate,
    tasks: impl IntoIterator<Item = Rolled<'a>>,
    plan_titles: &HashMap<Uuid, String>,
    leader_names: &HashMap<Uuid, String>,
) -> LightSummary {
    let mut total = LightCounts::default();
    let mut plans: HashMap<Uuid, LightRollup> = HashMap::new();
    let mut units: HashMap<Uuid, LightRollup> = HashMap::new();
    let mut leaders: HashMap<Uuid, LightRollup> = HashMap::new();
    let rollup = |id: Uuid, name: &str| LightRollup {
        id,
        name: name.to_owned(),
        counts: LightCounts::default(),
    };
    for task in tasks {
        total.add(task.light);
        let title = plan_titles.get(&task.plan_id).map_or("", String::as_str);
        plans
            .entry(task.plan_id)
            .or_insert_with(|| rollup(task.plan_id, title))
            .counts
            .add(task.light);
        let mut leads = HashSet::new();
        for (id, name) in task.leads {
            if leads.insert(*id) {
                units
                    .entry(*id)
                    .or_insert_with(|| rollup(*id, name))
                    .counts
                    .add(task.light);
            }
        }
        for id in task.leader_ids {
            let name = leader_names.get(id).map_or("", String::as_str);
            leaders
                .entry(*id)
                .or_insert_with(|| rollup(*id, name))
                .counts
                .add(task.light);
        }
    }
    let sorted = |map: HashMap<Uuid, LightRollup>| {
        let mut out: Vec<LightRollup> = map.into_values().collect();
        out.sort_by(|a, b| {
            b.counts
                .worst
                .cmp(&a.counts.worst)
                .then(b.counts.red.cmp(&a.counts.red))
                .then(b.counts.yellow.cmp(&a.counts.yellow))
                .then(a.name.cmp(&b.name))
                .then(a.id.cmp(&b.id))
        });
        out
    };
    LightSummary {
        on,
        total,
        plans: sorted(plans),
        units: sorted(units),
        leaders: sorted(leaders),
    }
}

/// The lights of the tasks the caller may see that meet `filter` (a
/// plan, a unit, a leader, a region, a year …), in all and rolled up by
/// plan, lead unit and leader, as of today. Each task is judged from its
/// kept progress and the late reports kept of its plan, as its view is,
/// without building the view: a row a task and a row a lead and leader.
pub async fn summary<C: ConnectionTrait>(
    conn: &C,
    caller: &super::Caller,
    filter: &super::task::TaskFilter,
) -> DomainResult<LightSummary> {
    let today = caller.today();
    let scope = super::task::filtered(conn, caller, filter)
        .await?
        .select_only()
        .column(tasks::Column::Id)
        .into_query();
    let judged = judged(conn, today, &scope, Owing::Kept).await?;
    let leads = leads_of(conn, &scope).await?;
    let leaders = super::leader::ids_in(conn, &scope).await?;
    let plan_titles = names::of(conn, Named::PlanTitles, judged.iter().map(|t| t.place.0)).await?;
    let leader_ids: HashSet<Uuid> = leaders.values().flatten().copied().collect();
    let leader_names = names::of(conn, Named::Leaders, leader_ids).await?;
    let rolled = judged.iter().map(|t| Rolled {
        plan_id: t.place.0,
        light: t.light,
        leads: leads.get(&t.task_id).map_or(&[], Vec::as_slice),
        leader_ids: leaders.get(&t.task_id).map_or(&[], Vec::as_slice),
    });
    Ok(summarize(today, rolled, &plan_titles, &leader_names))
}

/// The lead units and groups of each task of `in_scope`, with their
/// names, in the task's order of units.
async fn leads_of<C: ConnectionTrait>(
    conn: &C,
    in_scope: &SelectStatement,
) -> DomainResult<HashMap<Uuid, Vec<(Uuid, String)>>> {
    let sql = "SELECT a.task_id, COALESCE(a.unit_id, a.group_id), COALESCE(u.name, g.name, '') \
         FROM task_assignments a LEFT JOIN units u ON u.id = a.unit_id \
         LEFT JOIN unit_groups g ON g.id = a.group_id \
         WHERE a.role = '{lead}' AND a.task_id IN ({tasks}) ORDER BY a.task_id, a.position";
    let internal = |e: sea_orm::DbErr| DomainError::Internal(e.into());
    let mut out: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    let sql = sql.replace("{lead}", AssignmentRole::Lead.as_str());
    for row in super::statistics::query(conn, &sql, in_scope).await? {
        let (Some(task), Some(lead)) = (get_uuid(&row, 0)?, get_uuid(&row, 1)?) else {
            continue;
        };
        let name: String = row.try_get_by_index(2).map_err(internal)?;
        out.entry(task).or_default().push((lead, name));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("day")
    }

    fn facts(status: TaskStatus, deadline: &str, percent: Option<i64>) -> Facts {
        Facts {
            status,
            deadline: day(deadline),
            year: 2025,
            settings: LightSettings::default(),
            percent: percent.map(Decimal::from),
            late: None,
        }
    }

    fn codes(facts: &Facts, today: &str) -> (Light, Vec<String>) {
        let (light, reasons) = judge(facts, day(today));
        (light, reasons.into_iter().map(|r| r.code).collect())
    }

    #[test]
    fn each_reason_gives_its_colour() {
        // Halfway through a year-long task at 40 %: 50.3 − 40 is within 20 points.
        let on_track = facts(TaskStatus::InProgress, "2025-12-31", Some(40));
        assert_eq!(codes(&on_track, "2025-07-02"), (Light::Green, vec![]));
        // At 20 %, it trails by 30 points.
        let behind = facts(TaskStatus::InProgress, "2025-12-31", Some(20));
        assert_eq!(
            codes(&behind, "2025-07-02"),
            (Light::Yellow, vec!["behind_schedule".into()])
        );
        // Fifteen days before the deadline, not complete (and at 90 %, not behind).
        let near = facts(TaskStatus::InProgress, "2025-12-31", Some(90));
        assert_eq!(
            codes(&near, "2025-12-16"),
            (Light::Yellow, vec!["deadline_near".into()])
        );
        assert_eq!(codes(&near, "2025-12-15"), (Light::Green, vec![]));
        // Past the deadline.
        let late = facts(TaskStatus::InProgress, "2025-06-30", Some(100));
        assert_eq!(codes(&late, "2025-07-01"), (Light::Red, vec!["overdue".into()]));
        // A report late: red whatever else.
        let mut owing = facts(TaskStatus::Completed, "2025-12-31", None);
        owing.late = Some((2, day("2025-04-10")));
        assert_eq!(codes(&owing, "2025-07-01"), (Light::Red, vec!["report_late".into()]));
        // Completed, cancelled: nothing to chase.
        assert_eq!(
            codes(&facts(TaskStatus::Completed, "2025-06-30", None), "2025-12-31"),
            (Light::Green, vec![])
        );
        assert_eq!(
            codes(&facts(TaskStatus::Cancelled, "2025-06-30", None), "2025-12-31"),
            (Light::Green, vec![])
        );
    }

    #[test]
    fn the_elapsed_share_runs_from_the_plans_year_to_the_deadline() {
        // A task due 2025-03-31 (89 days from 01-01), on 02-15 (45 days):
        // 50.56 % elapsed; at 30 % it trails by 20.56 points: yellow.
        let t = facts(TaskStatus::NotStarted, "2025-03-31", Some(30));
        let (light, reasons) = judge(&t, day("2025-02-15"));
        assert_eq!(light, Light::Yellow);
        assert_eq!(
            reasons[0].message,
            "progress 30% trails the 50.56% of its time elapsed by more than 20 points"
        );
        // Before the year begins nothing has elapsed.
        assert_eq!(codes(&t, "2024-12-01"), (Light::Green, vec![]));
    }
}
