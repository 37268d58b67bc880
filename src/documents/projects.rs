//! A pairing's project ledger (项目台账) as offices keep it, CSV or XLSX:
//! headers found by their usual names (项目名称, 项目类别, 建设地点,
//! 建设内容, 实施单位, 总投资, 协同资金/援助资金, 项目状态/进度, 开工时间,
//! 完工时间 …), money in the unit its header names (`总投资（亿元）`;
//! 万元 when none), cells merged down a column (类别, 实施单位, 地点) read as
//! the cell above. All or nothing: each bad row is reported by row and
//! column and nothing is written. The export writes the same layout, so
//! that what it writes reads back.
//!
//! A ledger that gives a milestone no day (已验收 and nothing else) records
//! it on the day of the import, and says so (`dated` false); a project whose
//! day of issue is not given counts as issued by its first dated milestone.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use entity::{unit_aliases, units};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::cells::near_miss;
use super::export::{Format, Sheet, to_file};
use super::reference::ReferenceReport;
use super::table;
use super::tasks::ImportProblem;
use crate::domain::names::{self, Named};
use crate::domain::project::{self, Money, NewMilestone, NewProject, Project, ProjectFilter};
use crate::domain::values::{Amount, ProjectStatus};
use crate::domain::{Caller, DomainError, DomainResult, Store, Text, authz, begin_write};

/// A column of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Col {
    Name,
    Category,
    Location,
    Content,
    Unit,
    Investment,
    Funds,
    Status,
    IssuedOn,
    StartedOn,
    CompletedOn,
    AcceptedOn,
    ExternalId,
}

/// The words a header starts with, per column (the longest first where one
/// contains another).
const HEADERS: &[(Col, &[&str])] = &[
    (Col::Name, &["项目名称"]),
    (Col::Category, &["项目类别", "项目类型", "类别", "行业"]),
    (Col::Location, &["建设地点", "项目地点", "实施地点", "地点"]),
    (
        Col::Content,
        &["主要建设内容", "建设规模及内容", "建设内容", "项目内容"],
    ),
    (Col::Unit, &["项目实施单位", "实施单位", "业主单位", "责任单位"]),
    (Col::Investment, &["计划总投资", "项目总投资", "总投资"]),
    (Col::Funds, &["对口协同资金", "协同资金", "援助资金", "帮扶资金"]),
    (Col::Status, &["项目状态", "项目进度", "实施进度", "状态", "进度"]),
    (Col::IssuedOn, &["下达时间", "下达日期"]),
    (Col::StartedOn, &["开工时间", "开工日期"]),
    (Col::CompletedOn, &["完工时间", "竣工时间", "完工日期"]),
    (Col::AcceptedOn, &["验收时间", "验收日期"]),
    (Col::ExternalId, &["项目编号", "项目代码"]),
];

/// Columns that a merged cell spans down: blank means the cell above.
const CARRIED: &[Col] = &[Col::Category, Col::Location, Col::Unit];

fn column_of(header: &str) -> Option<Col> {
    let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    HEADERS
        .iter()
        .find(|(_, words)| words.iter().any(|w| h.starts_with(w)))
        .map(|(col, _)| *col)
}

/// The unit of money a header names (`总投资（亿元）`), 万元 when none.
fn money_unit(header: &str) -> &'static str {
    if header.contains("亿元") {
        "亿元"
    } else if header.contains("万元") {
        "万元"
    } else if header.contains("元") {
        "元"
    } else {
        "万元"
    }
}

/// The status a ledger writes.
fn status_of(text: &str) -> Option<ProjectStatus> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.trim_start_matches('已');
    Some(match t {
        "" | "下达" | "立项" => ProjectStatus::Issued,
        "开工" | "在建" | "建设中" | "实施中" => ProjectStatus::Started,
        "完工" | "竣工" | "建成" => ProjectStatus::Completed,
        "验收" | "竣工验收" => ProjectStatus::Accepted,
        "取消" | "终止" | "撤销" => ProjectStatus::Cancelled,
        _ => return None,
    })
}

/// A day as ledgers write it: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日,
/// 2025年3月 (its first day), or a spreadsheet's day number.
fn day_of(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if let Ok(serial) = t.parse::<f64>()
        && (20_000.0..80_000.0).contains(&serial)
    {
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
        return base.checked_add_signed(TimeDelta::days(serial.trunc() as i64));
    }
    let parts: Vec<u32> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    match parts.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(i32::try_from(*y).ok()?, *m, *d),
        [y, m] if t.contains('月') || t.contains('-') || t.contains('/') || t.contains('.') => {
            NaiveDate::from_ymd_opt(i32::try_from(*y).ok()?, *m, 1)
        }
        _ => None,
    }
}

