//! Supervision (督查督办): leaders (牵头领导) and the traffic lights of a
//! list of tasks rolled up by plan, lead unit and leader.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::reference::{RegionNode, load_region};
use crate::domain::leader::Leader;
use crate::domain::light::{LightCounts, LightRollup, LightSummary};
use crate::graphql::ids::global_id;
use crate::graphql::scalars::Light;

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
