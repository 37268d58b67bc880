//! The relational model and the domain core, in process, on the backend the
//! suite runs on: every table, the constraints the domain states, exact
//! sums, optimistic concurrency and migrations run twice.

use crate::common::seed;
use crate::common::{TestDb, query_strings};
use entity::{targets, tasks, units};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set, Statement};
use uuid::Uuid;
use xietong::domain::region::{self, RegionInput};
use xietong::domain::report::{self, NewReport, Transition, ValueInput};
use xietong::domain::task::{self, NewTask, TaskChanges};
use xietong::domain::unit::{self, UnitInput};
use xietong::domain::values::{Amount, Cluster, RegionKind, ReportPeriod, TaskStatus, UnitKind};
use xietong::domain::{Caller, DomainError, ErrorCode};

const TABLES: &[&str] = &[
    "attachments",
    "audit_log",
    "change_regions",
    "changes",
    "client_grants",
    "event_amounts",
    "events",
    "extensions",
    "fund_movements",
    "idempotency_keys",
    "integration_clients",
    "leaders",
    "login_throttle",
    "metrics",
    "notifications",
    "pairing_co_helpers",
    "pairing_documents",
    "pairings",
    "plan_lights",
    "plan_lights_epoch",
    "plan_metric_figures",
    "plan_obligations",
    "plan_reporting_units",
    "plan_task_counts",
    "plans",
    "project_categories",
    "project_milestones",
    "projects",
    "rate_limit_windows",
    "refresh_tokens",
    "regions",
    "reminders_sent",
    "report_comments",
    "report_values",
    "reports",
    "scheduler_leases",
    "sign_in_origins",
    "targets",
    "task_assignments",
    "task_figures",
    "task_leaders",
    "task_metric_actuals",
    "task_reporting_units",
    "tasks",
    "unit_aliases",
    "unit_group_members",
    "unit_groups",
    "unit_pairings",
    "units",
    "urgings",
    "users",
    "webhook_deliveries",
    "webhooks",
];

async fn table_names(conn: &DatabaseConnection) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    query_strings(conn, sql).await
}

fn conflict_field(err: &DomainError) -> Option<&str> {
    match err {
        DomainError::Conflict { field, .. } => field.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn every_table_of_the_model_exists_and_migrating_twice_changes_nothing() {
    let test_db = TestDb::new().await;
    let conn = test_db.connect().await;
    let mut tables = table_names(&conn).await;
    tables.retain(|t| t != "seaql_migrations");
    assert_eq!(tables, TABLES);

    let metrics_before = query_strings(&conn, "SELECT code FROM metrics ORDER BY code").await;
    assert!(metrics_before.contains(&"investment_funds".to_owned()));
    xietong::db::migrate(&conn).await.expect("a second migration run");
    let again = test_db.connect().await;
    let mut tables_after = table_names(&again).await;
    tables_after.retain(|t| t != "seaql_migrations");
    assert_eq!(tables_after, TABLES);
    assert_eq!(
        query_strings(&again, "SELECT code FROM metrics ORDER BY code").await,
        metrics_before
    );
}

#[tokio::test]
async fn a_region_code_is_used_once() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    seed::region(
        &db,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let err = region::create(
        &db,
        &Caller::system(),
        RegionInput {
            code: Some("500103".into()),
            name: "另一区".into(),
            kind: RegionKind::District,
            cluster: None,
            parent_id: None,
        },
    )
    .await
    .expect_err("a second region with the same code");
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(conflict_field(&err), Some("code"));
    assert!(err.to_string().contains("渝中区"), "{err}");
}

#[tokio::test]
async fn a_bad_region_is_refused_field_by_field() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let err = region::create(
        &db,
        &Caller::system(),
        RegionInput {
            code: Some("5001".into()),
            name: "  ".into(),
            kind: RegionKind::DevelopmentZone,
            cluster: None,
            parent_id: Some(Uuid::new_v4()),
        },
    )
    .await
    .expect_err("a bad region");
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    let fields: Vec<&str> = err.field_errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "code", "code", "parent_id"]);
}