/// What an import is for.
#[derive(Clone, Debug)]
pub struct ProjectImport {
    pub pairing_id: Uuid,
    pub year: i32,
    pub dry_run: bool,
}

/// A problem of the import, told in the reader's language.
fn problem(line: usize, column: Option<&str>, message: impl Into<Text>) -> ImportProblem {
    ImportProblem {
        line: Some(line),
        column: column.map(str::to_owned),
        message: message.into().localized(),
        suggestion: None,
    }
}

/// One row read: what to create, and its milestones after issue.
struct Row {
    line: usize,
    project: NewProject,
    /// The day of issue, and whether the ledger gave it.
    issued: (Option<NaiveDate>, bool),
    later: Vec<(ProjectStatus, Option<NaiveDate>)>,
}

/// The units a ledger may name, by name: those of the pairing's regions and
/// their aliases (the recipient's first).
async fn unit_names<C: Store>(db: &C, regions: &[Uuid]) -> DomainResult<HashMap<String, Uuid>> {
    let mut names = HashMap::new();
    for u in units::Entity::find()
        .filter(units::Column::RegionId.is_in(regions.iter().copied()))
        .all(db)
        .await?
    {
        names.entry(u.name).or_insert(u.id);
    }
    for a in unit_aliases::Entity::find()
        .filter(unit_aliases::Column::RegionId.is_in(regions.iter().copied()))
        .all(db)
        .await?
    {
        if let Some(unit) = a.unit_id {
            names.entry(a.alias).or_insert(unit);
        }
    }
    Ok(names)
}

