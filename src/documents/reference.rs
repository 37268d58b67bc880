//! Importing regions (`code,name,kind,cluster[,parent]`), pairings
//! (`helper,recipient,co_helpers[,…]`) and a pairing's unit pairing table
//! (部门街镇结对帮扶表: 序号, helper column, recipient column; one cell may
//! name several units). Each import is all or nothing; running one again
//! changes nothing that is already there.

use serde::Serialize;

use super::cells::{self, CellName};
use super::resolve::Resolver;
use super::table;
use super::tasks::ImportProblem;
use crate::domain::names::{self, Named};
use crate::domain::pairing::{self, PairingInput, UnitPairingInput};
use crate::domain::region::{self, RegionInput};
use crate::domain::task::Assignee;
use crate::domain::values::{Cluster, PairingStatus, RegionKind};
use crate::domain::{Caller, DomainError, DomainResult, Store, Text};

/// What an import of reference data did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "TableImportReport")]
pub struct ReferenceReport {
    /// No problem: the file is (or would be) imported whole.
    pub ok: bool,
    /// Asked only what would happen.
    pub dry_run: bool,
    /// Whether anything was written.
    pub written: bool,
    /// Rows made (or that would be).
    pub created: usize,
    /// Rows that were there already.
    pub unchanged: usize,
    /// Units made because the file named them and that was asked.
    pub units_created: Vec<String>,
    /// Aliases recorded (the document's name = a known unit).
    pub aliases_added: Vec<String>,
    /// The file's and the rows' problems; nothing is written while there is one.
    pub problems: Vec<ImportProblem>,
}

/// A problem of the import, told in the reader's language.
fn problem(line: Option<usize>, message: impl Into<Text>) -> ImportProblem {
    ImportProblem {
        line,
        column: None,
        message: message.into().localized(),
        suggestion: None,
    }
}

/// Reads a table and the column numbers of `wanted` headers (all required).
fn columns(bytes: &[u8], wanted: &[&str]) -> Result<(table::Rows, Vec<usize>), Vec<ImportProblem>> {
    let rows = table::read(bytes).map_err(|e| vec![problem(None, &e)])?;
    let header = &rows[0];
    let mut at = Vec::new();
    let mut missing = Vec::new();
    for name in wanted {
        match header.iter().position(|h| h.trim() == *name) {
            Some(i) => at.push(i),
            None => missing.push(*name),
        }
    }
    if !missing.is_empty() {
        return Err(vec![problem(
            Some(1),
            Text::new("missing columns: %{columns}").arg("columns", missing.join(", ")),
        )]);
    }
    Ok((rows, at))
}

async fn finish(
    txn: sea_orm::DatabaseTransaction,
    mut report: ReferenceReport,
    dry_run: bool,
) -> DomainResult<ReferenceReport> {
    report.ok = report.problems.is_empty();
    report.dry_run = dry_run;
    if report.ok && !dry_run {
        txn.commit().await?;
        report.written = true;
    } else {
        txn.rollback().await?;
    }
    Ok(report)
}

fn failed(problems: Vec<ImportProblem>, dry_run: bool) -> ReferenceReport {
    ReferenceReport {
        ok: false,
        dry_run,
        problems,
        ..Default::default()
    }
}

/// Imports regions in the layout of `fixtures/regions.csv`.
pub async fn regions<C: Store>(db: &C, caller: &Caller, bytes: &[u8], dry_run: bool) -> DomainResult<ReferenceReport> {
    crate::domain::authz::require_admin(&caller.principal, "import regions")?;
    let (rows, at) = match columns(bytes, &["code", "name", "kind", "cluster"]) {
        Ok(found) => found,
        Err(problems) => return Ok(failed(problems, dry_run)),
    };
    let parent_col = rows[0].iter().position(|h| h.trim() == "parent");
    let txn = crate::domain::begin_write(db).await?;
    let mut report = ReferenceReport::default();
    for (i, row) in rows.iter().enumerate().skip(1) {
        let line = i + 1;
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or_default();
        let (code, name, kind, cluster) = (cell(at[0]), cell(at[1]), cell(at[2]), cell(at[3]));
        let kind = match kind.parse::<RegionKind>() {
            Ok(k) => k,
            Err(e) => {
                report
                    .problems
                    .push(problem(Some(line), format!("kind: {}", e.text().localized())));
                continue;
            }
        };
        let cluster = match cluster {
            "" | "none" => None,
            text => match text.parse::<Cluster>() {
                Ok(c) => Some(c),
                Err(e) => {
                    report
                        .problems
                        .push(problem(Some(line), format!("cluster: {}", e.text().localized())));
                    continue;
                }
            },
        };
        let parent_id = match parent_col.map(cell).filter(|p| !p.is_empty()) {
            Some(parent) => match region::find_by_name(&txn, parent).await {
                Ok(p) => Some(p.id),
                Err(e) => {
                    report
                        .problems
                        .push(problem(Some(line), format!("parent: {}", e.localized())));
                    continue;
                }
            },
            None => None,
        };
        let code = Some(code.to_owned()).filter(|c| !c.is_empty());
        match region::find_by_name(&txn, name).await {
            Ok(existing) if existing.code == code => {
                report.unchanged += 1;
                continue;
            }
            Ok(existing) => {
                let had = existing.code.unwrap_or_else(|| "none".into());
                report.problems.push(problem(
                    Some(line),
                    Text::new("%{name} exists with the code %{code}")
                        .arg("name", name)
                        .arg("code", had),
                ));
                continue;
            }
            Err(DomainError::NotFound { .. }) => {}
            Err(e) => {
                report.problems.push(problem(Some(line), e.localized()));
                continue;
            }
        }
        let input = RegionInput {
            code,
            name: name.to_owned(),
            kind,
            cluster,
            parent_id,
        };
        match region::create(&txn, caller, input).await {
            Ok(_) => report.created += 1,
            Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
            Err(e) => report.problems.push(problem(Some(line), e.describe())),
        }
    }
    finish(txn, report, dry_run).await
}

