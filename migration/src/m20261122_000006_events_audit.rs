//! The chronicle of a pairing (大事记) with its amounts, and the audit log of
//! every change.

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
                with_lifecycle(
                    Table::create()
                        .table("events")
                        .col(id())
                        .col(uuid("pairing_id"))
                        .col(ColumnDef::new("occurred_on").date().not_null())
                        .col(sortable_text(backend, "title", 500))
                        .col(ColumnDef::new("description").text().null())
                        .foreign_key(&mut foreign_key(
                            "events",
                            "pairing_id",
                            "pairings",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("events", &["pairing_id", "occurred_on"]))
            .await?;

        // 8.46万亩, 21150万元: each amount a value and its unit.
        manager
            .create_table(
                Table::create()
                    .table("event_amounts")
                    .col(id())
                    .col(uuid("event_id"))
                    .col(amount("value_e4"))
                    .col(ColumnDef::new("unit_of_measure").string_len(20).not_null())
                    .col(ColumnDef::new("label").string_len(200).null())
                    .col(ColumnDef::new("position").integer().not_null())
                    .foreign_key(&mut foreign_key(
                        "event_amounts",
                        "event_id",
                        "events",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("event_amounts", &["event_id"])).await?;

        // Never updated or deleted by the service: no version.
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(id())
                    .col(timestamp("occurred_at"))
                    .col(enumeration("actor_kind", &["user", "client", "system"]))
                    .col(uuid_null("actor_id"))
                    .col(ColumnDef::new("actor_name").string_len(200).null())
                    .col(ColumnDef::new("actor_role").string_len(32).null())
                    .col(ColumnDef::new("action").string_len(64).not_null())
                    .col(ColumnDef::new("entity").string_len(64).not_null())
                    .col(uuid_null("entity_id"))
                    // {"before": {...} | null, "after": {...} | null}, only
                    // the fields that changed.
                    .col(ColumnDef::new("changes").json().not_null())
                    .col(ColumnDef::new("request_id").string_len(100).null())
                    .col(ColumnDef::new("client_addr").string_len(100).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("audit_log", &["entity", "entity_id"]))
            .await?;
        manager.create_index(index("audit_log", &["actor_id"])).await?;
        manager.create_index(index("audit_log", &["occurred_at"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_log", "event_amounts", "events"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
