//! Webhooks: endpoints on 127.0.0.1 receive the changes they listen to,
//! signed as Standard Webhooks says (checked here by hand with the secret
//! shown once), retried with backoff, in order per resource, given up and
//! the endpoint disabled after the retry period, redelivered by id, signed
//! twice while a rotated secret overlaps; private addresses are refused
//! unless allowed, redirects are not followed, two instances send each
//! attempt once.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use xietong::config::ServeArgs;

use crate::common::matrix::{Who, World};
use crate::common::{TestApp, assert_problem, quiet};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Hit {
    id: String,
    timestamp: i64,
    signatures: Vec<String>,
    body: Vec<u8>,
    json: Value,
    status: u16,
    at: Instant,
}

impl Hit {
    /// The id of the resource the event is about.
    fn resource(&self) -> &str {
        self.json["data"]["id"].as_str().unwrap_or_default()
    }
}

#[derive(Default)]
struct Script {
    hits: Vec<Hit>,
    /// Resources whose events are refused (500) until taken off.
    refused: HashSet<String>,
    /// How many more requests get 503 before the usual answer.
    failing: usize,
    /// How many more requests get no answer for a minute.
    hanging: usize,
}

/// An endpoint on 127.0.0.1 that records what it is sent and answers as
/// the test says.
struct Receiver {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    status: Arc<AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<Script>>,
    status: Arc<AtomicU16>,
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let hang = {
        let mut script = shared.script.lock().expect("the script");
        let hang = script.hanging > 0;
        script.hanging = script.hanging.saturating_sub(1);
        hang
    };
    let status = {
        let mut script = shared.script.lock().expect("the script");
        let resource = json["data"]["id"].as_str().unwrap_or_default().to_owned();
        let status = if script.refused.contains(&resource) {
            500
        } else if script.failing > 0 {
            script.failing -= 1;
            503
        } else {
            shared.status.load(Ordering::SeqCst)
        };
        script.hits.push(Hit {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp").parse().unwrap_or_default(),
            signatures: header("webhook-signature").split(' ').map(str::to_owned).collect(),
            body: body.to_vec(),
            json,
            status,
            at: Instant::now(),
        });
        status
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code.is_redirection() {
        return (code, [("location", "/elsewhere")], "go elsewhere".to_owned()).into_response();
    }
    (code, format!("received with {status}")).into_response()
}

impl Receiver {
    async fn start() -> Receiver {
        let shared = Shared {
            script: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .route("/elsewhere", axum::routing::post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            addr,
            script: shared.script,
            status: shared.status,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn hits(&self) -> Vec<Hit> {
        self.script.lock().expect("the script").hits.clone()
    }

    /// Waits until `done` holds of what was received (at most 20 s).
    async fn wait_until(&self, what: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(Instant::now() < deadline, "waited for {what}; received {hits:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_for(&self, count: usize) -> Vec<Hit> {
        self.wait_until(&format!("{count} requests"), |hits| hits.len() >= count)
            .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Settings that deliver to loopback, retrying after 50 ms.
fn delivering() -> ServeArgs {
    ServeArgs {
        webhook_delivery: true,
        webhook_allow_private: true,
        webhook_retry_base_ms: 50,
        ..quiet()
    }
}

/// Whether `signature` (`v1,<base64>`) is the HMAC-SHA256 of
/// `id.timestamp.body` under the key of `secret` (`whsec_<base64>`),
/// worked out here from Standard Webhooks' text.
fn signed_by(secret: &str, hit: &Hit, signature: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("a key");
    mac.update(format!("{}.{}.", hit.id, hit.timestamp).as_bytes());
    mac.update(&hit.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    signature == expected
}

/// Registers an endpoint as `bearer`; answers the whole answer.
async fn register(app: &TestApp, bearer: &str, body: Value) -> Value {
    let made = app.as_bearer(bearer, "POST", "/api/v1/webhooks", Some(&body)).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    assert_eq!(made.header("etag"), Some("\"1\""));
    made.json()
}

/// Creates a county; answers its id.
async fn county(app: &TestApp, bearer: &str, name: &str, code: &str) -> String {
    let made = app
        .as_bearer(
            bearer,
            "POST",
            "/api/v1/regions",
            Some(&json!({"name": name, "code": code, "kind": "county"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    made.json()["id"].as_str().expect("id").to_owned()
}

/// Renames a county at `version`.
async fn rename(app: &TestApp, bearer: &str, id: &str, version: i32, name: &str, code: &str) {
    let etag = format!("\"{version}\"");
    let changed = app
        .request(
            "PUT",
            &format!("/api/v1/regions/{id}"),
            Some(&json!({"name": name, "code": code, "kind": "county"})),
            &[("authorization", bearer), ("if-match", &etag)],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
}

async fn deliveries(app: &TestApp, bearer: &str, webhook: &str) -> Vec<Value> {
    let page = app
        .as_bearer(bearer, "GET", &format!("/api/v1/webhooks/{webhook}/deliveries"), None)
        .await;
    assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
    page.json()["items"].as_array().expect("items").clone()
}

/// Waits until the endpoint's log satisfies `done` (at most 20 s).
async fn wait_for_log(app: &TestApp, bearer: &str, webhook: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = deliveries(app, bearer, webhook).await;
        if done(&log) {
            return log;
        }
        assert!(Instant::now() < deadline, "the log never got there: {log:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_submitted_report_reaches_the_endpoint_signed() {
    let w = World::serving(delivering()).await;
    let admin = w.bearer(Who::Admin).to_owned();
    let receiver = Receiver::start().await;
    let made = register(
        &w.app,
        &admin,
        json!({"url": receiver.url(), "events": ["task.created", "report.submitted"], "filter": {"plan_id": w.p.plan}}),
    )
    .await;
    let secret = made["secret"].as_str().expect("a secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(STANDARD.decode(&secret["whsec_".len()..]).expect("base64").len(), 32);
    let id = made["id"].as_str().expect("id").to_owned();
    assert_eq!(made["status"], "active");
    assert_eq!(made["owner"], "admin");
    // The secret is shown once: never when read again, nor in the list.
    let read = w
        .app
        .as_bearer(&admin, "GET", &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(read.status, 200);
    assert!(read.json().get("secret").is_none(), "{}", read.json());
    assert!(!String::from_utf8_lossy(&read.body).contains(&secret));
    let listed = w.app.as_bearer(&admin, "GET", "/api/v1/webhooks", None).await;
    assert_eq!(listed.json()["total_count"], 1);
    assert!(!String::from_utf8_lossy(&listed.body).contains(&secret));

    // A region changes (not listened to); a task is made in the plan, a
    // report drafted (not listened to) and submitted.
    county(&w.app, &admin, "城口县", "500229").await;
    let task = w.task(1).await;
    let report = w.report(&task, w.p.recipient_unit, true, true).await;
    let hits = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let hits_later = receiver.hits();
    assert_eq!(hits_later.len(), 2, "nothing else is sent: {hits_later:#?}");

    let types: Vec<&str> = hits.iter().map(|h| h.json["type"].as_str().expect("type")).collect();
    assert_eq!(types, ["task.created", "report.submitted"]);
    let task_event = &hits[0].json;
    assert_eq!(task_event["data"]["entity"], "task");
    assert_eq!(task_event["data"]["op"], "created");
    assert_eq!(task_event["data"]["id"], task.id.to_string());
    assert_eq!(task_event["data"]["data"]["content"], "力争实际到位资金5000万元以上");
    let report_event = &hits[1].json;
    assert_eq!(report_event["data"]["entity"], "report");
    assert_eq!(report_event["data"]["op"], "updated");
    assert_eq!(report_event["data"]["action"], "submit");
    assert_eq!(report_event["data"]["id"], report.id.to_string());
    assert_eq!(report_event["data"]["version"], report.version);
    assert_eq!(report_event["data"]["data"]["status"], "submitted");

    let now = chrono::Utc::now().timestamp();
    for hit in &hits {
        assert_eq!(
            hit.signatures.len(),
            1,
            "one secret, one signature: {:?}",
            hit.signatures
        );
        assert!(signed_by(&secret, hit, &hit.signatures[0]), "{hit:#?}");
        assert!((now - hit.timestamp).abs() < 120, "{} vs {now}", hit.timestamp);
        let mut tampered = hit.clone();
        tampered.body.push(b' ');
        assert!(
            !signed_by(&secret, &tampered, &hit.signatures[0]),
            "a changed body fails the check"
        );
    }

    // The log: each event delivered at the first attempt, its id the
    // `webhook-id` the receiver saw.
    let log = wait_for_log(&w.app, &admin, &id, |log| {
        log.len() == 2 && log.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let logged: HashSet<&str> = log.iter().map(|d| d["id"].as_str().expect("id")).collect();
    let sent: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(logged, sent);
    for delivery in &log {
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["last_status"], 200);
        assert_eq!(delivery["last_response"], "received with 200");
        assert!(delivery["last_latency_ms"].as_i64().expect("latency") >= 0);
        assert!(delivery["next_attempt_at"].is_null());
        assert!(delivery["delivered_at"].is_string());
    }
}

#[tokio::test]
async fn a_failing_delivery_is_retried_with_the_same_id() {
    let app = TestApp::spawn_serving(delivering()).await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    receiver.script.lock().expect("script").failing = 2;
    let made = register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"]}),
    )
    .await;
    let id = made["id"].as_str().expect("id");
    county(&app, &admin, "城口县", "500229").await;
    let hits = receiver.wait_for(3).await;
    let statuses: Vec<u16> = hits.iter().map(|h| h.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert!(
        hits.iter().all(|h| h.id == hits[0].id),
        "one webhook-id for every attempt"
    );
    // The waits grow from 50 ms, give or take a fifth: at least 40 ms,
    // then at least 80 ms.
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(40));
    assert!(hits[2].at - hits[1].at >= Duration::from_millis(80));
    let log = wait_for_log(&app, &admin, id, |log| {
        log.first().is_some_and(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status"], 200);
    let endpoint = app
        .as_bearer(&admin, "GET", &format!("/api/v1/webhooks/{id}"), None)
        .await
        .json();
    assert_eq!(endpoint["status"], "active");
    assert!(
        endpoint["failing_since"].is_null(),
        "an answer clears the failing: {endpoint}"
    );
}

/// The endpoint `id` once it is disabled (within 20 s).
async fn until_disabled(app: &TestApp, admin: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let endpoint = app
            .as_bearer(admin, "GET", &format!("/api/v1/webhooks/{id}"), None)
            .await
            .json();
        if endpoint["status"] == "disabled" {
            return endpoint;
        }
        assert!(Instant::now() < deadline, "never disabled: {endpoint}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_endpoint_failing_past_the_retry_period_is_disabled_then_redelivered() {
    let app = TestApp::spawn_serving(ServeArgs {
        webhook_retry_for_secs: 1,
        ..delivering()
    })
    .await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let made = register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"]}),
    )
    .await;
    let id = made["id"].as_str().expect("id").to_owned();
    county(&app, &admin, "城口县", "500229").await;

    let endpoint = until_disabled(&app, &admin, &id).await;
    let reason = endpoint["disabled_reason"].as_str().expect("a reason");
    assert!(reason.contains("HTTP 503"), "{reason}");
    assert!(endpoint["failing_since"].is_string());
    let log = deliveries(&app, &admin, &id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["last_status"], 503);
    assert_eq!(log[0]["last_response"], "received with 503");
    let attempts = log[0]["attempts"].as_i64().expect("attempts");
    assert!(attempts >= 2, "{attempts}");
    assert_eq!(receiver.hits().len(), attempts as usize);

    // A disabled endpoint is told nothing new.
    county(&app, &admin, "巫山县", "500237").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(deliveries(&app, &admin, &id).await.len(), 1);
    assert_eq!(receiver.hits().len(), attempts as usize);

    // Enabled again, and the failed delivery sent again by id: the same
    // webhook-id, one attempt more.
    receiver.status.store(200, Ordering::SeqCst);
    let version = endpoint["version"].as_i64().expect("version");
    let enabled = app
        .request(
            "PATCH",
            &format!("/api/v1/webhooks/{id}"),
            Some(&json!({"status": "active"})),
            &[("authorization", &admin), ("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", String::from_utf8_lossy(&enabled.body));
    assert_eq!(enabled.json()["status"], "active");
    assert!(enabled.json()["disabled_reason"].is_null());
    let delivery = log[0]["id"].as_str().expect("id");
    let again = app
        .as_bearer(
            &admin,
            "POST",
            &format!("/api/v1/webhook-deliveries/{delivery}/redeliver"),
            None,
        )
        .await;
    assert_eq!(again.status, 202, "{}", String::from_utf8_lossy(&again.body));
    assert_eq!(again.json()["status"], "pending");
    let twice = app
        .as_bearer(
            &admin,
            "POST",
            &format!("/api/v1/webhook-deliveries/{delivery}/redeliver"),
            None,
        )
        .await;
    if twice.status != 202 {
        // Unless it was sent in between, a pending delivery is not queued twice.
        assert_problem(&twice, 409, "CONFLICT");
    }
    let hits = receiver
        .wait_until("the redelivery", |hits| hits.last().is_some_and(|h| h.status == 200))
        .await;
    assert_eq!(hits.last().expect("one").id, delivery);
    let log = wait_for_log(&app, &admin, &id, |log| log[0]["status"] == "delivered").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["last_status"], 200);

    // A test event reaches it too.
    let test = app
        .as_bearer(&admin, "POST", &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(test.status, 202);
    let hits = receiver
        .wait_until("the test event", |hits| {
            hits.iter().any(|h| h.json["type"] == "webhook.test")
        })
        .await;
    let ping = hits
        .iter()
        .find(|h| h.json["type"] == "webhook.test")
        .expect("the test");
    assert_eq!(ping.json["data"]["webhook_id"], id.as_str());
    assert_eq!(ping.id, test.json()["id"].as_str().expect("id"));
}

/// A delivery first tried after its retry period (no instance was sending
/// when it was queued) is given up at that attempt; nothing reached the
/// endpoint since, so the endpoint is disabled although its own failing
/// began only then.
#[tokio::test]
async fn a_delivery_given_up_at_its_first_late_attempt_disables_its_endpoint() {
    let retry_for_a_second = ServeArgs {
        webhook_retry_for_secs: 1,
        ..delivering()
    };
    let app = TestApp::spawn_serving(ServeArgs {
        webhook_delivery: false,
        ..retry_for_a_second.clone()
    })
    .await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let made = register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"]}),
    )
    .await;
    let id = made["id"].as_str().expect("id").to_owned();
    county(&app, &admin, "城口县", "500229").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(receiver.hits().is_empty(), "no instance sends yet");

    let sender = app.spawn_sibling_serving(&retry_for_a_second).await;
    let endpoint = until_disabled(&app, &admin, &id).await;
    sender.stop().await;
    assert_eq!(receiver.hits().len(), 1, "given up at its first attempt");
    let reason = endpoint["disabled_reason"].as_str().expect("a reason");
    assert!(reason.contains("HTTP 503"), "{reason}");
    let log = deliveries(&app, &admin, &id).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"], 1);
}

#[tokio::test]
async fn a_resource_waits_for_its_earlier_event_and_others_do_not() {
    let app = TestApp::spawn_serving(delivering()).await;
    let admin = app.bearer_of_new_admin().await;
    let a = county(&app, &admin, "城口县", "500229").await;
    let b = county(&app, &admin, "巫山县", "500237").await;
    let receiver = Receiver::start().await;
    receiver.script.lock().expect("script").refused.insert(a.clone());
    register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.updated"]}),
    )
    .await;
    rename(&app, &admin, &a, 1, "城口", "500229").await;
    rename(&app, &admin, &a, 2, "城口县", "500229").await;
    rename(&app, &admin, &b, 1, "巫山", "500237").await;

    // B's event goes through while A's first is refused again and again;
    // A's second is not sent meanwhile.
    let hits = receiver
        .wait_until("B delivered and A refused twice", |hits| {
            hits.iter().any(|h| h.resource() == b && h.status == 200)
                && hits.iter().filter(|h| h.resource() == a).count() >= 2
        })
        .await;
    let a_versions: Vec<i64> = hits
        .iter()
        .filter(|h| h.resource() == a)
        .map(|h| h.json["data"]["version"].as_i64().expect("version"))
        .collect();
    assert!(a_versions.iter().all(|v| *v == 2), "A's second waits: {a_versions:?}");

    // A's first is answered at last; then its second follows.
    receiver.script.lock().expect("script").refused.clear();
    let hits = receiver
        .wait_until("A's second", |hits| {
            hits.iter().any(|h| h.resource() == a && h.json["data"]["version"] == 3)
        })
        .await;
    let a_sent: Vec<(i64, u16)> = hits
        .iter()
        .filter(|h| h.resource() == a)
        .map(|h| (h.json["data"]["version"].as_i64().expect("version"), h.status))
        .collect();
    let (last, earlier) = a_sent.split_last().expect("A's events");
    assert_eq!(*last, (3, 200));
    assert_eq!(earlier.last(), Some(&(2, 200)), "{a_sent:?}");
    assert!(earlier.iter().all(|(v, _)| *v == 2), "{a_sent:?}");
    assert_eq!(hits.iter().filter(|h| h.resource() == b).count(), 1);
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one() {
    let app = TestApp::spawn_serving(delivering()).await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    let old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=";
    let made = register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"], "secret": old}),
    )
    .await;
    assert_eq!(made["secret"], old, "the secret given is the one used");
    let id = made["id"].as_str().expect("id");
    let rotated = app
        .as_bearer(&admin, "POST", &format!("/api/v1/webhooks/{id}/rotate-secret"), None)
        .await;
    assert_eq!(rotated.status, 200, "{}", String::from_utf8_lossy(&rotated.body));
    assert_eq!(rotated.header("etag"), Some("\"2\""));
    let new = rotated.json()["secret"].as_str().expect("a secret").to_owned();
    assert_ne!(new, old);
    county(&app, &admin, "城口县", "500229").await;
    let hits = receiver.wait_for(1).await;
    let signatures = &hits[0].signatures;
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signed_by(&new, &hits[0], &signatures[0]), "the new secret's first");
    assert!(signed_by(old, &hits[0], &signatures[1]), "then the old one's");
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed_and_redirects_not_followed() {
    // Without XIETONG_WEBHOOK_ALLOW_PRIVATE: an address in the URL is
    // refused at once, a name that resolves to one when sending.
    let app = TestApp::spawn_serving(ServeArgs {
        webhook_delivery: true,
        ..quiet()
    })
    .await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    for url in [
        receiver.url(),
        "http://10.1.2.3/hook".to_owned(),
        "http://[::1]:8080/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::ffff:192.168.1.1]/hook".to_owned(),
        "http://100.64.0.1/hook".to_owned(),
    ] {
        let refused = app
            .as_bearer(
                &admin,
                "POST",
                "/api/v1/webhooks",
                Some(&json!({"url": url, "events": ["*"]})),
            )
            .await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert_eq!(refused.json()["errors"][0]["field"], "url", "{url}");
    }
    let by_name = format!("http://localhost:{}/hook", receiver.addr.port());
    let made = register(&app, &admin, json!({"url": by_name, "events": ["region.created"]})).await;
    let id = made["id"].as_str().expect("id");
    county(&app, &admin, "城口县", "500229").await;
    let log = wait_for_log(&app, &admin, id, |log| {
        log.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1))
    })
    .await;
    let error = log[0]["last_error"].as_str().expect("an error");
    assert!(error.contains("resolves to no public address"), "{error}");
    assert!(log[0]["last_status"].is_null());
    assert!(receiver.hits().is_empty(), "nothing reached the loopback receiver");

    // Allowed, a redirect is an answer like any other, not followed.
    let app = TestApp::spawn_serving(delivering()).await;
    let admin = app.bearer_of_new_admin().await;
    receiver.status.store(307, Ordering::SeqCst);
    let made = register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"]}),
    )
    .await;
    let id = made["id"].as_str().expect("id");
    county(&app, &admin, "城口县", "500229").await;
    let log = wait_for_log(&app, &admin, id, |log| {
        log.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1))
    })
    .await;
    assert_eq!(log[0]["last_status"], 307);
    assert_eq!(log[0]["status"], "pending", "a redirect is retried, not a success");
    assert!(
        receiver.hits().iter().all(|h| h.status == 307),
        "/elsewhere was never asked: {:#?}",
        receiver.hits()
    );
}

#[tokio::test]
async fn two_instances_send_each_event_once() {
    let app = TestApp::spawn_serving(delivering()).await;
    let sibling = app.spawn_sibling_serving(&delivering()).await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"]}),
    )
    .await;
    let mut made = HashSet::new();
    for n in 0..20 {
        made.insert(county(&app, &admin, &format!("县{n}"), &format!("5003{n:02}")).await);
    }
    receiver.wait_for(20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hits = receiver.hits();
    let ids: HashMap<&str, usize> = hits.iter().fold(HashMap::new(), |mut seen, h| {
        *seen.entry(h.id.as_str()).or_default() += 1;
        seen
    });
    assert_eq!(hits.len(), 20, "each sent once: {ids:?}");
    assert_eq!(ids.len(), 20);
    let resources: HashSet<String> = hits.iter().map(|h| h.resource().to_owned()).collect();
    assert_eq!(resources, made);
    sibling.stop().await;
}

/// Each bad registration, and who may register: administrators and
/// integration clients (each its own endpoints) only.
#[tokio::test]
async fn registrations_are_checked_and_kept_to_their_owners() {
    let w = World::new().await;
    let admin = w.bearer(Who::Admin).to_owned();
    let ok = "https://platform.example.gov.cn/hooks/xietong";
    for (body, field) in [
        (
            json!({"url": "ftp://platform.example.gov.cn/x", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "not a url", "events": ["*"]}), "url"),
        // A host the URL parser takes but the document's pattern does not,
        // and a port past 65535.
        (json!({"url": "http://0*", "events": ["*"]}), "url"),
        (
            json!({"url": "https://platform.example.gov.cn:65536/x", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://user:pw@platform.example.gov.cn/x", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": format!("https://example.gov.cn/{}", "x".repeat(2000)), "events": ["*"]}),
            "url",
        ),
        (json!({"url": ok, "events": []}), "events"),
        (json!({"url": ok, "events": ["report.exploded"]}), "events[0]"),
        (
            json!({"url": ok, "events": ["task.created", "plan.archived"]}),
            "events[1]",
        ),
        (json!({"url": ok, "events": ["*"], "secret": "hunter2"}), "secret"),
        (
            json!({"url": ok, "events": ["*"], "secret": "whsec_c2hvcnQ="}),
            "secret",
        ),
        (
            json!({"url": ok, "events": ["*"], "filter": {"region_id": uuid::Uuid::new_v4()}}),
            "filter.region_id",
        ),
        (
            json!({"url": ok, "events": ["*"], "filter": {"plan_id": uuid::Uuid::new_v4()}}),
            "filter.plan_id",
        ),
    ] {
        let refused = w.app.as_bearer(&admin, "POST", "/api/v1/webhooks", Some(&body)).await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert_eq!(refused.json()["errors"][0]["field"], field, "{body}");
    }
    let unknown = w
        .app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/webhooks",
            Some(&json!({"url": ok, "events": ["*"], "retries": 3})),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", String::from_utf8_lossy(&unknown.body));
    let anonymous = w
        .app
        .request(
            "POST",
            "/api/v1/webhooks",
            Some(&json!({"url": ok, "events": ["*"]})),
            &[],
        )
        .await;
    assert_problem(&anonymous, 401, "UNAUTHENTICATED");

    for who in [Who::Viewer, Who::Coordinator, Who::Lead, Who::OtherRegion] {
        let refused = w
            .app
            .as_bearer(
                w.bearer(who),
                "POST",
                "/api/v1/webhooks",
                Some(&json!({"url": ok, "events": ["*"]})),
            )
            .await;
        assert_problem(&refused, 403, "FORBIDDEN");
        let listed = w.app.as_bearer(w.bearer(who), "GET", "/api/v1/webhooks", None).await;
        assert_problem(&listed, 403, "FORBIDDEN");
    }
    let of_admin = register(&w.app, &admin, json!({"url": ok, "events": ["*"]})).await;
    let of_writer = register(
        &w.app,
        w.bearer(Who::ClientWrite),
        json!({"url": ok, "events": ["report.submitted"]}),
    )
    .await;
    assert_eq!(of_writer["owner"], "writer");
    let of_reader = register(
        &w.app,
        w.bearer(Who::ClientRead),
        json!({"url": ok, "events": ["task.updated"]}),
    )
    .await;
    let count = |who: Who| {
        let app = &w.app;
        let bearer = w.bearer(who).to_owned();
        async move {
            app.as_bearer(&bearer, "GET", "/api/v1/webhooks", None).await.json()["total_count"]
                .as_i64()
                .expect("a count")
        }
    };
    assert_eq!(count(Who::Admin).await, 3);
    assert_eq!(count(Who::ClientWrite).await, 1);
    assert_eq!(count(Who::ClientRead).await, 1);
    let writers = of_writer["id"].as_str().expect("id");
    for path in [
        format!("/api/v1/webhooks/{writers}"),
        format!("/api/v1/webhooks/{writers}/deliveries"),
        format!("/api/v1/webhooks/{}", of_admin["id"].as_str().expect("id")),
    ] {
        let hidden = w.app.as_bearer(w.bearer(Who::ClientRead), "GET", &path, None).await;
        assert_problem(&hidden, 404, "NOT_FOUND");
    }
    let rotated = w
        .app
        .as_bearer(
            w.bearer(Who::ClientRead),
            "POST",
            &format!("/api/v1/webhooks/{writers}/rotate-secret"),
            None,
        )
        .await;
    assert_problem(&rotated, 404, "NOT_FOUND");
    let admins_view = w
        .app
        .as_bearer(&admin, "GET", &format!("/api/v1/webhooks/{writers}"), None)
        .await;
    assert_eq!(admins_view.status, 200);

    // Changes need the version read; a removed endpoint is gone.
    let path = format!("/api/v1/webhooks/{}", of_reader["id"].as_str().expect("id"));
    let reader = w.bearer(Who::ClientRead).to_owned();
    let unversioned = w
        .app
        .request(
            "PATCH",
            &path,
            Some(&json!({"events": ["*"]})),
            &[("authorization", &reader)],
        )
        .await;
    assert_problem(&unversioned, 428, "PRECONDITION_REQUIRED");
    let stale = w
        .app
        .request(
            "PATCH",
            &path,
            Some(&json!({"events": ["*"]})),
            &[("authorization", &reader), ("if-match", "\"7\"")],
        )
        .await;
    assert_problem(&stale, 412, "VERSION_CONFLICT");
    let bad_status = w
        .app
        .request(
            "PATCH",
            &path,
            Some(&json!({"status": "paused"})),
            &[("authorization", &reader), ("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&bad_status, 422, "VALIDATION_FAILED");
    assert_eq!(bad_status.json()["errors"][0]["field"], "status");
    let changed = w
        .app
        .request(
            "PATCH",
            &path,
            Some(&json!({"events": ["task.updated", "task.created", "task.updated"]})),
            &[("authorization", &reader), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    assert_eq!(changed.json()["events"], json!(["task.created", "task.updated"]));
    assert_eq!(changed.header("etag"), Some("\"2\""));
    let removed = w
        .app
        .request(
            "DELETE",
            &path,
            None,
            &[("authorization", &reader), ("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(removed.status, 204);
    let gone = w.app.as_bearer(&reader, "GET", &path, None).await;
    assert_problem(&gone, 404, "NOT_FOUND");
    let no_delivery = w
        .app
        .as_bearer(
            &admin,
            "POST",
            &format!("/api/v1/webhook-deliveries/{}/redeliver", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    assert_problem(&no_delivery, 404, "NOT_FOUND");
}

/// What an endpoint hears follows who registered it and its filter: a
/// client's endpoint is not told of users; a region-filtered one hears the
/// plans of that region, not those of another.
#[tokio::test]
async fn an_endpoint_hears_what_its_owner_may_see_and_its_filter_names() {
    let w = World::serving(delivering()).await;
    let admin = w.bearer(Who::Admin).to_owned();
    let of_client = Receiver::start().await;
    let of_admin = Receiver::start().await;
    let filtered = Receiver::start().await;
    register(
        &w.app,
        w.bearer(Who::ClientWrite),
        json!({"url": of_client.url(), "events": ["*"]}),
    )
    .await;
    register(
        &w.app,
        &admin,
        json!({"url": of_admin.url(), "events": ["user.created", "task.created"]}),
    )
    .await;
    register(
        &w.app,
        &admin,
        json!({"url": filtered.url(), "events": ["task.created"], "filter": {"region_id": w.qianjiang}}),
    )
    .await;
    let made = w
        .app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/users",
            Some(&json!({"username": "new-viewer", "password": "a long enough password 1", "role": "viewer"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    // Clients hear within their grants: 巫溪县's platform the task of its
    // pairing's plan, 黔江区's nothing of it.
    let of_wuxi = Receiver::start().await;
    let of_qianjiang = Receiver::start().await;
    let wuxi = register(
        &w.app,
        w.bearer(Who::ClientRegion),
        json!({"url": of_wuxi.url(), "events": ["task.created"]}),
    )
    .await;
    let qianjiang = register(
        &w.app,
        w.bearer(Who::ClientElsewhere),
        json!({"url": of_qianjiang.url(), "events": ["task.created"]}),
    )
    .await;
    let task = w.task(1).await;
    let heard = wait_for_log(
        &w.app,
        w.bearer(Who::ClientRegion),
        wuxi["id"].as_str().expect("an id"),
        |log| !log.is_empty(),
    )
    .await;
    assert_eq!(heard.len(), 1, "{heard:#?}");
    assert_eq!(heard[0]["event_type"], "task.created");
    // The outbox is written in the change's transaction: an endpoint with
    // no delivery now will have none.
    assert!(
        deliveries(
            &w.app,
            w.bearer(Who::ClientElsewhere),
            qianjiang["id"].as_str().expect("an id")
        )
        .await
        .is_empty()
    );
    let admin_hits = of_admin.wait_for(2).await;
    let types: Vec<&str> = admin_hits
        .iter()
        .map(|h| h.json["type"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["user.created", "task.created"]);
    assert!(
        !serde_json::to_string(&admin_hits[0].json)
            .expect("json")
            .contains("password"),
        "no password, hashed or not, in an event"
    );
    let client_hits = of_client
        .wait_until("the task", |hits| hits.iter().any(|h| h.json["type"] == "task.created"))
        .await;
    assert!(
        client_hits.iter().all(|h| h.json["data"]["entity"] != "user"),
        "{client_hits:#?}"
    );
    assert_eq!(
        client_hits
            .iter()
            .find(|h| h.json["type"] == "task.created")
            .expect("the task")
            .resource(),
        task.id.to_string()
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        filtered.hits().is_empty(),
        "渝中–巫溪's task is not 黔江区's: {:#?}",
        filtered.hits()
    );
}

/// Runs the binary over `app`'s database with `args` and the environment `env`.
async fn xietong(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xietong"));
    cmd.env("DATABASE_URL", &app.test_db.url)
        .env("XIETONG_LOG", "warn")
        .env_remove("XIETONG_WEBHOOK_ALLOW_PRIVATE")
        .args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    // Off the test's thread: the receiver answers on it meanwhile.
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the command's thread")
        .expect("run xietong")
}

/// `xietong webhook add|list|test|redeliver`: the command line registers
/// an endpoint (refusing loopback unless allowed), lists it, sends it a
/// signed test event from the terminal and says when it failed.
#[tokio::test]
async fn the_command_line_adds_lists_and_tests_an_endpoint() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let url = receiver.url();
    let add = [
        "webhook",
        "add",
        "--url",
        url.as_str(),
        "--event",
        "region.created",
        "--event",
        "report.submitted",
    ];
    let refused = xietong(&app, &add, &[]).await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("url") && said.contains("XIETONG_WEBHOOK_ALLOW_PRIVATE"),
        "{said}"
    );

    let private = [("XIETONG_WEBHOOK_ALLOW_PRIVATE", "true")];
    let added = xietong(&app, &add, &private).await;
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let made: Value = serde_json::from_slice(&added.stdout).expect("JSON");
    let secret = made["secret"].as_str().expect("a secret").to_owned();
    let id = made["id"].as_str().expect("id").to_owned();
    assert_eq!(made["owner"], "system");
    assert_eq!(made["events"], json!(["region.created", "report.submitted"]));

    let listed = xietong(&app, &["webhook", "list"], &[]).await;
    assert!(listed.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], id.as_str());
    assert!(lines[0].get("secret").is_none());

    let tested = xietong(&app, &["webhook", "test", &id], &private).await;
    assert!(tested.status.success(), "{}", String::from_utf8_lossy(&tested.stderr));
    let delivery: Value = serde_json::from_slice(&tested.stdout).expect("JSON");
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(delivery["last_status"], 200);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].json["type"], "webhook.test");
    assert_eq!(hits[0].id, delivery["id"].as_str().expect("id"));
    assert!(signed_by(&secret, &hits[0], &hits[0].signatures[0]));

    receiver.status.store(500, Ordering::SeqCst);
    let failed = xietong(&app, &["webhook", "test", &id], &private).await;
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("HTTP 500"));
    let pending: Value = serde_json::from_slice(&failed.stdout).expect("JSON");
    assert_eq!(pending["status"], "pending", "to be retried by the service");
    let again = xietong(
        &app,
        &["webhook", "redeliver", pending["id"].as_str().expect("id")],
        &[],
    )
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("CONFLICT"));
    let again = xietong(
        &app,
        &["webhook", "redeliver", delivery["id"].as_str().expect("id")],
        &[],
    )
    .await;
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let queued: Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["id"], delivery["id"]);
}

/// GraphQL registers, reads, tests, rotates, changes and removes an
/// endpoint as REST does, and follows its log.
#[tokio::test]
async fn graphql_manages_endpoints_and_reads_their_log() {
    let w = World::serving(delivering()).await;
    let admin = w.bearer(Who::Admin).to_owned();
    let receiver = Receiver::start().await;
    let made = w
        .app
        .graphql(
            Some(&admin),
            "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id uuid url events status owner version filter { planId } } } }",
            json!({"input": {"url": receiver.url(), "events": ["task.created"], "filter": {"planId": w.p.plan}}}),
        )
        .await;
    let made = &crate::common::graphql_data(&made)["createWebhook"];
    let secret = made["secret"].as_str().expect("a secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = made["webhook"]["id"].as_str().expect("id").to_owned();
    assert_eq!(made["webhook"]["events"], json!(["task.created"]));
    assert_eq!(made["webhook"]["filter"]["planId"], w.p.plan.to_string());
    assert_eq!(made["webhook"]["owner"], "admin");

    let task = w.task(1).await;
    let hits = receiver.wait_for(1).await;
    assert_eq!(hits[0].resource(), task.id.to_string());
    assert!(signed_by(&secret, &hits[0], &hits[0].signatures[0]));
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let answer = w
            .app
            .graphql(
                Some(&admin),
                "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount edges { node { uuid eventType status attempts lastStatus payload } } } }",
                json!({"id": id}),
            )
            .await;
        let log = crate::common::graphql_data(&answer)["webhookDeliveries"].clone();
        if log["edges"][0]["node"]["status"] == "delivered" {
            break log;
        }
        assert!(Instant::now() < deadline, "{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(log["totalCount"], 1);
    let line = &log["edges"][0]["node"];
    assert_eq!(line["uuid"], hits[0].id.as_str());
    assert_eq!(line["eventType"], "task.created");
    assert_eq!(line["attempts"], 1);
    assert_eq!(line["lastStatus"], 200);
    assert_eq!(line["payload"], hits[0].json);

    let listed = w
        .app
        .graphql(
            Some(&admin),
            "{ webhooks { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(crate::common::graphql_data(&listed)["webhooks"]["totalCount"], 1);
    let rotated = w
        .app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { version } } }",
            json!({"id": id}),
        )
        .await;
    let rotated = &crate::common::graphql_data(&rotated)["rotateWebhookSecret"];
    assert_ne!(rotated["secret"], secret.as_str());
    assert_eq!(rotated["webhook"]["version"], 2);
    let stale = w
        .app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { updateWebhook(id: $id, version: 1, input: {status: \"disabled\"}) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(crate::common::graphql_code(&stale), Some("VERSION_CONFLICT"));
    let disabled = w
        .app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { updateWebhook(id: $id, version: 2, input: {status: \"disabled\"}) { status disabledReason version } }",
            json!({"id": id}),
        )
        .await;
    let disabled = &crate::common::graphql_data(&disabled)["updateWebhook"];
    assert_eq!(disabled["status"], "disabled");
    assert_eq!(disabled["disabledReason"], "disabled by admin");
    let tested = w
        .app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { testWebhook(id: $id) { uuid eventType status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        crate::common::graphql_data(&tested)["testWebhook"]["eventType"],
        "webhook.test"
    );
    receiver
        .wait_until("the test event", |hits| {
            hits.iter().any(|h| h.json["type"] == "webhook.test")
        })
        .await;
    let forbidden = w
        .app
        .graphql(
            Some(w.bearer(Who::Coordinator)),
            "{ webhooks { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(crate::common::graphql_code(&forbidden), Some("FORBIDDEN"));
    let removed = w
        .app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { deleteWebhook(id: $id, version: 3) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(crate::common::graphql_data(&removed)["deleteWebhook"], id.as_str());
    let gone = w
        .app
        .graphql(
            Some(&admin),
            "query($id: ID!) { webhook(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(crate::common::graphql_code(&gone), Some("NOT_FOUND"));
}

/// Starts `xietong serve` over `db` delivering to loopback, attempts
/// bounded to 3 s (so a delivery held by a dead instance is free again
/// after 11 s).
fn serve_binary(db: &crate::common::TestDb) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_xietong"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("XIETONG_BIND", "127.0.0.1:0")
        .env("XIETONG_LOG", "warn")
        .env("XIETONG_REMINDER_INTERVAL_SECS", "0")
        .env("XIETONG_WEBHOOK_DELIVERY", "on")
        .env("XIETONG_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("XIETONG_WEBHOOK_TIMEOUT_SECS", "3")
        .env("XIETONG_WEBHOOK_RETRY_BASE_MS", "50")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start xietong serve")
}

/// A delivery whose sender is killed (SIGKILL) while the receiver holds
/// the request is sent again, with the same `webhook-id`, by the service
/// started again.
#[tokio::test]
async fn a_delivery_cut_by_a_killed_service_is_sent_after_restart() {
    use xietong::domain::Caller;
    use xietong::domain::region::{self, RegionInput};
    use xietong::domain::values::RegionKind;
    use xietong::domain::webhook::{self, NewWebhook};

    let db = crate::common::TestDb::new().await;
    let conn = db.connect().await;
    let receiver = Receiver::start().await;
    receiver.script.lock().expect("script").hanging = 1;
    let system = Caller::system();
    let endpoint = webhook::create(
        &conn,
        &system,
        NewWebhook {
            url: receiver.url(),
            events: vec!["region.created".into()],
            filter: None,
            secret: None,
        },
        true,
    )
    .await
    .expect("an endpoint");
    region::create(
        &conn,
        &system,
        RegionInput {
            code: Some("500229".into()),
            name: "城口县".into(),
            kind: RegionKind::County,
            cluster: None,
            parent_id: None,
        },
    )
    .await
    .expect("a region");

    let mut first = serve_binary(&db);
    receiver.wait_for(1).await;
    first.kill().expect("SIGKILL");
    first.wait().expect("it ends");
    let page = xietong::domain::page::PageRequest::default();
    let log = webhook::deliveries(&conn, &system, endpoint.webhook.id, &page)
        .await
        .expect("the log");
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].status, "pending", "{:?}", log.items[0]);
    assert_eq!(log.items[0].attempts, 0, "the cut attempt was never recorded");

    let mut second = serve_binary(&db);
    let hits = receiver.wait_for(2).await;
    assert_eq!(hits[1].id, hits[0].id, "the same webhook-id");
    assert_eq!(hits[1].body, hits[0].body);
    assert_eq!(hits[1].status, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = webhook::deliveries(&conn, &system, endpoint.webhook.id, &page)
            .await
            .expect("the log");
        if log.items[0].status == "delivered" {
            assert_eq!(log.items[0].attempts, 1);
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", log.items[0]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill().expect("SIGKILL");
    second.wait().expect("it ends");
    assert_eq!(receiver.hits().len(), 2);
}

/// The delivery log is kept as long as the change feed: a delivered or
/// given-up delivery older than that goes, a pending one stays.
#[tokio::test]
async fn the_log_keeps_what_the_feed_keeps_and_every_pending_delivery() {
    let app = TestApp::spawn_serving(delivering()).await;
    let admin = app.bearer_of_new_admin().await;
    let receiver = Receiver::start().await;
    let made = register(
        &app,
        &admin,
        json!({"url": receiver.url(), "events": ["region.created"]}),
    )
    .await;
    let id = made["id"].as_str().expect("id");
    county(&app, &admin, "城口县", "500229").await;
    wait_for_log(&app, &admin, id, |log| {
        log.first().is_some_and(|d| d["status"] == "delivered")
    })
    .await;
    receiver.status.store(503, Ordering::SeqCst);
    county(&app, &admin, "巫山县", "500237").await;
    wait_for_log(&app, &admin, id, |log| {
        log.len() == 2
            && log
                .iter()
                .any(|d| d["status"] == "pending" && d["attempts"].as_i64() >= Some(1))
    })
    .await;
    let keep = chrono::TimeDelta::days(90);
    let now = chrono::Utc::now();
    let removed = xietong::domain::webhook::prune(&app.db, now + chrono::TimeDelta::days(89), keep)
        .await
        .expect("prune");
    assert_eq!(removed, 0);
    let removed = xietong::domain::webhook::prune(&app.db, now + chrono::TimeDelta::days(91), keep)
        .await
        .expect("prune");
    assert_eq!(removed, 1, "the delivered one");
    let log = deliveries(&app, &admin, id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "pending");
}
