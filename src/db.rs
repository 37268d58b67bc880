//! Opening the database (SQLite or PostgreSQL), migrating it, and the one
//! way to begin a write transaction.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

/// The database when none is configured: a SQLite file beside the process.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://xietong.db";

/// How long a request waits for a PostgreSQL connection before it is
/// answered 503 (see [`connect`]).
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a PostgreSQL connection may sit idle in the pool before it is
/// checked before it is handed out.
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// An instance's databases: the primary every write goes to, and the
/// streaming replica that reads may go to (`DATABASE_READ_URL`).
#[derive(Clone, Debug)]
pub struct Databases {
    pub primary: DatabaseConnection,
    pub replica: Option<DatabaseConnection>,
}

/// Why the database could not be opened: names the URL, password masked.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the database at {url}: {reason}")]
pub struct ConnectError {
    pub url: String,
    pub reason: String,
}

/// The URL with its password replaced by `***`, fit for logs and errors.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("***")).is_ok() {
                parsed.to_string()
            } else {
                "<unparsable url>".to_owned()
            }
        }
        Ok(_) => url.to_owned(),
        Err(_) => {
            // Not a URL we can parse: show the scheme only, in case the rest
            // holds a secret.
            url.split_once("://")
                .map_or("<unparsable url>".to_owned(), |(scheme, _)| format!("{scheme}://…"))
        }
    }
}

/// A SQLite URL that creates its file when missing.
fn with_create_mode(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_owned()
    }
}

/// The most connections `DATABASE_POOL_SIZE` may ask for.
pub const MAX_POOL_SIZE: u32 = 1000;

/// Opens the database with the default number of connections
/// ([`connect_with`]).
pub async fn connect(url: &str) -> Result<DatabaseConnection, ConnectError> {
    connect_with(url, None).await
}

/// Opens the database with at most `pool_size` connections (16 for
/// PostgreSQL, 8 for SQLite when none is given). SQLite runs in WAL mode
/// with foreign keys on and waits for a busy writer instead of failing.
pub async fn connect_with(url: &str, pool_size: Option<u32>) -> Result<DatabaseConnection, ConnectError> {
    let fail = |reason: String| ConnectError {
        url: mask_url(url),
        reason,
    };
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !(url.starts_with("sqlite:") || postgres) {
        return Err(fail(
            "unsupported database: use sqlite://FILE or postgres://USER@HOST/DB".into(),
        ));
    }
    if postgres {
        // One direct attempt first: a pool would retry until its timeout
        // and then report only that it timed out.
        probe_postgres(url).await.map_err(fail)?;
    }
    let mut options = ConnectOptions::new(with_create_mode(url));
    options.sqlx_logging(false).map_sqlx_sqlite_opts(|opts| {
        opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
    });
    // How long a request waits for a connection (sea-orm's connect timeout
    // is the same pool setting). While PostgreSQL is unreachable the pool
    // keeps retrying until this runs out, so it is how long a request hangs
    // before it is answered 503: short, at the price of a 503 instead of a
    // late answer when all 16 connections stay busy for 3 s. SQLite is never
    // unreachable, only busy with one writer at a time: there a request
    // waits longer for its turn rather than fail.
    if postgres {
        options
            // A connection that sat idle in the pool for a second is checked
            // before use (one round trip): after an outage the idle
            // connections are dead, and without the check each would fail
            // one request once the database is back. A busy connection is
            // not: checking every one would add a round trip to every
            // statement (sqlx already checks each on its way back).
            .test_before_acquire_if_idle_for(POSTGRES_PING_AFTER_IDLE)
            .max_connections(pool_size.unwrap_or(16))
            .min_connections(1)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT);
    } else {
        options
            // A SQLite connection does not die while idle.
            .test_before_acquire(false)
            .max_connections(pool_size.unwrap_or(8))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10));
    }
    let db = Database::connect(options).await.map_err(|e| fail(innermost(&e)))?;
    // Fail now, not at the first request, when the server is unreachable.
    db.ping().await.map_err(|e| fail(innermost(&e)))?;
    Ok(db)
}

/// The message of the deepest cause of an error: sea-orm wraps sqlx's
/// errors and repeats their text at each level.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// Opens and closes one PostgreSQL connection, for a clear error at start.
async fn probe_postgres(url: &str) -> Result<(), String> {
    use sea_orm::sqlx::Connection;
    use sea_orm::sqlx::postgres::PgConnection;
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await {
        Err(_) => Err("no answer within 5 s".into()),
        Ok(Err(err)) => Err(innermost(&err)),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
    }
}

/// Applies every pending migration, then fills in what the service
/// computes for migrated rows (values in their metric's unit); a second run
/// changes nothing.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    crate::domain::metric::normalize_stored(db)
        .await
        .map_err(|e| DbErr::Custom(format!("values in their metric's unit: {e}")))?;
    crate::domain::leader::link_stored(db)
        .await
        .map_err(|e| DbErr::Custom(format!("tasks linked to their leaders: {e}")))?;
    crate::domain::figures::fill_missing(db)
        .await
        .map_err(|e| DbErr::Custom(format!("tasks' kept figures: {e}")))?;
    Ok(())
}

/// Gives SQLite's query planner statistics where it has none or where a
/// table has grown or shrunk tenfold since they were taken (`PRAGMA
/// optimize` over every table, each `ANALYZE` bounded by SQLite's own
/// analysis limit, so it is quick on a large file). Without them SQLite
/// guesses its join orders: a plan's progress took 93 ms instead of 28 at
/// 10,000 tasks (BENCHMARKS.md). A database that grows by use is never
/// analyzed otherwise; the scheduler calls this each round. PostgreSQL's
/// autovacuum keeps its statistics itself: nothing to do there.
pub async fn optimize(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        // 0x10000: check every table, not only those this connection read;
        // 0x10: bound each ANALYZE; 0x02: analyze what would benefit.
        db.execute_unprepared("PRAGMA optimize=0x10012").await?;
    }
    Ok(())
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// How far a replica's replay is behind its primary.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ReplicaLag {
    /// The primary's WAL the replica has yet to replay, in bytes.
    pub lag_bytes: i64,
    /// While it is behind, the seconds since it last replayed a
    /// transaction; 0 when it has caught up.
    pub lag_seconds: f64,
}

/// Measures `replica`'s lag behind `primary` (both PostgreSQL). A replica
/// that is not in recovery (a primary named as its own replica) has none.
pub async fn replica_lag(primary: &DatabaseConnection, replica: &DatabaseConnection) -> Result<ReplicaLag, DbErr> {
    let backend = DatabaseBackend::Postgres;
    let position = primary
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT pg_current_wal_lsn()::text AS lsn",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the primary gave no WAL position".to_owned()))?
        .try_get::<String>("", "lsn")?;
    let row = replica
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT COALESCE(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint AS lag_bytes, \
             COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)::float8 AS age",
            [position.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the replica gave no replay position".to_owned()))?;
    let lag_bytes = row.try_get::<i64>("", "lag_bytes")?.max(0);
    let age = row.try_get::<f64>("", "age")?;
    Ok(ReplicaLag {
        lag_bytes,
        lag_seconds: if lag_bytes > 0 { age.max(0.0) } else { 0.0 },
    })
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
/// then writes can fail with `SQLITE_BUSY` without waiting.
pub async fn begin_write<C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>>(
    db: &C,
) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
        }
        _ => db.begin().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_url("postgres://app:s3cret@db.example:5432/xietong"),
            "postgres://app:***@db.example:5432/xietong"
        );
        assert_eq!(
            mask_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(mask_url("sqlite://xietong.db"), "sqlite://xietong.db");
    }
}
