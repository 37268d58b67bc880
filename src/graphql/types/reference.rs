//! Reference data: regions (行政区划), units (单位) and unit groups (单位组),
//! pairings (结对) and unit pairings (部门街镇结对), the metric catalogue
//! (指标目录) and the chronicle (大事记).

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::event::{Event, EventAmount};
use crate::domain::metric::Metric;
use crate::domain::page::Cursor;
use crate::domain::pairing::{Pairing, PairingDocument, UnitPairing};
use crate::domain::region::Region;
use crate::domain::unit::{Unit, UnitGroup};
use crate::domain::values::Amount;
use crate::graphql::connection::{PageArgs, children, connection, cost};
use crate::graphql::context::{caller, db, loader};
use crate::graphql::error::DomainResultExt;
use crate::graphql::ids::global_id;
use crate::graphql::loaders::{
    PairingEventsKey, PairingKey, PairingPlansKey, RegionChildrenKey, RegionKey, RegionPairingsKey, RegionUnitsKey,
    UnitKey, UnitTasksKey,
};
use crate::graphql::scalars::{Cluster, PairingStatus, RegionKind, UnitKind};

pub(crate) async fn load_region(ctx: &Context<'_>, id: Uuid) -> Result<Option<RegionNode>> {
    Ok(loader(ctx)?.load_one(RegionKey(id)).await?.map(RegionNode))
}

pub(crate) async fn load_unit(ctx: &Context<'_>, id: Uuid) -> Result<Option<UnitNode>> {
    Ok(loader(ctx)?.load_one(UnitKey(id)).await?.map(UnitNode))
}

pub(crate) async fn load_pairing(ctx: &Context<'_>, id: Uuid) -> Result<Option<PairingNode>> {
    Ok(loader(ctx)?.load_one(PairingKey(id)).await?.map(PairingNode))
}

// ----------------------------------------------------------------- regions

/// A region (行政区划): a province, city, district (区), county (县) or
/// development zone (开发区 / 新区).
pub struct RegionNode(pub Region);

/// A region (行政区划): a province, city, district (区), county (县) or
/// development zone (开发区 / 新区).
#[Object(name = "Region")]
impl RegionNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Region", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// 行政区划代码: six digits; none for a development zone.
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    /// 名称, e.g. 渝中区.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 行政区划类别.
    async fn kind(&self) -> RegionKind {
        self.0.kind.into()
    }
    /// 一区两群 cluster; none outside Chongqing.
    async fn cluster(&self) -> Option<Cluster> {
        self.0.cluster.map(Into::into)
    }
    /// The region it belongs to (上级行政区划), if any.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        match self.0.parent_id {
            Some(id) => load_region(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The regions it holds (下级行政区划: a city's districts and counties),
    /// by name.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<RegionConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let key = RegionChildrenKey(self.0.id);
        Ok(RegionConnection(
            children(
                ctx,
                key,
                &args,
                "name",
                by_name(|r: &Region| (&r.name, r.id)),
                RegionNode,
            )
            .await?,
        ))
    }
    /// The pairings (结对) it takes part in, as helper, co-helper or
    /// recipient, by creation.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn pairings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<PairingConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let key = RegionPairingsKey(self.0.id);
        let cursor = |p: &Pairing| Cursor {
            key: serde_json::json!(p.created_at.to_rfc3339()),
            id: p.id,
        };
        Ok(PairingConnection(
            children(ctx, key, &args, "created_at", cursor, PairingNode).await?,
        ))
    }
    /// Its units (单位: departments, streets and towns), by name.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<UnitConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let key = RegionUnitsKey(self.0.id);
        Ok(UnitConnection(
            children(ctx, key, &args, "name", by_name(|u: &Unit| (&u.name, u.id)), UnitNode).await?,
        ))
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of regions (行政区划).
    RegionConnection,
    RegionEdge,
    RegionNode,
    "A region (行政区划) in a page, with its cursor."
);

// ------------------------------------------------------------------- units

/// A unit (单位): a department (部门), street (街道), town (镇), township
/// (乡), management committee (管委会) or state-owned company of a region.
pub struct UnitNode(pub Unit);

