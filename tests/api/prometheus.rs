//! `GET /metrics` as Prometheus reads it: parsed with a parser of the text
//! format, each figure worked out from the requests the test made; routes
//! as declared (never an id), GraphQL operations by name and outcome,
//! rate-limit refusals, the pool, the scheduler and the webhook sender; a
//! token and an address of its own when configured.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nom_openmetrics::MetricDescriptor;
use serde_json::json;
use xietong::config::{Secret, ServeArgs};
use xietong::infra::telemetry::{OPENMETRICS_TEXT, PROMETHEUS_TEXT};

use crate::common::{Remote, TestApp, assert_problem, quiet};

/// One sample: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// An exposition as a parser of the Prometheus text format read it.
struct Scrape {
    samples: Vec<Sample>,
    /// Each family's declared type (`counter`, `histogram` …).
    types: HashMap<String, String>,
    /// The families with a `# HELP`.
    helped: Vec<String>,
}

fn parse(body: &[u8]) -> Scrape {
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    let (_, families) = nom_openmetrics::parser::prometheus(&text)
        .unwrap_or_else(|e| panic!("not the Prometheus text format: {e:?}\n{text}"));
    let mut scrape = Scrape {
        samples: Vec::new(),
        types: HashMap::new(),
        helped: Vec::new(),
    };
    for family in families {
        for descriptor in &family.descriptors {
            match descriptor {
                MetricDescriptor::Type { metric, r#type } => {
                    // The parser reads `histogram` as an unknown type
                    // holding the word: the word is kept either way.
                    let kind = format!("{type:?}").to_lowercase();
                    let kind = kind.trim_start_matches("unknown(\"").trim_end_matches("\")");
                    scrape.types.insert((*metric).to_owned(), kind.to_owned());
                }
                MetricDescriptor::Help { metric, .. } => scrape.helped.push((*metric).to_owned()),
                MetricDescriptor::Unit { .. } => {}
            }
        }
        for sample in &family.samples {
            scrape.samples.push(Sample {
                name: sample.name().to_owned(),
                labels: sample
                    .labels()
                    .iter()
                    .map(|l| (l.name.to_owned(), l.value.clone()))
                    .collect(),
                value: sample.number(),
            });
        }
    }
    scrape
}

async fn scrape(app: &TestApp) -> Scrape {
    let answer = app.get("/metrics").await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.header("content-type"), Some(PROMETHEUS_TEXT));
    parse(&answer.body)
}

/// The samples named `name` whose labels include every pair of `labels`.
fn samples<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

/// The value of the one sample `name` with `labels`; 0 when there is none.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = samples(scrape, name, labels);
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:#?}");
    found.first().map_or(0.0, |s| s.value)
}

/// Asserts that each family has its `# HELP` and the `# TYPE` given.
fn described(scrape: &Scrape, families: &[(&str, &str)]) {
    for (family, kind) in families {
        assert_eq!(scrape.types.get(*family).map(String::as_str), Some(*kind), "{family}");
        assert!(scrape.helped.iter().any(|h| h == family), "no HELP for {family}");
    }
}

