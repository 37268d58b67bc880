//! Progress reports (进展报告): a unit's text and year-to-date figures on a
//! task for a month, quarter or year, and their review workflow
//! draft → submitted → approved | returned → submitted …

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{plans, report_values, reports, targets};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz::{self, TaskAccess};
use super::error::Validator;
use super::external;
use super::metric;
use super::region::parse_stored;
use super::task;
use super::units::{self, Normalized};
use super::values::{
    Amount, AssignmentRole, NotificationKind, PlanStatus, ReportPeriod, ReportStatus, SupportingReports,
};
use super::{Caller, DomainError, DomainResult, Store, begin_write, expect_version, lost_update};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["created_at", "updated_at", "period_end"];

const ENTITY: &str = "report";

/// The year-to-date actual reached for one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportValue {
    pub target_id: Uuid,
    /// As written.
    pub actual: Amount,
    /// The unit it was written in: the one given, or its target's at the
    /// time (kept, so that the figure stays what it was if the target's
    /// unit changes later).
    pub unit: Option<String>,
    /// The actual in its target's metric's unit; none without a metric.
    pub normalized: Option<Normalized>,
}

/// A report as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub id: Uuid,
    pub task_id: Uuid,
    pub unit_id: Uuid,
    /// `2025-03`, `2025-Q1` or `2025`.
    pub period: ReportPeriod,
    /// The lead unit's report that includes its supporting units' work.
    pub consolidated: bool,
    pub status: ReportStatus,
    pub text: String,
    pub values: Vec<ReportValue>,
    pub created_by: Option<Uuid>,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub return_reason: Option<String>,
    /// The platform's own id of it, when a platform or a person gave one:
    /// unique per client (`PUT /api/v1/reports/by-external-id/{external_id}`).
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// One reported figure.
#[derive(Clone, Debug)]
pub struct ValueInput {
    pub target_id: Uuid,
    pub actual: Amount,
    /// The unit the actual is written in, when not its target's (亿元
    /// against a target in 万元); it must convert to the target's metric's.
    pub unit: Option<String>,
}

/// What a new report is made of.
#[derive(Clone, Debug)]
pub struct NewReport {
    pub task_id: Uuid,
    /// The reporting unit; by default the caller's own.
    pub unit_id: Option<Uuid>,
    pub period: ReportPeriod,
    pub consolidated: bool,
    pub text: String,
    pub values: Vec<ValueInput>,
    /// The platform's own id of it, unique per client.
    pub external_id: Option<String>,
}

/// What a draft or returned report may change.
#[derive(Clone, Debug, Default)]
pub struct ReportChanges {
    pub text: Option<String>,
    pub values: Option<Vec<ValueInput>>,
}