/// Imports the ledger in `bytes` as projects of a pairing and year.
pub async fn import<C: Store>(
    db: &C,
    caller: &Caller,
    bytes: &[u8],
    options: &ProjectImport,
) -> DomainResult<ReferenceReport> {
    let mut report = ReferenceReport {
        dry_run: options.dry_run,
        ..Default::default()
    };
    let pairing = entity::pairings::Entity::find_by_id(options.pairing_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::invalid("pairing_id", crate::domain::no_such("pairing", options.pairing_id)))?;
    let access = authz::Visibility::of(db, &caller.principal)
        .await?
        .project(db, pairing.id, Uuid::nil())
        .await?;
    if !access.read {
        return Err(DomainError::invalid(
            "pairing_id",
            crate::domain::no_such("pairing", pairing.id),
        ));
    }
    if !access.coordinate {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the pairing's regions imports its projects",
        ));
    }
    let rows = match table::read(bytes) {
        Ok(rows) => rows,
        Err(e) => {
            report.problems.push(ImportProblem {
                line: None,
                column: None,
                message: Text::from(&e).localized(),
                suggestion: None,
            });
            return Ok(report);
        }
    };
    let Some(header_at) = rows
        .iter()
        .take(10)
        .position(|r| r.iter().any(|c| column_of(c) == Some(Col::Name)))
    else {
        report
            .problems
            .push(problem(1, None, "no header row with 项目名称 among the first ten rows"));
        return Ok(report);
    };
    let header = &rows[header_at];
    let mut at: HashMap<Col, (usize, String)> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(col) = column_of(h) {
            at.entry(col).or_insert((i, h.clone()));
        }
    }
    let regions = authz::pairing_regions(db, pairing.id).await?;
    let names = unit_names(db, &regions).await?;
    let mut carried: HashMap<Col, String> = HashMap::new();
    let mut read = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(header_at + 1) {
        let line = i + 1;
        let mut cell = |col: Col| -> String {
            let text = at
                .get(&col)
                .and_then(|(c, _)| row.get(*c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            if CARRIED.contains(&col) {
                if text.is_empty() {
                    return carried.get(&col).cloned().unwrap_or_default();
                }
                carried.insert(col, text.clone());
            }
            text
        };
        let header_of = |col: Col| at.get(&col).map(|(_, h)| h.as_str());
        let name = cell(Col::Name);
        if name.is_empty() {
            continue;
        }
        let before = report.problems.len();
        let mut money = |col: Col| -> Amount {
            let text = cell(col);
            if text.is_empty() {
                return Amount::ZERO;
            }
            let unit = money_unit(header_of(col).unwrap_or_default());
            match Money::parse(&format!("{text}{unit}")) {
                Ok(Money(value)) if value < Amount::ZERO => {
                    report.problems.push(problem(
                        line,
                        header_of(col),
                        format!("`{text}`: money is never negative"),
                    ));
                    Amount::ZERO
                }
                Ok(Money(value)) => value,
                Err(e) => {
                    report.problems.push(problem(line, header_of(col), e));
                    Amount::ZERO
                }
            }
        };
        let investment = money(Col::Investment);
        let pairing_funds = money(Col::Funds);
        let status_text = cell(Col::Status);
        let status = status_of(&status_text).unwrap_or_else(|| {
            report.problems.push(problem(
                line,
                header_of(Col::Status),
                format!("`{status_text}` is not a status: 已下达, 已开工/在建, 已完工/竣工, 已验收, 已取消"),
            ));
            ProjectStatus::Issued
        });
        let mut day = |col: Col| -> Option<NaiveDate> {
            let text = cell(col);
            if text.is_empty() {
                return None;
            }
            let found = day_of(&text);
            if found.is_none() {
                report.problems.push(problem(
                    line,
                    header_of(col),
                    format!("`{text}` is not a day (2025-03-01, 2025年3月1日)"),
                ));
            }
            found
        };
        let issued_on = day(Col::IssuedOn);
        let dates = [
            (ProjectStatus::Started, day(Col::StartedOn), Col::StartedOn),
            (ProjectStatus::Completed, day(Col::CompletedOn), Col::CompletedOn),
            (ProjectStatus::Accepted, day(Col::AcceptedOn), Col::AcceptedOn),
        ];
        let rank = |s: ProjectStatus| ProjectStatus::ALL.iter().position(|x| *x == s).unwrap_or_default();
        let reached = if status == ProjectStatus::Cancelled {
            ProjectStatus::Issued
        } else {
            status
        };
        let mut later = Vec::new();
        let mut previous: Option<(NaiveDate, Col)> = issued_on.map(|d| (d, Col::IssuedOn));
        for (milestone, on, col) in dates {
            if rank(milestone) > rank(reached) {
                if on.is_some() && status != ProjectStatus::Cancelled {
                    report.problems.push(problem(
                        line,
                        header_of(col),
                        format!("a day is given, but the project is {status_text}"),
                    ));
                }
                continue;
            }
            if let (Some(on), Some((before, before_col))) = (on, previous)
                && on < before
            {
                report.problems.push(problem(
                    line,
                    header_of(col),
                    format!(
                        "{on} is before {} ({before})",
                        header_of(before_col).unwrap_or_default()
                    ),
                ));
            }
            if let Some(on) = on {
                previous = Some((on, col));
            }
            later.push((milestone, on));
        }
        if status == ProjectStatus::Cancelled {
            later.push((ProjectStatus::Cancelled, None));
        }
        let unit_name = cell(Col::Unit);
        let unit = match names.get(&unit_name) {
            Some(id) => Some(*id),
            None => {
                let near: Vec<&String> = names.keys().filter(|n| near_miss(n, &unit_name)).collect();
                let mut p = problem(
                    line,
                    header_of(Col::Unit).or(Some("实施单位")),
                    if unit_name.is_empty() {
                        "name the implementing unit (实施单位)".to_owned()
                    } else {
                        format!("no unit of the pairing's regions is named `{unit_name}`")
                    },
                );
                p.suggestion = near.first().map(|n| format!("did you mean {n}?"));
                report.problems.push(p);
                None
            }
        };
        let category = match cell(Col::Category) {
            c if c.is_empty() => "other".to_owned(),
            c => c,
        };
        if report.problems.len() > before {
            continue;
        }
        let first_dated = later.iter().filter_map(|(_, on)| *on).min();
        read.push(Row {
            line,
            issued: match issued_on {
                Some(d) => (Some(d), true),
                None => (first_dated, false),
            },
            later,
            project: NewProject {
                pairing_id: pairing.id,
                year: options.year,
                plan_id: None,
                task_id: None,
                name,
                category,
                location: Some(cell(Col::Location)),
                content: Some(cell(Col::Content)),
                implementing_unit_id: unit.unwrap_or_default(),
                helper_lead_unit_id: None,
                recipient_lead_unit_id: None,
                investment,
                pairing_funds,
                external_id: Some(cell(Col::ExternalId)),
                issued_on: None,
            },
        });
    }
    if !report.problems.is_empty() {
        return Ok(report);
    }
    let field_header = |field: &str| -> Option<String> {
        let col = match field {
            "name" => Col::Name,
            "category" => Col::Category,
            "location" => Col::Location,
            "content" => Col::Content,
            "implementing_unit_id" => Col::Unit,
            "investment" => Col::Investment,
            "pairing_funds" => Col::Funds,
            "external_id" => Col::ExternalId,
            "issued_on" => Col::IssuedOn,
            _ => return None,
        };
        at.get(&col).map(|(_, h)| h.clone())
    };
    let txn = begin_write(db).await?;
    for row in read {
        let outcome = async {
            let made = project::create_recorded(&txn, caller, row.project, row.issued).await?;
            for (status, on) in row.later {
                project::record_milestone(
                    &txn,
                    caller,
                    made.id,
                    None,
                    NewMilestone {
                        status,
                        occurred_on: on,
                        note: None,
                    },
                )
                .await?;
            }
            Ok::<_, DomainError>(())
        }
        .await;
        match outcome {
            Ok(()) => report.created += 1,
            Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
            Err(DomainError::Validation(errors)) => {
                for e in errors {
                    report.problems.push(ImportProblem {
                        line: Some(row.line),
                        column: field_header(&e.field),
                        message: format!("{}: {}", e.field, e.message.localized()),
                        suggestion: None,
                    });
                }
            }
            Err(e) => report.problems.push(problem(row.line, None, e.localized())),
        }
    }
    report.ok = report.problems.is_empty();
    if report.ok && !options.dry_run {
        txn.commit().await?;
        report.written = true;
    } else {
        txn.rollback().await?;
    }
    Ok(report)
}

/// The ledger's header, as the import reads it.
const LEDGER_HEADER: [&str; 16] = [
    "序号",
    "项目名称",
    "项目类别",
    "建设地点",
    "建设内容",
    "实施单位",
    "总投资（万元）",
    "协同资金（万元）",
    "项目状态",
    "下达时间",
    "开工时间",
    "完工时间",
    "验收时间",
    "已拨付（万元）",
    "已支出（万元）",
    "项目编号",
];

/// What a ledger writes for a status.
fn status_words(status: ProjectStatus) -> &'static str {
    match status {
        ProjectStatus::Issued => "已下达",
        ProjectStatus::Started => "在建",
        ProjectStatus::Completed => "已完工",
        ProjectStatus::Accepted => "已验收",
        ProjectStatus::Cancelled => "已取消",
    }
}

