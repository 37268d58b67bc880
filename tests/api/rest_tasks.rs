//! Plans (任务清单), tasks (重点任务) with their units and targets, and
//! progress reports (进展报告) over HTTP, as portal teams use them: what
//! each role may do, conditional requests, filters, seek pagination while
//! rows are added, the review workflow and idempotent creation. Each refusal
//! a user can run into is a test of its own.

use std::collections::{HashMap, HashSet};

use crate::common::{TestApp, TestResponse, assert_problem, seed};
use chrono::{Days, Utc};
use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::Caller;
use xietong::domain::pairing::{self, PairingInput};
use xietong::domain::plan::{self, NewPlan, PlanOwner, PlanTransition};
use xietong::domain::values::{Cluster, PairingStatus, RegionKind, Role, UnitKind};

// ---------------------------------------------------------------- helpers

/// A query value, percent-encoded (Chinese text travels encoded).
fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn body_text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// Asserts the status and returns the JSON body.
fn expect(response: &TestResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", body_text(response));
    response.json()
}

/// The fields a problem's `errors` name, in order.
fn fields(response: &TestResponse) -> Vec<String> {
    response.json()["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a 422 that names `field` among its per-field errors.
fn assert_invalid_field(response: &TestResponse, field: &str) {
    assert_problem(response, 422, "VALIDATION_FAILED");
    assert!(
        fields(response).iter().any(|f| f == field),
        "expected an error on `{field}`: {}",
        body_text(response)
    );
}

fn id_of(value: &Value) -> Uuid {
    value["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {value}"))
}

fn etag_of(value: &Value) -> String {
    format!("\"{}\"", value["version"].as_i64().expect("a version"))
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

/// 渝中区 helps 巫溪县 (the seed, with its issued 2025 plan), a coordinator
/// at 巫溪县's 县发展改革委, the users of the lead unit (县经济信息委) and of
/// the supporting unit (县商务委) of the seed's tasks, and an administrator.
struct World {
    app: TestApp,
    p: seed::Pairing,
    admin: String,
    coordinator: String,
    coordinator_id: Uuid,
    /// wx-jxw, a user of 县经济信息委 (the lead unit of seed tasks).
    lead: String,
    lead_id: Uuid,
    /// wx-swj, a user of 县商务委 (the supporting unit of seed tasks).
    supporting: String,
    supporting_id: Uuid,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let coordinating_unit = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
    let admin = app.bearer_of_new_admin().await;
    let coordinator_id = app.user("wx-fgw", Role::Coordinator, Some(coordinating_unit)).await;
    let lead_id = app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let supporting_id = app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
    let coordinator = app.bearer("wx-fgw").await;
    let lead = app.bearer("wx-jxw").await;
    let supporting = app.bearer("wx-swj").await;
    World {
        app,
        p,
        admin,
        coordinator,
        coordinator_id,
        lead,
        lead_id,
        supporting,
        supporting_id,
    }
}

impl World {
    async fn send(
        &self,
        bearer: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = vec![("authorization", bearer)];
        all.extend_from_slice(headers);
        self.app.request(method, path, body, &all).await
    }

    async fn get(&self, bearer: &str, path: &str) -> TestResponse {
        self.send(bearer, "GET", path, None, &[]).await
    }

    /// The ids of a list answer, in its order; the list fits one page.
    async fn list_ids(&self, bearer: &str, path: &str) -> Vec<Uuid> {
        let page = expect(&self.get(bearer, path).await, 200);
        let items = page["items"].as_array().expect("items");
        assert_eq!(page["total_count"].as_u64(), Some(items.len() as u64), "{page}");
        assert!(page["next_cursor"].is_null(), "{page}");
        items.iter().map(id_of).collect()
    }

    /// A task of the seed's plan: 县经济信息委 and 区经济信息委 lead,
    /// 县商务委 supports, one funds target of 5000万元.
    fn task_body(&self, seq: i32) -> Value {
        json!({
            "plan_id": self.p.plan,
            "seq": seq,
            "category": "联手开展招商引资",
            "content": "确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000万元以上。",
            "deadline": "2025-11-30",
            "deadline_text": "2025年11月底",
            "assignments": [
                {"unit_id": self.p.recipient_unit, "role": "lead", "side": "recipient"},
                {"unit_id": self.p.helper_unit, "role": "lead", "side": "helper"},
                {"unit_id": self.p.recipient_unit_2, "role": "supporting", "side": "recipient"},
            ],
            "targets": [{
                "metric": "investment_funds",
                "label": "实际到位资金",
                "comparator": "at_least",
                "value": "5000",
                "unit": "万元",
                "source_text": "力争实际到位资金5000万元以上",
            }],
        })
    }

    /// Creates a task as the administrator; expects 201.
    async fn post_task(&self, body: &Value) -> Value {
        expect(
            &self.send(&self.admin, "POST", "/api/v1/tasks", Some(body), &[]).await,
            201,
        )
    }

    /// How many tasks the seed's plan has.
    async fn task_count(&self) -> u64 {
        let page = expect(
            &self
                .get(&self.admin, &format!("/api/v1/tasks?plan_id={}", self.p.plan))
                .await,
            200,
        );
        page["total_count"].as_u64().expect("a count")
    }

    /// Posts a report on a task.
    async fn post_report(&self, bearer: &str, task: Uuid, body: &Value) -> TestResponse {
        self.send(
            bearer,
            "POST",
            &format!("/api/v1/tasks/{task}/reports"),
            Some(body),
            &[],
        )
        .await
    }

    /// Makes a draft report; expects 201.
    async fn draft(&self, bearer: &str, task: Uuid, body: &Value) -> Value {
        expect(&self.post_report(bearer, task, body).await, 201)
    }

    /// A report transition without `If-Match`.
    async fn step(&self, bearer: &str, report: Uuid, what: &str, body: Option<&Value>) -> TestResponse {
        self.send(bearer, "POST", &format!("/api/v1/reports/{report}/{what}"), body, &[])
            .await
    }

    /// A plan transition with `If-Match`.
    async fn move_plan(&self, bearer: &str, plan: Uuid, what: &str, etag: &str) -> TestResponse {
        self.send(
            bearer,
            "POST",
            &format!("/api/v1/plans/{plan}/{what}"),
            None,
            &[("if-match", etag)],
        )
        .await
    }
}

/// A supporting unit's report body on a task with one target.
fn supporting_report(period: &str, target: Uuid, actual: &str) -> Value {
    json!({
        "period": period,
        "text": "已协助引进项目1个，实际到位资金1200.5万元。",
        "values": [{"target_id": target, "actual": actual}],
    })
}

/// The lead unit's consolidated report body.
fn consolidated_report(period: &str, target: Uuid, actual: &str) -> Value {
    json!({
        "period": period,
        "consolidated": true,
        "text": "牵头单位汇总：已引进项目2个，实际到位资金3200万元。",
        "values": [{"target_id": target, "actual": actual}],
    })
}

/// 南川区 helps 武隆区, with 武隆区's 区商务委 and an issued 2024 plan.
struct Other {
    nanchuan: Uuid,
    wulong: Uuid,
    pairing: Uuid,
    wulong_unit: Uuid,
    plan: Uuid,
}

async fn nanchuan_wulong(app: &TestApp) -> Other {
    let db = &app.db;
    let system = Caller::system();
    let nanchuan = seed::region(
        db,
        Some("500119"),
        "南川区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let wulong = seed::region(
        db,
        Some("500156"),
        "武隆区",
        RegionKind::District,
        Some(Cluster::Southeast),
    )
    .await;
    let pairing = pairing::create(
        db,
        &system,
        PairingInput {
            helper_region_id: nanchuan,
            recipient_region_id: wulong,
            co_helper_region_ids: vec![],
            start_year: Some(2020),
            status: PairingStatus::Active,
            note: None,
            documents: vec![],
        },
    )
    .await
    .expect("create the pairing")
    .id;
    let wulong_unit = seed::unit(db, wulong, "区商务委", UnitKind::Department).await;
    let made = plan::create(
        db,
        &system,
        NewPlan {
            owner: PlanOwner::Pairing(pairing),
            year: 2024,
            title: "南川区·武隆区2024年度对口协同发展任务清单".into(),
            doc_number: None,
            issued_on: None,
            issuers: vec![],
            default_deadline: None,
            calendar: None,
            reporting: None,
            lights: None,
            external_id: None,
        },
    )
    .await
    .expect("create the plan");
    plan::transition(db, &system, made.id, made.version, PlanTransition::Issue)
        .await
        .expect("issue the plan");
    Other {
        nanchuan,
        wulong,
        pairing,
        wulong_unit,
        plan: made.id,
    }
}

/// A draft plan through the domain core.
async fn domain_plan(app: &TestApp, owner: PlanOwner, year: i32, title: &str) -> Uuid {
    plan::create(
        &app.db,
        &Caller::system(),
        NewPlan {
            owner,
            year,
            title: title.into(),
            doc_number: None,
            issued_on: None,
            issuers: vec![],
            default_deadline: None,
            calendar: None,
            reporting: None,
            lights: None,
            external_id: None,
        },
    )
    .await
    .expect("create a plan")
    .id
}

fn new_plan_body(pairing: Uuid, year: i32) -> Value {
    json!({
        "pairing_id": pairing,
        "year": year,
        "title": format!("渝中区·巫溪县{year}年度对口协同发展任务清单"),
        "doc_number": format!("巫溪府发〔{year}〕20号"),
        "issued_on": format!("{year}-06-27"),
        "issuers": ["巫溪县人民政府", "渝中区人民政府"],
    })
}

// ---------------------------------------------------------------- plans

#[tokio::test]
async fn an_admin_creates_a_plan_as_a_draft_with_etag_1() {
    let w = world().await;
    let response = w
        .send(
            &w.admin,
            "POST",
            "/api/v1/plans",
            Some(&new_plan_body(w.p.pairing, 2026)),
            &[],
        )
        .await;
    let made = expect(&response, 201);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(made["version"], 1);
    assert_eq!(made["status"], "draft");
    assert_eq!(made["pairing_id"], json!(w.p.pairing));
    assert!(made["region_id"].is_null());
    assert_eq!(made["year"], 2026);
    assert_eq!(made["doc_number"], "巫溪府发〔2026〕20号");
    assert_eq!(made["issued_on"], "2026-06-27");
    assert_eq!(made["issuers"], json!(["巫溪县人民政府", "渝中区人民政府"]));
    // The default deadline is the end of the plan's year.
    assert_eq!(made["default_deadline"], "2026-12-31");
    let read = w.get(&w.admin, &format!("/api/v1/plans/{}", id_of(&made))).await;
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(expect(&read, 200), made);
}

#[tokio::test]
async fn a_coordinator_of_the_recipient_region_creates_a_plan_of_its_pairing() {
    let w = world().await;
    let response = w
        .send(
            &w.coordinator,
            "POST",
            "/api/v1/plans",
            Some(&new_plan_body(w.p.pairing, 2026)),
            &[],
        )
        .await;
    let made = expect(&response, 201);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(made["status"], "draft");
    // And reads it back.
    let read = w.get(&w.coordinator, &format!("/api/v1/plans/{}", id_of(&made))).await;
    assert_eq!(expect(&read, 200)["title"], made["title"]);
}

#[tokio::test]
async fn a_coordinator_of_the_helper_region_creates_a_plan_of_its_pairing() {
    let w = world().await;
    let yz_fgw = seed::unit(&w.app.db, w.p.helper, "区发展改革委", UnitKind::Department).await;
    w.app.user("yz-fgw", Role::Coordinator, Some(yz_fgw)).await;
    let bearer = w.app.bearer("yz-fgw").await;
    let response = w
        .send(
            &bearer,
            "POST",
            "/api/v1/plans",
            Some(&new_plan_body(w.p.pairing, 2026)),
            &[],
        )
        .await;
    expect(&response, 201);
    assert_eq!(response.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn a_coordinator_creates_its_own_regions_plan() {
    let w = world().await;
    let body = json!({"region_id": w.p.recipient, "year": 2025, "title": "巫溪县2025年政府工作报告重点任务分解"});
    let made = expect(
        &w.send(&w.coordinator, "POST", "/api/v1/plans", Some(&body), &[]).await,
        201,
    );
    assert_eq!(made["region_id"], json!(w.p.recipient));
    assert!(made["pairing_id"].is_null());
}

#[tokio::test]
async fn a_unit_user_cannot_create_a_plan() {
    let w = world().await;
    let response = w
        .send(
            &w.lead,
            "POST",
            "/api/v1/plans",
            Some(&new_plan_body(w.p.pairing, 2026)),
            &[],
        )
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
    assert!(w.list_ids(&w.admin, "/api/v1/plans?year=2026").await.is_empty());
}

#[tokio::test]
async fn a_coordinator_of_another_region_cannot_create_a_pairings_plan() {
    let w = world().await;
    let other = nanchuan_wulong(&w.app).await;
    let nc_fgw = seed::unit(&w.app.db, other.nanchuan, "区发展改革委", UnitKind::Department).await;
    w.app.user("nc-fgw", Role::Coordinator, Some(nc_fgw)).await;
    let bearer = w.app.bearer("nc-fgw").await;
    let response = w
        .send(
            &bearer,
            "POST",
            "/api/v1/plans",
            Some(&new_plan_body(w.p.pairing, 2026)),
            &[],
        )
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
}

#[tokio::test]
async fn a_plan_read_again_with_its_etag_in_if_none_match_is_304() {
    let w = world().await;
    let path = format!("/api/v1/plans/{}", w.p.plan);
    let first = w.get(&w.lead, &path).await;
    let plan = expect(&first, 200);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert_eq!(etag, etag_of(&plan));
    let again = w.send(&w.lead, "GET", &path, None, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304, "{}", body_text(&again));
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    // An older version is answered in full.
    let older = w.send(&w.lead, "GET", &path, None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(expect(&older, 200), plan);
}

/// The plans of the list tests: the seed's 2025 plan (issued) and a 2026
/// draft of 渝中区·巫溪县, 南川区·武隆区's 2024 plan (issued) and 渝中区's
/// own 2025 draft.
struct PlanList {
    w: World,
    other: Other,
    yw_2025: Uuid,
    yw_2026: Uuid,
    nw_2024: Uuid,
    yz_own_2025: Uuid,
}

async fn plan_list() -> PlanList {
    let w = world().await;
    let other = nanchuan_wulong(&w.app).await;
    let yw_2026 = domain_plan(
        &w.app,
        PlanOwner::Pairing(w.p.pairing),
        2026,
        "渝中区·巫溪县2026年度对口协同发展任务清单",
    )
    .await;
    let yz_own_2025 = domain_plan(
        &w.app,
        PlanOwner::Region(w.p.helper),
        2025,
        "渝中区2025年政府工作报告重点任务分解",
    )
    .await;
    PlanList {
        yw_2025: w.p.plan,
        yw_2026,
        nw_2024: other.plan,
        yz_own_2025,
        other,
        w,
    }
}

#[tokio::test]
async fn plans_filter_by_pairing_id() {
    let l = plan_list().await;
    let ids =
        l.w.list_ids(&l.w.admin, &format!("/api/v1/plans?pairing_id={}", l.w.p.pairing))
            .await;
    assert_eq!(sorted(ids), sorted(vec![l.yw_2025, l.yw_2026]));
    let ids =
        l.w.list_ids(&l.w.admin, &format!("/api/v1/plans?pairing_id={}", l.other.pairing))
            .await;
    assert_eq!(ids, vec![l.nw_2024]);
}

#[tokio::test]
async fn plans_filter_by_region_id_take_the_regions_own_and_its_pairings() {
    let l = plan_list().await;
    let ids =
        l.w.list_ids(&l.w.admin, &format!("/api/v1/plans?region_id={}", l.w.p.helper))
            .await;
    assert_eq!(sorted(ids), sorted(vec![l.yw_2025, l.yw_2026, l.yz_own_2025]));
    let ids =
        l.w.list_ids(&l.w.admin, &format!("/api/v1/plans?region_id={}", l.other.wulong))
            .await;
    assert_eq!(ids, vec![l.nw_2024]);
}

#[tokio::test]
async fn plans_filter_by_year() {
    let l = plan_list().await;
    let ids = l.w.list_ids(&l.w.admin, "/api/v1/plans?year=2025").await;
    assert_eq!(sorted(ids), sorted(vec![l.yw_2025, l.yz_own_2025]));
    let ids = l.w.list_ids(&l.w.admin, "/api/v1/plans?year=2024").await;
    assert_eq!(ids, vec![l.nw_2024]);
}

#[tokio::test]
async fn plans_filter_by_status() {
    let l = plan_list().await;
    let ids = l.w.list_ids(&l.w.admin, "/api/v1/plans?status=draft").await;
    assert_eq!(sorted(ids), sorted(vec![l.yw_2026, l.yz_own_2025]));
    let ids = l.w.list_ids(&l.w.admin, "/api/v1/plans?status=issued").await;
    assert_eq!(sorted(ids), sorted(vec![l.yw_2025, l.nw_2024]));
    let ids =
        l.w.list_ids(
            &l.w.admin,
            &format!("/api/v1/plans?status=draft&pairing_id={}", l.w.p.pairing),
        )
        .await;
    assert_eq!(ids, vec![l.yw_2026]);
}

#[tokio::test]
async fn plans_sort_by_year_both_ways_newest_first_by_default() {
    let l = plan_list().await;
    let years = |ids: &[Uuid], lookup: &HashMap<Uuid, i32>| -> Vec<i32> { ids.iter().map(|id| lookup[id]).collect() };
    let lookup: HashMap<Uuid, i32> = [
        (l.yw_2025, 2025),
        (l.yw_2026, 2026),
        (l.nw_2024, 2024),
        (l.yz_own_2025, 2025),
    ]
    .into();
    let ascending = l.w.list_ids(&l.w.admin, "/api/v1/plans?sort=year").await;
    assert_eq!(years(&ascending, &lookup), vec![2024, 2025, 2025, 2026]);
    let descending = l.w.list_ids(&l.w.admin, "/api/v1/plans?sort=-year").await;
    assert_eq!(years(&descending, &lookup), vec![2026, 2025, 2025, 2024]);
    let by_default = l.w.list_ids(&l.w.admin, "/api/v1/plans").await;
    assert_eq!(years(&by_default, &lookup), vec![2026, 2025, 2025, 2024]);
    // Ties go by id, the same way: one order, both directions mirrored.
    let mut mirrored = descending.clone();
    mirrored.reverse();
    assert_eq!(ascending, mirrored);
}

#[tokio::test]
async fn a_bad_plan_sort_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/plans?sort=doc_number").await;
    assert_invalid_field(&response, "sort");
}

#[tokio::test]
async fn a_coordinator_lists_only_the_plans_of_its_region() {
    let l = plan_list().await;
    let ids = l.w.list_ids(&l.w.coordinator, "/api/v1/plans").await;
    assert_eq!(sorted(ids), sorted(vec![l.yw_2025, l.yw_2026]));
}

#[tokio::test]
async fn a_plan_patch_with_the_current_etag_changes_it() {
    let w = world().await;
    let path = format!("/api/v1/plans/{}", w.p.plan);
    let read = w.get(&w.coordinator, &path).await;
    let before = expect(&read, 200);
    let etag = read.header("etag").expect("an ETag").to_owned();
    let response = w
        .send(
            &w.coordinator,
            "PATCH",
            &path,
            Some(&json!({"title": "渝中区·巫溪县2025年度对口协同发展任务清单（修订）", "doc_number": null})),
            &[("if-match", &etag)],
        )
        .await;
    let after = expect(&response, 200);
    assert_eq!(after["title"], "渝中区·巫溪县2025年度对口协同发展任务清单（修订）");
    assert!(after["doc_number"].is_null());
    assert_eq!(after["issuers"], before["issuers"], "absent fields stay");
    assert_eq!(after["version"], before["version"].as_i64().expect("version") + 1);
    assert_eq!(response.header("etag"), Some(etag_of(&after).as_str()));
    assert_eq!(expect(&w.get(&w.lead, &path).await, 200), after);
}

#[tokio::test]
async fn a_plan_patch_with_a_stale_etag_is_412() {
    let w = world().await;
    let path = format!("/api/v1/plans/{}", w.p.plan);
    let before = expect(&w.get(&w.coordinator, &path).await, 200);
    assert_eq!(before["version"], 2, "the seed's plan was issued once");
    let response = w
        .send(
            &w.coordinator,
            "PATCH",
            &path,
            Some(&json!({"title": "改过的标题"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&response, 412, "VERSION_CONFLICT");
    assert_eq!(expect(&w.get(&w.coordinator, &path).await, 200), before);
}

#[tokio::test]
async fn a_plan_patch_without_if_match_is_428() {
    let w = world().await;
    let path = format!("/api/v1/plans/{}", w.p.plan);
    let before = expect(&w.get(&w.coordinator, &path).await, 200);
    let response = w
        .send(
            &w.coordinator,
            "PATCH",
            &path,
            Some(&json!({"title": "改过的标题"})),
            &[],
        )
        .await;
    assert_problem(&response, 428, "PRECONDITION_REQUIRED");
    assert_eq!(expect(&w.get(&w.coordinator, &path).await, 200), before);
}

#[tokio::test]
async fn a_unit_user_cannot_patch_a_plan() {
    let w = world().await;
    let response = w
        .send(
            &w.lead,
            "PATCH",
            &format!("/api/v1/plans/{}", w.p.plan),
            Some(&json!({"title": "改过的标题"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
}

/// A draft plan of the seed's pairing for 2026, made over HTTP by the coordinator.
async fn draft_2026(w: &World) -> Value {
    expect(
        &w.send(
            &w.coordinator,
            "POST",
            "/api/v1/plans",
            Some(&new_plan_body(w.p.pairing, 2026)),
            &[],
        )
        .await,
        201,
    )
}

#[tokio::test]
async fn a_plan_is_issued_closed_and_reopened() {
    let w = world().await;
    let draft = draft_2026(&w).await;
    let id = id_of(&draft);
    let issued = w.move_plan(&w.coordinator, id, "issue", "\"1\"").await;
    let body = expect(&issued, 200);
    assert_eq!(body["status"], "issued");
    assert_eq!(issued.header("etag"), Some("\"2\""));
    let closed = expect(&w.move_plan(&w.coordinator, id, "close", "\"2\"").await, 200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["version"], 3);
    let reopened = expect(&w.move_plan(&w.coordinator, id, "reopen", "\"3\"").await, 200);
    assert_eq!(reopened["status"], "issued");
    assert_eq!(reopened["version"], 4);
    let read = expect(&w.get(&w.lead, &format!("/api/v1/plans/{id}")).await, 200);
    assert_eq!(read["status"], "issued");
}

#[tokio::test]
async fn issuing_an_issued_plan_is_409() {
    let w = world().await;
    let response = w.move_plan(&w.coordinator, w.p.plan, "issue", "\"2\"").await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn closing_a_draft_plan_is_409() {
    let w = world().await;
    let draft = draft_2026(&w).await;
    let response = w.move_plan(&w.coordinator, id_of(&draft), "close", "\"1\"").await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn reopening_an_issued_plan_is_409() {
    let w = world().await;
    let response = w.move_plan(&w.coordinator, w.p.plan, "reopen", "\"2\"").await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn reopening_a_draft_plan_is_409() {
    let w = world().await;
    let draft = draft_2026(&w).await;
    let id = id_of(&draft);
    let response = w.move_plan(&w.coordinator, id, "reopen", "\"1\"").await;
    assert_problem(&response, 409, "CONFLICT");
    let read = expect(&w.get(&w.coordinator, &format!("/api/v1/plans/{id}")).await, 200);
    assert_eq!(read["status"], "draft");
}

#[tokio::test]
async fn issuing_a_closed_plan_is_409() {
    let w = world().await;
    let closed = expect(&w.move_plan(&w.coordinator, w.p.plan, "close", "\"2\"").await, 200);
    assert_eq!(closed["status"], "closed");
    let response = w.move_plan(&w.coordinator, w.p.plan, "issue", "\"3\"").await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn a_unit_user_cannot_close_a_plan() {
    let w = world().await;
    let response = w.move_plan(&w.lead, w.p.plan, "close", "\"2\"").await;
    assert_problem(&response, 403, "FORBIDDEN");
}

#[tokio::test]
async fn a_plan_without_reports_is_deleted_with_its_tasks() {
    let w = world().await;
    let draft = draft_2026(&w).await;
    let id = id_of(&draft);
    let task = expect(
        &w.send(
            &w.coordinator,
            "POST",
            "/api/v1/tasks",
            Some(&json!({"plan_id": id, "seq": 1, "content": "开展就业培训不少于300人次。"})),
            &[],
        )
        .await,
        201,
    );
    let response = w
        .send(
            &w.coordinator,
            "DELETE",
            &format!("/api/v1/plans/{id}"),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(response.status, 204, "{}", body_text(&response));
    assert!(response.body.is_empty());
    assert_problem(
        &w.get(&w.coordinator, &format!("/api/v1/plans/{id}")).await,
        404,
        "NOT_FOUND",
    );
    assert_problem(
        &w.get(&w.coordinator, &format!("/api/v1/tasks/{}", id_of(&task))).await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn a_plan_with_a_report_cannot_be_deleted() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    w.draft(
        &w.supporting,
        task.id,
        &supporting_report("2025-03", task.targets[0].id, "1200"),
    )
    .await;
    let path = format!("/api/v1/plans/{}", w.p.plan);
    let response = w
        .send(&w.coordinator, "DELETE", &path, None, &[("if-match", "\"2\"")])
        .await;
    assert_problem(&response, 409, "CONFLICT");
    assert_eq!(expect(&w.get(&w.coordinator, &path).await, 200)["status"], "issued");
}

// ---------------------------------------------------------------- tasks

#[tokio::test]
async fn a_coordinator_creates_a_task_with_units_and_exact_targets() {
    let w = world().await;
    let body = json!({
        "plan_id": w.p.plan,
        "section": "一、重点任务",
        "seq": 3,
        "category": "联手开展招商引资",
        "content": "确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000万元以上；购买森林覆盖率指标8.46万亩；挂职交流专技人才3—5名。",
        "deadline": "2025-11-30",
        "deadline_text": "2025年11月底",
        "leaders": ["分管副县长"],
        "notes": "此件公开发布",
        "assignments": [
            {"unit_id": w.p.recipient_unit, "role": "lead", "side": "recipient"},
            {"unit_id": w.p.helper_unit, "role": "lead", "side": "helper"},
            {"unit_id": w.p.recipient_unit_2, "role": "supporting", "side": "recipient"},
        ],
        "targets": [
            {"metric": "investment_funds", "label": "实际到位资金", "comparator": "at_least",
             "value": "5000", "unit": "万元", "source_text": "力争实际到位资金5000万元以上"},
            {"comparator": "about", "value": "8.46", "unit": "万亩",
             "source_text": "购买森林覆盖率指标8.46万亩"},
            {"metric": "professionals_exchanged", "comparator": "range", "value": "3", "value_max": "5",
             "unit": "名", "source_text": "挂职交流专技人才3—5名"},
        ],
    });
    let response = w.send(&w.coordinator, "POST", "/api/v1/tasks", Some(&body), &[]).await;
    let task = expect(&response, 201);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(task["version"], 1);
    assert_eq!(task["plan_id"], json!(w.p.plan));
    assert_eq!(task["section"], "一、重点任务");
    assert_eq!(task["seq"], 3);
    assert_eq!(task["category"], "联手开展招商引资");
    assert_eq!(task["deadline"], "2025-11-30");
    assert_eq!(task["deadline_text"], "2025年11月底");
    assert_eq!(task["status"], "not_started");
    assert_eq!(task["leaders"], json!(["分管副县长"]));
    assert_eq!(task["notes"], "此件公开发布");
    assert_eq!(
        task["assignments"],
        json!([
            {"unit_id": w.p.recipient_unit, "name": "县经济信息委", "role": "lead", "side": "recipient"},
            {"unit_id": w.p.helper_unit, "name": "区经济信息委", "role": "lead", "side": "helper"},
            {"unit_id": w.p.recipient_unit_2, "name": "县商务委", "role": "supporting", "side": "recipient"},
        ])
    );
    let targets = task["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 3);
    assert_eq!(targets[0]["metric"], "investment_funds");
    assert_eq!(targets[0]["comparator"], "at_least");
    assert_eq!(targets[0]["value"], "5000", "5000 stays 5000");
    assert!(targets[0]["value_max"].is_null());
    assert_eq!(targets[0]["unit"], "万元");
    assert_eq!(targets[0]["source_text"], "力争实际到位资金5000万元以上");
    assert!(targets[1]["metric"].is_null());
    assert_eq!(targets[1]["value"], "8.46", "8.46 stays 8.46");
    assert_eq!(targets[1]["unit"], "万亩");
    assert_eq!(targets[2]["comparator"], "range");
    assert_eq!(targets[2]["value"], "3");
    assert_eq!(targets[2]["value_max"], "5");
    assert!(targets.iter().all(|t| t["id"].is_string()));
    // It reads back the same.
    let read = w.get(&w.lead, &format!("/api/v1/tasks/{}", id_of(&task))).await;
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(expect(&read, 200), task);
}

#[tokio::test]
async fn a_task_without_a_deadline_takes_the_plans_default() {
    let w = world().await;
    let mut body = w.task_body(1);
    body.as_object_mut().expect("object").remove("deadline");
    let task = w.post_task(&body).await;
    assert_eq!(task["deadline"], "2025-12-31");
}

#[tokio::test]
async fn a_task_read_again_with_its_etag_in_if_none_match_is_304() {
    let w = world().await;
    let task = w.post_task(&w.task_body(1)).await;
    let response = w
        .send(
            &w.supporting,
            "GET",
            &format!("/api/v1/tasks/{}", id_of(&task)),
            None,
            &[("if-none-match", "\"1\"")],
        )
        .await;
    assert_eq!(response.status, 304, "{}", body_text(&response));
    assert_eq!(response.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn a_unit_user_cannot_create_a_task() {
    let w = world().await;
    let response = w
        .send(&w.lead, "POST", "/api/v1/tasks", Some(&w.task_body(1)), &[])
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
    assert_eq!(w.task_count().await, 0);
}

/// Posts the standard task body changed by `change` as the administrator;
/// nothing may be created.
async fn refused_task(change: impl FnOnce(&World, &mut Value)) -> TestResponse {
    let w = world().await;
    let mut body = w.task_body(1);
    change(&w, &mut body);
    let response = w.send(&w.admin, "POST", "/api/v1/tasks", Some(&body), &[]).await;
    assert_eq!(w.task_count().await, 0, "a refused task was created");
    response
}

#[tokio::test]
async fn a_task_with_seq_0_is_422() {
    let response = refused_task(|_, b| b["seq"] = json!(0)).await;
    assert_invalid_field(&response, "seq");
}

#[tokio::test]
async fn a_task_with_blank_content_is_422() {
    let response = refused_task(|_, b| b["content"] = json!("   ")).await;
    assert_invalid_field(&response, "content");
}

#[tokio::test]
async fn a_range_target_without_value_max_is_422() {
    let response = refused_task(|_, b| {
        b["targets"][0]["comparator"] = json!("range");
    })
    .await;
    assert_invalid_field(&response, "targets[0].value_max");
}

#[tokio::test]
async fn a_target_with_an_unknown_metric_code_is_422() {
    let response = refused_task(|_, b| b["targets"][0]["metric"] = json!("gdp_growth")).await;
    assert_invalid_field(&response, "targets[0].metric");
}

#[tokio::test]
async fn a_recipient_unit_on_the_helper_side_is_422() {
    // 县经济信息委 is 巫溪县's, the recipient's: it cannot act for the helper.
    let response = refused_task(|_, b| b["assignments"][0]["side"] = json!("helper")).await;
    assert_invalid_field(&response, "assignments[0].side");
}

#[tokio::test]
async fn a_helper_unit_on_the_recipient_side_is_422() {
    let response = refused_task(|_, b| b["assignments"][1]["side"] = json!("recipient")).await;
    assert_invalid_field(&response, "assignments[1].side");
}

#[tokio::test]
async fn an_assignment_with_both_unit_id_and_group_id_is_422() {
    let response = refused_task(|_, b| b["assignments"][2]["group_id"] = json!(Uuid::new_v4())).await;
    assert_invalid_field(&response, "assignments[2]");
}

#[tokio::test]
async fn a_task_with_an_unknown_field_is_422() {
    let response = refused_task(|_, b| b["priority"] = json!("high")).await;
    assert_problem(&response, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn an_amount_in_exponent_notation_is_422() {
    let response = refused_task(|_, b| b["targets"][0]["value"] = json!("1e3")).await;
    assert_problem(&response, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn an_amount_with_five_decimals_is_422() {
    let response = refused_task(|_, b| b["targets"][0]["value"] = json!("8.46001")).await;
    assert_problem(&response, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn an_amount_as_a_json_number_is_422() {
    let response = refused_task(|_, b| b["targets"][0]["value"] = json!(5000)).await;
    assert_problem(&response, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn a_task_of_an_unknown_plan_is_422() {
    let response = refused_task(|_, b| b["plan_id"] = json!(Uuid::new_v4())).await;
    assert_invalid_field(&response, "plan_id");
}

#[tokio::test]
async fn a_second_task_with_the_same_seq_in_a_section_is_409() {
    let w = world().await;
    let mut body = w.task_body(7);
    body["section"] = json!("一、主要任务");
    w.post_task(&body).await;
    let response = w.send(&w.admin, "POST", "/api/v1/tasks", Some(&body), &[]).await;
    assert_problem(&response, 409, "CONFLICT");
    assert_eq!(fields(&response), vec!["seq".to_owned()]);
    assert_eq!(w.task_count().await, 1);
    // The same number in another section is another task.
    body["section"] = json!("二、保障措施");
    w.post_task(&body).await;
    assert_eq!(w.task_count().await, 2);
}

/// Five tasks for the list tests.
/// - t1: seed plan, 招商引资, 2025-06-30, 县经济信息委 leads, 县商务委 supports; in progress
/// - t2: seed plan, 消费帮扶, 2025-11-30, 县商务委 leads, 县经济信息委 supports; completed
/// - t3: seed plan, 消费帮扶, a year from now, 区经济信息委 leads, 县经济信息委 supports
/// - t4: 南川区·武隆区 2024, 招商引资, 2024-11-30, 武隆区's 区商务委 leads
/// - t5: 渝中区's own 2025 plan, 消费帮扶, 2025-12-31, 区经济信息委 leads
struct TaskList {
    w: World,
    other: Other,
    own_plan: Uuid,
    future: String,
    t1: Uuid,
    t2: Uuid,
    t3: Uuid,
    t4: Uuid,
    t5: Uuid,
}

const INVEST: &str = "联手开展招商引资";
const CONSUME: &str = "加大消费帮扶力度";

async fn task_list() -> TaskList {
    let w = world().await;
    let other = nanchuan_wulong(&w.app).await;
    let own_plan = domain_plan(
        &w.app,
        PlanOwner::Region(w.p.helper),
        2025,
        "渝中区2025年政府工作报告重点任务分解",
    )
    .await;
    let future = (Utc::now().date_naive() + Days::new(400)).to_string();
    let p = &w.p;
    let t1 = id_of(
        &w.post_task(&json!({
            "plan_id": p.plan, "seq": 1, "category": INVEST,
            "content": "确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000万元以上。",
            "deadline": "2025-06-30",
            "assignments": [
                {"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"},
                {"unit_id": p.recipient_unit_2, "role": "supporting", "side": "recipient"},
            ],
        }))
        .await,
    );
    let t2 = id_of(
        &w.post_task(&json!({
            "plan_id": p.plan, "seq": 2, "category": CONSUME,
            "content": "帮助销售巫溪县农特产品2000万元以上。",
            "deadline": "2025-11-30",
            "assignments": [
                {"unit_id": p.recipient_unit_2, "role": "lead", "side": "recipient"},
                {"unit_id": p.recipient_unit, "role": "supporting", "side": "recipient"},
            ],
        }))
        .await,
    );
    let t3 = id_of(
        &w.post_task(&json!({
            "plan_id": p.plan, "seq": 3, "category": CONSUME,
            "content": "开展就业培训不少于300人次，落实就业岗位不低于200个。",
            "deadline": future,
            "assignments": [
                {"unit_id": p.helper_unit, "role": "lead", "side": "helper"},
                {"unit_id": p.recipient_unit, "role": "supporting", "side": "recipient"},
            ],
        }))
        .await,
    );
    let t4 = id_of(
        &w.post_task(&json!({
            "plan_id": other.plan, "seq": 1, "category": INVEST,
            "content": "力争实际到位资金3000万元以上。",
            "deadline": "2024-11-30",
            "assignments": [{"unit_id": other.wulong_unit, "role": "lead", "side": "recipient"}],
        }))
        .await,
    );
    let t5 = id_of(
        &w.post_task(&json!({
            "plan_id": own_plan, "seq": 1, "category": CONSUME,
            "content": "互派医务人员10名以上。",
            "deadline": "2025-12-31",
            "assignments": [{"unit_id": p.helper_unit, "role": "lead"}],
        }))
        .await,
    );
    for (task, status) in [(t1, "in_progress"), (t2, "completed")] {
        expect(
            &w.send(
                &w.admin,
                "PATCH",
                &format!("/api/v1/tasks/{task}"),
                Some(&json!({"status": status})),
                &[("if-match", "\"1\"")],
            )
            .await,
            200,
        );
    }
    TaskList {
        w,
        other,
        own_plan,
        future,
        t1,
        t2,
        t3,
        t4,
        t5,
    }
}

impl TaskList {
    async fn ids(&self, query: &str) -> Vec<Uuid> {
        sorted(self.ordered(query).await)
    }

    async fn ordered(&self, query: &str) -> Vec<Uuid> {
        self.w.list_ids(&self.w.admin, &format!("/api/v1/tasks?{query}")).await
    }
}

#[tokio::test]
async fn tasks_filter_by_plan_id() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("plan_id={}", l.w.p.plan)).await,
        sorted(vec![l.t1, l.t2, l.t3])
    );
    assert_eq!(l.ids(&format!("plan_id={}", l.own_plan)).await, vec![l.t5]);
}

#[tokio::test]
async fn tasks_filter_by_pairing_id() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("pairing_id={}", l.w.p.pairing)).await,
        sorted(vec![l.t1, l.t2, l.t3])
    );
    assert_eq!(l.ids(&format!("pairing_id={}", l.other.pairing)).await, vec![l.t4]);
}

#[tokio::test]
async fn tasks_filter_by_region_id_take_the_regions_own_plans_and_its_pairings() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("region_id={}", l.w.p.helper)).await,
        sorted(vec![l.t1, l.t2, l.t3, l.t5])
    );
    assert_eq!(
        l.ids(&format!("region_id={}", l.w.p.recipient)).await,
        sorted(vec![l.t1, l.t2, l.t3])
    );
    assert_eq!(l.ids(&format!("region_id={}", l.other.nanchuan)).await, vec![l.t4]);
}

#[tokio::test]
async fn tasks_filter_by_year() {
    let l = task_list().await;
    assert_eq!(l.ids("year=2024").await, vec![l.t4]);
    assert_eq!(l.ids("year=2025").await, sorted(vec![l.t1, l.t2, l.t3, l.t5]));
    assert!(l.ids("year=2023").await.is_empty());
}

#[tokio::test]
async fn tasks_filter_by_category() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("category={}", enc(CONSUME))).await,
        sorted(vec![l.t2, l.t3, l.t5])
    );
    assert_eq!(
        l.ids(&format!("category={}", enc(INVEST))).await,
        sorted(vec![l.t1, l.t4])
    );
    // Exactly, not a part of it.
    assert!(l.ids(&format!("category={}", enc("招商引资"))).await.is_empty());
}

#[tokio::test]
async fn tasks_filter_by_unit_id() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("unit_id={}", l.w.p.recipient_unit)).await,
        sorted(vec![l.t1, l.t2, l.t3])
    );
    assert_eq!(
        l.ids(&format!("unit_id={}", l.w.p.helper_unit)).await,
        sorted(vec![l.t3, l.t5])
    );
}

#[tokio::test]
async fn tasks_filter_by_unit_id_and_role_lead() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("unit_id={}&role=lead", l.w.p.recipient_unit)).await,
        vec![l.t1]
    );
}

#[tokio::test]
async fn tasks_filter_by_unit_id_and_role_supporting() {
    let l = task_list().await;
    assert_eq!(
        l.ids(&format!("unit_id={}&role=supporting", l.w.p.recipient_unit))
            .await,
        sorted(vec![l.t2, l.t3])
    );
}

#[tokio::test]
async fn a_task_role_filter_without_unit_id_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/tasks?role=lead").await;
    assert_invalid_field(&response, "role");
}

#[tokio::test]
async fn tasks_filter_by_status() {
    let l = task_list().await;
    assert_eq!(l.ids("status=in_progress").await, vec![l.t1]);
    assert_eq!(l.ids("status=completed").await, vec![l.t2]);
    assert_eq!(l.ids("status=not_started").await, sorted(vec![l.t3, l.t4, l.t5]));
    assert!(l.ids("status=cancelled").await.is_empty());
}

#[tokio::test]
async fn tasks_filter_by_status_overdue_past_the_deadline_and_not_completed() {
    let l = task_list().await;
    assert_eq!(l.ids("status=overdue").await, sorted(vec![l.t1, l.t4, l.t5]));
    let page = expect(&l.w.get(&l.w.admin, "/api/v1/tasks?status=overdue").await, 200);
    for task in page["items"].as_array().expect("items") {
        assert_eq!(task["overdue"], true, "{task}");
    }
    // The completed one and the one not yet due are not overdue.
    for id in [l.t2, l.t3] {
        let task = expect(&l.w.get(&l.w.admin, &format!("/api/v1/tasks/{id}")).await, 200);
        assert_eq!(task["overdue"], false, "{task}");
    }
}

#[tokio::test]
async fn an_unknown_task_status_filter_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/tasks?status=late").await;
    assert_invalid_field(&response, "status");
}

#[tokio::test]
async fn tasks_filter_by_deadline_from_and_to_both_inclusive() {
    let l = task_list().await;
    assert_eq!(
        l.ids("deadline_from=2025-06-30&deadline_to=2025-11-30").await,
        sorted(vec![l.t1, l.t2])
    );
    assert_eq!(l.ids("deadline_from=2025-12-31").await, sorted(vec![l.t3, l.t5]));
    assert_eq!(l.ids("deadline_to=2025-06-30").await, sorted(vec![l.t1, l.t4]));
    assert_eq!(l.ids(&format!("deadline_from={}", l.future)).await, vec![l.t3]);
}

#[tokio::test]
async fn tasks_filter_by_a_substring_of_their_chinese_text() {
    let l = task_list().await;
    assert_eq!(l.ids(&format!("q={}", enc("农特产品"))).await, vec![l.t2]);
    assert_eq!(
        l.ids(&format!("q={}", enc("实际到位资金"))).await,
        sorted(vec![l.t1, l.t4])
    );
    assert_eq!(l.ids(&format!("q={}", enc("就业培训"))).await, vec![l.t3]);
    assert!(l.ids(&format!("q={}", enc("生态补偿"))).await.is_empty());
    // LIKE wildcards are plain characters.
    assert!(l.ids(&format!("q={}", enc("%"))).await.is_empty());
    assert!(l.ids(&format!("q={}", enc("_"))).await.is_empty());
}

#[tokio::test]
async fn a_coordinator_lists_only_the_tasks_of_its_regions_plans() {
    let l = task_list().await;
    let ids = l.w.list_ids(&l.w.coordinator, "/api/v1/tasks").await;
    assert_eq!(sorted(ids), sorted(vec![l.t1, l.t2, l.t3]));
}

#[tokio::test]
async fn tasks_sort_by_seq_both_ways() {
    let l = task_list().await;
    let plan = l.w.p.plan;
    assert_eq!(
        l.ordered(&format!("plan_id={plan}&sort=seq")).await,
        vec![l.t1, l.t2, l.t3]
    );
    assert_eq!(
        l.ordered(&format!("plan_id={plan}&sort=-seq")).await,
        vec![l.t3, l.t2, l.t1]
    );
    // seq is the default.
    assert_eq!(l.ordered(&format!("plan_id={plan}")).await, vec![l.t1, l.t2, l.t3]);
}

#[tokio::test]
async fn tasks_sort_by_descending_deadline() {
    let l = task_list().await;
    assert_eq!(l.ordered("sort=-deadline").await, vec![l.t3, l.t5, l.t2, l.t1, l.t4]);
    assert_eq!(l.ordered("sort=deadline").await, vec![l.t4, l.t1, l.t2, l.t5, l.t3]);
}

#[tokio::test]
async fn a_bad_task_sort_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/tasks?sort=category").await;
    assert_invalid_field(&response, "sort");
}

/// Pages through a list, calling `between` after every page that has a
/// next one; returns every item in the order seen.
async fn all_pages(w: &World, first: &str, mut between: impl AsyncFnMut(usize)) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_no in 0.. {
        assert!(page_no < 50, "the pages do not end");
        let path = match &cursor {
            None => first.to_owned(),
            Some(c) => format!("{first}&cursor={}", enc(c)),
        };
        let page = expect(&w.get(&w.admin, &path).await, 200);
        seen.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            None => break,
            Some(next) => {
                cursor = Some(next.to_owned());
                between(page_no).await;
            }
        }
    }
    seen
}

#[tokio::test]
async fn task_pages_in_seq_order_lose_and_repeat_nothing_while_tasks_are_added() {
    let w = world().await;
    let mut originals = Vec::new();
    for seq in 1..=7 {
        originals.push(seed::task(&w.app.db, &w.p, seq, &["5000"]).await.id);
    }
    let mut added = Vec::new();
    let mut next_seq = 100;
    let first = format!("/api/v1/tasks?plan_id={}&sort=seq&limit=3", w.p.plan);
    let seen = all_pages(&w, &first, async |page_no| {
        // New tasks, numbered after every task so far, between the pages.
        if page_no < 3 {
            for _ in 0..2 {
                added.push(id_of(&w.post_task(&w.task_body(next_seq)).await));
                next_seq += 1;
            }
        }
    })
    .await;
    let ids: Vec<Uuid> = seen.iter().map(id_of).collect();
    let seqs: Vec<i64> = seen.iter().map(|t| t["seq"].as_i64().expect("seq")).collect();
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a task came twice: {seqs:?}");
    for id in &originals {
        assert_eq!(ids.iter().filter(|i| *i == id).count(), 1, "task {id}: {seqs:?}");
    }
    // Added after the place reached, they come at the end.
    for id in &added {
        assert!(unique.contains(id), "added task {id} missing: {seqs:?}");
    }
    assert_eq!(added.len(), 6);
    assert_eq!(ids.len(), 13);
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "not in seq order: {seqs:?}");
}

#[tokio::test]
async fn task_pages_of_equal_deadlines_are_ordered_by_id_without_loss() {
    let w = world().await;
    let mut originals = Vec::new();
    for seq in 1..=5 {
        // All take the plan's default deadline.
        originals.push(seed::task(&w.app.db, &w.p, seq, &["5000"]).await.id);
    }
    for sort in ["-deadline", "deadline"] {
        let first = format!("/api/v1/tasks?plan_id={}&sort={sort}&limit=2", w.p.plan);
        let seen = all_pages(&w, &first, async |_| {}).await;
        let ids: Vec<Uuid> = seen.iter().map(id_of).collect();
        assert_eq!(sorted(ids.clone()), sorted(originals.clone()), "{sort}");
    }
}

#[tokio::test]
async fn a_task_list_limit_of_0_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/tasks?limit=0").await;
    assert_invalid_field(&response, "limit");
}

#[tokio::test]
async fn a_task_list_limit_of_201_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/tasks?limit=201").await;
    assert_invalid_field(&response, "limit");
    expect(&w.get(&w.admin, "/api/v1/tasks?limit=200").await, 200);
}

#[tokio::test]
async fn a_made_up_task_cursor_is_422() {
    let w = world().await;
    let response = w.get(&w.admin, "/api/v1/tasks?cursor=bm90LWEtY3Vyc29y").await;
    assert_invalid_field(&response, "cursor");
}

#[tokio::test]
async fn a_cursor_of_another_sort_is_422() {
    let w = world().await;
    for seq in 1..=3 {
        seed::task(&w.app.db, &w.p, seq, &["5000"]).await;
    }
    let page = expect(&w.get(&w.admin, "/api/v1/tasks?sort=seq&limit=1").await, 200);
    let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
    let response = w
        .get(
            &w.admin,
            &format!("/api/v1/tasks?sort=-deadline&limit=1&cursor={}", enc(&cursor)),
        )
        .await;
    assert_invalid_field(&response, "cursor");
}

#[tokio::test]
async fn the_lead_units_user_sets_the_status_and_declared_progress() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let path = format!("/api/v1/tasks/{}", task.id);
    let response = w
        .send(
            &w.lead,
            "PATCH",
            &path,
            Some(&json!({"status": "in_progress", "declared_progress": 40, "progress_note": "已签约项目1个"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    let changed = expect(&response, 200);
    assert_eq!(response.header("etag"), Some("\"2\""));
    assert_eq!(changed["status"], "in_progress");
    assert_eq!(changed["declared_progress"], 40);
    assert_eq!(changed["progress_note"], "已签约项目1个");
    assert_eq!(changed["content"], task.content.as_str(), "the text stays");
    assert_eq!(expect(&w.get(&w.supporting, &path).await, 200), changed);
}

#[tokio::test]
async fn the_lead_units_user_cannot_change_the_tasks_text() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let path = format!("/api/v1/tasks/{}", task.id);
    let response = w
        .send(
            &w.lead,
            "PATCH",
            &path,
            Some(&json!({"content": "力争实际到位资金1000万元以上。"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
    let read = expect(&w.get(&w.lead, &path).await, 200);
    assert_eq!(read["content"], task.content.as_str());
    assert_eq!(read["version"], 1);
}

#[tokio::test]
async fn a_supporting_units_user_cannot_change_the_status() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let path = format!("/api/v1/tasks/{}", task.id);
    let response = w
        .send(
            &w.supporting,
            "PATCH",
            &path,
            Some(&json!({"status": "completed"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
    assert_eq!(expect(&w.get(&w.lead, &path).await, 200)["status"], "not_started");
}

#[tokio::test]
async fn a_task_patch_with_a_stale_etag_is_412() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let path = format!("/api/v1/tasks/{}", task.id);
    let body = json!({"status": "in_progress"});
    expect(
        &w.send(&w.lead, "PATCH", &path, Some(&body), &[("if-match", "\"1\"")])
            .await,
        200,
    );
    let response = w
        .send(
            &w.lead,
            "PATCH",
            &path,
            Some(&json!({"status": "completed"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&response, 412, "VERSION_CONFLICT");
}

#[tokio::test]
async fn a_task_patch_without_if_match_is_428() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let response = w
        .send(
            &w.lead,
            "PATCH",
            &format!("/api/v1/tasks/{}", task.id),
            Some(&json!({"status": "in_progress"})),
            &[],
        )
        .await;
    assert_problem(&response, 428, "PRECONDITION_REQUIRED");
}

#[tokio::test]
async fn a_coordinator_deletes_a_task_without_reports() {
    let w = world().await;
    let task = w.post_task(&w.task_body(1)).await;
    let path = format!("/api/v1/tasks/{}", id_of(&task));
    let response = w
        .send(&w.coordinator, "DELETE", &path, None, &[("if-match", "\"1\"")])
        .await;
    assert_eq!(response.status, 204, "{}", body_text(&response));
    assert_problem(&w.get(&w.coordinator, &path).await, 404, "NOT_FOUND");
    assert_eq!(w.task_count().await, 0);
}

#[tokio::test]
async fn a_lead_units_user_cannot_delete_a_task() {
    let w = world().await;
    let task = w.post_task(&w.task_body(1)).await;
    let path = format!("/api/v1/tasks/{}", id_of(&task));
    let response = w.send(&w.lead, "DELETE", &path, None, &[("if-match", "\"1\"")]).await;
    assert_problem(&response, 403, "FORBIDDEN");
    assert_eq!(w.task_count().await, 1);
}

#[tokio::test]
async fn a_task_with_a_report_cannot_be_deleted() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    w.draft(
        &w.supporting,
        task.id,
        &supporting_report("2025-03", task.targets[0].id, "100"),
    )
    .await;
    let response = w
        .send(
            &w.coordinator,
            "DELETE",
            &format!("/api/v1/tasks/{}", task.id),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&response, 409, "CONFLICT");
    assert_eq!(w.task_count().await, 1);
}

// ---------------------------------------------------------------- reports

/// The world with one seeded task (县经济信息委 leads with 区经济信息委,
/// 县商务委 supports) and its 5000万元 target.
async fn report_world() -> (World, Uuid, Uuid) {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let target = task.targets[0].id;
    (w, task.id, target)
}

#[tokio::test]
async fn a_supporting_units_user_makes_a_draft_report() {
    let (w, task, target) = report_world().await;
    let response = w
        .post_report(&w.supporting, task, &supporting_report("2025-03", target, "1200.5"))
        .await;
    let report = expect(&response, 201);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(report["task_id"], json!(task));
    assert_eq!(report["unit_id"], json!(w.p.recipient_unit_2), "the caller's unit");
    assert_eq!(report["period"], "2025-03");
    assert_eq!(report["consolidated"], false);
    assert_eq!(report["status"], "draft");
    assert_eq!(report["text"], "已协助引进项目1个，实际到位资金1200.5万元。");
    assert_eq!(
        report["values"],
        json!([{"target_id": target, "actual": "1200.5", "unit": "万元", "normalized": "1200.5"}]),
        "written in the target's 万元 (kept with the value), which is its metric's unit"
    );
    assert!(report["submitted_by"].is_null() && report["submitted_at"].is_null());
    assert!(report["reviewed_by"].is_null() && report["return_reason"].is_null());
    assert_eq!(report["version"], 1);
    let read = w
        .get(&w.supporting, &format!("/api/v1/reports/{}", id_of(&report)))
        .await;
    assert_eq!(expect(&read, 200), report);
}

#[tokio::test]
async fn the_lead_units_report_is_consolidated() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.lead, task, &consolidated_report("2025-Q1", target, "3200"))
        .await;
    assert_eq!(report["consolidated"], true);
    assert_eq!(report["unit_id"], json!(w.p.recipient_unit));
    assert_eq!(report["period"], "2025-Q1");
    assert_eq!(report["values"][0]["actual"], "3200");
}

#[tokio::test]
async fn a_lead_units_report_that_is_not_consolidated_is_422() {
    let (w, task, target) = report_world().await;
    let mut body = consolidated_report("2025-Q1", target, "3200");
    body["consolidated"] = json!(false);
    let response = w.post_report(&w.lead, task, &body).await;
    assert_invalid_field(&response, "consolidated");
}

#[tokio::test]
async fn a_supporting_units_consolidated_report_is_422() {
    let (w, task, target) = report_world().await;
    let mut body = supporting_report("2025-03", target, "100");
    body["consolidated"] = json!(true);
    let response = w.post_report(&w.supporting, task, &body).await;
    assert_invalid_field(&response, "consolidated");
}

#[tokio::test]
async fn a_value_for_an_unknown_target_is_422() {
    let (w, task, _) = report_world().await;
    let response = w
        .post_report(
            &w.supporting,
            task,
            &supporting_report("2025-03", Uuid::new_v4(), "100"),
        )
        .await;
    assert_invalid_field(&response, "values[0].target_id");
}

#[tokio::test]
async fn a_value_for_another_tasks_target_is_422() {
    let (w, task, _) = report_world().await;
    let other = seed::task(&w.app.db, &w.p, 2, &["300"]).await;
    let response = w
        .post_report(
            &w.supporting,
            task,
            &supporting_report("2025-03", other.targets[0].id, "100"),
        )
        .await;
    assert_invalid_field(&response, "values[0].target_id");
}

#[tokio::test]
async fn a_second_report_of_a_unit_for_the_same_task_and_period_is_409() {
    let (w, task, target) = report_world().await;
    w.draft(&w.supporting, task, &supporting_report("2025-03", target, "100"))
        .await;
    let response = w
        .post_report(&w.supporting, task, &supporting_report("2025-03", target, "200"))
        .await;
    assert_problem(&response, 409, "CONFLICT");
    // Another period, or another unit for the same period, is another report.
    w.draft(&w.supporting, task, &supporting_report("2025-04", target, "200"))
        .await;
    w.draft(&w.lead, task, &consolidated_report("2025-03", target, "300"))
        .await;
}

#[tokio::test]
async fn a_report_period_outside_the_plans_year_is_422() {
    let (w, task, target) = report_world().await;
    let response = w
        .post_report(&w.supporting, task, &supporting_report("2024-12", target, "100"))
        .await;
    assert_invalid_field(&response, "period");
}

#[tokio::test]
async fn a_report_period_of_month_13_is_422() {
    let (w, task, target) = report_world().await;
    let response = w
        .post_report(&w.supporting, task, &supporting_report("2025-13", target, "100"))
        .await;
    assert_problem(&response, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn a_unit_with_no_role_on_the_task_cannot_report_on_it() {
    let (w, task, target) = report_world().await;
    let other_unit = seed::unit(&w.app.db, w.p.recipient, "县教委", UnitKind::Department).await;
    w.app.user("wx-jw", Role::UnitUser, Some(other_unit)).await;
    let bearer = w.app.bearer("wx-jw").await;
    let response = w
        .post_report(&bearer, task, &supporting_report("2025-03", target, "100"))
        .await;
    assert_problem(&response, 403, "FORBIDDEN");
}

#[tokio::test]
async fn a_supporting_report_is_submitted_and_approved_by_the_lead_unit() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    let submitted = w.step(&w.supporting, id, "submit", None).await;
    let body = expect(&submitted, 200);
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["submitted_by"], json!(w.supporting_id));
    assert!(body["submitted_at"].is_string());
    assert_eq!(submitted.header("etag"), Some("\"2\""));
    let approved = w.step(&w.lead, id, "approve", None).await;
    let body = expect(&approved, 200);
    assert_eq!(body["status"], "approved");
    assert_eq!(body["reviewed_by"], json!(w.lead_id));
    assert!(body["reviewed_at"].is_string());
    assert_eq!(approved.header("etag"), Some("\"3\""));
    let read = expect(&w.get(&w.supporting, &format!("/api/v1/reports/{id}")).await, 200);
    assert_eq!(read["status"], "approved");
}

#[tokio::test]
async fn the_consolidated_report_is_approved_by_the_coordinator() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.lead, task, &consolidated_report("2025-Q1", target, "3200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.lead, id, "submit", None).await, 200);
    let approved = expect(&w.step(&w.coordinator, id, "approve", None).await, 200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["reviewed_by"], json!(w.coordinator_id));
}

#[tokio::test]
async fn the_lead_unit_cannot_approve_its_own_consolidated_report() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.lead, task, &consolidated_report("2025-Q1", target, "3200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.lead, id, "submit", None).await, 200);
    assert_problem(&w.step(&w.lead, id, "approve", None).await, 403, "FORBIDDEN");
}

#[tokio::test]
async fn a_supporting_unit_cannot_approve_its_own_report() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    assert_problem(&w.step(&w.supporting, id, "approve", None).await, 403, "FORBIDDEN");
}

#[tokio::test]
async fn a_returned_report_carries_its_reason_and_goes_back_in() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    let returned = expect(
        &w.step(&w.lead, id, "return", Some(&json!({"reason": "请补充到位资金凭证"})))
            .await,
        200,
    );
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["return_reason"], "请补充到位资金凭证");
    assert_eq!(returned["reviewed_by"], json!(w.lead_id));
    // The unit corrects it and sends it again.
    let etag = etag_of(&returned);
    let changed = expect(
        &w.send(
            &w.supporting,
            "PATCH",
            &format!("/api/v1/reports/{id}"),
            Some(&json!({"values": [{"target_id": target, "actual": "1250"}]})),
            &[("if-match", &etag)],
        )
        .await,
        200,
    );
    assert_eq!(changed["values"][0]["actual"], "1250");
    let again = expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    assert_eq!(again["status"], "submitted");
}

#[tokio::test]
async fn returning_a_report_with_an_empty_reason_is_422() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    let response = w.step(&w.lead, id, "return", Some(&json!({"reason": "  "}))).await;
    assert_invalid_field(&response, "reason");
    let read = expect(&w.get(&w.lead, &format!("/api/v1/reports/{id}")).await, 200);
    assert_eq!(read["status"], "submitted");
}

#[tokio::test]
async fn approving_a_draft_is_409() {
    let (w, task, target) = report_world().await;
    // The coordinator sees and reviews the lead unit's consolidated report.
    let report = w
        .draft(&w.lead, task, &consolidated_report("2025-Q1", target, "3200"))
        .await;
    let response = w.step(&w.coordinator, id_of(&report), "approve", None).await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn returning_a_draft_is_409() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.lead, task, &consolidated_report("2025-Q1", target, "3200"))
        .await;
    let response = w
        .step(
            &w.coordinator,
            id_of(&report),
            "return",
            Some(&json!({"reason": "请补充材料"})),
        )
        .await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn the_lead_unit_does_not_see_a_supporting_units_draft() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    assert_problem(
        &w.get(&w.lead, &format!("/api/v1/reports/{id}")).await,
        404,
        "NOT_FOUND",
    );
    assert_problem(&w.step(&w.lead, id, "approve", None).await, 404, "NOT_FOUND");
}

#[tokio::test]
async fn submitting_a_submitted_report_is_409() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    assert_problem(&w.step(&w.supporting, id, "submit", None).await, 409, "CONFLICT");
}

#[tokio::test]
async fn submitting_an_approved_report_is_409() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    expect(&w.step(&w.lead, id, "approve", None).await, 200);
    assert_problem(&w.step(&w.supporting, id, "submit", None).await, 409, "CONFLICT");
}

#[tokio::test]
async fn returning_an_approved_report_is_409() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    expect(&w.step(&w.lead, id, "approve", None).await, 200);
    let response = w
        .step(&w.lead, id, "return", Some(&json!({"reason": "请补充材料"})))
        .await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn an_approved_report_cannot_be_patched() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(&w.step(&w.supporting, id, "submit", None).await, 200);
    let approved = expect(&w.step(&w.lead, id, "approve", None).await, 200);
    let response = w
        .send(
            &w.supporting,
            "PATCH",
            &format!("/api/v1/reports/{id}"),
            Some(&json!({"text": "改过的文字"})),
            &[("if-match", &etag_of(&approved))],
        )
        .await;
    assert_problem(&response, 409, "CONFLICT");
    let read = expect(&w.get(&w.supporting, &format!("/api/v1/reports/{id}")).await, 200);
    assert_eq!(read, approved);
}

#[tokio::test]
async fn another_units_draft_is_hidden_from_a_supporting_unit_but_not_from_the_coordinator() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.lead, task, &consolidated_report("2025-Q1", target, "3200"))
        .await;
    let id = id_of(&report);
    let path = format!("/api/v1/reports/{id}");
    assert_problem(&w.get(&w.supporting, &path).await, 404, "NOT_FOUND");
    let listed = w
        .list_ids(&w.supporting, &format!("/api/v1/reports?task_id={task}"))
        .await;
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(expect(&w.get(&w.coordinator, &path).await, 200), report);
    let listed = w
        .list_ids(&w.coordinator, &format!("/api/v1/reports?task_id={task}"))
        .await;
    assert_eq!(listed, vec![id]);
    // Once submitted, the supporting unit sees it.
    expect(&w.step(&w.lead, id, "submit", None).await, 200);
    assert_eq!(expect(&w.get(&w.supporting, &path).await, 200)["status"], "submitted");
}

