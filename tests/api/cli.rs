//! The command line: `user create`, `client create|rotate|revoke` and `generate`.

use crate::common;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{TestDb, seed};
use xietong::domain::values::{Cluster, RegionKind, UnitKind};

const BIN: &str = env!("CARGO_BIN_EXE_xietong");

fn run(db: &TestDb, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .env("DATABASE_URL", &db.url)
        .env("XIETONG_LOG", "warn")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start xietong");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("xietong ends")
}

#[tokio::test]
async fn user_create_takes_the_password_from_stdin_and_a_unit_by_name() {
    let db = TestDb::new().await;
    let conn = db.connect().await;
    let region = seed::region(
        &conn,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let unit = seed::unit(&conn, region, "区商务委", UnitKind::Department).await;

    let made = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "yz-swj",
            "--role",
            "unit_user",
            "--unit",
            "渝中区:区商务委",
            "--password-stdin",
        ],
        "商务委-2025-pw\n",
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let user: serde_json::Value = serde_json::from_slice(&made.stdout).expect("the user as JSON");
    assert_eq!(user["unit_id"], unit.to_string());
    assert_eq!(user["role"], "unit_user");
    assert!(!String::from_utf8_lossy(&made.stdout).contains("商务委-2025-pw"));

    let stored = common::query_strings(&conn, "SELECT password_hash FROM users").await;
    assert!(stored[0].starts_with("$argon2id$"), "hashed, never stored in the clear");

    let again = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "yz-swj",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        "another-password\n",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("CONFLICT"));

    let unknown = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "x",
            "--role",
            "unit_user",
            "--unit",
            "渝中区:不存在的单位",
            "--password-stdin",
        ],
        "password-123\n",
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no unit named"));

    let short = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "y",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("password: must be at least 8 characters"));

    let bad_role = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "z",
            "--role",
            "boss",
            "--password-stdin",
        ],
        "password-123\n",
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role"));
}

#[tokio::test]
async fn clients_are_created_rotated_and_revoked_from_the_command_line() {
    let db = TestDb::new().await;
    let _conn = db.connect().await;
    let made = run(
        &db,
        &[
            "client",
            "create",
            "--name",
            "重庆市对口协同平台",
            "--client-id",
            "cq-platform",
            "--scope",
            "read",
            "--scope",
            "write",
        ],
        "",
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let client: serde_json::Value = serde_json::from_slice(&made.stdout).expect("JSON");
    assert_eq!(client["client_id"], "cq-platform");
    assert_eq!(client["scopes"], serde_json::json!(["read", "write"]));
    let first = client["client_secret"].as_str().expect("a secret").to_owned();

    let rotated = run(&db, &["client", "rotate", "cq-platform"], "");
    assert!(rotated.status.success());
    let second: serde_json::Value = serde_json::from_slice(&rotated.stdout).expect("JSON");
    assert_ne!(second["client_secret"].as_str(), Some(first.as_str()));

    let revoked = run(&db, &["client", "revoke", "cq-platform"], "");
    assert!(revoked.status.success());
    let revoked: serde_json::Value = serde_json::from_slice(&revoked.stdout).expect("JSON");
    assert!(revoked["revoked_at"].is_string());
    assert!(revoked.get("client_secret").is_none());

    let bad_scope = run(&db, &["client", "create", "--name", "x", "--scope", "admin"], "");
    assert!(!bad_scope.status.success());
    assert!(String::from_utf8_lossy(&bad_scope.stderr).contains("unknown scope"));
}

#[tokio::test]
async fn generate_city_writes_the_asked_scale_once_and_reports_fill_the_rest() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = TestDb::new().await;
    let conn = db.connect().await;
    let args = [
        "generate",
        "city",
        "--pairings",
        "8",
        "--years",
        "2",
        "--tasks",
        "10",
        "--months",
        "3",
        "--projects",
        "3",
    ];
    let first = run(&db, &args, "");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let generated: serde_json::Value = serde_json::from_slice(&first.stdout).expect("JSON summary");
    assert_eq!(generated["plans"], 16);
    assert_eq!(generated["tasks"], 160);
    // The demo has 6 pairings: two synthetic ones make 8.
    assert_eq!(generated["pairings"], 8);
    assert_eq!(entity::pairings::Entity::find().count(&conn).await.expect("count"), 8);
    assert_eq!(entity::plans::Entity::find().count(&conn).await.expect("count"), 16);
    assert_eq!(entity::tasks::Entity::find().count(&conn).await.expect("count"), 160);
    // Three projects a pairing and year, each with its milestones.
    assert_eq!(generated["projects"], 48);
    assert_eq!(entity::projects::Entity::find().count(&conn).await.expect("count"), 48);
    let milestones = entity::project_milestones::Entity::find()
        .count(&conn)
        .await
        .expect("count");
    assert!((48..=4 * 48).contains(&milestones), "{milestones}");
    let reports = entity::reports::Entity::find().count(&conn).await.expect("count");
    assert_eq!(generated["reports"], reports);
    // Three a task, except tasks not started.
    assert!(reports > 0 && reports % 3 == 0 && reports <= 480, "{reports}");

    let again = run(&db, &args, "");
    assert!(again.status.success());
    let generated: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON summary");
    assert_eq!(generated["plans"], 0, "plans already there are left alone");

    let filled = run(&db, &["generate", "reports", "--months", "3"], "");
    assert!(filled.status.success(), "{}", String::from_utf8_lossy(&filled.stderr));
    assert_eq!(entity::reports::Entity::find().count(&conn).await.expect("count"), 480);
    let none_left = run(&db, &["generate", "reports"], "");
    let generated: serde_json::Value = serde_json::from_slice(&none_left.stdout).expect("JSON summary");
    assert_eq!(generated["reports"], 0);

    // What generating wrote is kept per task as a recomputation gives it.
    let checked = run(&db, &["figures"], "");
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("JSON summary");
    assert_eq!(answer, serde_json::json!({ "differences": 0, "rebuilt": false }));
    // A kept actual changed by hand is found, named, and rewritten.
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared(
        "UPDATE task_metric_actuals SET actual_e8 = actual_e8 + 1 \
         WHERE task_id IN (SELECT task_id FROM task_metric_actuals LIMIT 1)",
    )
    .await
    .expect("changed by hand");
    let found = run(&db, &["figures"], "");
    assert!(!found.status.success());
    let answer: serde_json::Value = serde_json::from_slice(&found.stdout).expect("JSON summary");
    assert!(answer["differences"].as_u64().is_some_and(|n| n >= 1), "{answer}");
    let told = String::from_utf8_lossy(&found.stderr);
    assert!(
        told.contains("actual kept Some(") && told.contains("xietong figures --rebuild"),
        "{told}"
    );
    let rebuilt = run(&db, &["figures", "--rebuild"], "");
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&rebuilt.stdout).expect("JSON summary");
    assert_eq!(answer, serde_json::json!({ "differences": 0, "rebuilt": true }));

    // Plans stored before their figures were kept get them when the
    // database is opened (and migrated), by `figures` as by `serve`.
    for table in ["plan_task_counts", "plan_metric_figures", "plan_reporting_units"] {
        conn.execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .expect("emptied by hand");
    }
    let checked = run(&db, &["figures"], "");
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let refilled = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT CAST(COUNT(*) AS BIGINT) FROM plan_task_counts",
        ))
        .await
        .expect("counted")
        .and_then(|row| row.try_get_by_index::<i64>(0).ok());
    assert!(refilled.is_some_and(|n| n > 0), "{refilled:?}");
    let answer: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("JSON summary");
    assert_eq!(answer, serde_json::json!({ "differences": 0, "rebuilt": false }));
}

