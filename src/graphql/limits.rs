//! The bounds of a GraphQL request: query depth, complexity (connections
//! priced by their page size), page size, operations per batch and body
//! size. Each has a default and a setting (`config::GraphqlArgs`, named by
//! the environment variables here); an error names the limit it hit.

use async_graphql::ServerError;

use crate::domain::page::MAX_LIMIT;
use crate::domain::{ErrorCode, Text};

/// `XIETONG_GRAPHQL_MAX_DEPTH`: how deep a query nests (GraphiQL's
/// introspection query is about 13 levels deep).
pub const DEPTH_ENV: &str = "XIETONG_GRAPHQL_MAX_DEPTH";
/// `XIETONG_GRAPHQL_MAX_COMPLEXITY`: the most a query may cost; a field
/// costs 1, a connection its page size times what each item costs.
pub const COMPLEXITY_ENV: &str = "XIETONG_GRAPHQL_MAX_COMPLEXITY";
/// `XIETONG_GRAPHQL_MAX_PAGE_SIZE`: the largest `first` or `last` (at most
/// the 200 of every list).
pub const PAGE_SIZE_ENV: &str = "XIETONG_GRAPHQL_MAX_PAGE_SIZE";
/// `XIETONG_GRAPHQL_MAX_BATCH`: operations in one batched request.
pub const BATCH_ENV: &str = "XIETONG_GRAPHQL_MAX_BATCH";
/// `XIETONG_GRAPHQL_MAX_BODY_BYTES`: the size of a request body.
pub const BODY_ENV: &str = "XIETONG_GRAPHQL_MAX_BODY_BYTES";

/// `XIETONG_GRAPHQL_MAX_CONCURRENT`: operations executed at once; more wait
/// their turn (default twice the processors). Execution is CPU work, so
/// queuing costs no throughput, and it bounds the memory that answers
/// being built hold.
pub const CONCURRENT_ENV: &str = "XIETONG_GRAPHQL_MAX_CONCURRENT";

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_page_size: u64,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub max_concurrent: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 16,
            max_complexity: 250_000,
            max_page_size: MAX_LIMIT,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
            max_concurrent: 2 * std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        }
    }
}

/// A request-level error with a code, for limits and transport problems.
pub fn limit_error(message: Text, limit: &str) -> ServerError {
    let mut error = super::error::server_error(ErrorCode::BadRequest, message.localized());
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("limit", limit);
    error
}

/// Renames async-graphql's own depth and complexity errors ("Query is
/// nested too deep.") so that they name the limit hit and its variable, as
/// every other limit error does. (The schema checks both limits itself: an
/// extension that did it would wrap every field's resolution, a third of
/// the time of a large query.)
pub fn name_limit_error(error: &mut ServerError, limits: Limits) {
    let (message, limit) = match error.message.as_str() {
        "Query is nested too deep." => (
            Text::new("the query nests deeper than the depth limit of %{limit} (%{setting})")
                .arg("limit", limits.max_depth)
                .arg("setting", DEPTH_ENV),
            "depth",
        ),
        "Query is too complex." => (
            Text::new(
                "the query costs more than the complexity limit of %{limit} (%{setting}); a connection costs its page size (first or last) times what each item costs: ask for smaller pages",
            )
            .arg("limit", limits.max_complexity)
            .arg("setting", COMPLEXITY_ENV),
            "complexity",
        ),
        _ => return,
    };
    *error = limit_error(message, limit);
}
