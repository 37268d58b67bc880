//! The figures of the project ledger (项目和资金统计), as the city's
//! half-year summary gives them: projects issued, started and the start
//! rate, completed, planned investment and pairing funds, allocated and
//! spent; city-wide, by pairing, by helping region (a co-helper's pairing
//! counts once, under its main helper), by category, by purpose and by
//! source. As of a day, milestones and money after it do not count, and a
//! project not yet issued by then is not there. A cancelled project is left
//! out of every figure and counted in `cancelled`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use entity::{fund_movements, pairings, project_categories, project_milestones, projects};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::{ProjectFilter, filtered, rank};
use crate::domain::names::{self, Named};
use crate::domain::region::parse_stored;
use crate::domain::statistics::percent;
use crate::domain::values::{Amount, FundKind, FundSource, ProjectStatus, ReportPeriod};
use crate::domain::{Caller, DomainError, DomainResult};

/// What the figures are over.
#[derive(Clone, Debug, Default)]
pub struct FigureFilter {
    pub year: Option<i32>,
    pub pairing_id: Option<Uuid>,
    /// Projects of the pairings this region takes part in.
    pub region_id: Option<Uuid>,
    /// As of the end of this period.
    pub period: Option<ReportPeriod>,
    /// As of the end of this day (China's calendar).
    pub as_of: Option<NaiveDate>,
}

/// The figures of a set of projects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProjectFigures {
    /// Projects issued (下达) by the day, cancelled ones left out.
    pub count: u64,
    /// Projects cancelled by the day.
    pub cancelled: u64,
    /// Projects started (开工), completed and accepted ones included.
    pub started: u64,
    /// `started` ÷ `count`, a percent with two decimals; none without projects.
    #[schema(example = "36.81")]
    pub start_rate: Option<String>,
    /// Projects completed (完工), accepted ones included.
    pub completed: u64,
    /// Planned total investment (总投资), 万元.
    pub investment: Amount,
    /// Planned pairing funds (协同资金), 万元.
    pub pairing_funds: Amount,
    /// Allocated (拨付) by the day, 万元.
    pub allocated: Amount,
    /// Spent (支出) by the day, 万元.
    pub spent: Amount,
}

/// Money moved, allocated and spent, 万元.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MoneyMoved {
    pub allocated: Amount,
    pub spent: Amount,
}

/// The figures of one pairing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PairingProjects {
    pub pairing_id: Uuid,
    /// 渝中区·巫溪县
    pub name: String,
    pub figures: ProjectFigures,
}

/// The figures of the pairings a region helps as their main helper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HelperRegionProjects {
    pub region_id: Uuid,
    pub name: String,
    pub figures: ProjectFigures,
}

/// The figures of one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryProjects {
    /// The category's code.
    pub category: String,
    pub name: String,
    pub figures: ProjectFigures,
}

/// Money moved for one purpose, as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PurposeMoney {
    pub purpose: String,
    pub allocated: Amount,
    pub spent: Amount,
}

/// Money moved from one source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SourceMoney {
    pub source: FundSource,
    pub allocated: Amount,
    pub spent: Amount,
}

/// The ledger's figures, city-wide (over what the caller sees) and broken down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProjectStatistics {
    /// The day they are as of.
    pub as_of: NaiveDate,
    pub count: u64,
    pub cancelled: u64,
    pub started: u64,
    #[schema(example = "36.81")]
    pub start_rate: Option<String>,
    pub completed: u64,
    pub investment: Amount,
    pub pairing_funds: Amount,
    pub allocated: Amount,
    pub spent: Amount,
    /// By pairing, in order of name.
    pub by_pairing: Vec<PairingProjects>,
    /// By main helping region, in order of name.
    pub by_helper_region: Vec<HelperRegionProjects>,
    /// By category, in the catalogue's order (those with projects).
    pub by_category: Vec<CategoryProjects>,
    /// By purpose, in order of purpose.
    pub by_purpose: Vec<PurposeMoney>,
    /// By source, in the order helper, co_helper, city, society (those with money).
    pub by_source: Vec<SourceMoney>,
}

