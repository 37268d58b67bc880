//! Importing a pairing's chronicle (大事记) from `date,title,amount,amount_unit`
//! rows; running it again adds nothing that is already there.

use chrono::NaiveDate;
use uuid::Uuid;

use super::reference::ReferenceReport;
use super::table;
use super::tasks::ImportProblem;
use crate::domain::event::{self, EventAmount, EventFilter, EventInput};
use crate::domain::page::PageRequest;
use crate::domain::values::Amount;
use crate::domain::{Caller, DomainError, DomainResult, Store};

fn problem(line: Option<usize>, message: impl Into<String>) -> ImportProblem {
    ImportProblem {
        line,
        column: None,
        message: message.into(),
        suggestion: None,
    }
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
            report.problems.push(problem(None, e.to_string()));
            return Ok(report);
        }
    };
    let col = |name: &str| rows[0].iter().position(|h| h.trim() == name);
    let (Some(date_col), Some(title_col)) = (col("date"), col("title")) else {
        report
            .problems
            .push(problem(Some(1), "the columns are date,title,amount,amount_unit"));
        return Ok(report);
    };
    let (amount_col, unit_col) = (col("amount"), col("amount_unit"));
    let txn = crate::domain::begin_write(db).await?;
    let existing = event::list(
        &txn,
        caller,
        EventFilter {
            pairing_id: Some(pairing_id),
            ..Default::default()
        },
        None,
        &PageRequest {
            limit: 200,
            after: None,
        },
    )
    .await?
    .items;
    for (i, row) in rows.iter().enumerate().skip(1) {
        let line = i + 1;
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim()).unwrap_or_default();
        let Ok(occurred_on) = cell(Some(date_col)).parse::<NaiveDate>() else {
            report.problems.push(problem(
                Some(line),
                format!("date `{}` is not YYYY-MM-DD", cell(Some(date_col))),
            ));
            continue;
        };
        let title = cell(Some(title_col)).to_owned();
        let amounts = match (cell(amount_col), cell(unit_col)) {
            ("", _) => vec![],
            (value, unit) => match Amount::parse(value) {
                Ok(value) if !unit.is_empty() => vec![EventAmount {
                    value,
                    unit: unit.to_owned(),
                    label: None,
                }],
                Ok(_) => {
                    report
                        .problems
                        .push(problem(Some(line), "an amount needs its amount_unit"));
                    continue;
                }
                Err(e) => {
                    report
                        .problems
                        .push(problem(Some(line), format!("amount `{value}`: {e}")));
                    continue;
                }
            },
        };
        if existing
            .iter()
            .any(|e| e.occurred_on == occurred_on && e.title == title)
        {
            report.unchanged += 1;
            continue;
        }
        match event::create(
            &txn,
            caller,
            EventInput {
                pairing_id,
                occurred_on,
                title,
                description: None,
                amounts,
            },
        )
        .await
        {
            Ok(_) => report.created += 1,
            Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
            Err(e) => report.problems.push(problem(Some(line), e.to_string())),
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
