//! API rate limits per token (the principal a valid token names) and per
//! client address, shared by every instance over the same database.
//!
//! Each instance counts requests per key and minute in memory and decides
//! from what it knows: the count the database held at its last sync plus
//! its own requests since. It adds its own count to the database's row of
//! the minute at the first request of a key in a minute (so that a second
//! instance starts from what the first one has already used) and then at
//! every [`SYNC_EVERY`] in the background, so the request path
//! writes nothing in the common case. Instances may therefore together let
//! through a little more than the limit within one sync interval, never
//! more than that. When the database cannot be reached the instance goes on
//! counting on its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use entity::rate_limit_windows;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::domain::{DomainError, DomainResult, Principal};

/// How often an instance adds its counts to the database's.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// Requests per minute; `0` turns a limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Per signed-in principal (a user or a client, whatever token it
    /// presents); requests with no valid token count only per address.
    pub per_token: u32,
    /// Per client address.
    pub per_address: u32,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            per_token: 1_200,
            per_address: 6_000,
        }
    }
}

#[derive(Debug)]
struct Counter {
    minute: i64,
    /// The database's count at the last sync (ours included).
    known: i64,
    /// Our requests since.
    pending: i64,
}

/// The limiter of one instance.
pub struct RateLimiter {
    db: DatabaseConnection,
    limits: RateLimits,
    counters: Mutex<HashMap<String, Counter>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("limits", &self.limits).finish()
    }
}

/// The key of a signed-in principal: every token of a user or a client
/// counts against the same limit.
pub fn principal_key(principal: &Principal) -> String {
    match principal {
        Principal::User(user) => format!("user:{}", user.id),
        Principal::Client(client) => format!("client:{}", client.id),
        Principal::System => "system".to_owned(),
    }
}

