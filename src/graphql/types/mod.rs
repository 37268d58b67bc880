//! The object types of the schema: each wraps a domain view and adds its
//! relations, loaded in batches; none decides anything.

pub mod account;
pub mod attachment;
pub mod feed;
pub mod figures;
pub mod node;
pub mod plan;
pub mod project;
pub mod reference;
pub mod report;
pub mod supervision;
pub mod webhook;

/// A relation that is always there for whoever sees the object holding it
/// (a task's plan, a report's task); not finding it is the service's fault.
pub(crate) fn present<T>(found: Option<T>, kind: &str, id: uuid::Uuid) -> async_graphql::Result<T> {
    found.ok_or_else(|| {
        super::error::from_domain(crate::domain::DomainError::Internal(anyhow::anyhow!(
            "the {kind} {id} is not visible beside what refers to it"
        )))
    })
}
