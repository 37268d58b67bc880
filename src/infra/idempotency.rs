//! Idempotent creation: a request that carries an `Idempotency-Key` runs
//! once per caller and key; a replay with the same input gets the first
//! answer, with different input a validation failure. Shared by REST and
//! GraphQL.
//!
//! The key is claimed, the resource created and the answer stored in one
//! transaction, so that they commit together or not at all: a process that
//! dies mid-request leaves no claim behind and nothing half done, and a
//! retry simply runs. A request that comes while the first one with its key
//! runs waits for it (PostgreSQL's unique index, SQLite's write lock) and
//! then gets its answer.

use entity::idempotency_keys;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, TryInsertResult};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::secret;
use crate::domain::{Caller, DomainError, DomainResult, Principal, Store, begin_write};

/// A stored first answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

impl StoredAnswer {
    /// The id of what the first request made.
    pub fn made_id(&self) -> Option<Uuid> {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["id"].as_str().and_then(|s| s.parse::<Uuid>().ok()))
    }
}

/// A creating request's key and what it asked for.
#[derive(Clone, Copy, Debug)]
struct Request<'a> {
    /// The client's `Idempotency-Key`.
    pub key: &'a str,
    /// What it does, e.g. `POST /api/v1/regions`: a key reused for another
    /// operation is refused.
    pub operation: &'a str,
    /// Its input, as sent: a key reused with other input is refused.
    pub input: &'a [u8],
}

/// What a creating request comes to.
#[derive(Debug)]
pub enum Created<T> {
    /// It ran now and made `made`, whose JSON (stored for replays) is `body`.
    New { made: T, body: String },
    /// It ran before: answer as then.
    Replay(StoredAnswer),
}

/// The status every stored answer of a create has.
const CREATED: u16 = 201;

fn owner(principal: &Principal) -> String {
    let (kind, id, _) = principal.audit_identity();
    format!("{kind}:{}", id.unwrap_or_default())
}

/// Runs `create` in a write transaction, once per caller and `key` when
/// the request carries one (`operation` and `input` are what it asked, as
/// the adapter names and reads them: a key reused for another operation or
/// other input is refused). `create` gets the transaction: whatever it
/// writes commits together with the claim on the key and the stored answer.
pub async fn create_once<T, F>(
    db: &impl Store,
    caller: &Caller,
    key: Option<&str>,
    operation: &str,
    input: &impl Serialize,
    create: F,
) -> DomainResult<Created<T>>
where
    T: Serialize,
    F: AsyncFnOnce(&DatabaseTransaction) -> DomainResult<T>,
{
    let input = match key {
        None => Vec::new(),
        Some(_) => serde_json::to_vec(input).map_err(|e| DomainError::Internal(e.into()))?,
    };
    let request = key.map(|key| Request {
        key,
        operation,
        input: &input,
    });
    if let Some(request) = request {
        check_key(request.key)?;
    }
    let txn = begin_write(db).await?;
    let claim = match request {
        None => None,
        Some(request) => match claim(&txn, caller, request).await? {
            Claimed::Now(id) => Some(id),
            Claimed::Before(answer) => {
                txn.rollback().await?;
                return Ok(Created::Replay(answer));
            }
        },
    };
    // An error drops `txn`, which rolls back the claim with the rest.
    let made = create(&txn).await?;
    let body = serde_json::to_string(&made).map_err(|e| DomainError::Internal(e.into()))?;
    if let Some(id) = claim {
        idempotency_keys::Entity::update(idempotency_keys::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id),
            status: Set(Some(i32::from(CREATED))),
            response: Set(Some(body.clone())),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Created::New { made, body })
}

fn check_key(key: &str) -> DomainResult<()> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            "1 to 255 printable ASCII characters",
        ));
    }
    Ok(())
}

enum Claimed {
    /// The key is this request's: its row (without an answer yet).
    Now(Uuid),
    /// A request with this key and input answered before.
    Before(StoredAnswer),
}

/// Claims the key inside `txn`, or finds its first answer.
async fn claim(txn: &DatabaseTransaction, caller: &Caller, request: Request<'_>) -> DomainResult<Claimed> {
    let owner = owner(&caller.principal);
    let hash = secret::digest(&format!(
        "{}\n{}",
        request.operation,
        String::from_utf8_lossy(request.input)
    ));
    let id = Uuid::new_v4();
    let row = idempotency_keys::ActiveModel {
        id: Set(id),
        owner: Set(owner.clone()),
        key: Set(request.key.to_owned()),
        operation: Set(request.operation.to_owned()),
        request_hash: Set(hash.clone()),
        status: Set(None),
        response: Set(None),
        created_at: Set(caller.now()),
    };
    // On PostgreSQL this waits while another transaction holds the same
    // key uncommitted, then inserts (it rolled back) or does nothing (it
    // committed, answer and all).
    let inserted = idempotency_keys::Entity::insert(row)
        .on_conflict_do_nothing_on([idempotency_keys::Column::Owner, idempotency_keys::Column::Key])
        .exec_without_returning(txn)
        .await?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(Claimed::Now(id));
    }
    let first = idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::Owner.eq(owner))
        .filter(idempotency_keys::Column::Key.eq(request.key))
        .one(txn)
        .await?
        // Nothing deletes a committed key; should one vanish between the
        // insert and this read all the same, a retry claims it anew.
        .ok_or_else(|| DomainError::conflict("the idempotency key changed while it was read; retry"))?;
    if first.request_hash != hash || first.operation != request.operation {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            "this key was used for another request; use a new key for new input",
        ));
    }
    match (first.status, first.response) {
        (Some(status), Some(body)) => Ok(Claimed::Before(StoredAnswer {
            status: u16::try_from(status).unwrap_or(CREATED),
            body,
        })),
        // A claim without an answer was committed by a version that
        // claimed in a transaction of its own and whose process died
        // before answering; nothing it made committed with it. Take it
        // over: of racing retries the first to update it wins, the others
        // wait for it and find its answer.
        _ => {
            let taken = idempotency_keys::Entity::update_many()
                .col_expr(
                    idempotency_keys::Column::CreatedAt,
                    sea_orm::sea_query::Expr::value(caller.now()),
                )
                .filter(idempotency_keys::Column::Id.eq(first.id))
                .filter(idempotency_keys::Column::Status.is_null())
                .exec(txn)
                .await?;
            if taken.rows_affected == 1 {
                Ok(Claimed::Now(first.id))
            } else {
                Err(DomainError::conflict(
                    "a request with this idempotency key just answered; retry to get its answer",
                ))
            }
        }
    }
}
