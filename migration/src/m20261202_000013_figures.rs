//! Figures that are true: a metric says how it aggregates (`sum`, or `none`
//! for percentages and growth rates) and which words name it; a target may
//! be qualitative (完成市上下达任务: no value) and keeps the baseline its text
//! gives; targets and reported actuals carry their value converted to the
//! metric's unit (`normalized_e8`, the value × 10⁸, filled by the service,
//! which owns the catalogue of units); an actual may be written in a unit of
//! its own; reports and plans know half-years (`2025-H1`).
//!
//! SQLite cannot change a CHECK constraint in place: `targets` is rebuilt
//! there (its reported values are kept aside and put back, since dropping
//! the table cascades to them), and `reports.period_kind` is replaced by a
//! new column of the same name on both backends.

use sea_orm::prelude::Uuid;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The words that name each metric of the first catalogue, as the target
/// extractor used them; the longest match wins.
const SYNONYMS: &[(&str, &str)] = &[
    ("investment_funds", r#"["到位资金"]"#),
    ("ecological_compensation", r#"["生态补偿"]"#),
    ("research_projects", r#"["科研协作","科研项目","科技项目"]"#),
    ("produce_sales", r#"["销售","消费帮扶","农特产品"]"#),
    ("jobs", r#"["就业岗位","岗位"]"#),
    ("trainees", r#"["就业培训","技能培训"]"#),
    ("teachers_exchanged", r#"["教师","教学"]"#),
    ("medical_staff_exchanged", r#"["医务人员","医生","医护"]"#),
    ("professionals_exchanged", r#"["专技人才"]"#),
    ("officials_exchanged", r#"["干部"]"#),
    ("school_pairs", r#"["结对学校","学校结对"]"#),
    ("hospital_pairs", r#"["结对医院","医院结对"]"#),
    ("enterprise_partnerships", r#"["合作关系","企业合作","结对合作"]"#),
    ("projects_introduced", r#"["引进","落地","招商"]"#),
];

/// The fixed id of the metric added here (see migration 4's namespace).
const STAFF_TRAINED_ID: u128 = 0x0000_0000_0000_4000_8000_0000_0000_0000 + 17;

const COMPARATORS: &[&str] = &["at_least", "at_most", "about", "exactly", "range", "qualitative"];

/// `targets` as it is from now on.
fn targets_table(name: &'static str) -> TableCreateStatement {
    with_lifecycle(
        Table::create()
            .table(name)
            .col(id())
            .col(uuid("task_id"))
            .col(uuid_null("metric_id"))
            .col(ColumnDef::new("label").string_len(200).null())
            .col(enumeration("comparator", COMPARATORS))
            // None only for a qualitative target.
            .col(amount_null("value_e4"))
            .col(amount_null("value_max_e4"))
            .col(ColumnDef::new("unit_of_measure").string_len(20).not_null())
            .col(ColumnDef::new("source_text").text().not_null())
            .col(ColumnDef::new("position").integer().not_null())
            .col(amount_null("normalized_e8"))
            .col(amount_null("normalized_max_e8"))
            .col(ColumnDef::new("baseline").string_len(100).null())
            .check(("ck_targets_range", range_rule()))
            .check(("ck_targets_value", value_rule()))
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
    .to_owned()
}

/// Only a range has an upper end.
fn range_rule() -> SimpleExpr {
    Expr::col("comparator")
        .eq("range")
        .and(Expr::col("value_max_e4").is_not_null())
        .or(Expr::col("comparator")
            .ne("range")
            .and(Expr::col("value_max_e4").is_null()))
}

/// Only a qualitative target has no value.
fn value_rule() -> SimpleExpr {
    Expr::col("comparator")
        .eq("qualitative")
        .and(Expr::col("value_e4").is_null())
        .or(Expr::col("comparator")
            .ne("qualitative")
            .and(Expr::col("value_e4").is_not_null()))
}

const TARGET_COLUMNS: &str = "id, task_id, metric_id, label, comparator, value_e4, value_max_e4, unit_of_measure, \
     source_text, position, created_at, updated_at, version";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();

        // Metrics: how they aggregate, and their synonyms (a JSON array).
        for column in [
            ColumnDef::new("aggregation")
                .string_len(32)
                .not_null()
                .default("sum")
                .check(Expr::col("aggregation").is_in(["sum", "none"]))
                .take(),
            ColumnDef::new("synonyms").text().not_null().default("[]").take(),
        ] {
            manager
                .alter_table(Table::alter().table("metrics").add_column(column).to_owned())
                .await?;
        }
        for (code, synonyms) in SYNONYMS {
            manager
                .exec_stmt(
                    Query::update()
                        .table("metrics")
                        .value("synonyms", *synonyms)
                        .and_where(Expr::col("code").eq(*code))
                        .to_owned(),
                )
                .await?;
        }
        // Exchanging staff (交流, 互派) and training them (培训) are two things.
        manager
            .exec_stmt(
                Query::update()
                    .table("metrics")
                    .value("name", "互派教师")
                    .and_where(Expr::col("code").eq("teachers_exchanged"))
                    .to_owned(),
            )
            .await?;
        let now = chrono::Utc::now();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("metrics")
                    .columns([
                        "id",
                        "code",
                        "name",
                        "unit_of_measure",
                        "aggregation",
                        "synonyms",
                        "created_at",
                        "updated_at",
                        "version",
                    ])
                    .values_panic([
                        Uuid::from_u128(STAFF_TRAINED_ID).into(),
                        "staff_trained".into(),
                        "培训人才".into(),
                        "名".into(),
                        "sum".into(),
                        r#"["培训干部","培训医务人员","培训教师","人才培训","干部培训","培训"]"#.into(),
                        now.into(),
                        now.into(),
                        1.into(),
                    ])
                    .to_owned(),
            )
            .await?;

        // Targets: qualitative ones, normalized values, a baseline.
        match backend {
            DatabaseBackend::Sqlite => {
                for sql in [
                    "CREATE TEMP TABLE kept_report_values AS SELECT * FROM report_values".to_owned(),
                    targets_table("targets_next").to_string(SqliteQueryBuilder),
                    format!("INSERT INTO targets_next ({TARGET_COLUMNS}) SELECT {TARGET_COLUMNS} FROM targets"),
                    "DROP TABLE targets".to_owned(),
                    "ALTER TABLE targets_next RENAME TO targets".to_owned(),
                    "INSERT INTO report_values SELECT * FROM kept_report_values".to_owned(),
                    "DROP TABLE kept_report_values".to_owned(),
                ] {
                    db.execute_unprepared(&sql).await?;
                }
                manager.create_index(index("targets", &["task_id"])).await?;
                manager.create_index(index("targets", &["metric_id"])).await?;
            }
            _ => {
                let comparators = COMPARATORS
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                for sql in [
                    "ALTER TABLE targets DROP CONSTRAINT IF EXISTS targets_comparator_check".to_owned(),
                    format!("ALTER TABLE targets ADD CONSTRAINT targets_comparator_check CHECK (comparator IN ({comparators}))"),
                    "ALTER TABLE targets ALTER COLUMN value_e4 DROP NOT NULL".to_owned(),
                    "ALTER TABLE targets ADD CONSTRAINT ck_targets_value CHECK ((comparator = 'qualitative' AND value_e4 IS NULL) \
                     OR (comparator <> 'qualitative' AND value_e4 IS NOT NULL))"
                        .to_owned(),
                    "ALTER TABLE targets ADD COLUMN normalized_e8 BIGINT NULL".to_owned(),
                    "ALTER TABLE targets ADD COLUMN normalized_max_e8 BIGINT NULL".to_owned(),
                    "ALTER TABLE targets ADD COLUMN baseline VARCHAR(100) NULL".to_owned(),
                ] {
                    db.execute_unprepared(&sql).await?;
                }
            }
        }

        // Reported actuals: the unit they were written in (none: their
        // target's), and the value in the metric's unit.
        for column in [
            ColumnDef::new("unit_of_measure").string_len(20).null().take(),
            amount_null("normalized_e8"),
        ] {
            manager
                .alter_table(Table::alter().table("report_values").add_column(column).to_owned())
                .await?;
        }

        // Reports of half-years: a new `period_kind` that admits them.
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .add_column(
                        ColumnDef::new("period_length")
                            .string_len(32)
                            .not_null()
                            .default("month")
                            .check(Expr::col("period_length").is_in(["month", "quarter", "half_year", "year"])),
                    )
                    .to_owned(),
            )
            .await?;
        for sql in [
            "UPDATE reports SET period_length = period_kind",
            "ALTER TABLE reports DROP COLUMN period_kind",
            "ALTER TABLE reports RENAME COLUMN period_length TO period_kind",
        ] {
            db.execute_unprepared(sql).await?;
        }

        // A plan may ask for half-year reports, due on this day (1–28) of
        // the month after each half; none: it does not.
        manager
            .alter_table(
                Table::alter()
                    .table("plans")
                    .add_column(
                        ColumnDef::new("half_yearly_due_day").integer().null().check(
                            Expr::col("half_yearly_due_day")
                                .is_null()
                                .or(Expr::col("half_yearly_due_day").between(1, 28)),
                        ),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the figures migration is not reversible: restore a backup taken before it".into(),
        ))
    }
}
