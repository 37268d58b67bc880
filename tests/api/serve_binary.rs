//! The `xietong` binary itself: `serve` stops cleanly on SIGTERM, `migrate`
//! runs twice, and an unreachable database is one line naming the URL with
//! its password masked.

use crate::common;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_xietong");

fn xietong(db_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("DATABASE_URL", db_url)
        .env("XIETONG_LOG", "info")
        .env_remove("XIETONG_BIND");
    cmd
}

/// A `serve` process that said where it listens.
struct Serving {
    child: std::process::Child,
    addr: String,
    /// Its stderr, line by line, from the line after the listening one.
    lines: std::sync::mpsc::Receiver<String>,
    /// What it printed up to and including that line.
    before: Vec<String>,
}

/// Starts `cmd` (a `serve`) and waits until it listens.
fn start(mut cmd: Command) -> Serving {
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start xietong serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut before = Vec::new();
    let addr = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("xietong says where it listens: {before:?}"));
        before.push(line.clone());
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on http://".len()..];
            break rest.split_whitespace().next().expect("an address").to_owned();
        }
    };
    Serving {
        child,
        addr,
        lines,
        before,
    }
}

impl Serving {
    /// `GET /healthz`, the whole HTTP answer.
    async fn health(&self) -> String {
        let addr = self.addr.replace("0.0.0.0", "127.0.0.1");
        tokio::task::spawn_blocking(move || {
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
        .expect("the request")
    }

    /// Sends SIGTERM and returns the exit code.
    fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        let pid = i32::try_from(self.child.id()).expect("a pid");
        // SAFETY: sending a signal to the child process we started.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM sent");
        let status = self.child.wait().expect("xietong exits");
        // The reader ends at the end of stderr, which the exit closes.
        (status.code(), self.lines.iter().collect())
    }
}

#[tokio::test]
async fn serve_answers_and_exits_zero_on_sigterm() {
    let test_db = TestDb::new().await;
    let mut cmd = xietong(&test_db.url);
    cmd.args(["serve", "--bind", "127.0.0.1:0"]);
    let serving = start(cmd);
    let body = serving.health().await;
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let (code, rest) = serving.terminate();
    assert_eq!(code, Some(0), "exit status on SIGTERM");
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

/// The environment docker-compose.yml gives the `xietong` service, read as
/// compose reads it when none of the variables it names is set
/// (`${NAME:-default}` is the default, `${NAME}` is empty).
fn compose_environment() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml"))
        .expect("docker-compose.yml");
    let mut lines = text.lines().skip_while(|l| *l != "  xietong:");
    let _ = lines.by_ref().find(|l| l.trim() == "environment:");
    let mut env = Vec::new();
    for line in lines.take_while(|l| l.starts_with("      ")) {
        let (name, value) = line.trim().split_once(':').expect("NAME: value");
        let mut value = value.trim().to_owned();
        while let Some(at) = value.find("${") {
            let end = at + value[at..].find('}').expect("a closing brace");
            let default = value[at + 2..end].split_once(":-").map_or("", |(_, d)| d).to_owned();
            value.replace_range(at..=end, &default);
        }
        env.push((name.to_owned(), value));
    }
    env
}

#[tokio::test]
async fn the_compose_files_environment_starts_the_service() {
    let env = compose_environment();
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"XIETONG_JWT_SECRET") && names.contains(&"DATABASE_URL"),
        "{names:?}"
    );
    let test_db = TestDb::new().await;
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in &env {
        cmd.env(name, value);
    }
    // Compose's database is the `db` service and its port is published;
    // here they are the test's own.
    cmd.env("DATABASE_URL", &test_db.url).env("XIETONG_BIND", "127.0.0.1:0");
    let serving = start(cmd);
    let body = serving.health().await;
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        serving
            .before
            .iter()
            .any(|l| l.contains("XIETONG_JWT_SECRET is not set")),
        "{:?}",
        serving.before
    );
    let (code, _) = serving.terminate();
    assert_eq!(code, Some(0));
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

