//! Supervision (督查督办): who owes a plan's reports, its traffic-light
//! settings, and leaders (牵头领导) as records.
//!
//! - `plans.reporting_supporting`: whether supporting units owe reports at
//!   all (`none`), to their lead unit (`to_lead`), or to the coordinating
//!   office (`to_office`); `plans.reporting_groups`: whether a group
//!   assigned to a task owes one report filed by any member
//!   (`one_per_group`) or each member its own (`none`).
//! - `plans.light_due_days` (N) and `plans.light_lag_points` (M): a task is
//!   yellow when its deadline is within N days, or its progress trails the
//!   elapsed share of its time by more than M points.
//! - `leaders` (name, title, region) and `task_leaders` link tasks to them;
//!   `tasks.leaders` keeps the names in the document's order. The service
//!   links the names stored before this migration when it starts.
//!
//! Existing plans take the defaults of their kind where their calendar is
//! still the one every plan was given before (monthly by the 5th, quarterly
//! by the 10th): a pairing's list owes the yearly report only, a region's
//! own plan quarterly and yearly reports.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let text = |name: &'static str, values: &[&'static str], default: &'static str| {
            ColumnDef::new(name)
                .string_len(32)
                .not_null()
                .default(default)
                .check(Expr::col(name).is_in(values.iter().copied()))
                .to_owned()
        };
        let number = |name: &'static str, default: i32, max: i32| {
            ColumnDef::new(name)
                .integer()
                .not_null()
                .default(default)
                .check(Expr::col(name).between(0, max))
                .to_owned()
        };
        // One column per statement: SQLite adds no more at a time.
        for mut column in [
            text("reporting_supporting", &["none", "to_lead", "to_office"], "none"),
            text("reporting_groups", &["one_per_group", "none"], "one_per_group"),
            number("light_due_days", 15, 366),
            number("light_lag_points", 20, 100),
        ] {
            manager
                .alter_table(Table::alter().table("plans").add_column(&mut column).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        let old_default = "monthly_due_day = 5 AND quarterly_due_day = 10 AND half_yearly_due_day IS NULL";
        db.execute_unprepared(&format!(
            "UPDATE plans SET monthly_due_day = NULL, quarterly_due_day = NULL \
             WHERE pairing_id IS NOT NULL AND {old_default}"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "UPDATE plans SET monthly_due_day = NULL WHERE pairing_id IS NULL AND {old_default}"
        ))
        .await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("leaders")
                        .col(id())
                        .col(uuid("region_id"))
                        .col(sortable_text(backend, "name", 50))
                        .col(ColumnDef::new("title").string_len(100).null())
                        .foreign_key(&mut foreign_key(
                            "leaders",
                            "region_id",
                            "regions",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(unique("leaders", &["region_id", "name"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("task_leaders")
                    .col(uuid("task_id"))
                    .col(uuid("leader_id"))
                    .col(ColumnDef::new("position").integer().not_null())
                    .primary_key(Index::create().col("task_id").col("leader_id"))
                    .foreign_key(&mut foreign_key(
                        "task_leaders",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "task_leaders",
                        "leader_id",
                        "leaders",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("task_leaders", &["leader_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("task_leaders").to_owned())
            .await?;
        manager.drop_table(Table::drop().table("leaders").to_owned()).await?;
        for column in [
            "reporting_supporting",
            "reporting_groups",
            "light_due_days",
            "light_lag_points",
        ] {
            manager
                .alter_table(Table::alter().table("plans").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
