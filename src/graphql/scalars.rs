//! Scalars and enumerations of the schema, each spelled as the domain
//! spells it: exact amounts and report periods travel as strings.

use async_graphql::{Enum, InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::domain::Text;
use crate::domain::task::TaskStatusFilter as DomainTaskStatusFilter;
use crate::domain::units::Normalized;
use crate::domain::values::{self, Amount, ReportPeriod};

/// An exact decimal amount as a string, at most 4 decimal places (5000万元
/// is "5000", 8.46万亩 is "8.46"). Never a float, so nothing rounds.
#[Scalar(name = "Amount")]
impl ScalarType for Amount {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Amount::parse(text).map_err(|e| {
                let why = Text::new("`%{value}` is not an amount: %{reason}")
                    .arg("value", text)
                    .part("reason", e);
                InputValueError::custom(why.localized())
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// An amount of money, as input: a decimal in 万元, or followed by its
/// unit ("1.2亿元", "3000万元", "500000元"); kept in 万元, exact to 1元.
#[Scalar(name = "Money")]
impl ScalarType for crate::domain::project::Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => crate::domain::project::Money::parse(text)
                .map_err(|e| InputValueError::custom(Text::recognize(&e).localized())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An exact decimal in a metric's unit of measure, as a string with at most
/// 8 decimal places (230亿元 in a metric of 万元 is "2300000"). Output only.
#[Scalar(name = "Normalized")]
impl ScalarType for Normalized {
    fn parse(value: Value) -> InputValueResult<Self> {
        Err(InputValueError::custom(format!(
            "Normalized is computed by the service, never given: {value}"
        )))
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// A reporting period: a month `2025-03` (月调度), a quarter `2025-Q1`
/// (季通报), a half-year `2025-H1` or a year `2025` (年评估考核).
#[Scalar(name = "ReportPeriod")]
impl ScalarType for ReportPeriod {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => ReportPeriod::parse(text).map_err(|e| InputValueError::custom(e.text().localized())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// What a change of the feed did to its resource.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "crate::domain::feed::Op")]
pub enum ChangeOp {
    /// The resource was made; `data` is it as made.
    Created,
    /// The resource was changed (a workflow step too: see `action`).
    Updated,
    /// The resource is gone; `data` is a tombstone.
    Deleted,
}

/// Kind of a region (行政区划类别).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::RegionKind")]
pub enum RegionKind {
    /// 省
    Province,
    /// 市
    City,
    /// 区
    District,
    /// 县
    County,
    /// 开发区 / 新区: no 行政区划代码.
    DevelopmentZone,
}

/// Chongqing's "one area, two clusters" (一区两群).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::Cluster")]
pub enum Cluster {
    /// 主城都市区
    MainMetro,
    /// 渝东北三峡库区城镇群
    Northeast,
    /// 渝东南武陵山区城镇群
    Southeast,
}

/// Kind of a unit (单位类别).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::UnitKind")]
pub enum UnitKind {
    /// 部门
    Department,
    /// 街道
    Street,
    /// 镇
    Town,
    /// 乡
    Township,
    /// 管委会
    ManagementCommittee,
    /// 国有企业
    StateCompany,
    /// 工业园区
    IndustrialPark,
    /// 其他
    Other,
}

/// Status of a pairing (结对).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::PairingStatus")]
pub enum PairingStatus {
    /// 进行中
    Active,
    /// 已结束
    Ended,
}

/// Status of a plan (任务清单).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::PlanStatus")]
pub enum PlanStatus {
    /// 草稿
    Draft,
    /// 已印发
    Issued,
    /// 已关闭
    Closed,
}

/// Status of a task as its lead unit sets it; overdue (逾期) is derived.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::TaskStatus")]
pub enum TaskStatus {
    /// 未启动
    NotStarted,
    /// 推进中
    InProgress,
    /// 已完成
    Completed,
    /// 已取消
    Cancelled,
}

/// A task status to filter by, or overdue (逾期: past the deadline and
/// neither completed nor cancelled).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
pub enum TaskStatusFilter {
    /// 未启动
    NotStarted,
    /// 推进中
    InProgress,
    /// 已完成
    Completed,
    /// 已取消
    Cancelled,
    /// 逾期
    Overdue,
}

impl From<TaskStatusFilter> for DomainTaskStatusFilter {
    fn from(filter: TaskStatusFilter) -> DomainTaskStatusFilter {
        use values::TaskStatus as S;
        match filter {
            TaskStatusFilter::NotStarted => DomainTaskStatusFilter::Status(S::NotStarted),
            TaskStatusFilter::InProgress => DomainTaskStatusFilter::Status(S::InProgress),
            TaskStatusFilter::Completed => DomainTaskStatusFilter::Status(S::Completed),
            TaskStatusFilter::Cancelled => DomainTaskStatusFilter::Status(S::Cancelled),
            TaskStatusFilter::Overdue => DomainTaskStatusFilter::Overdue,
        }
    }
}

/// Role of a unit on a task.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::AssignmentRole")]
pub enum AssignmentRole {
    /// 牵头 (牵头责任单位)
    Lead,
    /// 配合 (配合单位)
    Supporting,
}

/// Side of a pairing a unit acts for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::Side")]
pub enum Side {
    /// 帮扶方
    Helper,
    /// 受帮扶方
    Recipient,
}

/// How a target (指标) compares.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::Comparator")]
pub enum Comparator {
    /// 以上 / 不少于
    AtLeast,
    /// 以内 / 不超过
    AtMost,
    /// 左右
    About,
    /// a figure stated bare (新培育100户): met once reached, more is over-fulfilment
    Exactly,
    /// a range (3—5名): value to valueMax
    Range,
    /// no value (完成市上下达任务, 与经济增长同步): met by declaration
    Qualitative,
}

/// Which plans statistics count.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::StatisticsScope")]
pub enum StatisticsScope {
    /// Pairings' task lists (结对任务清单): the default.
    Pairing,
    /// Also regions' own plans (a district's work-report breakdown).
    All,
}

/// What a plan is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::PlanKind")]
pub enum PlanKind {
    /// A pairing's task list (结对任务清单).
    Pairing,
    /// A region's own plan (目标任务分解方案).
    Region,
}

/// How a metric's figures combine across tasks.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::Aggregation")]
pub enum Aggregation {
    /// Targets and actuals are added up.
    Sum,
    /// Percentages and growth rates: never added up.
    None,
}

/// Status of a report (进展报告) in its review workflow.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::ReportStatus")]
pub enum ReportStatus {
    /// 草稿
    Draft,
    /// 已报送
    Submitted,
    /// 已退回
    Returned,
    /// 已审核
    Approved,
}

/// Role of a principal.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::Role")]
pub enum Role {
    /// 管理员
    Admin,
    /// 协调办公室 (usually the region's 发展改革委)
    Coordinator,
    /// 单位用户
    UnitUser,
    /// 督查室: reads everything, changes nothing
    Viewer,
    /// 对接平台: a machine identity
    Integration,
}

/// Length of a report period.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::PeriodKind")]
pub enum PeriodKind {
    /// 月 (月调度)
    Month,
    /// 季 (季通报)
    Quarter,
    /// 半年 (上半年工作总结)
    HalfYear,
    /// 年 (年评估考核)
    Year,
}

/// Where a report owed stands on a day (报送情况).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::ObligationStatus")]
pub enum ObligationStatus {
    /// Due later, not yet submitted.
    Open,
    /// Submitted on or before its due day.
    Submitted,
    /// Submitted after its due day.
    SubmittedLate,
    /// Past its due day and not submitted (逾期未报).
    Late,
}

/// Where a task's progress comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "crate::domain::progress::ProgressSource")]
pub enum ProgressSource {
    /// The mean of its targets' progress, each capped at 100, 0 without an approved figure.
    Targets,
    /// The lead unit's declared progress (no targets).
    Declared,
    /// Completed, with neither targets nor a declaration: 100.
    Completed,
    /// Nothing to go by, or cancelled.
    None,
}

/// Whether, and to whom, a plan's supporting units report.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::SupportingReports")]
pub enum SupportingReports {
    /// The lead unit's consolidated report covers them (the default).
    None,
    /// Each owes its own, reviewed by the lead unit.
    ToLead,
    /// Each owes its own, reviewed by the plan's coordinators.
    ToOffice,
}

/// How a group assigned to a task owes its report.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::GroupReports")]
pub enum GroupReports {
    /// One report for the group, filed by any member (the default).
    OnePerGroup,
    /// Each member owes its own.
    None,
}

/// Where a project (援建项目) stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::ProjectStatus")]
pub enum ProjectStatus {
    /// 下达: issued.
    Issued,
    /// 开工: started.
    Started,
    /// 完工: completed.
    Completed,
    /// 验收: accepted.
    Accepted,
    /// 取消: cancelled.
    Cancelled,
}

/// Which way a project's money moved.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::FundKind")]
pub enum FundKind {
    /// 拨付: into the project.
    Allocation,
    /// 支出: out of it.
    Spending,
}

/// Where a project's money came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::FundSource")]
pub enum FundSource {
    /// The helping district.
    Helper,
    /// A co-helping district.
    CoHelper,
    /// The city.
    City,
    /// Enterprises and society.
    Society,
}

/// What a notification tells.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::NotificationKind")]
pub enum NotificationKind {
    /// A report owed is due within the plan's reminder days.
    ReportDueSoon,
    /// A report owed is past its due day and not submitted.
    ReportLate,
    /// A report was returned (退回), with the reason.
    ReportReturned,
    /// A report was approved (审核通过).
    ReportApproved,
    /// The plan's coordinator urged the unit (催办).
    Urged,
    /// A lead unit asked for more time (延期申请).
    ExtensionRequested,
    /// A request for more time was approved or refused.
    ExtensionDecided,
}

/// Where a request for more time (延期申请) stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::ExtensionStatus")]
pub enum ExtensionStatus {
    /// Awaiting the plan's coordinator.
    Pending,
    /// Approved: the task's deadline moved.
    Approved,
    /// Refused, with the reason.
    Refused,
}

/// A task's traffic light (督查亮灯).
#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize)]
#[graphql(remote = "values::Light")]
pub enum Light {
    /// On track.
    Green,
    /// Deadline near, or progress behind the time elapsed.
    Yellow,
    /// Overdue, or a report owed is late.
    Red,
}
