//! Pairings (结对): a helper region, a recipient region and co-helpers, their
//! agreement documents, and the unit pairing table (部门街镇结对帮扶表).

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
                        .table("pairings")
                        .col(id())
                        .col(uuid("helper_region_id"))
                        .col(uuid("recipient_region_id"))
                        .col(ColumnDef::new("start_year").integer().null())
                        .col(enumeration("status", &["active", "ended"]))
                        .col(ColumnDef::new("note").text().null())
                        .check((
                            "ck_pairings_distinct_regions",
                            Expr::col("helper_region_id").ne(Expr::col("recipient_region_id")),
                        ))
                        .foreign_key(&mut foreign_key(
                            "pairings",
                            "helper_region_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "pairings",
                            "recipient_region_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("pairings", &["helper_region_id", "recipient_region_id"]))
            .await?;
        manager
            .create_index(index("pairings", &["recipient_region_id"]))
            .await?;

        // 联合结对: 涪陵区 helps 武隆区 together with 南川区.
        manager
            .create_table(
                Table::create()
                    .table("pairing_co_helpers")
                    .col(uuid("pairing_id"))
                    .col(uuid("region_id"))
                    .primary_key(Index::create().col("pairing_id").col("region_id"))
                    .foreign_key(&mut foreign_key(
                        "pairing_co_helpers",
                        "pairing_id",
                        "pairings",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "pairing_co_helpers",
                        "region_id",
                        "regions",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("pairing_co_helpers", &["region_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("pairing_documents")
                    .col(id())
                    .col(uuid("pairing_id"))
                    .col(ColumnDef::new("title").string_len(500).not_null())
                    .col(ColumnDef::new("doc_number").string_len(100).null())
                    .col(ColumnDef::new("issued_on").date().null())
                    .col(ColumnDef::new("position").integer().not_null())
                    .foreign_key(&mut foreign_key(
                        "pairing_documents",
                        "pairing_id",
                        "pairings",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("pairing_documents", &["pairing_id"]))
            .await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("unit_pairings")
                        .col(id())
                        .col(uuid("pairing_id"))
                        .col(uuid("helper_unit_id"))
                        .col(uuid("recipient_unit_id"))
                        .col(ColumnDef::new("seq").integer().null())
                        .col(sortable_text_null(backend, "note", 500))
                        .foreign_key(&mut foreign_key(
                            "unit_pairings",
                            "pairing_id",
                            "pairings",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut foreign_key(
                            "unit_pairings",
                            "helper_unit_id",
                            "units",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "unit_pairings",
                            "recipient_unit_id",
                            "units",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "unit_pairings",
                &["pairing_id", "helper_unit_id", "recipient_unit_id"],
            ))
            .await?;
        manager
            .create_index(index("unit_pairings", &["helper_unit_id"]))
            .await?;
        manager
            .create_index(index("unit_pairings", &["recipient_unit_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["unit_pairings", "pairing_documents", "pairing_co_helpers", "pairings"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
