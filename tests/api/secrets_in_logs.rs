//! Secrets never reach the log: the real binary serves a whole scenario of
//! sign-ins, failed sign-ins, refreshes, password changes, integration
//! clients and GraphQL at the most verbose log level, and its output holds
//! none of the passwords, tokens or secrets that went through it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::TestDb;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_xietong");
const JWT_SECRET: &str = "jwt-secret-that-must-never-be-logged-0123456789";

/// Output lines of the child, collected as they come.
pub(crate) type Lines = Arc<Mutex<Vec<String>>>;

fn collect(stream: impl std::io::Read + Send + 'static, lines: &Lines) {
    let lines = Arc::clone(lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            lines.lock().expect("the lines").push(line);
        }
    });
}

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    pub(crate) lines: Lines,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `xietong serve` on a free port of 127.0.0.1 over `db_url`, logging
/// everything, with `env` besides.
pub(crate) fn start(db_url: &str, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .env("DATABASE_URL", db_url)
        .env("XIETONG_LOG", "trace")
        .env("XIETONG_JWT_SECRET", JWT_SECRET)
        .env("XIETONG_RATE_LIMIT_PER_TOKEN", "0")
        .env("XIETONG_RATE_LIMIT_PER_ADDRESS", "0")
        // A reused refresh token is refused at once, not answered again.
        .env("XIETONG_REFRESH_GRACE_SECS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start xietong serve");
    let lines: Lines = Arc::default();
    collect(child.stdout.take().expect("stdout"), &lines);
    collect(child.stderr.take().expect("stderr"), &lines);
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let found = lines.lock().expect("the lines").iter().find_map(|line| {
            let at = line.find("listening on http://")?;
            let rest = &line[at + "listening on http://".len()..];
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '[' | ']'))
                .collect();
            (!addr.is_empty()).then_some(addr)
        });
        if let Some(addr) = found {
            break addr;
        }
        assert!(Instant::now() < deadline, "xietong never listened: {:?}", lines.lock());
        std::thread::sleep(Duration::from_millis(50));
    };
    Server { child, addr, lines }
}

pub(crate) fn create_user(db_url: &str, username: &str, role: &str, password: &str) {
    let mut child = Command::new(BIN)
        .args([
            "user",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
        ])
        .env("DATABASE_URL", db_url)
        .env("XIETONG_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xietong user create");
    writeln!(child.stdin.take().expect("stdin"), "{password}").expect("send the password");
    let output = child.wait_with_output().expect("user create ends");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for text in [&output.stdout, &output.stderr] {
        assert!(
            !String::from_utf8_lossy(text).contains(password),
            "user create printed the password"
        );
    }
}

struct Http {
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        http_body_util::Full<axum::body::Bytes>,
    >,
    base: String,
}

impl Http {
    async fn call(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, bearer, "application/json", body.map(|b| b.to_string()))
            .await
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        content_type: &str,
        body: Option<String>,
    ) -> (u16, Value) {
        use http_body_util::BodyExt;
        let mut builder = axum::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", content_type);
        if let Some(bearer) = bearer {
            builder = builder.header("authorization", format!("Bearer {bearer}"));
        }
        let request = builder
            .body(http_body_util::Full::new(axum::body::Bytes::from(
                body.unwrap_or_default(),
            )))
            .expect("a request");
        let answer = self.client.request(request).await.expect("an answer");
        let status = answer.status().as_u16();
        let bytes = answer.into_body().collect().await.expect("the body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
        .to_owned()
}

#[tokio::test]
async fn a_whole_scenario_logs_no_secret() {
    let test_db = TestDb::new().await;
    let admin_password = "Admin-Password-0001!";
    create_user(&test_db.url, "admin", "admin", admin_password);
    let server = start(&test_db.url, &[]);
    let http = Http {
        client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        base: format!("http://{}", server.addr),
    };
    let mut secrets: Vec<String> = vec![admin_password.to_owned(), JWT_SECRET.to_owned()];

    let wrong = "Wrong-Password-0002!";
    secrets.push(wrong.to_owned());
    let (status, _) = http
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": wrong})),
        )
        .await;
    assert_eq!(status, 401);

    let (status, tokens) = http
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": admin_password})),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = text(&tokens, "access_token");
    let refresh = text(&tokens, "refresh_token");
    secrets.extend([access.clone(), refresh.clone()]);

    let (status, renewed) = http
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    let access = text(&renewed, "access_token");
    secrets.extend([access.clone(), text(&renewed, "refresh_token")]);
    // The spent refresh token again: refused, and still not logged.
    let (status, _) = http
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, 401);

    let user_password = "User-Password-0003!";
    secrets.push(user_password.to_owned());
    let (status, created) = http
        .call(
            "POST",
            "/api/v1/users",
            Some(&access),
            Some(json!({"username": "viewer1", "role": "viewer", "password": user_password})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, viewer) = http
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "viewer1", "password": user_password})),
        )
        .await;
    assert_eq!(status, 200, "{viewer}");
    let viewer_access = text(&viewer, "access_token");
    secrets.push(viewer_access.clone());
    let new_password = "User-Password-0004!";
    secrets.push(new_password.to_owned());
    let (status, changed) = http
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&viewer_access),
            Some(json!({"current_password": user_password, "new_password": new_password})),
        )
        .await;
    assert!(status < 300, "{status} {changed}");

    let (status, issued) = http
        .call(
            "POST",
            "/api/v1/clients",
            Some(&access),
            Some(json!({"name": "市级平台", "scopes": ["read"]})),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let client_secret = text(&issued, "client_secret");
    let client_id = text(&issued, "client_id");
    secrets.push(client_secret.clone());
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(client_secret.as_bytes()).collect::<String>()
    );
    let (status, granted) = http
        .send(
            "POST",
            "/api/v1/auth/token",
            None,
            "application/x-www-form-urlencoded",
            Some(form),
        )
        .await;
    assert_eq!(status, 200, "{granted}");
    secrets.push(text(&granted, "access_token"));
    let (status, _) = http
        .send(
            "POST",
            "/api/v1/auth/token",
            None,
            "application/x-www-form-urlencoded",
            Some(format!(
                "grant_type=client_credentials&client_id={client_id}&client_secret=Wrong-Client-Secret-0005"
            )),
        )
        .await;
    assert_eq!(status, 401);
    secrets.push("Wrong-Client-Secret-0005".to_owned());

    let (status, answer) = http
        .call(
            "POST",
            "/graphql",
            Some(&access),
            Some(json!({"query": "{ me { username } }"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = http
        .call(
            "GET",
            "/api/v1/regions",
            Some("not-a-token-but-secret-looking-0006"),
            None,
        )
        .await;
    assert_eq!(status, 401);
    secrets.push("not-a-token-but-secret-looking-0006".to_owned());

    let lines = {
        // Give the last log lines a moment to be written.
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut last = 0;
        loop {
            let count = server.lines.lock().expect("the lines").len();
            if (count == last && count > 0) || Instant::now() > deadline {
                break;
            }
            last = count;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        server.lines.lock().expect("the lines").clone()
    };
    assert!(lines.len() > 20, "the scenario was logged: {lines:?}");
    for secret in &secrets {
        // Whole secrets, and any long piece of one (a JWT's signature, say).
        let pieces: Vec<&str> = secret.split('.').filter(|p| p.len() >= 12).collect();
        for line in &lines {
            assert!(!line.contains(secret.as_str()), "a secret is in the log: {line}");
            for piece in &pieces {
                assert!(!line.contains(piece), "part of a secret is in the log: {line}");
            }
        }
    }
}
