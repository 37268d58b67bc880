//! Create, read, update and delete through the domain core, in process, on
//! the backend the suite runs on: regions, units and their aliases, unit
//! groups, pairings, unit pairings, plans, tasks with their targets, and
//! reports; each refusal a user can run into is a test of its own.

use crate::common::TestDb;
use crate::common::seed;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use xietong::domain::pairing::{self, PairingDocument, PairingInput, UnitPairingInput};
use xietong::domain::plan::{self, NewPlan, Plan, PlanChanges, PlanOwner, PlanTransition};
use xietong::domain::region::{self, RegionInput};
use xietong::domain::report::{self, NewReport, Report, ReportChanges, ValueInput};
use xietong::domain::task::{self, Assignee, AssignmentInput, TargetInput, TaskChanges};
use xietong::domain::unit::{self, NamedUnit, UnitGroupInput, UnitInput};
use xietong::domain::values::{
    Amount, AssignmentRole, Cluster, Comparator, PairingStatus, PlanStatus, RegionKind, ReportPeriod, ReportStatus,
    Side, TaskStatus, UnitKind,
};
use xietong::domain::{Caller, DomainError, ErrorCode};

// ---------------------------------------------------------------- helpers

fn system() -> Caller {
    Caller::system()
}

fn amount(text: &str) -> Amount {
    Amount::parse(text).expect("an amount")
}

fn period(text: &str) -> ReportPeriod {
    ReportPeriod::parse(text).expect("a period")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn conflict_field(err: &DomainError) -> Option<&str> {
    match err {
        DomainError::Conflict { field, .. } => field.as_deref(),
        _ => None,
    }
}

/// The fields a validation failure names, in order.
fn invalid_fields(err: &DomainError) -> Vec<&str> {
    err.field_errors().iter().map(|e| e.field.as_str()).collect()
}

/// Asserts a validation failure that names `field` (first).
fn assert_invalid(err: &DomainError, field: &str) {
    assert_eq!(err.code(), ErrorCode::ValidationFailed, "{err:?}");
    assert_eq!(invalid_fields(err).first().copied(), Some(field), "{err:?}");
}

fn region_input(code: Option<&str>, name: &str, kind: RegionKind, cluster: Option<Cluster>) -> RegionInput {
    RegionInput {
        code: code.map(str::to_owned),
        name: name.to_owned(),
        kind,
        cluster,
        parent_id: None,
    }
}

fn unit_input(region_id: Uuid, name: &str, kind: UnitKind, aliases: &[&str]) -> UnitInput {
    UnitInput {
        region_id,
        name: name.to_owned(),
        kind,
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        external_id: None,
    }
}

fn pairing_input(helper: Uuid, recipient: Uuid) -> PairingInput {
    PairingInput {
        helper_region_id: helper,
        recipient_region_id: recipient,
        co_helper_region_ids: vec![],
        start_year: Some(2020),
        status: PairingStatus::Active,
        note: None,
        documents: vec![],
    }
}

/// The names of units, sorted (collations differ between backends).
fn sorted_names(units: &[unit::Unit]) -> Vec<String> {
    let mut names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    names.sort();
    names
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

async fn plan_of(db: &DatabaseConnection, id: Uuid) -> Plan {
    plan::get(db, &system(), id).await.expect("read the plan")
}

/// A draft plan of the seed's pairing for `year`.
async fn draft_plan(db: &DatabaseConnection, p: &seed::Pairing, year: i32) -> Plan {
    plan::create(
        db,
        &system(),
        NewPlan {
            owner: PlanOwner::Pairing(p.pairing),
            year,
            title: format!("渝中区·巫溪县{year}年度对口协同发展任务清单"),
            doc_number: None,
            issued_on: None,
            issuers: vec!["巫溪县人民政府".into()],
            default_deadline: None,
            calendar: None,
            reporting: None,
            lights: None,
            external_id: None,
        },
    )
    .await
    .expect("create a draft plan")
}

/// A draft report of 县商务委, the task's supporting unit.
async fn supporting_report(db: &DatabaseConnection, p: &seed::Pairing, t: &task::Task, actual: &str) -> Report {
    report::create(
        db,
        &system(),
        NewReport {
            task_id: t.id,
            unit_id: Some(p.recipient_unit_2),
            period: period("2025-03"),
            consolidated: false,
            text: "已对接企业3家".into(),
            values: vec![ValueInput {
                target_id: t.targets[0].id,
                actual: amount(actual),
                unit: None,
            }],
            external_id: None,
        },
    )
    .await
    .expect("a supporting unit's draft report")
}

fn range_target(value: &str, value_max: Option<&str>) -> TargetInput {
    TargetInput {
        id: None,
        metric: Some("professionals_exchanged".into()),
        label: Some("挂职交流专技人才".into()),
        comparator: Comparator::Range,
        value: Some(amount(value)),
        value_max: value_max.map(amount),
        unit: "名".into(),
        baseline: None,
        source_text: "挂职交流专技人才3—5名".into(),
    }
}

// ---------------------------------------------------------------- regions

#[tokio::test]
async fn a_region_is_created_read_updated_and_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let created = region::create(
        &db,
        &system(),
        region_input(Some("500103"), "渝中区", RegionKind::District, Some(Cluster::MainMetro)),
    )
    .await
    .expect("create 渝中区");
    assert_eq!(created.version, 1);
    let read = region::get(&db, &system(), created.id).await.expect("read it");
    assert_eq!(read, created);

    let updated = region::update(
        &db,
        &system(),
        created.id,
        created.version,
        region_input(
            Some("500103"),
            " 渝中区人民政府 ",
            RegionKind::District,
            Some(Cluster::MainMetro),
        ),
    )
    .await
    .expect("rename it");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "渝中区人民政府", "the name is trimmed");
    assert_eq!(updated.code.as_deref(), Some("500103"));
    assert_eq!(region::get(&db, &system(), created.id).await.expect("read it"), updated);
    let names: Vec<String> = region::list(&db, &system())
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["渝中区人民政府"]);

    region::delete(&db, &system(), created.id, updated.version)
        .await
        .expect("delete it");
    let err = region::get(&db, &system(), created.id).await.expect_err("it is gone");
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_region_update_with_a_stale_version_is_a_version_conflict() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let created = region::create(
        &db,
        &system(),
        region_input(Some("500238"), "巫溪县", RegionKind::County, Some(Cluster::Northeast)),
    )
    .await
    .expect("create 巫溪县");
    region::update(
        &db,
        &system(),
        created.id,
        created.version,
        region_input(Some("500238"), "巫溪县", RegionKind::County, None),
    )
    .await
    .expect("the first update");
    let err = region::update(
        &db,
        &system(),
        created.id,
        created.version,
        region_input(Some("500238"), "巫溪", RegionKind::County, Some(Cluster::Northeast)),
    )
    .await
    .expect_err("an update from version 1 again");
    assert_eq!(err.code(), ErrorCode::VersionConflict);
    let read = region::get(&db, &system(), created.id).await.expect("read it");
    assert_eq!((read.name.as_str(), read.cluster, read.version), ("巫溪县", None, 2));

    let err = region::delete(&db, &system(), created.id, created.version)
        .await
        .expect_err("a delete from version 1");
    assert_eq!(err.code(), ErrorCode::VersionConflict);
}

