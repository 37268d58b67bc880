//! The test app: a database of its own per test (a temporary SQLite file,
//! or a fresh PostgreSQL database when `XIETONG_TEST_POSTGRES_URL` is set),
//! the real router served on a random port, and an HTTP client for it.

#![allow(dead_code)]

pub mod openapi;
pub mod seed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;
use xietong::config::ServeArgs;
use xietong::{AppState, db};

/// The environment variable that points the suite at PostgreSQL.
pub const POSTGRES_ENV: &str = "XIETONG_TEST_POSTGRES_URL";

/// The environment variable naming a streaming replica of the PostgreSQL
/// server of [`POSTGRES_ENV`] (`.ci/replica` makes the two).
pub const REPLICA_ENV: &str = "XIETONG_TEST_POSTGRES_READ_URL";

/// Waits until `replica` has replayed everything `primary` has written.
pub async fn caught_up(primary: &DatabaseConnection, replica: &DatabaseConnection) {
    for _ in 0..300 {
        let lag = db::replica_lag(primary, replica)
            .await
            .expect("measure the replica's lag");
        if lag.lag_bytes == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the replica did not catch up within 30 s");
}

/// The key test apps sign tokens with, so tests can forge tokens of their own.
pub const TEST_JWT_SECRET: &[u8] = b"xietong-test-secret-0123456789abcdef";

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDb {
    /// A new, empty database on the backend the suite runs on.
    pub async fn new() -> TestDb {
        let id = Uuid::new_v4().simple().to_string();
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("xietong_test_{id}");
                let admin = db::connect(&admin_url)
                    .await
                    .expect("connect to the PostgreSQL of XIETONG_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("XIETONG_TEST_POSTGRES_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: url.to_string(),
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("xietong-test-{id}.db"));
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }

    /// Opens and migrates it, as `serve` does.
    pub async fn connect(&self) -> DatabaseConnection {
        let conn = db::connect(&self.url).await.expect("open the test database");
        db::migrate(&conn).await.expect("migrate the test database");
        conn
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::PostgresDatabase { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let admin_url = admin_url.clone();
                let name = name.clone();
                // Drop runs inside the test's runtime: use a runtime of our own
                // on a thread of our own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = db::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// An answer of the app.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The real application, served on a random port over its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: DatabaseConnection,
    client: Client<HttpConnector, Full<Bytes>>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Declared last: the database goes after the server that uses it.
    pub test_db: TestDb,
}

impl TestApp {
    /// The app, its reminder scheduler off (a test of reminders turns it on).
    pub async fn spawn() -> TestApp {
        TestApp::spawn_serving(quiet()).await
    }

    /// The app served with the settings of `serve` (limits, CORS origins).
    pub async fn spawn_serving(serve: ServeArgs) -> TestApp {
        TestApp::spawn_configured(serve, |_| {}).await
    }

    /// The app as it runs on `day` (`2025-07-01`) in China, from 09:00 there:
    /// its clock says so to every request.
    pub async fn spawn_on(day: &str) -> TestApp {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00"))
            .expect("a day")
            .to_utc();
        TestApp::spawn_with_state(
            quiet(),
            |_| {},
            |state| state.with_clock(xietong::domain::Clock::starting_at(at)),
        )
        .await
    }

    /// The app as it runs on `day`, served with `serve`.
    pub async fn spawn_on_serving(day: &str, serve: ServeArgs) -> TestApp {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00"))
            .expect("a day")
            .to_utc();
        TestApp::spawn_with_state(
            serve,
            |_| {},
            |state| state.with_clock(xietong::domain::Clock::starting_at(at)),
        )
        .await
    }

    /// The app served with `serve` over a connection that `configure` may
    /// change first.
    async fn spawn_configured(serve: ServeArgs, configure: impl FnOnce(&mut DatabaseConnection)) -> TestApp {
        TestApp::spawn_with_state(serve, configure, |state| state).await
    }

    /// The app served with `serve` over a connection that `configure` may
    /// change first, in the state `state` makes of the usual one.
    async fn spawn_with_state(
        serve: ServeArgs,
        configure: impl FnOnce(&mut DatabaseConnection),
        state: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let test_db = TestDb::new().await;
        let mut conn = test_db.connect().await;
        configure(&mut conn);
        TestApp::serve_over(test_db, conn, &serve, state).await
    }

    /// The app on PostgreSQL with its reads routed to a streaming replica
    /// (`XIETONG_TEST_POSTGRES_READ_URL`, which `.ci/replica` sets up), and
    /// a connection to the replica's copy of its database, caught up.
    pub async fn spawn_with_replica() -> (TestApp, DatabaseConnection) {
        let server = std::env::var(REPLICA_ENV)
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| panic!("{REPLICA_ENV} names a streaming replica of {POSTGRES_ENV}: run .ci/replica"));
        // A test that failed while it had paused replay left it so.
        let server_conn = db::connect(&server).await.expect("connect to the replica");
        server_conn
            .execute_unprepared("SELECT pg_wal_replay_resume()")
            .await
            .expect("resume replay");
        server_conn.close().await.ok();
        let test_db = TestDb::new().await;
        assert!(test_db.is_postgres(), "a replica needs {POSTGRES_ENV}");
        let conn = test_db.connect().await;
        let mut url = url::Url::parse(&server).expect("XIETONG_TEST_POSTGRES_READ_URL is a URL");
        url.set_path(url::Url::parse(&test_db.url).expect("a URL").path());
        let mut replica = None;
        for _ in 0..300 {
            // The database appears there once the replica replays its creation.
            if let Ok(opened) = db::connect(url.as_str()).await {
                replica = Some(opened);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let replica = replica.expect("the replica has the test database within 30 s");
        caught_up(&conn, &replica).await;
        let app = TestApp::serve_over(test_db, conn, &quiet(), |state| state.with_replica(replica.clone())).await;
        (app, replica)
    }

    async fn serve_over(
        test_db: TestDb,
        conn: DatabaseConnection,
        serve: &ServeArgs,
        state: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a random port");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let state = state(AppState::new(conn.clone(), serve, TEST_JWT_SECRET));
        let server = tokio::spawn(xietong::serve(listener, state, async move {
            let _ = rx.await;
        }));
        let client = Client::builder(TokioExecutor::new()).build_http();
        TestApp {
            addr,
            db: conn,
            client,
            shutdown: Some(tx),
            server: Some(server),
            test_db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request with optional JSON body and extra headers.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let request = json_request(self.addr, method, path, body, headers);
        let response = self.client.request(request).await.expect("send the request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("read the body").to_bytes();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        openapi::check(method, path, status, content_type, &body);
        TestResponse { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, None, &[]).await
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

/// The default settings with the reminder scheduler off.
pub fn quiet() -> ServeArgs {
    ServeArgs {
        reminder_interval_secs: 0,
        webhook_delivery: false,
        storage: format!(
            "file://{}",
            std::env::temp_dir()
                .join("xietong-test-files")
                .join(uuid::Uuid::new_v4().to_string())
                .display()
        ),
        ..ServeArgs::default()
    }
}

/// A request to the server at `addr` with an optional JSON body and extra headers.
fn json_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> axum::http::Request<Full<Bytes>> {
    let mut builder = axum::http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    let bytes = match body {
        Some(value) => {
            builder = builder.header("content-type", "application/json");
            Bytes::from(serde_json::to_vec(value).expect("serialize the body"))
        }
        None => Bytes::new(),
    };
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(bytes)).expect("build the request")
}

/// Runs one SQL query and returns the first column of its rows as text.
pub async fn query_strings(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    let backend = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .expect("run the query")
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
        .collect()
}

impl TestApp {
    /// Makes a user through the domain core and returns its id.
    pub async fn user(&self, username: &str, role: xietong::domain::values::Role, unit_id: Option<Uuid>) -> Uuid {
        xietong::domain::user::create(
            &self.db,
            &xietong::domain::Caller::system(),
            xietong::domain::user::NewUser {
                username: username.to_owned(),
                display_name: None,
                password: format!("{username}-password"),
                role,
                unit_id,
            },
        )
        .await
        .expect("create a user")
        .id
    }

    /// Signs in as a user made by [`TestApp::user`]; returns the token answer.
    pub async fn login(&self, username: &str) -> Value {
        let response = self
            .request(
                "POST",
                "/api/v1/auth/login",
                Some(&serde_json::json!({"username": username, "password": format!("{username}-password")})),
                &[],
            )
            .await;
        assert_eq!(
            response.status,
            200,
            "login {username}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }

    /// A bearer header value for a user made by [`TestApp::user`].
    pub async fn bearer(&self, username: &str) -> String {
        format!(
            "Bearer {}",
            self.login(username).await["access_token"]
                .as_str()
                .expect("an access token")
        )
    }

    /// Sends a request as the holder of `bearer`.
    pub async fn as_bearer(&self, bearer: &str, method: &str, path: &str, body: Option<&Value>) -> TestResponse {
        self.request(method, path, body, &[("authorization", bearer)]).await
    }

    /// Every item of every page of the list at `path`, `limit` a page,
    /// following `next_cursor`, as the holder of `bearer`.
    pub async fn every_item(&self, bearer: &str, path: &str, limit: u32) -> Vec<Value> {
        let join = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let after = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = self
                .as_bearer(bearer, "GET", &format!("{path}{join}limit={limit}{after}"), None)
                .await;
            assert_eq!(page.status, 200, "{path}: {}", String::from_utf8_lossy(&page.body));
            let page = page.json();
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// Asserts that an answer is a problem with this status and code.
pub fn assert_problem(response: &TestResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.header("content-type"), Some("application/problem+json"));
    let body = response.json();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
}

impl TestApp {
    /// Makes an administrator `root` and signs in as it.
    pub async fn bearer_of_new_admin(&self) -> String {
        self.user("root", xietong::domain::values::Role::Admin, None).await;
        self.bearer("root").await
    }

    /// Sends a raw body with a content type.
    pub async fn request_raw(
        &self,
        method: &str,
        path: &str,
        body: impl Into<Bytes>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut builder = axum::http::Request::builder()
            .method(method)
            .uri(self.url(path))
            .header("content-type", content_type);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Full::new(body.into())).expect("build the request");
        let response = self.client.request(request).await.expect("send the request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("read the body").to_bytes();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        openapi::check(method, path, status, content_type, &body);
        TestResponse { status, headers, body }
    }
}

impl TestApp {
    /// The app served over a connection that `configure` may change first
    /// (a metric callback that counts SQL statements, say).
    pub async fn spawn_with(configure: impl FnOnce(&mut DatabaseConnection)) -> TestApp {
        // What `configure` observes is the API's work: the rate limiter's
        // bookkeeping (a statement per key and minute, a sync per second)
        // is left out.
        let serve = ServeArgs {
            rate_limit_per_token: 0,
            rate_limit_per_address: 0,
            ..quiet()
        };
        TestApp::spawn_configured(serve, configure).await
    }

    /// An app whose SQL statements are counted (sea-orm's metric callback
    /// on its own connection), with the counter.
    pub async fn counted() -> (TestApp, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counting = counter.clone();
        let app = TestApp::spawn_with(move |conn| {
            conn.set_metric_callback(move |_| {
                counting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .await;
        (app, counter)
    }

    /// Runs a GraphQL operation as the holder of `bearer` (none: no
    /// `Authorization` header) and returns the answer's JSON, asserting the
    /// HTTP status is 200.
    pub async fn graphql(&self, bearer: Option<&str>, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({"query": query, "variables": variables});
        let mut headers = Vec::new();
        if let Some(bearer) = bearer {
            headers.push(("authorization", bearer));
        }
        let response = self.request("POST", "/graphql", Some(&body), &headers).await;
        assert_eq!(
            response.status,
            200,
            "POST /graphql: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }
}

/// The `extensions.code` of the first error of a GraphQL answer.
pub fn graphql_code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

/// Asserts that a GraphQL answer has no errors, and returns its data.
pub fn graphql_data(answer: &Value) -> &Value {
    assert!(answer.get("errors").is_none_or(Value::is_null), "errors: {answer}");
    &answer["data"]
}

/// The permission matrix, shared by the REST and GraphQL walks.
pub mod matrix;

/// Another instance of the service over a test app's database, as a
/// second server behind the same PostgreSQL would be.
pub struct Sibling {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Serves another instance over this app's database.
    pub async fn spawn_sibling(&self) -> Sibling {
        self.spawn_sibling_serving(&quiet()).await
    }

    /// Serves another instance over this app's database with the settings
    /// of `serve`, its clock on `day` (`2025-11-18`) in China from 09:00.
    pub async fn spawn_sibling_on(&self, day: &str, serve: &ServeArgs) -> Sibling {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00"))
            .expect("a day")
            .to_utc();
        self.spawn_sibling_with(serve, |state| state.with_clock(xietong::domain::Clock::starting_at(at)))
            .await
    }

    /// Serves another instance over this app's database with the settings of `serve`.
    pub async fn spawn_sibling_serving(&self, serve: &ServeArgs) -> Sibling {
        self.spawn_sibling_with(serve, |state| state).await
    }

    async fn spawn_sibling_with(&self, serve: &ServeArgs, state: impl FnOnce(AppState) -> AppState) -> Sibling {
        let conn = db::connect(&self.test_db.url).await.expect("open the database again");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a random port");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let state = state(AppState::new(conn, serve, TEST_JWT_SECRET));
        let server = tokio::spawn(xietong::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Sibling {
            addr,
            shutdown: Some(tx),
            server: Some(server),
        }
    }
}

impl Sibling {
    /// Stops the instance and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

/// A GraphQL subscriber over WebSocket (graphql-transport-ws).
pub mod subscriber;

impl TestApp {
    /// Signs in as `qj-jw`, a unit user of 黔江区's 区教委: a unit outside
    /// every pairing the seed makes.
    pub async fn bearer_of_outsider(&self) -> String {
        use xietong::domain::values::{Cluster, RegionKind, Role, UnitKind};
        let qianjiang = seed::region(
            &self.db,
            Some("500114"),
            "黔江区",
            RegionKind::District,
            Some(Cluster::Southeast),
        )
        .await;
        let elsewhere = seed::unit(&self.db, qianjiang, "区教委", UnitKind::Department).await;
        self.user("qj-jw", Role::UnitUser, Some(elsewhere)).await;
        self.bearer("qj-jw").await
    }
}

/// A client of a server the test did not start in-process (the binary, or
/// an instance behind a proxy). Answers are checked against the committed
/// document as [`TestApp`]'s are; a failed or overlong exchange is an
/// error, not a panic, since the test may be killing the server.
#[derive(Clone)]
pub struct Remote {
    pub addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Remote {
    /// How long one exchange may take before it counts as failed.
    pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

    pub fn new(addr: SocketAddr) -> Remote {
        Remote {
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub async fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<TestResponse, String> {
        let request = json_request(self.addr, method, path, body, headers);
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>(TestResponse { status, headers, body })
        };
        let answer = tokio::time::timeout(Self::TIMEOUT, exchange)
            .await
            .map_err(|_| format!("{method} {path}: no answer within {:?}", Self::TIMEOUT))??;
        openapi::check(method, path, answer.status, answer.header("content-type"), &answer.body);
        Ok(answer)
    }

    /// Like [`Remote::try_request`], panicking when there is no answer.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.try_request(method, path, body, headers)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

/// One request of a race: method, path, body and headers.
pub type Racer = (&'static str, String, Option<Value>, Vec<(&'static str, String)>);

/// Sends every request of `requests` at once (each on a task of its own,
/// released together) and returns the answers in the same order.
pub async fn race(app: &Arc<TestApp>, requests: Vec<Racer>) -> Vec<TestResponse> {
    let start = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let handles: Vec<_> = requests
        .into_iter()
        .map(|(method, path, body, headers)| {
            let app = Arc::clone(app);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                start.wait().await;
                app.request(method, &path, body.as_ref(), &headers).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(handles.len());
    for handle in handles {
        answers.push(handle.await.expect("a racing request"));
    }
    answers
}

/// A merged range: first row, first column, last row, last column.
pub type Merged = (u32, u32, u32, u32);

/// How a cell of a workbook is drawn: boxed in a thin line on all four
/// sides, bold, centred across.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drawn {
    pub boxed: bool,
    pub bold: bool,
    pub centred: bool,
}

/// The parts of an XML text between `<tag` and its end (`/>` or
/// `</tag>`), each with its attributes and contents.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let from = &rest[at..];
        // `<b` must not match `<border`: the tag's name ends there.
        if !from[open.len()..].starts_with([' ', '/', '>']) {
            rest = &from[open.len()..];
            continue;
        }
        let head_end = from.find('>').expect("a tag's end");
        let end = if from[..head_end].ends_with('/') {
            head_end + 1
        } else {
            from.find(&close).map_or(head_end + 1, |e| e + close.len())
        };
        out.push(&from[..end]);
        rest = &from[end..];
    }
    out
}

/// An attribute of an element's opening tag.
fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let head = &element[..element.find('>').unwrap_or(element.len())];
    let key = format!(" {name}=\"");
    let from = head.find(&key)? + key.len();
    head[from..].split('"').next()
}

/// How each written cell of every sheet is drawn, read from the
/// workbook's styles and sheets as Excel reads them: sheet by sheet, the
/// cells by (row, column) from 0.
pub fn xlsx_drawn(bytes: &[u8]) -> Vec<std::collections::BTreeMap<(u32, u32), Drawn>> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX");
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name).expect(name).read_to_string(&mut text).expect(name);
        text
    };
    let styles = read("xl/styles.xml");
    let section = |tag: &str| elements(&styles, tag).into_iter().next().unwrap_or_default();
    let boxed: Vec<bool> = elements(section("borders"), "border")
        .into_iter()
        .map(|b| {
            ["left", "right", "top", "bottom"]
                .iter()
                .all(|side| elements(b, side).first().and_then(|e| attribute(e, "style")) == Some("thin"))
        })
        .collect();
    let bold: Vec<bool> = elements(section("fonts"), "font")
        .into_iter()
        .map(|f| !elements(f, "b").is_empty())
        .collect();
    let formats: Vec<Drawn> = elements(section("cellXfs"), "xf")
        .into_iter()
        .map(|xf| {
            let index = |name: &str| attribute(xf, name).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            Drawn {
                boxed: boxed.get(index("borderId")).copied().unwrap_or(false),
                bold: bold.get(index("fontId")).copied().unwrap_or(false),
                centred: elements(xf, "alignment")
                    .first()
                    .and_then(|a| attribute(a, "horizontal"))
                    == Some("center"),
            }
        })
        .collect();
    let sheets = elements(&read("xl/workbook.xml"), "sheet").len();
    (1..=sheets)
        .map(|n| {
            elements(&read(&format!("xl/worksheets/sheet{n}.xml")), "c")
                .into_iter()
                .map(|cell| {
                    let at = attribute(cell, "r").expect("a cell's reference");
                    let letters = at.chars().take_while(char::is_ascii_uppercase).count();
                    let column = at[..letters].bytes().fold(0, |n, b| n * 26 + u32::from(b - b'A') + 1) - 1;
                    let row: u32 = at[letters..].parse::<u32>().expect("a row") - 1;
                    let style = attribute(cell, "s").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
                    ((row, column), formats.get(style).copied().unwrap_or_default())
                })
                .collect()
        })
        .collect()
}

/// The first sheet of a workbook: its cells as text (blank for empty) and
/// its merged ranges, sorted.
pub fn xlsx_sheet(bytes: &[u8]) -> (Vec<Vec<String>>, Vec<Merged>) {
    let (_, cells, merged) = xlsx_sheets(bytes).into_iter().next().expect("a sheet");
    (cells, merged)
}

/// A sheet of a workbook: its name, its cells as text, its merged ranges.
pub type ReadSheet = (String, Vec<Vec<String>>, Vec<Merged>);

/// Every sheet of a workbook, in order.
pub fn xlsx_sheets(bytes: &[u8]) -> Vec<ReadSheet> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX");
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("the sheet");
        let (rows, columns) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
        let cells = (0..rows)
            .map(|r| {
                (0..columns)
                    .map(|c| match range.get_value((r, c)) {
                        Some(Data::String(s)) => s.clone(),
                        Some(Data::Empty) | None => String::new(),
                        Some(other) => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        let mut merged: Vec<Merged> = book
            .merge_cells_by_sheet_name(&name)
            .expect("the merged cells")
            .into_iter()
            .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
            .collect();
        merged.sort_unstable();
        out.push((name, cells, merged));
    }
    out
}
