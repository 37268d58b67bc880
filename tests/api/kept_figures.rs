//! The figures kept as writes happen (issue 26) against a full
//! recomputation: after random sequences of task writes, reports drafted,
//! submitted, approved, returned and deleted, targets replaced, tasks
//! deleted and a metric's unit changed, on top of the demo's imported task
//! lists, the kept figures are what recomputing them from every report
//! gives; and statistics read from them say what statistics that add the
//! reports say, and the lights the views show. Today's lights are kept
//! every few writes, so that later writes find lights to forget; changes
//! of a plan's thresholds for yellow are among the writes.

use entity::tasks;
use sea_orm::EntityTrait;
use serde_json::Value;
use uuid::Uuid;
use xietong::domain::light::LightSettings;
use xietong::domain::plan::{self, PlanChanges};
use xietong::domain::report::{self, NewReport, Transition, ValueInput};
use xietong::domain::task::{self, TargetInput, Task, TaskChanges};
use xietong::domain::values::{Amount, AssignmentRole, Comparator, ReportPeriod, ReportStatus, TaskStatus};
use xietong::domain::{Caller, Clock, figures, light, metric};
use xietong::generate::Rng;

use crate::common::TestApp;
use crate::figures::{demo_on, get};

/// The day the app and the writes run on: mid-year, so that lights differ.
const DAY: &str = "2025-09-15";

/// A number in `0..n` (the city generator's SplitMix64: a seed makes the
/// same writes every run).
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

/// One of `items`, if there is any.
fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| rng.pick(items))
}

/// What a sequence did, so that a test can tell it was not empty.
#[derive(Debug, Default)]
struct Tally {
    approved: usize,
    returned: usize,
    deleted_reports: usize,
    targets_replaced: usize,
    statuses: usize,
    tasks_created: usize,
    tasks_deleted: usize,
    thresholds: usize,
    /// Plans whose kept lights outlived the writes between two keepings.
    plans_kept_between_writes: usize,
}

fn caller() -> Caller {
    let at = chrono::DateTime::parse_from_rfc3339(&format!("{DAY}T09:00:00+08:00"))
        .expect("a day")
        .to_utc();
    Caller {
        clock: Clock::starting_at(at),
        ..Caller::system()
    }
}

async fn all_tasks(app: &TestApp, caller: &Caller) -> Vec<Task> {
    let models = tasks::Entity::find().all(&app.db).await.expect("tasks");
    let mut views = task::views_of_many(&app.db, caller, models).await.expect("views");
    // In an order of their own words, not of their random ids, so that a
    // seed makes the same writes every run.
    views.sort_by(|a, b| (a.seq, &a.section, &a.content).cmp(&(b.seq, &b.section, &b.content)));
    views
}

fn amount(rng: &mut Rng) -> Amount {
    Amount::parse(&format!("{}.{}", 1 + below(rng, 9_000), below(rng, 10))).expect("an amount")
}

/// What the writes file tasks under (none: out of any category).
const CATEGORIES: [Option<&str>; 3] = [Some("产业协作"), Some("劳务协作"), None];

const PERIODS: &[&str] = &[
    "2025-01", "2025-02", "2025-03", "2025-05", "2025-07", "2025-08", "2025-Q1", "2025-Q2", "2025-H1",
];

