//! A plan's reporting calendar: the day of the following month by which the
//! monthly scheduling report (月调度) is due, the day of the month after a
//! quarter by which the quarterly bulletin (季通报) is due (none: the plan
//! has no such rhythm), and the month-day in the plan's year by which the
//! yearly report (年评估考核, 11月20日前) and the coordinator's summary
//! (12月20日前) are due.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 4] = ["monthly_due_day", "quarterly_due_day", "yearly_due", "summary_due"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let day = |name: &'static str, default: i32| {
            ColumnDef::new(name)
                .integer()
                .null()
                .default(default)
                .check(Expr::col(name).is_null().or(Expr::col(name).between(1, 28)))
                .to_owned()
        };
        let month_day = |name: &'static str, default: &'static str| {
            ColumnDef::new(name)
                .string_len(5)
                .not_null()
                .default(default)
                .to_owned()
        };
        // One column per statement: SQLite adds no more at a time.
        for mut column in [
            day("monthly_due_day", 5),
            day("quarterly_due_day", 10),
            month_day("yearly_due", "11-20"),
            month_day("summary_due", "12-20"),
        ] {
            manager
                .alter_table(Table::alter().table("plans").add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(Table::alter().table("plans").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
