//! What the adapters lean on that is not a rule of the domain: request-rate
//! limits shared by every instance through the database, the store of
//! idempotency keys that makes a retried create answer as the first, the
//! storage of attachments' bytes, and the metrics Prometheus scrapes.

pub mod idempotency;
pub mod rate_limit;
pub mod storage;
pub mod telemetry;
