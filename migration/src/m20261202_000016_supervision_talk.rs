//! Supervision as a conversation: each user's inbox of notifications, the
//! reminders the scheduler has sent (so that each goes once, whichever
//! instance sends it), the lease that lets one instance at a time send them,
//! urgings (催办) and requests for more time (延期申请), and how many days
//! before a report is due a plan's units are reminded.

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
            .alter_table(
                Table::alter()
                    .table("plans")
                    .add_column(
                        ColumnDef::new("remind_days")
                            .integer()
                            .not_null()
                            .default(3)
                            .check(Expr::col("remind_days").between(0, 60))
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("urgings")
                    .col(id())
                    .col(uuid("task_id"))
                    .col(uuid("unit_id"))
                    // The owed report's period (`2025-Q3`), when one is named.
                    .col(ColumnDef::new("period").string_len(16).null())
                    .col(ColumnDef::new("message").text().not_null())
                    .col(uuid_null("urged_by"))
                    .col(ColumnDef::new("urged_by_name").string_len(100).not_null())
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        "urgings",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "urgings",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "urgings",
                        "urged_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("urgings", &["task_id", "created_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("extensions")
                    .col(id())
                    .col(uuid("task_id"))
                    // The lead unit that asked.
                    .col(uuid("unit_id"))
                    .col(enumeration("status", &["pending", "approved", "refused"]))
                    // The deadline when asked, and its words, kept as history.
                    .col(ColumnDef::new("previous_deadline").date().not_null())
                    .col(ColumnDef::new("previous_deadline_text").string_len(100).null())
                    .col(ColumnDef::new("deadline").date().not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .col(uuid_null("requested_by"))
                    .col(ColumnDef::new("requested_by_name").string_len(100).not_null())
                    .col(uuid_null("decided_by"))
                    .col(ColumnDef::new("decided_by_name").string_len(100).null())
                    .col(ColumnDef::new("decision_reason").text().null())
                    .col(timestamp_null("decided_at"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        "extensions",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "extensions",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "extensions",
                        "requested_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        "extensions",
                        "decided_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("extensions", &["task_id", "created_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(enumeration(
                        "kind",
                        &[
                            "report_due_soon",
                            "report_late",
                            "report_returned",
                            "report_approved",
                            "urged",
                            "extension_requested",
                            "extension_decided",
                        ],
                    ))
                    .col(ColumnDef::new("message").text().not_null())
                    .col(uuid_null("plan_id"))
                    .col(uuid_null("task_id"))
                    .col(uuid_null("report_id"))
                    .col(uuid_null("urging_id"))
                    .col(uuid_null("extension_id"))
                    .col(ColumnDef::new("period").string_len(16).null())
                    .col(ColumnDef::new("due_on").date().null())
                    .col(timestamp("created_at"))
                    .col(timestamp_null("read_at"))
                    .foreign_key(&mut foreign_key(
                        "notifications",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "notifications",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "notifications",
                        "report_id",
                        "reports",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("notifications", &["user_id", "created_at"]))
            .await?;
        manager.create_index(index("notifications", &["created_at"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("reminders_sent")
                    // `report_late:<task>:<unit or group>:<period>`: one per
                    // obligation and kind, whichever instance sends it.
                    .col(ColumnDef::new("key").string_len(200).not_null().primary_key())
                    .col(uuid("task_id"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        "reminders_sent",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scheduler_leases")
                    .col(ColumnDef::new("name").string_len(64).not_null().primary_key())
                    .col(ColumnDef::new("holder").string_len(64).not_null())
                    .col(timestamp("expires_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "scheduler_leases",
            "reminders_sent",
            "notifications",
            "extensions",
            "urgings",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("plans").drop_column("remind_days").to_owned())
            .await?;
        Ok(())
    }
}