/// A unit (单位): a department (部门), street (街道), town (镇), township
/// (乡), management committee (管委会) or state-owned company of a region.
#[Object(name = "Unit")]
impl UnitNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Unit", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// 单位名称, e.g. 县经济信息委.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 单位类别.
    async fn kind(&self) -> UnitKind {
        self.0.kind.into()
    }
    /// Other names of the unit in documents (别名: 区就业人才中心 for 区就业和人才中心).
    async fn aliases(&self) -> &[String] {
        &self.0.aliases
    }
    /// A platform's id of the unit, set by an administrator; unique among units.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// The region (行政区划) the unit belongs to.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        load_region(ctx, self.0.region_id).await
    }
    /// The tasks (重点任务) it works on, directly or through a group it
    /// belongs to, that the caller may see, plan by plan in document order.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only where it leads (牵头) or only where it supports (配合).")] role: Option<
            crate::graphql::scalars::AssignmentRole,
        >,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<super::plan::TaskConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let placed = loader(ctx)?
            .load_one(UnitTasksKey(self.0.id, role.map(Into::into)))
            .await?
            .unwrap_or_default();
        super::plan::task_page(ctx, &args, placed).await
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of units (单位).
    UnitConnection,
    UnitEdge,
    UnitNode,
    "A unit (单位) in a page, with its cursor."
);

/// A unit group (单位组): a named set of a region's units, such as 各镇街 or
/// 区级相关部门单位, by a rule (every unit of some kinds) or by members;
/// usable wherever a unit is.
pub struct UnitGroupNode(pub UnitGroup);

/// A unit group (单位组): a named set of a region's units, such as 各镇街 or
/// 区级相关部门单位, by a rule (every unit of some kinds) or by members;
/// usable wherever a unit is.
#[Object(name = "UnitGroup")]
impl UnitGroupNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("UnitGroup", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// 名称, e.g. 各镇街.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The rule: every unit of these kinds in the region belongs to the group.
    async fn rule_kinds(&self) -> Option<Vec<UnitKind>> {
        self.0
            .rule_kinds
            .as_ref()
            .map(|k| k.iter().map(|k| (*k).into()).collect())
    }
    /// The ids of the units named as members explicitly.
    async fn member_uuids(&self) -> &[Uuid] {
        &self.0.member_ids
    }
    /// The units the group stands for now: its members and every unit its rule takes, by name.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Not available: this list pages forward only.")] last: Option<i32>,
        #[graphql(desc = "Not available: this list pages forward only.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<UnitConnection> {
        let paging = PageArgs::new(first, after, last, before)
            .since(updated_since)
            .forward_only(ctx, "name")?;
        let page = crate::domain::unit::group_members_page(db(ctx), caller(ctx)?, self.0.id, &paging.request)
            .await
            .gql()?;
        Ok(UnitConnection(crate::graphql::connection::build(
            &paging, page, UnitNode,
        )))
    }
    /// Other names of the group in documents (各街镇).
    async fn aliases(&self) -> &[String] {
        &self.0.aliases
    }
    /// What the group is.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The region (行政区划) the group belongs to.
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
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of unit groups (单位组).
    UnitGroupConnection,
    UnitGroupEdge,
    UnitGroupNode,
    "A unit group (单位组) in a page, with its cursor."
);

// ---------------------------------------------------------------- pairings

/// A pairing (结对): a helper region (帮扶方) helps a recipient region
/// (受帮扶方), perhaps with co-helpers (联合帮扶方), under agreement documents.
pub struct PairingNode(pub Pairing);

