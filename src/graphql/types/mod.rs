//! The object types of the schema: each wraps a domain view and adds its
//! relations, loaded in batches; none decides anything.

pub mod account;
pub mod figures;
pub mod node;
pub mod plan;
pub mod reference;
pub mod report;

use serde_json::{Value, json};

/// A timestamp as the domain's cursors spell it.
pub(crate) fn time_key(t: &chrono::DateTime<chrono::Utc>) -> Value {
    json!(t.to_rfc3339())
}
