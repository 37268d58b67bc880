//! Throttling of failed sign-ins, kept in the database so that every
//! instance of the service counts the same. It is built so that it cannot be
//! turned against others: a district's offices reach the service through
//! one NAT or proxy, so a user who mistypes, or anyone on the intranet
//! guessing, must not lock everybody behind that address out.
//!
//! Failures count three ways:
//! - per address and account: [`PAIR_FREE_FAILURES`] in the window, then
//!   that address is held back for that account only (429, it was this
//!   address's own mistakes);
//! - per account, from anywhere: [`ACCOUNT_FREE_FAILURES`], then the account
//!   answers every sign-in as if the password were wrong, without checking
//!   it (guessing it from many addresses gets nowhere), except from an
//!   address it signed in from before ([`KNOWN_ORIGIN_DAYS`]): its owner at
//!   their usual office is not locked out by someone else;
//! - per address, whatever the account (a bound that is high and off when
//!   the per-address rate limit is off): then that address may sign in only
//!   to accounts that signed in from it before (429 otherwise).
//!
//! Accounts are named by the digest of their normalised username, which
//! keeps the keys short whatever is typed and usernames out of the table.

use chrono::{DateTime, Duration, Utc};
use entity::{login_throttle, sign_in_origins};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::auth::secret;
use crate::domain::{DomainError, DomainResult};

/// Failures per address and account within the window before that address
/// is held back for that account.
pub const PAIR_FREE_FAILURES: i32 = 5;
/// Failures per account, from any address, within the window before the
/// account refuses sign-ins from addresses it has not signed in from.
pub const ACCOUNT_FREE_FAILURES: i32 = 20;
/// The window failures are counted in.
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// The first hold lasts this long and doubles with each further failure, up
/// to the failure window.
pub const FIRST_LOCK_SECONDS: i64 = 30;
/// How long an address an account signed in from stays known for it.
pub const KNOWN_ORIGIN_DAYS: i64 = 90;

/// The counters one sign-in attempt touches.
#[derive(Clone, Debug)]
pub struct Attempt {
    account: String,
    addr: Option<String>,
    /// Failures per address allowed before the address is held back; 0 = off.
    failures_per_address: u32,
}

/// What may be tried, before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Check the password.
    Check,
    /// Answer as for a wrong password without checking it: the account is
    /// locked against addresses it does not know.
    Refuse,
}

impl Attempt {
    pub fn new(username: &str, addr: Option<&str>, failures_per_address: u32) -> Attempt {
        Attempt {
            account: secret::digest(&username.trim().to_lowercase()),
            addr: addr.map(str::to_owned),
            failures_per_address,
        }
    }

    fn pair_key(&self) -> String {
        format!("pair:{}|{}", self.addr.as_deref().unwrap_or("-"), self.account)
    }

    fn account_key(&self) -> String {
        format!("acct:{}", self.account)
    }

    fn address_key(&self) -> Option<String> {
        self.addr
            .as_ref()
            .filter(|_| self.failures_per_address > 0)
            .map(|addr| format!("addr:{addr}"))
    }

    /// Refuses with `RATE_LIMITED` while this address is held back for the
    /// account, or (for accounts that never signed in from it) while the
    /// address is; says to refuse without checking while the account is
    /// locked against unknown addresses.
    pub async fn admit<C: ConnectionTrait>(&self, conn: &C, at: DateTime<Utc>) -> DomainResult<Admission> {
        let mut keys = vec![self.pair_key(), self.account_key()];
        keys.extend(self.address_key());
        let rows = login_throttle::Entity::find()
            .filter(login_throttle::Column::Key.is_in(keys))
            .all(conn)
            .await?;
        let locked = |key: &str| {
            rows.iter()
                .find(|r| r.key == key)
                .and_then(|r| r.locked_until)
                .filter(|until| *until > at)
        };
        if let Some(until) = locked(&self.pair_key()) {
            return Err(held_back(until, at));
        }
        let address_lock = self.address_key().and_then(|key| locked(&key));
        let account_lock = locked(&self.account_key());
        if (address_lock.is_some() || account_lock.is_some()) && !self.is_known(conn, at).await? {
            if let Some(until) = address_lock {
                return Err(held_back(until, at));
            }
            return Ok(Admission::Refuse);
        }
        Ok(Admission::Check)
    }

    /// Whether the account signed in from this address lately.
    async fn is_known<C: ConnectionTrait>(&self, conn: &C, at: DateTime<Utc>) -> DomainResult<bool> {
        let Some(addr) = &self.addr else {
            return Ok(false);
        };
        Ok(sign_in_origins::Entity::find()
            .filter(sign_in_origins::Column::AccountKey.eq(self.account.as_str()))
            .filter(sign_in_origins::Column::Addr.eq(addr.as_str()))
            .filter(sign_in_origins::Column::LastSuccessAt.gt(at - Duration::days(KNOWN_ORIGIN_DAYS)))
            .one(conn)
            .await?
            .is_some())
    }