#[tokio::test]
async fn a_unit_name_is_used_once_within_its_region() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    // The same name in the other region is another unit.
    seed::unit(&db, p.helper, "县经济信息委", UnitKind::Department).await;
    let err = unit::create_unit(
        &db,
        &Caller::system(),
        UnitInput {
            region_id: p.recipient,
            name: "县经济信息委".into(),
            kind: UnitKind::Department,
            aliases: vec![],
            external_id: None,
        },
    )
    .await
    .expect_err("a second 县经济信息委 in 巫溪县");
    assert_eq!((err.code(), conflict_field(&err)), (ErrorCode::Conflict, Some("name")));

    // An alias may not name another unit either.
    let err = unit::create_unit(
        &db,
        &Caller::system(),
        UnitInput {
            region_id: p.recipient,
            name: "县投资促进服务中心".into(),
            kind: UnitKind::Department,
            aliases: vec!["县商务委".into()],
            external_id: None,
        },
    )
    .await
    .expect_err("an alias that is another unit's name");
    assert_eq!(
        (err.code(), conflict_field(&err)),
        (ErrorCode::Conflict, Some("aliases"))
    );
}

#[tokio::test]
async fn a_unit_of_an_unknown_region_is_a_field_error() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let missing = Uuid::new_v4();
    let err = unit::create_unit(
        &db,
        &Caller::system(),
        UnitInput {
            region_id: missing,
            name: "区商务委".into(),
            kind: UnitKind::Department,
            aliases: vec![],
            external_id: None,
        },
    )
    .await
    .expect_err("a unit of no region");
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    assert_eq!(err.field_errors()[0].field, "region_id");
    assert!(err.field_errors()[0].message.to_string().contains(&missing.to_string()));
}

#[tokio::test]
async fn the_database_itself_refuses_an_unknown_foreign_key() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let now = xietong::domain::Clock::system().now();
    let err = units::ActiveModel {
        id: Set(Uuid::new_v4()),
        region_id: Set(Uuid::new_v4()),
        name: Set("无主单位".into()),
        kind: Set("department".into()),
        external_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&db)
    .await
    .expect_err("foreign keys are enforced");
    let err = DomainError::from(err);
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
}

#[tokio::test]
async fn a_sequence_number_is_used_once_within_a_plan_section() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    seed::task(&db, &p, 1, &[]).await;
    let new_task = |section: Option<&str>| NewTask {
        plan_id: p.plan,
        section: section.map(str::to_owned),
        seq: 1,
        category: None,
        content: "建立利益分享机制".into(),
        deadline: None,
        deadline_text: None,
        leaders: vec![],
        notes: None,
        assignments: vec![],
        targets: vec![],
        external_id: None,
    };
    let err = task::create(&db, &Caller::system(), new_task(None))
        .await
        .expect_err("seq 1 twice");
    assert_eq!((err.code(), conflict_field(&err)), (ErrorCode::Conflict, Some("seq")));
    // 序号 restarts in each section.
    let other = task::create(&db, &Caller::system(), new_task(Some("主要工作任务")))
        .await
        .expect("seq 1 in a section");
    assert_eq!(other.section.as_deref(), Some("主要工作任务"));

    // Past the domain's check (two writers racing), the unique index holds
    // and still reads as the rule it broke.
    let now = xietong::domain::Clock::system().now();
    let raw = tasks::ActiveModel {
        id: Set(Uuid::new_v4()),
        plan_id: Set(p.plan),
        section: Set(String::new()),
        seq: Set(1),
        place: Set(task::place(0, 1)),
        category: Set(None),
        content: Set("重复".into()),
        deadline: Set(other.deadline),
        deadline_text: Set(None),
        status: Set("not_started".into()),
        declared_progress: Set(None),
        completed_on: Set(None),
        progress_note: Set(None),
        leaders: Set(serde_json::json!([])),
        notes: Set(None),
        source_cells: Set(None),
        external_id: Set(None),
        external_client_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&db)
    .await
    .expect_err("the unique index");
    let err = DomainError::from(raw);
    assert_eq!(
        (err.code(), conflict_field(&err)),
        (ErrorCode::Conflict, Some("seq")),
        "{err:?}"
    );
}

