//! Supervision (督查督办): leaders (牵头领导) and the traffic lights of a
//! list of tasks rolled up by plan, lead unit and leader.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::plan::TaskNode;
use super::reference::{RegionNode, load_region};
use crate::domain::extension::Extension;
use crate::domain::leader::Leader;
use crate::domain::light::{LightCounts, LightRollup, LightSummary};
use crate::domain::notification::Notification;
use crate::domain::urging::Urging;
use crate::domain::values::ReportPeriod;
use crate::graphql::context::loader;
use crate::graphql::ids::global_id;
use crate::graphql::loaders::TaskKey;
use crate::graphql::scalars::{ExtensionStatus, Light, NotificationKind};

/// A leader (牵头领导): an official who leads tasks, of a region.
pub struct LeaderNode(pub Leader);

/// A leader (牵头领导): an official who leads tasks, of a region.
#[Object(name = "Leader")]
impl LeaderNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Leader", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// 冯星贵.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 区委副书记、区长, when known.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// The region's global id.
    async fn region_id(&self) -> ID {
        global_id("Region", self.0.region_id)
    }
    /// The region the leader serves.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        load_region(ctx, self.0.region_id).await
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

crate::graphql::connection::connection!(
    /// A page of leaders (牵头领导).
    LeaderConnection,
    LeaderEdge,
    LeaderNode,
    "A leader (牵头领导) in a page, with its cursor."
);

/// How many tasks show each colour, and the worst.
#[derive(SimpleObject)]
#[graphql(name = "LightCounts")]
pub struct LightCountsObject {
    /// Tasks on track.
    pub green: u64,
    /// Tasks whose deadline is near, or whose progress trails the time elapsed.
    pub yellow: u64,
    /// Tasks overdue, or with a report owed that is late.
    pub red: u64,
    /// The worst colour among them; null without tasks.
    pub worst: Option<Light>,
}

impl From<&LightCounts> for LightCountsObject {
    fn from(c: &LightCounts) -> Self {
        LightCountsObject {
            green: c.green,
            yellow: c.yellow,
            red: c.red,
            worst: c.worst.map(Into::into),
        }
    }
}

/// The lights of a plan, a lead unit or group, or a leader.
#[derive(SimpleObject)]
#[graphql(name = "LightRollup")]
pub struct LightRollupObject {
    /// The plan's, unit's, group's or leader's REST id.
    pub uuid: Uuid,
    /// The plan's title, the unit's or group's name, the leader's name.
    pub name: String,
    /// How many of its tasks show each colour, and the worst.
    pub counts: LightCountsObject,
}

impl From<&LightRollup> for LightRollupObject {
    fn from(r: &LightRollup) -> Self {
        LightRollupObject {
            uuid: r.id,
            name: r.name.clone(),
            counts: (&r.counts).into(),
        }
    }
}

/// The lights of a list of tasks, in all and rolled up.
#[derive(SimpleObject)]
#[graphql(name = "LightSummary")]
pub struct LightSummaryObject {
    /// The day judged (today in China).
    pub on: NaiveDate,
    /// Over every task in the filter.
    pub total: LightCountsObject,
    /// By plan, the worst first.
    pub plans: Vec<LightRollupObject>,
    /// By lead unit or lead group, the worst first.
    pub units: Vec<LightRollupObject>,
    /// By leader (牵头领导), the worst first.
    pub leaders: Vec<LightRollupObject>,
}

impl From<LightSummary> for LightSummaryObject {
    fn from(s: LightSummary) -> Self {
        let rollups = |list: &[LightRollup]| list.iter().map(Into::into).collect();
        LightSummaryObject {
            on: s.on,
            total: (&s.total).into(),
            plans: rollups(&s.plans),
            units: rollups(&s.units),
            leaders: rollups(&s.leaders),
        }
    }
}

/// A notification in the caller's inbox (站内通知).
pub struct NotificationNode(pub Notification);

