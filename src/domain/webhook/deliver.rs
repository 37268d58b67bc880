//! The sender of webhook deliveries: claims the deliveries that are due
//! (a lease per delivery, `SKIP LOCKED` on PostgreSQL, so that several
//! instances send each attempt once), posts each signed as Standard
//! Webhooks says, and records the answer; retries with exponential backoff
//! and jitter, gives a delivery up and disables its endpoint after a day of
//! failures. The deliveries of one resource to one endpoint go in order: a
//! later one waits while an earlier one is pending.
//!
//! The target's address is checked after resolution (and an address
//! written in the URL before sending): private, loopback and link-local
//! addresses are refused unless allowed; redirects are not followed and no
//! proxy is used.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use entity::{webhook_deliveries, webhooks};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::Sha256;

use super::secret_key;
use crate::domain::{Clock, DomainResult, begin_write};
use crate::infra::telemetry::{DeliveryOutcome, Metrics};

/// How deliveries are sent.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Deliver to private, loopback and link-local addresses too.
    pub allow_private: bool,
    /// The wait before the first retry; it doubles on each (at most an hour).
    pub retry_base: Duration,
    /// After this long failing, a delivery is given up and its endpoint
    /// disabled.
    pub give_up_after: TimeDelta,
    /// How long an attempt may take.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allow_private: false,
            retry_base: Duration::from_secs(5),
            give_up_after: TimeDelta::hours(24),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The most deliveries one round claims.
const BATCH: u64 = 32;

/// The largest part of an answer kept in the log.
const RESPONSE_EXCERPT: usize = 1000;

/// Whether an address may receive deliveries without
/// `XIETONG_WEBHOOK_ALLOW_PRIVATE`: not loopback, private, link-local,
/// shared (CGNAT), unspecified, multicast or documentation space.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The address a URL names literally (`http://10.0.0.1/`), if it does.
pub fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Resolves names as the system does, keeping only the addresses a
/// delivery may go to.
struct Guard {
    allow_private: bool,
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Sends deliveries with its settings.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    settings: Settings,
    metrics: Metrics,
}

impl Sender {
    pub fn new(settings: Settings) -> anyhow::Result<Sender> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent("xietong-webhooks/1")
            .dns_resolver(Arc::new(Guard {
                allow_private: settings.allow_private,
            }))
            .build()?;
        Ok(Sender {
            http,
            settings,
            metrics: Metrics::default(),
        })
    }

    /// The same sender, counting its attempts in `metrics`.
    pub fn counted_by(self, metrics: Metrics) -> Sender {
        Sender { metrics, ..self }
    }
}

/// The `webhook-signature` of a message: `v1,` + base64 of HMAC-SHA256 of
/// `id.timestamp.body` with the secret's key.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Sends what is due until nothing is, then waits for more (at most a
/// second between looks).
pub async fn run(db: DatabaseConnection, clock: Clock, sender: Sender) {
    loop {
        match deliver_due(&db, clock, &sender).await {
            Ok(0) => tokio::time::sleep(Duration::from_millis(500)).await,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "webhook deliveries failed to run; trying again shortly");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Claims the deliveries due now and sends them, at once; returns how many
/// were attempted.
pub async fn deliver_due(db: &DatabaseConnection, clock: Clock, sender: &Sender) -> DomainResult<usize> {
    let lease =
        TimeDelta::from_std(sender.settings.timeout * 2).unwrap_or(TimeDelta::seconds(20)) + TimeDelta::seconds(5);
    let claimed = claim(db, clock.now(), lease).await?;
    let count = claimed.len();
    let mut sending = tokio::task::JoinSet::new();
    for (delivery, endpoint) in claimed {
        let db = db.clone();
        let sender = sender.clone();
        sending.spawn(async move {
            let started = Instant::now();
            let outcome = attempt(&sender, clock.now(), &delivery, &endpoint).await;
            let took = started.elapsed();
            let counted = record(&db, clock.now(), &sender.settings, delivery, endpoint, outcome).await?;
            sender.metrics.delivery(counted, took);
            Ok::<(), crate::domain::DomainError>(())
        });
    }
    while let Some(done) = sending.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "a webhook delivery's outcome could not be recorded"),
            Err(err) => tracing::warn!(error = %err, "a webhook delivery stopped"),
        }
    }
    Ok(count)
}

