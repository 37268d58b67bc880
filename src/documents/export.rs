//! Exporting a plan as its document lays it out — 序号, 部分, 分类, the task,
//! 完成时限, 牵头领导, a lead-unit column per region, supporting units — with
//! the latest approved progress beside it, to CSV or XLSX. What it writes,
//! the import reads back.

use std::collections::BTreeSet;

use chrono::Datelike;

use uuid::Uuid;

use super::headers::Column as Kind;
use crate::domain::Store;
use crate::domain::page::PageRequest;
use crate::domain::plan::{SourceColumn, SourceField};
use crate::domain::task::{self, Task, TaskFilter};
use crate::domain::values::{AssignmentRole, Side};
use crate::domain::{Caller, DomainError, DomainResult, Text, authz, plan, progress, region};

/// The file formats of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// Every format, the default first.
    pub const ALL: [Format; 2] = [Format::Xlsx, Format::Csv];

    /// The format a query asks for: `xlsx` (the default) or `csv`.
    pub fn asked(text: Option<&str>) -> DomainResult<Format> {
        match text {
            None | Some("xlsx") => Ok(Format::Xlsx),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(DomainError::invalid(
                "format",
                Text::new("`%{format}`: xlsx or csv").arg("format", other),
            )),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One column of the export: its header and how a task fills it.
struct Column {
    header: String,
    cell: Box<dyn Fn(&Task) -> String + Send + Sync>,
}

fn names(
    task: &Task,
    role: AssignmentRole,
    region: Option<Uuid>,
    unit_regions: &std::collections::HashMap<Uuid, Uuid>,
) -> String {
    task.assignments
        .iter()
        .filter(|a| a.role == role)
        .filter(|a| match region {
            None => true,
            Some(r) => a.unit_id.or(a.group_id).and_then(|id| unit_regions.get(&id)) == Some(&r),
        })
        .map(|a| a.name.clone())
        .collect::<Vec<_>>()
        .join("、")
}

/// The units or groups a task has in `role` (in `region`, when one is given).
fn assignees(
    task: &Task,
    role: AssignmentRole,
    region: Option<Uuid>,
    unit_regions: &std::collections::HashMap<Uuid, Uuid>,
) -> Vec<Uuid> {
    task.assignments
        .iter()
        .filter(|a| a.role == role)
        .filter_map(|a| a.unit_id.or(a.group_id))
        .filter(|id| region.is_none() || unit_regions.get(id) == region.as_ref())
        .collect()
}

/// The columns in the order and with the headers of the document the plan
/// was imported from; then those it did not have that carry something.
fn in_layout(
    layout: &[SourceColumn],
    candidates: Vec<(SourceField, Option<String>, Column)>,
    tasks: &[Task],
    pairing: bool,
) -> Vec<Column> {
    let mut candidates: Vec<Option<(SourceField, Option<String>, Column)>> = candidates.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for wanted in layout {
        let found = candidates.iter().position(|c| {
            c.as_ref().is_some_and(|(field, region, _)| {
                *field == wanted.column
                    && (region == &wanted.region
                        // A unit column without a region: the issuer's in a pairing's
                        // list (taken by the first of its kind left), the plan's own otherwise.
                        || (wanted.region.is_none() && pairing && matches!(field, SourceField::Lead | SourceField::Supporting)))
            })
        });
        if let Some(i) = found
            && let Some((_, _, mut column)) = candidates[i].take()
        {
            column.header = wanted.header.clone();
            out.push(column);
        }
    }
    for (_, _, column) in candidates.into_iter().flatten() {
        if tasks.iter().any(|t| !(column.cell)(t).is_empty()) {
            out.push(column);
        }
    }
    out
}

/// The rows of a plan's export, header first.
pub async fn rows<C: Store>(db: &C, caller: &Caller, plan_id: Uuid) -> DomainResult<Vec<Vec<String>>> {
    let plan = plan::get(db, caller, plan_id).await?;
    // In document order: the `seq` sort is by place (section, then 序号).
    let mut tasks = Vec::new();
    let mut page = PageRequest {
        limit: 200,
        ..Default::default()
    };
    loop {
        let filter = TaskFilter {
            plan_id: Some(plan_id),
            ..Default::default()
        };
        let got = task::list(db, caller, filter, Some("seq"), &page).await?;
        tasks.extend(got.items);
        match got.next_cursor {
            Some(next) => page = PageRequest::new(Some(200), Some(&next))?,
            None => break,
        }
    }
    // Which region each assigned unit or group belongs to.
    let ids: BTreeSet<Uuid> = tasks
        .iter()
        .flat_map(|t| t.assignments.iter().filter_map(|a| a.unit_id.or(a.group_id)))
        .collect();
    let unit_regions = regions_of(db, &ids).await?;
    let model = crate::domain::row::<entity::plans::Entity>(db, "plan", plan_id).await?;
    let regions = authz::plan_regions(db, &model).await?;
    let layout = plan::source_columns(&model);
    let source_cells = std::sync::Arc::new(task::source_cells_of(db, plan_id).await?);
    let pairing = plan.pairing_id.is_some();
    // Every column the plan can fill, with what it holds: in a document's
    // layout, found by that.
    let mut columns: Vec<(SourceField, Option<String>, Column)> = vec![(
        SourceField::Seq,
        None,
        Column {
            header: "序号".into(),
            cell: Box::new(|t| t.seq.to_string()),
        },
    )];
    if tasks.iter().any(|t| t.section.is_some()) {
        columns.push((
            SourceField::Section,
            None,
            Column {
                header: "部分".into(),
                cell: Box::new(|t| t.section.clone().unwrap_or_default()),
            },
        ));
    }
    columns.push((
        SourceField::Category,
        None,
        Column {
            header: if pairing { "协同发展事项" } else { "分类" }.into(),
            cell: Box::new(|t| t.category.clone().unwrap_or_default()),
        },
    ));
    columns.push((
        SourceField::Content,
        None,
        Column {
            header: "具体任务".into(),
            cell: Box::new(|t| t.content.clone()),
        },
    ));
    let default_deadline = plan.default_deadline;
    columns.push((
        SourceField::Deadline,
        None,
        Column {
            header: "完成时限".into(),
            cell: Box::new(move |t| match (&t.deadline_text, t.deadline) {
                (Some(text), _) => text.clone(),
                (None, d) if d == default_deadline => String::new(),
                (None, d) => d.format("%Y年%-m月%-d日").to_string(),
            }),
        },
    ));
    if tasks.iter().any(|t| !t.leaders.is_empty()) {
        columns.push((
            SourceField::Leaders,
            None,
            Column {
                header: "牵头领导".into(),
                cell: Box::new(|t| t.leaders.join("、")),
            },
        ));
    }
    let unit_regions = std::sync::Arc::new(unit_regions);
    // A unit column of the layout keeps its header; a task's cell is the
    // document's text while the task has the units it resolved to.
    let source_header = |field: SourceField, region: Option<&str>| -> Option<String> {
        layout.as_ref().and_then(|l| {
            l.iter()
                .find(|c| c.column == field && (c.region.as_deref() == region || (c.region.is_none() && !pairing)))
                .map(|c| c.header.clone())
        })
    };
    let unit_column = |header: String, role: AssignmentRole, region: Option<Uuid>, source: Option<String>| {
        let (map, cells) = (unit_regions.clone(), source_cells.clone());
        Column {
            header,
            cell: Box::new(move |t| {
                let written = source.as_ref().and_then(|h| {
                    let cell = cells.get(&t.id)?.iter().find(|c| &c.header == h)?;
                    let mut then = cell.assignees.clone();
                    let mut now = assignees(t, role, region, &map);
                    then.sort_unstable();
                    then.dedup();
                    now.sort_unstable();
                    now.dedup();
                    (then == now).then(|| cell.text.clone())
                });
                written.unwrap_or_else(|| names(t, role, region, &map))
            }),
        }
    };
    if pairing {
        // The recipient first, as the documents do.
        let mut ordered = Vec::new();
        for id in &regions {
            let r = region::get(db, caller, *id).await?;
            ordered.push(r);
        }
        let recipient_side = |t: &Task, r: Uuid| {
            t.assignments.iter().any(|a| {
                a.side == Some(Side::Recipient)
                    && a.unit_id.or(a.group_id).and_then(|id| unit_regions.get(&id)) == Some(&r)
            })
        };
        ordered.sort_by_key(|r| !tasks.iter().any(|t| recipient_side(t, r.id)));
        let recipient = ordered.first().map(|r| r.name.clone());
        for role in [AssignmentRole::Lead, AssignmentRole::Supporting] {
            let field = if role == AssignmentRole::Lead {
                SourceField::Lead
            } else {
                SourceField::Supporting
            };
            for r in &ordered {
                let any = tasks
                    .iter()
                    .any(|t| !names(t, role, Some(r.id), &unit_regions).is_empty());
                // A layout's column without a region is the issuer's (the recipient's).
                let source = source_header(field, Some(&r.name)).or_else(|| {
                    (recipient.as_deref() == Some(r.name.as_str()))
                        .then(|| source_header(field, None))
                        .flatten()
                });
                if !any && source.is_none() {
                    continue;
                }
                let suffix = if role == AssignmentRole::Lead {
                    "牵头责任单位"
                } else {
                    "配合单位"
                };
                columns.push((
                    field,
                    Some(r.name.clone()),
                    unit_column(format!("{}{suffix}", r.name), role, Some(r.id), source),
                ));
            }
        }
    } else {
        columns.push((
            SourceField::Lead,
            None,
            unit_column(
                "牵头责任单位".into(),
                AssignmentRole::Lead,
                None,
                source_header(SourceField::Lead, None),
            ),
        ));
        columns.push((
            SourceField::Supporting,
            None,
            unit_column(
                "责任（配合）单位".into(),
                AssignmentRole::Supporting,
                None,
                source_header(SourceField::Supporting, None),
            ),
        ));
    }
    columns.push((
        SourceField::Notes,
        None,
        Column {
            header: "备注".into(),
            cell: Box::new(|t| t.notes.clone().unwrap_or_default()),
        },
    ));
    let columns = match &layout {
        None => columns.into_iter().map(|(_, _, c)| c).collect::<Vec<_>>(),
        Some(layout) => in_layout(layout, columns, &tasks, pairing),
    };
    let latest = progress::latest_approved(db, &tasks.iter().map(|t| t.id).collect::<Vec<_>>()).await?;
    let mut out = vec![
        columns
            .iter()
            .map(|c| c.header.clone())
            .chain(["完成情况".into(), "最新进展".into(), "年度累计完成".into()])
            .collect(),
    ];
    for t in &tasks {
        let report = latest.get(&t.id);
        let figures = report
            .map(|r| {
                r.values
                    .iter()
                    .filter_map(|v| {
                        t.targets
                            .iter()
                            .find(|x| x.id == v.target_id)
                            .map(|x| format!("{}{}", v.actual, x.unit))
                    })
                    .collect::<Vec<_>>()
                    .join("；")
            })
            .unwrap_or_default();
        let status = if t.overdue {
            "逾期".to_owned()
        } else {
            status_words(t.status).to_owned()
        };
        let mut row: Vec<String> = columns.iter().map(|c| (c.cell)(t)).collect();
        row.push(status);
        row.push(report.map(|r| format!("{}：{}", r.period, r.text)).unwrap_or_default());
        row.push(figures);
        out.push(row);
    }
    Ok(out)
}

fn status_words(status: crate::domain::values::TaskStatus) -> &'static str {
    use crate::domain::values::TaskStatus::*;
    match status {
        NotStarted => "未启动",
        InProgress => "推进中",
        Completed => "已完成",
        Cancelled => "已取消",
    }
}

/// The region of each unit or group.
async fn regions_of<C: Store>(db: &C, ids: &BTreeSet<Uuid>) -> DomainResult<std::collections::HashMap<Uuid, Uuid>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for u in entity::units::Entity::find()
        .filter(entity::units::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        out.insert(u.id, u.region_id);
    }
    for g in entity::unit_groups::Entity::find()
        .filter(entity::unit_groups::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        out.insert(g.id, g.region_id);
    }
    Ok(out)
}

