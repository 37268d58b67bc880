//! Projects and funds (援建项目, 协同资金): the ledger behind the city's
//! headline figures. A project belongs to a pairing and a year (and maybe
//! to the plan and task it serves); its status is its latest milestone
//! (issued 下达 → started 开工 → completed 完工 → accepted 验收, or
//! cancelled); its money moves as allocations (拨付) and spending (支出).
//! Amounts are 万元 × 10⁴, exact integers like every amount here.

use sea_orm::prelude::Uuid;
use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The catalogue's first entries: code, name, position.
const CATEGORIES: &[(&str, &str)] = &[
    ("industry", "产业"),
    ("infrastructure", "基础设施"),
    ("education", "教育"),
    ("medical", "医疗"),
    ("ecology", "生态"),
    ("rural", "乡村振兴"),
    ("other", "其他"),
];

/// The ids of the catalogue's first entries: this base plus their position.
const CATEGORY_ID_BASE: u128 = 0x7a0c_0000_0000_4000_8000_0000_0000_0000;

const STATUSES: &[&str] = &["issued", "started", "completed", "accepted", "cancelled"];

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
                        .table("project_categories")
                        .col(id())
                        .col(ColumnDef::new("code").string_len(64).not_null())
                        .col(sortable_text(backend, "name", 100))
                        .col(ColumnDef::new("position").integer().not_null()),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(unique("project_categories", &["code"])).await?;
        manager.create_index(unique("project_categories", &["name"])).await?;
        let now = chrono::Utc::now();
        let mut insert = Query::insert()
            .into_table("project_categories")
            .columns(["id", "code", "name", "position", "created_at", "updated_at", "version"])
            .to_owned();
        for (n, (code, name)) in CATEGORIES.iter().enumerate() {
            insert.values_panic([
                Uuid::from_u128(CATEGORY_ID_BASE + n as u128).into(),
                (*code).into(),
                (*name).into(),
                (n as i32).into(),
                now.into(),
                now.into(),
                1.into(),
            ]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("projects")
                        .col(id())
                        .col(uuid("pairing_id"))
                        .col(ColumnDef::new("year").integer().not_null())
                        .col(uuid_null("plan_id"))
                        .col(uuid_null("task_id"))
                        .col(sortable_text(backend, "name", 300))
                        .col(uuid("category_id"))
                        // The recipient region, and the town or park in words.
                        .col(uuid("region_id"))
                        .col(ColumnDef::new("location").string_len(200).null())
                        .col(ColumnDef::new("content").text().null())
                        .col(uuid("implementing_unit_id"))
                        .col(uuid_null("helper_lead_unit_id"))
                        .col(uuid_null("recipient_lead_unit_id"))
                        .col(amount("investment_e4"))
                        .col(amount("pairing_funds_e4"))
                        .col(ColumnDef::new("external_id").string_len(100).null())
                        .col(enumeration("status", STATUSES))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "pairing_id",
                            "pairings",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "plan_id",
                            "plans",
                            ForeignKeyAction::SetNull,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "task_id",
                            "tasks",
                            ForeignKeyAction::SetNull,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "category_id",
                            "project_categories",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "region_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "implementing_unit_id",
                            "units",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "helper_lead_unit_id",
                            "units",
                            ForeignKeyAction::SetNull,
                        ))
                        .foreign_key(&mut foreign_key(
                            "projects",
                            "recipient_lead_unit_id",
                            "units",
                            ForeignKeyAction::SetNull,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(index("projects", &["pairing_id", "year"])).await?;
        manager.create_index(index("projects", &["plan_id"])).await?;
        manager.create_index(index("projects", &["task_id"])).await?;
        manager
            .create_index(unique("projects", &["pairing_id", "external_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("project_milestones")
                    .col(id())
                    .col(uuid("project_id"))
                    .col(enumeration("status", STATUSES))
                    .col(ColumnDef::new("occurred_on").date().not_null())
                    // False when the ledger gave no date: it counts from the
                    // day it was recorded.
                    .col(ColumnDef::new("dated").boolean().not_null())
                    .col(ColumnDef::new("note").text().null())
                    .col(uuid_null("recorded_by"))
                    .col(ColumnDef::new("recorded_by_name").string_len(100).not_null())
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        "project_milestones",
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "project_milestones",
                        "recorded_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("project_milestones", &["project_id", "occurred_on"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fund_movements")
                    .col(id())
                    .col(uuid("project_id"))
                    .col(enumeration("kind", &["allocation", "spending"]))
                    .col(ColumnDef::new("occurred_on").date().not_null())
                    .col(amount("amount_e4").check(Expr::col("amount_e4").gt(0)).take())
                    .col(enumeration("source", &["helper", "co_helper", "city", "society"]))
                    .col(ColumnDef::new("purpose").string_len(100).not_null())
                    // Why spending went beyond the allocations, when it did.
                    .col(ColumnDef::new("reason").text().null())
                    .col(ColumnDef::new("note").text().null())
                    .col(uuid_null("recorded_by"))
                    .col(ColumnDef::new("recorded_by_name").string_len(100).not_null())
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        "fund_movements",
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fund_movements",
                        "recorded_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("fund_movements", &["project_id", "occurred_on"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["fund_movements", "project_milestones", "projects", "project_categories"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
