//! The bulletin (季通报) over the demo's 渝中区·巫溪县 list, with approved
//! third-quarter figures worked out below from the list's own words: the
//! workbook's figures, progress, late units and lagging tasks are read back
//! cell by cell, its charts are there and point at the figures, the CSV is
//! the figures table, and who may read which bulletin is checked.

use std::io::Read;

use serde_json::json;
use xietong::domain::values::Role;

use crate::common::{assert_problem, xlsx_sheets};
use crate::figures::{approved_report, demo_on, get, issued, target_of, task_with, text};

/// The chart parts of a workbook, each one's XML.
fn charts(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.to_string())
        .filter(|n| n.starts_with("xl/charts/chart"))
        .collect();
    let mut out = Vec::new();
    for name in names {
        let mut xml = String::new();
        archive
            .by_name(&name)
            .expect("a chart")
            .read_to_string(&mut xml)
            .expect("its XML");
        out.push(xml);
    }
    out
}

#[tokio::test]
async fn the_quarter_bulletin_tells_the_figures_progress_and_what_lags() {
    let (app, admin) = demo_on("2025-10-12").await;
    // Task 1: 力争实际到位资金5000万元以上; by the end of September 0.32亿元.
    let funds = task_with(&app, &admin, "实际到位资金5000万元").await;
    issued(&app, &admin, funds["plan_id"].as_str().expect("a plan")).await;
    let target = target_of(&funds, "investment_funds")["id"].clone();
    approved_report(
        &app,
        &admin,
        &funds,
        "2025-Q3",
        json!([{"target_id": target, "actual": "0.32", "unit": "亿元"}]),
    )
    .await;
    // Task 7: 就业培训不少于300人次; 180 by September.
    let training = task_with(&app, &admin, "就业培训不少于300人次").await;
    let target = target_of(&training, "trainees")["id"].clone();
    approved_report(
        &app,
        &admin,
        &training,
        "2025-Q3",
        json!([{"target_id": target, "actual": "180"}]),
    )
    .await;

    let answer = app
        .as_bearer(&admin, "GET", "/api/v1/bulletins?period=2025-Q3&on=2025-10-12", None)
        .await;
    assert_eq!(answer.status, 200, "{}", text(&answer));
    assert_eq!(
        answer.header("content-disposition"),
        Some("attachment; filename=\"bulletin-2025-Q3.xlsx\"; filename*=UTF-8''bulletin-2025-Q3.xlsx")
    );
    let book = xlsx_sheets(&answer.body);
    let names: Vec<&str> = book.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["指标完成", "任务进度", "逾期未报", "滞后任务", "图表"]);

    let (figures, merged) = (&book[0].1, &book[0].2);
    assert_eq!(figures[0][0], "全市对口协同发展2025年第三季度工作通报");
    assert_eq!(
        figures[1][0],
        "数据截至2025年9月30日（已审核报告）；逾期未报截至2025年10月12日，亮灯为今日"
    );
    assert_eq!(figures[2], ["指标", "单位", "结对", "目标", "完成", "完成率(%)"]);
    let rows_of = |metric: &str| -> Vec<Vec<String>> {
        let at = figures
            .iter()
            .position(|r| r[0] == metric)
            .unwrap_or_else(|| panic!("no {metric} in {figures:?}"));
        figures[at..at + 2].to_vec()
    };
    // 0.32亿元 is 3200万元: 64 % of 5000万元; the pairing and the total agree,
    // the metric and its unit merged over both rows.
    assert_eq!(
        rows_of("实际到位资金"),
        [
            ["实际到位资金", "万元", "渝中区·巫溪县", "5000", "3200", "64"],
            ["", "", "合计", "5000", "3200", "64"]
        ]
    );
    let funds_row = figures.iter().position(|r| r[0] == "实际到位资金").expect("a row") as u32;
    assert!(merged.contains(&(funds_row, 0, funds_row + 1, 0)) && merged.contains(&(funds_row, 1, funds_row + 1, 1)));
    // 180 of 300人次: 60 %.
    let trainees = rows_of("就业培训");
    assert_eq!(trainees[0][1..], ["人次", "渝中区·巫溪县", "300", "180", "60"]);
    // 互派交流医务人员10名以上: a target, nothing approved yet: 0 %.
    let medical = figures
        .iter()
        .find(|r| r[3] == "10" && r[2] == "渝中区·巫溪县")
        .expect("the medical exchange");
    assert_eq!(medical[4..], ["0", "0"]);
    // 涪陵区's own plan (到位资金230亿元) is not a pairing's list: not here.
    assert!(
        figures.iter().all(|r| r[3] != "2300000" && r[3] != "2305000"),
        "{figures:?}"
    );

    // 16 tasks on the list, none completed.
    let progress = &book[1].1;
    assert_eq!(
        progress[1],
        [
            "结对",
            "任务数",
            "已完成",
            "推进中",
            "未启动",
            "已取消",
            "逾期",
            "完成率(%)"
        ]
    );
    assert_eq!(progress[2][..3], ["渝中区·巫溪县", "16", "0"]);
    assert_eq!(progress[3][..3], ["合计", "16", "0"]);
    assert_eq!(progress[3][7], "0");

    // A pairing's list owes the year's report by 11-20: nothing is late on
    // 10-12 (涪陵区's own plan, quarterly, is not a pairing's list).
    let late = &book[2].1;
    assert_eq!(late[1][0], "截至2025年10月12日，0个单位0份报告逾期未报");
    assert_eq!(late.len(), 3, "the title, the day and the header: {late:?}");

    // Lagging tasks: those lit red or yellow today, red first; the same as
    // the task list answers for each colour.
    let lagging = &book[3].1;
    assert_eq!(
        lagging[1],
        ["亮灯", "结对", "序号", "任务", "牵头单位", "完成时限", "原因"]
    );
    let red = get(&app, &admin, "/api/v1/tasks?light=red&year=2025&limit=200").await;
    let yellow = get(&app, &admin, "/api/v1/tasks?light=yellow&year=2025&limit=200").await;
    let pairing_only = |page: &serde_json::Value| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|t| t["plan_id"] == funds["plan_id"])
            .count()
    };
    let (reds, yellows) = (pairing_only(&red), pairing_only(&yellow));
    assert_eq!(lagging.len() - 2, reds + yellows);
    assert!(
        lagging[2..reds + 2]
            .iter()
            .all(|r| r[0] == "红灯" && r[1] == "渝中区·巫溪县")
    );
    assert!(lagging[reds + 2..].iter().all(|r| r[0] == "黄灯" && !r[6].is_empty()));

    // The charts: the share of tasks completed per pairing, and one per
    // metric with figures, its target and actual from the figures sheet.
    let parts = charts(&answer.body);
    let speaking = figures.iter().filter(|r| r[2] == "合计").count();
    assert_eq!(parts.len(), 1 + speaking, "{speaking} metrics");
    assert!(
        parts
            .iter()
            .any(|x| x.contains("各结对任务完成率（%）") && x.contains("任务进度"))
    );
    let funds_chart = parts
        .iter()
        .find(|x| x.contains("实际到位资金：目标与完成（万元）"))
        .expect("the funds chart");
    assert!(
        funds_chart.contains("<c:barChart>") && funds_chart.contains("指标完成"),
        "{funds_chart}"
    );
    assert_eq!(funds_chart.matches("<c:ser>").count(), 2, "目标 and 完成");

    // Each table prints ruled, as the office's own tables are: every cell
    // from its header to its last row, across its width, boxed in a thin
    // line; the header bold and centred; the lines above the table not.
    let drawn = crate::common::xlsx_drawn(&answer.body);
    for (n, header) in [(0, 2), (1, 1), (2, 2), (3, 1)] {
        let (name, cells, _) = &book[n];
        let width = cells[header].len() as u32;
        for r in header..cells.len() {
            for c in 0..width {
                let at = (r as u32, c);
                let cell = drawn[n].get(&at).copied().unwrap_or_default();
                assert!(cell.boxed, "{name}: cell {at:?} has no box");
                assert_eq!(
                    cell.bold && cell.centred,
                    r == header,
                    "{name}: cell {at:?} is {cell:?}"
                );
            }
        }
        assert!(
            (0..header).all(|r| !drawn[n][&(r as u32, 0)].boxed),
            "{name}: the lines above"
        );
    }

    // The CSV is the figures table.
    let csv = app
        .as_bearer(
            &admin,
            "GET",
            "/api/v1/bulletins?period=2025-Q3&on=2025-10-12&format=csv",
            None,
        )
        .await;
    let csv = String::from_utf8(csv.body.to_vec()).expect("UTF-8");
    assert!(csv.contains("实际到位资金,万元,渝中区·巫溪县,5000,3200,64"), "{csv}");
    assert!(csv.contains(",,合计,5000,3200,64"), "{csv}");

    // A pairing's bulletin says the same of its pairing; 涪陵区's own
    // bulletin has no pairing list of 2025.
    let pairing = funds["plan_id"].as_str().expect("a plan");
    let plan = get(&app, &admin, &format!("/api/v1/plans/{pairing}")).await;
    let of_pairing = app
        .as_bearer(
            &admin,
            "GET",
            &format!(
                "/api/v1/bulletins?period=2025-Q3&on=2025-10-12&format=csv&pairing_id={}",
                plan["pairing_id"].as_str().expect("a pairing")
            ),
            None,
        )
        .await;
    let of_pairing = String::from_utf8(of_pairing.body.to_vec()).expect("UTF-8");
    assert!(
        of_pairing.starts_with("\u{feff}渝中区·巫溪县对口协同发展2025年第三季度工作通报"),
        "{of_pairing}"
    );
    assert!(of_pairing.contains("实际到位资金,万元,渝中区·巫溪县,5000,3200,64"));
}

