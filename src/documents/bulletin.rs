//! The bulletin (季通报) as a workbook: the figures per metric and pairing
//! (目标, 完成, 完成率) with each metric's total, the task counts per pairing,
//! the late units, the tasks lit red or yellow, and native Excel charts — a
//! metric's target and actual per pairing (each metric on its own chart, in
//! its own unit: 万元 and 家 never share an axis), and the share of tasks
//! completed per pairing. CSV gives the figures table. Output only.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Chart, ChartType, Workbook};
use sea_orm::ConnectionTrait;

use super::export::{Format, Sheet, to_file, write_sheet, xlsx_error};
use crate::domain::DomainResult;
use crate::domain::bulletin::Bulletin;
use crate::domain::statistics::{MetricTotal, TaskCounts};
use crate::domain::values::Light;

/// The sheets' names, as a reader finds them.
pub const FIGURES: &str = "指标完成";
pub const PROGRESS: &str = "任务进度";
pub const LATE: &str = "逾期未报";
pub const LAGGING: &str = "滞后任务";
pub const CHARTS: &str = "图表";

/// The figures table's columns.
pub const FIGURES_HEADER: [&str; 6] = ["指标", "单位", "结对", "目标", "完成", "完成率(%)"];
/// The progress table's columns.
pub const PROGRESS_HEADER: [&str; 8] = [
    "结对",
    "任务数",
    "已完成",
    "推进中",
    "未启动",
    "已取消",
    "逾期",
    "完成率(%)",
];

/// The share of `target` that `actual` reaches, in percent with one
/// decimal; blank without a target.
fn share(actual: Decimal, target: Decimal) -> String {
    if target.is_zero() {
        return String::new();
    }
    (actual * Decimal::from(100) / target)
        .round_dp(1)
        .normalize()
        .to_string()
}

/// Whether a metric says anything: it has a target or an actual.
fn speaks(m: &MetricTotal) -> bool {
    m.targets > 0 || !m.actual_total.decimal().is_zero()
}

fn figure_row(metric: &MetricTotal, who: &str) -> Vec<String> {
    vec![
        metric.name.clone(),
        metric.unit.clone(),
        who.to_owned(),
        metric.target_total.to_string(),
        metric.actual_total.to_string(),
        share(metric.actual_total.decimal(), metric.target_total.decimal()),
    ]
}

/// Where a metric's pairings stand in the figures table (rows of `rows`).
struct MetricRows {
    name: String,
    unit: String,
    first: usize,
    last: usize,
}

/// The figures table: per metric, a row per pairing, then its total
/// (合计); the metric and its unit merged over its rows.
fn figures(b: &Bulletin) -> (Sheet, Vec<MetricRows>) {
    let mut rows = vec![FIGURES_HEADER.map(str::to_owned).to_vec()];
    let mut merged = Vec::new();
    let mut charts = Vec::new();
    let mut pairings: Vec<_> = b.statistics.by_pairing.iter().collect();
    pairings.sort_by_key(|p| b.pairing_names.get(&p.pairing_id).cloned().unwrap_or_default());
    for total in b.statistics.metrics.iter().filter(|m| speaks(m)) {
        let first = rows.len();
        for p in &pairings {
            if let Some(m) = p.metrics.iter().find(|m| m.metric == total.metric && speaks(m)) {
                let name = b.pairing_names.get(&p.pairing_id).cloned().unwrap_or_default();
                rows.push(figure_row(m, &name));
            }
        }
        if rows.len() > first {
            charts.push(MetricRows {
                name: total.name.clone(),
                unit: total.unit.clone(),
                first,
                last: rows.len() - 1,
            });
        }
        rows.push(figure_row(total, "合计"));
        let last = rows.len() - 1;
        if last > first {
            merged.extend([(first, last, 0), (first, last, 1)]);
        }
    }
    let sheet = Sheet {
        above: vec![
            b.title(),
            format!(
                "数据截至{}（已审核报告）；逾期未报截至{}，亮灯为今日",
                super::late::chinese_day(b.period.end()),
                super::late::chinese_day(b.on)
            ),
        ],
        rows,
        merged,
        numeric: vec![3, 4, 5],
    };
    (sheet, charts)
}

fn progress_row(who: &str, t: &TaskCounts) -> Vec<String> {
    vec![
        who.to_owned(),
        t.total.to_string(),
        t.completed.to_string(),
        t.in_progress.to_string(),
        t.not_started.to_string(),
        t.cancelled.to_string(),
        t.overdue.to_string(),
        t.completion_rate.clone().unwrap_or_default(),
    ]
}

