//! Importing a task list into a new plan: dry run first, then all or
//! nothing in one transaction.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::resolve::{self, Resolution, Resolver, Unresolved};
use super::rows::{self, RowProblem};
use super::{deadline, table, targets};
use crate::domain::plan::{self, NewPlan, PlanOwner, PlanTransition};
use crate::domain::task::{self, AssignmentInput, NewTask, TargetInput};
use crate::domain::values::{AssignmentRole, Side};
use crate::domain::{Caller, DomainError, DomainResult, Store, Text, authz, region};

/// Whose plan the list becomes, and how names resolve.
#[derive(Clone, Debug)]
pub struct TaskImport {
    pub year: i32,
    pub title: String,
    /// `Pairing(helper, recipient)` or `Region(region)`, by region id.
    pub owner: Owner,
    /// The region whose columns name no side (责任单位); by default the
    /// recipient of a pairing, or the plan's region.
    pub issuer: Option<Uuid>,
    pub doc_number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub create_missing_units: bool,
    /// `NAME=UNIT`: the document's NAME is the unit UNIT (remembered as its alias).
    pub aliases: Vec<(String, String)>,
    pub dry_run: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Pairing { helper: Uuid, recipient: Uuid },
    Region(Uuid),
}

impl Owner {
    /// The owner named by the id of a pairing or of a region, exactly one;
    /// `fields` are the input's names of the two. One the caller cannot
    /// see makes that field invalid, as an unknown id in a body does.
    pub async fn by_id<C: sea_orm::ConnectionTrait>(
        conn: &C,
        caller: &Caller,
        pairing: Option<Uuid>,
        region: Option<Uuid>,
        fields: [&str; 2],
    ) -> DomainResult<Owner> {
        let [pairing_field, region_field] = fields;
        match PlanOwner::required(pairing, region, fields)? {
            PlanOwner::Pairing(id) => {
                let p = crate::domain::pairing::get(conn, caller, id)
                    .await
                    .map_err(|e| e.naming(pairing_field))?;
                Ok(Owner::Pairing {
                    helper: p.helper_region_id,
                    recipient: p.recipient_region_id,
                })
            }
            PlanOwner::Region(id) => Ok(Owner::Region(
                region::get(conn, caller, id)
                    .await
                    .map_err(|e| e.naming(region_field))?
                    .id,
            )),
        }
    }
}

/// The `NAME=UNIT` aliases of an import (the document's NAME is the unit
/// UNIT); `field` names them in the error.
pub fn parse_aliases(texts: &[String], field: &str) -> DomainResult<Vec<(String, String)>> {
    texts
        .iter()
        .map(|a| {
            a.split_once('=')
                .map(|(n, u)| (n.trim().to_owned(), u.trim().to_owned()))
                .filter(|(n, u)| !n.is_empty() && !u.is_empty())
                .ok_or_else(|| DomainError::invalid(field, Text::new("`%{alias}` is not NAME=UNIT").arg("alias", a)))
        })
        .collect()
}

/// A target found in a task's text.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "TargetFound")]
pub struct TargetFound {
    /// The metric of the catalogue it counts towards (`investment_funds`),
    /// when the words name one whose unit it converts to.
    pub metric: Option<String>,
    /// `at_least`, `at_most`, `about`, `exactly`, `range` or `qualitative`.
    pub comparator: String,
    /// None for a qualitative target.
    pub value: Option<String>,
    /// The upper end of a range (3—5).
    pub value_max: Option<String>,
    /// The unit of measure as written (万元, 人次, 对).
    pub unit: String,
    /// What a growth target is measured against (2024年).
    pub baseline: Option<String>,
    /// The clause the figure stands in.
    pub source_text: String,
}

/// What became of one row.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "TaskImportRow")]
pub struct RowOutcome {
    /// The row's line in the file.
    pub line: usize,
    /// 部分, when the document has sections.
    pub section: Option<String>,
    /// 序号.
    pub seq: i32,
    /// 协同发展事项 / 重点领域, merged cells filled.
    pub category: Option<String>,
    /// 完成时限 as a day, when it reads as one.
    pub deadline: Option<NaiveDate>,
    /// 完成时限 as written.
    pub deadline_text: Option<String>,
    /// 牵头领导, one name each.
    pub leaders: Vec<String>,
    /// The lead units and groups (牵头单位), each name as resolved.
    pub lead: Vec<Resolution>,
    /// The supporting units and groups (配合单位), each name as resolved.
    pub supporting: Vec<Resolution>,
    /// The quantitative targets (指标) found in the task's text.
    pub targets: Vec<TargetFound>,
    /// What is wrong with the row; nothing is written while any row has one.
    pub problems: Vec<String>,
}

