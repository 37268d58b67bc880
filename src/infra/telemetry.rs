//! What `GET /metrics` tells Prometheus: requests by method, route template
//! and status (a counter and a latency histogram), requests in flight,
//! GraphQL operations by name and outcome, refusals by the rate limits, the
//! database pool, and the counts of the scheduler and the webhook sender.
//!
//! One [`Metrics`] per served app (in [`crate::AppState`]): two apps in one
//! process (the tests) count apart. Labels never hold a raw path or an id:
//! routes are the declared templates, GraphQL operation names are bounded.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseBackend, DatabaseConnection};

/// The media type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The media type of the OpenMetrics text format, sent when asked for.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The most GraphQL operation names kept apart; later ones count as
/// `(other)`, so a client cannot grow the exposition without bound.
pub const MAX_OPERATION_NAMES: usize = 200;
/// The longest operation name kept as written.
const MAX_OPERATION_NAME_CHARS: usize = 64;

/// The latency buckets, in seconds (Prometheus' defaults).
const LATENCY_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// How a GraphQL operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with no error.
    Ok,
    /// Answered with at least one error.
    Error,
}

/// How a webhook delivery attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered,
    /// It did not; the delivery is retried.
    Failed,
    /// It did not, for longer than the retry period: given up.
    GivenUp,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily<RequestLabels>,
    in_flight: Gauge,
    rate_limited: Family<RouteLabels, Counter>,
    graphql: Family<OperationLabels, Counter>,
    operation_names: Mutex<HashSet<String>>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    scheduler_runs: Family<OutcomeLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
    delivery_durations: Histogram,
}

/// The service's metrics; cheap to clone (one registry behind an `Arc`).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let durations = HistogramFamily::<RequestLabels>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by method, route template and status",
            durations.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being served now",
            in_flight.clone(),
        );
        let rate_limited = Family::<RouteLabels, Counter>::default();
        registry.register(
            "rate_limit_refusals",
            "Requests refused by a rate limit (429: the API's per token and address, or sign-in's), by route template",
            rate_limited.clone(),
        );
        let graphql = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_operations",
            "GraphQL operations executed, by operation name (as sent, else the document's first; (anonymous) when none) and outcome (ok or error)",
            graphql.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool, by state (idle or in_use), when scraped",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections the database pool opens",
            pool_max.clone(),
        );
        let scheduler_runs = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "scheduler_runs",
            "Rounds of the reminder scheduler on this instance (reminders, escalations, pruning, sweeping), by outcome",
            scheduler_runs.clone(),
        );
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts made by this instance, by outcome (delivered, failed, given_up)",
            deliveries.clone(),
        );
        let delivery_durations = latency_histogram();
        registry.register(
            "webhook_delivery_duration_seconds",
            "Time a webhook delivery attempt took, answered or not",
            delivery_durations.clone(),
        );
        Metrics(Arc::new(Inner {
            registry,
            requests,
            durations,
            in_flight,
            rate_limited,
            graphql,
            operation_names: Mutex::new(HashSet::new()),
            pool,
            pool_max,
            scheduler_runs,
            deliveries,
            delivery_durations,
        }))
    }

    /// Counts a request in flight until the guard is dropped (also when
    /// the request is cancelled).
    pub fn in_flight(&self) -> InFlight {
        self.0.in_flight.inc();
        InFlight(self.0.in_flight.clone())
    }

    /// Counts an answered request and its latency; a 429 also as a
    /// refusal by a rate limit.
    pub fn answered(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.0.requests.get_or_create(&labels).inc();
        self.0.durations.get_or_create(&labels).observe(latency.as_secs_f64());
        if status == 429 {
            self.0
                .rate_limited
                .get_or_create(&RouteLabels {
                    route: route.to_owned(),
                })
                .inc();
        }
    }

    /// Counts a GraphQL operation by the name the request gave, else the
    /// name its document starts with (`query Dashboard { … }`).
    pub fn graphql_operation(&self, name: Option<&str>, query: &str, outcome: Outcome) {
        let outcome = match outcome {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
        };
        let operation = self.operation_label(name.or_else(|| leading_operation_name(query)));
        self.0
            .graphql
            .get_or_create(&OperationLabels { operation, outcome })
            .inc();
    }

    /// The label of an operation name: as written when it is a GraphQL name
    /// of at most 64 characters among the first [`MAX_OPERATION_NAMES`]
    /// seen; `(anonymous)`, `(invalid)` or `(other)` otherwise.
    fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return "(anonymous)".to_owned();
        };
        let is_name = name.chars().count() <= MAX_OPERATION_NAME_CHARS
            && name.chars().next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
        if !is_name {
            return "(invalid)".to_owned();
        }
        let Ok(mut seen) = self.0.operation_names.lock() else {
            return "(other)".to_owned();
        };
        if seen.contains(name) || (seen.len() < MAX_OPERATION_NAMES && seen.insert(name.to_owned())) {
            name.to_owned()
        } else {
            "(other)".to_owned()
        }
    }

    /// Counts a round of the reminder scheduler.
    pub fn scheduler_run(&self, succeeded: bool) {
        let outcome = if succeeded { "ok" } else { "error" };
        self.0.scheduler_runs.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts a webhook delivery attempt and the time it took.
    pub fn delivery(&self, outcome: DeliveryOutcome, took: Duration) {
        let outcome = match outcome {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::GivenUp => "given_up",
        };
        self.0.deliveries.get_or_create(&OutcomeLabels { outcome }).inc();
        self.0.delivery_durations.observe(took.as_secs_f64());
    }

    /// The exposition, with the pool read now: the Prometheus text format,
    /// or OpenMetrics when `openmetrics`.
    pub fn render(&self, db: &DatabaseConnection, openmetrics: bool) -> Result<String, std::fmt::Error> {
        self.read_pool(db);
        let mut out = String::new();
        if openmetrics {
            prometheus_client::encoding::text::encode(&mut out, &self.0.registry)?;
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.0.registry)?;
        }
        Ok(out)
    }

    fn read_pool(&self, db: &DatabaseConnection) {
        let (size, idle, max) = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            DatabaseBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            _ => return,
        };
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.0.pool.get_or_create(&PoolLabels { state: "idle" }).set(idle);
        self.0
            .pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set((i64::from(size) - idle).max(0));
        self.0.pool_max.set(i64::from(max));
    }
}