/// The buckets of the histogram `name` with `labels`: (upper bound, count),
/// in order.
fn buckets(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Vec<(f64, f64)> {
    let mut found: Vec<(f64, f64)> = samples(scrape, &format!("{name}_bucket"), labels)
        .iter()
        .map(|s| {
            let le = &s.labels["le"];
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().expect("a bound")
            };
            (bound, s.value)
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found
}

#[tokio::test]
async fn requests_are_counted_by_route_template_status_and_operation() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let unknown = "0b6f4c1e-5a55-4b8e-9d7c-2f1f0e9a3c44";
    for _ in 0..2 {
        let answer = app
            .as_bearer(&admin, "GET", &format!("/api/v1/plans/{unknown}"), None)
            .await;
        assert_problem(&answer, 404, "NOT_FOUND");
    }
    assert_eq!(app.as_bearer(&admin, "GET", "/api/v1/me", None).await.status, 200);
    assert_eq!(app.get("/api/v1/me").await.status, 401);
    let mine = app
        .graphql(Some(&admin), "query Mine { me { __typename } }", json!({}))
        .await;
    assert!(mine.get("errors").is_none(), "{mine}");
    let broken = app
        .graphql(
            Some(&admin),
            "query Broken($id: ID!) { task(id: $id) { id } }",
            json!({"id": unknown}),
        )
        .await;
    assert!(broken["errors"].is_array(), "{broken}");
    app.graphql(Some(&admin), "{ me { __typename } }", json!({})).await;
    let chosen = app
        .request(
            "POST",
            "/graphql",
            Some(
                &json!({"query": "query First { me { __typename } } query Second { me { __typename } }",
                         "operationName": "Second"}),
            ),
            &[("authorization", admin.as_str())],
        )
        .await;
    assert_eq!(chosen.status, 200);

    let answer = app.get("/metrics").await;
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    assert!(!text.contains(unknown), "an id reached a label:\n{text}");
    let scrape = scrape(&app).await;

    let plan_404 = [("method", "GET"), ("route", "/api/v1/plans/{id}"), ("status", "404")];
    assert_eq!(value(&scrape, "http_requests_total", &plan_404), 2.0);
    let me = [("method", "GET"), ("route", "/api/v1/me")];
    assert_eq!(
        value(&scrape, "http_requests_total", &[me[0], me[1], ("status", "200")]),
        1.0
    );
    assert_eq!(
        value(&scrape, "http_requests_total", &[me[0], me[1], ("status", "401")]),
        1.0
    );
    // Four GraphQL posts; the first scrape (unparsed) was answered 200 before this one.
    let graphql = [("method", "POST"), ("route", "/graphql"), ("status", "200")];
    assert_eq!(value(&scrape, "http_requests_total", &graphql), 4.0);
    let metrics = [("method", "GET"), ("route", "/metrics"), ("status", "200")];
    assert_eq!(value(&scrape, "http_requests_total", &metrics), 1.0);
    // This scrape is the one request in flight.
    assert_eq!(value(&scrape, "http_requests_in_flight", &[]), 1.0);

    // The latency histogram counts the same requests, in rising buckets.
    let histogram = buckets(&scrape, "http_request_duration_seconds", &plan_404);
    let bounds: Vec<f64> = histogram.iter().map(|b| b.0).collect();
    assert_eq!(
        bounds,
        [
            0.005,
            0.01,
            0.025,
            0.05,
            0.1,
            0.25,
            0.5,
            1.0,
            2.5,
            5.0,
            10.0,
            f64::INFINITY
        ]
    );
    assert!(histogram.windows(2).all(|w| w[0].1 <= w[1].1), "{histogram:?}");
    assert_eq!(histogram.last().map(|b| b.1), Some(2.0));
    assert_eq!(value(&scrape, "http_request_duration_seconds_count", &plan_404), 2.0);
    assert!(value(&scrape, "http_request_duration_seconds_sum", &plan_404) > 0.0);

    let ops = "graphql_operations_total";
    assert_eq!(value(&scrape, ops, &[("operation", "Mine"), ("outcome", "ok")]), 1.0);
    assert_eq!(
        value(&scrape, ops, &[("operation", "Broken"), ("outcome", "error")]),
        1.0
    );
    assert_eq!(
        value(&scrape, ops, &[("operation", "(anonymous)"), ("outcome", "ok")]),
        1.0
    );
    assert_eq!(value(&scrape, ops, &[("operation", "Second"), ("outcome", "ok")]), 1.0);
    assert!(samples(&scrape, ops, &[("operation", "First")]).is_empty());

    // The pool as it is now: connections are open, in use or idle.
    let max = value(&scrape, "db_pool_max_connections", &[]);
    assert!(max >= 1.0, "max {max}");
    let open = value(&scrape, "db_pool_connections", &[("state", "idle")])
        + value(&scrape, "db_pool_connections", &[("state", "in_use")]);
    assert!((1.0..=max).contains(&open), "open {open} of {max}");

    // Every family with a sample says what it is (one with none yet is left
    // out of the exposition; the tests below see the others).
    described(
        &scrape,
        &[
            ("http_requests_total", "counter"),
            ("http_request_duration_seconds", "histogram"),
            ("http_requests_in_flight", "gauge"),
            ("graphql_operations_total", "counter"),
            ("db_pool_connections", "gauge"),
            ("db_pool_max_connections", "gauge"),
        ],
    );

    // A scraper that asks for OpenMetrics gets it.
    let open_metrics = app
        .request(
            "GET",
            "/metrics",
            None,
            &[("accept", "application/openmetrics-text; version=1.0.0")],
        )
        .await;
    assert_eq!(open_metrics.status, 200);
    assert_eq!(open_metrics.header("content-type"), Some(OPENMETRICS_TEXT));
    assert!(String::from_utf8_lossy(&open_metrics.body).ends_with("# EOF\n"));
}

#[tokio::test]
async fn rate_limit_refusals_are_counted_and_the_metrics_stay_readable() {
    let app = TestApp::spawn_serving(ServeArgs {
        rate_limit_per_address: 3,
        ..quiet()
    })
    .await;
    crate::limits::well_inside_a_minute().await;
    let mut refused = 0;
    for _ in 0..6 {
        let answer = app.get("/api/v1/regions").await;
        match answer.status {
            429 => refused += 1,
            401 => {}
            other => panic!("{other}: {}", String::from_utf8_lossy(&answer.body)),
        }
    }
    // Three a minute from one address: the other three are refused.
    assert_eq!(refused, 3);
    // The scraper is not limited (it comes from the same address).
    for _ in 0..3 {
        scrape(&app).await;
    }
    let scrape = scrape(&app).await;
    assert_eq!(
        value(&scrape, "rate_limit_refusals_total", &[("route", "/api/v1/regions")]),
        3.0
    );
    assert_eq!(scrape.types["rate_limit_refusals_total"], "counter");
    let limited = [("method", "GET"), ("route", "/api/v1/regions"), ("status", "429")];
    assert_eq!(value(&scrape, "http_requests_total", &limited), 3.0);
}

/// A port free now on 127.0.0.1.
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    socket.local_addr().expect("its address").port()
}

