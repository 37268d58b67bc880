//! Answers to creating requests that carried an `Idempotency-Key`, so that a
//! platform retrying after a timeout gets the first answer instead of a
//! second row.

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
                    .table("idempotency_keys")
                    .col(id())
                    // Whose key: `user:<id>` or `client:<id>`.
                    .col(ColumnDef::new("owner").string_len(100).not_null())
                    .col(ColumnDef::new("key").string_len(255).not_null())
                    // What was asked: the operation and a digest of its input.
                    .col(ColumnDef::new("operation").string_len(300).not_null())
                    .col(ColumnDef::new("request_hash").string_len(64).not_null())
                    // Empty while the first request is still running.
                    .col(ColumnDef::new("status").integer().null())
                    .col(ColumnDef::new("response").text().null())
                    .col(timestamp("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("idempotency_keys", &["owner", "key"]))
            .await?;
        manager.create_index(index("idempotency_keys", &["created_at"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await
    }
}