/// Sums in stored units (万元 × 10⁴), wide enough for any ledger.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    count: u64,
    cancelled: u64,
    started: u64,
    completed: u64,
    investment: i128,
    pairing_funds: i128,
    allocated: i128,
    spent: i128,
}

fn amount(scaled: i128) -> DomainResult<Amount> {
    Amount::from_scaled_wide(scaled).map_err(|e| DomainError::Internal(anyhow::anyhow!("a sum: {e}")))
}

impl Tally {
    fn figures(&self) -> DomainResult<ProjectFigures> {
        Ok(ProjectFigures {
            count: self.count,
            cancelled: self.cancelled,
            started: self.started,
            start_rate: percent(self.started, self.count),
            completed: self.completed,
            investment: amount(self.investment)?,
            pairing_funds: amount(self.pairing_funds)?,
            allocated: amount(self.allocated)?,
            spent: amount(self.spent)?,
        })
    }
}

/// One project as of the day: its status then, its planned money, what moved.
struct Counted<'a> {
    project: &'a projects::Model,
    status: ProjectStatus,
    allocated: i128,
    spent: i128,
}

impl Tally {
    fn add(&mut self, c: &Counted) {
        if c.status == ProjectStatus::Cancelled {
            self.cancelled += 1;
            return;
        }
        self.count += 1;
        if rank(c.status) >= rank(ProjectStatus::Started) {
            self.started += 1;
        }
        if rank(c.status) >= rank(ProjectStatus::Completed) {
            self.completed += 1;
        }
        self.investment += i128::from(c.project.investment_e4);
        self.pairing_funds += i128::from(c.project.pairing_funds_e4);
        self.allocated += c.allocated;
        self.spent += c.spent;
    }
}