#[tokio::test]
async fn a_region_that_units_use_cannot_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let wuxi = seed::region(
        &db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    seed::unit(&db, wuxi, "县经济信息委", UnitKind::Department).await;
    let err = region::delete(&db, &system(), wuxi, 1)
        .await
        .expect_err("a region with a unit");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    assert!(err.to_string().contains("unit"), "{err}");
    region::get(&db, &system(), wuxi).await.expect("still there");
}

// ---------------------------------------------------------------- units

#[tokio::test]
async fn a_unit_reads_back_with_its_aliases_and_can_change_and_go() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let wuxi = seed::region(
        &db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    let created = unit::create_unit(
        &db,
        &system(),
        unit_input(
            wuxi,
            "县经济信息委",
            UnitKind::Department,
            &[
                "县投资促进服务中心",
                " 县投资促进服务中心 ",
                "县经信委",
                "",
                "县经济信息委",
            ],
        ),
    )
    .await
    .expect("create 县经济信息委");
    assert_eq!(created.name, "县经济信息委");
    assert_eq!(created.kind, UnitKind::Department);
    let mut aliases = created.aliases.clone();
    aliases.sort();
    assert_eq!(
        aliases,
        sorted(&["县投资促进服务中心", "县经信委"]),
        "trimmed, once each, not its own name"
    );

    let read = unit::get_unit(&db, &system(), created.id).await.expect("read it");
    let mut read_aliases = read.aliases.clone();
    read_aliases.sort();
    assert_eq!(read_aliases, aliases);
    assert_eq!(
        (read.name.as_str(), read.region_id, read.version),
        ("县经济信息委", wuxi, 1)
    );

    let updated = unit::update_unit(
        &db,
        &system(),
        created.id,
        created.version,
        unit_input(wuxi, "县经济信息委", UnitKind::Department, &["县投资促进服务中心"]),
    )
    .await
    .expect("drop an alias");
    assert_eq!(updated.aliases, ["县投资促进服务中心"]);
    assert_eq!(updated.version, 2);
    assert_eq!(
        unit::resolve_name(&db, wuxi, "县经信委").await.expect("resolve"),
        None,
        "a dropped alias names nothing"
    );
    let listed = unit::list_units(&db, &system(), Some(wuxi)).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&updated));

    let err = unit::update_unit(
        &db,
        &system(),
        created.id,
        created.version,
        unit_input(wuxi, "县经济信息委", UnitKind::Other, &[]),
    )
    .await
    .expect_err("a stale version");
    assert_eq!(err.code(), ErrorCode::VersionConflict);

    unit::delete_unit(&db, &system(), created.id, updated.version)
        .await
        .expect("delete it");
    assert_eq!(
        unit::get_unit(&db, &system(), created.id)
            .await
            .expect_err("gone")
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        unit::resolve_name(&db, wuxi, "县投资促进服务中心")
            .await
            .expect("resolve"),
        None,
        "its aliases went with it"
    );
}