#[tokio::test]
async fn one_report_per_task_unit_and_period() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let new_report = || NewReport {
        task_id: t.id,
        unit_id: Some(p.recipient_unit_2),
        period: ReportPeriod::parse("2025-03").expect("period"),
        consolidated: false,
        text: "已对接企业3家".into(),
        values: vec![ValueInput {
            target_id: t.targets[0].id,
            actual: Amount::parse("1200").expect("amount"),
            unit: None,
        }],
        external_id: None,
    };
    report::create(&db, &Caller::system(), new_report())
        .await
        .expect("the first report");
    let err = report::create(&db, &Caller::system(), new_report())
        .await
        .expect_err("a second report for 2025-03");
    assert_eq!(
        (err.code(), conflict_field(&err)),
        (ErrorCode::Conflict, Some("period"))
    );
    // Another period is another report.
    let mut q1 = new_report();
    q1.period = ReportPeriod::parse("2025-Q1").expect("period");
    report::create(&db, &Caller::system(), q1)
        .await
        .expect("the quarter's report");
}

/// Sums that floating point gets wrong come out exact from SQL `SUM` on
/// both backends: 0.1 + 0.2 is 0.3, and ten 0.1s are 1.
#[tokio::test]
async fn amounts_sum_exactly_inside_sql() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["0.1", "0.2", "5000", "8.46"]).await;
    let values: Vec<String> = t
        .targets
        .iter()
        .map(|t| t.value.expect("a value").to_string())
        .collect();
    assert_eq!(values, ["0.1", "0.2", "5000", "8.46"]);

    let backend = db.get_database_backend();
    let sum = |sql: String| {
        let db = db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .expect("sum")
                .expect("a row");
            row.try_get_by_index::<i64>(0).expect("an integer sum")
        }
    };
    let id = |u: Uuid| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("'{u}'"),
        _ => format!("X'{}'", u.simple()),
    };
    let first_two = sum(format!(
        "SELECT CAST(SUM(value_e4) AS BIGINT) FROM targets WHERE task_id = {} AND position < 2",
        id(t.id)
    ))
    .await;
    assert_eq!(Amount::from_scaled(first_two).to_string(), "0.3");
    let all = sum(format!(
        "SELECT CAST(SUM(value_e4) AS BIGINT) FROM targets WHERE task_id = {}",
        id(t.id)
    ))
    .await;
    assert_eq!(Amount::from_scaled(all).to_string(), "5008.76");

    let tenth = Amount::parse("0.1").expect("amount").to_scaled().expect("scaled");
    let now = xietong::domain::Clock::system().now();
    for position in 0..10 {
        targets::ActiveModel {
            id: Set(Uuid::new_v4()),
            task_id: Set(t.id),
            metric_id: Set(None),
            label: Set(None),
            comparator: Set("at_least".into()),
            value_e4: Set(Some(tenth)),
            value_max_e4: Set(None),
            unit_of_measure: Set("万元".into()),
            normalized_e8: Set(None),
            normalized_max_e8: Set(None),
            baseline: Set(None),
            source_text: Set("0.1万元".into()),
            position: Set(100 + position),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&db)
        .await
        .expect("a tenth");
    }
    let tenths = sum(format!(
        "SELECT CAST(SUM(value_e4) AS BIGINT) FROM targets WHERE task_id = {} AND position >= 100",
        id(t.id)
    ))
    .await;
    assert_eq!(Amount::from_scaled(tenths).to_string(), "1");
}

#[tokio::test]
async fn a_stale_version_is_a_version_conflict() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &[]).await;
    let changes = || TaskChanges {
        status: Some(TaskStatus::InProgress),
        ..Default::default()
    };
    let updated = task::update(&db, &Caller::system(), t.id, t.version, changes())
        .await
        .expect("the first update");
    assert_eq!(
        (updated.version, updated.status),
        (t.version + 1, TaskStatus::InProgress)
    );
    let err = task::update(&db, &Caller::system(), t.id, t.version, changes())
        .await
        .expect_err("the stale update");
    assert_eq!(err.code(), ErrorCode::VersionConflict);
    assert_eq!(err.code().http_status(), 412);
}

#[tokio::test]
async fn a_task_reads_back_with_its_units_and_targets() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let created = seed::task(&db, &p, 1, &["5000"]).await;
    let read = task::get(&db, &Caller::system(), created.id)
        .await
        .expect("read the task");
    assert_eq!(read, created);
    let names: Vec<(&str, &str)> = read
        .assignments
        .iter()
        .map(|a| (a.name.as_str(), a.role.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("县经济信息委", "lead"),
            ("区经济信息委", "lead"),
            ("县商务委", "supporting")
        ]
    );
    assert_eq!(read.deadline.to_string(), "2025-12-31", "the plan's default deadline");
    assert_eq!(read.targets[0].metric.as_deref(), Some("investment_funds"));
    assert_eq!(read.targets[0].value.expect("a value").to_string(), "5000");
}

