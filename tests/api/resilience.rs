//! The service when things go wrong underneath it, with the real binary:
//! killed mid-write it loses no write it acknowledged, and when PostgreSQL
//! goes away under load it answers 503 `UNAVAILABLE` and recovers by itself
//! once the database is back.

use crate::common;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Remote, TEST_JWT_SECRET, TestDb, TestResponse};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_xietong");

/// `xietong serve` on a random port, killed when dropped.
struct Server {
    child: Child,
    remote: Remote,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(database_url: &str) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env(
                "XIETONG_JWT_SECRET",
                std::str::from_utf8(TEST_JWT_SECRET).expect("a text secret"),
            )
            .env("XIETONG_LOG", "info")
            // Another change adds request limits under these names; 0 is off.
            .env("XIETONG_RATE_LIMIT_PER_TOKEN", "0")
            .env("XIETONG_RATE_LIMIT_PER_ADDRESS", "0")
            .env_remove("XIETONG_BIND")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start xietong serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
        {
            let log = Arc::clone(&log);
            // Reads the log to its end, so that the server never blocks on a
            // full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(at) = line.find("listening on http://") {
                        let rest = &line[at + "listening on http://".len()..];
                        if let Some(addr) = rest.split_whitespace().next().and_then(|a| a.parse().ok()) {
                            let _ = tx.send(addr);
                        }
                    }
                    log.lock().expect("the log").push(line);
                }
            });
        }
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
            .await
            .expect("wait for the address");
        let Ok(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "xietong did not say where it listens: {:?}",
                log.lock().expect("the log")
            );
        };
        Server {
            child,
            remote: Remote::new(addr),
            log,
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing of its own runs.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL xietong");
        self.child.wait().expect("reap xietong");
    }

    async fn bearer(&self, username: &str) -> String {
        let answer = self
            .remote
            .request(
                "POST",
                "/api/v1/auth/login",
                Some(&json!({"username": username, "password": format!("{username}-password")})),
                &[],
            )
            .await;
        assert_eq!(answer.status, 200, "{}", text(&answer));
        format!("Bearer {}", answer.json()["access_token"].as_str().expect("a token"))
    }

    fn log_tail(&self) -> Vec<String> {
        let log = self.log.lock().expect("the log");
        log.iter().rev().take(20).rev().cloned().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(answer: &TestResponse) -> String {
    String::from_utf8_lossy(&answer.body).into_owned()
}

/// A migrated database with an administrator `root`.
async fn database_with_admin() -> TestDb {
    let test_db = TestDb::new().await;
    let conn = test_db.connect().await;
    xietong::domain::user::create(
        &conn,
        &xietong::domain::Caller::system(),
        xietong::domain::user::NewUser {
            username: "root".into(),
            display_name: None,
            password: "root-password".into(),
            role: xietong::domain::values::Role::Admin,
            unit_id: None,
        },
    )
    .await
    .expect("create root");
    conn.close().await.expect("close");
    test_db
}

/// Four writers create regions as fast as the server answers; the process
/// is SIGKILLed mid-stream; restarted on the same database it has every
/// region it answered 201 for. On SQLite this is the WAL (synchronous =
/// NORMAL is durable against a process crash, which is all this can
/// simulate); on PostgreSQL its commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_survives_a_sigkill() {
    let began = Instant::now();
    let test_db = database_with_admin().await;
    let mut server = Server::start(&test_db.url).await;
    let bearer = server.bearer("root").await;

    let acknowledged: Arc<Mutex<Vec<(Uuid, String)>>> = Arc::default();
    let unanswered: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let killed = Arc::new(AtomicBool::new(false));
    let writers: Vec<JoinHandle<Vec<String>>> = (0..4)
        .map(|w| {
            let remote = server.remote.clone();
            let bearer = bearer.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let killed = Arc::clone(&killed);
            let unanswered = Arc::clone(&unanswered);
            tokio::spawn(async move {
                let mut refusals = Vec::new();
                for i in 0.. {
                    let name = format!("断电测试{w}-{i}");
                    let key = format!("crash-{w}-{i}");
                    let body = json!({"name": name, "kind": "district"});
                    match remote
                        .try_request(
                            "POST",
                            "/api/v1/regions",
                            Some(&body),
                            &[("authorization", &bearer), ("idempotency-key", &key)],
                        )
                        .await
                    {
                        Ok(answer) if answer.status == 201 => {
                            let id = answer.json()["id"].as_str().expect("an id").parse().expect("a uuid");
                            acknowledged.lock().expect("acks").push((id, name));
                        }
                        Ok(answer) => refusals.push(format!("{}: {}", answer.status, text(&answer))),
                        // The connection broke: the server is gone.
                        Err(_) if killed.load(Ordering::SeqCst) => {
                            unanswered.lock().expect("unanswered").push((key, name));
                            break;
                        }
                        Err(e) => refusals.push(e),
                    }
                    if refusals.len() > 5 {
                        break;
                    }
                }
                refusals
            })
        })
        .collect();

    // Kill it while all four are writing, once enough is acknowledged.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("acks").len() < 80 {
        assert!(
            Instant::now() < deadline && !writers.iter().all(JoinHandle::is_finished),
            "the writers stopped or are too slow: {:?}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    killed.store(true, Ordering::SeqCst);
    server.kill();
    let killed_at = Instant::now();
    for writer in writers {
        let refusals = writer.await.expect("a writer");
        assert!(refusals.is_empty(), "a write was refused before the kill: {refusals:?}");
    }
    let acknowledged = acknowledged.lock().expect("acks").clone();

    let server = Server::start(&test_db.url).await;
    let bearer = server.bearer("root").await;
    for (id, name) in &acknowledged {
        let answer = server
            .remote
            .request(
                "GET",
                &format!("/api/v1/regions/{id}"),
                None,
                &[("authorization", &bearer)],
            )
            .await;
        assert_eq!(
            answer.status,
            200,
            "acknowledged region {id} ({name}) is lost: {}",
            text(&answer)
        );
        assert_eq!(answer.json()["name"], name.as_str());
    }
    // A client whose request the crash cut off retries it with the same
    // key. Claim, create and answer commit together, so the dead process
    // left either all of them (the retry is its answer again) or none (the
    // retry runs now): a region is made once either way, and the retry is
    // answered like the first attempt would have been.
    let unanswered = unanswered.lock().expect("unanswered").clone();
    assert!(!unanswered.is_empty(), "the kill cut off no request");
    let retry = |key: String, name: String| {
        let remote = server.remote.clone();
        let bearer = bearer.clone();
        async move {
            let body = json!({"name": name, "kind": "district"});
            remote
                .request(
                    "POST",
                    "/api/v1/regions",
                    Some(&body),
                    &[("authorization", &bearer), ("idempotency-key", &key)],
                )
                .await
        }
    };
    for (key, name) in &unanswered {
        let first = retry(key.clone(), name.clone()).await;
        assert_eq!(first.status, 201, "{key} retried after the crash: {}", text(&first));
        let again = retry(key.clone(), name.clone()).await;
        assert_eq!(again.status, 201, "{}", text(&again));
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json()["id"], first.json()["id"], "{key} is answered once");
        let found = server
            .remote
            .request(
                "GET",
                &format!(
                    "/api/v1/regions?q={}",
                    url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
                ),
                None,
                &[("authorization", &bearer)],
            )
            .await;
        // `q` finds names that contain it (断电测试1-1 in 断电测试1-10): count
        // the exact ones.
        let exact = found.json()["items"]
            .as_array()
            .map_or(0, |items| items.iter().filter(|r| r["name"] == name.as_str()).count());
        assert_eq!(exact, 1, "{name} exists once: {}", text(&found));
    }
    eprintln!(
        "{} acknowledged writes survived SIGKILL; restart and read-back took {:?}, the whole test {:?}",
        acknowledged.len(),
        killed_at.elapsed(),
        began.elapsed()
    );
}