/// A pairing (结对): a helper region (帮扶方) helps a recipient region
/// (受帮扶方), perhaps with co-helpers (联合帮扶方), under agreement documents.
#[Object(name = "Pairing")]
impl PairingNode {
    /// Its plans (任务清单) that the caller may see, the newest year first.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<super::plan::PlanConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let key = PairingPlansKey(self.0.id);
        let cursor = |p: &crate::domain::plan::Plan| Cursor {
            key: serde_json::json!(p.year),
            id: p.id,
        };
        Ok(super::plan::PlanConnection(
            children(ctx, key, &args, "year", cursor, super::plan::PlanNode).await?,
        ))
    }
    /// Its chronicle (大事记), by day.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<EventConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let key = PairingEventsKey(self.0.id);
        let cursor = |e: &Event| Cursor {
            key: serde_json::json!(e.occurred_on.to_string()),
            id: e.id,
        };
        Ok(EventConnection(
            children(ctx, key, &args, "occurred_on", cursor, EventNode).await?,
        ))
    }
    /// The files attached to it (its agreements, scanned), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::types::attachment::AttachmentNode>> {
        crate::graphql::types::attachment::attachments_of(
            ctx,
            crate::domain::attachment::ParentKind::Pairing,
            self.0.id,
        )
        .await
    }
    /// Its projects (援建项目), as the caller may see them.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The year of the pairing's work.")] year: Option<i32>,
        #[graphql(desc = "Only projects whose latest milestone is this.")] status: Option<
            crate::graphql::scalars::ProjectStatus,
        >,
        #[graphql(desc = "`name`, `created_at` or `updated_at`, `-` first for descending (default `name`).")]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<super::project::ProjectConnection> {
        let filter = crate::domain::project::ProjectFilter {
            pairing_id: Some(self.0.id),
            year,
            status: status.map(Into::into),
            ..Default::default()
        };
        let args = crate::graphql::connection::PageArgs::new(first, after, last, before).since(updated_since);
        crate::graphql::query::projects_page(ctx, filter, sort, args).await
    }
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Pairing", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// 帮扶方, e.g. 渝中区.
    async fn helper_region(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        load_region(ctx, self.0.helper_region_id).await
    }
    /// 受帮扶方, e.g. 巫溪县.
    async fn recipient_region(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        load_region(ctx, self.0.recipient_region_id).await
    }
    /// 联合帮扶方 (南川区 with 涪陵区 helps 武隆区).
    async fn co_helper_regions(&self, ctx: &Context<'_>) -> Result<Vec<RegionNode>> {
        let keys = self.0.co_helper_region_ids.iter().map(|id| RegionKey(*id));
        let mut found = loader(ctx)?.load_many(keys).await?;
        Ok(self
            .0
            .co_helper_region_ids
            .iter()
            .filter_map(|id| found.remove(&RegionKey(*id)).map(RegionNode))
            .collect())
    }
    /// The year the pairing began.
    async fn start_year(&self) -> Option<i32> {
        self.0.start_year
    }
    /// 状态.
    async fn status(&self) -> PairingStatus {
        self.0.status.into()
    }
    /// 备注.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Agreement and task-list documents (文件), in order.
    async fn documents(&self) -> Vec<PairingDocumentObject> {
        self.0.documents.iter().cloned().map(PairingDocumentObject).collect()
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of pairings (结对).
    PairingConnection,
    PairingEdge,
    PairingNode,
    "A pairing (结对) in a page, with its cursor."
);

/// An agreement or task-list document of a pairing (文件).
pub struct PairingDocumentObject(pub PairingDocument);

/// An agreement or task-list document of a pairing (文件).
#[Object(name = "PairingDocument")]
impl PairingDocumentObject {
    /// 标题.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// 文号, e.g. 巫溪府发〔2025〕20号.
    async fn doc_number(&self) -> Option<&str> {
        self.0.doc_number.as_deref()
    }
    /// 印发日期.
    async fn issued_on(&self) -> Option<NaiveDate> {
        self.0.issued_on
    }
}

/// A unit pairing (部门街镇结对): a helper unit paired with a recipient unit
/// within a pairing (解放碑街道 ↔ 白鹿镇).
pub struct UnitPairingNode(pub UnitPairing);

