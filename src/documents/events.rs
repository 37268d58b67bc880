//! A pairing's chronicle (大事记) as a table: its title above, then 日期,
//! 事项, 内容, 数额, 单位, 名目 (or `date,title,description,amount,amount_unit,amount_label`),
//! a row per amount. An event of several amounts takes several rows: the
//! rows after its first leave the date and the title blank (merged cells in
//! XLSX), or repeat them. The export writes this; the import reads it back,
//! and running it again adds nothing that is already there.

use chrono::NaiveDate;
use uuid::Uuid;

use super::export::Sheet;
use super::reference::ReferenceReport;
use super::table;
use super::tasks::ImportProblem;
use crate::domain::event::{self, Event, EventAmount, EventFilter, EventInput};
use crate::domain::page::PageRequest;
use crate::domain::values::Amount;
use crate::domain::{Caller, DomainError, DomainResult, Store, Text};

/// A problem of the import, told in the reader's language.
fn problem(line: Option<usize>, message: impl Into<Text>) -> ImportProblem {
    ImportProblem {
        line,
        column: None,
        message: message.into().localized(),
        suggestion: None,
    }
}

/// The columns as the export heads them.
pub const HEADER: [&str; 6] = ["日期", "事项", "内容", "数额", "单位", "名目"];

/// A column of the table, by any of its names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Date,
    Title,
    Description,
    Amount,
    Unit,
    Label,
}

fn field_of(header: &str) -> Option<Field> {
    Some(match header.trim() {
        "日期" | "时间" | "date" => Field::Date,
        "事项" | "大事" | "标题" | "title" => Field::Title,
        "内容" | "说明" | "description" => Field::Description,
        "数额" | "金额" | "数量" | "amount" => Field::Amount,
        "单位" | "计量单位" | "amount_unit" => Field::Unit,
        "名目" | "指标" | "amount_label" => Field::Label,
        _ => return None,
    })
}