#[tokio::test]
async fn resolve_name_finds_a_unit_by_name_and_by_alias() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let wuxi = seed::region(
        &db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    let yuzhong = seed::region(
        &db,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let center = unit::create_unit(
        &db,
        &system(),
        unit_input(wuxi, "县就业和人才中心", UnitKind::Department, &["县就业人才中心"]),
    )
    .await
    .expect("create the unit");
    let other = seed::unit(&db, wuxi, "县商务委", UnitKind::Department).await;

    let found = |name: &'static str, region_id: Uuid| {
        let db = db.clone();
        async move { unit::resolve_name(&db, region_id, name).await.expect("resolve") }
    };
    assert_eq!(found("县就业和人才中心", wuxi).await, Some(NamedUnit::Unit(center.id)));
    assert_eq!(found("县就业人才中心", wuxi).await, Some(NamedUnit::Unit(center.id)));
    assert_eq!(
        found("  县就业人才中心\n", wuxi).await,
        Some(NamedUnit::Unit(center.id))
    );
    assert_eq!(found("县商务委", wuxi).await, Some(NamedUnit::Unit(other)));
    assert_eq!(found("县就业人才中心", yuzhong).await, None, "another region's alias");
    assert_eq!(found("县教委", wuxi).await, None);
}

// ---------------------------------------------------------------- unit groups

#[tokio::test]
async fn a_group_by_rule_stands_for_every_unit_of_its_kinds_and_its_explicit_members() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let wuxi = seed::region(
        &db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    let yuzhong = seed::region(
        &db,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    seed::unit(&db, wuxi, "白鹿镇", UnitKind::Town).await;
    seed::unit(&db, wuxi, "柏杨街道", UnitKind::Street).await;
    seed::unit(&db, wuxi, "天元乡", UnitKind::Township).await;
    seed::unit(&db, wuxi, "县商务委", UnitKind::Department).await;
    let park = seed::unit(&db, wuxi, "县工业园区管委会", UnitKind::ManagementCommittee).await;
    seed::unit(&db, yuzhong, "解放碑街道", UnitKind::Street).await;

    let group = unit::create_group(
        &db,
        &system(),
        UnitGroupInput {
            region_id: wuxi,
            name: "各镇街".into(),
            rule_kinds: Some(vec![UnitKind::Town, UnitKind::Street, UnitKind::Township]),
            member_ids: vec![park],
            aliases: vec!["有关乡镇人民政府".into()],
            description: Some("巫溪县各镇、街道、乡".into()),
        },
    )
    .await
    .expect("create 各镇街");
    let read = unit::get_group(&db, &system(), group.id).await.expect("read it");
    assert_eq!(read, group);
    assert_eq!(
        read.rule_kinds,
        Some(vec![UnitKind::Town, UnitKind::Street, UnitKind::Township])
    );
    assert_eq!(read.member_ids, [park]);
    assert_eq!(read.aliases, ["有关乡镇人民政府"]);

    let members = unit::group_members(&db, &system(), group.id).await.expect("members");
    assert_eq!(
        sorted_names(&members),
        sorted(&["白鹿镇", "柏杨街道", "天元乡", "县工业园区管委会"]),
        "the rule's units of its own region, plus the explicit one"
    );

    // The rule takes units made after the group.
    seed::unit(&db, wuxi, "上磺镇", UnitKind::Town).await;
    let members = unit::group_members(&db, &system(), group.id).await.expect("members");
    assert!(members.iter().any(|u| u.name == "上磺镇"), "{members:?}");
    assert_eq!(members.len(), 5);

    assert_eq!(
        unit::resolve_name(&db, wuxi, "有关乡镇人民政府")
            .await
            .expect("resolve"),
        Some(NamedUnit::Group(group.id))
    );
    assert_eq!(
        unit::resolve_name(&db, wuxi, "各镇街").await.expect("resolve"),
        Some(NamedUnit::Group(group.id))
    );
}

#[tokio::test]
async fn a_group_by_members_stands_for_just_them_and_can_change_and_go() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let wuxi = seed::region(
        &db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    let ndrc = seed::unit(&db, wuxi, "县发展改革委", UnitKind::Department).await;
    let commerce = seed::unit(&db, wuxi, "县商务委", UnitKind::Department).await;
    seed::unit(&db, wuxi, "县教委", UnitKind::Department).await;
    let group = unit::create_group(
        &db,
        &system(),
        UnitGroupInput {
            region_id: wuxi,
            name: "县级相关部门单位".into(),
            rule_kinds: None,
            member_ids: vec![commerce, ndrc, commerce],
            aliases: vec![],
            description: None,
        },
    )
    .await
    .expect("create the group");
    let mut expected = vec![ndrc, commerce];
    expected.sort();
    assert_eq!(group.rule_kinds, None);
    assert_eq!(group.member_ids, expected, "each member once");
    let members = unit::group_members(&db, &system(), group.id).await.expect("members");
    assert_eq!(sorted_names(&members), sorted(&["县发展改革委", "县商务委"]));

    let updated = unit::update_group(
        &db,
        &system(),
        group.id,
        group.version,
        UnitGroupInput {
            region_id: wuxi,
            name: "县级相关部门单位".into(),
            rule_kinds: None,
            member_ids: vec![commerce],
            aliases: vec!["县级各部门单位".into()],
            description: None,
        },
    )
    .await
    .expect("change the members");
    assert_eq!((updated.member_ids.clone(), updated.version), (vec![commerce], 2));
    assert_eq!(updated.aliases, ["县级各部门单位"]);
    let members = unit::group_members(&db, &system(), group.id).await.expect("members");
    assert_eq!(sorted_names(&members), ["县商务委"]);
    let listed = unit::list_groups(&db, &system(), Some(wuxi)).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&updated));

    unit::delete_group(&db, &system(), group.id, updated.version)
        .await
        .expect("delete it");
    assert_eq!(
        unit::get_group(&db, &system(), group.id)
            .await
            .expect_err("gone")
            .code(),
        ErrorCode::NotFound
    );
    // Its members are units of their own and stay.
    unit::get_unit(&db, &system(), commerce).await.expect("the unit stays");
}

