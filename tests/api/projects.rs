//! Projects and funds (援建项目, 协同资金): a ledger of two pairings whose
//! figures are worked out below by hand, amounts given in 亿元 and 万元,
//! every status and a cancelled project; as of a day, later milestones and
//! money do not count. Then the rules: money never negative, milestones in
//! order and never in the future, spending beyond allocations.

use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::Caller;
use xietong::domain::pairing::{self, PairingInput};
use xietong::domain::values::{Cluster, PairingStatus, RegionKind, Role, UnitKind};

use crate::common::{TestApp, TestResponse, assert_problem, graphql_code, graphql_data, seed};

fn text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

async fn send(app: &TestApp, bearer: &str, method: &str, path: &str, body: Value) -> Value {
    let response = app.as_bearer(bearer, method, path, Some(&body)).await;
    assert!(
        response.status == 200 || response.status == 201,
        "{method} {path}: {} {}",
        response.status,
        text(&response)
    );
    response.json()
}

async fn get(app: &TestApp, bearer: &str, path: &str) -> Value {
    let response = app.as_bearer(bearer, "GET", path, None).await;
    assert_eq!(response.status, 200, "{path}: {}", text(&response));
    response.json()
}

/// The two pairings, their units and people.
struct Ledger {
    app: TestApp,
    admin: String,
    /// 渝中区·巫溪县.
    a: seed::Pairing,
    /// 南川区·武隆区, with 涪陵区 helping too.
    b: Uuid,
    /// 渝中区's coordinator.
    yz: String,
    /// A user of 县经济信息委, which carries out 巫溪县's projects.
    wx_impl: String,
    /// 涪陵区's coordinator: a co-helper's.
    fl: String,
    /// A user of 武隆区教委, which carries out 武隆区's project.
    wl_impl: String,
    /// 武隆区教委.
    wl_unit: Uuid,
}

async fn ledger() -> Ledger {
    let app = TestApp::spawn_on("2025-07-15").await;
    let a = seed::yuzhong_wuxi(&app.db).await;
    let nanchuan = seed::region(
        &app.db,
        Some("500119"),
        "南川区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let fuling = seed::region(
        &app.db,
        Some("500102"),
        "涪陵区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let wulong = seed::region(
        &app.db,
        Some("500156"),
        "武隆区",
        RegionKind::District,
        Some(Cluster::Southeast),
    )
    .await;
    let b = pairing::create(
        &app.db,
        &Caller::system(),
        PairingInput {
            helper_region_id: nanchuan,
            recipient_region_id: wulong,
            co_helper_region_ids: vec![fuling],
            start_year: Some(2021),
            status: PairingStatus::Active,
            note: None,
            documents: vec![],
        },
    )
    .await
    .expect("南川区·武隆区")
    .id;
    let fl_unit = seed::unit(&app.db, fuling, "区发展改革委", UnitKind::Department).await;
    let wl_unit = seed::unit(&app.db, wulong, "区教委", UnitKind::Department).await;
    app.user("ledger-admin", Role::Admin, None).await;
    app.user("yz-coord", Role::Coordinator, Some(a.helper_unit)).await;
    app.user("wx-impl", Role::UnitUser, Some(a.recipient_unit)).await;
    app.user("fl-coord", Role::Coordinator, Some(fl_unit)).await;
    app.user("wl-impl", Role::UnitUser, Some(wl_unit)).await;
    Ledger {
        admin: app.bearer("ledger-admin").await,
        yz: app.bearer("yz-coord").await,
        wx_impl: app.bearer("wx-impl").await,
        fl: app.bearer("fl-coord").await,
        wl_impl: app.bearer("wl-impl").await,
        app,
        a,
        b,
        wl_unit,
    }
}

impl Ledger {
    async fn project(&self, bearer: &str, body: Value) -> String {
        let made = send(&self.app, bearer, "POST", "/api/v1/projects", body).await;
        made["id"].as_str().expect("id").to_owned()
    }

    async fn milestone(&self, bearer: &str, id: &str, status: &str, on: &str) {
        send(
            &self.app,
            bearer,
            "POST",
            &format!("/api/v1/projects/{id}/milestones"),
            json!({"status": status, "occurred_on": on}),
        )
        .await;
    }

    /// Records money moved: kind, day, amount, source, purpose.
    async fn money(&self, bearer: &str, id: &str, [kind, on, amount, source, purpose]: [&str; 5]) {
        send(
            &self.app,
            bearer,
            "POST",
            &format!("/api/v1/projects/{id}/fund-movements"),
            json!({"kind": kind, "occurred_on": on, "amount": amount, "source": source, "purpose": purpose}),
        )
        .await;
    }
}

