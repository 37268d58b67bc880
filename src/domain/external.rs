//! Platforms' own ids (`external_id`) and the upsert by them
//! (`PUT /api/v1/{resource}/by-external-id/{external_id}`).
//!
//! An external id is unique per client: a platform names its rows by its
//! own ids and never meets another platform's. One set by a person (an
//! import's ledger number, an office's own) belongs to no client. An upsert
//! finds the caller's row by its external id: none, and it is created as a
//! `POST` would create it; one, and it is replaced as a `PATCH` naming every
//! field would change it — unless nothing would change, when it answers
//! the row as it is without writing (so retries of one request leave one
//! row at one version). Two upserts of one new id racing each other: the
//! second's insert meets the unique index, and it starts again and finds
//! the first's row.

use std::future::Future;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use super::error::Validator;
use super::{Caller, DomainError, DomainResult, Principal, Store, begin_write};
use crate::domain::Text;

/// The longest external id.
pub const MAX_LEN: usize = 100;

/// How many times an upsert starts again after losing a race for a new id.
const ATTEMPTS: usize = 3;

/// What [`check`] accepts, for the API documents: 1 to [`MAX_LEN`]
/// characters, none a control character, no space at either end.
pub const PATTERN: &str = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\s\x00-\x1f\x7f-\x9f])?$";

super::values::documented_string!(
    /// A platform's own id, as [`check`] accepts it.
    ExternalIdText: "A platform's own id: 1 to 100 characters, no control character, no space at either end.", pattern PATTERN
);

/// Checks an external id as a body or a path gives it ([`PATTERN`]).
pub fn check(v: &mut Validator, field: &str, external_id: Option<&str>) {
    if let Some(id) = external_id {
        let space = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || c == '\u{feff}');
        v.check(
            !space(id.chars().next()) && !space(id.chars().last()),
            field,
            "must not be empty nor start or end with a space",
        );
        v.check(
            !id.chars().any(char::is_control),
            field,
            "must not hold control characters",
        );
        v.optional_text(field, Some(id), MAX_LEN);
    }
}

/// The client whose namespace the caller's external ids are in: its own
/// for a client, none (the office's) for a person or the service.
pub fn namespace(caller: &Caller) -> Option<Uuid> {
    match &caller.principal {
        Principal::Client(client) => Some(client.id),
        _ => None,
    }
}

/// A resource that platforms keep by their own ids.
pub trait Upsert: Clone + Send + Sync {
    /// The resource as the service shows it.
    type View: Serialize + Send;
    /// Its table (`plans`, …) and its name in messages (`plan`, …).
    const TABLE: &'static str;
    const ENTITY: &'static str;

    /// The body's external id: what it names, where the path's is put.
    fn external_id_mut(&mut self) -> &mut Option<String>;
    /// The version of a view (its `ETag`).
    fn version(view: &Self::View) -> i32;

    /// Creates it, as `POST` does.
    fn create(
        self,
        txn: &DatabaseTransaction,
        caller: &Caller,
    ) -> impl Future<Output = DomainResult<Self::View>> + Send;
    /// Reads row `id` as the caller may see it.
    fn read(
        txn: &DatabaseTransaction,
        caller: &Caller,
        id: Uuid,
    ) -> impl Future<Output = DomainResult<Self::View>> + Send;
    /// Replaces row `id`, read at `version`, with this body.
    fn replace(
        self,
        txn: &DatabaseTransaction,
        caller: &Caller,
        id: Uuid,
        version: i32,
    ) -> impl Future<Output = DomainResult<Self::View>> + Send;
}

