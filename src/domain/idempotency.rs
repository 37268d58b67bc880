//! Idempotent creation: a request that carries an `Idempotency-Key` runs
//! once per caller and key; a replay with the same input gets the first
//! answer, with different input a validation failure. Shared by REST and
//! GraphQL.

use entity::idempotency_keys;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{DomainError, DomainResult, Principal, Store, now};
use crate::auth::secret;

/// A stored first answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

/// What to do with a request.
#[derive(Debug)]
pub enum Begin {
    /// Run it, then [`finish`] or [`abandon`] the claim.
    Proceed(Claim),
    /// It ran before: answer as then.
    Replay(StoredAnswer),
}

/// A claim on a key while its first request runs.
#[derive(Debug)]
pub struct Claim {
    id: Uuid,
}

fn owner(principal: &Principal) -> String {
    let (kind, id, _) = principal.audit_identity();
    format!("{kind}:{}", id.unwrap_or_default())
}

/// Claims `key` for this caller and operation, or finds its first answer.
pub async fn begin(
    db: &impl Store,
    principal: &Principal,
    key: &str,
    operation: &str,
    input: &[u8],
) -> DomainResult<Begin> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            "1 to 255 printable ASCII characters",
        ));
    }
    let owner = owner(principal);
    let hash = secret::digest(&format!("{operation}\n{}", String::from_utf8_lossy(input)));
    let claim = idempotency_keys::ActiveModel {
        id: Set(Uuid::new_v4()),
        owner: Set(owner.clone()),
        key: Set(key.to_owned()),
        operation: Set(operation.to_owned()),
        request_hash: Set(hash.clone()),
        status: Set(None),
        response: Set(None),
        created_at: Set(now()),
    };
    match claim.insert(db).await {
        Ok(row) => Ok(Begin::Proceed(Claim { id: row.id })),
        Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            let first = idempotency_keys::Entity::find()
                .filter(idempotency_keys::Column::Owner.eq(owner))
                .filter(idempotency_keys::Column::Key.eq(key))
                .one(db)
                .await?
                .ok_or_else(|| DomainError::conflict("the idempotency key is being released; retry"))?;
            if first.request_hash != hash || first.operation != operation {
                return Err(DomainError::invalid(
                    "Idempotency-Key",
                    "this key was used for another request; use a new key for new input",
                ));
            }
            match (first.status, first.response) {
                (Some(status), Some(body)) => Ok(Begin::Replay(StoredAnswer {
                    status: u16::try_from(status).unwrap_or(200),
                    body,
                })),
                _ if take_over(db, first.id).await? => Ok(Begin::Proceed(Claim { id: first.id })),
                _ => Err(DomainError::conflict(
                    "a request with this idempotency key is still running; retry shortly",
                )),
            }
        }
        Err(err) => Err(err.into()),
    }
}

/// How long a claim without an answer counts as running. A request that
/// creates ends well within it (it waits at most 10 s for a connection and
/// 10 s for SQLite's write lock); an older claim was left by a process that
/// died mid-request (a crash, a kill, a lost database), whose transaction
/// rolled back, so a retry takes the claim over instead of being told
/// forever that the first request is still running. One window stays
/// open: a process that dies after its create committed and before its
/// answer was stored makes the retry create again.
pub const CLAIM_LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Takes over a claim whose request has not answered within
/// [`CLAIM_LEASE`]; of racing retries only one succeeds.
async fn take_over(db: &impl Store, id: Uuid) -> DomainResult<bool> {
    let at = now();
    let taken = idempotency_keys::Entity::update_many()
        .col_expr(idempotency_keys::Column::CreatedAt, sea_orm::sea_query::Expr::value(at))
        .filter(idempotency_keys::Column::Id.eq(id))
        .filter(idempotency_keys::Column::Status.is_null())
        .filter(idempotency_keys::Column::CreatedAt.lt(at - CLAIM_LEASE))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Stores the first answer of a claimed key.
pub async fn finish(db: &impl Store, claim: Claim, status: u16, body: &str) -> DomainResult<()> {
    idempotency_keys::Entity::update(idempotency_keys::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(claim.id),
        status: Set(Some(i32::from(status))),
        response: Set(Some(body.to_owned())),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Releases a claim whose request failed, so that a retry runs again.
pub async fn abandon(db: &impl Store, claim: Claim) -> DomainResult<()> {
    idempotency_keys::Entity::delete_by_id(claim.id).exec(db).await?;
    Ok(())
}
