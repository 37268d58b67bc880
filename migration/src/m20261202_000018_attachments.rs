//! Evidence (佐证材料): files attached to a report, an event of the
//! chronicle, a plan, a project or a pairing (its agreements, scanned). The bytes live in the storage
//! (`XIETONG_STORAGE`, under `storage_key`); a row says what they are, whose
//! they are and who added them. Exactly one parent column is set; a parent
//! removed takes its attachments' rows with it. And whether a plan's
//! reports need evidence before they are submitted.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PARENTS: [(&str, &str); 5] = [
    ("report_id", "reports"),
    ("event_id", "events"),
    ("plan_id", "plans"),
    ("project_id", "projects"),
    ("pairing_id", "pairings"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("plans")
                    .add_column(
                        ColumnDef::new("evidence_required")
                            .boolean()
                            .not_null()
                            .default(false)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        let mut table = Table::create();
        table.table("attachments").col(id());
        for (column, _) in PARENTS {
            table.col(uuid_null(column));
        }
        // One parent, and one only: the count of parent columns set is 1.
        let set = PARENTS
            .iter()
            .map(|(column, _)| Expr::case(Expr::col(*column).is_null(), 0).finally(1).into())
            .reduce(|a: SimpleExpr, b| a.add(b))
            .unwrap_or_else(|| Expr::val(0));
        table
            // As uploaded (UTF-8), without any folder.
            .col(ColumnDef::new("file_name").string_len(255).not_null())
            // Decided from the content: application/pdf, image/jpeg, …
            .col(ColumnDef::new("media_type").string_len(100).not_null())
            .col(ColumnDef::new("size_bytes").big_integer().not_null())
            // Lowercase hex; the download's ETag, and what a duplicate is.
            .col(ColumnDef::new("sha256").string_len(64).not_null())
            .col(ColumnDef::new("storage_key").string_len(200).not_null())
            .col(uuid_null("created_by"))
            .col(ColumnDef::new("created_by_name").string_len(100).not_null())
            .col(timestamp("created_at"))
            .check(("ck_attachments_one_parent", set.eq(1)));
        for (column, parent) in PARENTS {
            table.foreign_key(&mut foreign_key_to(column, parent));
        }
        table.foreign_key(&mut foreign_key(
            "attachments",
            "created_by",
            "users",
            ForeignKeyAction::SetNull,
        ));
        manager.create_table(table.to_owned()).await?;
        for (column, _) in PARENTS {
            manager.create_index(unique("attachments", &[column, "sha256"])).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("attachments").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("plans")
                    .drop_column("evidence_required")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

/// The attachment's parent column, removed with its parent.
fn foreign_key_to(column: &'static str, parent: &'static str) -> ForeignKeyCreateStatement {
    foreign_key("attachments", column, parent, ForeignKeyAction::Cascade)
}