/// A TCP proxy between the service and PostgreSQL that the test takes down
/// and brings back on the same port. It stands in for stopping PostgreSQL:
/// the server is shared with the rest of the suite and with other people,
/// and to the service the two look the same — its open connections break
/// and new ones are refused — while only this test's connections suffer.
struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    running: Option<(JoinHandle<()>, Links)>,
}

/// The forwarding tasks of the open connections.
type Links = Arc<Mutex<Vec<JoinHandle<()>>>>;

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let mut proxy = Proxy {
            addr: "127.0.0.1:0".parse().expect("an address"),
            upstream,
            running: None,
        };
        proxy.up();
        proxy
    }

    /// Listens (again) on its port and forwards every connection.
    fn up(&mut self) {
        let socket = TcpSocket::new_v4().expect("a socket");
        // The severed connections leave the port in TIME_WAIT.
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(self.addr).expect("bind the proxy's port");
        let listener = socket.listen(128).expect("listen");
        self.addr = listener.local_addr().expect("the proxy's address");
        let links: Links = Arc::default();
        let upstream = self.upstream;
        let accept = tokio::spawn({
            let links = Arc::clone(&links);
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.lock().expect("links").push(link);
                }
            }
        });
        self.running = Some((accept, links));
    }

    /// Closes the listener (new connections are refused) and severs every
    /// forwarded connection.
    async fn down(&mut self) {
        let Some((accept, links)) = self.running.take() else {
            return;
        };
        accept.abort();
        let _ = accept.await;
        let links = std::mem::take(&mut *links.lock().expect("links"));
        for link in &links {
            link.abort();
        }
        for link in links {
            let _ = link.await;
        }
    }
}

