//! The change feed (变更流): every create, update and delete of a resource,
//! in one total order, for platforms that keep a copy of what they may see.
//!
//! A change is written by [`super::audit::record`], in the transaction of the
//! change itself, with its number left empty. [`sequence`] numbers the
//! committed changes that have none, in the order they were written, after
//! every number already given, one sequencer at a time (a transaction-level
//! advisory lock on PostgreSQL; SQLite has one writer). A change is numbered
//! only once it is committed, so a reader that resumes after a number never
//! misses one that commits later, whatever order the writers committed in;
//! and two changes of one resource are numbered in the order they were made
//! (the second writer waited for the first's row). Readers number what is
//! waiting, on the primary, before they read; a reader on a streaming
//! replica then reads the numbered changes it has replayed, which are
//! always the first ones (a number commits with every number before it).
//!
//! Who may read a change is decided when it is written ([`Scope`]), so that
//! a deleted row stays visible to those who saw it and to no one else.
//! Changes are kept [`DEFAULT_RETENTION_DAYS`] days (`XIETONG_CHANGES_RETENTION_DAYS`);
//! a cursor older than the oldest change kept answers `CURSOR_EXPIRED`.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use entity::{change_regions, changes, plans, reports, tasks};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{Action, Change};
use super::authz::{self, Visibility};
use super::{Caller, DomainError, DomainResult, Store, begin_write};
use crate::domain::Text;

/// How long changes are kept when no setting says.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// The most changes one read answers.
pub const MAX_LIMIT: u64 = 500;

/// How many changes a read answers when not told.
pub const DEFAULT_LIMIT: u64 = 100;

/// Who may read a change, besides administrators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Shared reference data (regions, units, pairings, metrics, the
    /// chronicle): whoever may read it.
    Everyone,
    /// Accounts (users, integration clients): administrators only.
    Admins,
    /// A plan and what hangs on it: those who read everything, and the
    /// coordinators and unit users of the scope's regions (and of its unit).
    Regions,
    /// A report and its thread: those who read everything, the
    /// coordinators of the scope's regions and the users of its unit.
    Coordinated,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Everyone => "everyone",
            Audience::Admins => "admins",
            Audience::Regions => "regions",
            Audience::Coordinated => "coordinated",
        }
    }
}

/// The scope stored with a change, and the plan and pairing it concerns
/// (what webhooks filter on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Scope {
    pub audience: Audience,
    pub regions: BTreeSet<Uuid>,
    pub unit: Option<Uuid>,
    pub plan: Option<Uuid>,
    pub pairing: Option<Uuid>,
}

impl Scope {
    fn of(audience: Audience) -> Scope {
        Scope {
            audience,
            regions: BTreeSet::new(),
            unit: None,
            plan: None,
            pairing: None,
        }
    }

    /// A plan's, or what hangs on it: its regions, its pairing.
    async fn of_plan<C: ConnectionTrait>(conn: &C, audience: Audience, plan: Option<Uuid>) -> DomainResult<Scope> {
        let found = match plan {
            Some(id) => plans::Entity::find_by_id(id).one(conn).await?,
            None => None,
        };
        Ok(match found {
            Some(plan) => Scope {
                regions: authz::plan_regions(conn, &plan).await?.into_iter().collect(),
                plan: Some(plan.id),
                pairing: plan.pairing_id,
                ..Scope::of(audience)
            },
            None => Scope::of(audience),
        })
    }

    /// A task's, or what hangs on it.
    async fn of_task<C: ConnectionTrait>(conn: &C, audience: Audience, task: Option<Uuid>) -> DomainResult<Scope> {
        let plan = match task {
            Some(id) => tasks::Entity::find_by_id(id).one(conn).await?.map(|t| t.plan_id),
            None => None,
        };
        Scope::of_plan(conn, audience, plan).await
    }

    /// A pairing's (a project's, say).
    async fn of_pairing<C: ConnectionTrait>(conn: &C, audience: Audience, pairing: Uuid) -> DomainResult<Scope> {
        Ok(Scope {
            regions: authz::pairing_regions(conn, pairing).await?.into_iter().collect(),
            pairing: Some(pairing),
            ..Scope::of(audience)
        })
    }
}

