//! The late list (逾期未报单位清单) as an office circulates it: a title and
//! the day it stands on above the table, a row per late report (a unit's
//! oldest twenty at most: a city's year can owe tens of thousands), each unit's
//! number, name, district and count merged over its rows, the most late
//! unit first. Output only: nothing reads it back.

use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::export::Sheet;
use crate::domain::calendar::{self, CalendarFilter, LateReport};
use crate::domain::names::Named;
use crate::domain::{Caller, DomainResult, names};

/// The columns, as offices head them.
pub const HEADER: [&str; 9] = [
    "序号",
    "单位",
    "所在区县",
    "逾期份数",
    "任务清单",
    "任务",
    "报送期",
    "应报日期",
    "逾期天数",
];

/// 2025年7月11日.
pub fn chinese_day(day: NaiveDate) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// The late units of `filter` as their list's sheet: each unit's oldest
/// late reports (at most [`calendar::LATE_ITEMS`]; its count is whole).
pub async fn sheet<C: ConnectionTrait>(conn: &C, caller: &Caller, filter: CalendarFilter) -> DomainResult<Sheet> {
    let report = calendar::late_units(conn, caller, filter).await?;
    sheet_of(conn, &report).await
}

/// The sheet of late units already gathered.
pub async fn sheet_of<C: ConnectionTrait>(conn: &C, report: &LateReport) -> DomainResult<Sheet> {
    let items = report.units.iter().flat_map(|u| &u.items);
    let plan_ids: Vec<Uuid> = items.clone().map(|o| o.plan_id).collect();
    let task_ids: Vec<Uuid> = items.map(|o| o.task_id).collect();
    let region_ids: Vec<Uuid> = report.units.iter().map(|u| u.region_id).collect();
    let plan_titles = names::of(conn, Named::PlanTitles, plan_ids).await?;
    let contents = names::of(conn, Named::TaskContents, task_ids).await?;
    let region_names = names::of(conn, Named::Regions, region_ids).await?;

    let total: u64 = report.units.iter().map(|u| u.late).sum();
    let mut rows = vec![HEADER.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    let mut merged = Vec::new();
    for (n, unit) in report.units.iter().enumerate() {
        let first = rows.len();
        for item in &unit.items {
            let section = item.section.as_deref().map(|s| format!("{s} ")).unwrap_or_default();
            let content = contents.get(&item.task_id).cloned().unwrap_or_default();
            rows.push(vec![
                (n + 1).to_string(),
                unit.unit_name.clone(),
                region_names.get(&unit.region_id).cloned().unwrap_or_default(),
                unit.late.to_string(),
                plan_titles.get(&item.plan_id).cloned().unwrap_or_default(),
                format!("{section}{}. {content}", item.seq),
                item.period.chinese(),
                item.due_on.to_string(),
                (report.on - item.due_on).num_days().to_string(),
            ]);
        }
        let last = rows.len() - 1;
        if last > first {
            merged.extend((0..4).map(|column| (first, last, column)));
        }
    }
    Ok(Sheet {
        above: vec![
            "逾期未报单位清单".to_owned(),
            format!(
                "截至{}，{}个单位{}份报告逾期未报{}",
                chinese_day(report.on),
                report.units.len(),
                total,
                if report.units.iter().any(|u| u.late as usize > u.items.len()) {
                    format!("（每个单位列出最早的{}份）", calendar::LATE_ITEMS)
                } else {
                    String::new()
                }
            ),
        ],
        rows,
        merged,
        // 逾期天数
        numeric: vec![8],
    })
}
