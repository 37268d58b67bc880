//! Importing the real public tables of the fixtures, on the backend the
//! suite runs on: counts, resolved units and groups, leaders, sections,
//! extracted targets, near misses, dry runs and bad files.

use crate::common;
use crate::common::TestDb;
use sea_orm::DatabaseConnection;
use xietong::documents::reference::{self, UnitPairImport};
use xietong::documents::tasks::{self, ImportReport, Owner, TaskImport};
use xietong::domain::Caller;
use xietong::domain::page::PageRequest;
use xietong::domain::task::{self, TaskFilter};
use xietong::domain::values::{AssignmentRole, Comparator};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("the fixture")
}

async fn region(db: &DatabaseConnection, name: &str) -> uuid::Uuid {
    xietong::domain::region::find_by_name(db, name)
        .await
        .expect("a region")
        .id
}

/// Regions, pairings and the 渝中区·巫溪县 unit pairing table.
async fn reference_data(db: &DatabaseConnection) {
    let system = Caller::system();
    let regions = reference::regions(db, &system, &fixture("regions.csv"), false)
        .await
        .expect("regions");
    assert!(regions.ok, "{:?}", regions.problems);
    assert_eq!(regions.created, 40);
    let pairings = reference::pairings(db, &system, &fixture("pairings.csv"), false)
        .await
        .expect("pairings");
    assert!(pairings.ok, "{:?}", pairings.problems);
    assert_eq!(pairings.created, 6);
    let options = UnitPairImport {
        helper: "渝中区".into(),
        recipient: "巫溪县".into(),
        create_missing_units: true,
        ..Default::default()
    };
    let pairs = reference::unit_pairs(db, &system, &fixture("yuzhong-wuxi-2025-unit-pairs.csv"), &options)
        .await
        .expect("unit pairs");
    assert!(pairs.ok, "{:?}", pairs.problems);
    assert_eq!(pairs.created, 36, "32 rows, three of them naming several units");
}

async fn yuzhong_wuxi(db: &DatabaseConnection, aliases: &[(&str, &str)], dry_run: bool) -> ImportReport {
    let options = TaskImport {
        year: 2025,
        title: "渝中区·巫溪县2025年度对口协同发展任务清单".into(),
        owner: Owner::Pairing {
            helper: region(db, "渝中区").await,
            recipient: region(db, "巫溪县").await,
        },
        issuer: None,
        doc_number: Some("巫溪府发〔2025〕20号".into()),
        issued_on: None,
        create_missing_units: true,
        aliases: aliases
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect(),
        dry_run,
    };
    tasks::import(db, &Caller::system(), &fixture("yuzhong-wuxi-2025-tasks.csv"), &options)
        .await
        .expect("the import runs")
}

async fn fuling(db: &DatabaseConnection, aliases: &[(&str, &str)]) -> ImportReport {
    let options = TaskImport {
        year: 2025,
        title: "2025年区政府工作报告目标任务分解方案".into(),
        owner: Owner::Region(region(db, "涪陵区").await),
        issuer: None,
        doc_number: None,
        issued_on: None,
        create_missing_units: true,
        aliases: aliases
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect(),
        dry_run: false,
    };
    tasks::import(
        db,
        &Caller::system(),
        &fixture("fuling-2025-work-report-tasks.csv"),
        &options,
    )
    .await
    .expect("the import runs")
}

const YUZHONG_ALIASES: &[(&str, &str)] = &[
    ("区就业人才中心", "区就业和人才中心"),
    ("县就业人才事务中心", "县就业和人才事务中心"),
];

async fn tasks_of(db: &DatabaseConnection, plan_id: uuid::Uuid) -> Vec<task::Task> {
    let filter = TaskFilter {
        plan_id: Some(plan_id),
        ..Default::default()
    };
    task::list(
        db,
        &Caller::system(),
        filter,
        Some("seq"),
        &PageRequest {
            limit: 200,
            ..Default::default()
        },
    )
    .await
    .expect("tasks")
    .items
}

