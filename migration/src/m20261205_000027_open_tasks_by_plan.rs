//! The open tasks of each plan by deadline (issue 26): statistics list the
//! first overdue tasks of the plans they count by reading each plan's
//! first few entries here. Without it PostgreSQL walked every task by
//! deadline to find 50 of one year's (110 ms at 100,000 tasks).
//!
//! Partial: only tasks not completed or cancelled, so that each entry read
//! is one the list may show. The predicate is the statistics query's, as
//! literals, so that the planner can prove the index applies.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_tasks_open_plan_id_deadline ON tasks (plan_id, deadline, id) \
                 WHERE status NOT IN ('completed', 'cancelled')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_tasks_open_plan_id_deadline")
            .await?;
        Ok(())
    }
}
