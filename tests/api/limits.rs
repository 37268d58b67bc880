//! What the service refuses to let one client do to it: too many requests
//! per token or address (shared by every instance), too many at once,
//! requests that take too long, oversized headers; and the headers and
//! CORS policy every answer carries.

use crate::common;
use std::time::{Duration, Instant};

use crate::common::{TestApp, assert_problem};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use xietong::config::ServeArgs;

fn serving(configure: impl FnOnce(&mut ServeArgs)) -> ServeArgs {
    let mut args = crate::common::quiet();
    configure(&mut args);
    args
}

/// Counts are per minute: a test that must not straddle two minutes waits
/// for the next one when this one is nearly over.
pub(crate) async fn well_inside_a_minute() {
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 45 {
        let wait = u64::try_from(61 - second).unwrap_or(15);
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
}

fn assert_retry_after(response: &common::TestResponse, at_most: u64) {
    let secs: u64 = response
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=at_most).contains(&secs), "Retry-After: {secs}");
}

#[tokio::test]
async fn a_token_over_its_limit_is_refused_with_429_and_retry_after() {
    let app = TestApp::spawn_serving(serving(|a| {
        a.rate_limit_per_token = 5;
        a.rate_limit_per_address = 0;
    }))
    .await;
    let bearer = app.bearer_of_new_admin().await;
    well_inside_a_minute().await;
    for _ in 0..5 {
        let ok = app.as_bearer(&bearer, "GET", "/api/v1/regions", None).await;
        assert_eq!(ok.status, 200);
    }
    let refused = app.as_bearer(&bearer, "GET", "/api/v1/regions", None).await;
    assert_problem(&refused, 429, "RATE_LIMITED");
    assert_retry_after(&refused, 60);
    // GraphQL counts against the same user.
    let refused = app
        .request(
            "POST",
            "/graphql",
            Some(&json!({"query": "{ me { username } }"})),
            &[("authorization", &bearer)],
        )
        .await;
    assert_problem(&refused, 429, "RATE_LIMITED");

    // Signing in again gives no new allowance.
    let again = app.bearer("root").await;
    let refused = app.as_bearer(&again, "GET", "/api/v1/regions", None).await;
    assert_problem(&refused, 429, "RATE_LIMITED");

    // Another user has a count of its own; made-up tokens count only per
    // address (off here), so they are answered 401, not 429; probes are
    // never limited.
    app.user("root2", xietong::domain::values::Role::Admin, None).await;
    let other = app.bearer("root2").await;
    let ok = app.as_bearer(&other, "GET", "/api/v1/regions", None).await;
    assert_eq!(ok.status, 200);
    for n in 0..8 {
        let made_up = app
            .as_bearer(&format!("Bearer made-up-{n}"), "GET", "/api/v1/regions", None)
            .await;
        assert_problem(&made_up, 401, "UNAUTHENTICATED");
    }
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
}

#[tokio::test]
async fn an_address_over_its_limit_is_refused_with_or_without_a_token() {
    let app = TestApp::spawn_serving(serving(|a| {
        a.rate_limit_per_token = 0;
        a.rate_limit_per_address = 4;
    }))
    .await;
    well_inside_a_minute().await;
    for _ in 0..4 {
        let answer = app.get("/api/v1/regions").await;
        assert_problem(&answer, 401, "UNAUTHENTICATED");
    }
    let refused = app.get("/api/v1/regions").await;
    assert_problem(&refused, 429, "RATE_LIMITED");
    assert_retry_after(&refused, 60);
    let refused = app
        .request(
            "POST",
            "/api/v1/auth/login",
            Some(&json!({"username": "nobody", "password": "whatever-it-is"})),
            &[],
        )
        .await;
    assert_problem(&refused, 429, "RATE_LIMITED");
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn instances_on_one_database_share_the_count() {
    let args = serving(|a| {
        a.rate_limit_per_token = 6;
        a.rate_limit_per_address = 0;
    });
    let app = TestApp::spawn_serving(args.clone()).await;
    let bearer = app.bearer_of_new_admin().await;
    let sibling = app.spawn_sibling_serving(&args).await;
    well_inside_a_minute().await;
    for _ in 0..4 {
        assert_eq!(app.as_bearer(&bearer, "GET", "/api/v1/regions", None).await.status, 200);
    }
    // Wait until the first instance has shared its count.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let hits = common::query_strings(
            &app.db,
            "SELECT CAST(MAX(hits) AS TEXT) FROM rate_limit_windows WHERE key LIKE 'user:%'",
        )
        .await;
        if hits.first().and_then(|h| h.parse::<i64>().ok()) >= Some(4) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the count never reached the database: {hits:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let remote = common::Remote::new(sibling.addr);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let answer = remote
            .request("GET", "/api/v1/regions", None, &[("authorization", &bearer)])
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(
        statuses,
        [200, 200, 429],
        "the sibling knows what the first instance used"
    );
    sibling.stop().await;
}

/// Sends a request head that announces a body and only part of it, and
/// keeps the connection open: the request stays in flight.
async fn stalled_request(app: &TestApp, bearer: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"code\":"
    );
    stream.write_all(head.as_bytes()).await.expect("send the head");
    stream
}