/// A unit pairing (部门街镇结对): a helper unit paired with a recipient unit
/// within a pairing (解放碑街道 ↔ 白鹿镇).
#[Object(name = "UnitPairing")]
impl UnitPairingNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("UnitPairing", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The pairing (结对) it belongs to.
    async fn pairing(&self, ctx: &Context<'_>) -> Result<Option<PairingNode>> {
        load_pairing(ctx, self.0.pairing_id).await
    }
    /// The helper unit (帮扶方单位), e.g. 解放碑街道.
    async fn helper_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        load_unit(ctx, self.0.helper_unit_id).await
    }
    /// The recipient unit (受帮扶方单位), e.g. 白鹿镇.
    async fn recipient_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        load_unit(ctx, self.0.recipient_unit_id).await
    }
    /// 序号 in the document's table.
    async fn seq(&self) -> Option<i32> {
        self.0.seq
    }
    /// 备注.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of unit pairings (部门街镇结对).
    UnitPairingConnection,
    UnitPairingEdge,
    UnitPairingNode,
    "A unit pairing (部门街镇结对) in a page, with its cursor."
);

// ----------------------------------------------------------------- metrics

/// A metric of the catalogue (指标目录): what targets and actuals can be
/// summed across pairings (到位资金, 消费帮扶, 就业培训 …).
pub struct MetricNode(pub Metric);

/// A metric of the catalogue (指标目录): what targets and actuals can be
/// summed across pairings (到位资金, 消费帮扶, 就业培训 …).
#[Object(name = "Metric")]
impl MetricNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Metric", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// Stable code, e.g. `investment_funds`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The term the documents use, e.g. 实际到位资金.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Unit of measure (计量单位), one of the catalogue of units: 万元, 人次, 个 …
    async fn unit_of_measure(&self) -> &str {
        &self.0.unit_of_measure
    }
    /// SUM: targets and actuals add up; NONE: percentages and growth rates, never added up.
    async fn aggregation(&self) -> crate::graphql::scalars::Aggregation {
        self.0.aggregation.into()
    }
    /// The words that name it in a task's text, for the target extractor (the longest found wins).
    async fn synonyms(&self) -> &[String] {
        &self.0.synonyms
    }
    /// What it counts.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of the metric catalogue (指标目录).
    MetricConnection,
    MetricEdge,
    MetricNode,
    "A metric (指标) in a page, with its cursor."
);

// ------------------------------------------------------------------ events

/// An entry of a pairing's chronicle (大事记): an agreement signed, a park
/// opened, forest quota bought (8.46万亩 for 21150万元).
pub struct EventNode(pub Event);

/// An entry of a pairing's chronicle (大事记): an agreement signed, a park
/// opened, forest quota bought (8.46万亩 for 21150万元).
#[Object(name = "Event")]
impl EventNode {
    /// The files attached to it (佐证材料), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::types::attachment::AttachmentNode>> {
        crate::graphql::types::attachment::attachments_of(ctx, crate::domain::attachment::ParentKind::Event, self.0.id)
            .await
    }
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Event", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The pairing (结对) whose chronicle it belongs to.
    async fn pairing(&self, ctx: &Context<'_>) -> Result<Option<PairingNode>> {
        load_pairing(ctx, self.0.pairing_id).await
    }
    /// The day it happened (a calendar day in China).
    async fn occurred_on(&self) -> NaiveDate {
        self.0.occurred_on
    }
    /// 标题.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// 内容.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Its amounts, in order (8.46万亩, 21150万元).
    async fn amounts(&self) -> Vec<EventAmountObject> {
        self.0.amounts.iter().cloned().map(EventAmountObject).collect()
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of the chronicle (大事记).
    EventConnection,
    EventEdge,
    EventNode,
    "An event of the chronicle (大事记) in a page, with its cursor."
);

/// An amount of an event: a value and its unit (8.46万亩, 21150万元).
pub struct EventAmountObject(pub EventAmount);

/// An amount of an event: a value and its unit (8.46万亩, 21150万元).
#[Object(name = "EventAmount")]
impl EventAmountObject {
    /// The exact value.
    async fn value(&self) -> Amount {
        self.0.value
    }
    /// The unit of measure: 万亩, 万元, 个 …
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// What the amount counts (森林面积指标, 交易金额).
    async fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }
}

/// The cursor of an item listed by name.
fn by_name<T>(parts: impl Fn(&T) -> (&String, Uuid)) -> impl Fn(&T) -> Cursor {
    move |item| {
        let (name, id) = parts(item);
        Cursor {
            key: serde_json::json!(name),
            id,
        }
    }
}
