//! A task's place in its plan's document (`place`): its section's rank
//! (sections in the order the document first wrote them: 涪陵区's
//! 主要预期目标, then 主要工作任务, then 政府自身建设), times a million, plus
//! its 序号. Lists in document order sort by this one column (and the id);
//! before it they sorted sections by their text, which put 主要工作任务
//! before 主要预期目标.
//!
//! Existing tasks rank their sections by when each section's first task was
//! written (an import writes a document's rows in order), as the export
//! ordered them. The ranks are joined to the tasks (`UPDATE … FROM`): as a
//! subquery per task, PostgreSQL worked the ranks out again for every row
//! (41 s for 100,000 tasks against 1.3 s joined).
//!
//! The reports kept as owed (`plan_obligations`) carry their task's place
//! too, for the calendar's order; the rows kept so far have none, so they
//! are forgotten with the lights kept beside them, and the service judges
//! those plans again.

use sea_orm_migration::prelude::*;

use crate::columns::index;

/// The tables whose rows get a place: the tasks, and the reports kept as
/// owed on them.
const PLACED: [&str; 2] = ["tasks", "plan_obligations"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in PLACED {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new("place").big_integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "WITH firsts AS ( \
                     SELECT plan_id, section, MIN(created_at) AS first_at FROM tasks GROUP BY plan_id, section \
                 ), ranks AS ( \
                     SELECT plan_id, section, \
                            ROW_NUMBER() OVER (PARTITION BY plan_id ORDER BY first_at, section) - 1 AS section_rank \
                     FROM firsts \
                 ) \
                 UPDATE tasks SET place = ranks.section_rank * 1000000 + tasks.seq \
                 FROM ranks WHERE ranks.plan_id = tasks.plan_id AND ranks.section = tasks.section",
            )
            .await?;
        manager.create_index(index("tasks", &["plan_id", "place"])).await?;
        for kept in ["plan_obligations", "plan_lights"] {
            manager.exec_stmt(Query::delete().from_table(kept).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_tasks_plan_id_place").table("tasks").to_owned())
            .await?;
        for table in PLACED {
            manager
                .alter_table(Table::alter().table(table).drop_column("place").to_owned())
                .await?;
        }
        Ok(())
    }
}
