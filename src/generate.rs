//! `xietong generate`: synthetic data at the scale of a whole city, for
//! benchmarks. The demo's regions and pairings come first, then synthetic
//! regions and pairings until there are enough; each pairing gets a plan a
//! year, each plan its tasks with units and targets, and each task its
//! monthly reports. Rows are written in bulk, a plan per transaction, not
//! through the domain's per-row checks and audit: this is a loader, not a
//! user. The same seed gives the same figures (ids are random).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use entity::{metrics, pairings, plans, regions, report_values, reports, targets, task_assignments, tasks, units};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::documents::reference;
use crate::domain::Caller;
use crate::domain::calendar::{Calendar, Reporting};
use crate::domain::light::LightSettings;
use crate::domain::values::{
    AssignmentRole, Cluster, Comparator, PairingStatus, PeriodKind, PlanKind, PlanStatus, RegionKind, ReportStatus,
    Side, TaskStatus, UnitKind, end_of_year, last_day_of_month,
};

/// How much to generate.
#[derive(Clone, Debug)]
pub struct CityOptions {
    /// Pairings with plans (the demo's, then synthetic ones).
    pub pairings: usize,
    /// Plan years per pairing, ending with `last_year`.
    pub years: i32,
    pub last_year: i32,
    /// Tasks per plan.
    pub tasks: i32,
    /// Monthly reports per task (up to 12).
    pub months: u32,
    /// Projects (援建项目) per pairing and year, with milestones and money.
    pub projects: u32,
    pub seed: u64,
}