/// A table as a document lays it out: lines above it (its title, its
/// document number), its rows (header first), and cells merged down a
/// column over rows that share them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sheet {
    /// Each a line of its own above the table, across its width.
    pub above: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Merged cells: first and last row (indexes into `rows`) and column.
    pub merged: Vec<(usize, usize, usize)>,
    /// Columns whose cells below the header are numbers in XLSX (a chart
    /// reads them) where they parse as one.
    pub numeric: Vec<usize>,
}

impl Sheet {
    /// A plain table.
    pub fn plain(rows: Vec<Vec<String>>) -> Sheet {
        Sheet {
            rows,
            ..Sheet::default()
        }
    }
}

/// A plan's sheet: its title and document number above the table, and its
/// categories merged over their tasks within each section, as issued.
pub async fn sheet<C: Store>(db: &C, caller: &Caller, plan_id: Uuid) -> DomainResult<Sheet> {
    let plan = plan::get(db, caller, plan_id).await?;
    let rows = rows(db, caller, plan_id).await?;
    let mut above = vec![plan.title.clone()];
    let mut second = Vec::new();
    if let Some(number) = &plan.doc_number {
        second.push(number.clone());
    }
    if !plan.issuers.is_empty() {
        second.push(plan.issuers.join("、"));
    }
    if let Some(day) = plan.issued_on {
        second.push(format!("{}年{}月{}日印发", day.year(), day.month(), day.day()));
    }
    if !second.is_empty() {
        above.push(second.join("　"));
    }
    // The section and category columns, by whatever name the document gave them.
    let header = rows.first().cloned().unwrap_or_default();
    let at = |wanted: Kind| {
        header
            .iter()
            .position(|h| super::headers::column_of(h) == Some(wanted.clone()))
    };
    let section = at(Kind::Section);
    let merged = match at(Kind::Category) {
        Some(category) => merged_runs(&rows, category, section),
        None => Vec::new(),
    };
    Ok(Sheet {
        above,
        rows,
        merged,
        numeric: Vec::new(),
    })
}