#[tokio::test]
async fn an_unreachable_replica_stops_serve_naming_it_with_the_password_masked() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        // SQLite has no replica: the refusal of that is tested beside the
        // other settings.
        eprintln!("skipped: set {} to run it against PostgreSQL", common::POSTGRES_ENV);
        return;
    }
    let url = "postgres://reader:hunter2@127.0.0.1:1/xietong";
    let folder =
        xietong::config::temporary_folder().join(format!("xietong-read-url-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&folder).expect("a folder");
    let url_file = folder.join("database_read_url");
    // A secret's file, final line break and all; it wins over the variable.
    std::fs::write(&url_file, format!("{url}\n")).expect("the URL's file");
    for (name, value) in [
        ("DATABASE_READ_URL", url.to_owned()),
        ("DATABASE_READ_URL_FILE", url_file.display().to_string()),
    ] {
        let output = xietong(&test_db.url)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_READ_URL", "postgres://reader:hunter2@127.0.0.1:2/elsewhere")
            .env(name, value)
            .output()
            .expect("run serve");
        assert!(!output.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("DATABASE_READ_URL: cannot open the database at postgres://reader:***@127.0.0.1:1/xietong"),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{name}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&folder);
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

#[test]
fn settings_out_of_range_stop_the_service_at_start_naming_the_setting() {
    let db = std::env::temp_dir().join(format!("xietong-settings-{}.db", uuid::Uuid::new_v4().simple()));
    for (name, value, said) in [
        ("XIETONG_GRAPHQL_MAX_DEPTH", "0", "--graphql-max-depth"),
        ("XIETONG_REFRESH_GRACE_SECS", "301", "--refresh-grace-secs"),
        (
            "XIETONG_SIGN_IN_FAILURES_PER_ADDRESS",
            "many",
            "--sign-in-failures-per-address",
        ),
        ("XIETONG_TRUSTED_PROXIES", "proxy.internal", "XIETONG_TRUSTED_PROXIES"),
        ("XIETONG_JWT_SECRET", "too-short", "XIETONG_JWT_SECRET"),
        ("XIETONG_LOG_FORMAT", "xml", "--log-format"),
        ("DATABASE_POOL_SIZE", "0", "--database-pool-size"),
        ("DATABASE_POOL_SIZE", "1001", "--database-pool-size"),
        (
            "DATABASE_URL_FILE",
            "/nonexistent/xietong-database-url",
            "DATABASE_URL_FILE",
        ),
        // A SQLite database has no streaming replica.
        (
            "DATABASE_READ_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
            "DATABASE_READ_URL names a PostgreSQL streaming replica",
        ),
        (
            "DATABASE_READ_URL_FILE",
            "/nonexistent/xietong-database-read-url",
            "DATABASE_READ_URL_FILE",
        ),
    ] {
        let output = xietong(&format!("sqlite://{}", db.display()))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env(name, value)
            .output()
            .expect("run serve");
        assert!(!output.status.success(), "{name}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{name}={value}: {stderr}");
    }
    let _ = std::fs::remove_file(&db);
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

/// Secrets from files (Docker and Kubernetes secrets, a final line break
/// and all) start the service, and `xietong healthcheck` says whether it is
/// ready: 0 while it serves, 1 once nothing answers.
#[tokio::test]
async fn secrets_from_files_and_the_healthcheck() {
    let test_db = TestDb::new().await;
    let folder = xietong::config::temporary_folder().join(format!("xietong-secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&folder).expect("a folder");
    let (url_file, key_file) = (folder.join("database_url"), folder.join("jwt_secret"));
    std::fs::write(&url_file, format!("{}\n", test_db.url)).expect("the URL's file");
    std::fs::write(&key_file, "a-key-of-at-least-32-characters-from-a-file\n").expect("the key's file");
    let mut cmd = Command::new(BIN);
    cmd.env_remove("DATABASE_URL")
        .env_remove("XIETONG_JWT_SECRET")
        .env_remove("XIETONG_BIND")
        .env("XIETONG_LOG", "info")
        .env("DATABASE_URL_FILE", &url_file)
        .env("XIETONG_JWT_SECRET_FILE", &key_file)
        .args(["serve", "--bind", "127.0.0.1:0"]);
    let serving = start(cmd);
    assert!(
        !serving.before.iter().any(|l| l.contains("random key")),
        "the key came from its file: {:?}",
        serving.before
    );
    let healthy = Command::new(BIN)
        .args(["healthcheck", "--bind", &serving.addr])
        .output()
        .expect("run healthcheck");
    assert_eq!(
        healthy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    let addr = serving.addr.clone();
    let (code, _) = serving.terminate();
    assert_eq!(code, Some(0));
    let gone = Command::new(BIN)
        .args(["healthcheck", "--bind", &addr])
        .output()
        .expect("run healthcheck");
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("not ready"),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    // A file that is not there stops the service at once, naming it.
    let missing = Command::new(BIN)
        .env("XIETONG_JWT_SECRET_FILE", folder.join("nothing"))
        .env("DATABASE_URL", &test_db.url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .output()
        .expect("run serve");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("XIETONG_JWT_SECRET_FILE"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    let _ = std::fs::remove_dir_all(&folder);
}