/// `steps` random writes through the domain core, as the API makes them.
/// With `keep` (every so many writes, and the admin's bearer), today's
/// lights are kept every so many writes, so that the writes after find
/// lights to forget, and statistics count each plan's lights as the views
/// judge them before each keeping.
async fn random_writes(app: &TestApp, seed: u64, steps: usize, keep: Option<(usize, &str)>) -> Tally {
    let caller = caller();
    let db = &app.db;
    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    let mut reports: Vec<Uuid> = Vec::new();
    for step in 0..steps {
        let tasks = all_tasks(app, &caller).await;
        let Some(t) = pick(&mut rng, &tasks).cloned() else {
            break;
        };
        if step == steps / 2 {
            // The catalogue's funds counted in 亿元 from now on: every stored
            // figure of the metric is converted again.
            let funds = metric::find_by_code(db, "investment_funds")
                .await
                .expect("the catalogue")
                .expect("investment_funds");
            let unit = if funds.unit_of_measure == "万元" {
                "亿元"
            } else {
                "万元"
            };
            metric::update(
                db,
                &caller,
                funds.id,
                funds.version,
                metric::MetricChanges {
                    unit_of_measure: Some(unit.into()),
                    ..Default::default()
                },
            )
            .await
            .expect("the metric's unit changed");
        }
        match below(&mut rng, 20) {
            // A report drafted by one of the task's units, with figures for
            // some of its targets (sometimes in another unit of measure).
            0..=5 => {
                // Mostly of a task with a catalogue figure, by a lead unit.
                let measured: Vec<&Task> = tasks
                    .iter()
                    .filter(|t| t.targets.iter().any(|g| g.metric.is_some()))
                    .collect();
                let t = match pick(&mut rng, &measured) {
                    Some(m) if below(&mut rng, 5) != 0 => (*m).clone(),
                    _ => t,
                };
                let units: Vec<(Uuid, bool)> = t
                    .assignments
                    .iter()
                    .filter_map(|a| Some((a.unit_id?, a.role == AssignmentRole::Lead)))
                    .collect();
                let leads: Vec<(Uuid, bool)> = units.iter().copied().filter(|u| u.1).collect();
                let among = if below(&mut rng, 4) != 0 && !leads.is_empty() {
                    &leads
                } else {
                    &units
                };
                let Some((unit, lead)) = pick(&mut rng, among).copied() else {
                    continue;
                };
                let mut values = Vec::new();
                for g in &t.targets {
                    if g.comparator == Comparator::Qualitative || below(&mut rng, 4) == 0 {
                        continue;
                    }
                    values.push(ValueInput {
                        target_id: g.id,
                        actual: amount(&mut rng),
                        unit: (g.unit == "万元" && below(&mut rng, 3) == 0).then(|| "亿元".to_owned()),
                    });
                }
                let period =
                    ReportPeriod::parse(pick(&mut rng, PERIODS).copied().unwrap_or("2025-Q1")).expect("a period");
                if let Ok(made) = report::create(
                    db,
                    &caller,
                    NewReport {
                        task_id: t.id,
                        unit_id: Some(unit),
                        period,
                        consolidated: lead,
                        text: "进展".into(),
                        values,
                        external_id: None,
                    },
                )
                .await
                {
                    reports.push(made.id);
                }
            }
            // A report moved on a step: a draft submitted (or deleted), a
            // submitted one approved (most often), returned or recalled.
            6..=13 => {
                let Some(id) = pick(&mut rng, &reports).copied() else {
                    continue;
                };
                let Ok(current) = report::get(db, &caller, id).await else {
                    reports.retain(|r| *r != id);
                    continue;
                };
                let step = match (current.status, below(&mut rng, 10)) {
                    (ReportStatus::Draft, 0) => {
                        if report::delete(db, &caller, id, current.version).await.is_ok() {
                            tally.deleted_reports += 1;
                            reports.retain(|r| *r != id);
                        }
                        continue;
                    }
                    (ReportStatus::Draft | ReportStatus::Returned, _) => Transition::Submit,
                    (ReportStatus::Submitted, 0..=6) => Transition::Approve,
                    (ReportStatus::Submitted, 7..=8) => Transition::Return {
                        reason: "数据有误".into(),
                    },
                    (ReportStatus::Submitted, _) => Transition::Recall,
                    (ReportStatus::Approved, _) => continue,
                };
                let approving = step == Transition::Approve;
                let returning = matches!(step, Transition::Return { .. });
                if report::transition(db, &caller, id, Some(current.version), step)
                    .await
                    .is_ok()
                {
                    tally.approved += usize::from(approving);
                    tally.returned += usize::from(returning);
                }
            }
            // Targets replaced: one kept with a new value (perhaps in 亿元),
            // one dropped (its reported figures go with it), one added.
            14..=15 => {
                let mut targets = Vec::new();
                for g in &t.targets {
                    if below(&mut rng, 4) == 0 {
                        continue;
                    }
                    targets.push(TargetInput {
                        id: Some(g.id),
                        metric: g.metric.clone(),
                        label: g.label.clone(),
                        // A range's new lower end could pass its upper one.
                        comparator: if g.comparator == Comparator::Range {
                            Comparator::AtLeast
                        } else {
                            g.comparator
                        },
                        value: g.value.map(|_| amount(&mut rng)),
                        value_max: None,
                        unit: g.unit.clone(),
                        baseline: g.baseline.clone(),
                        source_text: g.source_text.clone(),
                    });
                }
                if below(&mut rng, 2) == 0 {
                    targets.push(TargetInput {
                        id: None,
                        metric: Some("investment_funds".into()),
                        label: Some("实际到位资金".into()),
                        comparator: Comparator::AtLeast,
                        value: Some(amount(&mut rng)),
                        value_max: None,
                        unit: if below(&mut rng, 2) == 0 { "亿元" } else { "万元" }.into(),
                        baseline: None,
                        source_text: "力争实际到位资金".into(),
                    });
                }
                let changes = TaskChanges {
                    targets: Some(targets),
                    ..Default::default()
                };
                if task::update(db, &caller, t.id, t.version, changes).await.is_ok() {
                    tally.targets_replaced += 1;
                }
            }
            // Its status, or the progress its lead unit declares.
            16..=17 => {
                let changes = match below(&mut rng, 4) {
                    // Moved to a category (or out of one), or its deadline
                    // moved: the task moves between its plan's kept counts.
                    0 => TaskChanges {
                        category: Some(pick(&mut rng, &CATEGORIES).cloned().flatten().map(str::to_owned)),
                        ..Default::default()
                    },
                    1 => TaskChanges {
                        deadline: Some(
                            chrono::NaiveDate::from_ymd_opt(
                                2025,
                                4 + below(&mut rng, 9) as u32,
                                1 + below(&mut rng, 28) as u32,
                            )
                            .expect("a day"),
                        ),
                        ..Default::default()
                    },
                    2 => TaskChanges {
                        status: Some(
                            *pick(
                                &mut rng,
                                &[
                                    TaskStatus::InProgress,
                                    TaskStatus::Completed,
                                    TaskStatus::Cancelled,
                                    TaskStatus::NotStarted,
                                ],
                            )
                            .expect("a status"),
                        ),
                        ..Default::default()
                    },
                    _ => TaskChanges {
                        declared_progress: Some(Some(below(&mut rng, 101) as i32)),
                        ..Default::default()
                    },
                };
                if task::update(db, &caller, t.id, t.version, changes).await.is_ok() {
                    tally.statuses += 1;
                }
            }
            // A new task with a target, beside the imported ones.
            18 => {
                let input = task::NewTask {
                    plan_id: t.plan_id,
                    section: None,
                    seq: 900 + step as i32,
                    category: None,
                    content: "新增任务".into(),
                    deadline: None,
                    deadline_text: None,
                    leaders: vec![],
                    notes: None,
                    assignments: t
                        .assignments
                        .iter()
                        .map(|a| task::AssignmentInput {
                            assignee: match (a.unit_id, a.group_id) {
                                (Some(unit), _) => task::Assignee::Unit(unit),
                                (_, Some(group)) => task::Assignee::Group(group),
                                _ => unreachable!("an assignment names a unit or a group"),
                            },
                            role: a.role,
                            side: a.side,
                        })
                        .collect(),
                    targets: vec![TargetInput {
                        id: None,
                        metric: Some("investment_funds".into()),
                        label: None,
                        comparator: Comparator::AtLeast,
                        value: Some(amount(&mut rng)),
                        value_max: None,
                        unit: "万元".into(),
                        baseline: None,
                        source_text: "力争实际到位资金".into(),
                    }],
                    external_id: None,
                };
                if task::create(db, &caller, input).await.is_ok() {
                    tally.tasks_created += 1;
                }
            }
            _ => match below(&mut rng, 3) {
                0 => tally.tasks_deleted += usize::from(task::delete(db, &caller, t.id, t.version).await.is_ok()),
                // The plan's thresholds for yellow: its tasks' lights change.
                1 => {
                    let plan = plan::get(db, &caller, t.plan_id).await.expect("the task's plan");
                    let lights = LightSettings {
                        due_soon_days: [0, 15, 60, 200][below(&mut rng, 4)],
                        lag_points: [0, 20, 50][below(&mut rng, 3)],
                    };
                    let changes = PlanChanges {
                        lights: Some(lights),
                        ..Default::default()
                    };
                    if plan::update(db, &caller, plan.id, plan.version, changes).await.is_ok() {
                        tally.thresholds += 1;
                    }
                }
                _ => {}
            },
        }
        if let Some((every, admin)) = keep
            && step % every == every - 1
        {
            // What the writes since the last keeping forgot is judged
            // again; what they left is still right.
            let kept = plans_with_lights_kept(app).await;
            tally.plans_kept_between_writes += usize::try_from(kept).unwrap_or(0);
            lights_of_each_plan_agree(app, admin, &format!("seed {seed}, step {step}, {kept} plan(s) kept")).await;
            light::kept::keep(db, day()).await.expect("lights kept");
        }
    }
    tally
}

