//! Failed sign-ins per username and per client address, kept in the
//! database so that every instance behind a load balancer counts the same.

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
                    .table("login_throttle")
                    // `user:<name>` or `addr:<ip>`.
                    .col(ColumnDef::new("key").string_len(300).not_null().primary_key())
                    .col(ColumnDef::new("failures").integer().not_null())
                    .col(timestamp("first_failure_at"))
                    .col(timestamp("last_failure_at"))
                    .col(timestamp_null("locked_until"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("login_throttle").to_owned())
            .await
    }
}
