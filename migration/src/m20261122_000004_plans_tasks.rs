//! Plans (任务清单), their tasks (重点任务), the units assigned to each task
//! (牵头 and 配合), the metric catalogue and the targets (指标) inside tasks.

use sea_orm::prelude::Uuid;
use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The metric catalogue the documents need: what can be summed across
/// pairings. Fixed ids so that every installation names a metric the same.
const METRICS: &[(u128, &str, &str, &str)] = &[
    (1, "investment_funds", "实际到位资金", "万元"),
    (2, "projects_introduced", "引进项目", "个"),
    (3, "enterprise_partnerships", "企业合作", "对"),
    (4, "produce_sales", "消费帮扶（销售农特产品）", "万元"),
    (5, "jobs", "落实就业岗位", "个"),
    (6, "trainees", "就业培训", "人次"),
    (7, "teachers_exchanged", "教师交流培训", "名"),
    (8, "medical_staff_exchanged", "医务人员互派", "名"),
    (9, "officials_exchanged", "干部挂职交流", "名"),
    (10, "professionals_exchanged", "专技人才交流", "名"),
    (11, "research_projects", "科研协作项目", "个"),
    (12, "school_pairs", "结对学校", "对"),
    (13, "hospital_pairs", "结对医院", "对"),
    (14, "ecological_compensation", "生态补偿", "万元"),
    (15, "total_investment", "总投资", "万元"),
    (16, "projects_started", "开工项目", "个"),
];

/// The namespace of the fixed metric ids: `00000000-0000-4000-8000-0000000000NN`.
const METRIC_ID_BASE: u128 = 0x0000_0000_0000_4000_8000_0000_0000_0000;

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
                        .table("metrics")
                        .col(id())
                        .col(ColumnDef::new("code").string_len(64).not_null())
                        .col(sortable_text(backend, "name", 100))
                        .col(ColumnDef::new("unit_of_measure").string_len(20).not_null())
                        .col(ColumnDef::new("description").text().null()),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(unique("metrics", &["code"])).await?;
        let now = chrono::Utc::now();
        let mut insert = Query::insert()
            .into_table("metrics")
            .columns([
                "id",
                "code",
                "name",
                "unit_of_measure",
                "created_at",
                "updated_at",
                "version",
            ])
            .to_owned();
        for (n, code, name, unit) in METRICS {
            insert.values_panic([
                Uuid::from_u128(METRIC_ID_BASE + n).into(),
                (*code).into(),
                (*name).into(),
                (*unit).into(),
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
                        .table("plans")
                        .col(id())
                        // A pairing's plan, or one region's own (exactly one).
                        .col(uuid_null("pairing_id"))
                        .col(uuid_null("region_id"))
                        .col(ColumnDef::new("year").integer().not_null())
                        .col(sortable_text(backend, "title", 300))
                        .col(ColumnDef::new("doc_number").string_len(100).null())
                        .col(ColumnDef::new("issued_on").date().null())
                        // JSON array of the issuing bodies' names.
                        .col(ColumnDef::new("issuers").json().not_null())
                        .col(enumeration("status", &["draft", "issued", "closed"]))
                        .col(ColumnDef::new("default_deadline").date().not_null())
                        .check((
                            "ck_plans_owner",
                            Expr::col("pairing_id").is_null().ne(Expr::col("region_id").is_null()),
                        ))
                        .foreign_key(&mut foreign_key(
                            "plans",
                            "pairing_id",
                            "pairings",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "plans",
                            "region_id",
                            "regions",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(index("plans", &["pairing_id", "year"])).await?;
        manager.create_index(index("plans", &["region_id", "year"])).await?;
        manager.create_index(index("plans", &["year"])).await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("tasks")
                        .col(id())
                        .col(uuid("plan_id"))
                        // 部分: empty when the plan has no sections.
                        .col(sortable_text(backend, "section", 100).default(""))
                        .col(ColumnDef::new("seq").integer().not_null())
                        .col(sortable_text_null(backend, "category", 200))
                        .col(sortable_long_text(backend, "content"))
                        .col(ColumnDef::new("deadline").date().not_null())
                        .col(ColumnDef::new("deadline_text").string_len(100).null())
                        .col(enumeration(
                            "status",
                            &["not_started", "in_progress", "completed", "cancelled"],
                        ))
                        // The lead unit's own word on progress, in percent,
                        // for tasks without targets.
                        .col(
                            ColumnDef::new("declared_progress").integer().null().check(
                                Expr::col("declared_progress")
                                    .is_null()
                                    .or(Expr::col("declared_progress").between(0, 100)),
                            ),
                        )
                        .col(ColumnDef::new("progress_note").text().null())
                        // JSON array of 牵头领导 names.
                        .col(ColumnDef::new("leaders").json().not_null())
                        .col(ColumnDef::new("notes").text().null())
                        .foreign_key(&mut foreign_key("tasks", "plan_id", "plans", ForeignKeyAction::Cascade)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("tasks", &["plan_id", "section", "seq"]))
            .await?;
        manager.create_index(index("tasks", &["deadline"])).await?;
        manager.create_index(index("tasks", &["status"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("task_assignments")
                    .col(id())
                    .col(uuid("task_id"))
                    .col(uuid_null("unit_id"))
                    .col(uuid_null("group_id"))
                    .col(enumeration("role", &["lead", "supporting"]))
                    .col(enumeration_null("side", &["helper", "recipient"]))
                    .col(ColumnDef::new("position").integer().not_null())
                    .col(timestamp("created_at"))
                    .check((
                        "ck_task_assignments_target",
                        Expr::col("unit_id").is_null().ne(Expr::col("group_id").is_null()),
                    ))
                    .foreign_key(&mut foreign_key(
                        "task_assignments",
                        "task_id",
                        "tasks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "task_assignments",
                        "unit_id",
                        "units",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "task_assignments",
                        "group_id",
                        "unit_groups",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("task_assignments", &["task_id", "unit_id"]))
            .await?;
        manager
            .create_index(unique("task_assignments", &["task_id", "group_id"]))
            .await?;
        manager
            .create_index(index("task_assignments", &["unit_id", "role"]))
            .await?;
        manager
            .create_index(index("task_assignments", &["group_id", "role"]))
            .await?;

        manager
            .create_table(
                with_lifecycle(
                    Table::create()
                        .table("targets")
                        .col(id())
                        .col(uuid("task_id"))
                        .col(uuid_null("metric_id"))
                        // What the document calls it, when no metric fits.
                        .col(ColumnDef::new("label").string_len(200).null())
                        .col(enumeration(
                            "comparator",
                            &["at_least", "at_most", "about", "exactly", "range"],
                        ))
                        .col(amount("value_e4"))
                        .col(amount_null("value_max_e4"))
                        .col(ColumnDef::new("unit_of_measure").string_len(20).not_null())
                        .col(ColumnDef::new("source_text").text().not_null())
                        .col(ColumnDef::new("position").integer().not_null())
                        .check((
                            "ck_targets_range",
                            Expr::col("comparator")
                                .eq("range")
                                .and(Expr::col("value_max_e4").is_not_null())
                                .or(Expr::col("comparator")
                                    .ne("range")
                                    .and(Expr::col("value_max_e4").is_null())),
                        ))
                        .foreign_key(&mut foreign_key(
                            "targets",
                            "task_id",
                            "tasks",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut foreign_key(
                            "targets",
                            "metric_id",
                            "metrics",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(index("targets", &["task_id"])).await?;
        manager.create_index(index("targets", &["metric_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["targets", "task_assignments", "tasks", "plans", "metrics"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
