//! The bounds of a GraphQL request: query depth, complexity (connections
//! priced by their page size), page size, operations per batch and body
//! size. Each has a default and an environment variable; an error names
//! the limit it hit.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::domain::ErrorCode;
use crate::domain::page::MAX_LIMIT;

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

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_page_size: u64,
    pub max_batch: usize,
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 16,
            max_complexity: 250_000,
            max_page_size: MAX_LIMIT,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok().filter(|n| *n > 0)
}

impl Limits {
    /// The defaults, each overridden by its environment variable when set
    /// to a positive number.
    pub fn from_env() -> Limits {
        let d = Limits::default();
        let size = |name, default: usize| env_number(name).map_or(default, |n| usize::try_from(n).unwrap_or(default));
        Limits {
            max_depth: size(DEPTH_ENV, d.max_depth),
            max_complexity: size(COMPLEXITY_ENV, d.max_complexity),
            max_page_size: env_number(PAGE_SIZE_ENV).map_or(d.max_page_size, |n| n.min(MAX_LIMIT)),
            max_batch: size(BATCH_ENV, d.max_batch),
            max_body_bytes: size(BODY_ENV, d.max_body_bytes),
        }
    }
}

/// A request-level error with a code, for limits and transport problems.
pub fn limit_error(message: String, limit: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", ErrorCode::BadRequest.as_str());
    extensions.set("limit", limit);
    error.extensions = Some(extensions);
    error
}

/// Checks depth and complexity after validation, naming the limit hit
/// (async-graphql's own checks say only that a query is too deep).
pub struct LimitCheck(pub Limits);

impl ExtensionFactory for LimitCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitCheckExtension(self.0))
    }
}

struct LimitCheckExtension(Limits);

#[async_graphql::async_trait::async_trait]
impl Extension for LimitCheckExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let limits = self.0;
        let mut errors = Vec::new();
        if result.depth > limits.max_depth {
            errors.push(limit_error(
                format!(
                    "the query nests {} levels deep, over the depth limit of {} ({DEPTH_ENV})",
                    result.depth, limits.max_depth
                ),
                "depth",
            ));
        }
        if result.complexity > limits.max_complexity {
            errors.push(limit_error(
                format!(
                    "the query costs {}, over the complexity limit of {} ({COMPLEXITY_ENV}); \
                     a connection costs its page size (first or last) times what each item costs: ask for smaller pages",
                    result.complexity, limits.max_complexity
                ),
                "complexity",
            ));
        }
        if errors.is_empty() { Ok(result) } else { Err(errors) }
    }
}
