//! Requests per minute and key (a token's digest or a client address),
//! kept in the database so that every instance behind a load balancer
//! counts against the same limit.

use sea_orm_migration::prelude::*;

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
                    .table("rate_limit_windows")
                    // `token:<digest>` or `addr:<ip>`.
                    .col(ColumnDef::new("key").string_len(100).not_null())
                    // Minutes since the Unix epoch.
                    .col(ColumnDef::new("minute").big_integer().not_null())
                    .col(ColumnDef::new("hits").big_integer().not_null())
                    .primary_key(Index::create().col("key").col("minute"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("rate_limit_windows").to_owned())
            .await
    }
}
