//! Progress reports (进展报告) of units on tasks for a month, quarter or year,
//! and the year-to-date actual reached for each target.

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
                with_lifecycle(
                    Table::create()
                        .table("reports")
                        .col(id())
                        .col(uuid("task_id"))
                        .col(uuid("unit_id"))
                        // `2025-03`, `2025-Q1` or `2025`.
                        .col(ColumnDef::new("period").string_len(7).not_null())
                        .col(enumeration("period_kind", &["month", "quarter", "year"]))
                        .col(ColumnDef::new("period_year").integer().not_null())
                        // The last calendar day the period covers, so that
                        // "latest" can be asked of mixed periods.
                        .col(ColumnDef::new("period_end").date().not_null())
                        .col(ColumnDef::new("consolidated").boolean().not_null())
                        .col(enumeration("status", &["draft", "submitted", "returned", "approved"]))
                        .col(ColumnDef::new("text").text().not_null())
                        .col(uuid_null("created_by"))
                        .col(uuid_null("submitted_by"))
                        .col(timestamp_null("submitted_at"))
                        .col(uuid_null("reviewed_by"))
                        .col(timestamp_null("reviewed_at"))
                        .col(ColumnDef::new("return_reason").text().null())
                        .foreign_key(&mut foreign_key(
                            "reports",
                            "task_id",
                            "tasks",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut foreign_key(
                            "reports",
                            "unit_id",
                            "units",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "reports",
                            "created_by",
                            "users",
                            ForeignKeyAction::SetNull,
                        ))
                        .foreign_key(&mut foreign_key(
                            "reports",
                            "submitted_by",
                            "users",
                            ForeignKeyAction::SetNull,
                        ))
                        .foreign_key(&mut foreign_key(
                            "reports",
                            "reviewed_by",
                            "users",
                            ForeignKeyAction::SetNull,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("reports", &["task_id", "unit_id", "period"]))
            .await?;
        manager.create_index(index("reports", &["task_id", "period"])).await?;
        manager.create_index(index("reports", &["unit_id", "period"])).await?;
        manager.create_index(index("reports", &["status"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("report_values")
                    .col(id())
                    .col(uuid("report_id"))
                    .col(uuid("target_id"))
                    .col(amount("actual_e4"))
                    .foreign_key(&mut foreign_key(
                        "report_values",
                        "report_id",
                        "reports",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "report_values",
                        "target_id",
                        "targets",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("report_values", &["report_id", "target_id"]))
            .await?;
        manager.create_index(index("report_values", &["target_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["report_values", "reports"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
