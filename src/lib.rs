//! xietong (协同): a headless service for district–county pairing
//! coordination (对口协同发展). This crate builds the application for the
//! binary and for the tests.

// The catalogs of the messages people read, in languages other than
// English (domain/text.rs; `locales/`).
rust_i18n::i18n!("locales", fallback = "en");

pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod infra;
pub mod progress;

use std::future::Future;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

/// What every request handler may reach.
#[derive(Clone)]
pub struct AppState {
    /// The database this request reads and writes: the primary, or the
    /// streaming replica for a read routed there ([`AppState::reading`]).
    pub db: DatabaseConnection,
    /// The primary and, when configured, its streaming replica.
    pub databases: db::Databases,
    /// Signs and checks access tokens.
    pub keys: Arc<auth::token::TokenKeys>,
    pub cors_origins: Arc<Vec<String>>,
    /// API requests per token and address, shared across instances.
    pub rate_limiter: Arc<infra::rate_limit::RateLimiter>,
    /// One permit per request being served.
    pub requests: Arc<tokio::sync::Semaphore>,
    /// How long a request may take.
    pub request_timeout: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<config::AddressBlock>>,
    /// How sign-in and refresh are bounded.
    pub session: auth::session::SessionPolicy,
    /// GraphQL's limits and its subscription feed's poll.
    pub graphql: config::GraphqlArgs,
    /// What every request takes the time and today's date from.
    pub clock: domain::Clock,
    /// How often the reminder scheduler runs; never when none.
    pub reminder_interval: Option<std::time::Duration>,
    /// How long the change feed keeps a change.
    pub changes_retention: chrono::TimeDelta,
    /// How webhook deliveries are sent; by this instance only when
    /// `webhook_delivery`.
    pub webhooks: domain::webhook::deliver::Settings,
    pub webhook_delivery: bool,
    /// Where attachments' bytes are kept.
    pub storage: infra::storage::Storage,
    /// How large and how many attachments may be.
    pub attachments: domain::attachment::Limits,
    /// The folder uploads wait in while they arrive.
    pub spool: std::path::PathBuf,
    /// What `GET /metrics` exposes.
    pub metrics: infra::telemetry::Metrics,
    /// Where `GET /metrics` is served instead of beside the API.
    pub metrics_bind: Option<std::net::SocketAddr>,
    /// The bearer token `GET /metrics` asks for, when any.
    pub metrics_token: Option<config::Secret>,
}

impl AppState {
    /// The state of a served app; `secret` is the HS256 key of its tokens.
    /// Origins that fail [`config::ServeArgs::checked_cors_origins`] and
    /// proxies that fail [`config::ServeArgs::checked_trusted_proxies`] are
    /// left out, and a storage that cannot be opened refuses every upload;
    /// `serve` refuses to start with any of them.
    pub fn new(db: DatabaseConnection, serve: &config::ServeArgs, secret: &[u8]) -> AppState {
        AppState {
            rate_limiter: infra::rate_limit::RateLimiter::new(db.clone(), serve.rate_limits()),
            databases: db::Databases {
                primary: db.clone(),
                replica: None,
            },
            db,
            keys: Arc::new(auth::token::TokenKeys::new(secret)),
            cors_origins: Arc::new(serve.checked_cors_origins().unwrap_or_default()),
            requests: Arc::new(tokio::sync::Semaphore::new(
                usize::try_from(serve.max_concurrent_requests).unwrap_or(usize::MAX),
            )),
            request_timeout: std::time::Duration::from_secs(serve.request_timeout_secs),
            trusted_proxies: Arc::new(serve.checked_trusted_proxies().unwrap_or_default()),
            session: serve.session_policy(),
            graphql: serve.graphql.clone(),
            clock: domain::Clock::system(),
            reminder_interval: (serve.reminder_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(u64::from(serve.reminder_interval_secs))),
            changes_retention: chrono::TimeDelta::days(i64::from(serve.changes_retention_days)),
            webhooks: serve.webhook_settings(),
            webhook_delivery: serve.webhook_delivery,
            storage: infra::storage::Storage::open(&serve.storage).unwrap_or_else(infra::storage::Storage::unusable),
            attachments: serve.attachment_limits(),
            spool: serve.spool_folder(),
            metrics: infra::telemetry::Metrics::new(),
            metrics_bind: serve.metrics_bind,
            metrics_token: serve.given_metrics_token(),
        }
    }

