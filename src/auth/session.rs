//! Signing in and out: passwords for access and refresh tokens, and
//! refresh tokens rotated on every use. A refresh token presented again
//! within the grace window from the address that spent it gets the answer
//! its first use got (tabs and apps refresh at once); later, or from
//! elsewhere, it ends its whole family, since one of the two holders is not
//! who they say. Failed sign-ins are throttled by [`super::throttle`].

use chrono::{DateTime, Duration, Utc};
use entity::{refresh_tokens, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use super::throttle::{Admission, Attempt};
use crate::auth::secret;
use crate::auth::token::{ACCESS_TTL, TokenKeys};
use crate::domain::audit::{self, Action, Change};
use crate::domain::user::User;
use crate::domain::{Caller, DomainError, DomainResult, Store, Text, begin_write};

/// How long a refresh token lives.
pub const REFRESH_TTL_DAYS: i64 = 30;

/// How sign-in and refresh are bounded (`serve`'s settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Failed sign-ins from one address, for accounts that never signed in
    /// from it, before the address is held back; 0 = no such bound.
    pub failures_per_address: u32,
    /// Seconds within which a spent refresh token, presented again from the
    /// address that spent it, gets the same new tokens; 0 = none.
    pub refresh_grace_secs: u32,
}

impl Default for SessionPolicy {
    fn default() -> SessionPolicy {
        SessionPolicy {
            failures_per_address: 100,
            refresh_grace_secs: 30,
        }
    }
}

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

/// Stores a refresh token: its digest, never the token.
async fn store_refresh<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    token: &str,
    user_id: Uuid,
    family_id: Uuid,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    refresh_tokens::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(secret::digest(token)),
        issued_at: Set(at),
        expires_at: Set(at + Duration::days(REFRESH_TTL_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
        used_from: Set(None),
        successor_id: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The tokens of a sign-in or a refresh. The access token is a function of
/// the refresh token's row (`jti` its id, issued when it was), so a refresh
/// answered twice answers the same pair twice.
fn tokens_for(
    keys: &TokenKeys,
    user: &User,
    refresh_token: String,
    refresh_id: Uuid,
    issued_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> DomainResult<Tokens> {
    let access_token = keys
        .issue_at(&user.principal(), issued_at.timestamp(), refresh_id)
        .map_err(DomainError::Internal)?;
    let left = ACCESS_TTL
        .as_secs()
        .saturating_sub(u64::try_from((at - issued_at).num_seconds()).unwrap_or(0));
    Ok(Tokens {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: left,
    })
}

/// Signs a user in with their password.
pub async fn login(
    db: &impl Store,
    keys: &TokenKeys,
    policy: &SessionPolicy,
    caller: &Caller,
    username: &str,
    password: &str,
) -> DomainResult<Tokens> {
    let at = caller.now();
    let attempt = Attempt::new(username, caller.client_addr.as_deref(), policy.failures_per_address);
    let admission = attempt.admit(db, at).await?;
    let found = match admission {
        Admission::Check => {
            users::Entity::find()
                .filter(users::Column::Username.eq(username.trim()))
                .one(db)
                .await?
        }
        Admission::Refuse => None,
    };
    // An unknown or refused account costs what a known one does, so the
    // time taken tells nothing.
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
            return Err(DomainError::Unauthenticated(
                Text::new("the account %{username} is disabled").arg("username", &user.username),
            ));
        }
        _ => {
            attempt.fail(&txn, at, admission).await?;
            txn.commit().await?;
            return Err(wrong_credentials());
        }
    };
    attempt.succeed(&txn, at).await?;
    let refresh_id = Uuid::new_v4();
    let refresh = secret::random_token().map_err(DomainError::Internal)?;
    store_refresh(&txn, refresh_id, &refresh, user.id, Uuid::new_v4(), at).await?;
    let signed_in = Caller {
        principal: user.principal(),
        ..caller.clone()
    };
    audit::commit(
        txn,
        &signed_in,
        Change::bare(Action::Transition("login"), "user", Some(user.id)),
    )
    .await?;
    tokens_for(keys, &user, refresh, refresh_id, at, at)
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

/// Trades a refresh token for new tokens. The token is spent; its
/// successor is derived from it with the service's key, so that a second
/// request with the same token (a racing tab, or a retry whose answer was
/// lost) within the grace window, from the address that spent it, gets the
/// same pair. Any other reuse ends the family.
pub async fn refresh(
    db: &impl Store,
    keys: &TokenKeys,
    policy: &SessionPolicy,
    caller: &Caller,
    refresh_token: &str,
) -> DomainResult<Tokens> {
    let at = caller.now();
    let txn = begin_write(db).await?;
    let Some(mut stored) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(secret::digest(refresh_token)))
        .one(&txn)
        .await?
    else {
        return Err(DomainError::Unauthenticated("unknown refresh token".into()));
    };
    if stored.revoked_at.is_some() {
        return Err(DomainError::Unauthenticated(
            "the refresh token was revoked; sign in again".into(),
        ));
    }
    if stored.expires_at <= at {
        return Err(DomainError::Unauthenticated(
            "the refresh token has expired; sign in again".into(),
        ));
    }
    let successor = keys.successor_of(refresh_token);
    if stored.used_at.is_none() {
        // Spend it: only one of two racing requests can. On PostgreSQL the
        // second waits here for the first to commit, then spends nothing.
        let successor_id = Uuid::new_v4();
        let spent = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(at))
            .col_expr(
                refresh_tokens::Column::UsedFrom,
                Expr::value(caller.client_addr.clone()),
            )
            .col_expr(refresh_tokens::Column::SuccessorId, Expr::value(successor_id))
            .filter(refresh_tokens::Column::Id.eq(stored.id))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected == 1 {
            let user = active_user(&txn, &stored, at).await;
            if let Ok(user) = &user {
                store_refresh(&txn, successor_id, &successor, user.id, stored.family_id, at).await?;
            }
            txn.commit().await?;
            return tokens_for(keys, &user?, successor, successor_id, at, at);
        }
        stored = refresh_tokens::Entity::find_by_id(stored.id)
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::Unauthenticated("unknown refresh token".into()))?;
    }
    match answered_within_grace(&txn, policy, caller, &stored, &successor, at).await? {
        Some(next) => {
            let user = active_user(&txn, &stored, at).await;
            txn.commit().await?;
            tokens_for(keys, &user?, successor, next.id, next.issued_at, at)
        }
        None => {
            revoke_family(&txn, stored.family_id, at).await?;
            txn.commit().await?;
            Err(DomainError::Unauthenticated(
                "the refresh token was already used; sign in again".into(),
            ))
        }
    }
}