/// A notification in the caller's inbox (站内通知).
#[Object(name = "Notification")]
impl NotificationNode {
    /// The global id.
    async fn id(&self) -> ID {
        global_id("Notification", self.0.id)
    }
    /// The REST id.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// What it tells.
    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }
    /// What a person reads.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The plan's global id, when it concerns one.
    async fn plan_id(&self) -> Option<ID> {
        self.0.plan_id.map(|id| global_id("Plan", id))
    }
    /// The task's global id, when it concerns one.
    async fn task_id(&self) -> Option<ID> {
        self.0.task_id.map(|id| global_id("Task", id))
    }
    /// The task it concerns, as the caller may see it.
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<TaskNode>> {
        match self.0.task_id {
            Some(id) => Ok(loader(ctx)?.load_one(TaskKey(id)).await?.map(TaskNode)),
            None => Ok(None),
        }
    }
    /// The report's global id, when it concerns one.
    async fn report_id(&self) -> Option<ID> {
        self.0.report_id.map(|id| global_id("Report", id))
    }
    /// The urging's REST id, when it tells of one.
    async fn urging_uuid(&self) -> Option<Uuid> {
        self.0.urging_id
    }
    /// The request for more time's REST id, when it tells of one.
    async fn extension_uuid(&self) -> Option<Uuid> {
        self.0.extension_id
    }
    /// The report period it concerns, when one.
    async fn period(&self) -> Option<ReportPeriod> {
        self.0.period
    }
    /// The day the report it concerns is (was) due, when one.
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }
    /// When it was written (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was marked read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
    /// Whether it was marked read.
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
}

crate::graphql::connection::connection!(
    /// A page of notifications, newest first.
    NotificationConnection,
    NotificationEdge,
    NotificationNode,
    "A notification in a page, with its cursor."
);

/// An urging (催办) of a unit on a task.
#[derive(SimpleObject)]
#[graphql(name = "Urging")]
pub struct UrgingObject {
    /// The REST id.
    pub uuid: Uuid,
    /// The unit urged (its global id).
    pub unit_id: ID,
    /// The owed report's period, when one was named.
    pub period: Option<ReportPeriod>,
    /// What was said.
    pub message: String,
    /// Who urged, as they signed in.
    pub urged_by_name: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Urging> for UrgingObject {
    fn from(u: Urging) -> Self {
        UrgingObject {
            uuid: u.id,
            unit_id: global_id("Unit", u.unit_id),
            period: u.period,
            message: u.message,
            urged_by_name: u.urged_by_name,
            created_at: u.created_at,
        }
    }
}

/// A request for more time (延期申请) on a task.
#[derive(SimpleObject)]
#[graphql(name = "Extension")]
pub struct ExtensionObject {
    /// The REST id.
    pub uuid: Uuid,
    /// The task's global id.
    pub task_id: ID,
    /// The lead unit that asked (its global id).
    pub unit_id: ID,
    /// PENDING, APPROVED or REFUSED.
    pub status: ExtensionStatus,
    /// The task's deadline when it was asked (for an approved request, the one it replaced).
    pub previous_deadline: NaiveDate,
    /// The document's words for that deadline, when it had them.
    pub previous_deadline_text: Option<String>,
    /// The deadline asked for.
    pub deadline: NaiveDate,
    /// Why more time is needed.
    pub reason: String,
    /// Who asked, as they signed in.
    pub requested_by_name: String,
    /// Who decided, as they signed in.
    pub decided_by_name: Option<String>,
    /// Why it was approved or refused.
    pub decision_reason: Option<String>,
    /// When it was decided (UTC).
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was asked (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Extension> for ExtensionObject {
    fn from(e: Extension) -> Self {
        ExtensionObject {
            uuid: e.id,
            task_id: global_id("Task", e.task_id),
            unit_id: global_id("Unit", e.unit_id),
            status: e.status.into(),
            previous_deadline: e.previous_deadline,
            previous_deadline_text: e.previous_deadline_text,
            deadline: e.deadline,
            reason: e.reason,
            requested_by_name: e.requested_by_name,
            decided_by_name: e.decided_by_name,
            decision_reason: e.decision_reason,
            decided_at: e.decided_at,
            created_at: e.created_at,
        }
    }
}