async fn read_status(stream: &mut TcpStream, within: Duration) -> String {
    let mut buffer = vec![0u8; 4096];
    let read = tokio::time::timeout(within, stream.read(&mut buffer))
        .await
        .expect("an answer in time")
        .expect("read the answer");
    String::from_utf8_lossy(&buffer[..read]).into_owned()
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_shed_with_503() {
    let app = TestApp::spawn_serving(serving(|a| {
        a.max_concurrent_requests = 2;
        a.rate_limit_per_token = 0;
        a.rate_limit_per_address = 0;
    }))
    .await;
    let bearer = app.bearer_of_new_admin().await;
    let first = stalled_request(&app, &bearer).await;
    let second = stalled_request(&app, &bearer).await;
    // The stalled requests take their permits as soon as their heads arrive.
    let deadline = Instant::now() + Duration::from_secs(10);
    let shed = loop {
        let answer = app.as_bearer(&bearer, "GET", "/api/v1/regions", None).await;
        if answer.status == 503 || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_problem(&shed, 503, "UNAVAILABLE");
    assert_retry_after(&shed, 5);
    assert_eq!(app.get("/healthz").await.status, 200, "probes are not shed");

    drop(first);
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = app.as_bearer(&bearer, "GET", "/api/v1/regions", None).await;
        if answer.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "permits never came back: {}", answer.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_503() {
    let app = TestApp::spawn_serving(serving(|a| {
        a.request_timeout_secs = 1;
        a.rate_limit_per_token = 0;
        a.rate_limit_per_address = 0;
    }))
    .await;
    let bearer = app.bearer_of_new_admin().await;
    let started = Instant::now();
    let mut stream = stalled_request(&app, &bearer).await;
    let answer = read_status(&mut stream, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("UNAVAILABLE"), "{answer}");
    assert!(started.elapsed() >= Duration::from_secs(1), "not before the limit");
}

#[tokio::test]
async fn too_many_or_too_large_headers_are_refused_with_431() {
    let app = TestApp::spawn().await;
    let names: Vec<String> = (0..70).map(|i| format!("x-extra-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let answer = app.request("GET", "/api/v1/regions", None, &many).await;
    assert_problem(&answer, 431, "HEADERS_TOO_LARGE");

    let big = "a".repeat(40 * 1024);
    let answer = app.request("GET", "/api/v1/regions", None, &[("x-big", &big)]).await;
    assert_problem(&answer, 431, "HEADERS_TOO_LARGE");
    // A huge token is refused the same way, before anyone parses it.
    let token = format!("Bearer {big}");
    let answer = app
        .request("GET", "/api/v1/regions", None, &[("authorization", &token)])
        .await;
    assert_problem(&answer, 431, "HEADERS_TOO_LARGE");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let bearer = app.bearer_of_new_admin().await;
    let name = "名".repeat(3 * 1024 * 1024);
    let answer = app
        .request(
            "POST",
            "/api/v1/events",
            Some(&json!({"title": name})),
            &[("authorization", &bearer)],
        )
        .await;
    assert_problem(&answer, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn answers_carry_security_headers_and_authenticated_ones_no_store() {
    let app = TestApp::spawn().await;
    let bearer = app.bearer_of_new_admin().await;
    let signed_in = app.as_bearer(&bearer, "GET", "/api/v1/regions", None).await;
    let anonymous = app.get("/healthz").await;
    let refused = app.get("/api/v1/regions").await;
    for answer in [&signed_in, &anonymous, &refused] {
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
    }
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    let graphql = app
        .request(
            "POST",
            "/graphql",
            Some(&json!({"query": "{ me { username } }"})),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(graphql.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only_and_never_a_wildcard() {
    let portal = "https://portal.example.gov.cn";
    let app = TestApp::spawn_serving(serving(|a| a.cors_origins = vec![portal.to_owned()])).await;
    let preflight = |origin: &'static str| {
        let headers = [
            ("origin", origin),
            ("access-control-request-method", "PATCH"),
            ("access-control-request-headers", "authorization,if-match,content-type"),
        ];
        let app = &app;
        async move { app.request("OPTIONS", "/api/v1/tasks", None, &headers).await }
    };
    let allowed = preflight(portal).await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some(portal));
    let methods = allowed.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("PATCH"), "{methods}");
    assert_eq!(allowed.header("access-control-allow-credentials"), None);

    let foreign = preflight("https://evil.example.com").await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);

    let bearer = app.bearer_of_new_admin().await;
    let simple = app
        .request(
            "GET",
            "/api/v1/regions",
            None,
            &[("origin", portal), ("authorization", &bearer)],
        )
        .await;
    assert_eq!(simple.header("access-control-allow-origin"), Some(portal));
    // A portal's script may read the version, the request id, a replayed
    // create and how long to wait.
    let exposed = simple
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["etag", "x-request-id", "idempotent-replayed", "retry-after"] {
        assert!(exposed.contains(header), "{header} in {exposed}");
    }
    let foreign = app
        .request(
            "GET",
            "/api/v1/regions",
            None,
            &[("origin", "https://evil.example.com"), ("authorization", &bearer)],
        )
        .await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
}

#[test]
fn cors_origins_are_checked_and_a_wildcard_is_refused() {
    let check = |origins: &[&str]| {
        serving(|a| a.cors_origins = origins.iter().map(|o| (*o).to_owned()).collect()).checked_cors_origins()
    };
    assert_eq!(
        check(&["https://a.example.cn", " http://localhost:5173 "]),
        Ok(vec![
            "https://a.example.cn".to_owned(),
            "http://localhost:5173".to_owned()
        ])
    );
    for bad in [
        "*",
        "https://*.example.cn",
        "portal.example.cn",
        "https://a.example.cn/",
        "https://a.example.cn/path",
        "ftp://a.example.cn",
    ] {
        assert!(check(&[bad]).is_err(), "{bad} was accepted");
    }
}

#[test]
fn serve_refuses_to_start_with_a_wildcard_origin() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xietong"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", "sqlite::memory:")
        .env("XIETONG_CORS_ORIGINS", "*")
        .output()
        .expect("run xietong serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("XIETONG_CORS_ORIGINS") && stderr.contains("wildcard"),
        "{stderr}"
    );
}