#[tokio::test]
async fn a_unit_on_the_wrong_side_is_refused() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let mut changes = TaskChanges::default();
    let t = seed::task(&db, &p, 1, &[]).await;
    changes.assignments = Some(vec![task::AssignmentInput {
        assignee: task::Assignee::Unit(p.helper_unit),
        role: xietong::domain::values::AssignmentRole::Lead,
        side: Some(xietong::domain::values::Side::Recipient),
    }]);
    let err = task::update(&db, &Caller::system(), t.id, t.version, changes)
        .await
        .expect_err("helper unit as recipient");
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    assert_eq!(err.field_errors()[0].field, "assignments[0].side");
}

#[tokio::test]
async fn the_report_workflow_takes_only_legal_steps() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let system = Caller::system();
    let draft = report::create(
        &db,
        &system,
        NewReport {
            task_id: t.id,
            unit_id: Some(p.recipient_unit),
            period: ReportPeriod::parse("2025").expect("period"),
            consolidated: true,
            text: "已引进项目2个".into(),
            values: vec![ValueInput {
                target_id: t.targets[0].id,
                actual: Amount::parse("5200.5").expect("amount"),
                unit: None,
            }],
            external_id: None,
        },
    )
    .await
    .expect("a draft");
    let err = report::transition(&db, &system, draft.id, None, Transition::Approve)
        .await
        .expect_err("approve a draft");
    assert_eq!(err.code(), ErrorCode::Conflict);
    let err = report::transition(&db, &system, draft.id, None, Transition::Return { reason: " ".into() })
        .await
        .expect_err("return a draft");
    assert_eq!(err.code(), ErrorCode::Conflict);

    let submitted = report::transition(&db, &system, draft.id, Some(draft.version), Transition::Submit)
        .await
        .expect("submit");
    assert!(submitted.submitted_at.is_some());
    let err = report::transition(&db, &system, draft.id, None, Transition::Return { reason: "".into() })
        .await
        .expect_err("a return needs a reason");
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    let returned = report::transition(
        &db,
        &system,
        draft.id,
        None,
        Transition::Return {
            reason: "请补充到位资金凭证".into(),
        },
    )
    .await
    .expect("return");
    assert_eq!(returned.return_reason.as_deref(), Some("请补充到位资金凭证"));
    report::transition(&db, &system, draft.id, None, Transition::Submit)
        .await
        .expect("resubmit");
    let approved = report::transition(&db, &system, draft.id, None, Transition::Approve)
        .await
        .expect("approve");
    assert_eq!(approved.values[0].actual.to_string(), "5200.5");

    // Approved is frozen.
    for step in [
        Transition::Submit,
        Transition::Approve,
        Transition::Return {
            reason: "再改".into()
        },
    ] {
        let err = report::transition(&db, &system, draft.id, None, step)
            .await
            .expect_err("an approved report");
        assert_eq!(err.code(), ErrorCode::Conflict);
    }
    let err = report::update(
        &db,
        &system,
        draft.id,
        approved.version,
        report::ReportChanges {
            text: Some("改".into()),
            values: None,
        },
    )
    .await
    .expect_err("edit an approved report");
    assert_eq!(err.code(), ErrorCode::Conflict);
}

#[tokio::test]
async fn every_change_is_in_the_audit_log() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &[]).await;
    task::update(
        &db,
        &Caller::system(),
        t.id,
        t.version,
        TaskChanges {
            status: Some(TaskStatus::Completed),
            ..Default::default()
        },
    )
    .await
    .expect("complete the task");
    let entries = query_strings(
        &db,
        "SELECT entity || ':' || action FROM audit_log ORDER BY occurred_at, entity",
    )
    .await;
    assert!(entries.contains(&"task:create".to_owned()), "{entries:?}");
    assert!(entries.contains(&"task:update".to_owned()), "{entries:?}");
    assert!(entries.contains(&"plan:issue".to_owned()), "{entries:?}");
    let changes = query_strings(
        &db,
        "SELECT CAST(changes AS TEXT) FROM audit_log WHERE entity = 'task' AND action = 'update'",
    )
    .await;
    let changes: serde_json::Value = serde_json::from_str(&changes[0]).expect("JSON changes");
    assert_eq!(
        changes["before"],
        serde_json::json!({"status": "not_started", "version": 1})
    );
    assert_eq!(
        changes["after"],
        serde_json::json!({"status": "completed", "version": 2}),
        "what changed, and the version it made"
    );
}

