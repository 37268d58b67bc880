//! The relational model of xietong as sea-orm migrations, one file per change.
//! The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261122_000001_regions_units;
mod m20261122_000002_pairings;
mod m20261122_000003_identity;
mod m20261122_000004_plans_tasks;
mod m20261122_000005_reports;
mod m20261122_000006_events_audit;
mod m20261122_000007_login_throttle;
mod m20261122_000008_idempotency;
mod m20261122_000009_task_completed_on;
mod m20261122_000010_plan_calendar;
mod m20261201_000011_rate_limits;
mod m20261202_000012_client_trust;
mod m20261202_000013_figures;
mod m20261202_000014_supervision;
mod m20261202_000015_report_comments;
mod m20261202_000016_supervision_talk;
mod m20261202_000017_projects;
mod m20261202_000018_attachments;
mod m20261202_000019_source_layout;
mod m20261203_000020_changes;
mod m20261203_000021_webhooks;
mod m20261204_000022_client_grants;
mod m20261204_000023_external_ids;
mod m20261204_000024_task_figures;
mod m20261205_000025_plan_figures;
mod m20261205_000026_plan_lights;
mod m20261205_000027_open_tasks_by_plan;
mod m20261205_000028_plan_obligations;
mod m20261206_000029_task_place;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_regions_units::Migration),
            Box::new(m20261122_000002_pairings::Migration),
            Box::new(m20261122_000003_identity::Migration),
            Box::new(m20261122_000004_plans_tasks::Migration),
            Box::new(m20261122_000005_reports::Migration),
            Box::new(m20261122_000006_events_audit::Migration),
            Box::new(m20261122_000007_login_throttle::Migration),
            Box::new(m20261122_000008_idempotency::Migration),
            Box::new(m20261122_000009_task_completed_on::Migration),
            Box::new(m20261122_000010_plan_calendar::Migration),
            Box::new(m20261201_000011_rate_limits::Migration),
            Box::new(m20261202_000012_client_trust::Migration),
            Box::new(m20261202_000013_figures::Migration),
            Box::new(m20261202_000014_supervision::Migration),
            Box::new(m20261202_000015_report_comments::Migration),
            Box::new(m20261202_000016_supervision_talk::Migration),
            Box::new(m20261202_000017_projects::Migration),
            Box::new(m20261202_000018_attachments::Migration),
            Box::new(m20261202_000019_source_layout::Migration),
            Box::new(m20261203_000020_changes::Migration),
            Box::new(m20261203_000021_webhooks::Migration),
            Box::new(m20261204_000022_client_grants::Migration),
            Box::new(m20261204_000023_external_ids::Migration),
            Box::new(m20261204_000024_task_figures::Migration),
            Box::new(m20261205_000025_plan_figures::Migration),
            Box::new(m20261205_000026_plan_lights::Migration),
            Box::new(m20261205_000027_open_tasks_by_plan::Migration),
            Box::new(m20261205_000028_plan_obligations::Migration),
            Box::new(m20261206_000029_task_place::Migration),
        ]
    }
}
