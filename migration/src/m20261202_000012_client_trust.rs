//! What sign-in, refresh and client tokens need to be trusted by clients:
//! the addresses each account has signed in from (so that failures caused
//! by others lock nobody out of their usual place), who spent a refresh
//! token and what it was traded for (so that a concurrent refresh gets the
//! same answer), and the scopes a client's token gets when it asks for none.

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
                    .table("sign_in_origins")
                    // The SHA-256 of the normalised username, hex.
                    .col(ColumnDef::new("account_key").string_len(64).not_null())
                    // The client address a sign-in succeeded from.
                    .col(ColumnDef::new("addr").string_len(64).not_null())
                    .col(timestamp("last_success_at"))
                    .primary_key(Index::create().col("account_key").col("addr"))
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column a statement.
        for column in [
            // The address of the request that spent the token.
            ColumnDef::new("used_from").string_len(64).null().take(),
            // The token it was traded for.
            uuid_null("successor_id"),
        ] {
            manager
                .alter_table(Table::alter().table("refresh_tokens").add_column(column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("integration_clients")
                    // Space-separated scopes granted when a token request
                    // names none: `read` unless set at creation.
                    .add_column(
                        ColumnDef::new("default_scopes")
                            .string_len(100)
                            .not_null()
                            .default("read"),
                    )
                    .to_owned(),
            )
            .await?;
        // A client that holds no `read` gets what it holds.
        manager
            .get_connection()
            .execute_unprepared("UPDATE integration_clients SET default_scopes = scopes WHERE scopes NOT LIKE '%read%'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("integration_clients")
                    .drop_column("default_scopes")
                    .to_owned(),
            )
            .await?;
        for column in ["successor_id", "used_from"] {
            manager
                .alter_table(Table::alter().table("refresh_tokens").drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("sign_in_origins").to_owned())
            .await
    }
}