/// How long after the database's return a request may still meet a
/// connection severed by the outage: the pool pings a connection before use
/// only when it sat idle for a second.
const STALE_CONNECTIONS_FOR: Duration = Duration::from_secs(1);

/// What a reader saw.
struct Sample {
    sent: Instant,
    took: Duration,
    outcome: Result<(u16, Option<String>, Option<String>), String>,
}

/// The code and `Retry-After` of an answer.
fn coded(answer: &TestResponse) -> (u16, Option<String>, Option<String>) {
    let code = (answer.status != 200)
        .then(|| serde_json::from_slice::<Value>(&answer.body).ok())
        .flatten()
        .and_then(|body| body["code"].as_str().map(str::to_owned));
    (answer.status, code, answer.header("retry-after").map(str::to_owned))
}

fn assert_unavailable(answer: &TestResponse) {
    assert_eq!(answer.status, 503, "{}", text(answer));
    assert_eq!(answer.header("content-type"), Some("application/problem+json"));
    let body = answer.json();
    assert_eq!(body["code"], "UNAVAILABLE", "{body}");
    assert_eq!(body["status"], 503);
    let retry = answer.header("retry-after").expect("a Retry-After header");
    assert!(retry.parse::<u64>().is_ok_and(|s| s > 0), "Retry-After: {retry}");
}