#[tokio::test]
async fn a_group_member_of_another_region_is_a_field_error() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let err = unit::create_group(
        &db,
        &system(),
        UnitGroupInput {
            region_id: p.recipient,
            name: "县级相关部门单位".into(),
            rule_kinds: None,
            member_ids: vec![p.helper_unit, p.recipient_unit],
            aliases: vec![],
            description: None,
        },
    )
    .await
    .expect_err("渝中区's unit in a group of 巫溪县");
    assert_invalid(&err, "member_ids[0]");
    assert_eq!(invalid_fields(&err), ["member_ids[0]"]);
    assert!(
        err.field_errors()[0].message.to_string().contains("区经济信息委"),
        "{err:?}"
    );
    assert!(
        unit::list_groups(&db, &system(), None).await.expect("list").is_empty(),
        "nothing was made"
    );
}

#[tokio::test]
async fn a_group_assigned_to_a_task_cannot_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let group = unit::create_group(
        &db,
        &system(),
        UnitGroupInput {
            region_id: p.recipient,
            name: "县级相关部门单位".into(),
            rule_kinds: Some(vec![UnitKind::Department]),
            member_ids: vec![],
            aliases: vec![],
            description: None,
        },
    )
    .await
    .expect("create the group");
    let members = unit::group_members(&db, &system(), group.id).await.expect("members");
    assert_eq!(
        sorted_names(&members),
        sorted(&["县经济信息委", "县商务委"]),
        "a rule alone"
    );
    let t = seed::task(&db, &p, 1, &[]).await;
    let lead = AssignmentInput {
        assignee: Assignee::Unit(p.recipient_unit),
        role: AssignmentRole::Lead,
        side: Some(Side::Recipient),
    };
    let with_group = task::update(
        &db,
        &system(),
        t.id,
        t.version,
        TaskChanges {
            assignments: Some(vec![
                lead.clone(),
                AssignmentInput {
                    assignee: Assignee::Group(group.id),
                    role: AssignmentRole::Supporting,
                    side: Some(Side::Recipient),
                },
            ]),
            ..Default::default()
        },
    )
    .await
    .expect("assign the group");
    assert_eq!(with_group.assignments[1].group_id, Some(group.id));
    assert_eq!(with_group.assignments[1].name, "县级相关部门单位");

    let err = unit::delete_group(&db, &system(), group.id, group.version)
        .await
        .expect_err("a group a task names");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    unit::get_group(&db, &system(), group.id).await.expect("still there");

    // Once no task names it, it goes.
    task::update(
        &db,
        &system(),
        t.id,
        with_group.version,
        TaskChanges {
            assignments: Some(vec![lead]),
            ..Default::default()
        },
    )
    .await
    .expect("unassign the group");
    unit::delete_group(&db, &system(), group.id, group.version)
        .await
        .expect("delete the group");
}

// ---------------------------------------------------------------- pairings

