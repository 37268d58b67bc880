//! What a resolver acts with: the app's state, and per request the caller
//! and the loaders made for that caller alone.

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use super::batching::FetchQueue;
use super::error::coded;
use super::loaders::DomainLoader;
use crate::AppState;
use crate::domain::{Caller, ErrorCode};

/// One request's caller and its loaders; never shared between requests,
/// so that nothing one principal loaded is shown to another.
pub struct RequestScope {
    caller: Option<Caller>,
    loader: Option<DataLoader<DomainLoader>>,
}

impl RequestScope {
    /// The scope of one request, and the queue its loaders' fetches wait
    /// in until [`drive`](super::batching::drive) runs them.
    pub fn new(state: &AppState, caller: Option<Caller>) -> (RequestScope, FetchQueue) {
        let queue = FetchQueue::default();
        let spawner = queue.clone();
        let loader = caller.clone().map(|caller| {
            DataLoader::new(DomainLoader::new(state.db.clone(), caller), move |fetch| {
                spawner.push(fetch)
            })
            .delay(std::time::Duration::ZERO)
        });
        (RequestScope { caller, loader }, queue)
    }

    /// The scope of a subscription: its loaders fetch on their own tasks,
    /// as nothing drives a subscription's stream.
    pub fn spawned(state: &AppState, caller: Caller) -> RequestScope {
        let loader = DataLoader::new(DomainLoader::new(state.db.clone(), caller.clone()), tokio::spawn);
        RequestScope {
            caller: Some(caller),
            loader: Some(loader),
        }
    }
}

fn unauthenticated() -> async_graphql::Error {
    coded(
        ErrorCode::Unauthenticated,
        "sign in: send `Authorization: Bearer <access token>`",
        &[],
    )
}

/// The signed-in caller of the request.
pub fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    ctx.data_opt::<RequestScope>()
        .and_then(|scope| scope.caller.as_ref())
        .ok_or_else(unauthenticated)
}

/// The loaders of the request's caller.
pub fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DataLoader<DomainLoader>> {
    ctx.data_opt::<RequestScope>()
        .and_then(|scope| scope.loader.as_ref())
        .ok_or_else(unauthenticated)
}

/// The app's state: the operation's own when it reads the replica
/// (http.rs), the schema's otherwise.
pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The database.
pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    &state(ctx).db
}
