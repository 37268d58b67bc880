//! Logs an operator can ship: with `XIETONG_LOG_FORMAT=json` every line the
//! real binary writes is one JSON object, without colour codes; each request
//! makes one access line with its route as declared (not its ids), status,
//! latency, request id, principal and the W3C trace id it came with.

use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::secrets_in_logs::{create_user, start};

async fn send(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> (u16, Value) {
    let client: hyper_util::client::legacy::Client<_, http_body_util::Full<axum::body::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let mut builder = axum::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(http_body_util::Full::new(axum::body::Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .expect("a request");
    let answer = client.request(request).await.expect("an answer");
    let status = answer.status().as_u16();
    let bytes = answer.into_body().collect().await.expect("the body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn json_logs_carry_one_access_line_per_request() {
    let test_db = TestDb::new().await;
    create_user(&test_db.url, "ops-admin", "admin", "Ops-Password-0001!");
    let server = start(&test_db.url, &[("XIETONG_LOG_FORMAT", "json"), ("XIETONG_LOG", "info")]);
    let base = format!("http://{}", server.addr);
    let (status, tokens) = send(
        &base,
        "POST",
        "/api/v1/auth/login",
        &[],
        Some(json!({"username": "ops-admin", "password": "Ops-Password-0001!"})),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().expect("a token"));
    let me = send(&base, "GET", "/api/v1/me", &[("authorization", bearer.as_str())], None).await;
    let user_id = me.1["id"].as_str().expect("my id").to_owned();
    let plan = "00000000-0000-4000-8000-000000000001";
    let (status, _) = send(
        &base,
        "GET",
        &format!("/api/v1/plans/{plan}"),
        &[
            ("authorization", bearer.as_str()),
            ("x-request-id", "req-ops-42"),
            ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 404);

    // The line is written once the answer is made: wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let access = loop {
        let lines = server.lines.lock().expect("the lines").clone();
        let found = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["request_id"] == "req-ops-42");
        if let Some(found) = found {
            break found;
        }
        assert!(Instant::now() < deadline, "no access line: {lines:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(access["target"], "xietong::access");
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["route"], "/api/v1/plans/{id}", "the template, not the id");
    assert_eq!(access["status"], 404);
    assert!(access["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{access}");
    assert_eq!(access["principal"], format!("user:{user_id}"));
    assert_eq!(access["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");

    let lines = server.lines.lock().expect("the lines").clone();
    for line in &lines {
        assert!(serde_json::from_str::<Value>(line).is_ok(), "not JSON: {line}");
        assert!(!line.contains('\u{1b}'), "a colour code: {line}");
    }
    // One line for each request: the sign-in, /me and the plan.
    let requests = lines
        .iter()
        .filter(|l| l.contains("\"target\":\"xietong::access\""))
        .count();
    assert_eq!(requests, 3, "{lines:#?}");
}