/// The deliveries due at `now` to active endpoints (and tests to any),
/// oldest first.
fn due(now: DateTime<Utc>) -> sea_orm::Select<webhook_deliveries::Entity> {
    use webhook_deliveries::Column as D;
    let active = Query::select()
        .column(webhooks::Column::Id)
        .from(webhooks::Entity)
        .and_where(webhooks::Column::Status.eq("active"))
        .to_owned();
    webhook_deliveries::Entity::find()
        .filter(D::Status.eq("pending"))
        .filter(D::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(D::LockedUntil.is_null())
                .add(D::LockedUntil.lt(now)),
        )
        .filter(
            Condition::any()
                .add(D::WebhookId.in_subquery(active))
                .add(D::EventType.eq(super::TEST_EVENT)),
        )
        .order_by_asc(D::CreatedAt)
        .order_by_asc(D::Id)
}

/// Takes the due deliveries of active endpoints for `lease`, the first
/// pending one of each resource and endpoint only.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: TimeDelta,
) -> DomainResult<Vec<(webhook_deliveries::Model, webhooks::Model)>> {
    use webhook_deliveries::Column as D;
    // A look first, outside a write transaction: SQLite has one writer,
    // and an idle sender should not take it twice a second.
    if due(now).one(db).await?.is_none() {
        return Ok(Vec::new());
    }
    let txn = begin_write(db).await?;
    let mut due = due(now).limit(BATCH);
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut claimed = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for delivery in due.all(&txn).await? {
        if !taken.insert((delivery.webhook_id, delivery.resource.clone())) {
            continue;
        }
        // An earlier delivery of the same resource still pending goes first.
        let earlier = webhook_deliveries::Entity::find()
            .filter(D::WebhookId.eq(delivery.webhook_id))
            .filter(D::Resource.eq(delivery.resource.clone()))
            .filter(D::Status.eq("pending"))
            .filter(
                Condition::any().add(D::CreatedAt.lt(delivery.created_at)).add(
                    Condition::all()
                        .add(D::CreatedAt.eq(delivery.created_at))
                        .add(D::Id.lt(delivery.id)),
                ),
            )
            .count(&txn)
            .await?;
        if earlier > 0 {
            continue;
        }
        let Some(endpoint) = webhooks::Entity::find_by_id(delivery.webhook_id).one(&txn).await? else {
            continue;
        };
        let mut leased: webhook_deliveries::ActiveModel = delivery.clone().into();
        leased.locked_until = Set(Some(now + lease));
        leased.update(&txn).await?;
        claimed.push((delivery, endpoint));
    }
    txn.commit().await?;
    Ok(claimed)
}

/// What one attempt got.
enum Outcome {
    Answered { status: u16, body: String, latency_ms: i64 },
    Failed { error: String, latency_ms: Option<i64> },
}

impl Outcome {
    fn succeeded(&self) -> bool {
        matches!(self, Outcome::Answered { status, .. } if (200..300).contains(status))
    }
}

async fn attempt(
    sender: &Sender,
    now: DateTime<Utc>,
    delivery: &webhook_deliveries::Model,
    endpoint: &webhooks::Model,
) -> Outcome {
    let Ok(url) = url::Url::parse(&endpoint.url) else {
        return Outcome::Failed {
            error: "the endpoint's URL does not parse".into(),
            latency_ms: None,
        };
    };
    if let Some(ip) = literal_address(&url)
        && !sender.settings.allow_private
        && !is_public(ip)
    {
        return Outcome::Failed {
            error: format!("{ip} is not a public address"),
            latency_ms: None,
        };
    }
    let body = match serde_json::to_vec(&delivery.payload) {
        Ok(body) => body,
        Err(e) => {
            return Outcome::Failed {
                error: format!("the payload does not serialize: {e}"),
                latency_ms: None,
            };
        }
    };
    let id = delivery.id.to_string();
    let timestamp = now.timestamp();
    let mut signatures: Vec<String> = sign(&endpoint.secret, &id, timestamp, &body).into_iter().collect();
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_secret_until)
        && until > now
    {
        signatures.extend(sign(previous, &id, timestamp, &body));
    }
    let started = Instant::now();
    let sent = sender
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(body)
        .send()
        .await;
    let elapsed = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match sent {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let mut bytes = Vec::new();
            while bytes.len() < RESPONSE_EXCERPT * 4 {
                match response.chunk().await {
                    Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            let body: String = String::from_utf8_lossy(&bytes).chars().take(RESPONSE_EXCERPT).collect();
            Outcome::Answered {
                status,
                body,
                latency_ms: elapsed(),
            }
        }
        Err(err) => Outcome::Failed {
            error: describe(err),
            latency_ms: Some(elapsed()),
        },
    }
}