#[tokio::test]
async fn the_yuzhong_wuxi_task_list_imports_whole() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    reference_data(&db).await;
    let report = yuzhong_wuxi(&db, YUZHONG_ALIASES, false).await;
    assert!(report.ok, "{:?}", report.problems);
    assert!(report.written);
    assert_eq!(report.tasks, 16);
    let tasks = tasks_of(&db, report.plan_id.expect("a plan")).await;
    assert_eq!(tasks.len(), 16);

    // Task 1: each side's lead unit; 区招商投资局 is a unit of its own, so the
    // second name assigns it too; 县投资促进服务中心 is 县经济信息委's other name.
    let names = |t: &task::Task, role: AssignmentRole| -> Vec<String> {
        t.assignments
            .iter()
            .filter(|a| a.role == role)
            .map(|a| a.name.clone())
            .collect()
    };
    assert_eq!(
        names(&tasks[0], AssignmentRole::Lead),
        ["县经济信息委", "区经济信息委", "区招商投资局"]
    );
    let other_name = common::query_strings(
        &db,
        "SELECT u.name FROM unit_aliases a JOIN units u ON u.id = a.unit_id WHERE a.alias = '县投资促进服务中心'",
    )
    .await;
    assert_eq!(other_name, ["县经济信息委"]);
    // Merged cells: task 2 carries task 1's category and lead units.
    assert_eq!(tasks[1].category.as_deref(), Some("联手开展招商引资"));
    assert_eq!(
        names(&tasks[1], AssignmentRole::Lead),
        names(&tasks[0], AssignmentRole::Lead)
    );
    // Task 7 names 区就业人才中心, which the unit pairing table calls 区就业和人才中心.
    assert_eq!(
        names(&tasks[6], AssignmentRole::Lead),
        ["县就业和人才事务中心", "区就业和人才中心"]
    );
    let sides: Vec<Option<&str>> = tasks[6]
        .assignments
        .iter()
        .map(|a| a.side.map(|s| s.as_str()))
        .collect();
    assert_eq!(sides, [Some("recipient"), Some("helper")]);

    // Targets: task 1 two, task 7 training and jobs, task 13 a range.
    let t1: Vec<(Comparator, String, &str)> = tasks[0]
        .targets
        .iter()
        .map(|t| (t.comparator, t.value.expect("a value").to_string(), t.unit.as_str()))
        .collect();
    assert_eq!(
        t1,
        [
            (Comparator::AtLeast, "1".into(), "个"),
            (Comparator::AtLeast, "5000".into(), "万元")
        ]
    );
    assert_eq!(tasks[0].targets[1].metric.as_deref(), Some("investment_funds"));
    let t7: Vec<(Comparator, String, &str, Option<&str>)> = tasks[6]
        .targets
        .iter()
        .map(|t| {
            (
                t.comparator,
                t.value.expect("a value").to_string(),
                t.unit.as_str(),
                t.metric.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        t7,
        [
            (Comparator::AtLeast, "300".into(), "人次", Some("trainees")),
            (Comparator::AtLeast, "200".into(), "个", Some("jobs")),
        ]
    );
    let range = &tasks[12].targets[0];
    assert_eq!(
        (
            range.comparator,
            range.value.expect("a value").to_string(),
            range.value_max.map(|m| m.to_string()),
            range.unit.as_str()
        ),
        (Comparator::Range, "3".into(), Some("5".into()), "名")
    );
    // No 完成时限 column: the plan's deadline, the end of its year.
    assert!(tasks.iter().all(|t| t.deadline.to_string() == "2025-12-31"));
}

#[tokio::test]
async fn a_near_miss_is_reported_with_a_suggestion_and_nothing_is_written() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    reference_data(&db).await;
    let report = yuzhong_wuxi(&db, &[], false).await;
    assert!(!report.ok);
    assert!(!report.written);
    assert_eq!(report.plan_id, None);
    let suggestions: Vec<(Option<usize>, Option<&str>)> = report
        .problems
        .iter()
        .map(|p| (p.line, p.suggestion.as_deref()))
        .collect();
    assert!(
        suggestions.contains(&(Some(8), Some("区就业和人才中心"))),
        "{:?}",
        report.problems
    );
    assert!(
        suggestions.contains(&(Some(8), Some("县就业和人才事务中心"))),
        "{:?}",
        report.problems
    );
    let plans = common::query_strings(&db, "SELECT title FROM plans").await;
    assert!(plans.is_empty(), "all or nothing: {plans:?}");
    let made = common::query_strings(&db, "SELECT name FROM units WHERE name = '区就业人才中心'").await;
    assert!(made.is_empty(), "a near miss is never created");
}

