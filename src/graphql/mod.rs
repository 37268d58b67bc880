//! The GraphQL API: an adapter over the domain core like REST. Queries
//! mirror REST's resources and lists as Relay connections, mutations its
//! writes; relations load in batches per request; depth, complexity, page
//! size, batch and body size are bounded.

mod batching;
mod connection;
mod context;
mod eager;
mod error;
pub mod graphiql;
mod http;
mod ids;
mod inputs;
pub mod limits;
mod loaders;
mod mutation;
mod nulls;
pub(crate) mod query;
mod scalars;
mod subscription;
mod types;

use async_graphql::Schema;
use axum::Router;
use axum::routing::get;

pub use ids::{decode as decode_global_id, global_id};
pub use limits::Limits;

use crate::AppState;
use mutation::MutationRoot;
use query::QueryRoot;
use subscription::SubscriptionRoot;

/// The schema of the service, with the limits it was built with.
#[derive(Clone)]
pub struct AppSchema(
    Schema<QueryRoot, MutationRoot, SubscriptionRoot>,
    Limits,
    /// One permit per operation being executed (see [`limits::CONCURRENT_ENV`]).
    std::sync::Arc<tokio::sync::Semaphore>,
    /// The fields' declared types, for null propagation.
    std::sync::Arc<nulls::Shapes>,
);

impl AppSchema {
    /// The schema over `state`, bounded by its limits.
    pub fn new(state: AppState) -> AppSchema {
        let limits = state.graphql.limits();
        let feed = subscription::ChangeFeed::new(state.db.clone(), state.graphql.feed_poll(), state.clock);
        // No extension: `eager` lists resolve their fields without them.
        let schema = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
            .data(feed)
            .data(state)
            .data(limits)
            .limit_depth(limits.max_depth)
            .limit_complexity(limits.max_complexity)
            .finish();
        let executions = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent.max(1)));
        let shapes = std::sync::Arc::new(nulls::Shapes::of_sdl(&schema.sdl()));
        AppSchema(schema, limits, executions, shapes)
    }

    pub fn limits(&self) -> Limits {
        self.1
    }
}

/// The schema in SDL, as `xietong schema graphql` prints it and
/// `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish().sdl()
}

/// `POST /graphql`; at `GET /graphql` GraphiQL, or subscriptions over
/// WebSocket; with the limits of the state's settings (see [`limits`]).
pub fn router(state: &AppState) -> Router<AppState> {
    let schema = AppSchema::new(state.clone());
    Router::new()
        .route("/graphql", get(http::get).post(http::execute))
        .route(&format!("{}/{{name}}", graphiql::ASSETS), get(graphiql::asset))
        .layer(axum::Extension(schema))
}
