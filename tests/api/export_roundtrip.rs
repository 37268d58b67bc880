//! Export → import round trips: what an export writes, the import reads
//! back into the same tasks, units and targets; XLSX and CSV.

use crate::common::TestDb;
use sea_orm::DatabaseConnection;
use xietong::documents::export::{self, Format};
use xietong::documents::tasks::{self, Owner, TaskImport};
use xietong::domain::Caller;
use xietong::domain::page::PageRequest;
use xietong::domain::task::{self, TaskFilter};

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

/// What must survive a round trip, per task.
fn essence(tasks: &[task::Task]) -> Vec<String> {
    let mut out: Vec<String> = tasks
        .iter()
        .map(|t| {
            let units: Vec<String> = t
                .assignments
                .iter()
                .map(|a| format!("{}:{}:{:?}", a.name, a.role, a.side.map(|s| s.as_str())))
                .collect();
            let targets: Vec<String> = t
                .targets
                .iter()
                .map(|x| {
                    format!(
                        "{} {:?} {:?} {} {:?}",
                        x.comparator,
                        x.value.map(|v| v.to_string()),
                        x.value_max.map(|m| m.to_string()),
                        x.unit,
                        x.metric
                    )
                })
                .collect();
            format!(
                "{:?}|{}|{:?}|{}|{}|{:?}|{}|{}",
                t.section,
                t.seq,
                t.category,
                t.content,
                t.deadline,
                t.leaders,
                units.join(","),
                targets.join(",")
            )
        })
        .collect();
    out.sort();
    out
}

async fn plan_titled(db: &DatabaseConnection, title: &str) -> uuid::Uuid {
    let all = xietong::domain::plan::list(db, &Caller::system(), Default::default(), None, &PageRequest::default())
        .await
        .expect("plans");
    all.items.into_iter().find(|p| p.title == title).expect("the plan").id
}

async fn round_trip(format: Format, fixture_plan: &str) {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    xietong::demo::load(&db, Some("demo-password")).await.expect("the demo");
    let original = plan_titled(&db, fixture_plan).await;
    let plan = xietong::domain::plan::get(&db, &Caller::system(), original)
        .await
        .expect("the plan");
    let bytes = export::export(&db, &Caller::system(), original, format)
        .await
        .expect("the export");
    let owner = match (plan.pairing_id, plan.region_id) {
        (Some(pairing_id), _) => {
            let p = xietong::domain::pairing::get(&db, &Caller::system(), pairing_id)
                .await
                .expect("pairing");
            Owner::Pairing {
                helper: p.helper_region_id,
                recipient: p.recipient_region_id,
            }
        }
        (None, Some(region)) => Owner::Region(region),
        _ => unreachable!("a plan has an owner"),
    };
    let options = TaskImport {
        year: plan.year,
        title: format!("{} (re-imported)", plan.title),
        owner,
        issuer: None,
        doc_number: None,
        issued_on: None,
        create_missing_units: false,
        aliases: vec![],
        dry_run: false,
    };
    let report = tasks::import(&db, &Caller::system(), &bytes, &options)
        .await
        .expect("the import");
    assert!(report.ok, "{:?}", report.problems);
    assert!(
        report.units_created.is_empty(),
        "every unit resolves: {:?}",
        report.units_created
    );
    let before = essence(&tasks_of(&db, original).await);
    let after = essence(&tasks_of(&db, report.plan_id.expect("a plan")).await);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a);
    }
}

#[tokio::test]
async fn a_pairing_plan_round_trips_through_xlsx() {
    round_trip(Format::Xlsx, xietong::demo::YUZHONG_WUXI_TITLE).await;
}

#[tokio::test]
async fn a_pairing_plan_round_trips_through_csv() {
    round_trip(Format::Csv, xietong::demo::YUZHONG_WUXI_TITLE).await;
}

#[tokio::test]
async fn a_region_plan_with_sections_and_groups_round_trips_through_xlsx() {
    round_trip(Format::Xlsx, xietong::demo::FULING_TITLE).await;
}

