//! Regions (行政区划) and the units that belong to them: departments, towns,
//! streets (单位, 镇街), their aliases and their groups (各镇街).

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
                        .table("regions")
                        .col(id())
                        .col(ColumnDef::new("code").string_len(12).null())
                        .col(sortable_text(backend, "name", 100))
                        .col(enumeration(
                            "kind",
                            &["province", "city", "district", "county", "development_zone"],
                        ))
                        .col(enumeration_null("cluster", &["main_metro", "northeast", "southeast"]))
                        .col(uuid_null("parent_id"))
                        .foreign_key(&mut foreign_key(
                            "regions",
                            "parent_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(unique("regions", &["code"])).await?;
        manager.create_index(unique("regions", &["parent_id", "name"])).await?;
        manager.create_index(index("regions", &["name"])).await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("units")
                        .col(id())
                        .col(uuid("region_id"))
                        .col(sortable_text(backend, "name", 200))
                        .col(enumeration("kind", UNIT_KINDS))
                        .foreign_key(&mut foreign_key(
                            "units",
                            "region_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(unique("units", &["region_id", "name"])).await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("unit_groups")
                        .col(id())
                        .col(uuid("region_id"))
                        .col(sortable_text(backend, "name", 200))
                        // A group by rule holds every unit of these kinds in
                        // its region (comma-separated); NULL means explicit
                        // members only.
                        .col(ColumnDef::new("rule_kinds").string_len(200).null())
                        .col(ColumnDef::new("description").text().null())
                        .foreign_key(&mut foreign_key(
                            "unit_groups",
                            "region_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("unit_groups", &["region_id", "name"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("unit_group_members")
                    .col(uuid("group_id"))
                    .col(uuid("unit_id"))
                    .col(timestamp("created_at"))
                    .primary_key(Index::create().col("group_id").col("unit_id"))
                    .foreign_key(&mut foreign_key(
                        "unit_group_members",
                        "group_id",
                        "unit_groups",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "unit_group_members",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("unit_group_members", &["unit_id"])).await?;

        // Another name of a unit or a group within its region: 区就业人才中心
        // for 区就业和人才中心, 区级各部门单位 for 区级相关部门单位.
        manager
            .create_table(
                Table::create()
                    .table("unit_aliases")
                    .col(id())
                    .col(uuid("region_id"))
                    .col(ColumnDef::new("alias").string_len(200).not_null())
                    .col(uuid_null("unit_id"))
                    .col(uuid_null("group_id"))
                    .col(timestamp("created_at"))
                    .check((
                        "ck_unit_aliases_target",
                        Expr::col("unit_id").is_null().ne(Expr::col("group_id").is_null()),
                    ))
                    .foreign_key(&mut foreign_key(
                        "unit_aliases",
                        "region_id",
                        "regions",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "unit_aliases",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "unit_aliases",
                        "group_id",
                        "unit_groups",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("unit_aliases", &["region_id", "alias"]))
            .await?;
        manager.create_index(index("unit_aliases", &["unit_id"])).await?;
        manager.create_index(index("unit_aliases", &["group_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["unit_aliases", "unit_group_members", "unit_groups", "units", "regions"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