#[tokio::test]
async fn a_pairing_reads_back_with_its_co_helpers_and_documents() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let nanchuan = seed::region(
        &db,
        Some("500119"),
        "南川区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let fuling = seed::region(
        &db,
        Some("500102"),
        "涪陵区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let wulong = seed::region(
        &db,
        Some("500156"),
        "武隆区",
        RegionKind::District,
        Some(Cluster::Southeast),
    )
    .await;
    let documents = vec![
        PairingDocument {
            title: "南川区 涪陵区 武隆区对口协同发展合作框架协议".into(),
            doc_number: None,
            issued_on: Some(date(2020, 6, 18)),
        },
        PairingDocument {
            title: "2025年度对口协同发展重点任务分解表".into(),
            doc_number: Some("武隆府办发〔2025〕12号".into()),
            issued_on: Some(date(2025, 3, 10)),
        },
    ];
    let created = pairing::create(
        &db,
        &system(),
        PairingInput {
            co_helper_region_ids: vec![fuling],
            note: Some("南川区、涪陵区共同帮扶武隆区".into()),
            documents: documents.clone(),
            ..pairing_input(nanchuan, wulong)
        },
    )
    .await
    .expect("create the pairing");
    let read = pairing::get(&db, &system(), created.id).await.expect("read it");
    assert_eq!(read, created);
    assert_eq!((read.helper_region_id, read.recipient_region_id), (nanchuan, wulong));
    assert_eq!(read.co_helper_region_ids, [fuling]);
    assert_eq!(read.documents, documents, "in their order");
    assert_eq!((read.start_year, read.status), (Some(2020), PairingStatus::Active));

    let updated = pairing::update(
        &db,
        &system(),
        created.id,
        created.version,
        PairingInput {
            co_helper_region_ids: vec![],
            status: PairingStatus::Ended,
            documents: documents[1..].to_vec(),
            ..pairing_input(nanchuan, wulong)
        },
    )
    .await
    .expect("update the pairing");
    assert_eq!(updated.version, 2);
    let read = pairing::get(&db, &system(), created.id).await.expect("read it");
    assert_eq!(read, updated);
    assert!(read.co_helper_region_ids.is_empty());
    assert_eq!(read.status, PairingStatus::Ended);
    assert_eq!(read.documents, documents[1..]);
    assert_eq!(
        pairing::list(&db, &system()).await.expect("list"),
        std::slice::from_ref(&updated)
    );

    // A former co-helper is free to go; a pairing without plans goes too.
    region::delete(&db, &system(), fuling, 1)
        .await
        .expect("delete the former co-helper");
    pairing::delete(&db, &system(), created.id, updated.version)
        .await
        .expect("delete the pairing");
    assert_eq!(
        pairing::get(&db, &system(), created.id).await.expect_err("gone").code(),
        ErrorCode::NotFound
    );
    region::delete(&db, &system(), wulong, 1)
        .await
        .expect("the recipient is free again");
}

#[tokio::test]
async fn a_region_cannot_be_paired_with_itself() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let yuzhong = seed::region(
        &db,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let err = pairing::create(&db, &system(), pairing_input(yuzhong, yuzhong))
        .await
        .expect_err("渝中区 helping 渝中区");
    assert_invalid(&err, "recipient_region_id");
    assert!(pairing::list(&db, &system()).await.expect("list").is_empty());
}

#[tokio::test]
async fn the_same_two_regions_cannot_be_paired_twice() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let err = pairing::create(&db, &system(), pairing_input(p.helper, p.recipient))
        .await
        .expect_err("渝中区·巫溪县 again");
    assert_eq!(
        (err.code(), conflict_field(&err)),
        (ErrorCode::Conflict, Some("recipient_region_id")),
        "{err:?}"
    );
    assert_eq!(pairing::list(&db, &system()).await.expect("list").len(), 1);
}

#[tokio::test]
async fn a_pairing_with_a_plan_cannot_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let err = pairing::delete(&db, &system(), p.pairing, 1)
        .await
        .expect_err("a pairing with its 2025 plan");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    pairing::get(&db, &system(), p.pairing).await.expect("still there");
    plan_of(&db, p.plan).await;
}

// ---------------------------------------------------------------- unit pairings

#[tokio::test]
async fn a_unit_pairing_is_created_listed_changed_and_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let input = |recipient_unit_id: Uuid| UnitPairingInput {
        pairing_id: p.pairing,
        helper_unit_id: p.helper_unit,
        recipient_unit_id,
        seq: Some(1),
        note: None,
    };
    let created = pairing::create_unit_pairing(&db, &system(), input(p.recipient_unit))
        .await
        .expect("区经济信息委 ↔ 县经济信息委");
    // One helper unit may help several.
    let second = pairing::create_unit_pairing(
        &db,
        &system(),
        UnitPairingInput {
            seq: Some(2),
            ..input(p.recipient_unit_2)
        },
    )
    .await
    .expect("区经济信息委 ↔ 县商务委");
    let listed = pairing::list_unit_pairings(&db, &system(), p.pairing)
        .await
        .expect("list");
    assert_eq!(listed, [created.clone(), second.clone()]);

    pairing::delete_unit_pairing(&db, &system(), second.id, second.version)
        .await
        .expect("delete the second");
    let updated = pairing::update_unit_pairing(
        &db,
        &system(),
        created.id,
        created.version,
        UnitPairingInput {
            note: Some("部门结对".into()),
            ..input(p.recipient_unit_2)
        },
    )
    .await
    .expect("re-pair the first");
    assert_eq!(
        (updated.recipient_unit_id, updated.note.as_deref(), updated.version),
        (p.recipient_unit_2, Some("部门结对"), 2)
    );
    let listed = pairing::list_unit_pairings(&db, &system(), p.pairing)
        .await
        .expect("list");
    assert_eq!(listed, [updated]);
}

