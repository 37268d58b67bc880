//! Signing in and out: passwords for access and refresh tokens, refresh
//! tokens rotated on every use (one presented twice ends its whole
//! family), and throttling of repeated failures, kept in the database so
//! that every instance of the service counts the same.

use chrono::{DateTime, Duration, Utc};
use entity::{login_throttle, refresh_tokens, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Action};
use super::user::User;
use super::{Caller, DomainError, DomainResult, Store, begin_write, now};
use crate::auth::secret;
use crate::auth::token::TokenKeys;

/// How long a refresh token lives.
pub const REFRESH_TTL_DAYS: i64 = 30;
/// Failures within [`FAILURE_WINDOW_MINUTES`] before sign-in is refused.
pub const FREE_FAILURES: i32 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// The first lock lasts this long and doubles with each further failure,
/// up to the failure window.
pub const FIRST_LOCK_SECONDS: i64 = 30;

/// What a successful sign-in or refresh returns.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

fn wrong_credentials() -> DomainError {
    DomainError::Unauthenticated("wrong username or password".into())
}

fn throttle_keys(username: &str, client_addr: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("user:{}", username.trim().to_lowercase())];
    if let Some(addr) = client_addr {
        keys.push(format!("addr:{addr}"));
    }
    keys
}

/// Refuses with `RATE_LIMITED` while any key is locked.
async fn check_throttle<C: ConnectionTrait>(conn: &C, keys: &[String], at: DateTime<Utc>) -> DomainResult<()> {
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?;
    let wait = rows
        .iter()
        .filter_map(|r| r.locked_until)
        .filter(|until| *until > at)
        .max();
    match wait {
        Some(until) => {
            let secs = (until - at).num_seconds().max(1);
            Err(DomainError::RateLimited {
                retry_after_secs: u64::try_from(secs).unwrap_or(1),
            })
        }
        None => Ok(()),
    }
}

/// Counts one failure against every key, locking those over the limit.
async fn record_failure<C: ConnectionTrait>(conn: &C, keys: &[String], at: DateTime<Utc>) -> DomainResult<()> {
    for key in keys {
        let existing = login_throttle::Entity::find_by_id(key.clone()).one(conn).await?;
        let (failures, first) = match &existing {
            Some(row) if at - row.first_failure_at < Duration::minutes(FAILURE_WINDOW_MINUTES) => {
                (row.failures + 1, row.first_failure_at)
            }
            _ => (1, at),
        };
        let locked_until = (failures >= FREE_FAILURES).then(|| {
            let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(5);
            let secs = (FIRST_LOCK_SECONDS << doublings).min(FAILURE_WINDOW_MINUTES * 60);
            at + Duration::seconds(secs)
        });
        let row = login_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(failures),
            first_failure_at: Set(first),
            last_failure_at: Set(at),
            locked_until: Set(locked_until),
        };
        if existing.is_some() {
            login_throttle::Entity::update(row).exec(conn).await?;
        } else {
            row.insert(conn).await?;
        }
    }
    Ok(())
}

async fn issue_refresh<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    family_id: Uuid,
    at: DateTime<Utc>,
) -> DomainResult<String> {
    let token = secret::random_token().map_err(DomainError::Internal)?;
    refresh_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(secret::digest(&token)),
        issued_at: Set(at),
        expires_at: Set(at + Duration::days(REFRESH_TTL_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

fn access_for(keys: &TokenKeys, user: &User, refresh_token: String) -> DomainResult<Tokens> {
    let (access_token, expires_in) = keys.issue(&user.principal()).map_err(DomainError::Internal)?;
    Ok(Tokens {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in,
    })
}

/// Signs a user in with their password.
pub async fn login(
    db: &impl Store,
    keys: &TokenKeys,
    caller: &Caller,
    username: &str,
    password: &str,
) -> DomainResult<Tokens> {
    let at = now();
    let throttle = throttle_keys(username, caller.client_addr.as_deref());
    check_throttle(db, &throttle, at).await?;
    let found = users::Entity::find()
        .filter(users::Column::Username.eq(username.trim()))
        .one(db)
        .await?;
    let verified = match &found {
        Some(user) => crate::auth::password::verify(&user.password_hash, password),
        None => {
            crate::auth::password::verify_nothing(password);
            false
        }
    };
    let txn = begin_write(db).await?;
    let user = match found {
        Some(user) if verified && !user.disabled => User::from_model(user)?,
        Some(user) if verified => {
            txn.commit().await?;
            return Err(DomainError::Unauthenticated(format!(
                "the account {} is disabled",
                user.username
            )));
        }
        _ => {
            record_failure(&txn, &throttle, at).await?;
            txn.commit().await?;
            return Err(wrong_credentials());
        }
    };
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Key.is_in(throttle))
        .exec(&txn)
        .await?;
    let refresh = issue_refresh(&txn, user.id, Uuid::new_v4(), at).await?;
    let signed_in = Caller {
        principal: user.principal(),
        ..caller.clone()
    };
    audit::record(
        &txn,
        &signed_in,
        Action::Transition("login"),
        "user",
        Some(user.id),
        None,
        None,
    )
    .await?;
    txn.commit().await?;
    access_for(keys, &user, refresh)
}

/// Ends a whole family of refresh tokens.
async fn revoke_family<C: ConnectionTrait>(conn: &C, family_id: Uuid, at: DateTime<Utc>) -> DomainResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(at))
        .filter(refresh_tokens::Column::FamilyId.eq(family_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Trades a refresh token for new tokens. The old one is spent; presenting
/// it again ends every token of its family, since one of the two holders
/// is not who they say.
pub async fn refresh(db: &impl Store, keys: &TokenKeys, refresh_token: &str) -> DomainResult<Tokens> {
    let at = now();
    let txn = begin_write(db).await?;
    let Some(stored) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(secret::digest(refresh_token)))
        .one(&txn)
        .await?
    else {
        return Err(DomainError::Unauthenticated("unknown refresh token".into()));
    };
    if stored.used_at.is_some() || stored.revoked_at.is_some() {
        revoke_family(&txn, stored.family_id, at).await?;
        txn.commit().await?;
        return Err(DomainError::Unauthenticated(
            "the refresh token was already used or revoked; sign in again".into(),
        ));
    }
    if stored.expires_at <= at {
        return Err(DomainError::Unauthenticated(
            "the refresh token has expired; sign in again".into(),
        ));
    }
    // Spend it: only one of two racing requests can.
    let spent = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(at))
        .filter(refresh_tokens::Column::Id.eq(stored.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        revoke_family(&txn, stored.family_id, at).await?;
        txn.commit().await?;
        return Err(DomainError::Unauthenticated(
            "the refresh token was already used; sign in again".into(),
        ));
    }
    let user = users::Entity::find_by_id(stored.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::Unauthenticated("the account no longer exists".into()))?;
    if user.disabled {
        revoke_family(&txn, stored.family_id, at).await?;
        txn.commit().await?;
        return Err(DomainError::Unauthenticated(format!(
            "the account {} is disabled",
            user.username
        )));
    }
    let user = User::from_model(user)?;
    let next = issue_refresh(&txn, user.id, stored.family_id, at).await?;
    txn.commit().await?;
    access_for(keys, &user, next)
}

/// Signs out: the refresh token and its family stop working. Unknown
/// tokens are ignored, so signing out twice is harmless.
pub async fn logout(db: &impl Store, refresh_token: &str) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    if let Some(stored) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(secret::digest(refresh_token)))
        .one(&txn)
        .await?
    {
        revoke_family(&txn, stored.family_id, now()).await?;
    }
    txn.commit().await?;
    Ok(())
}
