//! sea-orm entities of xietong: plain data, one module per table. Rules live
//! in the domain core of the `xietong` crate, never here.

pub mod audit_entry;
pub mod event_amounts;
pub mod events;
pub mod extensions;
pub mod idempotency_keys;
pub mod integration_clients;
pub mod leaders;
pub mod login_throttle;
pub mod metrics;
pub mod notifications;
pub mod pairing_co_helpers;
pub mod pairing_documents;
pub mod pairings;
pub mod plans;
pub mod rate_limit_windows;
pub mod refresh_tokens;
pub mod regions;
pub mod reminders_sent;
pub mod report_comments;
pub mod report_values;
pub mod reports;
pub mod scheduler_leases;
pub mod sign_in_origins;
pub mod targets;
pub mod task_assignments;
pub mod task_leaders;
pub mod tasks;
pub mod unit_aliases;
pub mod unit_group_members;
pub mod unit_groups;
pub mod unit_pairings;
pub mod units;
pub mod urgings;
pub mod users;
