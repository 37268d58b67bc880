//! The domain core: every rule and every permission check of xietong lives
//! here. REST, GraphQL and the CLI turn their input into these types, call
//! one service function with the acting [`Caller`], and show what it returns.

pub mod attachment;
pub mod audit;
pub mod authz;
pub mod bulletin;
pub mod calendar;
pub mod client;
pub mod clock;
pub mod comment;
pub mod error;
pub mod event;
pub mod extension;
pub mod external;
pub mod feed;
pub mod figures;
pub mod leader;
pub mod light;
pub mod metric;
pub mod names;
pub mod notification;
pub mod page;
pub mod pairing;
pub mod plan;
pub mod principal;
pub mod progress;
pub mod project;
pub mod region;
pub mod reminder;
pub mod report;
pub mod statistics;
pub mod task;
pub mod text;
pub mod unit;
pub mod units;
pub mod urging;
pub mod user;
pub mod values;
pub mod webhook;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};

pub use clock::Clock;
pub use error::{DomainError, DomainResult, ErrorCode, FieldError, Invalid, PublicError, no_such};
pub use principal::{ClientPrincipal, Principal, UserPrincipal};
pub use text::{Locale, Text};

/// The acting principal of a call, where the call came from (for
/// authorization and the audit log), and the clock it acts by.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub clock: Clock,
}

impl Caller {
    /// The service itself, acting from its command line.
    pub fn system() -> Caller {
        Caller::new(Principal::System)
    }

    pub fn new(principal: Principal) -> Caller {
        Caller {
            principal,
            request_id: None,
            client_addr: None,
            clock: Clock::system(),
        }
    }

    /// The time of the call ([`Clock::now`]).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The day in China of the call ([`Clock::today`]).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }
}

/// What a domain write goes through: the connection pool, or a
/// transaction already open (an import's), in which each write is a
/// savepoint, so that many writes commit or vanish together.
pub trait Store: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Send + Sync {}

impl<T: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Send + Sync> Store for T {}

/// Opens the transaction of a write: `BEGIN IMMEDIATE` on SQLite, so that
/// concurrent writers wait for each other instead of failing mid-way; a
/// savepoint inside an open transaction.
pub async fn begin_write<C: Store>(db: &C) -> Result<DatabaseTransaction, DbErr> {
    crate::db::begin_write(db).await
}

/// The view a batch builder made of the one row it was given: it makes one
/// view per row, so none is an internal error.
pub fn only<T>(mut views: Vec<T>, what: &str) -> DomainResult<T> {
    views
        .pop()
        .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("{what} view lost")))
}

/// Row `id` of `E`, or [`DomainError::NotFound`] naming it `entity`: the
/// lookup by id under every read and change of a row.
pub async fn row<E>(conn: &impl ConnectionTrait, entity: &'static str, id: uuid::Uuid) -> DomainResult<E::Model>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    E::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::not_found(entity, id))
}

/// Row `id` of `E`, still at the version the caller read (`version` reads
/// a row's): the start of every change to a row that has no visibility of
/// its own (reference data, users). A row that is not there is not found;
/// one that moved on is a version conflict.
pub async fn row_for_change<E>(
    txn: &DatabaseTransaction,
    entity: &'static str,
    id: uuid::Uuid,
    expected: i32,
    version: impl Fn(&E::Model) -> i32,
) -> DomainResult<E::Model>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    let row = self::row::<E>(txn, entity, id).await?;
    expect_version(entity, id, expected, version(&row))?;
    Ok(row)
}

/// Fails with [`DomainError::VersionConflict`] unless the row is still at
/// the version the caller read.
pub fn expect_version(entity: &'static str, id: uuid::Uuid, expected: i32, current: i32) -> DomainResult<()> {
    if expected == current {
        Ok(())
    } else {
        Err(DomainError::VersionConflict {
            entity,
            id: id.to_string(),
            expected,
            current,
        })
    }
}

/// Maps the error of an `UPDATE … WHERE version = expected` that changed no
/// row (another writer came first) to a version conflict.
pub fn lost_update(entity: &'static str, id: uuid::Uuid, expected: i32) -> impl FnOnce(DbErr) -> DomainError {
    move |err| match err {
        DbErr::RecordNotUpdated => DomainError::VersionConflict {
            entity,
            id: id.to_string(),
            expected,
            current: expected + 1,
        },
        other => other.into(),
    }
}
