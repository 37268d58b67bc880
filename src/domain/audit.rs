//! The audit log: who changed what, when, from where. Written in the same
//! transaction as the change it records, never edited afterwards.

use entity::audit_entry;
use std::sync::LazyLock;

use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, Set};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use uuid::Uuid;

use super::{Caller, DomainError, DomainResult};

/// What happened to an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// A named state change: `issue`, `submit`, `approve`, `return` …
    Transition(&'static str),
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Transition(name) => name,
        }
    }
}

/// Serializes a view for the log.
pub fn snapshot<T: Serialize>(view: &T) -> DomainResult<Value> {
    serde_json::to_value(view).map_err(|e| DomainError::Internal(e.into()))
}

/// Keeps only the fields that differ between `before` and `after`, so that
/// an entry says what changed and not the whole row twice. `version` and
/// `updated_at` change on every write and say nothing; `overdue` is derived
/// from the clock, not changed by anyone.
fn changed_fields(before: &Value, after: &Value) -> (Value, Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut old = Map::new();
            let mut new = Map::new();
            for (key, new_value) in a {
                if matches!(key.as_str(), "version" | "updated_at" | "overdue") {
                    continue;
                }
                let old_value = b.get(key).unwrap_or(&Value::Null);
                if old_value != new_value {
                    old.insert(key.clone(), old_value.clone());
                    new.insert(key.clone(), new_value.clone());
                }
            }
            // The version a change produced names it (an ETag, an event).
            if !new.is_empty()
                && let (Some(was), Some(is)) = (b.get("version"), a.get("version"))
                && was != is
            {
                old.insert("version".into(), was.clone());
                new.insert("version".into(), is.clone());
            }
            (Value::Object(old), Value::Object(new))
        }
        _ => (before.clone(), after.clone()),
    }
}

/// One change to record: what happened to which entity, and the entity as
/// it read before and after (as the API shows it).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub(super) action: Action,
    pub(super) entity: &'static str,
    pub(super) entity_id: Option<Uuid>,
    pub(super) before: Option<Value>,
    pub(super) after: Option<Value>,
}

impl Change {
    /// Something happened to an entity whose fields are not recorded
    /// (a sign-in, a secret rotated).
    pub fn bare(action: Action, entity: &'static str, entity_id: Option<Uuid>) -> Change {
        Change {
            action,
            entity,
            entity_id,
            before: None,
            after: None,
        }
    }

    pub fn created<T: Serialize>(entity: &'static str, entity_id: Option<Uuid>, after: &T) -> DomainResult<Change> {
        Ok(Change {
            after: Some(snapshot(after)?),
            ..Change::bare(Action::Create, entity, entity_id)
        })
    }

    pub fn updated<B: Serialize, A: Serialize>(
        entity: &'static str,
        entity_id: Option<Uuid>,
        before: &B,
        after: &A,
    ) -> DomainResult<Change> {
        Change::between(Action::Update, entity, entity_id, before, after)
    }

    pub fn deleted<T: Serialize>(entity: &'static str, entity_id: Option<Uuid>, before: &T) -> DomainResult<Change> {
        Ok(Change {
            before: Some(snapshot(before)?),
            ..Change::bare(Action::Delete, entity, entity_id)
        })
    }

    /// A named state change (`issue`, `submit`, `approve` …).
    pub fn transition<B: Serialize, A: Serialize>(
        name: &'static str,
        entity: &'static str,
        entity_id: Option<Uuid>,
        before: &B,
        after: &A,
    ) -> DomainResult<Change> {
        Change::between(Action::Transition(name), entity, entity_id, before, after)
    }

    fn between<B: Serialize, A: Serialize>(
        action: Action,
        entity: &'static str,
        entity_id: Option<Uuid>,
        before: &B,
        after: &A,
    ) -> DomainResult<Change> {
        Ok(Change {
            before: Some(snapshot(before)?),
            after: Some(snapshot(after)?),
            ..Change::bare(action, entity, entity_id)
        })
    }
}

/// The PostgreSQL channel a commit of a followed change is announced on, to
/// the subscriptions of every instance.
pub const CHANNEL: &str = "xietong_changes";

/// The entities whose changes subscriptions follow (urgings, requests for
/// more time and reminders write notifications; so do reports).
const FOLLOWED: &[&str] = &["report", "task", "urging", "extension", "reminder", "project"];

/// Writes committed by this process, counted; what its subscriptions wait
/// on (on SQLite the only way to be told; on PostgreSQL sooner than the
/// notification).
static COMMITTED: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Told of every write this process commits from now on.
pub fn committed() -> watch::Receiver<u64> {
    COMMITTED.subscribe()
}

