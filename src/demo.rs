//! `xietong demo`: the public demo data (regions, pairings, the 渝中区·巫溪县
//! task list and unit pairing table, 涪陵区's 2025 work-report tasks, a
//! chronicle entry) loaded through the import code, and one demo user per
//! role. Running it again changes nothing.

use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::documents::reference::{self, UnitPairImport};
use crate::documents::tasks::{self, Owner, TaskImport};
use crate::domain::page::PageRequest;
use crate::domain::plan::{self, PlanFilter};
use crate::domain::unit::{self, NamedUnit};
use crate::domain::values::Role;
use crate::domain::{Caller, DomainError, client, pairing, region, user};

pub(crate) const REGIONS: &[u8] = include_bytes!("../demo/regions.csv");
pub(crate) const PAIRINGS: &[u8] = include_bytes!("../demo/pairings.csv");
const UNIT_PAIRS: &[u8] = include_bytes!("../demo/yuzhong-wuxi-2025-unit-pairs.csv");
const YUZHONG_WUXI_TASKS: &[u8] = include_bytes!("../demo/yuzhong-wuxi-2025-tasks.csv");
const FULING_TASKS: &[u8] = include_bytes!("../demo/fuling-2025-work-report-tasks.csv");
const EVENTS: &[u8] = include_bytes!("../demo/events.csv");
/// An invented example ledger, labelled as such in its first row.
const PROJECTS_EXAMPLE: &[u8] = include_bytes!("../demo/yuzhong-wuxi-2025-projects-example.csv");

pub const YUZHONG_WUXI_TITLE: &str = "渝中区·巫溪县2025年度对口协同发展任务清单";
pub const FULING_TITLE: &str = "2025年区政府工作报告目标任务分解方案";

/// A demo account and how to sign in with it.
#[derive(Clone, Debug, Serialize)]
pub struct Credential {
    pub kind: &'static str,
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    /// Shown only when the account is made now.
    pub secret: Option<String>,
    pub note: String,
}

/// What the demo loaded.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DemoReport {
    pub steps: Vec<String>,
    pub credentials: Vec<Credential>,
}

fn fail(step: &str, problems: &[tasks::ImportProblem]) -> anyhow::Error {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "  line {}: {}",
                p.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
                p.message
            )
        })
        .collect();
    anyhow::anyhow!("{step} failed:\n{}", lines.join("\n"))
}

fn reference_step(report: &mut DemoReport, step: &str, r: reference::ReferenceReport) -> anyhow::Result<()> {
    if !r.ok {
        return Err(fail(step, &r.problems));
    }
    report
        .steps
        .push(format!("{step}: {} created, {} already there", r.created, r.unchanged));
    Ok(())
}

async fn plan_exists(
    db: &DatabaseConnection,
    system: &Caller,
    filter: PlanFilter,
    title: &str,
) -> anyhow::Result<bool> {
    let page = plan::list(
        db,
        system,
        filter,
        None,
        &PageRequest {
            limit: 200,
            ..PageRequest::default()
        },
    )
    .await?;
    Ok(page.items.iter().any(|p| p.title == title))
}