/// A problem with the file or a row.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ImportProblem")]
pub struct ImportProblem {
    /// The line of the file, when the problem is a row's.
    pub line: Option<usize>,
    /// The column's header, when the problem is a cell's.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What was probably meant (a known unit's name); settle it with an alias.
    pub suggestion: Option<String>,
}

/// The answer of an import: row by row what it did (or, on a dry run or
/// on failure, would do), and nothing written unless `ok` and not a dry run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "TaskImportReport")]
pub struct ImportReport {
    /// No problem: the file is (or would be) imported whole.
    pub ok: bool,
    /// Asked only what would happen.
    pub dry_run: bool,
    /// Whether anything was written.
    pub written: bool,
    /// The plan made, once written.
    pub plan_id: Option<Uuid>,
    /// Tasks imported (or that would be).
    pub tasks: usize,
    /// Targets found in their texts.
    pub targets: usize,
    /// Units made because the file named them and `create_missing_units` was asked.
    pub units_created: Vec<String>,
    /// Unit groups made (各镇街, 有关部门).
    pub groups_created: Vec<String>,
    /// Aliases recorded from `alias` (the document's name = a known unit).
    pub aliases_added: Vec<String>,
    /// The file's and the rows' problems; nothing is written while there is one.
    pub problems: Vec<ImportProblem>,
    /// Row by row what became of it.
    pub rows: Vec<RowOutcome>,
}

impl ImportReport {
    fn failed(dry_run: bool, problems: Vec<ImportProblem>) -> ImportReport {
        ImportReport {
            ok: false,
            dry_run,
            written: false,
            plan_id: None,
            tasks: 0,
            targets: 0,
            units_created: vec![],
            groups_created: vec![],
            aliases_added: vec![],
            problems,
            rows: vec![],
        }
    }
}

fn row_problem(p: RowProblem) -> ImportProblem {
    ImportProblem {
        line: p.line,
        column: p.column,
        message: p.message,
        suggestion: None,
    }
}

fn unresolved_problem(line: usize, u: Unresolved) -> ImportProblem {
    ImportProblem {
        line: Some(line),
        column: None,
        message: u.message,
        suggestion: u.suggestion,
    }
}

/// Imports a task list from the bytes of a CSV or XLSX file.
pub async fn import<C: Store>(
    db: &C,
    caller: &Caller,
    bytes: &[u8],
    options: &TaskImport,
) -> DomainResult<ImportReport> {
    let rows = match table::read(bytes) {
        Ok(rows) => rows,
        Err(e) => {
            return Ok(ImportReport::failed(
                options.dry_run,
                vec![ImportProblem {
                    line: None,
                    column: None,
                    message: Text::from(&e).localized(),
                    suggestion: None,
                }],
            ));
        }
    };
    let tasks = match rows::parse(&rows) {
        Ok(tasks) => tasks,
        Err(problems) => {
            return Ok(ImportReport::failed(
                options.dry_run,
                problems.into_iter().map(row_problem).collect(),
            ));
        }
    };
    let layout = rows::source_columns(&rows);
    let txn = crate::domain::begin_write(db).await?;
    let outcome = run(&txn, caller, &tasks, &layout, options).await;
    match outcome {
        Ok(mut report) => {
            if report.ok && !options.dry_run {
                txn.commit().await?;
                report.written = true;
            } else {
                txn.rollback().await?;
                // Rolled back: the plan it made does not exist.
                report.plan_id = None;
            }
            Ok(report)
        }
        Err(err) => {
            txn.rollback().await?;
            match err {
                DomainError::Internal(_) => Err(err),
                other => Ok(ImportReport::failed(
                    options.dry_run,
                    vec![ImportProblem {
                        line: None,
                        column: None,
                        message: other.to_string(),
                        suggestion: None,
                    }],
                )),
            }
        }
    }
}

struct Regions {
    issuer: Uuid,
    /// (region id, name, side)
    members: Vec<(Uuid, String, Option<Side>)>,
}

impl Regions {
    fn of(&self, written: Option<&str>) -> Option<&(Uuid, String, Option<Side>)> {
        match written {
            None => self.members.iter().find(|(id, _, _)| *id == self.issuer),
            Some(name) => self.members.iter().find(|(_, n, _)| n == name),
        }
    }
}