/// The figures of the projects the caller may see that meet `filter`.
pub async fn statistics<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &FigureFilter,
) -> DomainResult<ProjectStatistics> {
    if filter.period.is_some() && filter.as_of.is_some() {
        return Err(DomainError::invalid("as_of", "give period or as_of, not both"));
    }
    let day = filter
        .as_of
        .or(filter.period.map(ReportPeriod::end))
        .unwrap_or_else(|| caller.today());
    let list = ProjectFilter {
        pairing_id: filter.pairing_id,
        region_id: filter.region_id,
        year: filter.year,
        ..ProjectFilter::default()
    };
    let models = filtered(conn, caller, &list).await?.all(conn).await?;
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    // Each project's status on the day: its latest milestone by then.
    let mut status: HashMap<Uuid, (NaiveDate, u8, ProjectStatus)> = HashMap::new();
    let mut moved: HashMap<Uuid, (i128, i128)> = HashMap::new();
    let mut by_purpose: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    let mut by_source: BTreeMap<u8, (FundSource, i128, i128)> = BTreeMap::new();
    let mut movements = Vec::new();
    for chunk in ids.chunks(500) {
        for m in project_milestones::Entity::find()
            .filter(project_milestones::Column::ProjectId.is_in(chunk.iter().copied()))
            .filter(project_milestones::Column::OccurredOn.lte(day))
            .all(conn)
            .await?
        {
            let reached: ProjectStatus = parse_stored(&m.status)?;
            let key = (m.occurred_on, rank(reached), reached);
            let latest = status.entry(m.project_id).or_insert(key);
            if (key.0, key.1) > (latest.0, latest.1) {
                *latest = key;
            }
        }
        movements.extend(
            fund_movements::Entity::find()
                .filter(fund_movements::Column::ProjectId.is_in(chunk.iter().copied()))
                .filter(fund_movements::Column::OccurredOn.lte(day))
                .all(conn)
                .await?,
        );
    }
    for m in movements {
        let Some((_, _, reached)) = status.get(&m.project_id) else {
            continue;
        };
        if *reached == ProjectStatus::Cancelled {
            continue;
        }
        let kind: FundKind = parse_stored(&m.kind)?;
        let source: FundSource = parse_stored(&m.source)?;
        let (allocated, spent) = match kind {
            FundKind::Allocation => (i128::from(m.amount_e4), 0),
            FundKind::Spending => (0, i128::from(m.amount_e4)),
        };
        let project = moved.entry(m.project_id).or_default();
        project.0 += allocated;
        project.1 += spent;
        let purpose = by_purpose.entry(m.purpose.clone()).or_default();
        purpose.0 += allocated;
        purpose.1 += spent;
        let order = FundSource::ALL.iter().position(|s| *s == source).unwrap_or_default() as u8;
        let from = by_source.entry(order).or_insert((source, 0, 0));
        from.1 += allocated;
        from.2 += spent;
    }
    let counted: Vec<Counted> = models
        .iter()
        .filter_map(|project| {
            let (_, _, reached) = status.get(&project.id)?;
            let (allocated, spent) = moved.get(&project.id).copied().unwrap_or_default();
            Some(Counted {
                project,
                status: *reached,
                allocated,
                spent,
            })
        })
        .collect();

    let mut total = Tally::default();
    let mut per_pairing: HashMap<Uuid, Tally> = HashMap::new();
    let mut per_category: HashMap<Uuid, Tally> = HashMap::new();
    for c in &counted {
        total.add(c);
        per_pairing.entry(c.project.pairing_id).or_default().add(c);
        per_category.entry(c.project.category_id).or_default().add(c);
    }
    let pairing_rows: Vec<pairings::Model> = pairings::Entity::find()
        .filter(pairings::Column::Id.is_in(per_pairing.keys().copied()))
        .all(conn)
        .await?;
    let pairing_names = crate::domain::pairing::names(conn, per_pairing.keys().copied()).await?;
    let region_names = names::of(conn, Named::Regions, pairing_rows.iter().map(|p| p.helper_region_id)).await?;
    let name_of = |id: Uuid| region_names.get(&id).cloned().unwrap_or_default();
    let mut by_pairing = Vec::new();
    let mut per_helper: HashMap<Uuid, Tally> = HashMap::new();
    for p in &pairing_rows {
        let tally = per_pairing.get(&p.id).copied().unwrap_or_default();
        by_pairing.push(PairingProjects {
            pairing_id: p.id,
            name: pairing_names.get(&p.id).cloned().unwrap_or_default(),
            figures: tally.figures()?,
        });
        let helper = per_helper.entry(p.helper_region_id).or_default();
        for c in counted.iter().filter(|c| c.project.pairing_id == p.id) {
            helper.add(c);
        }
    }
    by_pairing.sort_by(|a, b| a.name.cmp(&b.name));
    let mut by_helper_region = per_helper
        .into_iter()
        .map(|(region_id, tally)| {
            Ok(HelperRegionProjects {
                region_id,
                name: name_of(region_id),
                figures: tally.figures()?,
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    by_helper_region.sort_by(|a, b| a.name.cmp(&b.name));
    let mut categories = project_categories::Entity::find()
        .filter(project_categories::Column::Id.is_in(per_category.keys().copied()))
        .all(conn)
        .await?;
    categories.sort_by_key(|c| c.position);
    let by_category = categories
        .into_iter()
        .map(|c| {
            Ok(CategoryProjects {
                figures: per_category.get(&c.id).copied().unwrap_or_default().figures()?,
                category: c.code,
                name: c.name,
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    let by_purpose = by_purpose
        .into_iter()
        .map(|(purpose, (allocated, spent))| {
            Ok(PurposeMoney {
                purpose,
                allocated: amount(allocated)?,
                spent: amount(spent)?,
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    let by_source = by_source
        .into_values()
        .map(|(source, allocated, spent)| {
            Ok(SourceMoney {
                source,
                allocated: amount(allocated)?,
                spent: amount(spent)?,
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    let t = total.figures()?;
    Ok(ProjectStatistics {
        as_of: day,
        count: t.count,
        cancelled: t.cancelled,
        started: t.started,
        start_rate: t.start_rate,
        completed: t.completed,
        investment: t.investment,
        pairing_funds: t.pairing_funds,
        allocated: t.allocated,
        spent: t.spent,
        by_pairing,
        by_helper_region,
        by_category,
        by_purpose,
        by_source,
    })
}