/// The key of a client address.
pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl RateLimiter {
    /// The limiter; within a Tokio runtime it syncs every [`SYNC_EVERY`]
    /// until it is dropped.
    pub fn new(db: DatabaseConnection, limits: RateLimits) -> Arc<RateLimiter> {
        let limiter = Arc::new(RateLimiter {
            db,
            limits,
            counters: Mutex::new(HashMap::new()),
        });
        if let (true, Ok(runtime)) = (limiter.is_on(), tokio::runtime::Handle::try_current()) {
            let weak = Arc::downgrade(&limiter);
            runtime.spawn(async move {
                let mut ticks = tokio::time::interval(SYNC_EVERY);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    let Some(limiter) = weak.upgrade() else { break };
                    limiter.sync().await;
                }
            });
        }
        limiter
    }

    fn counters(&self) -> MutexGuard<'_, HashMap<String, Counter>> {
        // A panic while holding the lock leaves plain counts behind: use them.
        self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request of the address and of the principal its token
    /// names, or refuses it with `RATE_LIMITED` and the seconds until the
    /// minute ends. The address is counted first, and only verified tokens
    /// make keys of their own: made-up tokens can neither dodge the address
    /// limit nor make the limiter write a row for each of them.
    pub async fn admit(&self, principal: Option<&Principal>, addr: Option<&str>) -> DomainResult<()> {
        let now = now_secs();
        if let Some(addr) = addr.filter(|_| self.limits.per_address > 0) {
            self.count(address_key(addr), self.limits.per_address, now).await?;
        }
        if let Some(principal) = principal.filter(|_| self.limits.per_token > 0) {
            self.count(principal_key(principal), self.limits.per_token, now).await?;
        }
        Ok(())
    }

    /// Whether any limit is on.
    pub fn is_on(&self) -> bool {
        self.limits.per_token > 0 || self.limits.per_address > 0
    }

    async fn count(&self, key: String, limit: u32, now: i64) -> DomainResult<()> {
        let minute = now.div_euclid(60);
        let refused = || DomainError::RateLimited {
            retry_after_secs: u64::try_from((minute + 1) * 60 - now).unwrap_or(1).max(1),
        };
        let first = {
            let mut counters = self.counters();
            match counters.get_mut(&key) {
                Some(counter) if counter.minute == minute => {
                    if counter.known + counter.pending >= i64::from(limit) {
                        return Err(refused());
                    }
                    counter.pending += 1;
                    false
                }
                _ => {
                    counters.insert(
                        key.clone(),
                        Counter {
                            minute,
                            known: 0,
                            pending: 0,
                        },
                    );
                    true
                }
            }
        };
        if !first {
            return Ok(());
        }
        // The first request of the minute: learn what other instances have
        // used, counting this one.
        match add_hits(&self.db, &key, minute, 1).await {
            Ok(total) => {
                let mut counters = self.counters();
                if let Some(counter) = counters.get_mut(&key).filter(|c| c.minute == minute) {
                    counter.known = counter.known.max(total);
                }
                if total > i64::from(limit) {
                    return Err(refused());
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "rate limit: cannot reach the shared counts; counting locally");
                if let Some(counter) = self.counters().get_mut(&key).filter(|c| c.minute == minute) {
                    counter.pending += 1;
                }
            }
        }
        Ok(())
    }

    /// Adds every pending count to the database and learns the totals;
    /// forgets past minutes, here and in the database.
    pub async fn sync(&self) {
        let minute = now_secs().div_euclid(60);
        let batch: Vec<(String, i64, i64)> = {
            let mut counters = self.counters();
            counters.retain(|_, c| c.minute >= minute - 1);
            counters
                .iter_mut()
                .filter(|(_, c)| c.pending > 0)
                .map(|(key, c)| {
                    let pending = std::mem::take(&mut c.pending);
                    (key.clone(), c.minute, pending)
                })
                .collect()
        };
        for (key, at, pending) in batch {
            let result = add_hits(&self.db, &key, at, pending).await;
            let mut counters = self.counters();
            let Some(counter) = counters.get_mut(&key).filter(|c| c.minute == at) else {
                continue;
            };
            match result {
                Ok(total) => counter.known = counter.known.max(total),
                Err(err) => {
                    tracing::warn!(error = %err, "rate limit: cannot share counts; keeping them locally");
                    counter.pending += pending;
                }
            }
        }
        if let Err(err) = rate_limit_windows::Entity::delete_many()
            .filter(rate_limit_windows::Column::Minute.lt(minute - 1))
            .exec(&self.db)
            .await
        {
            tracing::warn!(error = %err, "rate limit: cannot remove past counts");
        }
    }
}

/// Adds `hits` to the row of `key` and `minute` and returns its new total.
async fn add_hits(db: &DatabaseConnection, key: &str, minute: i64, hits: i64) -> Result<i64, sea_orm::DbErr> {
    let row = rate_limit_windows::ActiveModel {
        key: Set(key.to_owned()),
        minute: Set(minute),
        hits: Set(hits),
    };
    let saved = rate_limit_windows::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([rate_limit_windows::Column::Key, rate_limit_windows::Column::Minute])
                .value(
                    rate_limit_windows::Column::Hits,
                    sea_orm::sea_query::ExprTrait::add(
                        Expr::col((rate_limit_windows::Entity, rate_limit_windows::Column::Hits)),
                        hits,
                    ),
                )
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(saved.hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientPrincipal, UserPrincipal};

    #[test]
    fn every_token_of_a_principal_shares_one_key() {
        let id = uuid::Uuid::new_v4();
        let user = Principal::User(UserPrincipal {
            id,
            username: "wx-jxw".into(),
            role: crate::domain::values::Role::UnitUser,
            unit_id: None,
        });
        let client = Principal::Client(ClientPrincipal {
            id,
            client_id: "platform".into(),
            can_read: true,
            can_write: false,
        });
        assert_eq!(principal_key(&user), format!("user:{id}"));
        assert_eq!(principal_key(&client), format!("client:{id}"));
    }
}
