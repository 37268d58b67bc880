//! Who acts: users (people, each in a unit or none), integration clients
//! (machines of provincial and city platforms) and refresh tokens.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const ROLES: &[&str] = &["admin", "coordinator", "unit_user", "viewer", "integration"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("users")
                        .col(id())
                        .col(sortable_text(backend, "username", 64))
                        .col(ColumnDef::new("display_name").string_len(100).null())
                        .col(ColumnDef::new("password_hash").string_len(255).not_null())
                        .col(enumeration("role", ROLES))
                        .col(uuid_null("unit_id"))
                        .col(ColumnDef::new("disabled").boolean().not_null().default(false))
                        .col(timestamp("password_changed_at"))
                        .foreign_key(&mut foreign_key(
                            "users",
                            "unit_id",
                            "units",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(unique("users", &["username"])).await?;
        manager.create_index(index("users", &["unit_id"])).await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("integration_clients")
                        .col(id())
                        .col(ColumnDef::new("client_id").string_len(64).not_null())
                        .col(sortable_text(backend, "name", 200))
                        .col(ColumnDef::new("secret_hash").string_len(255).not_null())
                        // Space-separated OAuth2 scopes: `read`, `write`.
                        .col(ColumnDef::new("scopes").string_len(100).not_null())
                        .col(timestamp_null("revoked_at"))
                        .col(timestamp_null("last_used_at")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("integration_clients", &["client_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(id())
                    .col(uuid("user_id"))
                    // Every token rotated from one login shares a family; a
                    // token presented twice revokes the whole family.
                    .col(uuid("family_id"))
                    .col(ColumnDef::new("token_hash").string_len(128).not_null())
                    .col(timestamp("issued_at"))
                    .col(timestamp("expires_at"))
                    .col(timestamp_null("used_at"))
                    .col(timestamp_null("revoked_at"))
                    .foreign_key(&mut foreign_key(
                        "refresh_tokens",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("refresh_tokens", &["token_hash"])).await?;
        manager.create_index(index("refresh_tokens", &["family_id"])).await?;
        manager.create_index(index("refresh_tokens", &["user_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["refresh_tokens", "integration_clients", "users"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