#[tokio::test]
async fn a_token_and_an_address_of_their_own_keep_the_metrics_apart() {
    let port = free_port();
    let app = TestApp::spawn_serving(ServeArgs {
        metrics_bind: Some(([127, 0, 0, 1], port).into()),
        metrics_token: Some(Secret::new("scrape-token-4e9c1b7a".to_owned())),
        ..quiet()
    })
    .await;
    // Not beside the API.
    assert_problem(&app.get("/metrics").await, 404, "NOT_FOUND");
    assert_eq!(app.get("/healthz").await.status, 200);

    let exporter = Remote::new(([127, 0, 0, 1], port).into());
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        if let Ok(answer) = exporter.try_request("GET", "/metrics", None, &[]).await {
            break answer;
        }
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_problem(&refused, 401, "UNAUTHENTICATED");
    let wrong = exporter
        .request(
            "GET",
            "/metrics",
            None,
            &[("authorization", "Bearer scrape-token-0000")],
        )
        .await;
    assert_problem(&wrong, 401, "UNAUTHENTICATED");
    let right = exporter
        .request(
            "GET",
            "/metrics",
            None,
            &[("authorization", "Bearer scrape-token-4e9c1b7a")],
        )
        .await;
    assert_eq!(right.status, 200);
    let scrape = parse(&right.body);
    // The API's requests are counted; the exporter's own are not requests of the API.
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(value(&scrape, "http_requests_total", &healthz), 1.0);
    assert!(samples(&scrape, "http_requests_total", &[("route", "/metrics")]).is_empty());
}

#[tokio::test]
async fn the_scheduler_and_the_webhook_sender_are_counted() {
    // A receiver that refuses its first request and takes the others.
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hook = format!("http://{}/hook", listener.local_addr().expect("address"));
    let receiving = tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });

    let app = TestApp::spawn_serving(ServeArgs {
        reminder_interval_secs: 1,
        webhook_delivery: true,
        webhook_allow_private: true,
        webhook_retry_base_ms: 50,
        ..quiet()
    })
    .await;
    let admin = app.bearer_of_new_admin().await;
    let made = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/webhooks",
            Some(&json!({"url": hook, "events": ["report.submitted"]})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let id = made.json()["id"].as_str().expect("id").to_owned();
    let test = app
        .as_bearer(&admin, "POST", &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(test.status, 202);

    let deadline = Instant::now() + Duration::from_secs(20);
    let scrape = loop {
        let scrape = scrape(&app).await;
        let delivered = value(&scrape, "webhook_deliveries_total", &[("outcome", "delivered")]);
        let rounds = value(&scrape, "scheduler_runs_total", &[("outcome", "ok")]);
        if delivered >= 1.0 && rounds >= 1.0 {
            break scrape;
        }
        assert!(
            Instant::now() < deadline,
            "delivered {delivered}, scheduler rounds {rounds}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // One test event: refused once, then taken.
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert_eq!(
        value(&scrape, "webhook_deliveries_total", &[("outcome", "failed")]),
        1.0
    );
    assert_eq!(
        value(&scrape, "webhook_deliveries_total", &[("outcome", "delivered")]),
        1.0
    );
    assert_eq!(
        value(&scrape, "webhook_deliveries_total", &[("outcome", "given_up")]),
        0.0
    );
    assert_eq!(value(&scrape, "webhook_delivery_duration_seconds_count", &[]), 2.0);
    assert_eq!(value(&scrape, "scheduler_runs_total", &[("outcome", "error")]), 0.0);
    described(
        &scrape,
        &[
            ("scheduler_runs_total", "counter"),
            ("webhook_deliveries_total", "counter"),
            ("webhook_delivery_duration_seconds", "histogram"),
        ],
    );
    receiving.abort();
}
