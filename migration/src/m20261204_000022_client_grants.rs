//! What an integration client serves: its grants. A grant names a region,
//! a pairing or a plan (or nothing: every row, as before grants existed) and
//! whether the client reads or also writes there. Every client that
//! existed keeps an unrestricted grant of what its scopes allowed, so that
//! nothing it did stops working until an administrator narrows it.
//!
//! The change feed keeps the plan and the pairing a change concerns, so
//! that a client granted a pairing or a plan reads exactly their changes.

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
                    .table("client_grants")
                    .col(id())
                    .col(uuid("client_id"))
                    .col(enumeration("scope", &["read", "write"]))
                    // At most one of the three; none is an unrestricted grant.
                    .col(uuid_null("region_id"))
                    .col(uuid_null("pairing_id"))
                    .col(uuid_null("plan_id"))
                    .col(timestamp("created_at"))
                    .check(Expr::cust(
                        "(CASE WHEN region_id IS NULL THEN 0 ELSE 1 END) \
                         + (CASE WHEN pairing_id IS NULL THEN 0 ELSE 1 END) \
                         + (CASE WHEN plan_id IS NULL THEN 0 ELSE 1 END) <= 1",
                    ))
                    .foreign_key(&mut foreign_key(
                        "client_grants",
                        "client_id",
                        "integration_clients",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "client_grants",
                        "region_id",
                        "regions",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "client_grants",
                        "pairing_id",
                        "pairings",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "client_grants",
                        "plan_id",
                        "plans",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("client_grants", &["client_id"])).await?;
        // The unrestricted grant of every client there is: its id is the
        // client's own (no UUID function is common to both databases), a
        // `write` grant when the client holds `write`.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO client_grants (id, client_id, scope, created_at) \
                 SELECT id, id, CASE WHEN scopes LIKE '%write%' THEN 'write' ELSE 'read' END, created_at \
                 FROM integration_clients",
            )
            .await?;
        for column in ["plan_id", "pairing_id"] {
            manager
                .alter_table(Table::alter().table("changes").add_column(uuid_null(column)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["pairing_id", "plan_id"] {
            manager
                .alter_table(Table::alter().table("changes").drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("client_grants").to_owned())
            .await
    }
}