/// The app's day.
fn day() -> chrono::NaiveDate {
    DAY.parse().expect("a day")
}

fn lights(value: &Value) -> (u64, u64, u64) {
    (
        value["green"].as_u64().expect("green"),
        value["yellow"].as_u64().expect("yellow"),
        value["red"].as_u64().expect("red"),
    )
}

/// Runs `steps` random writes from `seed` on the demo and holds the kept
/// figures to a recomputation, and statistics to what adding the reports
/// and judging the views gives.
async fn kept_figures_hold(seed: u64, steps: usize) {
    let (app, admin) = demo_on(DAY).await;
    let tally = random_writes(&app, seed, steps, Some((4, &admin))).await;
    assert!(
        tally.approved >= 10
            && tally.returned >= 1
            && tally.targets_replaced >= 2
            && tally.statuses >= 2
            && tally.thresholds >= 2
            && tally.plans_kept_between_writes >= 5,
        "seed {seed}: too little happened to tell anything: {tally:?}"
    );
    let differences = figures::differences(&app.db).await.expect("recomputed");
    assert!(
        differences.is_empty(),
        "seed {seed} ({tally:?}): the kept figures differ from a recomputation:\n{}",
        differences.join("\n")
    );
    // Statistics from the figures kept per plan, and as of today, which
    // adds every task's reports approved by the end of the day: the whole
    // answer, for everything, each category, and a district coordinator
    // (who sees whole plans), and for a lead unit's user (who does not).
    let kept = get(&app, &admin, "/api/v1/statistics?scope=all").await;
    let added = get(&app, &admin, &format!("/api/v1/statistics?scope=all&as_of={DAY}")).await;
    assert_eq!(kept, added, "seed {seed}: statistics kept and added");
    let yuzhong = get(&app, &admin, "/api/v1/regions?limit=100").await["items"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["name"] == "渝中区")
        .and_then(|r| r["id"].as_str())
        .expect("渝中区")
        .to_owned();
    let units = get(&app, &admin, &format!("/api/v1/units?region_id={yuzhong}&limit=1")).await;
    let unit: Uuid = units["items"][0]["id"]
        .as_str()
        .expect("a unit")
        .parse()
        .expect("a uuid");
    app.user("yz-coordinator", xietong::domain::values::Role::Coordinator, Some(unit))
        .await;
    app.user("yz-unit", xietong::domain::values::Role::UnitUser, Some(unit))
        .await;
    for (who, bearer) in [
        ("admin", admin.clone()),
        ("coordinator", app.bearer("yz-coordinator").await),
        ("unit user", app.bearer("yz-unit").await),
    ] {
        for filter in [
            "",
            "&category=产业协作",
            "&category=劳务协作",
            "&year=2025&metric=investment_funds",
            // The first overdue tasks, a few of each plan's first.
            "&overdue_limit=3",
            "&category=产业协作&overdue_limit=2",
        ] {
            let kept = get(&app, &bearer, &format!("/api/v1/statistics?scope=all{filter}")).await;
            let added = get(
                &app,
                &bearer,
                &format!("/api/v1/statistics?scope=all{filter}&as_of={DAY}"),
            )
            .await;
            assert_eq!(kept, added, "seed {seed}: statistics of the {who} with `{filter}`");
        }
    }
    let categorized = get(
        &app,
        &admin,
        &format!("/api/v1/statistics?scope=all&category={}", "产业协作"),
    )
    .await;
    assert!(
        categorized["tasks"]["total"].as_u64().expect("a count") > 0,
        "seed {seed}: no task was filed under a category"
    );
    assert!(
        kept["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .any(|m| m["actual_total"] != "0"),
        "seed {seed}: no approved figure counted: {}",
        kept["metrics"]
    );
    // Every plan judged again: what is kept is what judging gives, and a
    // second run finds nothing to judge.
    light::kept::keep(&app.db, day()).await.expect("kept");
    assert!(plans_with_lights_kept(&app).await > 0);
    assert_eq!(light::kept::keep(&app.db, day()).await.expect("kept"), 0);
    let differences = light::kept::differences(&app.db, day()).await.expect("judged again");
    assert!(
        differences.is_empty(),
        "seed {seed}: the kept lights differ from judging again:\n{}",
        differences.join("\n")
    );
    lights_of_each_plan_agree(&app, &admin, &format!("seed {seed}, every plan kept")).await;
    late_lists_kept_and_asked_agree(&app, seed, &admin).await;
    app.stop().await;
}

/// The late list read from the reports kept as owed equals the calendar's
/// own, worked out from the tasks, their units and their reports: on days
/// before, on and after the app's, for each kind, for an administrator and
/// a district coordinator (who sees whole plans).
async fn late_lists_kept_and_asked_agree(app: &TestApp, seed: u64, admin: &str) {
    let asked = [
        // Due days: the first quarter's, June's, the year's.
        "on=2025-04-10".to_owned(),
        "on=2025-07-05&year=2025".to_owned(),
        "on=2025-11-20".to_owned(),
        "on=2025-07-11&year=2025".to_owned(),
        format!("on={DAY}"),
        "on=2025-12-31".to_owned(),
        "on=2025-12-31&kind=month".to_owned(),
        "on=2026-03-01&year=2025&kind=quarter".to_owned(),
    ];
    let coordinator = app.bearer("yz-coordinator").await;
    let mut kept = Vec::new();
    for bearer in [admin, coordinator.as_str()] {
        for query in &asked {
            kept.push(get(app, bearer, &format!("/api/v1/calendar/late?{query}")).await);
        }
    }
    assert!(
        kept.iter()
            .any(|list| list["units"].as_array().is_some_and(|units| units.len() > 1)),
        "seed {seed}: nothing late to compare"
    );
    assert!(reports_kept_as_owed(app).await > 0, "seed {seed}: nothing kept as owed");
    light::kept::forget_all(&app.db).await.expect("forgotten");
    let mut kept = kept.into_iter();
    for (who, bearer) in [("administrator", admin), ("coordinator", coordinator.as_str())] {
        for query in &asked {
            let calendar = get(app, bearer, &format!("/api/v1/calendar/late?{query}")).await;
            assert_eq!(
                kept.next(),
                Some(calendar),
                "seed {seed}: the {who}'s late list `{query}`, kept and from the calendar"
            );
        }
    }
}

/// How many reports are kept as owed.
async fn reports_kept_as_owed(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM plan_obligations",
        ))
        .await
        .expect("counted")
        .expect("a row");
    row.try_get_by_index(0).expect("a count")
}