/// The runs of two or more rows (after the header) that share a non-empty
/// value in `column`, within the same value of `within` when given.
fn merged_runs(rows: &[Vec<String>], column: usize, within: Option<usize>) -> Vec<(usize, usize, usize)> {
    let key = |r: &Vec<String>| {
        (
            within.and_then(|w| r.get(w)).cloned().unwrap_or_default(),
            r.get(column).cloned().unwrap_or_default(),
        )
    };
    let mut out = Vec::new();
    let mut start = 1;
    for i in 2..=rows.len() {
        if i == rows.len() || key(&rows[i]) != key(&rows[start]) {
            if i - start >= 2 && !key(&rows[start]).1.is_empty() {
                out.push((start, i - 1, column));
            }
            start = i;
        }
    }
    out
}

/// A plan as a file.
pub async fn export<C: Store>(db: &C, caller: &Caller, plan_id: Uuid, format: Format) -> DomainResult<Vec<u8>> {
    to_file(&sheet(db, caller, plan_id).await?, format)
}

/// The narrowest and widest a column is made, in characters.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 40;
/// The width a merged cell is given at least, wrapping over its rows.
const MERGED_WIDTH: usize = 16;

/// How wide a text shows: a Chinese (or other wide) character counts two.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// A sheet as a CSV (UTF-8 with the BOM Excel looks for; a merged cell
/// written once, blank below, as a document's table exports) or an XLSX
/// (the lines above merged across the table, the header bold, merged cells
/// merged).
pub fn to_file(sheet: &Sheet, format: Format) -> DomainResult<Vec<u8>> {
    let rows = laid_out(sheet);
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in &rows {
                writer.write_record(row).map_err(|e| DomainError::Internal(e.into()))?;
            }
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            bytes.extend(
                writer
                    .into_inner()
                    .map_err(|e| DomainError::Internal(anyhow::anyhow!("{e}")))?,
            );
            Ok(bytes)
        }
        Format::Xlsx => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            write_sheet(workbook.add_worksheet(), sheet)?;
            workbook.save_to_buffer().map_err(xlsx_error)
        }
    }
}

