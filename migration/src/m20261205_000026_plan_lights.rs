//! Traffic lights kept per plan, category and day (issue 26): how many of
//! a plan's tasks of a category (`''` for tasks without one) showed each
//! colour on `judged_on`. A light depends on the day, so a row counts only
//! on the day it was judged: statistics add up the rows of today and judge
//! the tasks of the other plans one by one.
//!
//! A write that can change a plan's lights removes the plan's rows in its
//! transaction; one that can reach every plan (a unit, a group) moves
//! `plan_lights_epoch` on instead, and rows count only at the epoch they
//! were judged at. The service judges the plans without rows of today
//! again in the background, and every plan when the day turns.

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
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("plan_lights")
                    .col(uuid("plan_id"))
                    .col(sortable_text(backend, "category", 200))
                    .col(ColumnDef::new("judged_on").date().not_null())
                    .col(ColumnDef::new("epoch").big_integer().not_null())
                    .col(ColumnDef::new("green").big_integer().not_null())
                    .col(ColumnDef::new("yellow").big_integer().not_null())
                    .col(ColumnDef::new("red").big_integer().not_null())
                    .primary_key(Index::create().col("plan_id").col("category"))
                    .foreign_key(&mut foreign_key(
                        "plan_lights",
                        "plan_id",
                        "plans",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("plan_lights", &["judged_on"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("plan_lights_epoch")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("epoch").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("plan_lights_epoch")
                    .columns(["id", "epoch"])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["plan_lights_epoch", "plan_lights"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