/// Creates or replaces the caller's `R` with external id `external_id`;
/// answers it and whether it was created. `if_match`, when sent, must be
/// the version of the row there is (and there must be one).
pub async fn upsert<R: Upsert>(
    db: &impl Store,
    caller: &Caller,
    external_id: &str,
    if_match: Option<i32>,
    mut body: R,
) -> DomainResult<(R::View, bool)> {
    let mut v = Validator::new();
    check(&mut v, "external_id", Some(external_id));
    let slot = body.external_id_mut();
    if let Some(given) = slot.as_deref() {
        v.check(
            given == external_id,
            "external_id",
            "names another external id than the path: leave it out or repeat it",
        );
    }
    v.finish()?;
    *slot = Some(external_id.to_owned());
    let mut attempt = 0;
    loop {
        attempt += 1;
        let txn = begin_write(db).await?;
        let found = rows_of::<R>(&txn, caller, external_id).await?;
        let answer = match found.as_slice() {
            [] => {
                if let Some(expected) = if_match {
                    return Err(DomainError::VersionConflict {
                        entity: R::ENTITY,
                        id: external_id.to_owned(),
                        expected,
                        current: 0,
                    });
                }
                match body.clone().create(&txn, caller).await {
                    // Another request made it meanwhile (its row met ours
                    // in a unique index): start again, and find it.
                    Err(DomainError::Conflict { .. }) if attempt < ATTEMPTS => {
                        tracing::debug!(
                            entity = R::ENTITY,
                            external_id,
                            attempt,
                            "lost the race for a new external id: again"
                        );
                        continue;
                    }
                    made => (made?, true),
                }
            }
            [(id, version)] => {
                if let Some(expected) = if_match {
                    super::expect_version(R::ENTITY, *id, expected, *version)?;
                }
                match replace(&txn, caller, *id, *version, body.clone()).await {
                    // Another request changed it meanwhile, and none named a version.
                    Err(DomainError::VersionConflict { .. }) if if_match.is_none() && attempt < ATTEMPTS => continue,
                    replaced => (replaced?, false),
                }
            }
            _ => {
                return Err(DomainError::Conflict {
                    message: Text::new(
                        "several %{entity} rows carry external id %{external_id} (set by people, who share one namespace); change them by id",
                    )
                    .word("entity", R::ENTITY)
                    .arg("external_id", external_id),
                    field: Some("external_id".into()),
                });
            }
        };
        txn.commit().await?;
        return Ok(answer);
    }
}

/// Replaces row `id` with `body`, unless nothing would change: then the
/// row as it is, and nothing written.
async fn replace<R: Upsert>(
    txn: &DatabaseTransaction,
    caller: &Caller,
    id: Uuid,
    version: i32,
    body: R,
) -> DomainResult<R::View> {
    let before = R::read(txn, caller, id).await?;
    let trial = txn.begin().await?;
    let after = body.replace(&trial, caller, id, version).await?;
    if same(&before, &after)? {
        trial.rollback().await?;
        Ok(before)
    } else {
        trial.commit().await?;
        Ok(after)
    }
}

/// Whether two views of a row say the same but for their version and the
/// time of their change.
fn same<V: Serialize>(a: &V, b: &V) -> DomainResult<bool> {
    let strip = |view: &V| -> DomainResult<serde_json::Value> {
        let mut value = serde_json::to_value(view).map_err(|e| DomainError::Internal(e.into()))?;
        if let Some(object) = value.as_object_mut() {
            object.remove("version");
            object.remove("updated_at");
        }
        Ok(value)
    };
    Ok(strip(a)? == strip(b)?)
}

/// The rows (id, version) of `R` with the caller's external id `external_id`.
async fn rows_of<R: Upsert>(
    txn: &DatabaseTransaction,
    caller: &Caller,
    external_id: &str,
) -> DomainResult<Vec<(Uuid, i32)>> {
    let owner = match namespace(caller) {
        Some(client) => Expr::col(Alias::new("external_client_id")).eq(client),
        None => Expr::col(Alias::new("external_client_id")).is_null(),
    };
    let query = Query::select()
        .columns([Alias::new("id"), Alias::new("version")])
        .from(Alias::new(R::TABLE))
        .and_where(Expr::col(Alias::new("external_id")).eq(external_id))
        .and_where(owner)
        .limit(2)
        .to_owned();
    let rows = txn.query_all(&query).await?;
    rows.iter()
        .map(|row| Ok((row.try_get::<Uuid>("", "id")?, row.try_get::<i32>("", "version")?)))
        .collect()
}
