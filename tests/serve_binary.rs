//! The `xietong` binary itself: `serve` stops cleanly on SIGTERM, `migrate`
//! runs twice, and an unreachable database is one line naming the URL with
//! its password masked.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_xietong");

fn xietong(db_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("DATABASE_URL", db_url)
        .env("XIETONG_LOG", "info")
        .env_remove("XIETONG_BIND");
    cmd
}

#[tokio::test]
async fn serve_answers_and_exits_zero_on_sigterm() {
    let test_db = TestDb::new().await;
    let mut child = xietong(&test_db.url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start xietong serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("xietong says where it listens");
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on http://".len()..];
            break rest.split_whitespace().next().expect("an address").to_owned();
        }
    };
    let body = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    })
    .await
    .expect("the request");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");

    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: sending a signal to the child process we started.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM sent");
    let status = child.wait().expect("xietong exits");
    assert_eq!(status.code(), Some(0), "exit status on SIGTERM");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

#[tokio::test]
async fn migrate_runs_twice() {
    let test_db = TestDb::new().await;
    for run in 1..=2 {
        let output = xietong(&test_db.url).arg("migrate").output().expect("run migrate");
        assert!(
            output.status.success(),
            "run {run}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn an_unreachable_database_is_one_line_with_the_password_masked() {
    let output = xietong("postgres://xietong:hunter2@127.0.0.1:1/xietong")
        .arg("migrate")
        .output()
        .expect("run migrate");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("postgres://xietong:***@127.0.0.1:1/xietong"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn an_unsupported_database_url_is_refused() {
    let output = xietong("mysql://root@127.0.0.1/test")
        .arg("migrate")
        .output()
        .expect("run migrate");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database"));
}

#[tokio::test]
async fn with_no_arguments_it_serves_on_a_sqlite_file_it_creates() {
    let dir = std::env::temp_dir().join(format!("xietong-default-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a working directory");
    let mut child = Command::new(BIN)
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env("XIETONG_BIND", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start xietong");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let listening = loop {
        match lines.next() {
            Some(Ok(line)) => {
                let found = line.contains("listening on http://127.0.0.1:");
                seen.push(line);
                if found {
                    break true;
                }
            }
            _ => break false,
        }
    };
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: signalling the child process we started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = child.wait().expect("xietong exits");
    assert!(listening, "{seen:?}");
    assert_eq!(status.code(), Some(0));
    let db_file = dir.join("xietong.db");
    assert!(db_file.exists(), "./xietong.db is created");
    let conn = xietong::db::connect(&format!("sqlite://{}", db_file.display()))
        .await
        .expect("open it");
    let tables = common::query_strings(&conn, "SELECT name FROM sqlite_master WHERE type = 'table'").await;
    for table in ["regions", "plans", "tasks", "reports", "audit_log", "users"] {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
    let journal = common::query_strings(&conn, "PRAGMA journal_mode").await;
    assert_eq!(journal, ["wal"]);
    conn.close().await.ok();
    let _ = std::fs::remove_dir_all(&dir);
}