async fn regions<C: Store>(conn: &C, caller: &Caller, options: &TaskImport) -> DomainResult<Regions> {
    let mut members = Vec::new();
    let issuer = match options.owner {
        Owner::Region(id) => {
            let r = region::get(conn, caller, id).await?;
            members.push((r.id, r.name, None));
            options.issuer.unwrap_or(id)
        }
        Owner::Pairing { helper, recipient } => {
            let Some(pairing) = crate::domain::pairing::find_by_regions(conn, helper, recipient).await? else {
                return Err(DomainError::invalid("pairing", "the two regions are not paired"));
            };
            for id in authz::pairing_regions(conn, pairing.id).await? {
                let r = region::get(conn, caller, id).await?;
                let side = if id == recipient { Side::Recipient } else { Side::Helper };
                members.push((r.id, r.name, Some(side)));
            }
            options.issuer.unwrap_or(recipient)
        }
    };
    if !members.iter().any(|(id, _, _)| *id == issuer) {
        return Err(DomainError::invalid(
            "issuer",
            "the issuer is none of the plan's regions",
        ));
    }
    Ok(Regions { issuer, members })
}

async fn run<C: Store>(
    txn: &C,
    caller: &Caller,
    rows: &[rows::TaskRow],
    layout: &[plan::SourceColumn],
    options: &TaskImport,
) -> DomainResult<ImportReport> {
    let regions = regions(txn, caller, options).await?;
    let owner = match options.owner {
        Owner::Region(id) => PlanOwner::Region(id),
        Owner::Pairing { helper, recipient } => {
            match crate::domain::pairing::find_by_regions(txn, helper, recipient).await? {
                Some(p) => PlanOwner::Pairing(p.id),
                None => return Err(DomainError::invalid("pairing", "the two regions are not paired")),
            }
        }
    };
    let issuers: Vec<String> = regions
        .members
        .iter()
        .map(|(_, name, _)| format!("{name}人民政府"))
        .collect();
    // Boxed, as each task's below: an import's future would otherwise hold
    // every write's, deeper than a debug build's stack allows.
    let plan = Box::pin(plan::create(
        txn,
        caller,
        NewPlan {
            owner,
            year: options.year,
            title: options.title.clone(),
            doc_number: options.doc_number.clone(),
            issued_on: options.issued_on,
            issuers,
            default_deadline: None,
            calendar: None,
            reporting: None,
            lights: None,
            external_id: None,
        },
    ))
    .await?;
    let content_header = layout
        .iter()
        .find(|c| c.column == crate::domain::plan::SourceField::Content)
        .map(|c| c.header.clone());
    plan::keep_source_columns(txn, plan.id, layout).await?;
    let mut problems = Vec::new();
    // Columns that name a region that is not the plan's.
    for row in rows.iter().take(1) {
        for cell in &row.units {
            if regions.of(cell.region.as_deref()).is_none() {
                problems.push(ImportProblem {
                    line: None,
                    column: cell.region.clone(),
                    message: Text::new("the column names %{region}, which is none of the plan's regions")
                        .arg("region", cell.region.clone().unwrap_or_default())
                        .localized(),
                    suggestion: None,
                });
            }
        }
    }
    let mut resolver = Resolver::new(caller, options.create_missing_units, &options.aliases);
    for row in rows {
        for cell in &row.units {
            if let Some((id, _, _)) = regions.of(cell.region.as_deref()) {
                resolver.note_written(*id, &cell.names);
            }
        }
    }
    let vocabulary = crate::domain::metric::vocabulary(txn).await?;
    let mut outcomes = Vec::new();
    let mut task_count = 0;
    let mut target_count = 0;
    for row in rows {
        let mut outcome = RowOutcome {
            line: row.line,
            section: Some(row.section.clone()).filter(|s| !s.is_empty()),
            seq: row.seq,
            category: row.category.clone(),
            deadline: None,
            deadline_text: row.deadline_text.clone(),
            leaders: row.leaders.clone(),
            lead: vec![],
            supporting: vec![],
            targets: vec![],
            problems: vec![],
        };
        let mut assignments: Vec<(task::Assignee, bool, Option<Side>)> = Vec::new();
        let mut source_cells: Vec<task::SourceCell> = Vec::new();
        for cell in &row.units {
            let Some((region_id, region_name, side)) = regions.of(cell.region.as_deref()).cloned() else {
                continue;
            };
            let mut source = task::SourceCell {
                header: cell.header.clone(),
                text: cell.text.clone(),
                assignees: Vec::new(),
            };
            for name in &cell.names {
                match resolver.resolve(txn, region_id, &region_name, name).await? {
                    Ok(found) => {
                        for r in found {
                            if let Some(assignee) = r.assignee {
                                assignments.push((assignee, cell.lead, side));
                                source.assignees.push(match assignee {
                                    task::Assignee::Unit(id) | task::Assignee::Group(id) => id,
                                });
                            }
                            if cell.lead {
                                outcome.lead.push(r)
                            } else {
                                outcome.supporting.push(r)
                            }
                        }
                    }
                    Err(unresolved) => {
                        outcome.problems.push(unresolved.message.clone());
                        problems.push(unresolved_problem(row.line, unresolved));
                    }
                }
            }
            source_cells.push(source);
        }
        // Lead first, so that a unit named twice keeps its lead role.
        assignments.sort_by_key(|(_, lead, _)| !*lead);
        let mut pairs: Vec<(task::Assignee, bool)> = assignments.iter().map(|(a, l, _)| (*a, *l)).collect();
        resolve::dedupe(&mut pairs);
        let assignment_inputs: Vec<AssignmentInput> = pairs
            .iter()
            .map(|(assignee, lead)| AssignmentInput {
                assignee: *assignee,
                role: if *lead {
                    AssignmentRole::Lead
                } else {
                    AssignmentRole::Supporting
                },
                side: assignments
                    .iter()
                    .find(|(a, _, _)| a == assignee)
                    .and_then(|(_, _, s)| *s),
            })
            .collect();
        let deadline = row
            .deadline_text
            .as_deref()
            .and_then(|t| deadline::parse(t, options.year));
        if let (Some(text), None) = (&row.deadline_text, deadline) {
            outcome.problems.push(format!(
                "the deadline `{text}` names no day; the plan's default applies"
            ));
        }
        outcome.deadline = deadline;
        let found = targets::extract(&row.content, &vocabulary);
        outcome.targets = found
            .iter()
            .map(|t| TargetFound {
                metric: t.metric.clone(),
                comparator: t.comparator.as_str().to_owned(),
                value: t.value.map(|v| v.to_string()),
                value_max: t.value_max.map(|m| m.to_string()),
                unit: t.unit.clone(),
                baseline: t.baseline.clone(),
                source_text: t.source_text.clone(),
            })
            .collect();
        if outcome.problems.iter().any(|p| !p.starts_with("the deadline")) {
            outcomes.push(outcome);
            continue;
        }
        let created = Box::pin(task::create(
            txn,
            caller,
            NewTask {
                plan_id: plan.id,
                section: Some(row.section.clone()).filter(|s| !s.is_empty()),
                seq: row.seq,
                category: row.category.clone(),
                content: row.content.clone(),
                deadline,
                deadline_text: row.deadline_text.clone(),
                leaders: row.leaders.clone(),
                notes: row.notes.clone(),
                assignments: assignment_inputs,
                targets: found
                    .into_iter()
                    .map(|t| TargetInput {
                        id: None,
                        metric: t.metric,
                        label: None,
                        comparator: t.comparator,
                        value: t.value,
                        value_max: t.value_max,
                        unit: t.unit,
                        baseline: t.baseline,
                        source_text: t.source_text,
                    })
                    .collect(),
                external_id: None,
            },
        ))
        .await;
        match created {
            Ok(made) => {
                task::keep_source_cells(txn, made.id, &source_cells).await?;
                task_count += 1;
                target_count += made.targets.len();
                outcome.deadline = Some(made.deadline);
            }
            Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
            Err(err) => {
                // A target's problem is a problem of the cell its text is in.
                let column = match &err {
                    DomainError::Validation(fields) if fields.iter().any(|f| f.field.starts_with("targets")) => {
                        content_header.clone()
                    }
                    _ => None,
                };
                let message = err.describe();
                outcome.problems.push(message.clone());
                problems.push(ImportProblem {
                    line: Some(row.line),
                    column,
                    message,
                    suggestion: None,
                });
            }
        }
        outcomes.push(outcome);
    }
    if problems.is_empty() {
        let current = plan::get(txn, caller, plan.id).await?;
        plan::transition(txn, caller, plan.id, current.version, PlanTransition::Issue).await?;
    }
    Ok(ImportReport {
        ok: problems.is_empty(),
        dry_run: options.dry_run,
        written: false,
        plan_id: Some(plan.id),
        tasks: task_count,
        targets: target_count,
        units_created: resolver.created_units,
        groups_created: resolver.created_groups,
        aliases_added: resolver.aliases_added,
        problems,
        rows: outcomes,
    })
}