/// PostgreSQL goes away while readers keep asking, then comes back: while
/// it is away every answer is a prompt 503 `UNAVAILABLE` with `Retry-After`
/// (REST, `/readyz`, GraphQL's `extensions.code`), never a 500 or a hang;
/// within 5 s of its return requests succeed again, with no restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_outage_is_503_and_the_service_recovers_by_itself() {
    let began = Instant::now();
    let test_db = database_with_admin().await;
    if !test_db.is_postgres() {
        eprintln!(
            "skipped: the outage test needs PostgreSQL (set {})",
            common::POSTGRES_ENV
        );
        return;
    }
    let mut direct = url::Url::parse(&test_db.url).expect("a URL");
    let upstream = tokio::net::lookup_host((
        direct.host_str().expect("a host").to_owned(),
        direct.port().unwrap_or(5432),
    ))
    .await
    .expect("resolve PostgreSQL")
    .next()
    .expect("an address");
    let mut proxy = Proxy::start(upstream).await;
    direct.set_host(Some("127.0.0.1")).expect("a host");
    direct.set_port(Some(proxy.addr.port())).expect("a port");
    let server = Server::start(direct.as_str()).await;
    let bearer = server.bearer("root").await;

    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<JoinHandle<()>> = (0..4)
        .map(|_| {
            let remote = server.remote.clone();
            let bearer = bearer.clone();
            let samples = Arc::clone(&samples);
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let sent = Instant::now();
                    let outcome = remote
                        .try_request("GET", "/api/v1/regions?limit=5", None, &[("authorization", &bearer)])
                        .await
                        .map(|answer| coded(&answer));
                    samples.lock().expect("samples").push(Sample {
                        sent,
                        took: sent.elapsed(),
                        outcome,
                    });
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    let ok_count = |samples: &Arc<Mutex<Vec<Sample>>>| {
        samples
            .lock()
            .expect("samples")
            .iter()
            .filter(|s| matches!(s.outcome, Ok((200, _, _))))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while ok_count(&samples) < 20 {
        assert!(
            Instant::now() < deadline,
            "no load before the outage: {:?}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Down. The outage begins as the proxy starts to sever connections: a
    // reader whose connection goes first may be answered 503 before the
    // last one is gone.
    let down_at = Instant::now();
    proxy.down().await;
    let get = |path: &'static str| {
        let remote = server.remote.clone();
        let bearer = bearer.clone();
        async move { remote.request("GET", path, None, &[("authorization", &bearer)]).await }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let first_refusal = loop {
        let answer = get("/api/v1/regions").await;
        if answer.status != 200 {
            break answer;
        }
        assert!(Instant::now() < deadline, "the outage is never noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_unavailable(&first_refusal);
    let noticed_after = down_at.elapsed();
    let graphql_body = json!({"query": "{ plans(first: 1) { totalCount } }"});
    let write_body = json!({"name": "停机时写入", "kind": "district"});
    let auth = [("authorization", bearer.as_str())];
    let (ready, write, graphql, health) = tokio::join!(
        server.remote.request("GET", "/readyz", None, &[]),
        server
            .remote
            .request("POST", "/api/v1/regions", Some(&write_body), &auth),
        server.remote.request("POST", "/graphql", Some(&graphql_body), &auth),
        server.remote.request("GET", "/healthz", None, &[]),
    );
    assert_unavailable(&ready);
    assert_eq!(ready.json()["database"], "unreachable");
    assert_unavailable(&write);
    assert_eq!(graphql.status, 200, "{}", text(&graphql));
    assert_eq!(
        common::graphql_code(&graphql.json()),
        Some("UNAVAILABLE"),
        "{}",
        text(&graphql)
    );
    assert_eq!(health.status, 200, "the process itself is up");

    // Up again, on the same port.
    proxy.up();
    let up_at = Instant::now();
    let deadline = up_at + Duration::from_secs(15);
    let recovered_at = loop {
        let answer = get("/api/v1/regions").await;
        if answer.status == 200 {
            break Instant::now();
        }
        assert_unavailable(&answer);
        assert!(Instant::now() < deadline, "no recovery: {:?}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let recovery = recovered_at - up_at;
    assert!(recovery <= Duration::from_secs(5), "recovered only after {recovery:?}");
    let ready = server.remote.request("GET", "/readyz", None, &[]).await;
    assert_eq!(ready.status, 200, "{}", text(&ready));
    assert_eq!(ready.json(), json!({"status": "ok", "database": "ok"}));
    // The readers carry on a little after the return.
    let settled = Instant::now();
    while samples
        .lock()
        .expect("samples")
        .iter()
        .filter(|s| s.sent > settled && matches!(s.outcome, Ok((200, _, _))))
        .count()
        < 8
    {
        assert!(settled.elapsed() < Duration::from_secs(15), "readers do not recover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.expect("a reader");
    }

    let samples = std::mem::take(&mut *samples.lock().expect("samples"));
    let mut refused = 0;
    for sample in &samples {
        let (status, code, retry_after) = sample.outcome.clone().expect("every request is answered");
        match status {
            200 => {}
            503 => {
                refused += 1;
                assert_eq!(code.as_deref(), Some("UNAVAILABLE"));
                assert!(retry_after.is_some(), "a 503 without Retry-After");
                // A pooled connection that went idle less than a second
                // before the outage is used unchecked and fails its one
                // request after the return (db.rs: a ping after 1 s idle);
                // later requests find only checked or new connections.
                assert!(
                    sample.sent + sample.took >= down_at && sample.sent <= recovered_at + STALE_CONNECTIONS_FOR,
                    "a 503 outside the outage: sent {:?} after it began, took {:?}; the database was back {:?} after it began",
                    sample.sent.checked_duration_since(down_at),
                    sample.took,
                    recovered_at - down_at
                );
            }
            other => panic!("a reader got {other} {code:?}"),
        }
        // Bounded by the pool's acquire timeout, never the client's.
        assert!(
            sample.took < Duration::from_secs(8),
            "a request hung for {:?}",
            sample.took
        );
        if sample.sent + sample.took < down_at || sample.sent > recovered_at + STALE_CONNECTIONS_FOR {
            assert_eq!(
                status,
                200,
                "a refusal while the database was there: sent {:?} after the outage began (negative: {:?} before), took {:?}",
                sample.sent.checked_duration_since(down_at),
                down_at.checked_duration_since(sample.sent),
                sample.took
            );
        }
    }
    assert!(refused > 0, "the readers saw the outage");
    eprintln!(
        "{} reads, {refused} refused; outage noticed after {noticed_after:?}, lasted {:?}; \
         first success {recovery:?} after the return; the whole test {:?}",
        samples.len(),
        up_at - down_at,
        began.elapsed()
    );
}
