//! Platforms' own ids: plans, tasks and reports carry an `external_id`,
//! as projects already do, with the client that set it. An external id is
//! unique per client (`external_client_id`, none when a person set it), so
//! that `PUT /api/v1/{resource}/by-external-id/{external_id}` finds the one
//! row a platform means. Units, which administrators manage, may carry one
//! too, unique among units.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const WITHOUT: [&str; 3] = ["plans", "tasks", "reports"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in WITHOUT {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new("external_id").string_len(100).null().to_owned())
                        .to_owned(),
                )
                .await?;
        }
        for table in ["plans", "tasks", "reports", "projects"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(uuid_null("external_client_id"))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(unique(table, &["external_client_id", "external_id"]))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("units")
                    .add_column(ColumnDef::new("external_id").string_len(100).null().to_owned())
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("units", &["external_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("uq_units_external_id").table("units").to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("units").drop_column("external_id").to_owned())
            .await?;
        for table in ["plans", "tasks", "reports", "projects"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("uq_{table}_external_client_id_external_id"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(Table::alter().table(table).drop_column("external_client_id").to_owned())
                .await?;
        }
        for table in WITHOUT {
            manager
                .alter_table(Table::alter().table(table).drop_column("external_id").to_owned())
                .await?;
        }
        Ok(())
    }
}
