//! The object types of the schema: each wraps a domain view and adds its
//! relations, loaded in batches; none decides anything.

pub mod account;
pub mod attachment;
pub mod figures;
pub mod node;
pub mod plan;
pub mod project;
pub mod reference;
pub mod report;
pub mod supervision;
