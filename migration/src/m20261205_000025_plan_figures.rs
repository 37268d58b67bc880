//! Figures kept per plan as writes happen, so that statistics add up a few
//! rows a plan instead of one row a task (issue 26). Each is keyed by plan
//! and task category (`''` for tasks without one), so that statistics of
//! a category read them too:
//! - `plan_task_counts`: tasks by status and deadline (whether a task is
//!   overdue depends on the day asked, so the deadline stays a key), and
//!   how many of them were completed by their deadline.
//! - `plan_metric_figures`: per catalogue metric, how many targets count
//!   and their sum, and the sum of the tasks' kept approved actuals, in the
//!   metric's unit (scaled by 10⁸, as `task_metric_actuals`).
//! - `plan_reporting_units`: the units with an approved report on a task.
//!
//! Rows go with their plan (and a metric's with its metric, a unit's with
//! its unit). The service fills them for plans with tasks and no rows when
//! it migrates, and the domain core rewrites a plan's rows in the
//! transaction of every write that changes its tasks' figures.

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
        manager
            .create_table(
                Table::create()
                    .table("plan_task_counts")
                    .col(uuid("plan_id"))
                    .col(sortable_text(backend, "category", 200))
                    .col(ColumnDef::new("status").string_len(20).not_null())
                    .col(ColumnDef::new("deadline").date().not_null())
                    .col(ColumnDef::new("tasks").big_integer().not_null())
                    .col(ColumnDef::new("on_time").big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col("plan_id")
                            .col("category")
                            .col("status")
                            .col("deadline"),
                    )
                    .foreign_key(&mut foreign_key(
                        "plan_task_counts",
                        "plan_id",
                        "plans",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("plan_metric_figures")
                    .col(uuid("plan_id"))
                    .col(sortable_text(backend, "category", 200))
                    .col(uuid("metric_id"))
                    .col(ColumnDef::new("targets").big_integer().not_null())
                    .col(ColumnDef::new("target_e8").big_integer().not_null())
                    .col(ColumnDef::new("actual_e8").big_integer().not_null())
                    .primary_key(Index::create().col("plan_id").col("category").col("metric_id"))
                    .foreign_key(&mut foreign_key(
                        "plan_metric_figures",
                        "plan_id",
                        "plans",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "plan_metric_figures",
                        "metric_id",
                        "metrics",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("plan_metric_figures", &["metric_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("plan_reporting_units")
                    .col(uuid("plan_id"))
                    .col(sortable_text(backend, "category", 200))
                    .col(uuid("unit_id"))
                    .primary_key(Index::create().col("plan_id").col("category").col("unit_id"))
                    .foreign_key(&mut foreign_key(
                        "plan_reporting_units",
                        "plan_id",
                        "plans",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "plan_reporting_units",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("plan_reporting_units", &["unit_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["plan_reporting_units", "plan_metric_figures", "plan_task_counts"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