/// Reports for the list tests, on two tasks of the seed's plan:
/// - r1: 县商务委 on task 1 for 2025-03, submitted
/// - r2: 县经济信息委 on task 1 for 2025-03, consolidated draft
/// - r3: 县商务委 on task 1 for 2025-Q1, draft
/// - r4: 县商务委 on task 2 for 2025-03, draft
struct ReportList {
    w: World,
    task1: Uuid,
    task2: Uuid,
    r1: Uuid,
    r2: Uuid,
    r3: Uuid,
    r4: Uuid,
}

async fn report_list() -> ReportList {
    let w = world().await;
    let task1 = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let task2 = seed::task(&w.app.db, &w.p, 2, &["300"]).await;
    let t1 = task1.targets[0].id;
    let t2 = task2.targets[0].id;
    let r1 = id_of(
        &w.draft(&w.supporting, task1.id, &supporting_report("2025-03", t1, "100"))
            .await,
    );
    expect(&w.step(&w.supporting, r1, "submit", None).await, 200);
    let r2 = id_of(
        &w.draft(&w.lead, task1.id, &consolidated_report("2025-03", t1, "300"))
            .await,
    );
    let r3 = id_of(
        &w.draft(&w.supporting, task1.id, &supporting_report("2025-Q1", t1, "150"))
            .await,
    );
    let r4 = id_of(
        &w.draft(&w.supporting, task2.id, &supporting_report("2025-03", t2, "50"))
            .await,
    );
    ReportList {
        w,
        task1: task1.id,
        task2: task2.id,
        r1,
        r2,
        r3,
        r4,
    }
}

