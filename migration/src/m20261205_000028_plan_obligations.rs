//! The reports each plan's tasks owe, kept (issue 26): a row for every
//! report owed by the plan's rhythm and rule, by whom, when it is due and
//! the day it was first filed, if it was. Which are late on a day is then a
//! condition on two days (due before it, not filed by it), so that the
//! late list reads the rows of late reports instead of every task, its
//! units and its reports.
//!
//! Kept beside the plan's lights (`plan_lights`), in the same write, and
//! forgotten with them: a plan's rows count while it has lights at the
//! current epoch. Rows of plans kept before this table existed would read
//! as "owes nothing", so their lights are forgotten here and the service
//! judges them again.

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
                    .table("plan_obligations")
                    .col(uuid("plan_id"))
                    .col(uuid("task_id"))
                    .col(uuid_null("unit_id"))
                    .col(uuid_null("group_id"))
                    .col(ColumnDef::new("role").string_len(32).not_null())
                    .col(ColumnDef::new("period").string_len(16).not_null())
                    .col(ColumnDef::new("kind").string_len(16).not_null())
                    .col(ColumnDef::new("due_on").date().not_null())
                    .col(ColumnDef::new("filed_on").date().null())
                    .col(uuid_null("report_id"))
                    .col(ColumnDef::new("section").text().not_null())
                    .col(ColumnDef::new("seq").integer().not_null())
                    .foreign_key(&mut foreign_key(
                        "plan_obligations",
                        "plan_id",
                        "plans",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("plan_obligations", &["plan_id", "due_on"]))
            .await?;
        manager
            .exec_stmt(Query::delete().from_table("plan_lights").to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("plan_obligations").to_owned())
            .await?;
        Ok(())
    }
}