/// A workbook's failure, as the service's.
pub fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> DomainError {
    DomainError::Internal(e.into())
}

/// The rows as written: the lines above, each in its first cell, then the
/// table, a merged cell's text in its first row only.
fn laid_out(sheet: &Sheet) -> Vec<Vec<String>> {
    let width = sheet.rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let offset = sheet.above.len();
    let mut rows: Vec<Vec<String>> = sheet
        .above
        .iter()
        .map(|line| {
            let mut row = vec![String::new(); width];
            row[0] = line.clone();
            row
        })
        .chain(sheet.rows.iter().cloned())
        .collect();
    for (first, last, column) in &sheet.merged {
        for row in rows.iter_mut().take(offset + last + 1).skip(offset + first + 1) {
            if let Some(cell) = row.get_mut(*column) {
                cell.clear();
            }
        }
    }
    rows
}

/// Writes `sheet` into a worksheet as a document: the lines above merged
/// across the table, the table ruled (every cell boxed in a thin line, as
/// an official table is printed), the header bold and centred, columns as
/// wide as their text, long cells wrapped and centred between their row's
/// lines, merged cells merged, numbers as numbers; printed landscape one
/// page wide with the header on every page, which stays in view on screen.
pub fn write_sheet(ws: &mut rust_xlsxwriter::Worksheet, sheet: &Sheet) -> DomainResult<()> {
    let rows = laid_out(sheet);
    let width = sheet.rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let offset = sheet.above.len();
    let ruled = rust_xlsxwriter::Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::VerticalCenter)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let bold = ruled.clone().set_bold().set_align(rust_xlsxwriter::FormatAlign::Center);
    let error = xlsx_error;
    // Each column as wide as its longest cell (a Chinese character
    // is two), within bounds; a longer cell wraps, its row grows. A
    // merged cell wraps over the rows it spans, as a document's
    // category column does, so it asks for less.
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let span = |r: usize, c: usize| {
        sheet
            .merged
            .iter()
            .find(|(first, _, column)| offset + first == r && *column == c)
            .map_or(1, |(first, last, _)| last - first + 1)
    };
    let mut widths = vec![MIN_WIDTH; columns];
    for (r, row) in rows.iter().enumerate().skip(offset) {
        for (c, cell) in row.iter().enumerate() {
            let span = span(r, c);
            let wide = display_width(cell);
            let wanted = if span > 1 {
                wide.div_ceil(span).max(MERGED_WIDTH).min(wide)
            } else {
                wide
            };
            widths[c] = widths[c].max(wanted.min(MAX_WIDTH));
        }
    }
    for (c, width) in widths.iter().enumerate() {
        // Two to spare: a Chinese character shows a little wider than two
        // digits, so the lines counted below are not one short.
        ws.set_column_width(u16::try_from(c).unwrap_or(u16::MAX), *width as f64 + 2.0)
            .map_err(error)?;
    }
    let title = rust_xlsxwriter::Format::new()
        .set_bold()
        .set_align(rust_xlsxwriter::FormatAlign::Center);
    let last_column = u16::try_from(width - 1).unwrap_or(u16::MAX);
    for (r, line) in sheet.above.iter().enumerate() {
        let r = u32::try_from(r).unwrap_or(u32::MAX);
        if last_column == 0 {
            ws.write_string_with_format(r, 0, line, &title).map_err(error)?;
        } else {
            ws.merge_range(r, 0, r, last_column, line, &title).map_err(error)?;
        }
    }
    for (r, row) in rows.iter().enumerate().skip(offset) {
        let format = if r == offset { &bold } else { &ruled };
        let numbers = r > offset;
        let mut lines = 1;
        // A row shorter than the table is ruled to its end.
        for c in row.len()..width {
            let (r, c) = (
                u32::try_from(r).unwrap_or(u32::MAX),
                u16::try_from(c).unwrap_or(u16::MAX),
            );
            ws.write_blank(r, c, format).map_err(error)?;
        }
        for (c, cell) in row.iter().enumerate() {
            let width = widths[c].max(1);
            let wrapped: usize = cell.split('\n').map(|l| display_width(l).div_ceil(width).max(1)).sum();
            // A merged cell's lines share the rows it spans.
            lines = lines.max(wrapped.div_ceil(span(r, c)));
            let column = u16::try_from(c).unwrap_or(u16::MAX);
            let r = u32::try_from(r).unwrap_or(u32::MAX);
            match cell.parse::<f64>() {
                Ok(number) if numbers && sheet.numeric.contains(&c) => {
                    ws.write_number_with_format(r, column, number, format).map_err(error)?;
                }
                _ => {
                    ws.write_string_with_format(r, column, cell, format).map_err(error)?;
                }
            }
        }
        if lines > 1 {
            let r = u32::try_from(r).unwrap_or(u32::MAX);
            // A wrapped line of Chinese takes a little over 15 points
            // (LibreOffice draws 15 and pads the cell): 16 a line and 2
            // to spare keep the last line inside the ruling.
            ws.set_row_height(r, 16.0 * lines.min(30) as f64 + 2.0).map_err(error)?;
        }
    }
    for (first, last, column) in &sheet.merged {
        let value = sheet
            .rows
            .get(*first)
            .and_then(|r| r.get(*column))
            .cloned()
            .unwrap_or_default();
        let at = |r: usize| u32::try_from(offset + r).unwrap_or(u32::MAX);
        let column = u16::try_from(*column).unwrap_or(u16::MAX);
        ws.merge_range(at(*first), column, at(*last), column, &value, &ruled)
            .map_err(error)?;
    }
    // Printed as a document: landscape, one page wide, the header
    // on every page; on screen the header stays in view.
    let header_row = u32::try_from(offset).unwrap_or(u32::MAX);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row).map_err(error)?;
    ws.set_freeze_panes(header_row + 1, 0).map_err(error)?;
    Ok(())
}
