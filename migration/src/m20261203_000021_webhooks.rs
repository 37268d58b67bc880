//! Webhooks: endpoints that platforms register to be told of changes, and
//! the deliveries to them — the outbox (a delivery is written in the
//! transaction of its change) and the delivery log at once.

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
        let mut table = Table::create();
        table
            .table("webhooks")
            .col(id())
            .col(ColumnDef::new("url").string_len(2000).not_null())
            // ["report.submitted", "task.updated", "*"]
            .col(ColumnDef::new("events").json().not_null())
            .col(uuid_null("filter_region_id"))
            .col(uuid_null("filter_pairing_id"))
            .col(uuid_null("filter_plan_id"))
            // The signing secret (`whsec_` + base64): kept to sign with,
            // shown once, never logged. The previous one signs too until
            // `previous_secret_until` (a rotation's overlap).
            .col(ColumnDef::new("secret").string_len(200).not_null())
            .col(ColumnDef::new("previous_secret").string_len(200).null())
            .col(timestamp_null("previous_secret_until"))
            // An administrator's endpoint is told of accounts too.
            .col(ColumnDef::new("owner_is_admin").boolean().not_null())
            .col(ColumnDef::new("owner_name").string_len(200).not_null())
            .col(enumeration("status", &["active", "disabled"]))
            .col(ColumnDef::new("disabled_reason").string_len(500).null())
            // Since when every attempt has failed; none while it answers.
            .col(timestamp_null("failing_since"));
        with_lifecycle(&mut table);
        manager.create_table(table.to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(id())
                    .col(uuid("webhook_id"))
                    // `report.submitted`, `task.updated` …
                    .col(ColumnDef::new("event_type").string_len(100).not_null())
                    // `entity:id`: the deliveries of one resource go in order.
                    .col(ColumnDef::new("resource").string_len(120).not_null())
                    .col(ColumnDef::new("payload").json().not_null())
                    .col(enumeration("status", &["pending", "delivered", "failed"]))
                    .col(ColumnDef::new("attempts").integer().not_null().default(0))
                    .col(timestamp("next_attempt_at"))
                    // The lease of the instance sending it.
                    .col(timestamp_null("locked_until"))
                    .col(ColumnDef::new("last_status").integer().null())
                    .col(ColumnDef::new("last_latency_ms").big_integer().null())
                    .col(ColumnDef::new("last_response").string_len(1000).null())
                    .col(ColumnDef::new("last_error").string_len(500).null())
                    .col(timestamp("created_at"))
                    .col(timestamp_null("delivered_at"))
                    .foreign_key(&mut foreign_key(
                        "webhook_deliveries",
                        "webhook_id",
                        "webhooks",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("webhook_deliveries", &["status", "next_attempt_at"]))
            .await?;
        manager
            .create_index(index("webhook_deliveries", &["webhook_id", "resource", "created_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_deliveries", "webhooks"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
