//! Where an imported list came from, so that its export reads as the
//! document did: the plan's columns as the document headed and ordered
//! them, and each task's unit cells as the document wrote them (区财政局
//! and 区税务局 one per line, 有关镇街 and not the 相关镇街 it resolved to),
//! with the units each cell resolved to (the text is written back only
//! while the task still has exactly those).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // [{"column": "section" | "category" | "seq" | "content" | "deadline"
        //   | "leaders" | "lead" | "supporting" | "notes",
        //   "region": "巫溪县" | null, "header": "任务内容"}, …]
        manager
            .alter_table(
                Table::alter()
                    .table("plans")
                    .add_column(ColumnDef::new("source_columns").json().null().to_owned())
                    .to_owned(),
            )
            .await?;
        // [{"header": "牵头责任单位", "text": "区财政局\n区税务局",
        //   "assignees": ["<unit or group id>", …]}, …]
        manager
            .alter_table(
                Table::alter()
                    .table("tasks")
                    .add_column(ColumnDef::new("source_cells").json().null().to_owned())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("tasks").drop_column("source_cells").to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("plans").drop_column("source_columns").to_owned())
            .await?;
        Ok(())
    }
}