/// What a change did to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Created,
    Updated,
    Deleted,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Created => "created",
            Op::Updated => "updated",
            Op::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Op {
        match text {
            "created" => Op::Created,
            "deleted" => Op::Deleted,
            _ => Op::Updated,
        }
    }
}

/// Writes `change` to the feed in the transaction that makes it. Changes
/// that are not of a resource (a sign-in, a secret rotated, a reminder
/// sent, a notification read) are not in the feed.
pub(super) async fn write<C: ConnectionTrait>(conn: &C, at: DateTime<Utc>, change: &Change) -> DomainResult<()> {
    let Some(entity_id) = change.entity_id else {
        return Ok(());
    };
    let (op, data, source) = match (change.action, &change.before, &change.after) {
        (Action::Create, _, Some(after)) => (Op::Created, after.clone(), after),
        (Action::Delete, Some(before), _) => (Op::Deleted, json!({ "id": entity_id, "deleted": true }), before),
        (Action::Update | Action::Transition(_), _, Some(after)) => (Op::Updated, after.clone(), after),
        _ => return Ok(()),
    };
    let Some(scope) = scope(conn, change.entity, source).await? else {
        return Ok(());
    };
    let version = source
        .get("version")
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    let written = changes::ActiveModel {
        seq: Set(None),
        at: Set(at),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(entity_id),
        op: Set(op.as_str().to_owned()),
        action: Set(change.action.as_str().to_owned()),
        version: Set(version),
        data: Set(data),
        audience: Set(scope.audience.as_str().to_owned()),
        unit_id: Set(scope.unit),
        plan_id: Set(scope.plan),
        pairing_id: Set(scope.pairing),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    super::webhook::enqueue(
        conn,
        super::webhook::Told {
            at,
            entity: change.entity,
            id: entity_id,
            op,
            action: change.action.as_str(),
            version,
            data: &written.data,
            scope: &scope,
        },
    )
    .await?;
    if !scope.regions.is_empty() {
        change_regions::Entity::insert_many(scope.regions.iter().map(|region| change_regions::ActiveModel {
            change_id: Set(written.id),
            region_id: Set(*region),
        }))
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// An id field of a view as written to the log.
fn id_field(view: &Value, field: &str) -> Option<Uuid> {
    view.get(field)
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// Who may read a change of `entity` whose resource reads `view`; none
/// for what is not in the feed.
async fn scope<C: ConnectionTrait>(conn: &C, entity: &str, view: &Value) -> DomainResult<Option<Scope>> {
    use Audience::{Coordinated, Regions};
    Ok(Some(match entity {
        "region" | "unit" | "unit_group" | "unit_pairing" | "metric" | "project_category" => {
            Scope::of(Audience::Everyone)
        }
        "pairing" | "event" => Scope {
            pairing: id_field(view, if entity == "pairing" { "id" } else { "pairing_id" }),
            ..Scope::of(Audience::Everyone)
        },
        "user" | "integration_client" | "client_grant" => Scope::of(Audience::Admins),
        "plan" => Scope::of_plan(conn, Regions, id_field(view, "id")).await?,
        "task" => Scope::of_plan(conn, Regions, id_field(view, "plan_id")).await?,
        "urging" | "extension" => Scope::of_task(conn, Regions, id_field(view, "task_id")).await?,
        "report" => Scope {
            unit: id_field(view, "unit_id"),
            ..Scope::of_task(conn, Coordinated, id_field(view, "task_id")).await?
        },
        "report_comment" => report_scope(conn, id_field(view, "report_id")).await?,
        "project" => project_scope(conn, id_field(view, "id"), view).await?,
        "attachment" => {
            let parent = id_field(view, "parent_id");
            match view.get("parent_type").and_then(Value::as_str) {
                Some("report") => report_scope(conn, parent).await?,
                Some("plan") => Scope::of_plan(conn, Regions, parent).await?,
                Some("project") => project_scope(conn, parent, &Value::Null).await?,
                Some("pairing") => Scope {
                    pairing: parent,
                    ..Scope::of(Audience::Everyone)
                },
                Some("event") => match parent {
                    Some(id) => Scope {
                        pairing: entity::events::Entity::find_by_id(id)
                            .one(conn)
                            .await?
                            .map(|e| e.pairing_id),
                        ..Scope::of(Audience::Everyone)
                    },
                    None => Scope::of(Audience::Everyone),
                },
                _ => Scope::of(Audience::Everyone),
            }
        }
        _ => return Ok(None),
    }))
}

/// A report's: its plan's coordinators and its unit.
async fn report_scope<C: ConnectionTrait>(conn: &C, report: Option<Uuid>) -> DomainResult<Scope> {
    let found = match report {
        Some(id) => reports::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    Ok(match found {
        Some(report) => Scope {
            unit: Some(report.unit_id),
            ..Scope::of_task(conn, Audience::Coordinated, Some(report.task_id)).await?
        },
        None => Scope::of(Audience::Coordinated),
    })
}

/// A project's: its pairing's regions and its implementing unit, from
/// `view` when it says them, else from the row.
async fn project_scope<C: ConnectionTrait>(conn: &C, project: Option<Uuid>, view: &Value) -> DomainResult<Scope> {
    let (pairing, unit) = match (id_field(view, "pairing_id"), id_field(view, "implementing_unit_id")) {
        (Some(pairing), unit) => (Some(pairing), unit),
        _ => match project {
            Some(id) => match entity::projects::Entity::find_by_id(id).one(conn).await? {
                Some(p) => (Some(p.pairing_id), Some(p.implementing_unit_id)),
                None => (None, None),
            },
            None => (None, None),
        },
    };
    let mut scope = match pairing {
        Some(pairing) => Scope::of_pairing(conn, Audience::Regions, pairing).await?,
        None => Scope::of(Audience::Regions),
    };
    scope.unit = unit;
    if let Some(plan) = id_field(view, "plan_id") {
        scope.plan = Some(plan);
    }
    Ok(scope)
}

/// The key of the PostgreSQL advisory lock the sequencer holds ("xtfeed").
const SEQUENCER_LOCK: i64 = 0x7874_6665_6564;

/// Numbers the committed changes that have no number yet, in the order
/// they were written, after every number given. Returns how many. When
/// another instance is numbering (PostgreSQL), leaves it to that one.
pub async fn sequence<C: Store>(db: &C) -> DomainResult<u64> {
    let waiting = changes::Entity::find()
        .filter(changes::Column::Seq.is_null())
        .select_only()
        .column(changes::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let txn = begin_write(db).await?;
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        #[derive(FromQueryResult)]
        struct Locked {
            locked: bool,
        }
        let locked = Locked::find_by_statement(Statement::from_sql_and_values(
            backend,
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            [SEQUENCER_LOCK.into()],
        ))
        .one(&txn)
        .await?
        .is_some_and(|l| l.locked);
        if !locked {
            txn.rollback().await?;
            return Ok(0);
        }
    }
    let numbered = txn
        .execute_unprepared(
            "UPDATE changes SET seq = numbered.n \
             FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) + (SELECT COALESCE(MAX(seq), 0) FROM changes) AS n \
                   FROM changes WHERE seq IS NULL) AS numbered \
             WHERE changes.id = numbered.id",
        )
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(numbered)
}

/// One change, as the feed shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    /// Resume after this change: `after` of the next read.
    #[schema(example = "1024")]
    pub cursor: String,
    /// `plan`, `task`, `report`, `report_comment`, `attachment`, `event`,
    /// `project`, `urging`, `extension`, `region`, `unit`, `unit_group`,
    /// `pairing`, `unit_pairing`, `metric`, `project_category`, `user`,
    /// `integration_client`.
    #[schema(example = "report")]
    pub entity: String,
    pub id: Uuid,
    pub op: Op,
    /// `create`, `update`, `delete`, or the named step of a workflow
    /// (`submit`, `approve`, `return`, `recall`, `issue`, `close` …).
    #[schema(example = "submit")]
    pub action: String,
    /// The resource's version after the change (before it, for a delete).
    pub version: Option<i32>,
    pub at: DateTime<Utc>,
    /// The resource as it read at that version; for a delete a tombstone,
    /// `{"id": …, "deleted": true}`.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A stretch of the feed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Where to resume: `after` of the next read. Given also when no change
    /// is new; it moves past changes the caller may not see.
    #[schema(example = "1024")]
    pub next_cursor: String,
}

/// Parses a cursor of the feed (a change's number, `0` before the first).
fn cursor(text: Option<&str>) -> DomainResult<i64> {
    match text {
        None => Ok(0),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|_| (1..=18).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| DomainError::invalid("after", "must be a cursor of the change feed (`next_cursor`)")),
    }
}

/// The highest and lowest numbers given.
async fn bounds<C: ConnectionTrait>(conn: &C) -> DomainResult<(i64, i64)> {
    let (low, high) = changes::Entity::find()
        .select_only()
        .column_as(changes::Column::Seq.min(), "low")
        .column_as(changes::Column::Seq.max(), "high")
        .into_tuple::<(Option<i64>, Option<i64>)>()
        .one(conn)
        .await?
        .unwrap_or((None, None));
    Ok((low.unwrap_or(0), high.unwrap_or(0)))
}

/// How many changes a read asked for as `field` answers: 1 to
/// [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when not said.
pub fn limit(field: &str, asked: Option<i64>) -> DomainResult<u64> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(n) => u64::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                DomainError::invalid(field, Text::new("must be between 1 and %{max}").arg("max", MAX_LIMIT))
            }),
    }
}