#[tokio::test]
async fn a_client_is_narrowed_to_a_pairing_from_the_command_line() {
    let db = TestDb::new().await;
    let conn = db.connect().await;
    let p = seed::yuzhong_wuxi(&conn).await;
    let made = run(
        &db,
        &[
            "client",
            "create",
            "--name",
            "巫溪县平台",
            "--client-id",
            "wx-platform",
            "--scope",
            "read",
        ],
        "",
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let client: serde_json::Value = serde_json::from_slice(&made.stdout).expect("JSON");
    assert_eq!(client["unrestricted"], true, "a new client starts unrestricted");

    let held = run(&db, &["client", "grants", "wx-platform"], "");
    let held: serde_json::Value = serde_json::from_slice(&held.stdout).expect("JSON");
    assert_eq!(held.as_array().map(Vec::len), Some(1));
    assert_eq!(held[0]["kind"], "all");
    assert_eq!(held[0]["scope"], "read");
    let unrestricted = held[0]["id"].as_str().expect("an id").to_owned();

    let given = run(
        &db,
        &[
            "client",
            "grant",
            "wx-platform",
            "--pairing",
            "渝中区:巫溪县",
            "--scope",
            "read",
        ],
        "",
    );
    assert!(given.status.success(), "{}", String::from_utf8_lossy(&given.stderr));
    let given: serde_json::Value = serde_json::from_slice(&given.stdout).expect("JSON");
    assert_eq!(given["kind"], "pairing");
    assert_eq!(given["pairing_id"], p.pairing.to_string());
    assert_eq!(given["unrestricted"], false);

    let taken = run(&db, &["client", "ungrant", "wx-platform", &unrestricted], "");
    assert!(taken.status.success(), "{}", String::from_utf8_lossy(&taken.stderr));
    let held = run(&db, &["client", "grants", "wx-platform"], "");
    let held: serde_json::Value = serde_json::from_slice(&held.stdout).expect("JSON");
    assert_eq!(held.as_array().map(Vec::len), Some(1));
    assert_eq!(held[0]["kind"], "pairing");

    // A write grant for a client that holds only `read` would never apply.
    let refused = run(
        &db,
        &[
            "client",
            "grant",
            "wx-platform",
            "--region",
            "巫溪县",
            "--scope",
            "write",
        ],
        "",
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not hold the scope `write`"));
    // Two targets at once are refused by the parser.
    let two = run(
        &db,
        &[
            "client",
            "grant",
            "wx-platform",
            "--region",
            "巫溪县",
            "--all",
            "--scope",
            "read",
        ],
        "",
    );
    assert!(!two.status.success());
    let none = run(&db, &["client", "grant", "wx-platform", "--scope", "read"], "");
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("give --region"));
}

#[tokio::test]
async fn import_projects_reads_a_ledger_for_a_pairing_named_by_its_regions() {
    let db = TestDb::new().await;
    let conn = db.connect().await;
    let p = seed::yuzhong_wuxi(&conn).await;
    let dir = std::env::temp_dir().join(format!("xietong-ledger-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let file = dir.join("ledger.csv");
    std::fs::write(
        &file,
        "项目名称,项目类别,实施单位,总投资（亿元）,援助资金（万元）,项目状态,开工时间\n\
         巫溪县中医院康复大楼,医疗,县经济信息委,1.2,3000,在建,2025-04-10\n\
         标准厂房,产业,县商务委,0.8,2500,已下达,\n",
    )
    .expect("the ledger");
    let path = file.to_string_lossy().into_owned();
    let args = [
        "import",
        "projects",
        &path,
        "--pairing",
        "渝中区:巫溪县",
        "--year",
        "2025",
        "--format",
        "json",
    ];
    let dry = run(&db, &[&args[..], &["--dry-run"]].concat(), "");
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let report: serde_json::Value = serde_json::from_slice(&dry.stdout).expect("a JSON report");
    assert_eq!(
        (report["created"].as_u64(), report["written"].as_bool()),
        (Some(2), Some(false))
    );
    let done = run(&db, &args, "");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let made = xietong::domain::project::list(
        &conn,
        &xietong::domain::Caller::system(),
        &xietong::domain::project::ProjectFilter {
            pairing_id: Some(p.pairing),
            ..Default::default()
        },
        Some("name"),
        &xietong::domain::page::PageRequest::default(),
    )
    .await
    .expect("the projects");
    let read: Vec<(String, String, String)> = made
        .items
        .iter()
        .map(|p| (p.name.clone(), p.investment.to_string(), p.pairing_funds.to_string()))
        .collect();
    assert_eq!(
        read,
        [
            ("巫溪县中医院康复大楼".to_owned(), "12000".to_owned(), "3000".to_owned()),
            ("标准厂房".to_owned(), "8000".to_owned(), "2500".to_owned()),
        ]
    );
    // A bad row: the whole ledger is refused, and the command says where.
    std::fs::write(&file, "项目名称,实施单位,总投资（万元）\n坏项目,县经济信息委,-1\n").expect("the ledger");
    let refused = run(
        &db,
        &[
            "import",
            "projects",
            &path,
            "--pairing",
            "渝中区:巫溪县",
            "--year",
            "2025",
        ],
        "",
    );
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stdout).into_owned() + &String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("总投资（万元）") && said.contains('2'), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The lines about progress on standard error.
fn progress_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("generate "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn long_work_says_how_far_it_has_got_unless_quiet() {
    let args = |quiet: bool| {
        let mut args = vec![
            "generate",
            "city",
            "--pairings",
            "7",
            "--years",
            "2",
            "--tasks",
            "5",
            "--months",
            "0",
        ];
        if quiet {
            args.insert(0, "--quiet");
        }
        args
    };
    // Standard error is not a terminal here: plain lines, one when a stage
    // starts, one when it ends (and one every 5 s between).
    let db = TestDb::new().await;
    let told = run(&db, &args(false), "");
    assert!(told.status.success(), "{}", String::from_utf8_lossy(&told.stderr));
    assert_eq!(
        progress_lines(&told),
        [
            "generate city: plans 0/14 (0%)",
            "generate city: figures 0/70 (0%)",
            "generate city: figures 70/70 (100%), done"
        ]
    );
    let filled = run(&db, &["generate", "reports", "--months", "1"], "");
    assert_eq!(
        progress_lines(&filled),
        [
            "generate reports: tasks 0/70 (0%)",
            "generate reports: figures 0/70 (0%)",
            "generate reports: figures 70/70 (100%), done"
        ]
    );

    // The same work quietly: no progress, the same report on standard output.
    let other = TestDb::new().await;
    let quiet = run(&other, &args(true), "");
    assert!(quiet.status.success(), "{}", String::from_utf8_lossy(&quiet.stderr));
    assert_eq!(progress_lines(&quiet), Vec::<String>::new());
    let report = |output: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&output.stdout).expect("the JSON report")
    };
    assert_eq!(report(&quiet), report(&told));
}