/// How many plans have lights kept for the app's day that count.
async fn plans_with_lights_kept(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT COUNT(DISTINCT plan_id) FROM plan_lights \
                 WHERE judged_on = '{DAY}' AND epoch = (SELECT epoch FROM plan_lights_epoch WHERE id = 1)"
            ),
        ))
        .await
        .expect("counted")
        .expect("a row");
    row.try_get_by_index(0).expect("a count")
}

/// Statistics count each plan's lights as the task views judge them.
async fn lights_of_each_plan_agree(app: &TestApp, admin: &str, when: &str) {
    for plan in get(app, admin, "/api/v1/plans").await["items"]
        .as_array()
        .expect("plans")
    {
        let id = plan["id"].as_str().expect("an id");
        let counted = get(app, admin, &format!("/api/v1/statistics?scope=all&plan_id={id}")).await;
        let judged = get(app, admin, &format!("/api/v1/lights?plan_id={id}")).await;
        assert_eq!(
            lights(&counted["lights"]),
            lights(&judged["total"]),
            "{when}: the lights of plan {id}"
        );
        rolled_up_as_the_views_show(app, admin, id, &judged, when).await;
    }
}

/// A plan's lights rolled up by lead unit and by leader (`summary`, judged
/// without building the tasks' views) are what adding up its tasks' views
/// gives, and the task list's light filter keeps as many as it counts.
async fn rolled_up_as_the_views_show(app: &TestApp, admin: &str, plan: &str, summary: &Value, when: &str) {
    type Tally = std::collections::BTreeMap<String, (String, u64, u64, u64)>;
    let tally = |t: &mut Tally, id: &str, name: &str, light: &str| {
        let entry = t.entry(id.to_owned()).or_insert_with(|| (name.to_owned(), 0, 0, 0));
        match light {
            "green" => entry.1 += 1,
            "yellow" => entry.2 += 1,
            _ => entry.3 += 1,
        }
    };
    let (mut units, mut leaders) = (Tally::new(), Tally::new());
    let views = app
        .every_item(admin, &format!("/api/v1/tasks?plan_id={plan}"), 200)
        .await;
    for view in &views {
        let light = view["light"].as_str().expect("a light");
        let mut leads: Vec<(&str, &str)> = view["assignments"]
            .as_array()
            .expect("assignments")
            .iter()
            .filter(|a| a["role"] == "lead")
            .filter_map(|a| Some((a["unit_id"].as_str().or(a["group_id"].as_str())?, a["name"].as_str()?)))
            .collect();
        let mut seen = std::collections::HashSet::new();
        leads.retain(|(id, _)| seen.insert(*id));
        for (id, name) in leads {
            tally(&mut units, id, name, light);
        }
        for leader in view["leader_ids"].as_array().expect("leader ids") {
            tally(&mut leaders, leader.as_str().expect("an id"), "", light);
        }
    }
    let rolled = |rows: &Value, named: bool| -> Tally {
        rows.as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                let (g, y, r_) = lights(r);
                let name = if named { r["name"].as_str().unwrap_or("") } else { "" };
                (r["id"].as_str().expect("an id").to_owned(), (name.to_owned(), g, y, r_))
            })
            .collect()
    };
    assert_eq!(
        rolled(&summary["units"], true),
        units,
        "{when}: plan {plan}'s lights by lead unit"
    );
    assert_eq!(
        rolled(&summary["leaders"], false),
        leaders,
        "{when}: plan {plan}'s lights by leader"
    );
    let red = app
        .every_item(admin, &format!("/api/v1/tasks?plan_id={plan}&light=red"), 200)
        .await;
    assert_eq!(
        red.len() as u64,
        lights(&summary["total"]).2,
        "{when}: plan {plan}'s red tasks listed and counted"
    );
    assert!(
        red.iter().all(|t| t["light"] == "red"),
        "{when}: a task listed as red is not"
    );
}