/// The rows of a pairing's ledger for a year (every year when none), header
/// first, in order of name.
pub async fn ledger_rows<C: Store>(
    db: &C,
    caller: &Caller,
    pairing_id: Uuid,
    year: Option<i32>,
) -> DomainResult<Vec<Vec<String>>> {
    let filter = ProjectFilter {
        pairing_id: Some(pairing_id),
        year,
        ..ProjectFilter::default()
    };
    let mut all: Vec<Project> = Vec::new();
    let mut page = crate::domain::page::PageRequest {
        limit: crate::domain::page::MAX_LIMIT,
        ..Default::default()
    };
    loop {
        let found = project::list(db, caller, &filter, Some("name"), &page).await?;
        all.extend(found.items);
        match found.next_cursor {
            Some(cursor) => page.after = Some(crate::domain::page::Cursor::decode(&cursor)?),
            None => break,
        }
    }
    let unit_names = names::of(db, Named::Units, all.iter().map(|p| p.implementing_unit_id)).await?;
    let mut rows = vec![LEDGER_HEADER.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    for (n, p) in (1..).zip(&all) {
        let reached: HashMap<ProjectStatus, NaiveDate> = project::milestones(db, caller, p.id)
            .await?
            .into_iter()
            .filter(|m| m.dated)
            .map(|m| (m.status, m.occurred_on))
            .collect();
        let on = |s: ProjectStatus| reached.get(&s).map(|d| d.to_string()).unwrap_or_default();
        rows.push(vec![
            n.to_string(),
            p.name.clone(),
            p.category_name.clone(),
            p.location.clone().unwrap_or_default(),
            p.content.clone().unwrap_or_default(),
            unit_names.get(&p.implementing_unit_id).cloned().unwrap_or_default(),
            p.investment.to_string(),
            p.pairing_funds.to_string(),
            status_words(p.status).to_owned(),
            on(ProjectStatus::Issued),
            on(ProjectStatus::Started),
            on(ProjectStatus::Completed),
            on(ProjectStatus::Accepted),
            p.allocated.to_string(),
            p.spent.to_string(),
            p.external_id.clone().unwrap_or_default(),
        ]);
    }
    Ok(rows)
}

/// A pairing's ledger as a file.
pub async fn export<C: Store>(
    db: &C,
    caller: &Caller,
    pairing_id: Uuid,
    year: Option<i32>,
    format: Format,
) -> DomainResult<Vec<u8>> {
    if year.is_some_and(|y| !(1990..=2100).contains(&y)) {
        return Err(DomainError::invalid("year", "a year from 1990 to 2100"));
    }
    let access = authz::Visibility::of(db, &caller.principal)
        .await?
        .project(db, pairing_id, Uuid::nil())
        .await?;
    if !access.read
        || entity::pairings::Entity::find_by_id(pairing_id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(DomainError::invalid(
            "pairing_id",
            crate::domain::no_such("pairing", pairing_id),
        ));
    }
    to_file(&Sheet::plain(ledger_rows(db, caller, pairing_id, year).await?), format)
}
