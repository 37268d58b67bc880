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
}