#[tokio::test]
async fn the_offices_read_bulletins_within_their_scope() {
    let (app, admin) = demo_on("2025-10-12").await;
    let regions = get(&app, &admin, "/api/v1/regions?limit=200").await;
    let id_of = |name: &str| {
        regions["items"]
            .as_array()
            .expect("regions")
            .iter()
            .find(|r| r["name"] == name)
            .and_then(|r| r["id"].as_str())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    };
    let (yuzhong, fuling) = (id_of("渝中区"), id_of("涪陵区"));
    let units = get(&app, &admin, &format!("/api/v1/units?region_id={yuzhong}&limit=1")).await;
    let unit = units["items"][0]["id"]
        .as_str()
        .expect("a unit of 渝中区")
        .parse()
        .expect("an id");
    app.user("bulletin-yz", Role::Coordinator, Some(unit)).await;
    app.user("bulletin-unit", Role::UnitUser, Some(unit)).await;
    app.user("bulletin-viewer", Role::Viewer, None).await;
    let coordinator = app.bearer("bulletin-yz").await;

    // A coordinator's city bulletin is its region's.
    let own = app
        .as_bearer(&coordinator, "GET", "/api/v1/bulletins?period=2025-Q3&format=csv", None)
        .await;
    assert_eq!(own.status, 200, "{}", text(&own));
    assert!(String::from_utf8_lossy(&own.body).contains("渝中区对口协同发展2025年第三季度工作通报"));
    let other = app
        .as_bearer(
            &coordinator,
            "GET",
            &format!("/api/v1/bulletins?period=2025-Q3&region_id={fuling}"),
            None,
        )
        .await;
    assert_problem(&other, 403, "FORBIDDEN");
    let unit_user = app.bearer("bulletin-unit").await;
    assert_problem(
        &app.as_bearer(&unit_user, "GET", "/api/v1/bulletins?period=2025-Q3", None)
            .await,
        403,
        "FORBIDDEN",
    );
    let viewer = app.bearer("bulletin-viewer").await;
    let any = app
        .as_bearer(
            &viewer,
            "GET",
            &format!("/api/v1/bulletins?period=2025-Q3&region_id={fuling}&format=csv"),
            None,
        )
        .await;
    assert_eq!(any.status, 200);
    assert!(String::from_utf8_lossy(&any.body).contains("涪陵区对口协同发展2025年第三季度工作通报"));

    // Bad input names its field.
    for (query, field) in [
        ("period=2025-Q5", "period"),
        ("", "period"),
        ("period=2025-Q3&format=pdf", "format"),
    ] {
        let refused = app
            .as_bearer(&admin, "GET", &format!("/api/v1/bulletins?{query}"), None)
            .await;
        assert!(
            refused.status == 422 || refused.status == 400,
            "{query}: {}",
            text(&refused)
        );
        assert!(text(&refused).contains(field), "{query}: {}", text(&refused));
    }
    let both = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/bulletins?period=2025-Q3&region_id={fuling}&pairing_id={fuling}"),
            None,
        )
        .await;
    assert_problem(&both, 422, "VALIDATION_FAILED");
    let unknown = app
        .as_bearer(
            &admin,
            "GET",
            "/api/v1/bulletins?period=2025-Q3&region_id=00000000-0000-4000-8000-000000000000",
            None,
        )
        .await;
    assert_problem(&unknown, 422, "VALIDATION_FAILED");
    assert!(text(&unknown).contains("region_id"), "{}", text(&unknown));
    assert_problem(
        &app.get("/api/v1/bulletins?period=2025-Q3").await,
        401,
        "UNAUTHENTICATED",
    );
}