impl ReportList {
    async fn ids(&self, query: &str) -> Vec<Uuid> {
        sorted(
            self.w
                .list_ids(&self.w.coordinator, &format!("/api/v1/reports?{query}"))
                .await,
        )
    }
}

#[tokio::test]
async fn reports_filter_by_task_id() {
    let l = report_list().await;
    assert_eq!(
        l.ids(&format!("task_id={}", l.task1)).await,
        sorted(vec![l.r1, l.r2, l.r3])
    );
    assert_eq!(l.ids(&format!("task_id={}", l.task2)).await, vec![l.r4]);
}

#[tokio::test]
async fn reports_filter_by_unit_id() {
    let l = report_list().await;
    assert_eq!(
        l.ids(&format!("unit_id={}", l.w.p.recipient_unit_2)).await,
        sorted(vec![l.r1, l.r3, l.r4])
    );
    assert_eq!(l.ids(&format!("unit_id={}", l.w.p.recipient_unit)).await, vec![l.r2]);
}

#[tokio::test]
async fn reports_filter_by_period() {
    let l = report_list().await;
    assert_eq!(l.ids("period=2025-03").await, sorted(vec![l.r1, l.r2, l.r4]));
    assert_eq!(l.ids("period=2025-Q1").await, vec![l.r3]);
    assert!(l.ids("period=2025").await.is_empty());
}