/// The changes after `after` that the caller may see, oldest first, at most
/// `limit` ([`limit`]), read from `db` (the primary, or a replica of it)
/// once `primary` has numbered what waits.
pub async fn read<P: Store, C: Store>(
    primary: &P,
    db: &C,
    caller: &Caller,
    after: Option<&str>,
    limit: u64,
) -> DomainResult<FeedPage> {
    authz::require_reader(&caller.principal)?;
    let after = cursor(after)?;
    sequence(primary).await?;
    let (low, head) = bounds(db).await?;
    if after > head {
        // A replica that has not replayed the change a cursor names yet:
        // nothing new for now.
        if after <= bounds(primary).await?.1 {
            return Ok(FeedPage {
                items: Vec::new(),
                next_cursor: after.to_string(),
            });
        }
        return Err(DomainError::invalid(
            "after",
            "names no change of this feed: use a `next_cursor` it gave",
        ));
    }
    // Numbers have no gaps and the newest change is always kept: a cursor
    // before the oldest kept has lost changes.
    if low > 0 && after < low - 1 {
        return Err(DomainError::CursorExpired(
            Text::new("changes after cursor %{after} are no longer kept: note cursor %{head}, read the resources again, then follow the feed from it")
                .arg("after", after)
                .arg("head", head),
        ));
    }
    let sight = Visibility::of(db, &caller.principal).await?;
    let rows = changes::Entity::find()
        .filter(changes::Column::Seq.gt(after))
        .filter(changes::Column::Seq.lte(head))
        .filter(sight.changes())
        .order_by_asc(changes::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    let next = match rows.last() {
        Some(last) if rows.len() as u64 == limit => last.seq.unwrap_or(head),
        _ => head,
    };
    Ok(FeedPage {
        items: rows
            .into_iter()
            .map(|row| FeedItem {
                cursor: row.seq.unwrap_or_default().to_string(),
                entity: row.entity,
                id: row.entity_id,
                op: Op::parse(&row.op),
                action: row.action,
                version: row.version,
                at: row.at,
                data: row.data,
            })
            .collect(),
        next_cursor: next.to_string(),
    })
}

/// Removes the changes older than `keep` as of `now`, the newest aside
/// (numbers go on from it). Returns how many went.
pub async fn prune<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, keep: TimeDelta) -> DomainResult<u64> {
    let (_, head) = bounds(conn).await?;
    let removed = changes::Entity::delete_many()
        .filter(changes::Column::Seq.is_not_null())
        .filter(changes::Column::Seq.lt(head))
        .filter(changes::Column::At.lt(now - keep))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(removed)
}