/// Every event of the pairing's chronicle between `from` and `to`, by day.
async fn all_events<C: Store>(
    db: &C,
    caller: &Caller,
    pairing_id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> DomainResult<Vec<Event>> {
    let filter = EventFilter {
        pairing_id: Some(pairing_id),
        from,
        to,
    };
    let mut all = Vec::new();
    let mut page = PageRequest {
        limit: crate::domain::page::MAX_LIMIT,
        ..Default::default()
    };
    loop {
        let found = event::list(db, caller, filter.clone(), Some("occurred_on"), &page).await?;
        all.extend(found.items);
        match found.next_cursor {
            Some(cursor) => page = PageRequest::new(Some(page.limit), Some(&cursor))?,
            None => return Ok(all),
        }
    }
}

/// The chronicle of `pairing_id` as its document: 渝中区·巫溪县对口协同发展大事记
/// above, a row per amount (one for an event without), the date, title
/// and description merged over an event's rows.
pub async fn sheet<C: Store>(
    db: &C,
    caller: &Caller,
    pairing_id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> DomainResult<Sheet> {
    // A pairing the caller cannot see is no pairing (422 naming the query field).
    crate::domain::pairing::get(db, caller, pairing_id)
        .await
        .map_err(|e| e.naming("pairing_id"))?;
    let name = crate::domain::pairing::names(db, [pairing_id])
        .await?
        .remove(&pairing_id)
        .unwrap_or_default();
    let events = all_events(db, caller, pairing_id, from, to).await?;
    let mut rows = vec![HEADER.map(str::to_owned).to_vec()];
    let mut merged = Vec::new();
    for e in &events {
        let first = rows.len();
        let head = [
            e.occurred_on.to_string(),
            e.title.clone(),
            e.description.clone().unwrap_or_default(),
        ];
        if e.amounts.is_empty() {
            rows.push([head.to_vec(), vec![String::new(); 3]].concat());
        }
        for a in &e.amounts {
            rows.push(
                [
                    head.to_vec(),
                    vec![a.value.to_string(), a.unit.clone(), a.label.clone().unwrap_or_default()],
                ]
                .concat(),
            );
        }
        let last = rows.len() - 1;
        if last > first {
            merged.extend((0..3).map(|column| (first, last, column)));
            // Merged cells keep only their first row's text.
            for row in &mut rows[first + 1..] {
                for cell in row.iter_mut().take(3) {
                    cell.clear();
                }
            }
        }
    }
    Ok(Sheet {
        above: vec![format!("{name}对口协同发展大事记")],
        rows,
        merged,
        numeric: Vec::new(),
    })
}

/// An event being read: its first line and what its rows carry.
struct Pending {
    line: usize,
    input: EventInput,
}

/// Imports events into the chronicle of `pairing_id`.
pub async fn import<C: Store>(
    db: &C,
    caller: &Caller,
    bytes: &[u8],
    pairing_id: Uuid,
    dry_run: bool,
) -> DomainResult<ReferenceReport> {
    // Refused before the file is read: the whole import is the caller's or not.
    crate::domain::authz::require_chronicle_writer(db, &caller.principal, pairing_id).await?;
    let mut report = ReferenceReport {
        dry_run,
        ..Default::default()
    };
    let rows = match table::read(bytes) {
        Ok(rows) => rows,
        Err(e) => {
            report.problems.push(problem(None, &e));
            return Ok(report);
        }
    };
    // The header is the first row that names a date and a title; lines
    // above it (the chronicle's title) are not events.
    let Some((header_at, columns)) = rows.iter().enumerate().find_map(|(i, row)| {
        let columns: Vec<Option<Field>> = row.iter().map(|h| field_of(h)).collect();
        (columns.contains(&Some(Field::Date)) && columns.contains(&Some(Field::Title))).then_some((i, columns))
    }) else {
        report.problems.push(problem(
            Some(1),
            "the columns are 日期,事项,内容,数额,单位,名目 (or date,title,description,amount,amount_unit,amount_label)",
        ));
        return Ok(report);
    };
    let col = |field: Field| columns.iter().position(|c| *c == Some(field));
    let txn = crate::domain::begin_write(db).await?;
    let existing = all_events(&txn, caller, pairing_id, None, None).await?;
    let mut events: Vec<Pending> = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(header_at + 1) {
        let line = i + 1;
        let cell = |field: Field| {
            col(field)
                .and_then(|c| row.get(c))
                .map(|s| s.trim())
                .unwrap_or_default()
        };
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let amount = match (cell(Field::Amount), cell(Field::Unit)) {
            ("", _) => None,
            (value, unit) => match Amount::parse(value) {
                Ok(value) if !unit.is_empty() => Some(EventAmount {
                    value,
                    unit: unit.to_owned(),
                    label: Some(cell(Field::Label).to_owned()).filter(|l| !l.is_empty()),
                }),
                Ok(_) => {
                    report
                        .problems
                        .push(problem(Some(line), "an amount needs its unit (单位)"));
                    continue;
                }
                Err(e) => {
                    report.problems.push(problem(
                        Some(line),
                        Text::new("amount `%{value}`: %{reason}")
                            .arg("value", value)
                            .part("reason", e),
                    ));
                    continue;
                }
            },
        };
        let (date, title) = (cell(Field::Date), cell(Field::Title));
        // A row that leaves the date and the title blank, or repeats the
        // event above's, adds an amount to it.
        let continues = match events.last() {
            Some(last) => {
                (date.is_empty() && title.is_empty())
                    || (last.input.title == title && last.input.occurred_on.to_string() == date)
            }
            None => false,
        };
        if continues {
            if let (Some(last), Some(amount)) = (events.last_mut(), amount) {
                last.input.amounts.push(amount);
            }
            continue;
        }
        let Ok(occurred_on) = date.parse::<NaiveDate>() else {
            report.problems.push(problem(
                Some(line),
                Text::new("date `%{date}` is not YYYY-MM-DD").arg("date", date),
            ));
            continue;
        };
        let description = Some(cell(Field::Description).to_owned()).filter(|d| !d.is_empty());
        events.push(Pending {
            line,
            input: EventInput {
                pairing_id,
                occurred_on,
                title: title.to_owned(),
                description,
                amounts: amount.into_iter().collect(),
            },
        });
    }
    for Pending { line, input } in events {
        if existing
            .iter()
            .any(|e| e.occurred_on == input.occurred_on && e.title == input.title)
        {
            report.unchanged += 1;
            continue;
        }
        match event::create(&txn, caller, input).await {
            Ok(_) => report.created += 1,
            Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
            Err(e) => report.problems.push(problem(Some(line), e.localized())),
        }
    }
    report.ok = report.problems.is_empty();
    if report.ok && !dry_run {
        txn.commit().await?;
        report.written = true;
    } else {
        txn.rollback().await?;
    }
    Ok(report)
}