/// Loads the demo data and accounts.
pub async fn load(db: &DatabaseConnection, password: Option<&str>) -> anyhow::Result<DemoReport> {
    let system = Caller::system();
    let mut report = DemoReport::default();
    reference_step(
        &mut report,
        "regions",
        reference::regions(db, &system, REGIONS, false).await?,
    )?;
    reference_step(
        &mut report,
        "pairings",
        reference::pairings(db, &system, PAIRINGS, false).await?,
    )?;
    let unit_pairs = UnitPairImport {
        helper: "渝中区".into(),
        recipient: "巫溪县".into(),
        create_missing_units: true,
        aliases: vec![],
        dry_run: false,
    };
    reference_step(
        &mut report,
        "unit pairs 渝中区:巫溪县",
        reference::unit_pairs(db, &system, UNIT_PAIRS, &unit_pairs).await?,
    )?;

    let yuzhong = region::find_by_name(db, "渝中区").await?;
    let wuxi = region::find_by_name(db, "巫溪县").await?;
    let fuling = region::find_by_name(db, "涪陵区").await?;
    let pairing = pairing::find_by_regions(db, yuzhong.id, wuxi.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("渝中区 and 巫溪县 are not paired"))?;
    if plan_exists(
        db,
        &system,
        PlanFilter {
            pairing_id: Some(pairing.id),
            year: Some(2025),
            ..Default::default()
        },
        YUZHONG_WUXI_TITLE,
    )
    .await?
    {
        report.steps.push(format!("{YUZHONG_WUXI_TITLE}: already there"));
    } else {
        let options = TaskImport {
            year: 2025,
            title: YUZHONG_WUXI_TITLE.into(),
            owner: Owner::Pairing {
                helper: yuzhong.id,
                recipient: wuxi.id,
            },
            issuer: None,
            doc_number: Some("巫溪府发〔2025〕20号".into()),
            issued_on: chrono::NaiveDate::from_ymd_opt(2025, 6, 27),
            create_missing_units: true,
            // The task list and the unit pairing table of one document
            // spell two units differently.
            aliases: vec![
                ("区就业人才中心".into(), "区就业和人才中心".into()),
                ("县就业人才事务中心".into(), "县就业和人才事务中心".into()),
            ],
            dry_run: false,
        };
        let done = tasks::import(db, &system, YUZHONG_WUXI_TASKS, &options).await?;
        if !done.ok {
            return Err(fail(YUZHONG_WUXI_TITLE, &done.problems));
        }
        report.steps.push(format!(
            "{YUZHONG_WUXI_TITLE}: {} tasks, {} targets",
            done.tasks, done.targets
        ));
    }
    if plan_exists(
        db,
        &system,
        PlanFilter {
            region_id: Some(fuling.id),
            year: Some(2025),
            ..Default::default()
        },
        FULING_TITLE,
    )
    .await?
    {
        report.steps.push(format!("涪陵区 {FULING_TITLE}: already there"));
    } else {
        let options = TaskImport {
            year: 2025,
            title: FULING_TITLE.into(),
            owner: Owner::Region(fuling.id),
            issuer: None,
            doc_number: None,
            issued_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 23),
            create_missing_units: true,
            // A typo of the source document (task 112).
            aliases: vec![("区住房城乡教委".into(), "区住房城乡建委".into())],
            dry_run: false,
        };
        let done = tasks::import(db, &system, FULING_TASKS, &options).await?;
        if !done.ok {
            return Err(fail(FULING_TITLE, &done.problems));
        }
        report.steps.push(format!(
            "涪陵区 {FULING_TITLE}: {} tasks, {} targets",
            done.tasks, done.targets
        ));
    }
    let ledger = crate::domain::project::ProjectFilter {
        pairing_id: Some(pairing.id),
        year: Some(2025),
        ..Default::default()
    };
    let existing = crate::domain::project::list(db, &system, &ledger, None, &PageRequest::default()).await?;
    if existing.total_count > 0 {
        report
            .steps
            .push("example project ledger of 渝中区·巫溪县 (示例, invented): already there".into());
    } else {
        let options = crate::documents::projects::ProjectImport {
            pairing_id: pairing.id,
            year: 2025,
            dry_run: false,
        };
        let done = crate::documents::projects::import(db, &system, PROJECTS_EXAMPLE, &options).await?;
        if !done.ok {
            return Err(fail("example project ledger", &done.problems));
        }
        report.steps.push(format!(
            "example project ledger of 渝中区·巫溪县 (示例, invented, not from a public document): {} projects",
            done.created
        ));
    }
    let gaoxin = region::find_by_name(db, "重庆高新区").await?;
    let qianjiang = region::find_by_name(db, "黔江区").await?;
    if let Some(p) = pairing::find_by_regions(db, gaoxin.id, qianjiang.id).await? {
        let events = crate::documents::events::import(db, &system, EVENTS, p.id, false).await?;
        reference_step(&mut report, "chronicle 重庆高新区:黔江区", events)?;
    }

    let unit_of = |region_id, name: &'static str| async move {
        match unit::resolve_name(db, region_id, name).await? {
            Some(NamedUnit::Unit(id)) => Ok::<_, anyhow::Error>(id),
            _ => Err(anyhow::anyhow!("the demo data has no unit {name}")),
        }
    };
    let accounts = [
        ("demo-admin", Role::Admin, None, "administers everything"),
        (
            "demo-coordinator",
            Role::Coordinator,
            Some((yuzhong.id, "区发展改革委")),
            "coordinates the plans of 渝中区 and its pairing with 巫溪县",
        ),
        ("demo-viewer", Role::Viewer, None, "reads everything (督查室)"),
        (
            "demo-lead",
            Role::UnitUser,
            Some((wuxi.id, "县经济信息委")),
            "lead unit (牵头) of 渝中区·巫溪县 task 1",
        ),
        (
            "demo-supporting",
            Role::UnitUser,
            Some((fuling.id, "区人力社保局")),
            "supporting unit (配合) of 涪陵区 indicator 6",
        ),
    ];
    for (username, role, unit, note) in accounts {
        let unit_id = match unit {
            Some((region_id, name)) => Some(unit_of(region_id, name).await?),
            None => None,
        };
        let secret = match password {
            Some(p) => p.to_owned(),
            None => crate::auth::secret::random_token()?[..16].to_owned(),
        };
        let made = user::create(
            db,
            &system,
            user::NewUser {
                username: username.into(),
                display_name: None,
                password: secret.clone(),
                role,
                unit_id,
            },
        )
        .await;
        let shown = match made {
            Ok(_) => Some(secret),
            Err(DomainError::Conflict { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        report.credentials.push(Credential {
            kind: "user",
            name: username.into(),
            role: role.as_str().into(),
            unit: unit.map(|(_, n)| n.to_owned()),
            note: if shown.is_some() {
                note.to_owned()
            } else {
                format!("{note}; already there, password unchanged")
            },
            secret: shown,
        });
    }
    let issued = client::create(
        db,
        &system,
        client::NewClient {
            client_id: Some("demo-platform".into()),
            name: "重庆市对口协同发展平台（演示）".into(),
            scopes: vec!["read".into(), "write".into()],
            default_scopes: Vec::new(),
        },
    )
    .await;
    let (secret, note) = match issued {
        Ok(made) => (
            Some(made.client_secret),
            "integration client: POST /api/v1/auth/token".to_owned(),
        ),
        Err(DomainError::Conflict { .. }) => (None, "integration client; already there, secret unchanged".to_owned()),
        Err(e) => return Err(e.into()),
    };
    report.credentials.push(Credential {
        kind: "client",
        name: "demo-platform".into(),
        role: "integration".into(),
        unit: None,
        secret,
        note,
    });
    Ok(report)
}