#[tokio::test]
async fn a_recipient_unit_cannot_be_the_helper_of_a_unit_pairing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let err = pairing::create_unit_pairing(
        &db,
        &system(),
        UnitPairingInput {
            pairing_id: p.pairing,
            helper_unit_id: p.recipient_unit_2,
            recipient_unit_id: p.recipient_unit,
            seq: None,
            note: None,
        },
    )
    .await
    .expect_err("县商务委 as the helper");
    assert_invalid(&err, "helper_unit_id");
    assert_eq!(invalid_fields(&err), ["helper_unit_id"]);
    assert!(
        pairing::list_unit_pairings(&db, &system(), p.pairing)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn the_same_two_units_cannot_be_paired_twice() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let input = || UnitPairingInput {
        pairing_id: p.pairing,
        helper_unit_id: p.helper_unit,
        recipient_unit_id: p.recipient_unit,
        seq: None,
        note: None,
    };
    pairing::create_unit_pairing(&db, &system(), input())
        .await
        .expect("the first");
    let err = pairing::create_unit_pairing(&db, &system(), input())
        .await
        .expect_err("the same two units again");
    assert_eq!(
        (err.code(), conflict_field(&err)),
        (ErrorCode::Conflict, Some("recipient_unit_id")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- plans

#[tokio::test]
async fn a_plan_title_can_change() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let before = plan_of(&db, p.plan).await;
    let updated = plan::update(
        &db,
        &system(),
        p.plan,
        before.version,
        PlanChanges {
            title: Some(" 渝中区·巫溪县2025年对口协同发展重点任务清单 ".into()),
            ..Default::default()
        },
    )
    .await
    .expect("retitle the plan");
    assert_eq!(updated.title, "渝中区·巫溪县2025年对口协同发展重点任务清单");
    assert_eq!(updated.version, before.version + 1);
    assert_eq!(updated.doc_number, before.doc_number, "untouched fields stay");
    assert_eq!(updated.issuers, before.issuers);
    assert_eq!(updated.status, PlanStatus::Issued);
    assert_eq!(plan_of(&db, p.plan).await, updated);

    let err = plan::update(
        &db,
        &system(),
        p.plan,
        before.version,
        PlanChanges {
            title: Some("旧版本".into()),
            ..Default::default()
        },
    )
    .await
    .expect_err("a stale version");
    assert_eq!(err.code(), ErrorCode::VersionConflict);
}

#[tokio::test]
async fn a_plan_goes_from_draft_to_issued_to_closed() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let draft = draft_plan(&db, &p, 2026).await;
    assert_eq!(draft.status, PlanStatus::Draft);
    assert_eq!(draft.default_deadline, date(2026, 12, 31));
    let issued = plan::transition(&db, &system(), draft.id, draft.version, PlanTransition::Issue)
        .await
        .expect("issue");
    assert_eq!(issued.status, PlanStatus::Issued);
    let closed = plan::transition(&db, &system(), draft.id, issued.version, PlanTransition::Close)
        .await
        .expect("close");
    assert_eq!(closed.status, PlanStatus::Closed);
    assert_eq!(plan_of(&db, draft.id).await.status, PlanStatus::Closed);
}

#[tokio::test]
async fn an_issued_plan_cannot_be_issued_again() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let issued = plan_of(&db, p.plan).await;
    let err = plan::transition(&db, &system(), p.plan, issued.version, PlanTransition::Issue)
        .await
        .expect_err("issue an issued plan");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    assert_eq!(plan_of(&db, p.plan).await, issued);
}

#[tokio::test]
async fn a_closed_plan_refuses_task_updates() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let issued = plan_of(&db, p.plan).await;
    plan::transition(&db, &system(), p.plan, issued.version, PlanTransition::Close)
        .await
        .expect("close the plan");
    let err = task::update(
        &db,
        &system(),
        t.id,
        t.version,
        TaskChanges {
            status: Some(TaskStatus::Completed),
            ..Default::default()
        },
    )
    .await
    .expect_err("a task of a closed plan");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    let read = task::get(&db, &system(), t.id).await.expect("read the task");
    assert_eq!((read.status, read.version), (TaskStatus::NotStarted, t.version));
}

#[tokio::test]
async fn a_plan_with_reports_cannot_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    supporting_report(&db, &p, &t, "1200").await;
    let current = plan_of(&db, p.plan).await;
    let err = plan::delete(&db, &system(), p.plan, current.version)
        .await
        .expect_err("a plan with a report");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    assert_eq!(plan_of(&db, p.plan).await, current);
    task::get(&db, &system(), t.id).await.expect("its task stays");
}

#[tokio::test]
async fn a_plan_without_reports_is_deleted_with_its_tasks() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let current = plan_of(&db, p.plan).await;
    plan::delete(&db, &system(), p.plan, current.version)
        .await
        .expect("delete the plan");
    assert_eq!(
        plan::get(&db, &system(), p.plan).await.expect_err("gone").code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        task::get(&db, &system(), t.id).await.expect_err("gone with it").code(),
        ErrorCode::NotFound
    );
    // Nothing holds the pairing any more.
    pairing::delete(&db, &system(), p.pairing, 1)
        .await
        .expect("delete the pairing");
}