/// A sending error in a line: what failed, and the cause underneath.
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}

/// Whether the endpoint took any delivery at or after `since`.
async fn delivered_since(txn: &impl ConnectionTrait, webhook: uuid::Uuid, since: DateTime<Utc>) -> DomainResult<bool> {
    let taken = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::WebhookId.eq(webhook))
        .filter(webhook_deliveries::Column::DeliveredAt.gte(since))
        .count(txn)
        .await?;
    Ok(taken > 0)
}

/// The wait before retry `attempts` + 1: the base doubled per attempt, at
/// most an hour, give or take a fifth.
fn backoff(base: Duration, attempts: i32) -> TimeDelta {
    let doubled = base.saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1));
    let capped = doubled.min(Duration::from_secs(3600));
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        0.8 + f64::from(byte[0]) / 255.0 * 0.4
    } else {
        1.0
    };
    TimeDelta::from_std(capped.mul_f64(jitter)).unwrap_or(TimeDelta::hours(1))
}

async fn record(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    settings: &Settings,
    delivery: webhook_deliveries::Model,
    endpoint: webhooks::Model,
    outcome: Outcome,
) -> DomainResult<DeliveryOutcome> {
    let txn = begin_write(db).await?;
    let succeeded = outcome.succeeded();
    let attempts = delivery.attempts + 1;
    let created_at = delivery.created_at;
    let mut row: webhook_deliveries::ActiveModel = delivery.into();
    row.attempts = Set(attempts);
    row.locked_until = Set(None);
    let summary = match outcome {
        Outcome::Answered {
            status,
            body,
            latency_ms,
        } => {
            row.last_status = Set(Some(i32::from(status)));
            row.last_latency_ms = Set(Some(latency_ms));
            row.last_response = Set(Some(body));
            row.last_error = Set(None);
            format!("HTTP {status}")
        }
        Outcome::Failed { error, latency_ms } => {
            row.last_status = Set(None);
            row.last_latency_ms = Set(latency_ms);
            row.last_response = Set(None);
            row.last_error = Set(Some(error.clone()));
            error
        }
    };
    let counted = if succeeded {
        row.status = Set("delivered".to_owned());
        row.delivered_at = Set(Some(now));
        DeliveryOutcome::Delivered
    } else if now - created_at >= settings.give_up_after {
        row.status = Set("failed".to_owned());
        DeliveryOutcome::GivenUp
    } else {
        row.next_attempt_at = Set(now + backoff(settings.retry_base, attempts));
        DeliveryOutcome::Failed
    };
    row.update(&txn).await?;

    let failing_since = if succeeded {
        None
    } else {
        Some(endpoint.failing_since.unwrap_or(now))
    };
    // Disabled when it has failed for the retry period, or when a delivery
    // is given up and nothing reached it since that delivery was queued:
    // a first attempt made late (a busy worker) starts the endpoint's
    // failing later than the delivery's clock, and without this the last
    // delivery could be given up with its endpoint left active.
    let failed_long = failing_since.is_some_and(|since| now - since >= settings.give_up_after);
    let disable = endpoint.status == "active"
        && !succeeded
        && (failed_long
            || (matches!(counted, DeliveryOutcome::GivenUp)
                && !delivered_since(&txn, endpoint.id, created_at).await?));
    if failing_since != endpoint.failing_since || disable {
        let version = endpoint.version;
        let mut changed: webhooks::ActiveModel = endpoint.into();
        changed.failing_since = Set(failing_since);
        if let (true, Some(since)) = (disable, failing_since) {
            changed.status = Set("disabled".to_owned());
            changed.disabled_reason = Set(Some(format!(
                "every delivery since {} failed; the last: {summary}",
                since.to_rfc3339()
            )));
        }
        changed.updated_at = Set(now);
        changed.version = Set(version + 1);
        changed.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(counted)
}
