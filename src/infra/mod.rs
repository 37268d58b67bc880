//! What the adapters lean on that is not a rule of the domain: request-rate
//! limits shared by every instance through the database, and the store of
//! idempotency keys that makes a retried create answer as the first.

pub mod idempotency;
pub mod rate_limit;