#[tokio::test]
async fn kept_figures_equal_a_recomputation_after_random_writes_seed_1() {
    kept_figures_hold(1, 220).await;
}

#[tokio::test]
async fn kept_figures_equal_a_recomputation_after_random_writes_seed_2() {
    kept_figures_hold(2, 220).await;
}

#[tokio::test]
async fn kept_figures_equal_a_recomputation_after_random_writes_seed_3() {
    kept_figures_hold(0x5EED, 220).await;
}

/// A unit created can owe reports on any plan (a group of its kind takes
/// it in): every plan's kept lights stop counting, statistics judge the
/// tasks until the keeper has judged every plan again, and say the same.
#[tokio::test]
async fn a_unit_created_makes_every_plans_kept_lights_count_no_more() {
    let (app, admin) = demo_on(DAY).await;
    let plans = light::kept::keep(&app.db, day()).await.expect("kept");
    assert!(plans >= 2, "the demo's plans: {plans}");
    assert_eq!(
        plans_with_lights_kept(&app).await,
        i64::try_from(plans).expect("a count")
    );
    let before = get(&app, &admin, "/api/v1/statistics?scope=all").await;
    let region = get(&app, &admin, "/api/v1/regions?limit=1").await["items"][0]["id"].clone();
    let body = serde_json::json!({"region_id": region, "name": "新设的局", "kind": "department"});
    let made = app.as_bearer(&admin, "POST", "/api/v1/units", Some(&body)).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    assert_eq!(plans_with_lights_kept(&app).await, 0);
    let judged = get(&app, &admin, "/api/v1/statistics?scope=all").await;
    assert_eq!(judged["lights"], before["lights"]);
    assert_eq!(light::kept::keep(&app.db, day()).await.expect("kept"), plans);
    let kept = get(&app, &admin, "/api/v1/statistics?scope=all").await;
    assert_eq!(kept["lights"], before["lights"]);
    assert!(
        light::kept::differences(&app.db, day())
            .await
            .expect("judged")
            .is_empty()
    );
    app.stop().await;
}

