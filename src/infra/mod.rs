//! What the adapters lean on that is not a rule of the domain: request-rate
//! limits shared by every instance through the database, the store of
//! idempotency keys that makes a retried create answer as the first, and
//! the storage of attachments' bytes.

pub mod idempotency;
pub mod rate_limit;
pub mod storage;