/// Imports pairings in the layout of `fixtures/pairings.csv` (co-helpers
/// separated by `;` or 、).
pub async fn pairings<C: Store>(db: &C, caller: &Caller, bytes: &[u8], dry_run: bool) -> DomainResult<ReferenceReport> {
    crate::domain::authz::require_admin(&caller.principal, "import pairings")?;
    let (rows, at) = match columns(bytes, &["helper", "recipient", "co_helpers"]) {
        Ok(found) => found,
        Err(problems) => return Ok(failed(problems, dry_run)),
    };
    let txn = crate::domain::begin_write(db).await?;
    let mut report = ReferenceReport::default();
    for (i, row) in rows.iter().enumerate().skip(1) {
        let line = i + 1;
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or_default();
        let mut ids = Vec::new();
        let mut bad = false;
        let co: Vec<&str> = cell(at[2])
            .split([';', '、', '，', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for name in [cell(at[0]), cell(at[1])].into_iter().chain(co) {
            match region::find_by_name(&txn, name).await {
                Ok(r) => ids.push(r.id),
                Err(e) => {
                    report.problems.push(problem(Some(line), e.localized()));
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        if pairing::find_by_regions(&txn, ids[0], ids[1]).await?.is_some() {
            report.unchanged += 1;
            continue;
        }
        let input = PairingInput {
            helper_region_id: ids[0],
            recipient_region_id: ids[1],
            co_helper_region_ids: ids[2..].to_vec(),
            start_year: None,
            status: PairingStatus::Active,
            note: rows[0]
                .iter()
                .position(|h| h == "evidence")
                .map(|c| cell(c).to_owned())
                .filter(|s| !s.is_empty()),
            documents: vec![],
        };
        match pairing::create(&txn, caller, input).await {
            Ok(_) => report.created += 1,
            Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
            Err(e) => report.problems.push(problem(Some(line), e.describe())),
        }
    }
    finish(txn, report, dry_run).await
}

/// Which pairing a unit pairing table is of, and how names resolve.
#[derive(Clone, Debug, Default)]
pub struct UnitPairImport {
    /// The helper region's name, also the header of its column.
    pub helper: String,
    /// The recipient region's name, also the header of its column.
    pub recipient: String,
    pub create_missing_units: bool,
    pub aliases: Vec<(String, String)>,
    pub dry_run: bool,
}

/// Imports a pairing's unit pairing table: a column named after the helper
/// region and one after the recipient region; a cell may name several units
/// (县发展改革委、县商务委、县农业农村委).
pub async fn unit_pairs<C: Store>(
    db: &C,
    caller: &Caller,
    bytes: &[u8],
    options: &UnitPairImport,
) -> DomainResult<ReferenceReport> {
    crate::domain::authz::require_admin(&caller.principal, "import unit pairings")?;
    let (helper_name, recipient_name, dry_run) = (options.helper.as_str(), options.recipient.as_str(), options.dry_run);
    let (rows, at) = match columns(bytes, &[helper_name, recipient_name]) {
        Ok(found) => found,
        Err(problems) => return Ok(failed(problems, dry_run)),
    };
    let seq_col = rows[0].iter().position(|h| h.trim() == "序号");
    let txn = crate::domain::begin_write(db).await?;
    let helper = region::find_by_name(&txn, helper_name).await?;
    let recipient = region::find_by_name(&txn, recipient_name).await?;
    let Some(pairing) = pairing::find_by_regions(&txn, helper.id, recipient.id).await? else {
        return Ok(failed(
            vec![problem(
                None,
                format!("{helper_name} and {recipient_name} are not paired"),
            )],
            dry_run,
        ));
    };
    let existing = pairing::list_unit_pairings(&txn, caller, pairing.id).await?;
    let mut resolver = Resolver::new(caller, options.create_missing_units, &options.aliases);
    let mut report = ReferenceReport::default();
    for (i, row) in rows.iter().enumerate().skip(1) {
        let line = i + 1;
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or_default();
        let seq = seq_col.and_then(|c| cell(c).parse::<i32>().ok());
        let mut sides = Vec::new();
        for (col, region_id, region_name) in [(at[0], helper.id, helper_name), (at[1], recipient.id, recipient_name)] {
            let mut ids = Vec::new();
            for name in cells::split(cell(col)) {
                if matches!(name, CellName::Group(_)) {
                    report
                        .problems
                        .push(problem(Some(line), "a unit pairing pairs units, not groups"));
                    continue;
                }
                match resolver.resolve(&txn, region_id, region_name, &name).await? {
                    Ok(found) => ids.extend(found.into_iter().filter_map(|r| match r.assignee {
                        Some(Assignee::Unit(id)) => Some(id),
                        _ => None,
                    })),
                    Err(unresolved) => report.problems.push(ImportProblem {
                        line: Some(line),
                        column: None,
                        message: unresolved.message,
                        suggestion: unresolved.suggestion,
                    }),
                }
            }
            sides.push(ids);
        }
        for helper_unit in &sides[0] {
            for recipient_unit in &sides[1] {
                if existing
                    .iter()
                    .any(|e| e.helper_unit_id == *helper_unit && e.recipient_unit_id == *recipient_unit)
                {
                    report.unchanged += 1;
                    continue;
                }
                let input = UnitPairingInput {
                    pairing_id: pairing.id,
                    helper_unit_id: *helper_unit,
                    recipient_unit_id: *recipient_unit,
                    seq,
                    note: None,
                };
                match pairing::create_unit_pairing(&txn, caller, input).await {
                    Ok(_) => report.created += 1,
                    Err(DomainError::Internal(e)) => return Err(DomainError::Internal(e)),
                    Err(e) => report.problems.push(problem(Some(line), e.describe())),
                }
            }
        }
    }
    report.units_created = resolver.created_units;
    report.aliases_added = resolver.aliases_added;
    finish(txn, report, dry_run).await
}

/// A pairing's unit pairing table (部门街镇结对帮扶表) in the layout the
/// import reads: 序号, a column named after each region, a row per 序号 with
/// its units joined by 、 as the document writes them; header first.
pub async fn unit_pairs_rows<C: Store>(
    db: &C,
    caller: &Caller,
    pairing_id: uuid::Uuid,
) -> DomainResult<Vec<Vec<String>>> {
    let found = pairing::get(db, caller, pairing_id).await?;
    let mut pairs = pairing::list_unit_pairings(db, caller, pairing_id).await?;
    pairs.sort_by_key(|p| (p.seq.is_none(), p.seq, p.created_at));
    let ids: std::collections::BTreeSet<uuid::Uuid> = pairs
        .iter()
        .flat_map(|p| [p.helper_unit_id, p.recipient_unit_id])
        .collect();
    let mut names = names::of(db, Named::Units, ids).await?;
    names.extend(names::of(db, Named::Regions, [found.helper_region_id, found.recipient_region_id]).await?);
    let name = |id: uuid::Uuid| names.get(&id).cloned().unwrap_or_default();
    let mut rows = vec![vec![
        "序号".to_owned(),
        name(found.helper_region_id),
        name(found.recipient_region_id),
    ]];
    // A 序号 groups its pairings: the cross product of its two cells.
    let mut groups: Vec<(Option<i32>, Vec<String>, Vec<String>)> = Vec::new();
    for p in &pairs {
        let (helper, recipient) = (name(p.helper_unit_id), name(p.recipient_unit_id));
        match groups.last_mut() {
            Some((seq, helpers, recipients)) if p.seq.is_some() && *seq == p.seq => {
                if !helpers.contains(&helper) {
                    helpers.push(helper);
                }
                if !recipients.contains(&recipient) {
                    recipients.push(recipient);
                }
            }
            _ => groups.push((p.seq, vec![helper], vec![recipient])),
        }
    }
    for (seq, helpers, recipients) in groups {
        rows.push(vec![
            seq.map(|s| s.to_string()).unwrap_or_default(),
            helpers.join("、"),
            recipients.join("、"),
        ]);
    }
    Ok(rows)
}