#[tokio::test]
async fn the_export_carries_the_latest_approved_progress() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    xietong::demo::load(&db, Some("demo-password")).await.expect("the demo");
    let plan = plan_titled(&db, xietong::demo::YUZHONG_WUXI_TITLE).await;
    let first = tasks_of(&db, plan).await.remove(0);
    let lead = first.assignments[0].unit_id.expect("a lead unit");
    let system = Caller::system();
    let made = xietong::domain::report::create(
        &db,
        &system,
        xietong::domain::report::NewReport {
            task_id: first.id,
            unit_id: Some(lead),
            period: xietong::domain::values::ReportPeriod::parse("2025-Q3").expect("period"),
            consolidated: true,
            text: "已引进项目2个".into(),
            values: vec![xietong::domain::report::ValueInput {
                target_id: first.targets[1].id,
                actual: xietong::domain::values::Amount::parse("5200.5").expect("amount"),
                unit: None,
            }],
            external_id: None,
        },
    )
    .await
    .expect("a report");
    for step in [
        xietong::domain::report::Transition::Submit,
        xietong::domain::report::Transition::Approve,
    ] {
        xietong::domain::report::transition(&db, &system, made.id, None, step)
            .await
            .expect("a step");
    }
    let rows = export::rows(&db, &system, plan).await.expect("rows");
    let header = &rows[0];
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    assert_eq!(rows[1][at("最新进展")], "2025-Q3：已引进项目2个");
    assert_eq!(rows[1][at("年度累计完成")], "5200.5万元");
    assert_eq!(rows[2][at("最新进展")], "");
    // The document's own headers, in its order, then the progress.
    assert_eq!(
        header[..],
        [
            "序号",
            "协同发展事项",
            "具体任务",
            "巫溪县牵头责任单位",
            "渝中区牵头责任单位",
            "完成情况",
            "最新进展",
            "年度累计完成"
        ]
    );
}