#[tokio::test]
async fn a_dry_run_reports_every_row_and_writes_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    reference_data(&db).await;
    let units_before = common::query_strings(&db, "SELECT name FROM units ORDER BY name").await;
    let report = yuzhong_wuxi(&db, YUZHONG_ALIASES, true).await;
    assert!(report.ok, "{:?}", report.problems);
    assert!(report.dry_run && !report.written);
    assert_eq!(report.rows.len(), 16);
    assert_eq!(report.rows[6].targets.len(), 2);
    assert_eq!(report.rows[6].lead[1].how, "alias");
    assert!(common::query_strings(&db, "SELECT title FROM plans").await.is_empty());
    assert_eq!(
        common::query_strings(&db, "SELECT name FROM units ORDER BY name").await,
        units_before
    );
    assert!(
        common::query_strings(&db, "SELECT alias FROM unit_aliases WHERE alias = '区就业人才中心'")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_fuling_work_report_imports_with_sections_groups_and_leaders() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    reference_data(&db).await;
    // The typo 区住房城乡教委 (task 112) is one character from 区住房城乡建委.
    let typo = fuling(&db, &[]).await;
    assert!(!typo.ok);
    assert!(
        typo.problems
            .iter()
            .any(|p| p.suggestion.as_deref() == Some("区住房城乡建委")),
        "{:?}",
        typo.problems
    );

    let report = fuling(&db, &[("区住房城乡教委", "区住房城乡建委")]).await;
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.tasks, 148);
    let tasks = tasks_of(&db, report.plan_id.expect("a plan")).await;
    let in_section = |s: &str| tasks.iter().filter(|t| t.section.as_deref() == Some(s)).count();
    assert_eq!(
        (
            in_section("主要预期目标"),
            in_section("主要工作任务"),
            in_section("政府自身建设")
        ),
        (7, 137, 4)
    );

    let indicator = |seq: i32| {
        tasks
            .iter()
            .find(|t| t.section.as_deref() == Some("主要预期目标") && t.seq == seq)
            .expect("an indicator")
    };
    let second = &indicator(2).targets[0];
    assert_eq!(
        (
            second.comparator,
            second.value.expect("a value").to_string(),
            second.unit.as_str()
        ),
        (Comparator::About, "9".into(), "%")
    );
    assert_eq!(indicator(7).leaders, ["冯星贵", "张宇"]);
    let groups: Vec<&str> = indicator(1)
        .assignments
        .iter()
        .filter(|a| a.group_id.is_some())
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(groups, ["各镇街", "区级相关部门单位", "各工业园区"]);
    assert!(report.groups_created.contains(&"各镇街".to_owned()));
    let kinds = common::query_strings(&db, "SELECT rule_kinds FROM unit_groups WHERE name = '各镇街'").await;
    assert_eq!(kinds, ["town,street,township"]);
    // 区级各部门单位 is the same group; 白涛新材料科技城 is 白涛工业园区's other name.
    let aliases = common::query_strings(&db, "SELECT alias FROM unit_aliases ORDER BY alias").await;
    for alias in ["区级各部门单位", "白涛新材料科技城", "涪陵综保区", "区住房城乡教委"] {
        assert!(aliases.contains(&alias.to_owned()), "{alias} in {aliases:?}");
    }
    // 税收增长5%: two lead units in one cell, on two lines.
    let leads: Vec<&str> = indicator(5).assignments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(leads, ["区财政局", "区税务局"]);
}

