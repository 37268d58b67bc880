//! xietong (协同): a headless service for district–county pairing
//! coordination (对口协同发展). This crate builds the application for the
//! binary and for the tests.

pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod import;

use std::future::Future;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

/// What every request handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Signs and checks access tokens.
    pub keys: Arc<auth::token::TokenKeys>,
    pub cors_origins: Arc<Vec<String>>,
}

impl AppState {
    /// The state of a served app; `secret` is the HS256 key of its tokens.
    pub fn new(db: DatabaseConnection, serve: &config::ServeArgs, secret: &[u8]) -> AppState {
        AppState {
            db,
            keys: Arc::new(auth::token::TokenKeys::new(secret)),
            cors_origins: Arc::new(serve.cors_origins.clone()),
        }
    }
}

/// The application's router over a migrated database.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves `state` on `listener` until `shutdown` completes; requests in
/// flight then finish before this returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
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