// ---------------------------------------------------------------- tasks

#[tokio::test]
async fn updating_targets_keeps_a_target_named_by_its_id() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000", "300"]).await;
    let (kept, dropped) = (t.targets[0].id, t.targets[1].id);
    let r = report::create(
        &db,
        &system(),
        NewReport {
            task_id: t.id,
            unit_id: Some(p.recipient_unit_2),
            period: period("2025-03"),
            consolidated: false,
            text: "到位资金1200万元".into(),
            values: vec![
                ValueInput {
                    target_id: kept,
                    actual: amount("1200"),
                    unit: None,
                },
                ValueInput {
                    target_id: dropped,
                    actual: amount("80"),
                    unit: None,
                },
            ],
            external_id: None,
        },
    )
    .await
    .expect("a draft report on both targets");

    let mut funds = seed::funds_target("6000");
    funds.id = Some(kept);
    let updated = task::update(
        &db,
        &system(),
        t.id,
        t.version,
        TaskChanges {
            targets: Some(vec![funds, range_target("3", Some("5"))]),
            ..Default::default()
        },
    )
    .await
    .expect("change the targets");
    assert_eq!(updated.targets.len(), 2);
    assert_eq!(updated.targets[0].id, kept, "the kept target keeps its id");
    assert_eq!(updated.targets[0].value.expect("a value").to_string(), "6000");
    assert_eq!(updated.targets[0].metric.as_deref(), Some("investment_funds"));
    let added = &updated.targets[1];
    assert!(added.id != kept && added.id != dropped, "a new target has a new id");
    assert_eq!(added.comparator, Comparator::Range);
    assert_eq!(
        (
            added.value.expect("a value").to_string(),
            added.value_max.map(|m| m.to_string())
        ),
        ("3".to_owned(), Some("5".to_owned()))
    );
    assert_eq!(added.metric.as_deref(), Some("professionals_exchanged"));
    assert_eq!(task::get(&db, &system(), t.id).await.expect("read"), updated);

    // The report keeps its figure for the kept target; the dropped one's is gone.
    let r = report::get(&db, &system(), r.id).await.expect("read the report");
    let values: Vec<(Uuid, String)> = r.values.iter().map(|v| (v.target_id, v.actual.to_string())).collect();
    assert_eq!(values, [(kept, "1200".to_owned())]);
}

#[tokio::test]
async fn a_range_target_needs_an_upper_end_above_its_value() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &[]).await;
    let err = task::update(
        &db,
        &system(),
        t.id,
        t.version,
        TaskChanges {
            targets: Some(vec![range_target("5", Some("5"))]),
            ..Default::default()
        },
    )
    .await
    .expect_err("a range 5—5");
    assert_invalid(&err, "targets[0].value_max");
    assert!(task::get(&db, &system(), t.id).await.expect("read").targets.is_empty());
}

#[tokio::test]
async fn a_range_target_without_an_upper_end_is_refused() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &[]).await;
    let err = task::update(
        &db,
        &system(),
        t.id,
        t.version,
        TaskChanges {
            targets: Some(vec![range_target("3", None)]),
            ..Default::default()
        },
    )
    .await
    .expect_err("a range with no upper end");
    assert_invalid(&err, "targets[0].value_max");
}

#[tokio::test]
async fn a_target_with_an_unknown_metric_is_a_field_error() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let mut target = seed::funds_target("5000");
    target.metric = Some("investment_fund".into());
    let err = task::create(
        &db,
        &system(),
        task::NewTask {
            plan_id: p.plan,
            section: None,
            seq: 1,
            category: Some("联手开展招商引资".into()),
            content: "力争实际到位资金5000万元以上。".into(),
            deadline: None,
            deadline_text: None,
            leaders: vec![],
            notes: None,
            assignments: vec![],
            targets: vec![target],
            external_id: None,
        },
    )
    .await
    .expect_err("an unknown metric code");
    assert_invalid(&err, "targets[0].metric");
    assert_eq!(invalid_fields(&err), ["targets[0].metric"]);
    assert!(
        err.field_errors()[0].message.to_string().contains("investment_fund"),
        "{err:?}"
    );
    assert!(
        task::list_by_plan(&db, &system(), p.plan)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn a_task_with_reports_cannot_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    supporting_report(&db, &p, &t, "1200").await;
    let err = task::delete(&db, &system(), t.id, t.version)
        .await
        .expect_err("a task with a report");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    assert_eq!(task::get(&db, &system(), t.id).await.expect("still there"), t);
}

