//! The statistics benchmark of `bench/statistics`: times each statistics,
//! calendar, traffic-light and progress query through the domain core on a database that
//! `xietong generate city` filled, and prints a Markdown table of medians, 95th percentiles (the
//! targets of issue #26 are p95; meaningful from 20 rounds) and the slowest.
//!
//! ```sh
//! cargo run --release --example statistics -- sqlite:///tmp/city.db [ROUNDS]
//! ```

use std::time::{Duration, Instant};

use anyhow::Context as _;
use entity::{pairings, plans, regions, units};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use xietong::domain::calendar::{self, CalendarFilter};
use xietong::domain::light;
use xietong::domain::page::PageRequest;
use xietong::domain::principal::{Principal, UserPrincipal};
use xietong::domain::statistics::{self, StatisticsFilter};
use xietong::domain::task::{self, TaskFilter};
use xietong::domain::values::{Cluster, Light, ObligationStatus, Role};
use xietong::domain::{Caller, progress};

/// Median, 95th percentile, slowest, and the last answer.
type Timed = (Duration, Duration, Duration, String);

/// The median, the 95th percentile (nearest rank: with fewer than 20
/// rounds, the slowest) and the slowest of `rounds` runs after one
/// warm-up, and what the last run answered (a size, to show the work was
/// done).
async fn time<F, Fut>(rounds: usize, mut run: F) -> anyhow::Result<Timed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    run().await?;
    let mut times = Vec::with_capacity(rounds);
    let mut answer = String::new();
    for _ in 0..rounds {
        let started = Instant::now();
        answer = run().await?;
        times.push(started.elapsed());
    }
    times.sort();
    let p95 = (times.len() * 95).div_ceil(100).saturating_sub(1);
    Ok((times[times.len() / 2], times[p95], times[times.len() - 1], answer))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::args()
        .nth(1)
        .context("usage: statistics DATABASE_URL [ROUNDS]")?;
    let rounds: usize = std::env::args().nth(2).map_or(Ok(9), |r| r.parse())?.max(1);
    let db: DatabaseConnection = xietong::db::connect(&url).await?;
    let admin = Caller::system();

    // A coordinator of the first pairing's helper region (its 发展改革委).
    let pairing = pairings::Entity::find()
        .order_by_asc(pairings::Column::CreatedAt)
        .one(&db)
        .await?
        .context("no pairing: run `xietong generate city` first")?;
    let office = units::Entity::find()
        .filter(units::Column::RegionId.eq(pairing.helper_region_id))
        .filter(units::Column::Name.contains("发展改革委"))
        .one(&db)
        .await?
        .context("the helper region has no 发展改革委")?;
    let coordinator = Caller::new(Principal::User(UserPrincipal {
        id: uuid::Uuid::new_v4(),
        username: "bench-coordinator".into(),
        role: Role::Coordinator,
        unit_id: Some(office.id),
    }));
    let plan = plans::Entity::find()
        .filter(plans::Column::PairingId.eq(pairing.id))
        .order_by_desc(plans::Column::Year)
        .one(&db)
        .await?
        .context("the pairing has no plan")?;
    let region = regions::Entity::find_by_id(pairing.helper_region_id).one(&db).await?;

    let stats = |caller: Caller, filter: StatisticsFilter| {
        let db = db.clone();
        move || {
            let (db, caller, filter) = (db.clone(), caller.clone(), filter.clone());
            async move {
                let s = statistics::compute(&db, &caller, filter).await?;
                Ok(format!(
                    "{} tasks, {} overdue, {} metrics, lights {}/{}/{}",
                    s.tasks.total,
                    s.overdue.len(),
                    s.metrics.len(),
                    s.lights.green,
                    s.lights.yellow,
                    s.lights.red
                ))
            }
        }
    };
    let year = |y: i32| StatisticsFilter {
        year: Some(y),
        ..Default::default()
    };

    let mut rows: Vec<(String, Timed)> = Vec::new();
    rows.push((
        "statistics, everything (admin)".into(),
        time(rounds, stats(admin.clone(), StatisticsFilter::default())).await?,
    ));
    rows.push((
        "statistics, year 2025 (admin)".into(),
        time(rounds, stats(admin.clone(), year(2025))).await?,
    ));
    rows.push((
        "statistics, cluster northeast (admin)".into(),
        time(
            rounds,
            stats(
                admin.clone(),
                StatisticsFilter {
                    cluster: Some(Cluster::Northeast),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "statistics, one pairing (admin)".into(),
        time(
            rounds,
            stats(
                admin.clone(),
                StatisticsFilter {
                    pairing_id: Some(pairing.id),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "statistics, metric investment_funds (admin)".into(),
        time(
            rounds,
            stats(
                admin.clone(),
                StatisticsFilter {
                    metric: Some("investment_funds".into()),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "statistics, category 产业协作 (admin)".into(),
        time(
            rounds,
            stats(
                admin.clone(),
                StatisticsFilter {
                    category: Some("产业协作".into()),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "statistics, as_of 2025-06-30, looking back (admin)".into(),
        time(
            rounds,
            stats(
                admin.clone(),
                StatisticsFilter {
                    as_of: "2025-06-30".parse().ok(),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "project figures, everything (admin)".into(),
        time(rounds, || {
            let db = db.clone();
            let admin = admin.clone();
            async move {
                let filter = xietong::domain::project::figures::FigureFilter::default();
                let s = xietong::domain::project::figures::statistics(&db, &admin, &filter).await?;
                Ok(format!("{} projects, {} started", s.count, s.started))
            }
        })
        .await?,
    ));
    rows.push((
        "change feed, first 200 (admin)".into(),
        time(rounds, || {
            let db = db.clone();
            let admin = admin.clone();
            async move {
                let page = xietong::domain::feed::read(&db, &db, &admin, None, 200).await?;
                Ok(format!("{} changes", page.items.len()))
            }
        })
        .await?,
    ));
    rows.push((
        format!(
            "statistics, everything ({} coordinator)",
            region.map(|r| r.name).unwrap_or_default()
        ),
        time(rounds, stats(coordinator.clone(), StatisticsFilter::default())).await?,
    ));
    rows.push((
        "late units, 2025 on 2026-01-31 (admin)".into(),
        time(rounds, || {
            let db = db.clone();
            let admin = admin.clone();
            async move {
                let filter = CalendarFilter {
                    on: "2026-01-31".parse().ok(),
                    year: Some(2025),
                    ..Default::default()
                };
                let late = calendar::late_units(&db, &admin, filter).await?;
                Ok(format!("{} late units", late.units.len()))
            }
        })
        .await?,
    ));
    rows.push((
        "late reports of one unit, 2025 (coordinator)".into(),
        time(rounds, || {
            let db = db.clone();
            let coordinator = coordinator.clone();
            async move {
                let filter = CalendarFilter {
                    on: "2026-01-31".parse().ok(),
                    year: Some(2025),
                    unit_id: Some(office.id),
                    status: Some(ObligationStatus::Late),
                    ..Default::default()
                };
                let page = calendar::obligations(&db, &coordinator, filter, 100, 0).await?;
                Ok(format!(
                    "{} owed, {} late",
                    page.counts.open + page.counts.submitted + page.counts.submitted_late + page.counts.late,
                    page.total
                ))
            }
        })
        .await?,
    ));
    rows.push((
        "calendar, 2025 on 2026-01-31, first page (admin)".into(),
        time(rounds, || {
            let db = db.clone();
            let admin = admin.clone();
            async move {
                let filter = CalendarFilter {
                    on: "2026-01-31".parse().ok(),
                    year: Some(2025),
                    ..Default::default()
                };
                let page = calendar::obligations(&db, &admin, filter, 100, 0).await?;
                Ok(format!("{} owed, {} late", page.total, page.counts.late))
            }
        })
        .await?,
    ));
    let lights = |caller: Caller, filter: TaskFilter| {
        let db = db.clone();
        move || {
            let (db, caller, filter) = (db.clone(), caller.clone(), filter.clone());
            async move {
                let s = light::summary(&db, &caller, &filter).await?;
                Ok(format!(
                    "{} red, {} yellow, {} green; {} units",
                    s.total.red,
                    s.total.yellow,
                    s.total.green,
                    s.units.len()
                ))
            }
        }
    };
    rows.push((
        "lights of one plan (admin)".into(),
        time(
            rounds,
            lights(
                admin.clone(),
                TaskFilter {
                    plan_id: Some(plan.id),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "lights, year 2025 (admin)".into(),
        time(
            rounds,
            lights(
                admin.clone(),
                TaskFilter {
                    year: Some(2025),
                    ..Default::default()
                },
            ),
        )
        .await?,
    ));
    rows.push((
        "red tasks of one region, first page (coordinator)".into(),
        time(rounds, || {
            let db = db.clone();
            let coordinator = coordinator.clone();
            async move {
                let filter = TaskFilter {
                    region_id: Some(pairing.helper_region_id),
                    year: Some(2025),
                    light: Some(Light::Red),
                    ..Default::default()
                };
                let page = task::list(&db, &coordinator, filter, None, &PageRequest::new(Some(50), None)?).await?;
                Ok(format!("{} shown", page.items.len()))
            }
        })
        .await?,
    ));
    rows.push((
        "progress of one plan (admin)".into(),
        time(rounds, || {
            let db = db.clone();
            let admin = admin.clone();
            async move {
                let p = progress::of_plan(&db, &admin, plan.id).await?;
                Ok(format!(
                    "{} tasks, mean {}",
                    p.tasks.len(),
                    p.percent.unwrap_or_default()
                ))
            }
        })
        .await?,
    ));

    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("| {backend} | median ms | p95 ms | slowest ms | answer |");
    println!("|---|---:|---:|---:|---|");
    for (name, (median, p95, slowest, answer)) in rows {
        println!("| {name} | {} | {} | {} | {answer} |", ms(median), ms(p95), ms(slowest));
    }
    Ok(())
}
