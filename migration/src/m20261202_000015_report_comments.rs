//! The thread of comments on a report between its unit and its reviewer
//! (a returned report's 退回 conversation): who wrote, for which unit, what.

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
                    .table("report_comments")
                    .col(id())
                    .col(uuid("report_id"))
                    // None once the user is removed; the comment stays.
                    .col(uuid_null("author_id"))
                    .col(ColumnDef::new("author_name").string_len(100).not_null())
                    .col(uuid_null("author_unit_id"))
                    .col(ColumnDef::new("body").text().not_null())
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        "report_comments",
                        "report_id",
                        "reports",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "report_comments",
                        "author_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("report_comments", &["report_id", "created_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("report_comments").to_owned())
            .await?;
        Ok(())
    }
}