#[tokio::test]
async fn a_task_without_reports_is_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let first = seed::task(&db, &p, 1, &["5000"]).await;
    let second = seed::task(&db, &p, 2, &[]).await;
    task::delete(&db, &system(), first.id, first.version)
        .await
        .expect("delete task 1");
    let left: Vec<i32> = task::list_by_plan(&db, &system(), p.plan)
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.seq)
        .collect();
    assert_eq!(left, [second.seq]);
    // Its sequence number is free again.
    seed::task(&db, &p, 1, &[]).await;
}

// ---------------------------------------------------------------- reports

#[tokio::test]
async fn a_draft_report_takes_new_values() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let draft = supporting_report(&db, &p, &t, "1200").await;
    assert_eq!(draft.status, ReportStatus::Draft);
    let updated = report::update(
        &db,
        &system(),
        draft.id,
        draft.version,
        ReportChanges {
            text: Some("已对接企业5家，到位资金1500.5万元".into()),
            values: Some(vec![ValueInput {
                target_id: t.targets[0].id,
                actual: amount("1500.5"),
                unit: None,
            }]),
        },
    )
    .await
    .expect("change the draft");
    assert_eq!(updated.version, draft.version + 1);
    assert_eq!(updated.text, "已对接企业5家，到位资金1500.5万元");
    assert_eq!(updated.values.len(), 1);
    assert_eq!(updated.values[0].actual.to_string(), "1500.5");
    assert_eq!(updated.status, ReportStatus::Draft);
    assert_eq!(report::get(&db, &system(), draft.id).await.expect("read"), updated);

    let err = report::update(
        &db,
        &system(),
        draft.id,
        draft.version,
        ReportChanges {
            text: Some("旧版本".into()),
            values: None,
        },
    )
    .await
    .expect_err("a stale version");
    assert_eq!(err.code(), ErrorCode::VersionConflict);
}

#[tokio::test]
async fn a_draft_report_can_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let draft = supporting_report(&db, &p, &t, "1200").await;
    report::delete(&db, &system(), draft.id, draft.version)
        .await
        .expect("delete the draft");
    assert_eq!(
        report::get(&db, &system(), draft.id).await.expect_err("gone").code(),
        ErrorCode::NotFound
    );
    assert!(
        report::list_by_task(&db, &system(), t.id)
            .await
            .expect("list")
            .is_empty()
    );
    // The period is free again, and the task can go now.
    let again = supporting_report(&db, &p, &t, "1300").await;
    report::delete(&db, &system(), again.id, again.version)
        .await
        .expect("delete it again");
    task::delete(&db, &system(), t.id, t.version)
        .await
        .expect("a task without reports");
}

#[tokio::test]
async fn a_supporting_units_report_cannot_be_consolidated() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let err = report::create(
        &db,
        &system(),
        NewReport {
            task_id: t.id,
            unit_id: Some(p.recipient_unit_2),
            period: period("2025"),
            consolidated: true,
            text: "全年到位资金5200万元".into(),
            values: vec![],
            external_id: None,
        },
    )
    .await
    .expect_err("县商务委 consolidating");
    assert_invalid(&err, "consolidated");
    assert_eq!(invalid_fields(&err), ["consolidated"]);
}

#[tokio::test]
async fn a_report_period_outside_the_plan_year_is_refused() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let t = seed::task(&db, &p, 1, &["5000"]).await;
    let err = report::create(
        &db,
        &system(),
        NewReport {
            task_id: t.id,
            unit_id: Some(p.recipient_unit_2),
            period: period("2024-Q4"),
            consolidated: false,
            text: "去年第四季度".into(),
            values: vec![],
            external_id: None,
        },
    )
    .await
    .expect_err("a 2024 report on a 2025 plan");
    assert_invalid(&err, "period");
    assert_eq!(invalid_fields(&err), ["period"]);
    assert!(err.field_errors()[0].message.to_string().contains("2025"), "{err:?}");
}

#[tokio::test]
async fn a_report_on_a_draft_plan_is_a_conflict() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let p = seed::yuzhong_wuxi(&db).await;
    let draft = draft_plan(&db, &p, 2026).await;
    let t = task::create(
        &db,
        &system(),
        task::NewTask {
            plan_id: draft.id,
            section: None,
            seq: 1,
            category: None,
            content: "落实就业岗位不低于200个。".into(),
            deadline: None,
            deadline_text: Some("2026年11月底".into()),
            leaders: vec![],
            notes: None,
            assignments: vec![AssignmentInput {
                assignee: Assignee::Unit(p.recipient_unit),
                role: AssignmentRole::Lead,
                side: Some(Side::Recipient),
            }],
            targets: vec![],
            external_id: None,
        },
    )
    .await
    .expect("a task of the draft plan");
    let err = report::create(
        &db,
        &system(),
        NewReport {
            task_id: t.id,
            unit_id: Some(p.recipient_unit),
            period: period("2026-01"),
            consolidated: true,
            text: "已落实岗位50个".into(),
            values: vec![],
            external_id: None,
        },
    )
    .await
    .expect_err("a report before the plan is issued");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err:?}");
    assert!(
        report::list_by_task(&db, &system(), t.id)
            .await
            .expect("list")
            .is_empty()
    );
}