/// The successor a spent token was traded for, if presenting the token
/// again now may be answered with it: within the grace window, from the
/// address that spent it, and the successor still alive.
async fn answered_within_grace<C: ConnectionTrait>(
    conn: &C,
    policy: &SessionPolicy,
    caller: &Caller,
    spent: &refresh_tokens::Model,
    successor: &str,
    at: DateTime<Utc>,
) -> DomainResult<Option<refresh_tokens::Model>> {
    let grace = Duration::seconds(i64::from(policy.refresh_grace_secs));
    let in_time = spent.used_at.is_some_and(|used| at - used <= grace);
    let same_client = spent.used_from == caller.client_addr;
    let (true, true, Some(next_id)) = (in_time, same_client, spent.successor_id) else {
        return Ok(None);
    };
    let next = refresh_tokens::Entity::find_by_id(next_id).one(conn).await?;
    // A successor made under another signing key (a restart without a set
    // secret) cannot be told again.
    Ok(next.filter(|n| n.revoked_at.is_none() && n.token_hash == secret::digest(successor)))
}

/// The user of a refresh token, if still allowed in; a disabled account's
/// sessions end (the caller commits that, then answers the error).
async fn active_user<C: ConnectionTrait>(
    conn: &C,
    token: &refresh_tokens::Model,
    at: DateTime<Utc>,
) -> DomainResult<User> {
    let user = users::Entity::find_by_id(token.user_id)
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::Unauthenticated("the account no longer exists".into()))?;
    if user.disabled {
        revoke_family(conn, token.family_id, at).await?;
        return Err(DomainError::Unauthenticated(
            Text::new("the account %{username} is disabled").arg("username", &user.username),
        ));
    }
    User::from_model(user)
}

/// Signs out: the refresh token and its family stop working. Unknown
/// tokens are ignored, so signing out twice is harmless.
pub async fn logout(db: &impl Store, caller: &Caller, refresh_token: &str) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    if let Some(stored) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(secret::digest(refresh_token)))
        .one(&txn)
        .await?
    {
        revoke_family(&txn, stored.family_id, caller.now()).await?;
    }
    txn.commit().await?;
    Ok(())
}