/// A SQLite database that grows by use gets the query planner's statistics
/// from the scheduler: the demo's task lists, loaded with no `ANALYZE`,
/// have none; once an instance with the scheduler on has run a round,
/// `sqlite_stat1` counts the tasks table's rows exactly.
#[tokio::test]
async fn the_scheduler_gives_sqlite_planner_statistics() {
    let app = crate::common::TestApp::spawn().await;
    if app.test_db.is_postgres() {
        eprintln!("skipped: PostgreSQL's autovacuum analyzes on its own");
        return;
    }
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    let stats_of_tasks = "SELECT stat FROM sqlite_stat1 WHERE tbl = 'tasks' AND idx IS NOT NULL ORDER BY idx LIMIT 1";
    let analyzed = query_strings(&app.db, "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").await;
    assert!(
        analyzed.is_empty() || query_strings(&app.db, stats_of_tasks).await.is_empty(),
        "nothing analyzed the tasks before the scheduler ran"
    );
    let tasks = query_strings(&app.db, "SELECT CAST(COUNT(*) AS TEXT) FROM tasks").await;
    assert!(
        tasks[0].parse::<u32>().expect("a count") > 50,
        "the demo has task lists: {tasks:?}"
    );
    let scheduling = xietong::config::ServeArgs {
        reminder_interval_secs: 1,
        ..crate::common::quiet()
    };
    let instance = app.spawn_sibling_serving(&scheduling).await;
    let mut stat = Vec::new();
    for _ in 0..100 {
        let analyzed = query_strings(&app.db, "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").await;
        if !analyzed.is_empty() {
            stat = query_strings(&app.db, stats_of_tasks).await;
            if !stat.is_empty() {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    instance.stop().await;
    // An index's statistics begin with the table's row count.
    let rows = stat.first().and_then(|s| s.split(' ').next()).map(str::to_owned);
    assert_eq!(rows.as_ref(), tasks.first(), "sqlite_stat1 of tasks: {stat:?}");
}

/// The SQLite compiled in is built for many readers at once
/// (`.cargo/config.toml`): no memory statistics, whose one process-wide
/// mutex every allocation took, and no STAT4 samples, with which a
/// statement was parsed and planned again at every run with new values. A
/// build that lost the settings (a Dockerfile without `.cargo/`, another
/// `LIBSQLITE3_FLAGS`) fails here, not only in a benchmark.
#[tokio::test]
async fn sqlite_is_compiled_for_concurrent_readers() {
    let app = crate::common::TestApp::spawn().await;
    if app.test_db.is_postgres() {
        eprintln!("skipped: SQLite's compile options");
        return;
    }
    let options = query_strings(&app.db, "PRAGMA compile_options").await;
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "memory statistics off: {options:?}"
    );
    assert!(
        !options.iter().any(|o| o.starts_with("ENABLE_STAT")),
        "no STAT4 samples: {options:?}"
    );
    assert!(
        options.iter().any(|o| o == "THREADSAFE=1"),
        "still safe across threads: {options:?}"
    );
}

/// `DATABASE_POOL_SIZE` bounds the connections (instances sharing one
/// PostgreSQL server must stay under its `max_connections` together);
/// without it PostgreSQL gets 16 and SQLite 8.
#[tokio::test]
async fn the_pool_holds_as_many_connections_as_asked() {
    let test_db = crate::common::TestDb::new().await;
    let max = |db: &sea_orm::DatabaseConnection| {
        if test_db.is_postgres() {
            db.get_postgres_connection_pool().options().get_max_connections()
        } else {
            db.get_sqlite_connection_pool().options().get_max_connections()
        }
    };
    let asked = xietong::db::connect_with(&test_db.url, Some(3)).await.expect("open");
    assert_eq!(max(&asked), 3);
    let default = xietong::db::connect(&test_db.url).await.expect("open");
    assert_eq!(max(&default), if test_db.is_postgres() { 16 } else { 8 });
}