    /// The same state with reads routed to `replica`, a streaming replica
    /// of its database (`DATABASE_READ_URL`).
    pub fn with_replica(self, replica: DatabaseConnection) -> AppState {
        AppState {
            databases: db::Databases {
                replica: Some(replica),
                ..self.databases
            },
            ..self
        }
    }

    /// The state a read is served in: over the replica when there is one.
    pub fn reading(&self) -> AppState {
        match &self.databases.replica {
            Some(replica) => AppState {
                db: replica.clone(),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// The state a write is served in: over the primary.
    pub fn on_primary(&self) -> AppState {
        AppState {
            db: self.databases.primary.clone(),
            ..self.clone()
        }
    }

    /// The same state with its time and day read from `clock` (tokens
    /// are issued and expire by it too).
    pub fn with_clock(self, clock: domain::Clock) -> AppState {
        AppState {
            keys: Arc::new(self.keys.with_clock(clock)),
            clock,
            ..self
        }
    }
}

/// The application's router over a migrated database: REST and GraphQL
/// side by side, behind the same layers; `/metrics` too unless it has an
/// address of its own.
pub fn app(state: AppState) -> axum::Router {
    let mut routes = http::routes().merge(graphql::router(&state));
    if state.metrics_bind.is_none() {
        routes = routes.merge(http::telemetry::router());
    }
    http::serve(routes, state)
}

/// Serves `state` on `listener` until `shutdown` completes; requests in
/// flight then finish before this returns. The reminder scheduler runs
/// beside it, and gives its lease up when it stops; so does the webhook
/// sender, unless turned off, and the keeper of today's lights.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let scheduler = state.reminder_interval.map(|every| {
        let holder = uuid::Uuid::new_v4().to_string();
        let task = tokio::spawn(domain::reminder::run(
            state.db.clone(),
            state.storage.clone(),
            state.clock,
            holder.clone(),
            every,
            state.changes_retention,
            state.metrics.clone(),
        ));
        (task, holder)
    });
    let sender = if state.webhook_delivery {
        Some(
            domain::webhook::deliver::Sender::new(state.webhooks.clone())
                .map_err(std::io::Error::other)?
                .counted_by(state.metrics.clone()),
        )
    } else {
        None
    };
    let deliveries =
        sender.map(|sender| tokio::spawn(domain::webhook::deliver::run(state.db.clone(), state.clock, sender)));
    let lights = tokio::spawn(domain::light::kept::run(state.db.clone(), state.clock));
    let exporter = match state.metrics_bind {
        Some(bind) => {
            let listener = TcpListener::bind(bind).await?;
            tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
            let router = http::telemetry::router().with_state(state.clone());
            Some(tokio::spawn(async move { axum::serve(listener, router).await }))
        }
        None => None,
    };
    let db = state.db.clone();
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    if let Some(task) = exporter {
        task.abort();
        let _ = task.await;
    }
    lights.abort();
    let _ = lights.await;
    // A delivery stopped mid-attempt keeps its lease, and is sent again
    // when the lease ends: at least once, as receivers expect.
    if let Some(task) = deliveries {
        task.abort();
        let _ = task.await;
    }
    if let Some((task, holder)) = scheduler {
        task.abort();
        let _ = task.await;
        if let Err(err) = domain::reminder::release(&db, &holder).await {
            tracing::warn!(error = %err, "could not give the reminder lease up");
        }
    }
    served
}

/// Resolves when the process receives SIGINT (Ctrl-C) or SIGTERM. The
/// handlers are installed when this is called, not when the future is first
/// polled, so a signal that arrives as the server starts is not lost (and
/// does not kill the process mid-request).
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
}