#[tokio::test]
async fn reports_filter_by_status() {
    let l = report_list().await;
    assert_eq!(l.ids("status=submitted").await, vec![l.r1]);
    assert_eq!(l.ids("status=draft").await, sorted(vec![l.r2, l.r3, l.r4]));
    assert!(l.ids("status=approved").await.is_empty());
}

#[tokio::test]
async fn reports_filters_combine() {
    let l = report_list().await;
    assert_eq!(
        l.ids(&format!(
            "task_id={}&unit_id={}&period=2025-Q1&status=draft",
            l.task1, l.w.p.recipient_unit_2
        ))
        .await,
        vec![l.r3]
    );
}

#[tokio::test]
async fn a_supporting_unit_lists_its_own_reports_and_others_once_submitted() {
    let l = report_list().await;
    let ids = sorted(l.w.list_ids(&l.w.supporting, "/api/v1/reports").await);
    // Not r2, the lead unit's draft.
    assert_eq!(ids, sorted(vec![l.r1, l.r3, l.r4]));
}

#[tokio::test]
async fn a_replayed_report_post_answers_the_first_report_again() {
    let (w, task, target) = report_world().await;
    let body = supporting_report("2025-03", target, "1200");
    let path = format!("/api/v1/tasks/{task}/reports");
    let key = [("idempotency-key", "wx-swj-2025-03-attempt-1")];
    let first = w.send(&w.supporting, "POST", &path, Some(&body), &key).await;
    let made = expect(&first, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = w.send(&w.supporting, "POST", &path, Some(&body), &key).await;
    assert_eq!(expect(&again, 201)["id"], made["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("etag"), Some("\"1\""));
    let listed = w
        .list_ids(&w.coordinator, &format!("/api/v1/reports?task_id={task}"))
        .await;
    assert_eq!(listed, vec![id_of(&made)]);
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_body_is_422() {
    let (w, task, target) = report_world().await;
    let path = format!("/api/v1/tasks/{task}/reports");
    let key = [("idempotency-key", "wx-swj-2025-03-attempt-1")];
    let first = w
        .send(
            &w.supporting,
            "POST",
            &path,
            Some(&supporting_report("2025-03", target, "1200")),
            &key,
        )
        .await;
    let made = expect(&first, 201);
    let other = w
        .send(
            &w.supporting,
            "POST",
            &path,
            Some(&supporting_report("2025-04", target, "1300")),
            &key,
        )
        .await;
    assert_problem(&other, 422, "VALIDATION_FAILED");
    let listed = w
        .list_ids(&w.coordinator, &format!("/api/v1/reports?task_id={task}"))
        .await;
    assert_eq!(listed, vec![id_of(&made)]);
}

#[tokio::test]
async fn a_coordinator_writes_a_report_for_a_unit_it_names() {
    let (w, task, target) = report_world().await;
    let mut body = supporting_report("2025-03", target, "100");
    body["unit_id"] = json!(w.p.recipient_unit_2);
    let report = w.draft(&w.coordinator, task, &body).await;
    assert_eq!(report["unit_id"], json!(w.p.recipient_unit_2));
    assert_eq!(report["created_by"], json!(w.coordinator_id));
}

#[tokio::test]
async fn a_coordinator_whose_unit_has_no_role_must_name_a_unit_that_has_one() {
    let (w, task, target) = report_world().await;
    let response = w
        .post_report(&w.coordinator, task, &supporting_report("2025-03", target, "100"))
        .await;
    assert_invalid_field(&response, "unit_id");
}

#[tokio::test]
async fn an_idempotency_key_is_the_callers_own() {
    let (w, task, target) = report_world().await;
    let path = format!("/api/v1/tasks/{task}/reports");
    let key = [("idempotency-key", "attempt-1")];
    let first = expect(
        &w.send(
            &w.supporting,
            "POST",
            &path,
            Some(&supporting_report("2025-03", target, "1200")),
            &key,
        )
        .await,
        201,
    );
    // Another user with the same key makes a report of its own.
    let response = w
        .send(
            &w.lead,
            "POST",
            &path,
            Some(&consolidated_report("2025-03", target, "3200")),
            &key,
        )
        .await;
    let second = expect(&response, 201);
    assert_eq!(response.header("idempotent-replayed"), None);
    assert_ne!(first["id"], second["id"]);
    assert_eq!(second["unit_id"], json!(w.p.recipient_unit));
}

#[tokio::test]
async fn a_report_transition_with_a_stale_etag_is_412() {
    let (w, task, target) = report_world().await;
    let report = w
        .draft(&w.supporting, task, &supporting_report("2025-03", target, "1200"))
        .await;
    let id = id_of(&report);
    expect(
        &w.send(
            &w.supporting,
            "PATCH",
            &format!("/api/v1/reports/{id}"),
            Some(&json!({"text": "补充说明"})),
            &[("if-match", "\"1\"")],
        )
        .await,
        200,
    );
    let response = w
        .send(
            &w.supporting,
            "POST",
            &format!("/api/v1/reports/{id}/submit"),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&response, 412, "VERSION_CONFLICT");
}

#[tokio::test]
async fn a_declared_progress_above_100_is_422() {
    let w = world().await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    let response = w
        .send(
            &w.lead,
            "PATCH",
            &format!("/api/v1/tasks/{}", task.id),
            Some(&json!({"declared_progress": 101})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_invalid_field(&response, "declared_progress");
}

#[tokio::test]
async fn a_closed_plan_cannot_be_patched() {
    let w = world().await;
    let closed = expect(&w.move_plan(&w.coordinator, w.p.plan, "close", "\"2\"").await, 200);
    let response = w
        .send(
            &w.coordinator,
            "PATCH",
            &format!("/api/v1/plans/{}", w.p.plan),
            Some(&json!({"title": "改过的标题"})),
            &[("if-match", &etag_of(&closed))],
        )
        .await;
    assert_problem(&response, 409, "CONFLICT");
}

#[tokio::test]
async fn a_unit_user_of_another_region_does_not_see_a_task() {
    let w = world().await;
    let other = nanchuan_wulong(&w.app).await;
    w.app.user("wl-swj", Role::UnitUser, Some(other.wulong_unit)).await;
    let bearer = w.app.bearer("wl-swj").await;
    let task = seed::task(&w.app.db, &w.p, 1, &["5000"]).await;
    assert_problem(
        &w.get(&bearer, &format!("/api/v1/tasks/{}", task.id)).await,
        404,
        "NOT_FOUND",
    );
    assert!(w.list_ids(&bearer, "/api/v1/tasks").await.is_empty());
}

#[tokio::test]
async fn task_pages_by_creation_and_update_time_lose_nothing() {
    let w = world().await;
    let mut originals = Vec::new();
    for seq in 1..=5 {
        originals.push(id_of(&w.post_task(&w.task_body(seq)).await));
    }
    for sort in ["created_at", "-created_at", "updated_at", "-updated_at"] {
        let first = format!("/api/v1/tasks?plan_id={}&sort={sort}&limit=2", w.p.plan);
        let seen = all_pages(&w, &first, async |_| {}).await;
        let ids: Vec<Uuid> = seen.iter().map(id_of).collect();
        assert_eq!(sorted(ids.clone()), sorted(originals.clone()), "{sort}");
        if sort == "created_at" {
            assert_eq!(ids, originals, "in the order made");
        }
    }
}

#[tokio::test]
async fn report_pages_newest_first_lose_nothing() {
    let (w, task, target) = report_world().await;
    let mut made = Vec::new();
    for month in 1..=5 {
        let body = supporting_report(&format!("2025-{month:02}"), target, "100");
        made.push(id_of(&w.draft(&w.supporting, task, &body).await));
    }
    let first = format!("/api/v1/reports?task_id={task}&limit=2");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            None => first.clone(),
            Some(c) => format!("{first}&cursor={}", enc(c)),
        };
        let page = expect(&w.get(&w.supporting, &path).await, 200);
        assert_eq!(page["total_count"], 5);
        seen.extend(page["items"].as_array().expect("items").iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    made.reverse();
    assert_eq!(seen, made, "newest first, each once");
}

#[tokio::test]
async fn the_day_is_the_apps_clocks() {
    // A task due 2025-06-30, made and read on the day and on the day after.
    for (day, overdue) in [("2025-06-30", false), ("2025-07-01", true)] {
        let app = TestApp::spawn_on(day).await;
        let p = seed::yuzhong_wuxi(&app.db).await;
        let admin = app.bearer_of_new_admin().await;
        let body = json!({
            "plan_id": p.plan,
            "seq": 1,
            "content": "确保协作引进1个以上项目落地巫溪县",
            "deadline": "2025-06-30",
            "assignments": [{"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"}],
            "targets": [],
        });
        let made = app.as_bearer(&admin, "POST", "/api/v1/tasks", Some(&body)).await;
        let task = expect(&made, 201);
        assert_eq!(task["overdue"], overdue, "on {day}: {task}");
        // What the service writes carries the same day.
        let created_at = task["created_at"].as_str().expect("created_at");
        assert!(created_at.starts_with(day), "on {day}: created {created_at}");
        let late = app.as_bearer(&admin, "GET", "/api/v1/tasks?status=overdue", None).await;
        assert_eq!(expect(&late, 200)["total_count"], u64::from(overdue), "on {day}");
    }
}