/// Ends a write: records `change` in the write's transaction, then
/// commits, so that the record and the change stand or fall together.
/// Every write of the domain ends here, whichever adapter asked; the change
/// feed is written in the same transaction ([`record`]). A change
/// subscriptions follow is announced in the transaction (PostgreSQL's
/// `NOTIFY` is delivered at commit, to every instance) and to this process
/// once committed.
pub async fn commit(txn: DatabaseTransaction, caller: &Caller, change: Change) -> DomainResult<()> {
    let followed = FOLLOWED.contains(&change.entity);
    record(&txn, caller, change).await?;
    if followed && txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    txn.commit().await?;
    if followed {
        COMMITTED.send_modify(|n| *n = n.wrapping_add(1));
    }
    Ok(())
}

/// Records one change in a transaction that goes on: in the audit log and,
/// for a change of a resource, in the change feed ([`super::feed`]).
pub async fn record<C: ConnectionTrait>(conn: &C, caller: &Caller, change: Change) -> DomainResult<()> {
    // Boxed: every write ends here, and the feed's future (the change's
    // scope, its outbox) would otherwise be part of each write's.
    Box::pin(super::feed::write(conn, caller.now(), &change)).await?;
    super::light::kept::forget_changed(conn, &change).await?;
    let Change {
        action,
        entity,
        entity_id,
        before,
        after,
    } = change;
    let changes = match (&before, &after) {
        (Some(b), Some(a)) => {
            let (old, new) = changed_fields(b, a);
            json!({ "before": old, "after": new })
        }
        _ => json!({ "before": before, "after": after }),
    };
    let (actor_kind, actor_id, actor_name) = caller.principal.audit_identity();
    audit_entry::ActiveModel {
        id: Set(Uuid::new_v4()),
        occurred_at: Set(caller.now()),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        actor_name: Set(actor_name),
        actor_role: Set(Some(caller.principal.role().as_str().to_owned())),
        action: Set(action.as_str().to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        changes: Set(changes),
        request_id: Set(caller.request_id.clone()),
        client_addr: Set(caller.client_addr.clone()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_kept_with_the_version_they_made() {
        let before = json!({"name": "渝中区", "code": "500103", "version": 1, "updated_at": "a"});
        let after = json!({"name": "渝中区", "code": "500104", "version": 2, "updated_at": "b"});
        let (old, new) = changed_fields(&before, &after);
        assert_eq!(old, json!({"code": "500103", "version": 1}));
        assert_eq!(new, json!({"code": "500104", "version": 2}));
        // Nothing but the version: nothing changed.
        let touched = json!({"name": "渝中区", "code": "500103", "version": 2});
        assert_eq!(changed_fields(&before, &touched), (json!({}), json!({})));
    }
}

/// An entry of the audit log as the service shows it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// `user`, `client` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    /// `{"before": {…}, "after": {…}}`: the fields that changed.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

impl From<audit_entry::Model> for AuditEntry {
    fn from(m: audit_entry::Model) -> AuditEntry {
        AuditEntry {
            id: m.id,
            occurred_at: m.occurred_at,
            actor_kind: m.actor_kind,
            actor_id: m.actor_id,
            actor_name: m.actor_name,
            actor_role: m.actor_role,
            action: m.action,
            entity: m.entity,
            entity_id: m.entity_id,
            changes: m.changes,
            request_id: m.request_id,
            client_addr: m.client_addr,
        }
    }
}

/// Which entries to list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
}

/// The audit log, newest first: for administrators and viewers.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: AuditFilter,
    page: &super::page::PageRequest,
) -> DomainResult<super::page::Page<AuditEntry>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let allowed = matches!(caller.principal, super::Principal::System)
        || matches!(&caller.principal, super::Principal::User(u) if matches!(u.role, super::values::Role::Admin | super::values::Role::Viewer));
    if !allowed {
        return Err(DomainError::forbidden(
            "only administrators and viewers read the audit log",
        ));
    }
    let mut query = audit_entry::Entity::find();
    if let Some(entity) = filter.entity {
        query = query.filter(audit_entry::Column::Entity.eq(entity));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(audit_entry::Column::EntityId.eq(id));
    }
    if let Some(id) = filter.actor_id {
        query = query.filter(audit_entry::Column::ActorId.eq(id));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_entry::Column::Action.eq(action));
    }
    let sort = super::page::Sort::<audit_entry::Entity> {
        column: audit_entry::Column::OccurredAt,
        id: audit_entry::Column::Id,
        descending: true,
        key_of: |m| (Value::String(m.occurred_at.to_rfc3339()), m.id),
        value_of: super::page::timestamp_value,
    };
    Ok(super::page::fetch(conn, query, &sort, page)
        .await?
        .map(AuditEntry::from))
}