/// The ledger of the test, as of 2025-07-15:
///
/// | project | pairing | category | investment | funds | milestones | allocated | spent |
/// |---|---|---|---|---|---|---|---|
/// | A1 中医院康复大楼 | 渝中·巫溪 | medical | 1.2亿元 = 12000 | 3000 | issued 03-01, started 04-10, completed 06-20, accepted 07-10 | 2000 (03-05, helper, 基础设施建设) | 0.15亿元 = 1500 (04-20), 400 (07-12), both 基础设施建设 |
/// | A2 标准厂房 | 渝中·巫溪 | industry | 8000万元 | 2500 | issued 03-15, started 05-01 | 1000 (05-02, helper), 500 (07-01, city), 设备购置 | 600万元 (06-01, 设备购置) |
/// | A3 村级道路 | 渝中·巫溪 | rural | 500 | 500 | issued, no day given: 07-15 | | |
/// | A4 文旅小镇 | 渝中·巫溪 | other | 0.5亿元 = 5000 | 1000 | issued 02-01, cancelled 05-20 | 300 (02-10, 前期工作) | |
/// | B1 学校改扩建 | 南川·武隆 | education | 2.5亿元 = 25000 | 0.8亿元 = 8000 | issued 01-20, started 03-01 | 5000 (02-01, helper), 1000 (03-01, co_helper), 教育设施 | 3500万元 (06-15, 教育设施) |
async fn build(l: &Ledger) -> [String; 5] {
    let a = l.a.pairing;
    let a1 = l
        .project(
            &l.yz,
            json!({"pairing_id": a, "year": 2025, "name": "巫溪县中医院康复大楼建设项目", "category": "medical",
                   "location": "柏杨街道", "implementing_unit_id": l.a.recipient_unit,
                   "helper_lead_unit_id": l.a.helper_unit, "recipient_lead_unit_id": l.a.recipient_unit_2,
                   "investment": "1.2亿元", "pairing_funds": "3000", "issued_on": "2025-03-01"}),
        )
        .await;
    l.money(
        &l.yz,
        &a1,
        ["allocation", "2025-03-05", "2000", "helper", "基础设施建设"],
    )
    .await;
    l.milestone(&l.wx_impl, &a1, "started", "2025-04-10").await;
    l.money(
        &l.wx_impl,
        &a1,
        ["spending", "2025-04-20", "0.15亿元", "helper", "基础设施建设"],
    )
    .await;
    l.milestone(&l.wx_impl, &a1, "completed", "2025-06-20").await;
    l.milestone(&l.wx_impl, &a1, "accepted", "2025-07-10").await;
    l.money(
        &l.wx_impl,
        &a1,
        ["spending", "2025-07-12", "400", "helper", "基础设施建设"],
    )
    .await;

    let a2 = l
        .project(
            &l.yz,
            json!({"pairing_id": a, "year": 2025, "name": "宁河街道产业园标准厂房", "category": "产业",
                   "implementing_unit_id": l.a.recipient_unit, "investment": "8000万元", "pairing_funds": "2500",
                   "issued_on": "2025-03-15"}),
        )
        .await;
    l.milestone(&l.wx_impl, &a2, "started", "2025-05-01").await;
    l.money(&l.yz, &a2, ["allocation", "2025-05-02", "1000", "helper", "设备购置"])
        .await;
    l.money(
        &l.wx_impl,
        &a2,
        ["spending", "2025-06-01", "600万元", "helper", "设备购置"],
    )
    .await;
    l.money(&l.yz, &a2, ["allocation", "2025-07-01", "500", "city", "设备购置"])
        .await;

    let a3 = l
        .project(
            &l.yz,
            json!({"pairing_id": a, "year": 2025, "name": "村级道路硬化", "category": "rural",
                   "implementing_unit_id": l.a.recipient_unit, "investment": "500", "pairing_funds": "500"}),
        )
        .await;

    let a4 = l
        .project(
            &l.yz,
            json!({"pairing_id": a, "year": 2025, "name": "文旅小镇", "category": "other",
                   "implementing_unit_id": l.a.recipient_unit, "investment": "0.5亿元", "pairing_funds": "1000",
                   "issued_on": "2025-02-01"}),
        )
        .await;
    l.money(&l.yz, &a4, ["allocation", "2025-02-10", "300", "helper", "前期工作"])
        .await;
    l.milestone(&l.yz, &a4, "cancelled", "2025-05-20").await;

    // 涪陵区 helps 武隆区 beside 南川区: its coordinator records the project.
    let b1 = l
        .project(
            &l.fl,
            json!({"pairing_id": l.b, "year": 2025, "name": "武隆区学校改扩建", "category": "education",
                   "implementing_unit_id": l.wl_unit, "investment": "2.5亿元", "pairing_funds": "0.8亿元",
                   "issued_on": "2025-01-20"}),
        )
        .await;
    l.money(&l.fl, &b1, ["allocation", "2025-02-01", "5000", "helper", "教育设施"])
        .await;
    l.money(
        &l.fl,
        &b1,
        ["allocation", "2025-03-01", "1000", "co_helper", "教育设施"],
    )
    .await;
    l.milestone(&l.wl_impl, &b1, "started", "2025-03-01").await;
    l.money(
        &l.wl_impl,
        &b1,
        ["spending", "2025-06-15", "3500万元", "helper", "教育设施"],
    )
    .await;
    [a1, a2, a3, a4, b1]
}

/// The figures every breakdown shares, in the order of the REST answer.
fn figures(f: &Value) -> (u64, u64, u64, Value, u64, [&str; 4]) {
    (
        f["count"].as_u64().expect("count"),
        f["cancelled"].as_u64().expect("cancelled"),
        f["started"].as_u64().expect("started"),
        f["start_rate"].clone(),
        f["completed"].as_u64().expect("completed"),
        [
            f["investment"].as_str().expect("investment"),
            f["pairing_funds"].as_str().expect("pairing_funds"),
            f["allocated"].as_str().expect("allocated"),
            f["spent"].as_str().expect("spent"),
        ],
    )
}

