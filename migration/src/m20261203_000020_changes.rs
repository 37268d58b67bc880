//! The change feed (`GET /api/v1/changes`): every create, update and delete
//! of a resource, written in the transaction of the change itself.
//!
//! A row is inserted with `seq` empty; the feed's sequencer numbers the
//! committed rows that have none, in the order of `id`, after every number
//! already given (one sequencer at a time). A reader that resumes after a
//! number therefore never misses a change committed later, whatever order
//! the writers committed in: a row gets its number only once committed.
//! `audience`, `unit_id` and `change_regions` are the scope stored with the
//! change: who may read it, decided when it was written, so that a deleted
//! row is seen by those who saw it.

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
                    .table("changes")
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    // The feed's order and its cursors: 1, 2, 3 … without gaps.
                    .col(ColumnDef::new("seq").big_integer().null())
                    .col(timestamp("at"))
                    .col(ColumnDef::new("entity").string_len(64).not_null())
                    .col(uuid("entity_id"))
                    .col(enumeration("op", &["created", "updated", "deleted"]))
                    // `create`, `update`, `delete` or the transition's name
                    // (`submit`, `approve`, `issue` …).
                    .col(ColumnDef::new("action").string_len(64).not_null())
                    .col(ColumnDef::new("version").integer().null())
                    // The resource as it read at that version; for a delete
                    // a tombstone.
                    .col(ColumnDef::new("data").json().not_null())
                    .col(enumeration(
                        "audience",
                        &["everyone", "admins", "regions", "coordinated"],
                    ))
                    // With `regions`: this unit's users see it too (a
                    // project's implementing unit). With `coordinated`: of
                    // the units' users, only this unit's (a report's).
                    .col(uuid_null("unit_id"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("changes", &["seq"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("change_regions")
                    .col(ColumnDef::new("change_id").big_integer().not_null())
                    .col(uuid("region_id"))
                    .primary_key(Index::create().col("region_id").col("change_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_regions_change_id")
                            .from("change_regions", "change_id")
                            .to("changes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("change_regions", &["change_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["change_regions", "changes"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