impl Default for CityOptions {
    fn default() -> CityOptions {
        CityOptions {
            pairings: 20,
            years: 5,
            last_year: 2025,
            tasks: 200,
            months: 12,
            projects: 20,
            seed: 1,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Generated {
    pub regions: u64,
    pub units: u64,
    pub pairings: u64,
    pub plans: u64,
    pub tasks: u64,
    pub assignments: u64,
    pub targets: u64,
    pub reports: u64,
    pub report_values: u64,
    pub projects: u64,
    pub project_milestones: u64,
    pub fund_movements: u64,
}

/// Rows per INSERT: below both backends' limits on bound parameters.
const CHUNK: usize = 1000;

/// The departments every generated region has (the helper side leads, the
/// recipient side supports).
const DEPARTMENTS: &[&str] = &[
    "发展改革委",
    "经济信息委",
    "商务委",
    "农业农村委",
    "教委",
    "卫生健康委",
    "人力社保局",
    "文化旅游委",
    "科技局",
    "规划自然资源局",
];

const CATEGORIES: &[&str] = &[
    "产业协作",
    "消费帮扶",
    "劳务协作",
    "教育协作",
    "医疗协作",
    "人才交流",
    "生态协作",
    "招商引资",
];

/// The metrics synthetic targets use, with a typical yearly value each.
const TARGET_METRICS: &[(&str, i64)] = &[
    ("investment_funds", 3000),
    ("projects_introduced", 5),
    ("enterprise_partnerships", 8),
    ("produce_sales", 2000),
    ("jobs", 300),
    ("trainees", 500),
    ("teachers_exchanged", 20),
    ("medical_staff_exchanged", 15),
    ("officials_exchanged", 6),
    ("ecological_compensation", 1000),
];

/// A small deterministic generator (SplitMix64): the same seed, the same
/// city (and, in the tests, the same random writes).
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

async fn insert_chunks<E, A, C>(conn: &C, rows: Vec<A>) -> Result<u64, sea_orm::DbErr>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    C: sea_orm::ConnectionTrait,
{
    let count = rows.len() as u64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        E::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(count)
}

/// The city: the demo's regions and pairings, synthetic ones beyond, and a
/// plan per pairing and year with its tasks, units, targets and reports.
/// Plans that are already there (by title) are left alone.
pub async fn city(
    db: &DatabaseConnection,
    options: &CityOptions,
    progress: &dyn crate::progress::Progress,
) -> anyhow::Result<Generated> {
    anyhow::ensure!(options.months <= 12, "at most 12 monthly reports a task");
    anyhow::ensure!((1..=100_000).contains(&options.tasks), "tasks per plan: 1 to 100000");
    let system = Caller::system();
    let mut out = Generated::default();
    let regions_report = reference::regions(db, &system, crate::demo::REGIONS, false).await?;
    out.regions += regions_report.created as u64;
    let pairings_report = reference::pairings(db, &system, crate::demo::PAIRINGS, false).await?;
    out.pairings += pairings_report.created as u64;

    let mut rng = Rng(options.seed);
    let mut pairs: Vec<pairings::Model> = pairings::Entity::find()
        .order_by_asc(pairings::Column::CreatedAt)
        .order_by_asc(pairings::Column::Id)
        .all(db)
        .await?;
    let mut n = 0;
    while pairs.len() < options.pairings {
        n += 1;
        let helper = synthetic_region(
            db,
            &format!("合成帮扶区{n:02}"),
            RegionKind::District,
            Cluster::MainMetro,
        )
        .await?;
        let cluster = if n % 2 == 0 {
            Cluster::Southeast
        } else {
            Cluster::Northeast
        };
        let recipient = synthetic_region(db, &format!("合成协作县{n:02}"), RegionKind::County, cluster).await?;
        out.regions += u64::from(helper.1) + u64::from(recipient.1);
        let existing = pairings::Entity::find()
            .filter(pairings::Column::HelperRegionId.eq(helper.0))
            .filter(pairings::Column::RecipientRegionId.eq(recipient.0))
            .one(db)
            .await?;
        if existing.is_some() {
            continue;
        }
        let now = Utc::now();
        let model = pairings::ActiveModel {
            id: Set(Uuid::new_v4()),
            helper_region_id: Set(helper.0),
            recipient_region_id: Set(recipient.0),
            start_year: Set(Some(options.last_year - options.years + 1)),
            status: Set(PairingStatus::Active.as_str().into()),
            note: Set(Some("generated".into())),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        pairings::Entity::insert(model).exec_without_returning(db).await?;
        out.pairings += 1;
        pairs = pairings::Entity::find()
            .order_by_asc(pairings::Column::CreatedAt)
            .order_by_asc(pairings::Column::Id)
            .all(db)
            .await?;
    }
    pairs.truncate(options.pairings);

    let metric_rows = metrics::Entity::find().all(db).await?;
    let metric_of: HashMap<&str, &metrics::Model> = metric_rows.iter().map(|m| (m.code.as_str(), m)).collect();
    let catalogue: Vec<(&metrics::Model, i64)> = TARGET_METRICS
        .iter()
        .filter_map(|(code, typical)| metric_of.get(code).map(|m| (*m, *typical)))
        .collect();
    anyhow::ensure!(!catalogue.is_empty(), "the metric catalogue is empty: migrate first");
    let categories: Vec<Uuid> = entity::project_categories::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    anyhow::ensure!(
        !categories.is_empty(),
        "the project categories are empty: migrate first"
    );

    let years = u64::try_from(options.years).unwrap_or(0);
    progress.start("plans", pairs.len() as u64 * years);
    for pair in &pairs {
        let helper = region(db, pair.helper_region_id).await?;
        let recipient = region(db, pair.recipient_region_id).await?;
        let helper_units = departments(db, &helper, &mut out).await?;
        let recipient_units = departments(db, &recipient, &mut out).await?;
        let names = (helper.name, recipient.name);
        for year in (options.last_year - options.years + 1)..=options.last_year {
            let title = format!("{}·{}{year}年度对口协同发展任务清单（合成）", names.0, names.1);
            let exists = plans::Entity::find()
                .filter(plans::Column::PairingId.eq(pair.id))
                .filter(plans::Column::Year.eq(year))
                .filter(plans::Column::Title.eq(title.as_str()))
                .one(db)
                .await?;
            if exists.is_some() {
                progress.advance(1);
                continue;
            }
            let plan = PlanSpec {
                pairing_id: pair.id,
                year,
                title,
                helper_units: &helper_units,
                recipient_units: &recipient_units,
                recipient_region: recipient.id,
                catalogue: &catalogue,
                categories: &categories,
            };
            write_plan(db, &mut rng, options, &plan, &mut out).await?;
            progress.advance(1);
        }
    }
    let ids = crate::domain::figures::task_ids(db).await?;
    keep_figures(db, progress, &ids).await?;
    Ok(out)
}

/// Writes the figures the service keeps per task for every task, once the
/// load is over and the planner knows the tables: refreshed plan by plan
/// while loading, each refresh read the growing reports as if they were
/// empty (3 s a plan by the 90th of 100,000 tasks).
async fn keep_figures(
    db: &DatabaseConnection,
    progress: &dyn crate::progress::Progress,
    ids: &[Uuid],
) -> anyhow::Result<()> {
    analyze(db).await?;
    progress.start("figures", ids.len() as u64);
    let mut plans = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        plans.extend(crate::domain::figures::refresh_tasks(db, chunk).await?);
        progress.advance(chunk.len() as u64);
    }
    crate::domain::figures::refresh_plans(db, &plans).await?;
    progress.finish();
    analyze(db).await?;
    // Tasks written in bulk changed lights no write recorded: today's are
    // judged again (the service would, in the background).
    crate::domain::light::kept::forget_all(db).await?;
    crate::domain::light::kept::keep(db, crate::domain::Clock::system().today()).await?;
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load. PostgreSQL's
/// autovacuum would a while later: until then a filter by year or pairing
/// was planned as over empty tables (4.2 s instead of 0.2 s for a year's
/// statistics at 10,000 tasks, BENCHMARKS.md). SQLite has none until
/// asked (`sqlite_stat1`): with them a plan's progress took 28 ms instead
/// of 93, a unit's late reports 2 ms instead of 24.
async fn analyze(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// A region by name, made when missing; whether it was made.
async fn synthetic_region(
    db: &DatabaseConnection,
    name: &str,
    kind: RegionKind,
    cluster: Cluster,
) -> anyhow::Result<(Uuid, bool)> {
    if let Some(found) = regions::Entity::find()
        .filter(regions::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok((found.id, false));
    }
    let now = Utc::now();
    let id = Uuid::new_v4();
    regions::Entity::insert(regions::ActiveModel {
        id: Set(id),
        code: Set(None),
        name: Set(name.into()),
        kind: Set(kind.as_str().into()),
        cluster: Set(Some(cluster.as_str().into())),
        parent_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    Ok((id, true))
}

async fn region(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<regions::Model> {
    regions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("region {id} is gone"))
}

/// The region's generated departments, made when missing.
async fn departments(
    db: &DatabaseConnection,
    region: &regions::Model,
    out: &mut Generated,
) -> anyhow::Result<Vec<Uuid>> {
    let region_id = region.id;
    let prefix = if region.kind == RegionKind::County.as_str() {
        "县"
    } else {
        "区"
    };
    let existing: HashMap<String, Uuid> = units::Entity::find()
        .filter(units::Column::RegionId.eq(region_id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.name, u.id))
        .collect();
    let now = Utc::now();
    let mut ids = Vec::with_capacity(DEPARTMENTS.len());
    let mut new = Vec::new();
    for name in DEPARTMENTS {
        let name = format!("{prefix}{name}");
        match existing.get(&name) {
            Some(id) => ids.push(*id),
            None => {
                let id = Uuid::new_v4();
                ids.push(id);
                new.push(units::ActiveModel {
                    id: Set(id),
                    region_id: Set(region_id),
                    name: Set(name),
                    kind: Set(UnitKind::Department.as_str().into()),
                    external_id: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                });
            }
        }
    }
    out.units += insert_chunks(db, new).await?;
    Ok(ids)
}

struct PlanSpec<'a> {
    pairing_id: Uuid,
    year: i32,
    title: String,
    helper_units: &'a [Uuid],
    recipient_units: &'a [Uuid],
    /// The recipient region, where the projects are built.
    recipient_region: Uuid,
    catalogue: &'a [(&'a metrics::Model, i64)],
    /// The project categories' ids.
    categories: &'a [Uuid],
}

/// One plan with its tasks, assignments, targets and reports, in one transaction.
async fn write_plan(
    db: &DatabaseConnection,
    rng: &mut Rng,
    options: &CityOptions,
    spec: &PlanSpec<'_>,
    out: &mut Generated,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let year = spec.year;
    let plan_id = Uuid::new_v4();
    let mut task_rows = Vec::new();
    let mut assignment_rows = Vec::new();
    let mut target_rows = Vec::new();
    let mut reported = Vec::new();
    for seq in 1..=options.tasks {
        let task_id = Uuid::new_v4();
        let category = *rng.pick(CATEGORIES);
        let deadline = last_day_of_month(year, 6 + rng.below(7) as u32);
        let status = match rng.below(100) {
            0..60 => TaskStatus::Completed,
            60..85 => TaskStatus::InProgress,
            85..95 => TaskStatus::NotStarted,
            _ => TaskStatus::Cancelled,
        };
        let completed_on = (status == TaskStatus::Completed).then(|| {
            deadline - Duration::days(rng.below(120) as i64) + Duration::days(if rng.below(10) == 0 { 30 } else { 0 })
        });
        task_rows.push(tasks::ActiveModel {
            id: Set(task_id),
            plan_id: Set(plan_id),
            section: Set(String::new()),
            seq: Set(seq),
            place: Set(crate::domain::task::place(0, seq)),
            category: Set(Some(category.into())),
            content: Set(format!("{category}第{seq}项：合成任务，用于统计与性能测试。")),
            deadline: Set(deadline),
            completed_on: Set(completed_on),
            deadline_text: Set(Some(format!("{year}年{}月底", deadline.month()))),
            status: Set(status.as_str().into()),
            declared_progress: Set(None),
            progress_note: Set(None),
            leaders: Set(serde_json::json!([])),
            notes: Set(None),
            source_cells: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            external_id: Set(None),
            external_client_id: Set(None),
            version: Set(1),
        });
        let lead = *rng.pick(spec.helper_units);
        let mut supporting = vec![(*rng.pick(spec.recipient_units), Side::Recipient)];
        let other = *rng.pick(spec.helper_units);
        if other != lead {
            supporting.push((other, Side::Helper));
        }
        let roles = std::iter::once((lead, AssignmentRole::Lead, Side::Helper))
            .chain(supporting.into_iter().map(|(u, s)| (u, AssignmentRole::Supporting, s)));
        for (position, (unit_id, role, side)) in roles.enumerate() {
            assignment_rows.push(task_assignments::ActiveModel {
                id: Set(Uuid::new_v4()),
                task_id: Set(task_id),
                unit_id: Set(Some(unit_id)),
                group_id: Set(None),
                role: Set(role.as_str().into()),
                side: Set(Some(side.as_str().into())),
                position: Set(position as i32),
                created_at: Set(now),
            });
        }
        let mut task_targets = Vec::new();
        let count = match rng.below(10) {
            0..3 => 0,
            3..8 => 1,
            _ => 2,
        };
        let mut used = HashSet::new();
        for position in 0..count {
            let (metric, typical) = *rng.pick(spec.catalogue);
            if !used.insert(metric.id) {
                continue;
            }
            let value = (typical / 2 + rng.below(typical as u64 + 1) as i64).max(1);
            let (comparator, max, text) = match rng.below(10) {
                0..7 => (
                    Comparator::AtLeast,
                    None,
                    format!("不少于{value}{}", metric.unit_of_measure),
                ),
                7 => (
                    Comparator::About,
                    None,
                    format!("{value}{}左右", metric.unit_of_measure),
                ),
                8 => (
                    Comparator::Range,
                    Some(value + value / 2),
                    format!("{value}—{}{}", value + value / 2, metric.unit_of_measure),
                ),
                _ => (
                    Comparator::AtMost,
                    None,
                    format!("不超过{value}{}", metric.unit_of_measure),
                ),
            };
            let target_id = Uuid::new_v4();
            task_targets.push((target_id, value * 10_000));
            target_rows.push(targets::ActiveModel {
                id: Set(target_id),
                task_id: Set(task_id),
                metric_id: Set(Some(metric.id)),
                label: Set(None),
                comparator: Set(comparator.as_str().into()),
                value_e4: Set(Some(value * 10_000)),
                value_max_e4: Set(max.map(|m| m * 10_000)),
                unit_of_measure: Set(metric.unit_of_measure.clone()),
                // Written in the metric's own unit: the value × 10⁸.
                normalized_e8: Set(Some(value * 100_000_000)),
                normalized_max_e8: Set(max.map(|m| m * 100_000_000)),
                baseline: Set(None),
                source_text: Set(text),
                position: Set(position),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            });
        }
        if status != TaskStatus::NotStarted {
            reported.push((task_id, lead, task_targets));
        }
    }

    // Each plan as a pairing's list is made by default.
    let calendar = Calendar::default_for(PlanKind::Pairing);
    let (reporting, lights) = (Reporting::default(), LightSettings::default());
    let txn = db.begin().await?;
    plans::Entity::insert(plans::ActiveModel {
        id: Set(plan_id),
        pairing_id: Set(Some(spec.pairing_id)),
        region_id: Set(None),
        year: Set(year),
        title: Set(spec.title.clone()),
        doc_number: Set(None),
        issued_on: Set(NaiveDate::from_ymd_opt(year, 3, 1)),
        issuers: Set(serde_json::json!([])),
        status: Set(PlanStatus::Issued.as_str().into()),
        default_deadline: Set(end_of_year(year)),
        monthly_due_day: Set(calendar.monthly_due_day),
        half_yearly_due_day: Set(calendar.half_yearly_due_day),
        quarterly_due_day: Set(calendar.quarterly_due_day),
        yearly_due: Set(calendar.yearly_due.clone()),
        summary_due: Set(calendar.summary_due.clone()),
        reporting_supporting: Set(reporting.supporting.as_str().into()),
        reporting_groups: Set(reporting.groups.as_str().into()),
        remind_days: Set(reporting.remind_days),
        evidence_required: Set(reporting.evidence_required),
        source_columns: Set(None),
        light_due_days: Set(lights.due_soon_days),
        light_lag_points: Set(lights.lag_points),
        created_at: Set(now),
        updated_at: Set(now),
        external_id: Set(None),
        external_client_id: Set(None),
        version: Set(1),
    })
    .exec_without_returning(&txn)
    .await?;
    out.plans += 1;
    out.tasks += insert_chunks(&txn, task_rows).await?;
    out.assignments += insert_chunks(&txn, assignment_rows).await?;
    out.targets += insert_chunks(&txn, target_rows).await?;
    let (report_rows, value_rows) = monthly_reports(rng, year, options.months, &reported);
    out.reports += insert_chunks(&txn, report_rows).await?;
    out.report_values += insert_chunks(&txn, value_rows).await?;
    let (project_rows, milestone_rows, movement_rows) = projects(rng, options, spec, plan_id, now);
    out.projects += insert_chunks(&txn, project_rows).await?;
    out.project_milestones += insert_chunks(&txn, milestone_rows).await?;
    out.fund_movements += insert_chunks(&txn, movement_rows).await?;
    txn.commit().await?;
    Ok(())
}

/// The projects of a pairing's year: each issued in spring, most started,
/// some completed and accepted, one in twenty cancelled; allocations from
/// the helper (and now and then the city) and spending within them.
fn projects(
    rng: &mut Rng,
    options: &CityOptions,
    spec: &PlanSpec<'_>,
    plan_id: Uuid,
    now: chrono::DateTime<Utc>,
) -> (
    Vec<entity::projects::ActiveModel>,
    Vec<entity::project_milestones::ActiveModel>,
    Vec<entity::fund_movements::ActiveModel>,
) {
    use crate::domain::values::{FundKind, FundSource, ProjectStatus};
    const PURPOSES: [&str; 4] = ["基础设施建设", "设备购置", "人才培训", "产业扶持"];
    let (mut projects, mut milestones, mut movements) = (Vec::new(), Vec::new(), Vec::new());
    let year = spec.year;
    let day = |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day).unwrap_or(end_of_year(year));
    for n in 1..=options.projects {
        let id = Uuid::new_v4();
        // 100万元 to 5000万元, the pairing's funds a third to all of it.
        let investment = (100 + rng.below(4901) as i64) * 10_000;
        let funds = investment / 3 + (rng.below(100) as i64 * investment / 150);
        let funds = funds.min(investment);
        let issued = day(3, 1 + rng.below(28) as u32);
        let mut steps = vec![(ProjectStatus::Issued, issued)];
        let fate = rng.below(100);
        if fate < 5 {
            steps.push((ProjectStatus::Cancelled, day(6, 1 + rng.below(28) as u32)));
        } else {
            if fate < 80 {
                steps.push((
                    ProjectStatus::Started,
                    day(4 + rng.below(3) as u32, 1 + rng.below(28) as u32),
                ));
            }
            if fate < 50 {
                steps.push((
                    ProjectStatus::Completed,
                    day(9 + rng.below(2) as u32, 1 + rng.below(28) as u32),
                ));
            }
            if fate < 30 {
                steps.push((ProjectStatus::Accepted, day(12, 1 + rng.below(20) as u32)));
            }
        }
        let status = steps.last().map_or(ProjectStatus::Issued, |(s, _)| *s);
        for (reached, on) in &steps {
            milestones.push(entity::project_milestones::ActiveModel {
                id: Set(Uuid::new_v4()),
                project_id: Set(id),
                status: Set(reached.as_str().into()),
                occurred_on: Set(*on),
                dated: Set(true),
                note: Set(None),
                recorded_by: Set(None),
                recorded_by_name: Set("generate".into()),
                created_at: Set(now),
            });
        }
        let allocated = funds * (50 + rng.below(51) as i64) / 100;
        let spent = if status == ProjectStatus::Issued {
            0
        } else {
            allocated * rng.below(101) as i64 / 100
        };
        let purpose = *rng.pick(&PURPOSES);
        let city = rng.below(5) == 0;
        for (kind, amount, source, on) in [
            (
                FundKind::Allocation,
                allocated,
                if city { FundSource::City } else { FundSource::Helper },
                day(3, 28),
            ),
            (FundKind::Spending, spent, FundSource::Helper, day(8, 15)),
        ] {
            if amount > 0 {
                movements.push(entity::fund_movements::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    project_id: Set(id),
                    kind: Set(kind.as_str().into()),
                    occurred_on: Set(on),
                    amount_e4: Set(amount),
                    source: Set(source.as_str().into()),
                    purpose: Set(purpose.into()),
                    reason: Set(None),
                    note: Set(None),
                    recorded_by: Set(None),
                    recorded_by_name: Set("generate".into()),
                    created_at: Set(now),
                });
            }
        }
        projects.push(entity::projects::ActiveModel {
            id: Set(id),
            pairing_id: Set(spec.pairing_id),
            year: Set(year),
            plan_id: Set(Some(plan_id)),
            task_id: Set(None),
            name: Set(format!("合成项目{year}-{n:03}")),
            category_id: Set(*rng.pick(spec.categories)),
            region_id: Set(spec.recipient_region),
            location: Set(None),
            content: Set(None),
            implementing_unit_id: Set(*rng.pick(spec.recipient_units)),
            helper_lead_unit_id: Set(Some(*rng.pick(spec.helper_units))),
            recipient_lead_unit_id: Set(None),
            investment_e4: Set(investment),
            pairing_funds_e4: Set(funds),
            external_id: Set(None),
            status: Set(status.as_str().into()),
            created_at: Set(now),
            updated_at: Set(now),
            external_client_id: Set(None),
            version: Set(1),
        });
    }
    (projects, milestones, movements)
}

/// A task to report on: its id, the unit that reports, and its targets with
/// their values (×10⁴).
type Reported = (Uuid, Uuid, Vec<(Uuid, i64)>);

/// `months` monthly consolidated reports per task with year-to-date actuals
/// growing towards each target: approved, except that one task in ten has its
/// last month still waiting for review.
fn monthly_reports(
    rng: &mut Rng,
    year: i32,
    months: u32,
    tasks: &[Reported],
) -> (Vec<reports::ActiveModel>, Vec<report_values::ActiveModel>) {
    let mut rows = Vec::with_capacity(tasks.len() * months as usize);
    let mut values = Vec::new();
    for (task_id, unit_id, targets) in tasks {
        // How far the task gets by December, in percent of each target.
        let reach: Vec<i64> = targets.iter().map(|_| 60 + rng.below(71) as i64).collect();
        let waiting = rng.below(10) == 0;
        for month in 1..=months {
            let report_id = Uuid::new_v4();
            let end = last_day_of_month(year, month);
            let submitted = Utc.from_utc_datetime(&(end + Duration::days(5)).and_time(NaiveTime::MIN));
            let approved = !(waiting && month == months);
            rows.push(reports::ActiveModel {
                id: Set(report_id),
                task_id: Set(*task_id),
                unit_id: Set(*unit_id),
                period: Set(format!("{year}-{month:02}")),
                period_kind: Set(PeriodKind::Month.as_str().into()),
                period_year: Set(year),
                period_end: Set(end),
                consolidated: Set(true),
                status: Set(if approved {
                    ReportStatus::Approved
                } else {
                    ReportStatus::Submitted
                }
                .as_str()
                .into()),
                text: Set(format!("{year}年{month}月工作进展（合成）。")),
                created_by: Set(None),
                submitted_by: Set(None),
                submitted_at: Set(Some(submitted)),
                reviewed_by: Set(None),
                reviewed_at: Set(approved.then(|| submitted + Duration::days(2))),
                return_reason: Set(None),
                created_at: Set(submitted),
                updated_at: Set(submitted),
                external_id: Set(None),
                external_client_id: Set(None),
                version: Set(if approved { 3 } else { 2 }),
            });
            for ((target_id, value), reach) in targets.iter().zip(&reach) {
                let actual = i128::from(*value) * i128::from(*reach) * i128::from(month) / (100 * 12);
                // Whole units of measure, as people report them.
                let actual = (actual / 10_000 * 10_000) as i64;
                values.push(report_values::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    report_id: Set(report_id),
                    target_id: Set(*target_id),
                    actual_e4: Set(actual),
                    unit_of_measure: Set(None),
                    normalized_e8: Set(Some(actual * 10_000)),
                });
            }
        }
    }
    (rows, values)
}

/// `months` monthly reports for every task that has no report yet, by its
/// lead unit (a unit assigned by name; tasks led only by a group are
/// skipped), for the plan's year.
pub async fn reports_for_existing(
    db: &DatabaseConnection,
    months: u32,
    seed: u64,
    progress: &dyn crate::progress::Progress,
) -> anyhow::Result<Generated> {
    anyhow::ensure!(months <= 12, "at most 12 monthly reports a task");
    let mut out = Generated::default();
    let mut rng = Rng(seed);
    let unreported: Vec<tasks::Model> = tasks::Entity::find()
        .filter(
            tasks::Column::Id.not_in_subquery(
                Query::select()
                    .column(reports::Column::TaskId)
                    .from(reports::Entity)
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let plan_years: HashMap<Uuid, i32> = plans::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.year))
        .collect();
    let mut by_year: HashMap<i32, Vec<Reported>> = HashMap::new();
    for chunk in unreported.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|t| t.id).collect();
        let assignments = task_assignments::Entity::find()
            .filter(task_assignments::Column::TaskId.is_in(ids.iter().copied()))
            .filter(task_assignments::Column::UnitId.is_not_null())
            .order_by_asc(task_assignments::Column::Position)
            .all(db)
            .await?;
        let target_rows = targets::Entity::find()
            .filter(targets::Column::TaskId.is_in(ids.iter().copied()))
            .order_by_asc(targets::Column::Position)
            .all(db)
            .await?;
        for task in chunk {
            let mine = assignments.iter().filter(|a| a.task_id == task.id);
            let lead = mine
                .clone()
                .find(|a| a.role == AssignmentRole::Lead.as_str())
                .or_else(|| mine.clone().next())
                .and_then(|a| a.unit_id);
            let (Some(unit_id), Some(year)) = (lead, plan_years.get(&task.plan_id)) else {
                continue;
            };
            let values = target_rows
                .iter()
                .filter(|t| t.task_id == task.id)
                .filter_map(|t| Some((t.id, t.value_e4?)))
                .collect();
            by_year.entry(*year).or_default().push((task.id, unit_id, values));
        }
    }
    progress.start("tasks", by_year.values().map(|tasks| tasks.len() as u64).sum());
    let reported: Vec<Uuid> = by_year.values().flatten().map(|task| task.0).collect();
    for (year, tasks) in by_year {
        for chunk in tasks.chunks(CHUNK) {
            let (report_rows, value_rows) = monthly_reports(&mut rng, year, months, chunk);
            let txn = db.begin().await?;
            out.reports += insert_chunks(&txn, report_rows).await?;
            out.report_values += insert_chunks(&txn, value_rows).await?;
            txn.commit().await?;
            progress.advance(chunk.len() as u64);
        }
    }
    keep_figures(db, progress, &reported).await?;
    Ok(out)
}