/// Builds the views of many reports with one more query.
pub async fn report_views<C: ConnectionTrait>(conn: &C, models: Vec<reports::Model>) -> DomainResult<Vec<Report>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut values: HashMap<Uuid, Vec<ReportValue>> = HashMap::new();
    if !ids.is_empty() {
        for row in report_values::Entity::find()
            .filter(report_values::Column::ReportId.is_in(ids.iter().copied()))
            .all(conn)
            .await?
        {
            values.entry(row.report_id).or_default().push(ReportValue {
                target_id: row.target_id,
                actual: Amount::from_scaled(row.actual_e4),
                unit: row.unit_of_measure,
                normalized: row.normalized_e8.map(Normalized::from_scaled),
            });
        }
    }
    models
        .into_iter()
        .map(|m| {
            let period: ReportPeriod = parse_stored(&m.period)?;
            let mut vals = values.remove(&m.id).unwrap_or_default();
            vals.sort_by_key(|v| v.target_id);
            Ok(Report {
                id: m.id,
                task_id: m.task_id,
                unit_id: m.unit_id,
                period,
                consolidated: m.consolidated,
                status: parse_stored(&m.status)?,
                text: m.text,
                values: vals,
                created_by: m.created_by,
                submitted_by: m.submitted_by,
                submitted_at: m.submitted_at,
                reviewed_by: m.reviewed_by,
                reviewed_at: m.reviewed_at,
                return_reason: m.return_reason,
                external_id: m.external_id,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

async fn report_view<C: ConnectionTrait>(conn: &C, model: reports::Model) -> DomainResult<Report> {
    super::only(report_views(conn, vec![model]).await?, "report")
}

/// Loads a report the caller may see, with its task's plan and the
/// caller's access to the task.
pub(crate) async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<(reports::Model, plans::Model, TaskAccess)> {
    let report = super::row::<reports::Entity>(conn, ENTITY, id).await?;
    let (_, plan, access) = task::load_visible(conn, caller, report.task_id)
        .await
        .map_err(|_| DomainError::not_found(ENTITY, id))?;
    let status: ReportStatus = parse_stored(&report.status)?;
    if !access.read_report(&caller.principal, report.unit_id, status) {
        return Err(DomainError::not_found(ENTITY, id));
    }
    Ok((report, plan, access))
}

fn validate_text(v: &mut Validator, text: &str) {
    v.check(
        text.chars().count() <= 20_000,
        "text",
        "must be at most 20000 characters",
    );
}

/// A value as it is stored: its unit (the one given, or its target's) and
/// the figure in its metric's unit.
type CheckedValue = (String, Option<Normalized>);

/// Checks that every value names a target of the task, once, in a unit
/// that converts to its target's metric's (or, without a metric, to the
/// target's own); gives each value's unit and figure in the metric's unit.
async fn validate_values<C: ConnectionTrait>(
    conn: &C,
    v: &mut Validator,
    task_id: Uuid,
    values: &[ValueInput],
) -> DomainResult<Vec<CheckedValue>> {
    let targets: HashMap<Uuid, targets::Model> = targets::Entity::find()
        .filter(targets::Column::TaskId.eq(task_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let metrics = metric::by_ids(conn, targets.values().filter_map(|t| t.metric_id)).await?;
    let mut seen = HashSet::new();
    let mut normalized = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let mut figure = None;
        let mut written_in = value.unit.as_deref().map(str::trim).unwrap_or_default().to_owned();
        match targets.get(&value.target_id) {
            None => v.add(
                format!("values[{i}].target_id"),
                format!("the task has no target {}", value.target_id),
            ),
            Some(_) if !seen.insert(value.target_id) => {
                v.add(format!("values[{i}].target_id"), "the target is given twice")
            }
            Some(target) => {
                let unit = value.unit.as_deref().unwrap_or(&target.unit_of_measure);
                written_in = unit.trim().to_owned();
                let field = if value.unit.is_some() {
                    format!("values[{i}].unit")
                } else {
                    format!("values[{i}].actual")
                };
                match target.metric_id.and_then(|id| metrics.get(&id)) {
                    Some(metric) => match metric::normalize(metric, value.actual, unit) {
                        Ok(n) => figure = Some(n),
                        Err(message) => v.add(field, message),
                    },
                    None if unit != target.unit_of_measure => {
                        if let Err(e) = units::convert(value.actual, unit, &target.unit_of_measure) {
                            v.add(
                                field,
                                Text::new("%{error}: the target counts in %{unit}")
                                    .part("error", &e)
                                    .arg("unit", &target.unit_of_measure),
                            );
                        }
                    }
                    None => {}
                }
            }
        }
        if let Some(unit) = &value.unit {
            v.text(&format!("values[{i}].unit"), unit, 20);
        }
        if value.actual.to_scaled().is_err() {
            v.add(format!("values[{i}].actual"), "too large");
        }
        normalized.push((written_in, figure));
    }
    Ok(normalized)
}

async fn write_values(
    txn: &DatabaseTransaction,
    report_id: Uuid,
    values: &[ValueInput],
    checked: &[CheckedValue],
) -> DomainResult<()> {
    report_values::Entity::delete_many()
        .filter(report_values::Column::ReportId.eq(report_id))
        .exec(txn)
        .await?;
    for (value, (unit, figure)) in values.iter().zip(checked) {
        report_values::ActiveModel {
            id: Set(Uuid::new_v4()),
            report_id: Set(report_id),
            target_id: Set(value.target_id),
            actual_e4: Set(value
                .actual
                .to_scaled()
                .map_err(|e| DomainError::invalid("values", e))?),
            unit_of_measure: Set(Some(unit.clone()).filter(|u| !u.is_empty())),
            normalized_e8: Set(figure.map(Normalized::to_scaled)),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

pub async fn create(db: &impl Store, caller: &Caller, input: NewReport) -> DomainResult<Report> {
    let txn = begin_write(db).await?;
    let (task_model, plan, access) = task::load_visible(&txn, caller, input.task_id).await?;
    if !access.writes_reports(&caller.principal) {
        return Err(authz::refuse_write(
            &caller.principal,
            "you may not write reports on this task",
        ));
    }
    let Some(unit_id) = input.unit_id.or(caller.principal.unit_id()) else {
        return Err(DomainError::invalid("unit_id", "name the reporting unit"));
    };
    if !access.write_report_of(&caller.principal, unit_id) {
        return Err(authz::refuse_write(
            &caller.principal,
            "you may not write reports for this unit on this task",
        ));
    }
    match parse_stored::<PlanStatus>(&plan.status)? {
        PlanStatus::Issued => {}
        PlanStatus::Draft => return Err(DomainError::conflict("the plan is not issued yet: no reports on it")),
        PlanStatus::Closed => return Err(DomainError::conflict("the plan is closed: no new reports on it")),
    }
    let mut v = Validator::new();
    validate_text(&mut v, &input.text);
    v.check(
        crate::domain::calendar::task_reports_on(plan.year, task_model.deadline, input.period),
        "period",
        Text::new(
            "must fall in the plan's year %{year} (or, for a task whose deadline was moved past it, begin by %{deadline})",
        )
        .arg("year", plan.year)
        .arg("deadline", task_model.deadline),
    );
    match authz::unit_role_on_task(&txn, unit_id, task_model.id).await? {
        None => v.add("unit_id", "the unit has no role on this task"),
        Some(AssignmentRole::Lead) if !input.consolidated => v.add(
            "consolidated",
            "the lead unit's report is the task's consolidated report: set it true",
        ),
        Some(AssignmentRole::Supporting) if input.consolidated => {
            v.add("consolidated", "only the lead unit consolidates")
        }
        Some(_) => {}
    }
    let normalized = validate_values(&txn, &mut v, task_model.id, &input.values).await?;
    external::check(&mut v, "external_id", input.external_id.as_deref());
    v.finish()?;
    let period_text = input.period.to_string();
    let taken = reports::Entity::find()
        .filter(reports::Column::TaskId.eq(task_model.id))
        .filter(reports::Column::UnitId.eq(unit_id))
        .filter(reports::Column::Period.eq(period_text.as_str()))
        .one(&txn)
        .await?;
    if let Some(existing) = taken {
        return Err(DomainError::Conflict {
            message: Text::new("the unit already has report %{id} on this task for %{period}")
                .arg("id", existing.id)
                .arg("period", &period_text),
            field: Some("period".into()),
        });
    }
    let at = caller.now();
    let model = reports::ActiveModel {
        id: Set(Uuid::new_v4()),
        task_id: Set(task_model.id),
        unit_id: Set(unit_id),
        period: Set(period_text),
        period_kind: Set(input.period.kind().as_str().to_owned()),
        period_year: Set(input.period.year()),
        period_end: Set(input.period.end()),
        consolidated: Set(input.consolidated),
        status: Set(ReportStatus::Draft.as_str().to_owned()),
        text: Set(input.text),
        created_by: Set(caller.principal.user_id()),
        submitted_by: Set(None),
        submitted_at: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        return_reason: Set(None),
        external_client_id: Set(input.external_id.as_ref().and(external::namespace(caller))),
        external_id: Set(input.external_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    write_values(&txn, model.id, &input.values, &normalized).await?;
    let report = report_view(&txn, model).await?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(report.id), &report)?).await?;
    Ok(report)
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Report> {
    let (report, _, _) = load_visible(conn, caller, id).await?;
    report_view(conn, report).await
}

/// The reports on a task that the caller may see, by period.
pub async fn list_by_task<C: ConnectionTrait>(conn: &C, caller: &Caller, task_id: Uuid) -> DomainResult<Vec<Report>> {
    let (_, _, access) = task::load_visible(conn, caller, task_id).await?;
    let mut query = reports::Entity::find().filter(reports::Column::TaskId.eq(task_id));
    if !access.read_all_reports(&caller.principal) {
        if access.unit_role.is_none() {
            return Ok(Vec::new());
        }
        let own = caller.principal.unit_id().unwrap_or_default();
        query = query.filter(
            reports::Column::Status
                .ne(ReportStatus::Draft.as_str())
                .or(reports::Column::UnitId.eq(own)),
        );
    }
    let models = query
        .order_by_asc(reports::Column::PeriodEnd)
        .order_by_asc(reports::Column::PeriodKind)
        .order_by_asc(reports::Column::Id)
        .all(conn)
        .await?;
    report_views(conn, models).await
}

/// Loads a report for a change by its writer: visible, writable by the
/// caller, at the expected version, in the plan's open state.
async fn load_for_writer(
    txn: &DatabaseTransaction,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<(reports::Model, ReportStatus)> {
    let (report, plan, access) = load_visible(txn, caller, id).await?;
    if !access.write_report_of(&caller.principal, report.unit_id) {
        return Err(authz::refuse_write(
            &caller.principal,
            "only the reporting unit may change or submit its report",
        ));
    }
    expect_version(ENTITY, id, expected_version, report.version)?;
    if plan.status == PlanStatus::Closed.as_str() {
        return Err(DomainError::conflict("the plan is closed: its reports cannot change"));
    }
    let status = parse_stored(&report.status)?;
    Ok((report, status))
}

/// Changes a draft or returned report.
pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: ReportChanges,
) -> DomainResult<Report> {
    let txn = begin_write(db).await?;
    let (current, status) = load_for_writer(&txn, caller, id, expected_version).await?;
    if !matches!(status, ReportStatus::Draft | ReportStatus::Returned) {
        return Err(DomainError::conflict(
            Text::new("a %{status} report cannot change").word("status", status.as_str()),
        ));
    }
    let mut v = Validator::new();
    if let Some(text) = &changes.text {
        validate_text(&mut v, text);
    }
    let normalized = match &changes.values {
        Some(values) => validate_values(&txn, &mut v, current.task_id, values).await?,
        None => Vec::new(),
    };
    v.finish()?;
    let before = report_view(&txn, current.clone()).await?;
    let model = reports::Entity::update(reports::ActiveModel {
        id: ActiveValue::Unchanged(id),
        text: Set(changes.text.clone().unwrap_or(current.text)),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(reports::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    if let Some(values) = &changes.values {
        write_values(&txn, id, values, &normalized).await?;
    }
    let after = report_view(&txn, model).await?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// A step of the review workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// draft | returned → submitted, by the reporting unit.
    Submit,
    /// submitted → approved, by the reviewer; the report is then frozen.
    Approve,
    /// submitted → returned, by the reviewer, with a reason.
    Return { reason: String },
    /// submitted → draft, by the reporting unit before anyone reviewed it
    /// (sent by mistake, 撤回).
    Recall,
}

impl Transition {
    fn name(&self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Return { .. } => "return",
            Transition::Recall => "recall",
        }
    }

    /// What the report would have been: `submitted`, `approved`, …
    fn done(&self) -> &'static str {
        match self {
            Transition::Submit => "submitted",
            Transition::Approve => "approved",
            Transition::Return { .. } => "returned",
            Transition::Recall => "recalled",
        }
    }

    /// The status the report moves to, if the move is legal from `from`.
    pub fn target(&self, from: ReportStatus) -> Option<ReportStatus> {
        match (self, from) {
            (Transition::Submit, ReportStatus::Draft | ReportStatus::Returned) => Some(ReportStatus::Submitted),
            (Transition::Approve, ReportStatus::Submitted) => Some(ReportStatus::Approved),
            (Transition::Return { .. }, ReportStatus::Submitted) => Some(ReportStatus::Returned),
            (Transition::Recall, ReportStatus::Submitted) => Some(ReportStatus::Draft),
            _ => None,
        }
    }
}

/// Moves a report one step along its workflow; who and when are recorded.
pub async fn transition(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i32>,
    step: Transition,
) -> DomainResult<Report> {
    let txn = begin_write(db).await?;
    let (current, plan, access) = load_visible(&txn, caller, id).await?;
    let to_office = plan.reporting_supporting == SupportingReports::ToOffice.as_str();
    let allowed = match step {
        Transition::Submit | Transition::Recall => access.write_report_of(&caller.principal, current.unit_id),
        Transition::Approve | Transition::Return { .. } => {
            access.review(&caller.principal, current.consolidated, to_office)
        }
    };
    if !allowed {
        return Err(match step {
            Transition::Submit => {
                authz::refuse_write(&caller.principal, "only the reporting unit may submit its report")
            }
            Transition::Recall => {
                authz::refuse_write(&caller.principal, "only the reporting unit may recall its report")
            }
            _ if current.consolidated => {
                DomainError::forbidden("only a coordinator of the plan reviews a consolidated report")
            }
            _ if to_office => DomainError::forbidden(
                "the plan's supporting units report to the office: only its coordinators review their reports",
            ),
            _ => DomainError::forbidden("only the task's lead unit reviews its supporting units' reports"),
        });
    }
    if let Some(expected) = expected_version {
        expect_version(ENTITY, id, expected, current.version)?;
    }
    if plan.status == PlanStatus::Closed.as_str() {
        return Err(DomainError::conflict("the plan is closed: its reports cannot change"));
    }
    let from: ReportStatus = parse_stored(&current.status)?;
    let Some(to) = step.target(from) else {
        return Err(DomainError::conflict(
            Text::new("a %{status} report cannot be %{done}")
                .word("status", from.as_str())
                .word("done", step.done()),
        ));
    };
    if step == Transition::Submit
        && plan.evidence_required
        && super::attachment::count_of(
            &txn,
            super::attachment::Parent::new(super::attachment::ParentKind::Report, id),
        )
        .await?
            == 0
    {
        return Err(DomainError::Conflict {
            message: "the plan asks for evidence (佐证材料): attach a file to the report before submitting it".into(),
            field: Some("attachments".into()),
        });
    }
    if let Transition::Return { reason } = &step {
        let mut v = Validator::new();
        v.text("reason", reason, 2000);
        v.finish()?;
    }
    let before = report_view(&txn, current.clone()).await?;
    let at = caller.now();
    let mut change = reports::ActiveModel {
        id: ActiveValue::Unchanged(id),
        status: Set(to.as_str().to_owned()),
        updated_at: Set(at),
        version: Set(current.version + 1),
        ..Default::default()
    };
    match &step {
        Transition::Submit => {
            change.submitted_by = Set(caller.principal.user_id());
            change.submitted_at = Set(Some(at));
        }
        Transition::Approve => {
            change.reviewed_by = Set(caller.principal.user_id());
            change.reviewed_at = Set(Some(at));
            change.return_reason = Set(None);
        }
        Transition::Return { reason } => {
            change.reviewed_by = Set(caller.principal.user_id());
            change.reviewed_at = Set(Some(at));
            change.return_reason = Set(Some(reason.trim().to_owned()));
        }
        Transition::Recall => {
            change.submitted_by = Set(None);
            change.submitted_at = Set(None);
        }
    }
    let model = reports::Entity::update(change)
        .validate()?
        .filter(reports::Column::Version.eq(current.version))
        .exec(&txn)
        .await
        .map_err(lost_update(ENTITY, id, current.version))?;
    if step == Transition::Approve {
        super::figures::refresh(&txn, &[current.task_id]).await?;
    }
    let after = report_view(&txn, model).await?;
    notify_unit(&txn, at, &step, &after).await?;
    audit::commit(
        txn,
        caller,
        Change::transition(step.name(), ENTITY, Some(id), &before, &after)?,
    )
    .await?;
    Ok(after)
}

/// Tells the reporting unit's users that its report was returned (with
/// the reason) or approved, in the transaction of the step.
async fn notify_unit<C: ConnectionTrait>(
    conn: &C,
    at: chrono::DateTime<chrono::Utc>,
    step: &Transition,
    report: &Report,
) -> DomainResult<()> {
    use super::notification::{self, Notice, task_label};
    let (kind, what) = match step {
        Transition::Return { reason } => (NotificationKind::ReportReturned, format!("已退回：{}", reason.trim())),
        Transition::Approve => (NotificationKind::ReportApproved, "已审核通过".to_owned()),
        Transition::Submit | Transition::Recall => return Ok(()),
    };
    let Some(task_model) = entity::tasks::Entity::find_by_id(report.task_id).one(conn).await? else {
        return Ok(());
    };
    let notice = Notice {
        report_id: Some(report.id),
        period: Some(report.period),
        ..Notice::about(
            kind,
            &task_model,
            format!("{} {}报告{what}", task_label(&task_model), report.period),
        )
    };
    let units = [report.unit_id];
    notification::send(conn, at, &notification::users_of_units(conn, &units).await?, &notice).await?;
    Ok(())
}

/// Removes a report that was never submitted.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    let (current, status) = load_for_writer(&txn, caller, id, expected_version).await?;
    if status != ReportStatus::Draft {
        return Err(DomainError::conflict(
            Text::new("a %{status} report cannot be deleted").word("status", status.as_str()),
        ));
    }
    let before = report_view(&txn, current).await?;
    reports::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &before)?).await?;
    Ok(())
}

/// What the report list is filtered by.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    pub task_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    pub period: Option<ReportPeriod>,
    pub status: Option<ReportStatus>,
    pub consolidated: Option<bool>,
}

/// The reports the caller may see that meet `filter`, one page, newest
/// first by default (`created_at`, `updated_at`, `period_end`; `-` for
/// descending).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: ReportFilter,
    sort: Option<&str>,
    page: &super::page::PageRequest,
) -> DomainResult<super::page::Page<Report>> {
    use super::page::{self, Sort};
    use sea_orm::sea_query::Query;
    authz::require_reader(&caller.principal)?;
    let (field, descending) = page::parse_sort(sort, "-created_at", SORT_KEYS)?;
    let mut query = reports::Entity::find().filter(
        authz::Visibility::of(conn, &caller.principal)
            .await?
            .reports(conn)
            .await?,
    );
    if let Some(id) = filter.task_id {
        query = query.filter(reports::Column::TaskId.eq(id));
    }
    if let Some(id) = filter.plan_id {
        query = query.filter(
            reports::Column::TaskId.in_subquery(
                Query::select()
                    .column(entity::tasks::Column::Id)
                    .from(entity::tasks::Entity)
                    .and_where(entity::tasks::Column::PlanId.eq(id))
                    .to_owned(),
            ),
        );
    }
    if let Some(id) = filter.unit_id {
        query = query.filter(reports::Column::UnitId.eq(id));
    }
    if let Some(period) = filter.period {
        query = query.filter(reports::Column::Period.eq(period.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(reports::Column::Status.eq(status.as_str()));
    }
    if let Some(consolidated) = filter.consolidated {
        query = query.filter(reports::Column::Consolidated.eq(consolidated));
    }
    let sort = match field {
        "period_end" => Sort::<reports::Entity> {
            column: reports::Column::PeriodEnd,
            id: reports::Column::Id,
            descending,
            key_of: |m: &reports::Model| (serde_json::json!(m.period_end.to_string()), m.id),
            value_of: page::date_value,
        },
        "updated_at" => Sort {
            column: reports::Column::UpdatedAt,
            id: reports::Column::Id,
            descending,
            key_of: |m: &reports::Model| (serde_json::json!(m.updated_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
        _ => Sort {
            column: reports::Column::CreatedAt,
            id: reports::Column::Id,
            descending,
            key_of: |m: &reports::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    let rows = page::fetch(conn, query, &sort, page).await?;
    rows.then(async |items| report_views(conn, items).await).await
}

/// The reports on these tasks that the caller may see (with the visibility
/// of [`list`]: never another unit's draft, nothing of tasks it has no role
/// in unless it coordinates them or reads everything), by task, then period
/// as [`list_by_task`] orders them, with two queries however many tasks: for
/// batch loading.
pub async fn list_by_tasks<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    task_ids: &[Uuid],
) -> DomainResult<Vec<Report>> {
    authz::require_reader(&caller.principal)?;
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = reports::Entity::find()
        .filter(
            authz::Visibility::of(conn, &caller.principal)
                .await?
                .reports(conn)
                .await?,
        )
        .filter(reports::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(reports::Column::TaskId)
        .order_by_asc(reports::Column::PeriodEnd)
        .order_by_asc(reports::Column::PeriodKind)
        .order_by_asc(reports::Column::Id)
        .all(conn)
        .await?;
    report_views(conn, models).await
}

impl external::Upsert for NewReport {
    type View = Report;
    const TABLE: &'static str = "reports";
    const ENTITY: &'static str = ENTITY;

    fn external_id_mut(&mut self) -> &mut Option<String> {
        &mut self.external_id
    }

    fn version(view: &Report) -> i32 {
        view.version
    }

    async fn create(self, txn: &DatabaseTransaction, caller: &Caller) -> DomainResult<Report> {
        create(txn, caller, self).await
    }

    async fn read(txn: &DatabaseTransaction, caller: &Caller, id: Uuid) -> DomainResult<Report> {
        get(txn, caller, id).await
    }

    /// Its text and figures, as a draft or returned report takes them; the
    /// task, unit, period and whether it is consolidated stay what they are.
    async fn replace(self, txn: &DatabaseTransaction, caller: &Caller, id: Uuid, version: i32) -> DomainResult<Report> {
        let current = get(txn, caller, id).await?;
        let mut v = Validator::new();
        v.check(self.task_id == current.task_id, "task_id", "a report stays on its task");
        v.check(
            self.unit_id.is_none_or(|unit| unit == current.unit_id),
            "unit_id",
            "a report stays its unit's",
        );
        v.check(self.period == current.period, "period", "a report stays in its period");
        v.check(
            self.consolidated == current.consolidated,
            "consolidated",
            "a report stays consolidated or not",
        );
        v.finish()?;
        update(
            txn,
            caller,
            id,
            version,
            ReportChanges {
                text: Some(self.text),
                values: Some(self.values),
            },
        )
        .await
    }
}