/// A small XLSX-looking zip whose one part inflates to 150 MB of zeros.
fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    writer.start_file("xl/worksheets/sheet1.xml", options).expect("a part");
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..150 {
        writer.write_all(&zeros).expect("zeros");
    }
    let bytes = writer.finish().expect("the zip").into_inner();
    assert!(bytes.len() < 1024 * 1024, "the bomb is small: {}", bytes.len());
    bytes
}

#[tokio::test]
async fn bad_files_are_reported_and_write_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    reference_data(&db).await;
    let import = |bytes: Vec<u8>| {
        let db = db.clone();
        async move {
            let options = TaskImport {
                year: 2025,
                title: "坏文件".into(),
                owner: Owner::Region(region(&db, "涪陵区").await),
                issuer: None,
                doc_number: None,
                issued_on: None,
                create_missing_units: true,
                aliases: vec![],
                dry_run: false,
            };
            tasks::import(&db, &Caller::system(), &bytes, &options)
                .await
                .expect("a report, not an error")
        }
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "empty"),
        (
            "garbage",
            (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(),
            "neither UTF-8",
        ),
        (
            "wrong headers",
            "名称,金额\n甲,1\n".as_bytes().to_vec(),
            "no header row",
        ),
        (
            "no seq",
            "具体任务,牵头责任单位\n做事,区商务委\n".as_bytes().to_vec(),
            "序号",
        ),
        (
            "huge cell",
            format!("序号,具体任务\n1,{}\n", "字".repeat(100_000)).into_bytes(),
            "longer than",
        ),
        (
            "10000 rows",
            std::iter::once("序号,具体任务\n".to_owned())
                .chain((1..=10_000).map(|i| format!("{i},任务{i}\n")))
                .collect::<String>()
                .into_bytes(),
            "more than",
        ),
        ("fake xlsx", b"PK\x03\x04 not really a zip".to_vec(), "spreadsheet"),
        ("zip bomb", zip_bomb(), "unpacks to more than"),
    ];
    for (what, bytes, says) in cases {
        let report = import(bytes).await;
        assert!(!report.ok && !report.written, "{what}");
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains(says)), "{what}: {messages:?}");
    }
    assert!(common::query_strings(&db, "SELECT title FROM plans").await.is_empty());

    // A GB18030 CSV, as offices save them, with a BOM-less header.
    let (gbk, _, _) = encoding_rs::GB18030.encode("序号,具体任务,牵头责任单位\n1,税收增长5%。,区财政局\n");
    let report = import(gbk.into_owned()).await;
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.tasks, 1);
}

#[tokio::test]
async fn the_demo_loads_once_and_a_second_run_changes_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let first = xietong::demo::load(&db, Some("demo-password")).await.expect("the demo");
    assert_eq!(first.credentials.len(), 6);
    assert!(first.credentials.iter().all(|c| c.secret.is_some()));
    let counts = |db: DatabaseConnection| async move {
        let mut out = Vec::new();
        for table in [
            "regions",
            "pairings",
            "units",
            "unit_groups",
            "unit_aliases",
            "unit_pairings",
            "plans",
            "tasks",
            "targets",
            "task_assignments",
            "events",
            "users",
            "integration_clients",
        ] {
            let sql = format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}");
            out.push((table, common::query_strings(&db, &sql).await.join("")));
        }
        out
    };
    let before = counts(db.clone()).await;
    assert!(before.contains(&("tasks", "164".to_owned())), "{before:?}");
    let second = xietong::demo::load(&db, None).await.expect("the demo again");
    assert!(
        second.credentials.iter().all(|c| c.secret.is_none()),
        "no password is changed"
    );
    assert_eq!(counts(db.clone()).await, before);
}