/// 涪陵区's document opens with its 主要预期目标, then 主要工作任务, then
/// 政府自身建设: the export keeps that order, as the fixture writes it.
#[tokio::test]
async fn a_plans_sections_are_exported_in_the_documents_order() {
    let path = format!(
        "{}/../shared/fixtures/fuling-2025-work-report-tasks.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = csv::Reader::from_path(path).expect("the fixture");
    let mut expected: Vec<(String, usize)> = Vec::new();
    for row in reader.records() {
        let section = row.expect("a row")[0].to_owned();
        match expected.last_mut() {
            Some((last, n)) if *last == section => *n += 1,
            _ => expected.push((section, 1)),
        }
    }
    assert_eq!(expected.len(), 3, "{expected:?}");
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    xietong::demo::load(&db, Some("demo-password")).await.expect("the demo");
    let plan = plan_titled(&db, xietong::demo::FULING_TITLE).await;
    let rows = export::rows(&db, &Caller::system(), plan).await.expect("the rows");
    let column = rows[0].iter().position(|h| h == "部分").expect("a 部分 column");
    let mut got: Vec<(String, usize)> = Vec::new();
    for row in &rows[1..] {
        let section = row[column].clone();
        match got.last_mut() {
            Some((last, n)) if *last == section => *n += 1,
            _ => got.push((section, 1)),
        }
    }
    assert_eq!(got, expected);
}

/// A fixture's header and rows, as written.
fn fixture_table(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(path).expect("the fixture");
    let header = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The demo's plan titled `title` exported as XLSX.
async fn demo_plan_xlsx(title: &str) -> Vec<u8> {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    xietong::demo::load(&db, Some("demo-password")).await.expect("the demo");
    let plan = plan_titled(&db, title).await;
    export::export(&db, &Caller::system(), plan, Format::Xlsx)
        .await
        .expect("the export")
}

/// The demo's plan titled `title` exported as XLSX: its first sheet's
/// cells and merged ranges.
async fn exported_demo_plan(title: &str) -> (Vec<Vec<String>>, Vec<crate::common::Merged>) {
    crate::common::xlsx_sheet(&demo_plan_xlsx(title).await)
}

/// 渝中区·巫溪县's list exported as the document reads: its title and its
/// document number above the table, the fixture's own five headers, every
/// cell of the fixture as written (the units of each side in their own
/// column, blank where the fixture leaves them blank), each 协同发展事项
/// merged over its tasks exactly where the fixture leaves the cells blank,
/// then the three progress columns.
#[tokio::test]
async fn the_pairing_list_exports_as_the_document_lays_it_out() {
    let (header, fixture) = fixture_table("yuzhong-wuxi-2025-tasks.csv");
    assert_eq!(fixture.len(), 16);
    // Where the fixture starts a category and how far its blanks run.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, row) in fixture.iter().enumerate() {
        if row[1].is_empty() {
            if let Some(run) = runs.last_mut() {
                run.1 = i;
            }
        } else {
            runs.push((i, i));
        }
    }
    let runs: Vec<(usize, usize)> = runs.into_iter().filter(|(a, b)| b > a).collect();
    assert!(!runs.is_empty());

    let (cells, merged) = exported_demo_plan(xietong::demo::YUZHONG_WUXI_TITLE).await;
    assert_eq!(cells[0][0], xietong::demo::YUZHONG_WUXI_TITLE);
    assert!(cells[1][0].contains("巫溪府发〔2025〕20号"), "{}", cells[1][0]);
    let mut expected_header = header.clone();
    expected_header.extend(["完成情况", "最新进展", "年度累计完成"].map(str::to_owned));
    assert_eq!(cells[2], expected_header);
    assert_eq!(cells.len(), 3 + 16);
    for (i, row) in fixture.iter().enumerate() {
        assert_eq!(cells[3 + i][..5], row[..], "row {} of the fixture", i + 2);
    }
    // The two lines above run across the table's width.
    let width = expected_header.len() as u32;
    let mut expected = vec![(0, 0, 0, width - 1), (1, 0, 1, width - 1)];
    expected.extend(runs.iter().map(|(a, b)| (3 + *a as u32, 1, 3 + *b as u32, 1)));
    expected.sort_unstable();
    assert_eq!(merged, expected);
}

/// The list prints as the document's table does: every cell from the
/// header to the last task, in every column, boxed in a thin line, blank
/// and merged cells too (16 tasks and a header, eight columns: 136 cells);
/// the header bold and centred; the title and the document number above
/// stand free of the ruling.
#[tokio::test]
async fn the_exported_list_is_ruled_as_a_printed_table() {
    let bytes = demo_plan_xlsx(xietong::demo::YUZHONG_WUXI_TITLE).await;
    let drawn = crate::common::xlsx_drawn(&bytes).remove(0);
    let table: Vec<(u32, u32)> = (2..2 + 1 + 16).flat_map(|r| (0..8).map(move |c| (r, c))).collect();
    assert_eq!(table.len(), 136);
    let unruled: Vec<&(u32, u32)> = table
        .iter()
        .filter(|at| !drawn.get(at).is_some_and(|d| d.boxed))
        .collect();
    assert!(unruled.is_empty(), "cells without their box: {unruled:?}");
    for c in 0..8 {
        let header = drawn[&(2, c)];
        assert!(header.bold && header.centred, "header cell {c}: {header:?}");
        assert!(!drawn[&(3, c)].bold, "a task's cell is not bold");
    }
    assert!(
        !drawn[&(0, 0)].boxed && !drawn[&(1, 0)].boxed,
        "the lines above are not in the table"
    );
    assert!(!drawn.contains_key(&(19, 0)), "nothing is drawn below the last task");
}

/// The unit pairing table exports a row per 序号 as the fixture writes it
/// (32 rows for 36 pairings), and its export reads back through the import
/// as pairings already there, every one.
#[tokio::test]
async fn the_unit_pairing_table_exports_as_written_and_reads_back() {
    let path = format!(
        "{}/../shared/fixtures/yuzhong-wuxi-2025-unit-pairs.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Vec<csv::StringRecord> = csv::Reader::from_path(path)
        .expect("the fixture")
        .records()
        .map(|r| r.expect("a row"))
        .collect();
    let pairs: usize = fixture
        .iter()
        .map(|r| r[1].split('、').count() * r[2].split('、').count())
        .sum();
    let app = crate::common::TestApp::spawn().await;
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    app.user("export-admin", xietong::domain::values::Role::Admin, None)
        .await;
    let admin = app.bearer("export-admin").await;
    // Every unit pairing of the demo is 渝中区·巫溪县's.
    let listed = app
        .as_bearer(&admin, "GET", "/api/v1/unit-pairings?limit=200", None)
        .await
        .json();
    let pairing_id = listed["items"][0]["pairing_id"].as_str().expect("a pairing").to_owned();
    assert_eq!(listed["total_count"], pairs as u64);
    let exported = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/pairings/{pairing_id}/unit-pairings/export?format=csv"),
            None,
        )
        .await;
    assert_eq!(exported.status, 200, "{}", String::from_utf8_lossy(&exported.body));
    let text = String::from_utf8_lossy(&exported.body)
        .trim_start_matches('\u{feff}')
        .to_owned();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a row"))
        .collect();
    assert_eq!(rows.len(), fixture.len());
    for (got, want) in rows.iter().zip(&fixture) {
        assert_eq!(&got[0], &want[0], "序号");
        assert_eq!(
            got[1].split('、').count(),
            want[1].split('、').count(),
            "{got:?} / {want:?}"
        );
        assert_eq!(
            got[2].split('、').count(),
            want[2].split('、').count(),
            "{got:?} / {want:?}"
        );
    }
    let boundary = "unit-pairs-7d1e";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"pairing_id\"\r\n\r\n{pairing_id}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\ntrue\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pairs.csv\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    let again = app
        .request_raw(
            "POST",
            "/api/v1/imports/unit-pairs",
            body,
            &format!("multipart/form-data; boundary={boundary}"),
            &[("authorization", admin.as_str())],
        )
        .await;
    assert_eq!(again.status, 200, "{}", String::from_utf8_lossy(&again.body));
    let report = again.json();
    assert_eq!(
        (report["created"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(pairs as u64))
    );
}

/// A chronicle (大事记) exported as its document — title above, a row per
/// amount, an event's date, title and description merged over its rows —
/// reads back through the chronicle import into another pairing as the same
/// events, in XLSX and in CSV; read into its own pairing again it adds nothing.
#[tokio::test]
async fn the_chronicle_exports_as_its_document_and_reads_back_unchanged() {
    use crate::common::{TestApp, seed, xlsx_sheet};
    use serde_json::{Value, json};
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let events = [
        json!({"pairing_id": p.pairing, "occurred_on": "2025-06-18", "title": "渝中区向巫溪县购买森林面积指标",
               "description": "两区县签订森林面积指标购买协议",
               "amounts": [{"value": "8.46", "unit": "万亩", "label": "森林面积指标"},
                           {"value": "21150", "unit": "万元", "label": "交易金额"}]}),
        json!({"pairing_id": p.pairing, "occurred_on": "2025-03-01", "title": "召开2025年对口协同发展联席会议"}),
        json!({"pairing_id": p.pairing, "occurred_on": "2025-09-10", "title": "渝中区企业赴巫溪县考察",
               "amounts": [{"value": "12", "unit": "家"}]}),
    ];
    for body in &events {
        let made = app.as_bearer(&admin, "POST", "/api/v1/events", Some(body)).await;
        assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    }
    let path = format!("/api/v1/events/export?pairing_id={}", p.pairing);
    let xlsx = app.as_bearer(&admin, "GET", &path, None).await;
    assert_eq!(xlsx.status, 200, "{}", String::from_utf8_lossy(&xlsx.body));
    let (cells, merged) = xlsx_sheet(&xlsx.body);
    assert_eq!(cells[0][0], "渝中区·巫溪县对口协同发展大事记");
    assert_eq!(cells[1], ["日期", "事项", "内容", "数额", "单位", "名目"]);
    assert_eq!(
        cells[2],
        ["2025-03-01", "召开2025年对口协同发展联席会议", "", "", "", ""]
    );
    assert_eq!(
        cells[3],
        [
            "2025-06-18",
            "渝中区向巫溪县购买森林面积指标",
            "两区县签订森林面积指标购买协议",
            "8.46",
            "万亩",
            "森林面积指标"
        ]
    );
    assert_eq!(cells[4], ["", "", "", "21150", "万元", "交易金额"]);
    assert_eq!(cells[5], ["2025-09-10", "渝中区企业赴巫溪县考察", "", "12", "家", ""]);
    assert_eq!(cells.len(), 6);
    assert_eq!(merged, [(0, 0, 0, 5), (3, 0, 4, 0), (3, 1, 4, 1), (3, 2, 4, 2)]);
    let csv = app
        .as_bearer(&admin, "GET", &format!("{path}&format=csv"), None)
        .await
        .body
        .to_vec();

    // Another pairing of the same regions' neighbours reads each file back.
    let essence = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| {
                format!(
                    "{}|{}|{}|{}",
                    e["occurred_on"], e["title"], e["description"], e["amounts"]
                )
            })
            .collect()
    };
    let original = essence(
        &app.as_bearer(&admin, "GET", &format!("/api/v1/events?pairing_id={}", p.pairing), None)
            .await
            .json(),
    );
    assert_eq!(original.len(), 3);
    for (file, name, code) in [
        (xlsx.body.to_vec(), "大事记.xlsx", "500240"),
        (csv, "大事记.csv", "500241"),
    ] {
        let other = seed::region(
            &app.db,
            Some(code),
            &format!("县{code}"),
            xietong::domain::values::RegionKind::County,
            None,
        )
        .await;
        let pairing = xietong::domain::pairing::create(
            &app.db,
            &xietong::domain::Caller::system(),
            xietong::domain::pairing::PairingInput {
                helper_region_id: p.helper,
                recipient_region_id: other,
                co_helper_region_ids: vec![],
                start_year: Some(2025),
                status: xietong::domain::values::PairingStatus::Active,
                note: None,
                documents: vec![],
            },
        )
        .await
        .expect("another pairing")
        .id;
        let imported = import_events(&app, &admin, pairing, name, &file).await;
        assert_eq!(
            imported.status,
            201,
            "{name}: {}",
            String::from_utf8_lossy(&imported.body)
        );
        assert_eq!(imported.json()["created"], 3, "{name}");
        let read = essence(
            &app.as_bearer(&admin, "GET", &format!("/api/v1/events?pairing_id={pairing}"), None)
                .await
                .json(),
        );
        assert_eq!(read, original, "{name}: the same events");
    }
    let again = import_events(&app, &admin, p.pairing, "大事记.xlsx", &xlsx.body).await;
    assert_eq!(
        (again.json()["created"].as_u64(), again.json()["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
}

async fn import_events(
    app: &crate::common::TestApp,
    bearer: &str,
    pairing: uuid::Uuid,
    name: &str,
    file: &[u8],
) -> crate::common::TestResponse {
    let boundary = "xietong-chronicle-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"pairing_id\"\r\n\r\n{pairing}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.request_raw(
        "POST",
        "/api/v1/imports/events",
        body,
        &format!("multipart/form-data; boundary={boundary}"),
        &[("authorization", bearer)],
    )
    .await
}

/// 涪陵区's breakdown exported as its document: its own headers in its own
/// order (部分, 分类, 序号, 任务内容, 牵头领导, 牵头责任单位, 责任（配合）单位),
/// every cell as the fixture writes it — lead units one per line, 有关镇街
/// and 区级各部门单位 as written, not as they resolved — each 分类 merged
/// over its tasks within its section, then the progress columns; and the
/// import reads it back (a_region_plan_with_sections_and_groups_round_trips_through_xlsx).
#[tokio::test]
async fn the_fuling_breakdown_exports_cell_by_cell_as_its_document() {
    let (header, fixture) = fixture_table("fuling-2025-work-report-tasks.csv");
    assert_eq!(fixture.len(), 148);
    // A category continues the row above's within its section: merged.
    let continues = |i: usize| i > 0 && fixture[i][0] == fixture[i - 1][0] && fixture[i][1] == fixture[i - 1][1];
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, row) in fixture.iter().enumerate() {
        if continues(i) && !row[1].is_empty() {
            match runs.last_mut() {
                Some(run) if run.1 == i - 1 => run.1 = i,
                _ => runs.push((i - 1, i)),
            }
        }
    }
    assert_eq!(runs.len(), 9, "{runs:?}");

    let (cells, merged) = exported_demo_plan(xietong::demo::FULING_TITLE).await;
    assert_eq!(cells[0][0], xietong::demo::FULING_TITLE);
    assert!(cells[1][0].contains("2025年1月23日印发"), "{}", cells[1][0]);
    let mut expected_header = header.clone();
    expected_header.extend(["完成情况", "最新进展", "年度累计完成"].map(str::to_owned));
    assert_eq!(cells[2], expected_header);
    assert_eq!(cells.len(), 3 + 148);
    for (i, row) in fixture.iter().enumerate() {
        let mut expected = row.clone();
        if continues(i) {
            expected[1] = String::new();
        }
        assert_eq!(cells[3 + i][..7], expected[..], "row {} of the fixture", i + 2);
    }
    let width = expected_header.len() as u32;
    let mut expected_merged = vec![(0, 0, 0, width - 1), (1, 0, 1, width - 1)];
    expected_merged.extend(runs.iter().map(|(a, b)| (3 + *a as u32, 1, 3 + *b as u32, 1)));
    expected_merged.sort_unstable();
    assert_eq!(merged, expected_merged);
}