/// A database migrated before the figures were kept gets them when it
/// migrates: here, one whose kept rows were lost.
#[tokio::test]
async fn migrating_fills_the_figures_of_tasks_that_have_none() {
    let (app, admin) = demo_on(DAY).await;
    random_writes(&app, 7, 60, None).await;
    let before = get(&app, &admin, "/api/v1/statistics?scope=all").await;
    use sea_orm::ConnectionTrait;
    for table in ["task_figures", "task_metric_actuals", "task_reporting_units"] {
        app.db
            .execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .expect("emptied");
    }
    assert!(!figures::differences(&app.db).await.expect("recomputed").is_empty());
    // The light keeper of a running instance judges every plan meanwhile,
    // from the progress the tasks lack (here, the keeper's round by hand;
    // the app's own ran every 10 s and sometimes came in between).
    light::kept::forget_all(&app.db).await.expect("forgotten");
    assert!(light::kept::keep(&app.db, day()).await.expect("kept") > 0);
    xietong::db::migrate(&app.db).await.expect("migrated");
    assert_eq!(
        figures::differences(&app.db).await.expect("recomputed"),
        Vec::<String>::new()
    );
    let after = get(&app, &admin, "/api/v1/statistics?scope=all").await;
    assert_eq!(before["metrics"], after["metrics"]);
    assert_eq!(before["lights"], after["lights"]);
    app.stop().await;
}