/// The task counts per pairing, then the whole extent's (合计).
fn progress(b: &Bulletin) -> Sheet {
    let mut rows = vec![PROGRESS_HEADER.map(str::to_owned).to_vec()];
    let mut named: Vec<(String, &TaskCounts)> = b
        .statistics
        .by_pairing
        .iter()
        .map(|p| {
            (
                b.pairing_names.get(&p.pairing_id).cloned().unwrap_or_default(),
                &p.tasks,
            )
        })
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    rows.extend(named.iter().map(|(name, t)| progress_row(name, t)));
    rows.push(progress_row("合计", &b.statistics.tasks));
    Sheet {
        above: vec![format!("{}：各结对任务进度", b.title())],
        rows,
        merged: Vec::new(),
        numeric: (1..=7).collect(),
    }
}

/// The tasks lit red, then yellow: where, what, who leads, by when, why.
fn lagging(b: &Bulletin) -> Sheet {
    let mut rows = vec![
        ["亮灯", "结对", "序号", "任务", "牵头单位", "完成时限", "原因"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for t in &b.lagging {
        let pairing = b
            .plan_pairings
            .get(&t.plan_id)
            .copied()
            .flatten()
            .and_then(|p| b.pairing_names.get(&p).cloned())
            .unwrap_or_default();
        let leads: Vec<&str> = t
            .assignments
            .iter()
            .filter(|a| a.role == crate::domain::values::AssignmentRole::Lead)
            .map(|a| a.name.as_str())
            .collect();
        let section = t.section.as_deref().map(|s| format!("{s} ")).unwrap_or_default();
        rows.push(vec![
            match t.light {
                Light::Red => "红灯",
                Light::Yellow => "黄灯",
                Light::Green => "绿灯",
            }
            .to_owned(),
            pairing,
            format!("{section}{}", t.seq),
            t.content.clone(),
            leads.join("、"),
            t.deadline_text.clone().unwrap_or_else(|| t.deadline.to_string()),
            t.light_reasons
                .iter()
                .map(|r| r.message.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        ]);
    }
    Sheet {
        above: vec![format!("{}：红灯、黄灯任务", b.title())],
        rows,
        merged: Vec::new(),
        numeric: Vec::new(),
    }
}

/// The bulletin's figures table alone, as CSV.
pub fn figures_csv(b: &Bulletin) -> DomainResult<Vec<u8>> {
    to_file(&figures(b).0, Format::Csv)
}

/// The bulletin as a workbook of five sheets, the last its charts.
pub async fn workbook<C: ConnectionTrait>(conn: &C, b: &Bulletin) -> DomainResult<Vec<u8>> {
    let (figures, metric_rows) = figures(b);
    let progress = progress(b);
    let late = super::late::sheet_of(conn, &b.late).await?;
    let mut book = Workbook::new();
    for (name, sheet) in [
        (FIGURES, &figures),
        (PROGRESS, &progress),
        (LATE, &late),
        (LAGGING, &lagging(b)),
    ] {
        let ws = book.add_worksheet();
        ws.set_name(name).map_err(xlsx_error)?;
        write_sheet(ws, sheet)?;
    }
    let charts = book.add_worksheet();
    charts.set_name(CHARTS).map_err(xlsx_error)?;
    let row_of = |sheet: &Sheet, r: usize| u32::try_from(sheet.above.len() + r).unwrap_or(u32::MAX);
    let header = row_of(&figures, 0);
    // A chart 16 rows high, two side by side.
    let place = |n: usize| {
        (
            u32::try_from(n / 2 * 17).unwrap_or(u32::MAX),
            if n.is_multiple_of(2) { 0 } else { 9 },
        )
    };
    let mut n = 0;
    {
        let mut chart = Chart::new(ChartType::Column);
        let (first, last) = (row_of(&progress, 1), row_of(&progress, progress.rows.len() - 2));
        if first <= last {
            chart
                .add_series()
                .set_categories((PROGRESS, first, 0, last, 0))
                .set_values((PROGRESS, first, 7, last, 7))
                .set_name((PROGRESS, row_of(&progress, 0), 7));
            chart.title().set_name("各结对任务完成率（%）");
            chart.y_axis().set_name("%");
            chart.set_width(560).set_height(320);
            let (r, c) = place(n);
            charts.insert_chart(r, c, &chart).map_err(xlsx_error)?;
            n += 1;
        }
    }
    for m in &metric_rows {
        let mut chart = Chart::new(ChartType::Column);
        let (first, last) = (row_of(&figures, m.first), row_of(&figures, m.last));
        for column in [3, 4] {
            chart
                .add_series()
                .set_categories((FIGURES, first, 2, last, 2))
                .set_values((FIGURES, first, column, last, column))
                .set_name((FIGURES, header, column));
        }
        chart.title().set_name(&format!("{}：目标与完成（{}）", m.name, m.unit));
        chart.y_axis().set_name(m.unit.as_str());
        chart.set_width(560).set_height(320);
        let (r, c) = place(n);
        charts.insert_chart(r, c, &chart).map_err(xlsx_error)?;
        n += 1;
    }
    charts.set_landscape();
    charts.set_print_fit_to_pages(1, 0);
    book.save_to_buffer().map_err(xlsx_error)
}
