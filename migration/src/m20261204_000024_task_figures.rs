//! Figures kept as writes happen, so that statistics read one row per task
//! instead of re-adding every report (issue 26):
//! - `task_figures`: a task's progress in hundredths of a percent (`7512`
//!   is 75.12 %, none when there is nothing to go by), as its progress
//!   answer reads it.
//! - `task_metric_actuals`: per task and catalogue metric, the sum of the
//!   year-to-date actuals of the latest approved consolidated report of
//!   each of its reporting units, in the metric's unit, scaled by 10⁸.
//! - `task_reporting_units`: the units with an approved report on a task.
//!
//! Each row goes with its task (and an actual with its metric). The
//! service fills them for tasks that have none when it migrates, and the
//! domain core rewrites a task's rows in the transaction of every write
//! that changes them.

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
        manager
            .create_table(
                Table::create()
                    .table("task_figures")
                    .col(uuid("task_id").primary_key())
                    .col(ColumnDef::new("progress_e2").big_integer().null())
                    .foreign_key(&mut foreign_key(
                        "task_figures",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("task_metric_actuals")
                    .col(uuid("task_id"))
                    .col(uuid("metric_id"))
                    .col(ColumnDef::new("actual_e8").big_integer().not_null())
                    .primary_key(Index::create().col("task_id").col("metric_id"))
                    .foreign_key(&mut foreign_key(
                        "task_metric_actuals",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "task_metric_actuals",
                        "metric_id",
                        "metrics",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("task_metric_actuals", &["metric_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("task_reporting_units")
                    .col(uuid("task_id"))
                    .col(uuid("unit_id"))
                    .primary_key(Index::create().col("task_id").col("unit_id"))
                    .foreign_key(&mut foreign_key(
                        "task_reporting_units",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "task_reporting_units",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["task_reporting_units", "task_metric_actuals", "task_figures"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