    /// Counts a wrong password. A refused attempt counts against the
    /// address only: the account's lock runs out however much is guessed.
    pub async fn fail<C: ConnectionTrait>(
        &self,
        conn: &C,
        at: DateTime<Utc>,
        admission: Admission,
    ) -> DomainResult<()> {
        count(conn, &self.pair_key(), PAIR_FREE_FAILURES, at).await?;
        if admission == Admission::Check {
            count(conn, &self.account_key(), ACCOUNT_FREE_FAILURES, at).await?;
        }
        if let Some(key) = self.address_key() {
            let free = i32::try_from(self.failures_per_address).unwrap_or(i32::MAX);
            count(conn, &key, free, at).await?;
        }
        Ok(())
    }

    /// A correct password: this address's own count for the account starts
    /// again and the address is known to the account from now on. The
    /// account's count does not, or a guesser would be helped by its owner.
    pub async fn succeed<C: ConnectionTrait>(&self, conn: &C, at: DateTime<Utc>) -> DomainResult<()> {
        login_throttle::Entity::delete_by_id(self.pair_key()).exec(conn).await?;
        if let Some(addr) = &self.addr {
            sign_in_origins::Entity::insert(sign_in_origins::ActiveModel {
                account_key: Set(self.account.clone()),
                addr: Set(addr.clone()),
                last_success_at: Set(at),
            })
            .on_conflict(
                OnConflict::columns([sign_in_origins::Column::AccountKey, sign_in_origins::Column::Addr])
                    .update_column(sign_in_origins::Column::LastSuccessAt)
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        }
        Ok(())
    }
}

fn held_back(until: DateTime<Utc>, at: DateTime<Utc>) -> DomainError {
    let secs = (until - at).num_seconds().max(1);
    DomainError::RateLimited {
        retry_after_secs: u64::try_from(secs).unwrap_or(1),
    }
}

/// How long a key is held back after `failures`, `free` of them allowed.
fn hold_for(failures: i32, free: i32) -> Option<Duration> {
    (failures >= free).then(|| {
        let doublings = u32::try_from(failures - free).unwrap_or(0).min(5);
        Duration::seconds((FIRST_LOCK_SECONDS << doublings).min(FAILURE_WINDOW_MINUTES * 60))
    })
}

/// Counts one failure against `key`. Racing failures of one key are
/// counted one after the other: the row is made first if missing, then
/// read locked (`FOR UPDATE`; SQLite's write transaction is already alone).
async fn count<C: ConnectionTrait>(conn: &C, key: &str, free: i32, at: DateTime<Utc>) -> DomainResult<()> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        first_failure_at: Set(at),
        last_failure_at: Set(at),
        locked_until: Set(None),
    })
    .on_conflict_do_nothing_on([login_throttle::Column::Key])
    .exec_without_returning(conn)
    .await?;
    let row = login_throttle::Entity::find_by_id(key.to_owned())
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("the sign-in counter {key} vanished")))?;
    let (failures, first) = if at - row.first_failure_at < Duration::minutes(FAILURE_WINDOW_MINUTES) {
        (row.failures + 1, row.first_failure_at)
    } else {
        (1, at)
    };
    login_throttle::Entity::update(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(failures),
        first_failure_at: Set(first),
        last_failure_at: Set(at),
        locked_until: Set(hold_for(failures, free).map(|hold| at + hold)),
    })
    .exec(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_start_at_the_free_count_and_double_up_to_the_window() {
        assert_eq!(hold_for(4, 5), None);
        assert_eq!(hold_for(5, 5), Some(Duration::seconds(30)));
        assert_eq!(hold_for(6, 5), Some(Duration::seconds(60)));
        assert_eq!(hold_for(9, 5), Some(Duration::seconds(480)));
        assert_eq!(hold_for(10, 5), Some(Duration::seconds(900)));
        assert_eq!(hold_for(50, 5), Some(Duration::seconds(900)));
    }

    #[test]
    fn accounts_are_named_by_a_digest_of_the_normalised_username() {
        let a = Attempt::new(" Wx-JXW ", Some("10.0.0.1"), 100);
        let b = Attempt::new("wx-jxw", Some("10.0.0.1"), 100);
        assert_eq!(a.pair_key(), b.pair_key());
        assert!(!a.account_key().contains("wx"));
        assert_eq!(Attempt::new("x", Some("10.0.0.1"), 0).address_key(), None);
    }
}
