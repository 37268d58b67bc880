//! The change feed (变更流), as REST's `/api/v1/changes` shows it.

use async_graphql::Object;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::feed::{FeedItem, FeedPage};
use crate::graphql::scalars::ChangeOp;

pub struct ChangeFeedObject(pub FeedPage);

/// A stretch of the change feed.
#[Object(name = "ChangeFeed")]
impl ChangeFeedObject {
    /// The changes after the cursor, oldest first.
    async fn items(&self) -> Vec<ChangeObject> {
        self.0.items.iter().cloned().map(ChangeObject).collect()
    }
    /// Where to resume: `after` of the next read. Given also when no change
    /// is new; it moves past changes the caller may not see.
    async fn next_cursor(&self) -> &str {
        &self.0.next_cursor
    }
}

pub struct ChangeObject(FeedItem);

/// One change of a resource.
#[Object(name = "Change")]
impl ChangeObject {
    /// Resume after this change: `after` of the next read.
    async fn cursor(&self) -> &str {
        &self.0.cursor
    }
    /// `plan`, `task`, `report`, `report_comment`, `attachment`, `event`,
    /// `project`, `urging`, `extension`, `region`, `unit`, `unit_group`,
    /// `pairing`, `unit_pairing`, `metric`, `project_category`, `user`,
    /// `integration_client`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The resource's `uuid`.
    async fn entity_id(&self) -> Uuid {
        self.0.id
    }
    /// What the change did to the resource.
    async fn op(&self) -> ChangeOp {
        self.0.op.into()
    }
    /// `create`, `update`, `delete`, or the named step of a workflow
    /// (`submit`, `approve`, `return`, `recall`, `issue`, `close` …).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The resource's version after the change (before it, for a delete).
    async fn version(&self) -> Option<i32> {
        self.0.version
    }
    /// When the change was made (UTC).
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The resource as REST shows it at that version (snake_case fields);
    /// for a delete a tombstone, `{"id": …, "deleted": true}`.
    async fn data(&self) -> async_graphql::Json<Value> {
        async_graphql::Json(self.0.data.clone())
    }
}
