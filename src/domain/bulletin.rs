//! The quarter's bulletin (季通报): for a period and an extent (the city, a
//! region, or a pairing), over the pairings' lists (对口协同 task lists; a
//! region's own plan is its own business, as the statistics count by
//! default), the figures per metric and pairing as they stood
//! at the period's end (targets, approved actuals, the share reached), the
//! task counts per pairing, the units with late reports, and the tasks lit
//! red or yellow. It is the offices' document: administrators and viewers
//! read any extent, a coordinator its own region's (the city's bulletin is,
//! for it, its region's); a unit's users do not issue bulletins.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::authz::{self, Visibility};
use super::calendar::{self, CalendarFilter, LateReport};
use super::page::PageRequest;
use super::statistics::{self, Statistics, StatisticsFilter};
use super::task::{self, Task, TaskFilter};
use super::values::{Light, PlanKind, ReportPeriod, Role};
use super::{Caller, DomainError, DomainResult, Principal, pairing, region};

/// What a bulletin is asked for.
#[derive(Clone, Debug)]
pub struct BulletinRequest {
    pub period: ReportPeriod,
    /// A region's bulletin: its own plans and its pairings'.
    pub region_id: Option<Uuid>,
    /// A pairing's bulletin.
    pub pairing_id: Option<Uuid>,
    /// The day late reports are judged on; today when none (lights are
    /// always today's: they say what to chase now).
    pub on: Option<NaiveDate>,
}

/// The most lagging tasks of each colour a bulletin lists.
pub const LAGGING_LIMIT: u64 = 200;

/// What a bulletin says.
#[derive(Clone, Debug)]
pub struct Bulletin {
    /// 全市, 渝中区, or 渝中区·巫溪县.
    pub extent: String,
    pub period: ReportPeriod,
    /// The day late reports are judged on.
    pub on: NaiveDate,
    /// The figures as they stood at the period's end.
    pub statistics: Statistics,
    /// Each counted pairing's name (渝中区·巫溪县).
    pub pairing_names: HashMap<Uuid, String>,
    /// Each lagging task's pairing (none for a region's own plan).
    pub plan_pairings: HashMap<Uuid, Option<Uuid>>,
    pub late: LateReport,
    /// Tasks lit red, then yellow, each by deadline.
    pub lagging: Vec<Task>,
}

impl Bulletin {
    /// 全市对口协同发展2025年第四季度工作通报.
    pub fn title(&self) -> String {
        format!("{}对口协同发展{}工作通报", self.extent, self.period.chinese())
    }
}

/// The extent the caller may have a bulletin of: the one asked, or for a
/// coordinator asking for the city, its region.
async fn extent<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    request: &BulletinRequest,
) -> DomainResult<(Option<Uuid>, Option<Uuid>)> {
    if request.region_id.is_some() && request.pairing_id.is_some() {
        return Err(DomainError::invalid(
            "pairing_id",
            "ask for a region's bulletin or a pairing's, not both",
        ));
    }
    let asked = (request.region_id, request.pairing_id);
    let Principal::User(user) = &caller.principal else {
        // The service itself, and machines, within what their grants show.
        return Ok(asked);
    };
    match user.role {
        Role::Admin | Role::Viewer | Role::Integration => Ok(asked),
        Role::UnitUser => Err(DomainError::forbidden(
            "bulletins are the offices': administrators, viewers and coordinators read them",
        )),
        Role::Coordinator => {
            let Some(own) = Visibility::of(conn, &caller.principal).await?.region() else {
                return Err(DomainError::forbidden("a coordinator without a region has no bulletin"));
            };
            match asked {
                (None, None) => Ok((Some(own), None)),
                (Some(region), None) if region == own => Ok(asked),
                (None, Some(pairing)) if authz::pairing_regions(conn, pairing).await?.contains(&own) => Ok(asked),
                _ => Err(DomainError::forbidden(
                    "a coordinator reads the bulletins of its own region and of its region's pairings",
                )),
            }
        }
    }
}

/// Gathers the bulletin of `request`'s period and extent.
pub async fn gather<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    request: BulletinRequest,
) -> DomainResult<Bulletin> {
    authz::require_reader(&caller.principal)?;
    let (region_id, pairing_id) = extent(conn, caller, &request).await?;
    let extent = match (region_id, pairing_id) {
        (Some(id), _) => {
            region::get(conn, caller, id)
                .await
                .map_err(|e| e.naming("region_id"))?
                .name
        }
        (_, Some(id)) => {
            pairing::get(conn, caller, id)
                .await
                .map_err(|e| e.naming("pairing_id"))?;
            pairing::names(conn, [id]).await?.remove(&id).unwrap_or_default()
        }
        (None, None) => "全市".to_owned(),
    };
    let on = request.on.unwrap_or_else(|| caller.today());
    let year = request.period.year();
    let statistics = statistics::compute(
        conn,
        caller,
        StatisticsFilter {
            period: Some(request.period),
            region_id,
            pairing_id,
            overdue_limit: Some(statistics::OVERDUE_LIMIT_MAX),
            ..Default::default()
        },
    )
    .await?;
    let late = calendar::late_units(
        conn,
        caller,
        CalendarFilter {
            on: Some(on),
            year: Some(year),
            region_id,
            pairing_id,
            plan_kind: Some(PlanKind::Pairing),
            ..Default::default()
        },
    )
    .await?;
    let mut lagging = Vec::new();
    for light in [Light::Red, Light::Yellow] {
        let filter = TaskFilter {
            year: Some(year),
            region_id,
            pairing_id,
            light: Some(light),
            plan_kind: Some(PlanKind::Pairing),
            ..Default::default()
        };
        let page = PageRequest {
            limit: LAGGING_LIMIT,
            ..Default::default()
        };
        lagging.extend(task::list(conn, caller, filter, Some("deadline"), &page).await?.items);
    }
    let plan_pairings: HashMap<Uuid, Option<Uuid>> = entity::plans::Entity::find()
        .filter(entity::plans::Column::Id.is_in(lagging.iter().map(|t| t.plan_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.pairing_id))
        .collect();
    let pairing_ids = statistics
        .by_pairing
        .iter()
        .map(|p| p.pairing_id)
        .chain(plan_pairings.values().flatten().copied())
        .collect::<Vec<_>>();
    let pairing_names = pairing::names(conn, pairing_ids).await?;
    Ok(Bulletin {
        extent,
        period: request.period,
        on,
        statistics,
        pairing_names,
        plan_pairings,
        late,
        lagging,
    })
}