/// Ten reports of one task approved at once, each in its own request: every
/// approval succeeds and the task's kept figures are those of the latest
/// (on PostgreSQL, without the task's lock, two refreshes at once inserted
/// the same keys and one approval failed).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_at_once_on_one_task_all_count() {
    use crate::common::{race, seed};
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let task = seed::task(&app.db, &p, 1, &["5000"]).await;
    let months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"];
    let mut reports = Vec::new();
    for (i, month) in months.iter().enumerate() {
        // By the recipient's lead unit (its year-to-date: 100, 200 … 500)
        // and by the helper's (1000 … 5000).
        for (unit, scale) in [(p.recipient_unit, 100), (p.helper_unit, 1000)] {
            let actual = ((i + 1) * scale).to_string();
            reports.push(
                seed::report_on(
                    &app.db,
                    &task,
                    unit,
                    month,
                    &[(0, actual.as_str())],
                    Some("2025-06-01"),
                    false,
                )
                .await,
            );
        }
    }
    let answers = race(
        &app,
        reports
            .iter()
            .map(|id| {
                (
                    "POST",
                    format!("/api/v1/reports/{id}/approve"),
                    None,
                    vec![("authorization", admin.clone())],
                )
            })
            .collect(),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![200; 10]);
    assert_eq!(
        figures::differences(&app.db).await.expect("recomputed"),
        Vec::<String>::new()
    );
    // The latest of each lead unit: 500 + 5000 万元.
    let stats = get(&app, &admin, "/api/v1/statistics").await;
    let funds = stats["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["metric"] == "investment_funds")
        .cloned()
        .expect("funds");
    assert_eq!(funds["actual_total"], "5500");
    assert_eq!(stats["distinct"]["reporting_units"], 2);
}