#[tokio::test]
async fn the_ledgers_figures_are_those_worked_out_by_hand() {
    let l = ledger().await;
    let [a1, _, a3, a4, _] = build(&l).await;
    let app = &l.app;

    // A project reads its money in 万元, converted from 亿元 at the edge.
    let one = get(app, &l.admin, &format!("/api/v1/projects/{a1}")).await;
    assert_eq!(one["investment"], "12000");
    assert_eq!(one["pairing_funds"], "3000");
    assert_eq!(one["allocated"], "2000");
    assert_eq!(one["spent"], "1900");
    assert_eq!(one["status"], "accepted");
    assert_eq!(one["status_since"], "2025-07-10");
    assert_eq!(one["category_name"], "医疗");
    assert_eq!(one["region_id"], json!(l.a.recipient));
    // A3 was issued without a day: it counts from the day it was recorded, and says so.
    let undated = get(app, &l.admin, &format!("/api/v1/projects/{a3}/milestones")).await;
    assert_eq!(undated[0]["occurred_on"], "2025-07-15");
    assert_eq!(undated[0]["dated"], false);
    let cancelled = get(app, &l.admin, &format!("/api/v1/projects/{a4}")).await;
    assert_eq!(cancelled["status"], "cancelled");

    // Today (2025-07-15): A1, A2, A3 and B1 count, A4 is cancelled.
    // started: A1 (accepted), A2, B1 = 3 of 4 = 75.00 %; completed: A1.
    // investment 12000 + 8000 + 500 + 25000 = 45500; funds 3000 + 2500 +
    // 500 + 8000 = 14000; allocated 2000 + 1500 + 6000 = 9500 (A4's 300
    // left out with it); spent 1900 + 600 + 3500 = 6000.
    let today = get(app, &l.admin, "/api/v1/projects/statistics").await;
    assert_eq!(today["as_of"], "2025-07-15");
    assert_eq!(
        figures(&today),
        (4, 1, 3, json!("75.00"), 1, ["45500", "14000", "9500", "6000"])
    );
    // By pairing, by name: 南川区·武隆区 (B1) before 渝中区·巫溪县.
    let by_pairing = today["by_pairing"].as_array().expect("by_pairing");
    assert_eq!(by_pairing.len(), 2);
    assert_eq!(by_pairing[0]["name"], "南川区·武隆区");
    assert_eq!(
        figures(&by_pairing[0]["figures"]),
        (1, 0, 1, json!("100.00"), 0, ["25000", "8000", "6000", "3500"])
    );
    assert_eq!(by_pairing[1]["name"], "渝中区·巫溪县");
    // A1, A2 started of A1, A2, A3: 66.67 %.
    assert_eq!(
        figures(&by_pairing[1]["figures"]),
        (3, 1, 2, json!("66.67"), 1, ["20500", "6000", "3500", "2500"])
    );
    // 涪陵区 helps 武隆区 only beside its main helper: counted once, under 南川区.
    let helpers: Vec<(&str, u64)> = today["by_helper_region"]
        .as_array()
        .expect("by_helper_region")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default(),
                r["figures"]["count"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(helpers, [("南川区", 1), ("渝中区", 3)]);
    // By category, in the catalogue's order.
    let categories: Vec<(&str, u64, u64)> = today["by_category"]
        .as_array()
        .expect("by_category")
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap_or_default(),
                c["figures"]["count"].as_u64().unwrap_or(99),
                c["figures"]["cancelled"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            ("industry", 1, 0),
            ("education", 1, 0),
            ("medical", 1, 0),
            ("rural", 1, 0),
            ("other", 0, 1)
        ]
    );
    assert_eq!(
        today["by_purpose"],
        json!([
            {"purpose": "基础设施建设", "allocated": "2000", "spent": "1900"},
            {"purpose": "教育设施", "allocated": "6000", "spent": "3500"},
            {"purpose": "设备购置", "allocated": "1500", "spent": "600"}
        ])
    );
    assert_eq!(
        today["by_source"],
        json!([
            {"source": "helper", "allocated": "8000", "spent": "6000"},
            {"source": "co_helper", "allocated": "1000", "spent": "0"},
            {"source": "city", "allocated": "500", "spent": "0"}
        ])
    );

    // As of 2025-06-30: A1 is completed (accepted 07-10 is later), A3 not
    // yet recorded; A2's 500 of 07-01 and A1's 400 of 07-12 not yet moved.
    // count A1, A2, B1 = 3, all started (100.00 %); completed A1;
    // investment 45000, funds 13500, allocated 2000 + 1000 + 6000 = 9000,
    // spent 1500 + 600 + 3500 = 5600. The second quarter says the same.
    for query in ["as_of=2025-06-30", "period=2025-Q2"] {
        let then = get(app, &l.admin, &format!("/api/v1/projects/statistics?{query}")).await;
        assert_eq!(then["as_of"], "2025-06-30", "{query}");
        assert_eq!(
            figures(&then),
            (3, 1, 3, json!("100.00"), 1, ["45000", "13500", "9000", "5600"]),
            "{query}"
        );
    }
    // Before anything: nothing, and no rate.
    let before = get(app, &l.admin, "/api/v1/projects/statistics?as_of=2025-01-01").await;
    assert_eq!(figures(&before), (0, 0, 0, Value::Null, 0, ["0", "0", "0", "0"]));
    // Each sees its own: 巫溪县's unit the three of its pairing (and the
    // cancelled one); 武隆区's unit the one.
    let wx = get(app, &l.wx_impl, "/api/v1/projects/statistics").await;
    assert_eq!(
        figures(&wx),
        (3, 1, 2, json!("66.67"), 1, ["20500", "6000", "3500", "2500"])
    );
    let wl = get(app, &l.wl_impl, "/api/v1/projects/statistics").await;
    assert_eq!(wl["count"], 1);
    let of_a = get(
        app,
        &l.admin,
        &format!("/api/v1/projects/statistics?pairing_id={}", l.a.pairing),
    )
    .await;
    assert_eq!(of_a["count"], 3);
    let of_yuzhong = get(
        app,
        &l.admin,
        &format!("/api/v1/projects/statistics?region_id={}", l.a.helper),
    )
    .await;
    assert_eq!(of_yuzhong["count"], 3);

    // GraphQL answers the same.
    let answer = app
        .graphql(
            Some(&l.admin),
            "query { projectStatistics(asOf: \"2025-06-30\") { asOf total { count cancelled started startRate completed investment pairingFunds allocated spent } byPairing { name figures { count } } bySource { key allocated spent } } }",
            json!({}),
        )
        .await;
    let data = &graphql_data(&answer)["projectStatistics"];
    assert_eq!(
        data["total"],
        json!({"count": 3, "cancelled": 1, "started": 3, "startRate": "100.00", "completed": 1,
               "investment": "45000", "pairingFunds": "13500", "allocated": "9000", "spent": "5600"})
    );
    assert_eq!(
        data["byPairing"][1],
        json!({"name": "渝中区·巫溪县", "figures": {"count": 2}})
    );
    assert_eq!(
        data["bySource"][0],
        json!({"key": "helper", "allocated": "8000", "spent": "5600"})
    );
    let answer = app
        .graphql(
            Some(&l.admin),
            "query($id: ID!) { pairing(id: $id) { projects(first: 10) { totalCount nodes { name status investment } } } }",
            json!({"id": l.b}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["pairing"]["projects"],
        json!({"totalCount": 1, "nodes": [{"name": "武隆区学校改扩建", "status": "STARTED", "investment": "25000"}]})
    );
}

#[tokio::test]
async fn the_ledgers_rules_hold_and_bad_input_changes_nothing() {
    let l = ledger().await;
    let app = &l.app;
    let a = l.a.pairing;
    let id = l
        .project(
            &l.yz,
            json!({"pairing_id": a, "year": 2025, "name": "标准厂房", "category": "industry",
                   "implementing_unit_id": l.a.recipient_unit, "investment": "1000", "pairing_funds": "800",
                   "issued_on": "2025-05-01"}),
        )
        .await;
    let path = format!("/api/v1/projects/{id}");
    let base = json!({"pairing_id": a, "year": 2025, "name": "新项目", "category": "industry",
                      "implementing_unit_id": l.a.recipient_unit, "investment": "100", "pairing_funds": "50"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("investment", json!("-5")), "investment"),
        (with("pairing_funds", json!("200")), "pairing_funds"),
        (with("investment", json!("12.5万")), "investment"),
        (with("investment", json!("1.234567891亿元")), "investment"),
        (with("investment", json!("0.5元")), "investment"),
        (with("category", json!("航天")), "category"),
        (with("implementing_unit_id", json!(l.wl_unit)), "implementing_unit_id"),
        (
            with("helper_lead_unit_id", json!(l.a.recipient_unit)),
            "helper_lead_unit_id",
        ),
        (with("issued_on", json!("2025-08-01")), "issued_on"),
        (with("name", json!(" ")), "name"),
        (with("year", json!(1800)), "year"),
    ] {
        let refused = app.as_bearer(&l.yz, "POST", "/api/v1/projects", Some(&body)).await;
        assert!(
            refused.status == 422 || refused.status == 400,
            "{body}: {} {}",
            refused.status,
            text(&refused)
        );
        assert!(text(&refused).contains(field), "{field}: {}", text(&refused));
    }
    let listed = get(app, &l.admin, "/api/v1/projects").await;
    assert_eq!(listed["total_count"], 1);

    // Milestones move on, never back, never before the previous one, never ahead of today.
    let milestones = format!("{path}/milestones");
    let early = app
        .as_bearer(
            &l.wx_impl,
            "POST",
            &milestones,
            Some(&json!({"status": "started", "occurred_on": "2025-04-30"})),
        )
        .await;
    assert_problem(&early, 422, "VALIDATION_FAILED");
    assert!(text(&early).contains("occurred_on"), "{}", text(&early));
    let future = app
        .as_bearer(
            &l.wx_impl,
            "POST",
            &milestones,
            Some(&json!({"status": "started", "occurred_on": "2025-07-16"})),
        )
        .await;
    assert_problem(&future, 422, "VALIDATION_FAILED");
    l.milestone(&l.wx_impl, &id, "completed", "2025-06-01").await;
    let back = app
        .as_bearer(
            &l.wx_impl,
            "POST",
            &milestones,
            Some(&json!({"status": "started", "occurred_on": "2025-06-02"})),
        )
        .await;
    assert_problem(&back, 409, "CONFLICT");
    let unknown = app
        .as_bearer(&l.wx_impl, "POST", &milestones, Some(&json!({"status": "finished"})))
        .await;
    assert_eq!(unknown.status, 422, "{}", text(&unknown));
    // The implementing unit does not cancel; a coordinator does.
    let cancel = app
        .as_bearer(&l.wx_impl, "POST", &milestones, Some(&json!({"status": "cancelled"})))
        .await;
    assert_problem(&cancel, 403, "FORBIDDEN");

    // Money: never negative nor zero; spending within the allocations
    // unless a coordinator says why.
    let money = format!("{path}/fund-movements");
    let moved = |kind: &str, amount: &str, reason: Option<&str>| {
        let mut body = json!({"kind": kind, "occurred_on": "2025-06-10", "amount": amount, "source": "helper", "purpose": "设备购置"});
        if let Some(r) = reason {
            body["reason"] = json!(r);
        }
        body
    };
    for amount in ["0", "-100"] {
        let refused = app
            .as_bearer(&l.yz, "POST", &money, Some(&moved("allocation", amount, None)))
            .await;
        assert!(refused.status == 422, "{amount}: {} {}", refused.status, text(&refused));
        assert!(text(&refused).contains("amount"), "{}", text(&refused));
    }
    l.money(&l.yz, &id, ["allocation", "2025-06-01", "300", "helper", "设备购置"])
        .await;
    let by_unit = app
        .as_bearer(&l.wx_impl, "POST", &money, Some(&moved("spending", "301", None)))
        .await;
    assert_problem(&by_unit, 409, "CONFLICT");
    assert!(text(&by_unit).contains("300"), "{}", text(&by_unit));
    let unit_allocates = app
        .as_bearer(&l.wx_impl, "POST", &money, Some(&moved("allocation", "10", None)))
        .await;
    assert_problem(&unit_allocates, 403, "FORBIDDEN");
    let no_reason = app
        .as_bearer(&l.yz, "POST", &money, Some(&moved("spending", "301", None)))
        .await;
    assert_problem(&no_reason, 422, "VALIDATION_FAILED");
    assert!(text(&no_reason).contains("reason"), "{}", text(&no_reason));
    let before = get(app, &l.admin, &path).await;
    assert_eq!(
        (before["allocated"].as_str(), before["spent"].as_str()),
        (Some("300"), Some("0"))
    );
    send(app, &l.wx_impl, "POST", &money, moved("spending", "300", None)).await;
    let over = send(
        app,
        &l.yz,
        "POST",
        &money,
        moved("spending", "0.0001亿元", Some("垫付材料款，下月拨付")),
    )
    .await;
    assert_eq!(over["amount"], "1");
    assert_eq!(over["reason"], "垫付材料款，下月拨付");
    let after = get(app, &l.admin, &path).await;
    assert_eq!(
        (after["allocated"].as_str(), after["spent"].as_str()),
        (Some("300"), Some("301"))
    );
    assert_eq!(after["version"], before["version"].as_i64().expect("version") + 2);

    // PATCH needs the version read; the pairing funds stay within the investment.
    let stale = app
        .request(
            "PATCH",
            &path,
            Some(&json!({"name": "改名"})),
            &[("authorization", l.yz.as_str()), ("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&stale, 412, "VERSION_CONFLICT");
    let etag = format!("\"{}\"", after["version"]);
    let too_much = app
        .request(
            "PATCH",
            &path,
            Some(&json!({"pairing_funds": "0.2亿元"})),
            &[("authorization", l.yz.as_str()), ("if-match", etag.as_str())],
        )
        .await;
    assert_problem(&too_much, 422, "VALIDATION_FAILED");
    let renamed = app
        .request(
            "PATCH",
            &path,
            Some(&json!({"name": "标准厂房（一期）", "investment": "0.3亿元"})),
            &[("authorization", l.yz.as_str()), ("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", text(&renamed));
    assert_eq!(renamed.json()["investment"], "3000");

    // A cancelled project's money does not move.
    l.milestone(&l.yz, &id, "cancelled", "2025-07-01").await;
    let frozen = app
        .as_bearer(&l.yz, "POST", &money, Some(&moved("allocation", "10", None)))
        .await;
    assert_problem(&frozen, 409, "CONFLICT");

    // GraphQL: the same rules.
    let answer = app
        .graphql(
            Some(&l.wx_impl),
            "mutation($id: ID!) { recordFundMovement(projectId: $id, input: {kind: ALLOCATION, occurredOn: \"2025-06-10\", amount: \"10\", source: HELPER, purpose: \"设备购置\"}) { amount } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(graphql_code(&answer), Some("FORBIDDEN"), "{answer}");
    let answer = app
        .graphql(
            Some(&l.yz),
            "mutation($p: ID!, $u: ID!) { createProject(input: {pairingId: $p, year: 2025, name: \"图书馆\", category: \"education\", implementingUnitId: $u, investment: \"0.05亿元\", pairingFunds: \"200万元\"}) { investment pairingFunds status milestones { status dated } } }",
            json!({"p": a, "u": l.a.recipient_unit}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["createProject"],
        json!({"investment": "500", "pairingFunds": "200", "status": "ISSUED", "milestones": [{"status": "ISSUED", "dated": false}]})
    );
    let answer = app
        .graphql(
            Some(&l.yz),
            "mutation($p: ID!, $u: ID!) { createProject(input: {pairingId: $p, year: 2025, name: \"图书馆\", category: \"education\", implementingUnitId: $u, investment: \"五百万\", pairingFunds: \"0\"}) { uuid } }",
            json!({"p": a, "u": l.a.recipient_unit}),
        )
        .await;
    assert!(answer["errors"].is_array(), "{answer}");
    assert_eq!(get(app, &l.admin, "/api/v1/projects").await["total_count"], 2);
}

#[tokio::test]
async fn projects_are_listed_filtered_and_their_categories_extended() {
    let l = ledger().await;
    build(&l).await;
    let app = &l.app;
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let all = get(app, &l.admin, "/api/v1/projects?limit=2").await;
    assert_eq!(all["total_count"], 5);
    assert_eq!(names(&all).len(), 2);
    let cursor = all["next_cursor"].as_str().expect("more");
    let next = get(app, &l.admin, &format!("/api/v1/projects?limit=2&cursor={cursor}")).await;
    assert_eq!(names(&next).len(), 2);
    let started = get(app, &l.admin, "/api/v1/projects?status=started&sort=name").await;
    assert_eq!(names(&started), ["宁河街道产业园标准厂房", "武隆区学校改扩建"]);
    let medical = get(app, &l.admin, "/api/v1/projects?category=medical").await;
    assert_eq!(names(&medical), ["巫溪县中医院康复大楼建设项目"]);
    let found = get(app, &l.admin, "/api/v1/projects?q=道路").await;
    assert_eq!(names(&found), ["村级道路硬化"]);
    let of_fuling_pairings = get(app, &l.fl, "/api/v1/projects").await;
    assert_eq!(names(&of_fuling_pairings), ["武隆区学校改扩建"]);
    let bad = app
        .as_bearer(&l.admin, "GET", "/api/v1/projects?category=space", None)
        .await;
    assert_problem(&bad, 422, "VALIDATION_FAILED");
    let bad = app
        .as_bearer(&l.admin, "GET", "/api/v1/projects?status=done", None)
        .await;
    assert_eq!(bad.status, 400, "{}", text(&bad));

    // The catalogue: seven to start with; administrators extend it.
    let catalogue = get(app, &l.yz, "/api/v1/project-categories").await;
    let codes: Vec<&str> = catalogue
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        [
            "industry",
            "infrastructure",
            "education",
            "medical",
            "ecology",
            "rural",
            "other"
        ]
    );
    let refused = app
        .as_bearer(
            &l.yz,
            "POST",
            "/api/v1/project-categories",
            Some(&json!({"code": "culture", "name": "文化旅游"})),
        )
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let added = send(
        app,
        &l.admin,
        "POST",
        "/api/v1/project-categories",
        json!({"code": "culture", "name": "文化旅游"}),
    )
    .await;
    assert_eq!(added["position"], 7);
    let again = app
        .as_bearer(
            &l.admin,
            "POST",
            "/api/v1/project-categories",
            Some(&json!({"code": "culture2", "name": "文化旅游"})),
        )
        .await;
    assert_problem(&again, 409, "CONFLICT");
    let bad_code = app
        .as_bearer(
            &l.admin,
            "POST",
            "/api/v1/project-categories",
            Some(&json!({"code": "Culture Tourism", "name": "文旅"})),
        )
        .await;
    assert_problem(&bad_code, 422, "VALIDATION_FAILED");
    l.project(
        &l.yz,
        json!({"pairing_id": l.a.pairing, "year": 2025, "name": "红池坝景区", "category": "文化旅游",
               "implementing_unit_id": l.a.recipient_unit, "investment": "100", "pairing_funds": "100"}),
    )
    .await;
    let culture = get(app, &l.admin, "/api/v1/projects?category=culture").await;
    assert_eq!(names(&culture), ["红池坝景区"]);
}

/// A multipart body: text fields, then the file as part `file_part`.
fn multipart(fields: &[(&str, String)], file_part: &str, file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "xietong-ledger-7d1e";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_part}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(l: &Ledger, bearer: &str, file_name: &str, file: &[u8], dry_run: bool) -> TestResponse {
    let fields = [
        ("pairing_id", l.a.pairing.to_string()),
        ("year", "2025".to_owned()),
        ("dry_run", dry_run.to_string()),
    ];
    let (content_type, body) = multipart(&fields, "file", file_name, file);
    l.app
        .request_raw(
            "POST",
            "/api/v1/imports/projects",
            body,
            &content_type,
            &[("authorization", bearer)],
        )
        .await
}

/// Where each problem of a failed import's report is: line and column.
fn places(response: &TestResponse) -> Vec<(u64, String)> {
    let body = response.json();
    body["report"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("a report: {body}"))
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap_or_default(),
                p["column"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_ledger_imports_from_csv_and_xlsx_and_a_bad_one_writes_nothing() {
    let l = ledger().await;
    let app = &l.app;
    // Money in the unit of its header; 实施单位 and 建设地点 left blank
    // below a filled cell, as a merged cell arrives.
    let csv = "序号,项目名称,项目类别,建设地点,建设内容,实施单位,总投资（亿元）,协同资金（万元）,项目状态,开工时间,完工时间\n\
               1,巫溪县中医院康复大楼,医疗,柏杨街道,康复大楼1.2万平方米,县经济信息委,1.2,3000,已完工,2025-04-10,2025年6月20日\n\
               2,标准厂房,产业,宁河街道,标准厂房2栋,,0.8,2500,在建,2025/5/1,\n\
               3,村级道路硬化,乡村振兴,,道路硬化12公里,县商务委,0.05,500,已下达,,\n";
    let dry = upload(&l, &l.yz, "ledger.csv", csv.as_bytes(), true).await;
    assert_eq!(dry.status, 200, "{}", text(&dry));
    assert_eq!(dry.json()["created"], 3);
    assert_eq!(get(app, &l.admin, "/api/v1/projects").await["total_count"], 0);
    // A unit user does not import.
    let refused = upload(&l, &l.wx_impl, "ledger.csv", csv.as_bytes(), false).await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let done = upload(&l, &l.yz, "ledger.csv", csv.as_bytes(), false).await;
    assert_eq!(done.status, 201, "{}", text(&done));
    let list = get(
        app,
        &l.admin,
        &format!("/api/v1/projects?pairing_id={}&sort=created_at", l.a.pairing),
    )
    .await;
    let items = list["items"].as_array().expect("items");
    let read: Vec<(&str, &str, &str, &str, &str, &str)> = items
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default(),
                p["category"].as_str().unwrap_or_default(),
                p["location"].as_str().unwrap_or_default(),
                p["investment"].as_str().unwrap_or_default(),
                p["pairing_funds"].as_str().unwrap_or_default(),
                p["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (
                "巫溪县中医院康复大楼",
                "medical",
                "柏杨街道",
                "12000",
                "3000",
                "completed"
            ),
            ("标准厂房", "industry", "宁河街道", "8000", "2500", "started"),
            ("村级道路硬化", "rural", "宁河街道", "500", "500", "issued"),
        ]
    );
    assert_eq!(items[1]["implementing_unit_id"], json!(l.a.recipient_unit));
    assert_eq!(items[2]["implementing_unit_id"], json!(l.a.recipient_unit_2));
    // No day of issue: issued by the day it started, and it says so.
    let first = items[0]["id"].as_str().expect("id");
    let milestones = get(app, &l.admin, &format!("/api/v1/projects/{first}/milestones")).await;
    let steps: Vec<(&str, &str, bool)> = milestones
        .as_array()
        .expect("milestones")
        .iter()
        .map(|m| {
            (
                m["status"].as_str().unwrap_or_default(),
                m["occurred_on"].as_str().unwrap_or_default(),
                m["dated"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("issued", "2025-04-10", false),
            ("started", "2025-04-10", true),
            ("completed", "2025-06-20", true)
        ]
    );
    let figures = get(app, &l.admin, "/api/v1/projects/statistics").await;
    assert_eq!(
        (
            figures["count"].as_u64(),
            figures["started"].as_u64(),
            figures["completed"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(figures["investment"], "20500");

    // Each bad row by row and column, and nothing written.
    let bad = "项目名称,实施单位,总投资（万元）,项目状态,开工时间,完工时间\n\
               好项目,县经济信息委,100,已下达,,\n\
               负数项目,县经济信息委,-5,已下达,,\n\
               未知状态,县经济信息委,100,筹备中,,\n\
               倒序项目,县经济信息委,100,已完工,2025-06-01,2025-05-01\n\
               未知单位,县经济信息局,100,已下达,,\n";
    let failed = upload(&l, &l.yz, "bad.csv", bad.as_bytes(), false).await;
    assert_problem(&failed, 422, "VALIDATION_FAILED");
    assert_eq!(
        places(&failed),
        [
            (3, "总投资（万元）".to_owned()),
            (4, "项目状态".to_owned()),
            (5, "完工时间".to_owned()),
            (6, "实施单位".to_owned()),
        ]
    );
    assert_eq!(get(app, &l.admin, "/api/v1/projects").await["total_count"], 3);

    // An XLSX as offices make them: a title merged across the top, 类别
    // and 实施单位 merged down, funds in 元, days as the spreadsheet's numbers.
    let day = |y, m, d| {
        (chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a day")
            - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("a day"))
        .num_days() as f64
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(0, 0, 0, 6, "渝中区·巫溪县2025年协同项目台账", &plain)
        .expect("a title");
    for (c, h) in [
        "项目名称",
        "项目类别",
        "实施单位",
        "总投资（万元）",
        "援助资金（元）",
        "项目进度",
        "开工时间",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, c as u16, *h).expect("a header");
    }
    sheet.merge_range(2, 1, 3, 1, "教育", &plain).expect("merged 类别");
    sheet
        .merge_range(2, 2, 4, 2, "县商务委", &plain)
        .expect("merged 实施单位");
    sheet.write_string(4, 1, "医疗").expect("a category");
    for (r, (name, investment, funds, status, started)) in [
        ("乡村学校食堂改造", 300.0, 2_000_000.0, "在建", Some(day(2025, 5, 1))),
        ("教师周转房", 450.5, 1_500_000.0, "已下达", None),
        ("卫生院设备", 120.0, 1_000_000.0, "已开工", Some(day(2025, 6, 3))),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 2;
        sheet.write_string(r, 0, name).expect("a name");
        sheet.write_number(r, 3, investment).expect("investment");
        sheet.write_number(r, 4, funds).expect("funds");
        sheet.write_string(r, 5, status).expect("a status");
        if let Some(started) = started {
            sheet.write_number(r, 6, started).expect("a day");
        }
    }
    let bytes = book.save_to_buffer().expect("the workbook");
    let done = upload(&l, &l.yz, "ledger.xlsx", &bytes, false).await;
    assert_eq!(done.status, 201, "{}", text(&done));
    assert_eq!(done.json()["created"], 3);
    let school = get(app, &l.admin, "/api/v1/projects?q=食堂").await;
    let p = &school["items"][0];
    assert_eq!(
        (
            p["category"].as_str(),
            p["investment"].as_str(),
            p["pairing_funds"].as_str(),
            p["status"].as_str()
        ),
        (Some("education"), Some("300"), Some("200"), Some("started"))
    );
    assert_eq!(p["status_since"], "2025-05-01");
    assert_eq!(p["implementing_unit_id"], json!(l.a.recipient_unit_2));
    // 卫生院设备 names its own 类别; the 实施单位 merged down reaches it.
    let clinic = get(app, &l.admin, "/api/v1/projects?q=卫生院").await;
    assert_eq!(clinic["items"][0]["category"], "medical");
    assert_eq!(clinic["items"][0]["implementing_unit_id"], json!(l.a.recipient_unit_2));
    let housing = get(app, &l.admin, "/api/v1/projects?q=周转房").await;
    assert_eq!(housing["items"][0]["investment"], "450.5");

    // The export writes the layout the import reads: exported, then
    // imported into another year, the ledger is the same.
    let exported = app
        .as_bearer(
            &l.admin,
            "GET",
            &format!(
                "/api/v1/projects/export?pairing_id={}&year=2025&format=csv",
                l.a.pairing
            ),
            None,
        )
        .await;
    assert_eq!(exported.status, 200, "{}", text(&exported));
    let csv_out = text(&exported);
    let header = csv_out
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        header
            .starts_with("序号,项目名称,项目类别,建设地点,建设内容,实施单位,总投资（万元）,协同资金（万元）,项目状态"),
        "{header}"
    );
    assert_eq!(csv_out.lines().count(), 7, "{csv_out}");
    let fields = [("pairing_id", l.a.pairing.to_string()), ("year", "2026".to_owned())];
    let (content_type, body) = multipart(&fields, "file", "export.csv", exported.body.as_ref());
    let again = app
        .request_raw(
            "POST",
            "/api/v1/imports/projects",
            body,
            &content_type,
            &[("authorization", l.yz.as_str())],
        )
        .await;
    assert_eq!(again.status, 201, "{}", text(&again));
    assert_eq!(again.json()["created"], 6);
    let both = get(app, &l.admin, "/api/v1/projects/statistics?year=2026").await;
    let first_year = get(app, &l.admin, "/api/v1/projects/statistics?year=2025").await;
    for key in ["count", "started", "completed", "investment", "pairing_funds"] {
        assert_eq!(both[key], first_year[key], "{key}");
    }
    let xlsx = app
        .as_bearer(
            &l.admin,
            "GET",
            &format!("/api/v1/projects/export?pairing_id={}", l.a.pairing),
            None,
        )
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.body.starts_with(b"PK\x03\x04"), "an XLSX");
    let outsider = app.bearer_of_outsider().await;
    let hidden = app
        .as_bearer(
            &outsider,
            "GET",
            &format!("/api/v1/projects/export?pairing_id={}", l.a.pairing),
            None,
        )
        .await;
    assert_problem(&hidden, 422, "VALIDATION_FAILED");

    // GraphQL takes the same upload.
    let boundary_file = "项目名称,实施单位,总投资（万元）\n图书馆,县经济信息委,80\n";
    let operations = json!({
        "query": "mutation($file: Upload!, $p: ID!) { importProjects(file: $file, pairingId: $p, year: 2025, dryRun: true) { ok dryRun written created problems { line column message } } }",
        "variables": {"file": null, "p": l.a.pairing}
    });
    let (content_type, body) = multipart(
        &[
            ("operations", operations.to_string()),
            ("map", "{\"0\":[\"variables.file\"]}".to_owned()),
        ],
        "0",
        "ledger.csv",
        boundary_file.as_bytes(),
    );
    let answer = app
        .request_raw(
            "POST",
            "/graphql",
            body,
            &content_type,
            &[("authorization", l.yz.as_str())],
        )
        .await
        .json();
    assert_eq!(graphql_data(&answer)["importProjects"]["created"], 1, "{answer}");
}

#[tokio::test]
async fn a_projects_milestone_reaches_those_who_see_it() {
    use crate::common::subscriber::Subscriber;
    use std::time::Duration;
    let l = ledger().await;
    let id = l
        .project(
            &l.yz,
            json!({"pairing_id": l.a.pairing, "year": 2025, "name": "标准厂房", "category": "industry",
                   "implementing_unit_id": l.a.recipient_unit, "investment": "1000", "pairing_funds": "800",
                   "issued_on": "2025-05-01"}),
        )
        .await;
    let query = "subscription { projectStatusChanged { name status statusSince } }";
    let mut mine = Subscriber::connect(l.app.addr, &l.wx_impl).await;
    mine.subscribe("projects", query, json!({})).await;
    let mut theirs = Subscriber::connect(l.app.addr, &l.fl).await;
    theirs.subscribe("projects", query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    l.milestone(&l.wx_impl, &id, "started", "2025-06-01").await;
    let heard = mine.next(Duration::from_secs(10)).await.expect("the milestone is told");
    assert_eq!(
        heard["payload"]["data"]["projectStatusChanged"],
        json!({"name": "标准厂房", "status": "STARTED", "statusSince": "2025-06-01"}),
        "{heard}"
    );
    assert!(
        theirs.next(Duration::from_millis(1500)).await.is_none(),
        "another pairing's coordinator hears nothing"
    );
}