/// The name of the operation a GraphQL document begins with, when it
/// begins with a named one (`query Dashboard(…) { … }`): read from the text,
/// skipping what GraphQL ignores (blanks, commas, comments), without
/// parsing the document again.
fn leading_operation_name(query: &str) -> Option<&str> {
    fn skip_ignored(mut text: &str) -> &str {
        loop {
            text = text.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
            match text.strip_prefix('#') {
                Some(comment) => text = comment.split_once('\n').map_or("", |(_, rest)| rest),
                None => return text,
            }
        }
    }
    let text = skip_ignored(query);
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|keyword| text.strip_prefix(keyword))?;
    // The keyword must end where the name's blank begins.
    if !rest.starts_with(|c: char| c.is_whitespace() || c == ',' || c == '#') {
        return None;
    }
    let rest = skip_ignored(rest);
    let end = rest
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|name| !name.is_empty())
}

/// A request in flight; counted until dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_names_its_leading_operation() {
        assert_eq!(leading_operation_name("query Mine { me { __typename } }"), Some("Mine"));
        assert_eq!(
            leading_operation_name("\u{feff} # a comment\n, mutation\n  Save($a: ID!) { x }"),
            Some("Save")
        );
        assert_eq!(leading_operation_name("subscription Changes{ x }"), Some("Changes"));
        assert_eq!(leading_operation_name("{ me { __typename } }"), None);
        assert_eq!(leading_operation_name("query { me }"), None);
        assert_eq!(leading_operation_name("queryX { me }"), None);
        assert_eq!(leading_operation_name("fragment F on Task { id } query Q { x }"), None);
        assert_eq!(leading_operation_name(""), None);
    }

    #[test]
    fn operation_names_are_bounded() {
        let metrics = Metrics::new();
        assert_eq!(metrics.operation_label(None), "(anonymous)");
        assert_eq!(metrics.operation_label(Some("")), "(anonymous)");
        assert_eq!(metrics.operation_label(Some("Dashboard")), "Dashboard");
        assert_eq!(metrics.operation_label(Some("a b")), "(invalid)");
        assert_eq!(metrics.operation_label(Some("9lives")), "(invalid)");
        assert_eq!(metrics.operation_label(Some(&"x".repeat(65))), "(invalid)");
        for i in 1..MAX_OPERATION_NAMES {
            assert_eq!(metrics.operation_label(Some(&format!("Op{i}"))), format!("Op{i}"));
        }
        assert_eq!(metrics.operation_label(Some("OneTooMany")), "(other)");
        assert_eq!(metrics.operation_label(Some("Dashboard")), "Dashboard");
    }
}
