//! REST over the reference data — regions (行政区划), units (单位) and unit
//! groups (单位组), pairings (结对) and unit pairings (部门街镇结对), the
//! metric catalogue (指标目录) — and the chronicle of a pairing (大事记):
//! the whole life of each resource, pages, filters, the errors, and
//! idempotent creates. Every answer is checked against the committed
//! OpenAPI document by the harness.

use crate::common;
use std::collections::HashSet;

use crate::common::seed::{self, Pairing};
use crate::common::{TestApp, TestResponse, assert_problem};
use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::values::{Cluster, RegionKind, Role, UnitKind};

/// A query-string value, percent-encoded.
fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

fn etag(response: &TestResponse) -> &str {
    response.header("etag").expect("an ETag")
}

/// Sends a request as the holder of `bearer` with extra headers.
async fn send(
    app: &TestApp,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut all = vec![("authorization", bearer)];
    all.extend_from_slice(headers);
    app.request(method, path, body, &all).await
}

/// POSTs `body` to `collection`, expecting 201 with the version as ETag.
async fn create(app: &TestApp, bearer: &str, collection: &str, body: &Value) -> Value {
    let response = app.as_bearer(bearer, "POST", collection, Some(body)).await;
    assert_eq!(response.status, 201, "POST {collection}: {}", text(&response));
    let created = response.json();
    assert_eq!(etag(&response), format!("\"{}\"", created["version"]));
    created
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// Fails unless every field of `expected` reads the same in `actual`.
fn assert_includes(actual: &Value, expected: &Value) {
    for (key, value) in expected.as_object().expect("an object") {
        assert_eq!(&actual[key], value, "field {key} of {actual}");
    }
}

/// Walks a list one row a page and checks that the pages add up to the
/// whole list: no row lost or repeated, the same order as one big page,
/// and the same `total_count` on every page.
async fn walk(app: &TestApp, bearer: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let whole = app
        .as_bearer(bearer, "GET", &format!("{path}{sep}limit=200"), None)
        .await;
    assert_eq!(whole.status, 200, "GET {path}: {}", text(&whole));
    let whole = whole.json();
    assert!(whole["next_cursor"].is_null(), "{whole}");
    let total = whole["total_count"].as_u64().expect("a total count");
    let mut items: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=1&cursor={c}"),
            None => format!("{path}{sep}limit=1"),
        };
        let response = app.as_bearer(bearer, "GET", &url, None).await;
        assert_eq!(response.status, 200, "GET {url}: {}", text(&response));
        let page = response.json();
        assert_eq!(page["total_count"].as_u64(), Some(total), "{page}");
        let rows = page["items"].as_array().expect("items");
        assert!(rows.len() <= 1, "{page}");
        items.extend(rows.iter().cloned());
        assert!(items.len() as u64 <= total, "more rows than total_count over {path}");
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(items.len() as u64, total, "{path}");
    let ids: HashSet<String> = items.iter().map(id_of).collect();
    assert_eq!(ids.len(), items.len(), "a row repeats over the pages of {path}");
    assert_eq!(&items, whole["items"].as_array().expect("items"), "{path}");
    items
}

/// The ids of a list's rows, in order.
async fn ids(app: &TestApp, bearer: &str, path: &str) -> Vec<String> {
    let response = app.as_bearer(bearer, "GET", path, None).await;
    assert_eq!(response.status, 200, "GET {path}: {}", text(&response));
    response.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

/// The whole life of a resource over HTTP: created (201, ETag), read
/// (200, ETag, 304), replaced with `If-Match` (200; 428 without it, 412
/// when stale), deleted (428, 412, 204), then gone (404).
async fn full_cycle(app: &TestApp, bearer: &str, collection: &str, body: Value, replacement: Value) {
    let created = create(app, bearer, collection, &body).await;
    assert_includes(&created, &body);
    assert_eq!(created["version"], 1);
    let path = format!("{collection}/{}", id_of(&created));

    let read = app.as_bearer(bearer, "GET", &path, None).await;
    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(etag(&read), "\"1\"");
    assert_eq!(read.json(), created);
    let unchanged = send(app, bearer, "GET", &path, None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    assert_eq!(etag(&unchanged), "\"1\"");
    let other = send(app, bearer, "GET", &path, None, &[("if-none-match", "\"7\"")]).await;
    assert_eq!(other.status, 200);

    let missing = app.as_bearer(bearer, "PUT", &path, Some(&replacement)).await;
    assert_problem(&missing, 428, "PRECONDITION_REQUIRED");
    let replaced = send(app, bearer, "PUT", &path, Some(&replacement), &[("if-match", "\"1\"")]).await;
    assert_eq!(replaced.status, 200, "PUT {path}: {}", text(&replaced));
    assert_eq!(etag(&replaced), "\"2\"");
    let replaced = replaced.json();
    assert_includes(&replaced, &replacement);
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["created_at"], created["created_at"]);
    let reread = app.as_bearer(bearer, "GET", &path, None).await;
    assert_eq!(reread.json(), replaced);
    let stale = send(app, bearer, "PUT", &path, Some(&replacement), &[("if-match", "\"1\"")]).await;
    assert_problem(&stale, 412, "VERSION_CONFLICT");

    let missing = app.as_bearer(bearer, "DELETE", &path, None).await;
    assert_problem(&missing, 428, "PRECONDITION_REQUIRED");
    let stale = send(app, bearer, "DELETE", &path, None, &[("if-match", "\"1\"")]).await;
    assert_problem(&stale, 412, "VERSION_CONFLICT");
    let deleted = send(app, bearer, "DELETE", &path, None, &[("if-match", "\"2\"")]).await;
    assert_eq!(deleted.status, 204, "{}", text(&deleted));
    assert!(deleted.body.is_empty());
    assert_problem(&app.as_bearer(bearer, "GET", &path, None).await, 404, "NOT_FOUND");
    let again = send(app, bearer, "DELETE", &path, None, &[("if-match", "\"2\"")]).await;
    assert_problem(&again, 404, "NOT_FOUND");
}

/// The 渝中区·巫溪县 pairing of the fixtures, as an administrator sees it.
async fn yuzhong_wuxi() -> (TestApp, String, Pairing) {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    (app, admin, p)
}

/// A valid body for every collection that creates, over the fixtures'
/// pairing; each names something not yet made.
fn valid_bodies(p: &Pairing) -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/v1/regions",
            json!({"code": "500102", "name": "涪陵区", "kind": "district", "cluster": "main_metro"}),
        ),
        (
            "/api/v1/units",
            json!({"region_id": p.recipient, "name": "县农业农村委", "kind": "department"}),
        ),
        (
            "/api/v1/unit-groups",
            json!({"region_id": p.recipient, "name": "各镇街", "rule_kinds": ["street", "town", "township"]}),
        ),
        (
            "/api/v1/pairings",
            json!({"helper_region_id": p.recipient, "recipient_region_id": p.helper}),
        ),
        (
            "/api/v1/unit-pairings",
            json!({"pairing_id": p.pairing, "helper_unit_id": p.helper_unit, "recipient_unit_id": p.recipient_unit}),
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "签订对口协同发展合作协议"}),
        ),
    ]
}

// ------------------------------------------------------------ life cycles

#[tokio::test]
async fn a_region_is_created_read_replaced_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let chongqing = seed::region(&app.db, Some("500000"), "重庆市", RegionKind::Province, None).await;
    full_cycle(
        &app,
        &admin,
        "/api/v1/regions",
        json!({"code": "500103", "name": "渝中区", "kind": "district", "cluster": "main_metro"}),
        json!({"code": "500103", "name": "渝中区", "kind": "district", "cluster": "main_metro", "parent_id": chongqing}),
    )
    .await;
    // A development zone has no code.
    let zone = create(
        &app,
        &admin,
        "/api/v1/regions",
        &json!({"name": "两江新区", "kind": "development_zone", "cluster": "main_metro"}),
    )
    .await;
    assert!(zone["code"].is_null());
    assert!(zone["parent_id"].is_null());
}

#[tokio::test]
async fn a_unit_is_created_read_replaced_and_deleted() {
    let (app, admin, p) = yuzhong_wuxi().await;
    full_cycle(
        &app,
        &admin,
        "/api/v1/units",
        json!({"region_id": p.recipient, "name": "县农业农村委", "kind": "department", "aliases": ["县农委"]}),
        json!({"region_id": p.recipient, "name": "县农业农村委员会", "kind": "department", "aliases": ["县农委"]}),
    )
    .await;
}

#[tokio::test]
async fn a_unit_group_is_created_read_replaced_and_deleted() {
    let (app, admin, p) = yuzhong_wuxi().await;
    full_cycle(
        &app,
        &admin,
        "/api/v1/unit-groups",
        json!({"region_id": p.recipient, "name": "各镇街", "rule_kinds": ["street", "town", "township"],
               "member_ids": [], "aliases": ["各乡镇（街道）"], "description": null}),
        json!({"region_id": p.recipient, "name": "县级相关部门", "rule_kinds": null,
               "member_ids": [p.recipient_unit], "aliases": [], "description": "县商务委等县级相关部门单位"}),
    )
    .await;
}

#[tokio::test]
async fn a_pairing_is_created_read_replaced_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let db = &app.db;
    let nanchuan = seed::region(
        db,
        Some("500119"),
        "南川区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let fuling = seed::region(
        db,
        Some("500102"),
        "涪陵区",
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
    full_cycle(
        &app,
        &admin,
        "/api/v1/pairings",
        json!({"helper_region_id": nanchuan, "recipient_region_id": wulong, "start_year": 2020,
               "documents": [{"title": "南川区·武隆区对口协同发展合作协议", "doc_number": null, "issued_on": "2020-09-01"}]}),
        json!({"helper_region_id": nanchuan, "recipient_region_id": wulong, "co_helper_region_ids": [fuling],
               "start_year": 2020, "status": "ended", "note": "涪陵区联合帮扶",
               "documents": [{"title": "武隆区2025年对口协同发展任务清单", "doc_number": "武隆府发〔2025〕3号", "issued_on": null}]}),
    )
    .await;
}

#[tokio::test]
async fn a_unit_pairing_is_created_read_replaced_and_deleted() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let jiefangbei = seed::unit(&app.db, p.helper, "解放碑街道", UnitKind::Street).await;
    let bailu = seed::unit(&app.db, p.recipient, "白鹿镇", UnitKind::Town).await;
    full_cycle(
        &app,
        &admin,
        "/api/v1/unit-pairings",
        json!({"pairing_id": p.pairing, "helper_unit_id": jiefangbei, "recipient_unit_id": bailu, "seq": 1}),
        json!({"pairing_id": p.pairing, "helper_unit_id": jiefangbei, "recipient_unit_id": p.recipient_unit_2,
               "seq": 2, "note": "街镇结对"}),
    )
    .await;
}

#[tokio::test]
async fn an_event_is_created_read_replaced_and_deleted() {
    let (app, admin, p) = yuzhong_wuxi().await;
    full_cycle(
        &app,
        &admin,
        "/api/v1/events",
        json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "渝中区向巫溪县购买森林面积指标",
               "amounts": [{"value": "8.46", "unit": "万亩", "label": "森林面积指标"},
                           {"value": "21150", "unit": "万元", "label": "交易金额"}]}),
        json!({"pairing_id": p.pairing, "occurred_on": "2021-06-19", "title": "签订森林覆盖率指标交易协议",
               "description": "购买森林面积指标8.46万亩，交易金额21150万元。",
               "amounts": [{"value": "21150", "unit": "万元", "label": null}]}),
    )
    .await;
}

// ------------------------------------------------------ lists and filters

#[tokio::test]
async fn regions_list_in_pages_sorted_and_filtered() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let db = &app.db;
    let chongqing = seed::region(db, Some("500000"), "重庆市", RegionKind::Province, None).await;
    for (code, name, kind, cluster) in [
        ("500103", "渝中区", "district", "main_metro"),
        ("500238", "巫溪县", "county", "northeast"),
        ("500101", "万州区", "district", "northeast"),
        ("500241", "秀山土家族苗族自治县", "county", "southeast"),
    ] {
        create(
            &app,
            &admin,
            "/api/v1/regions",
            &json!({"code": code, "name": name, "kind": kind, "cluster": cluster, "parent_id": chongqing}),
        )
        .await;
    }
    create(
        &app,
        &admin,
        "/api/v1/regions",
        &json!({"name": "重庆高新区", "kind": "development_zone", "cluster": "main_metro"}),
    )
    .await;

    let by_name = walk(&app, &admin, "/api/v1/regions").await;
    assert_eq!(by_name.len(), 6);
    let names: Vec<&str> = by_name.iter().map(|r| r["name"].as_str().expect("a name")).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "by name (code points) by default");
    let descending = walk(&app, &admin, "/api/v1/regions?sort=-name").await;
    assert_eq!(
        descending.iter().rev().map(id_of).collect::<Vec<_>>(),
        by_name.iter().map(id_of).collect::<Vec<_>>()
    );
    let by_creation = walk(&app, &admin, "/api/v1/regions?sort=created_at").await;
    assert_eq!(by_creation[0]["name"], "重庆市");
    assert_eq!(by_creation[5]["name"], "重庆高新区");
    walk(&app, &admin, "/api/v1/regions?sort=-created_at").await;

    let counties = walk(&app, &admin, "/api/v1/regions?kind=county").await;
    assert_eq!(counties.len(), 2);
    assert!(counties.iter().all(|r| r["kind"] == "county"));
    let northeast = walk(&app, &admin, "/api/v1/regions?cluster=northeast&sort=-name").await;
    assert_eq!(northeast.len(), 2);
    let children = walk(&app, &admin, &format!("/api/v1/regions?parent_id={chongqing}")).await;
    assert_eq!(children.len(), 4);
    let by_code = walk(&app, &admin, "/api/v1/regions?q=50023").await;
    assert_eq!(by_code.len(), 1);
    assert_eq!(by_code[0]["name"], "巫溪县");
    let by_word = walk(&app, &admin, &format!("/api/v1/regions?q={}", enc("重庆"))).await;
    assert_eq!(by_word.len(), 2);
    let nothing = walk(&app, &admin, &format!("/api/v1/regions?q={}", enc("%_"))).await;
    assert!(nothing.is_empty(), "LIKE wildcards are taken literally");

    for bad in [
        "/api/v1/regions?sort=code",
        "/api/v1/regions?limit=0",
        "/api/v1/regions?limit=201",
        "/api/v1/regions?cursor=not-a-cursor",
    ] {
        assert_problem(&app.as_bearer(&admin, "GET", bad, None).await, 422, "VALIDATION_FAILED");
    }
    for bad in [
        "/api/v1/regions?kind=village",
        "/api/v1/regions?parent_id=x",
        "/api/v1/regions?colour=red",
    ] {
        assert_problem(&app.as_bearer(&admin, "GET", bad, None).await, 400, "BAD_REQUEST");
    }
}

#[tokio::test]
async fn units_list_in_pages_by_region_kind_and_words() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let db = &app.db;
    seed::unit(db, p.helper, "解放碑街道", UnitKind::Street).await;
    seed::unit(db, p.recipient, "白鹿镇", UnitKind::Town).await;
    seed::unit(db, p.recipient, "宁厂镇", UnitKind::Town).await;
    create(
        &app,
        &admin,
        "/api/v1/units",
        &json!({"region_id": p.recipient, "name": "县就业和人才中心", "kind": "other", "aliases": ["县就业人才中心"]}),
    )
    .await;

    assert_eq!(walk(&app, &admin, "/api/v1/units").await.len(), 7);
    let wuxi = walk(&app, &admin, &format!("/api/v1/units?region_id={}", p.recipient)).await;
    assert_eq!(wuxi.len(), 5);
    assert!(wuxi.iter().all(|u| u["region_id"] == json!(p.recipient)));
    let reversed = walk(
        &app,
        &admin,
        &format!("/api/v1/units?region_id={}&sort=-name", p.recipient),
    )
    .await;
    assert_eq!(
        reversed.iter().rev().map(id_of).collect::<Vec<_>>(),
        wuxi.iter().map(id_of).collect::<Vec<_>>()
    );
    let towns = walk(
        &app,
        &admin,
        &format!("/api/v1/units?region_id={}&kind=town", p.recipient),
    )
    .await;
    assert_eq!(towns.len(), 2);
    let by_name = walk(&app, &admin, &format!("/api/v1/units?q={}", enc("经济信息"))).await;
    assert_eq!(by_name.len(), 2, "区经济信息委 and 县经济信息委");
    let by_alias = walk(&app, &admin, &format!("/api/v1/units?q={}", enc("就业人才"))).await;
    assert_eq!(by_alias.len(), 1);
    assert_eq!(by_alias[0]["name"], "县就业和人才中心");
    assert_eq!(by_alias[0]["aliases"], json!(["县就业人才中心"]));
    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/units?sort=kind", None).await,
        422,
        "VALIDATION_FAILED",
    );
}

#[tokio::test]
async fn unit_groups_list_by_region_and_their_members_in_pages() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let db = &app.db;
    let bailu = seed::unit(db, p.recipient, "白鹿镇", UnitKind::Town).await;
    let ningchang = seed::unit(db, p.recipient, "宁厂镇", UnitKind::Town).await;
    let baiyang = seed::unit(db, p.recipient, "柏杨街道", UnitKind::Street).await;
    seed::unit(db, p.helper, "解放碑街道", UnitKind::Street).await;
    let towns = create(
        &app,
        &admin,
        "/api/v1/unit-groups",
        &json!({"region_id": p.recipient, "name": "各镇街", "rule_kinds": ["street", "town"],
                "member_ids": [p.recipient_unit_2]}),
    )
    .await;
    create(
        &app,
        &admin,
        "/api/v1/unit-groups",
        &json!({"region_id": p.recipient, "name": "县级相关部门", "member_ids": [p.recipient_unit]}),
    )
    .await;
    create(
        &app,
        &admin,
        "/api/v1/unit-groups",
        &json!({"region_id": p.helper, "name": "各街道", "rule_kinds": ["street"]}),
    )
    .await;

    assert_eq!(walk(&app, &admin, "/api/v1/unit-groups").await.len(), 3);
    let wuxi = walk(&app, &admin, &format!("/api/v1/unit-groups?region_id={}", p.recipient)).await;
    assert_eq!(wuxi.len(), 2);
    walk(&app, &admin, "/api/v1/unit-groups?sort=-name").await;

    let members = walk(&app, &admin, &format!("/api/v1/unit-groups/{}/members", id_of(&towns))).await;
    let member_ids: HashSet<String> = members.iter().map(id_of).collect();
    let expected: HashSet<String> = [bailu, ningchang, baiyang, p.recipient_unit_2]
        .iter()
        .map(Uuid::to_string)
        .collect();
    assert_eq!(member_ids, expected, "the towns and streets by rule, 县商务委 by name");

    let nobody = Uuid::new_v4();
    assert_problem(
        &app.as_bearer(&admin, "GET", &format!("/api/v1/unit-groups/{nobody}/members"), None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/unit-groups/x/members", None)
            .await,
        400,
        "BAD_REQUEST",
    );
}

#[tokio::test]
async fn pairings_list_in_pages_by_region_and_status() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let db = &app.db;
    let yuzhong = seed::region(
        db,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let wuxi = seed::region(
        db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    let nanchuan = seed::region(
        db,
        Some("500119"),
        "南川区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let fuling = seed::region(
        db,
        Some("500102"),
        "涪陵区",
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
    let liangjiang = seed::region(
        db,
        None,
        "两江新区",
        RegionKind::DevelopmentZone,
        Some(Cluster::MainMetro),
    )
    .await;
    let wanzhou = seed::region(
        db,
        Some("500101"),
        "万州区",
        RegionKind::District,
        Some(Cluster::Northeast),
    )
    .await;
    let first = create(
        &app,
        &admin,
        "/api/v1/pairings",
        &json!({"helper_region_id": yuzhong, "recipient_region_id": wuxi, "start_year": 2020}),
    )
    .await;
    let second = create(
        &app,
        &admin,
        "/api/v1/pairings",
        &json!({"helper_region_id": nanchuan, "recipient_region_id": wulong, "co_helper_region_ids": [fuling]}),
    )
    .await;
    let third = create(
        &app,
        &admin,
        "/api/v1/pairings",
        &json!({"helper_region_id": liangjiang, "recipient_region_id": wanzhou, "status": "ended"}),
    )
    .await;
    assert_eq!(first["status"], "active", "active unless said otherwise");
    assert_eq!(second["co_helper_region_ids"], json!([fuling]));

    let all = walk(&app, &admin, "/api/v1/pairings").await;
    assert_eq!(
        all.iter().map(id_of).collect::<Vec<_>>(),
        [&first, &second, &third].map(id_of).to_vec()
    );
    let newest_first = walk(&app, &admin, "/api/v1/pairings?sort=-created_at").await;
    assert_eq!(id_of(&newest_first[0]), id_of(&third));
    for (region, expected) in [
        (wuxi, &first),
        (nanchuan, &second),
        (fuling, &second),
        (wulong, &second),
    ] {
        let found = walk(&app, &admin, &format!("/api/v1/pairings?region_id={region}")).await;
        assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), vec![id_of(expected)]);
    }
    let active = ids(&app, &admin, "/api/v1/pairings?status=active").await;
    assert_eq!(active, vec![id_of(&first), id_of(&second)]);
    let ended = ids(
        &app,
        &admin,
        &format!("/api/v1/pairings?status=ended&region_id={wanzhou}"),
    )
    .await;
    assert_eq!(ended, vec![id_of(&third)]);
    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/pairings?sort=start_year", None)
            .await,
        422,
        "VALIDATION_FAILED",
    );
}

#[tokio::test]
async fn unit_pairings_list_in_pages_by_pairing_and_unit() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let db = &app.db;
    let jiefangbei = seed::unit(db, p.helper, "解放碑街道", UnitKind::Street).await;
    let bailu = seed::unit(db, p.recipient, "白鹿镇", UnitKind::Town).await;
    let fazhan = seed::unit(db, p.helper, "区发展改革委", UnitKind::Department).await;
    let mut made = Vec::new();
    for (seq, helper, recipient) in [
        (1, jiefangbei, bailu),
        (2, fazhan, p.recipient_unit),
        (3, fazhan, p.recipient_unit_2),
    ] {
        made.push(
            create(
                &app,
                &admin,
                "/api/v1/unit-pairings",
                &json!({"pairing_id": p.pairing, "helper_unit_id": helper, "recipient_unit_id": recipient, "seq": seq}),
            )
            .await,
        );
    }
    // A unit pairing in another pairing: 巫溪县 helps 渝中区 too, for the test.
    let other = create(
        &app,
        &admin,
        "/api/v1/pairings",
        &json!({"helper_region_id": p.recipient, "recipient_region_id": p.helper}),
    )
    .await;
    let elsewhere = create(
        &app,
        &admin,
        "/api/v1/unit-pairings",
        &json!({"pairing_id": id_of(&other), "helper_unit_id": bailu, "recipient_unit_id": jiefangbei}),
    )
    .await;

    assert_eq!(walk(&app, &admin, "/api/v1/unit-pairings").await.len(), 4);
    let in_pairing = walk(&app, &admin, &format!("/api/v1/unit-pairings?pairing_id={}", p.pairing)).await;
    assert_eq!(
        in_pairing.iter().map(id_of).collect::<Vec<_>>(),
        made.iter().map(id_of).collect::<Vec<_>>()
    );
    walk(
        &app,
        &admin,
        &format!("/api/v1/unit-pairings?pairing_id={}&sort=-created_at", p.pairing),
    )
    .await;
    let of_fazhan = walk(&app, &admin, &format!("/api/v1/unit-pairings?unit_id={fazhan}")).await;
    assert_eq!(of_fazhan.len(), 2, "区发展改革委 ↔ 县经济信息委、县商务委");
    let of_bailu = ids(&app, &admin, &format!("/api/v1/unit-pairings?unit_id={bailu}")).await;
    assert_eq!(
        of_bailu,
        vec![id_of(&made[0]), id_of(&elsewhere)],
        "as recipient and as helper"
    );
    let both = ids(
        &app,
        &admin,
        &format!("/api/v1/unit-pairings?unit_id={bailu}&pairing_id={}", p.pairing),
    )
    .await;
    assert_eq!(both, vec![id_of(&made[0])]);
}

#[tokio::test]
async fn events_list_in_pages_by_pairing_and_dates() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let other = create(
        &app,
        &admin,
        "/api/v1/pairings",
        &json!({"helper_region_id": p.recipient, "recipient_region_id": p.helper}),
    )
    .await;
    for (pairing, day, title) in [
        (p.pairing.to_string(), "2022-03-01", "巫溪县渝中区合作产业园揭牌"),
        (p.pairing.to_string(), "2021-06-18", "渝中区向巫溪县购买森林面积指标"),
        (p.pairing.to_string(), "2023-01-10", "召开对口协同发展联席会议"),
        (id_of(&other), "2022-05-05", "另一结对的大事"),
    ] {
        create(
            &app,
            &admin,
            "/api/v1/events",
            &json!({"pairing_id": pairing, "occurred_on": day, "title": title}),
        )
        .await;
    }
    let chronicle = walk(&app, &admin, &format!("/api/v1/events?pairing_id={}", p.pairing)).await;
    let days: Vec<&str> = chronicle
        .iter()
        .map(|e| e["occurred_on"].as_str().expect("a day"))
        .collect();
    assert_eq!(days, ["2021-06-18", "2022-03-01", "2023-01-10"], "by day");
    let latest_first = walk(
        &app,
        &admin,
        &format!("/api/v1/events?pairing_id={}&sort=-occurred_on", p.pairing),
    )
    .await;
    assert_eq!(latest_first[0]["occurred_on"], "2023-01-10");
    walk(&app, &admin, "/api/v1/events?sort=created_at").await;
    assert_eq!(walk(&app, &admin, "/api/v1/events").await.len(), 4);

    let in_2022 = walk(&app, &admin, "/api/v1/events?from=2022-01-01&to=2022-12-31").await;
    assert_eq!(in_2022.len(), 2);
    let mine_in_2022 = walk(
        &app,
        &admin,
        &format!("/api/v1/events?pairing_id={}&from=2022-01-01&to=2022-12-31", p.pairing),
    )
    .await;
    assert_eq!(mine_in_2022.len(), 1);
    assert_eq!(mine_in_2022[0]["title"], "巫溪县渝中区合作产业园揭牌");
    let since = walk(&app, &admin, "/api/v1/events?from=2022-05-05").await;
    assert_eq!(since.len(), 2, "the bounds are inclusive");
    let until = walk(&app, &admin, "/api/v1/events?to=2021-06-18").await;
    assert_eq!(until.len(), 1);

    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/events?from=2023-01-01&to=2022-01-01", None)
            .await,
        422,
        "VALIDATION_FAILED",
    );
    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/events?from=2023-13-01", None)
            .await,
        400,
        "BAD_REQUEST",
    );
}

#[tokio::test]
async fn the_metric_catalogue_reads_in_pages() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let metrics = walk(&app, &admin, "/api/v1/metrics").await;
    assert!(metrics.len() >= 14, "the catalogue the migrations load");
    let codes: Vec<&str> = metrics.iter().map(|m| m["code"].as_str().expect("a code")).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted, "by code");
    let reversed = walk(&app, &admin, "/api/v1/metrics?sort=-code").await;
    assert_eq!(reversed.first(), metrics.last());

    let funds = metrics
        .iter()
        .find(|m| m["code"] == "investment_funds")
        .expect("investment_funds");
    assert_eq!(funds["name"], "实际到位资金");
    assert_eq!(funds["unit_of_measure"], "万元");
    let path = format!("/api/v1/metrics/{}", id_of(funds));
    let read = app.as_bearer(&admin, "GET", &path, None).await;
    assert_eq!(read.status, 200);
    assert_eq!(&read.json(), funds);
    let tag = etag(&read).to_owned();
    let unchanged = send(&app, &admin, "GET", &path, None, &[("if-none-match", tag.as_str())]).await;
    assert_eq!(unchanged.status, 304);
    assert_problem(
        &app.as_bearer(&admin, "GET", &format!("/api/v1/metrics/{}", Uuid::new_v4()), None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/metrics?sort=name", None).await,
        422,
        "VALIDATION_FAILED",
    );
}

// --------------------------------------------------------------- conflicts

#[tokio::test]
async fn a_duplicate_region_code_is_409() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    create(
        &app,
        &admin,
        "/api/v1/regions",
        &json!({"code": "500103", "name": "渝中区", "kind": "district"}),
    )
    .await;
    let again = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/regions",
            Some(&json!({"code": "500103", "name": "渝中", "kind": "district"})),
        )
        .await;
    assert_problem(&again, 409, "CONFLICT");
    assert_eq!(again.json()["errors"][0]["field"], "code");
    let same_name = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/regions",
            Some(&json!({"code": "500104", "name": "渝中区", "kind": "district"})),
        )
        .await;
    assert_problem(&same_name, 409, "CONFLICT");
    assert_eq!(same_name.json()["errors"][0]["field"], "name");
}

#[tokio::test]
async fn a_duplicate_unit_name_in_a_region_is_409() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let again = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/units",
            Some(&json!({"region_id": p.recipient, "name": "县商务委", "kind": "department"})),
        )
        .await;
    assert_problem(&again, 409, "CONFLICT");
    assert_eq!(again.json()["errors"][0]["field"], "name");
    let as_alias = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/units",
            Some(&json!({"region_id": p.recipient, "name": "县商务局", "kind": "department", "aliases": ["县商务委"]})),
        )
        .await;
    assert_problem(&as_alias, 409, "CONFLICT");
    // The same name in another region is another unit.
    create(
        &app,
        &admin,
        "/api/v1/units",
        &json!({"region_id": p.helper, "name": "县商务委", "kind": "department"}),
    )
    .await;
}

#[tokio::test]
async fn pairing_the_same_regions_twice_is_409() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let again = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/pairings",
            Some(&json!({"helper_region_id": p.helper, "recipient_region_id": p.recipient})),
        )
        .await;
    assert_problem(&again, 409, "CONFLICT");
    assert_eq!(again.json()["errors"][0]["field"], "recipient_region_id");
}

#[tokio::test]
async fn pairing_the_same_units_twice_is_409() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let body = json!({"pairing_id": p.pairing, "helper_unit_id": p.helper_unit, "recipient_unit_id": p.recipient_unit});
    create(&app, &admin, "/api/v1/unit-pairings", &body).await;
    let again = app
        .as_bearer(&admin, "POST", "/api/v1/unit-pairings", Some(&body))
        .await;
    assert_problem(&again, 409, "CONFLICT");
}

#[tokio::test]
async fn what_is_still_referred_to_cannot_be_deleted() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let region = app
        .as_bearer(&admin, "GET", &format!("/api/v1/regions/{}", p.recipient), None)
        .await;
    let tag = etag(&region).to_owned();
    let refused = send(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/regions/{}", p.recipient),
        None,
        &[("if-match", tag.as_str())],
    )
    .await;
    assert_problem(&refused, 409, "CONFLICT");

    create(
        &app,
        &admin,
        "/api/v1/events",
        &json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "签订合作协议"}),
    )
    .await;
    let refused = send(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/pairings/{}", p.pairing),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_problem(&refused, 409, "CONFLICT");
}

// ------------------------------------------------------------- bad input

#[tokio::test]
async fn an_unknown_field_is_422() {
    let (app, admin, p) = yuzhong_wuxi().await;
    for (collection, mut body) in valid_bodies(&p) {
        body["colour"] = json!("red");
        let response = app.as_bearer(&admin, "POST", collection, Some(&body)).await;
        assert_problem(&response, 422, "VALIDATION_FAILED");
        assert!(response.json()["detail"].as_str().is_some_and(|d| d.contains("colour")));
    }
    let nested = json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "购买森林面积指标",
                        "amounts": [{"value": "8.46", "unit": "万亩", "currency": "CNY"}]});
    assert_problem(
        &app.as_bearer(&admin, "POST", "/api/v1/events", Some(&nested)).await,
        422,
        "VALIDATION_FAILED",
    );
    let replaced = send(
        &app,
        &admin,
        "PUT",
        &format!("/api/v1/regions/{}", p.helper),
        Some(&json!({"code": "500103", "name": "渝中区", "kind": "district", "population": 600000})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_problem(&replaced, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn a_wrong_type_is_422() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let cases = [
        (
            "/api/v1/regions",
            json!({"code": 500103, "name": "渝中区", "kind": "district"}),
        ),
        (
            "/api/v1/units",
            json!({"region_id": p.recipient, "name": ["县农业农村委"], "kind": "department"}),
        ),
        (
            "/api/v1/unit-groups",
            json!({"region_id": "巫溪县", "name": "各镇街", "rule_kinds": ["town"]}),
        ),
        (
            "/api/v1/pairings",
            json!({"helper_region_id": p.recipient, "recipient_region_id": p.helper, "start_year": "2020年"}),
        ),
        (
            "/api/v1/unit-pairings",
            json!({"pairing_id": p.pairing, "helper_unit_id": p.helper_unit, "recipient_unit_id": p.recipient_unit, "seq": "一"}),
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "2021年6月18日", "title": "签订合作协议"}),
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "购买森林面积指标",
                                  "amounts": [{"value": 8.46, "unit": "万亩"}]}),
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "购买森林面积指标",
                                  "amounts": [{"value": "8.46万", "unit": "万亩"}]}),
        ),
    ];
    for (collection, body) in cases {
        let response = app.as_bearer(&admin, "POST", collection, Some(&body)).await;
        assert_problem(&response, 422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn a_bad_enum_is_422() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let cases = [
        ("/api/v1/regions", json!({"name": "某某乡", "kind": "village"})),
        (
            "/api/v1/regions",
            json!({"name": "某某区", "kind": "district", "cluster": "north"}),
        ),
        (
            "/api/v1/units",
            json!({"region_id": p.recipient, "name": "县农业农村委", "kind": "bureau"}),
        ),
        (
            "/api/v1/unit-groups",
            json!({"region_id": p.recipient, "name": "各镇街", "rule_kinds": ["village"]}),
        ),
        (
            "/api/v1/pairings",
            json!({"helper_region_id": p.recipient, "recipient_region_id": p.helper, "status": "paused"}),
        ),
    ];
    for (collection, body) in cases {
        let response = app.as_bearer(&admin, "POST", collection, Some(&body)).await;
        assert_problem(&response, 422, "VALIDATION_FAILED");
        assert!(
            response.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("expected one of")),
            "{}",
            text(&response)
        );
    }
}

#[tokio::test]
async fn a_blank_name_is_422() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let cases = [
        ("/api/v1/regions", json!({"name": "  ", "kind": "district"}), "name"),
        (
            "/api/v1/units",
            json!({"region_id": p.recipient, "name": "", "kind": "department"}),
            "name",
        ),
        (
            "/api/v1/unit-groups",
            json!({"region_id": p.recipient, "name": " ", "rule_kinds": ["town"]}),
            "name",
        ),
        (
            "/api/v1/pairings",
            json!({"helper_region_id": p.recipient, "recipient_region_id": p.helper, "documents": [{"title": ""}]}),
            "documents[0].title",
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "  "}),
            "title",
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "购买森林面积指标",
                   "amounts": [{"value": "8.46", "unit": " "}]}),
            "amounts[0].unit",
        ),
    ];
    for (collection, body, field) in cases {
        let response = app.as_bearer(&admin, "POST", collection, Some(&body)).await;
        assert_problem(&response, 422, "VALIDATION_FAILED");
        let errors = response.json()["errors"].clone();
        assert!(
            errors
                .as_array()
                .is_some_and(|es| es.iter().any(|e| e["field"] == field)),
            "{collection}: {errors}"
        );
    }
}

#[tokio::test]
async fn references_to_nothing_and_bad_values_are_422() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let nobody = Uuid::new_v4();
    let cases = [
        (
            "/api/v1/regions",
            json!({"code": "5001", "name": "某某区", "kind": "district"}),
            "code",
        ),
        (
            "/api/v1/regions",
            json!({"code": "500000", "name": "两江新区", "kind": "development_zone"}),
            "code",
        ),
        (
            "/api/v1/regions",
            json!({"name": "某某区", "kind": "district", "parent_id": nobody}),
            "parent_id",
        ),
        (
            "/api/v1/units",
            json!({"region_id": nobody, "name": "县农业农村委", "kind": "department"}),
            "region_id",
        ),
        (
            "/api/v1/unit-groups",
            json!({"region_id": p.recipient, "name": "空组"}),
            "member_ids",
        ),
        (
            "/api/v1/unit-groups",
            json!({"region_id": p.recipient, "name": "错组", "member_ids": [p.helper_unit]}),
            "member_ids[0]",
        ),
        (
            "/api/v1/pairings",
            json!({"helper_region_id": p.helper, "recipient_region_id": p.helper}),
            "recipient_region_id",
        ),
        (
            "/api/v1/unit-pairings",
            json!({"pairing_id": p.pairing, "helper_unit_id": p.recipient_unit, "recipient_unit_id": p.helper_unit}),
            "helper_unit_id",
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": nobody, "occurred_on": "2021-06-18", "title": "签订合作协议"}),
            "pairing_id",
        ),
        (
            "/api/v1/events",
            json!({"pairing_id": p.pairing, "occurred_on": "1900-01-01", "title": "签订合作协议"}),
            "occurred_on",
        ),
    ];
    for (collection, body, field) in cases {
        let response = app.as_bearer(&admin, "POST", collection, Some(&body)).await;
        assert_problem(&response, 422, "VALIDATION_FAILED");
        let errors = response.json()["errors"].clone();
        assert!(
            errors
                .as_array()
                .is_some_and(|es| es.iter().any(|e| e["field"] == field)),
            "{collection} {body}: {errors}"
        );
    }
    // Too precise an amount is refused, not rounded.
    let precise = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/events",
            Some(
                &json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "购买森林面积指标",
                         "amounts": [{"value": "8.46001", "unit": "万亩"}]}),
            ),
        )
        .await;
    assert_problem(&precise, 422, "VALIDATION_FAILED");
    // A unit, a group or an event does not move.
    let moved = send(
        &app,
        &admin,
        "PUT",
        &format!("/api/v1/units/{}", p.recipient_unit),
        Some(&json!({"region_id": p.helper, "name": "县经济信息委", "kind": "department"})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_problem(&moved, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_400() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    for collection in [
        "/api/v1/regions",
        "/api/v1/units",
        "/api/v1/unit-groups",
        "/api/v1/pairings",
        "/api/v1/unit-pairings",
        "/api/v1/metrics",
        "/api/v1/events",
    ] {
        for id in ["42", "500103", "not-a-uuid"] {
            let response = app.as_bearer(&admin, "GET", &format!("{collection}/{id}"), None).await;
            assert_problem(&response, 400, "BAD_REQUEST");
            // In our words, naming the parameter: no parser's text.
            let body = response.json();
            assert_eq!(
                body["errors"],
                serde_json::json!([{"field": "id", "message": "must be a UUID"}]),
                "{collection}/{id}: {body}"
            );
            assert_eq!(body["detail"], "the path is not valid: id must be a UUID");
        }
        let nobody = Uuid::new_v4();
        let response = app
            .as_bearer(&admin, "GET", &format!("{collection}/{nobody}"), None)
            .await;
        assert_problem(&response, 404, "NOT_FOUND");
    }
    let response = send(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/regions/{}", enc("渝中区")),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_problem(&response, 400, "BAD_REQUEST");
}

// ------------------------------------------------------------ who may do it

#[tokio::test]
async fn a_unit_user_reads_but_does_not_write_reference_data() {
    let (app, admin, p) = yuzhong_wuxi().await;
    app.user("clerk", Role::UnitUser, Some(p.recipient_unit)).await;
    let clerk = app.bearer("clerk").await;
    let before = ids(&app, &admin, "/api/v1/regions").await;
    for (collection, body) in valid_bodies(&p) {
        let response = app.as_bearer(&clerk, "POST", collection, Some(&body)).await;
        assert_problem(&response, 403, "FORBIDDEN");
        let read = app.as_bearer(&clerk, "GET", collection, None).await;
        assert_eq!(read.status, 200, "{collection}: {}", text(&read));
    }
    assert_eq!(ids(&app, &admin, "/api/v1/regions").await, before);
    for (path, body) in [
        (
            format!("/api/v1/regions/{}", p.recipient),
            json!({"code": "500238", "name": "巫溪", "kind": "county"}),
        ),
        (
            format!("/api/v1/units/{}", p.recipient_unit),
            json!({"region_id": p.recipient, "name": "县经济和信息化委员会", "kind": "department"}),
        ),
        (
            format!("/api/v1/pairings/{}", p.pairing),
            json!({"helper_region_id": p.helper, "recipient_region_id": p.recipient, "status": "ended"}),
        ),
    ] {
        let read = app.as_bearer(&clerk, "GET", &path, None).await;
        assert_eq!(read.status, 200);
        let replaced = send(&app, &clerk, "PUT", &path, Some(&body), &[("if-match", "\"1\"")]).await;
        assert_problem(&replaced, 403, "FORBIDDEN");
        let deleted = send(&app, &clerk, "DELETE", &path, None, &[("if-match", "\"1\"")]).await;
        assert_problem(&deleted, 403, "FORBIDDEN");
        let unchanged = app.as_bearer(&admin, "GET", &path, None).await;
        assert_eq!(etag(&unchanged), "\"1\"");
    }
}

#[tokio::test]
async fn without_a_token_it_is_401() {
    let (app, _admin, p) = yuzhong_wuxi().await;
    for (collection, body) in valid_bodies(&p) {
        assert_problem(&app.get(collection).await, 401, "UNAUTHENTICATED");
        let response = app.request("POST", collection, Some(&body), &[]).await;
        assert_problem(&response, 401, "UNAUTHENTICATED");
        assert!(response.header("www-authenticate").is_some());
    }
    for path in [
        "/api/v1/metrics".to_owned(),
        format!("/api/v1/regions/{}", p.helper),
        format!("/api/v1/units/{}", p.helper_unit),
        format!("/api/v1/pairings/{}", p.pairing),
    ] {
        assert_problem(&app.get(&path).await, 401, "UNAUTHENTICATED");
    }
    let response = app
        .request(
            "DELETE",
            &format!("/api/v1/regions/{}", p.helper),
            None,
            &[("if-match", "\"1\""), ("authorization", "Bearer not-a-token")],
        )
        .await;
    assert_problem(&response, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_chronicle_is_written_by_admins_and_the_pairings_coordinators() {
    let (app, admin, p) = yuzhong_wuxi().await;
    let fuling = seed::region(
        &app.db,
        Some("500102"),
        "涪陵区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let fuling_office = seed::unit(&app.db, fuling, "区发展改革委", UnitKind::Department).await;
    let wuxi_office = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
    app.user("wuxi-coordinator", Role::Coordinator, Some(wuxi_office)).await;
    app.user("yuzhong-coordinator", Role::Coordinator, Some(p.helper_unit))
        .await;
    app.user("fuling-coordinator", Role::Coordinator, Some(fuling_office))
        .await;
    app.user("clerk", Role::UnitUser, Some(p.recipient_unit)).await;
    app.user("inspector", Role::Viewer, None).await;
    let wuxi = app.bearer("wuxi-coordinator").await;
    let yuzhong = app.bearer("yuzhong-coordinator").await;
    let outsider = app.bearer("fuling-coordinator").await;
    let clerk = app.bearer("clerk").await;
    let inspector = app.bearer("inspector").await;

    let body = json!({"pairing_id": p.pairing, "occurred_on": "2021-06-18", "title": "渝中区向巫溪县购买森林面积指标",
                      "amounts": [{"value": "8.46", "unit": "万亩", "label": "森林面积指标"},
                                  {"value": "21150", "unit": "万元", "label": "交易金额"}]});
    let made = create(&app, &wuxi, "/api/v1/events", &body).await;
    assert_eq!(made["amounts"][0]["value"], "8.46", "exact, as a string");
    assert_eq!(made["amounts"][1]["value"], "21150");
    create(&app, &yuzhong, "/api/v1/events", &body).await;
    for refused in [&outsider, &clerk, &inspector] {
        assert_problem(
            &app.as_bearer(refused, "POST", "/api/v1/events", Some(&body)).await,
            403,
            "FORBIDDEN",
        );
    }
    let path = format!("/api/v1/events/{}", id_of(&made));
    for refused in [&outsider, &clerk, &inspector] {
        let replaced = send(&app, refused, "PUT", &path, Some(&body), &[("if-match", "\"1\"")]).await;
        assert_problem(&replaced, 403, "FORBIDDEN");
        let deleted = send(&app, refused, "DELETE", &path, None, &[("if-match", "\"1\"")]).await;
        assert_problem(&deleted, 403, "FORBIDDEN");
        // Every signed-in principal reads the chronicle.
        let read = app.as_bearer(refused, "GET", &path, None).await;
        assert_eq!(read.status, 200);
    }
    // When 涪陵区 joins as a co-helper, its coordinator writes the chronicle too.
    let pairing = app
        .as_bearer(&admin, "GET", &format!("/api/v1/pairings/{}", p.pairing), None)
        .await;
    let tag = etag(&pairing).to_owned();
    let joined = send(
        &app,
        &admin,
        "PUT",
        &format!("/api/v1/pairings/{}", p.pairing),
        Some(
            &json!({"helper_region_id": p.helper, "recipient_region_id": p.recipient,
                     "co_helper_region_ids": [fuling], "start_year": 2020}),
        ),
        &[("if-match", tag.as_str())],
    )
    .await;
    assert_eq!(joined.status, 200, "{}", text(&joined));
    let replaced = send(&app, &outsider, "PUT", &path, Some(&body), &[("if-match", "\"1\"")]).await;
    assert_eq!(replaced.status, 200, "{}", text(&replaced));
    let deleted = send(&app, &wuxi, "DELETE", &path, None, &[("if-match", "\"2\"")]).await;
    assert_eq!(deleted.status, 204);
    create(&app, &admin, "/api/v1/events", &body).await;

    // Each change is in the audit log.
    let audit = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/audit?entity=event&entity_id={}", id_of(&made)),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{}", text(&audit));
    let actions: HashSet<String> = audit.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        actions,
        HashSet::from(["create", "update", "delete"].map(str::to_owned))
    );
}

// ----------------------------------------------------------- idempotency

#[tokio::test]
async fn a_replayed_create_answers_the_first_answer() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let body = json!({"code": "500103", "name": "渝中区", "kind": "district", "cluster": "main_metro"});
    let key = [("idempotency-key", "regions-2025-06-27-1")];
    let first = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &key).await;
    assert_eq!(first.status, 201, "{}", text(&first));
    assert!(first.header("idempotent-replayed").is_none());
    let again = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &key).await;
    assert_eq!(again.status, 201, "{}", text(&again));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    assert_eq!(etag(&again), etag(&first));
    let listed = app.as_bearer(&admin, "GET", "/api/v1/regions", None).await;
    assert_eq!(listed.json()["total_count"], 1, "one row");

    let other = json!({"code": "500238", "name": "巫溪县", "kind": "county", "cluster": "northeast"});
    let misused = send(&app, &admin, "POST", "/api/v1/regions", Some(&other), &key).await;
    assert_problem(&misused, 422, "VALIDATION_FAILED");
    assert_eq!(misused.json()["errors"][0]["field"], "Idempotency-Key");
    let listed = app.as_bearer(&admin, "GET", "/api/v1/regions", None).await;
    assert_eq!(listed.json()["total_count"], 1);
}

#[tokio::test]
async fn every_create_is_idempotent_with_a_key() {
    let (app, admin, p) = yuzhong_wuxi().await;
    for (i, (collection, body)) in valid_bodies(&p).into_iter().enumerate() {
        let key = format!("key-{i}");
        let headers = [("idempotency-key", key.as_str())];
        let first = send(&app, &admin, "POST", collection, Some(&body), &headers).await;
        assert_eq!(first.status, 201, "{collection}: {}", text(&first));
        let again = send(&app, &admin, "POST", collection, Some(&body), &headers).await;
        assert_eq!(again.status, 201, "{collection}: {}", text(&again));
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json(), first.json());
        let total = |r: &TestResponse| r.json()["total_count"].as_u64();
        let listed = app.as_bearer(&admin, "GET", collection, None).await;
        let count = total(&listed);
        // Without the key, the same body is a second create: a conflict.
        let unkeyed = app.as_bearer(&admin, "POST", collection, Some(&body)).await;
        if collection == "/api/v1/events" {
            assert_eq!(unkeyed.status, 201, "events may repeat");
        } else {
            assert_problem(&unkeyed, 409, "CONFLICT");
            let listed = app.as_bearer(&admin, "GET", collection, None).await;
            assert_eq!(total(&listed), count);
        }
        let mut changed = body.clone();
        match collection {
            "/api/v1/pairings" => changed["start_year"] = json!(2021),
            "/api/v1/unit-pairings" => changed["seq"] = json!(9),
            "/api/v1/events" => changed["title"] = json!("另一件大事"),
            _ => changed["name"] = json!("另一个名字"),
        }
        let misused = send(&app, &admin, "POST", collection, Some(&changed), &headers).await;
        assert_problem(&misused, 422, "VALIDATION_FAILED");
        assert_eq!(misused.json()["errors"][0]["field"], "Idempotency-Key", "{collection}");
    }
}

/// A create that fails keeps no claim on its key: once the cause is gone,
/// the same request with the same key runs and is answered 201.
#[tokio::test]
async fn a_failed_create_leaves_its_idempotency_key_free() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let body = json!({"name": "渝中区", "kind": "district"});
    let taken = create(&app, &admin, "/api/v1/regions", &body).await;
    let headers = [("idempotency-key", "after-the-conflict")];
    let refused = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &headers).await;
    assert_problem(&refused, 409, "CONFLICT");
    let deleted = send(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/regions/{}", id_of(&taken)),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", text(&deleted));
    let retried = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &headers).await;
    assert_eq!(retried.status, 201, "{}", text(&retried));
    assert_eq!(retried.header("idempotent-replayed"), None, "it ran now");
    let again = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &headers).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), retried.json());
}

/// A create that fails does not bind its key to its input: the client may
/// correct the input and send it under the same key (were the failed
/// attempt's claim kept, the new input would be refused as another
/// request's).
#[tokio::test]
async fn a_failed_create_does_not_bind_its_key_to_its_input() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    create(
        &app,
        &admin,
        "/api/v1/regions",
        &json!({"name": "渝中区", "kind": "district"}),
    )
    .await;
    let headers = [("idempotency-key", "corrected")];
    let refused = send(
        &app,
        &admin,
        "POST",
        "/api/v1/regions",
        Some(&json!({"name": "渝中区", "kind": "district"})),
        &headers,
    )
    .await;
    assert_problem(&refused, 409, "CONFLICT");
    let corrected = json!({"name": "巫溪县", "kind": "county"});
    let made = send(&app, &admin, "POST", "/api/v1/regions", Some(&corrected), &headers).await;
    assert_eq!(made.status, 201, "{}", text(&made));
    assert_eq!(made.header("idempotent-replayed"), None, "it ran now");
    assert_eq!(made.json()["name"], "巫溪县");
}

/// Versions before claim, create and answer shared a transaction could
/// leave a claim without an answer when their process died mid-request
/// (nothing else of that request committed). A retry takes such a claim
/// over and runs, once.
#[tokio::test]
async fn a_claim_left_without_an_answer_is_taken_over_by_the_retry() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let body = json!({"name": "巫溪县", "kind": "county"});
    let headers = [("idempotency-key", "orphaned")];
    let first = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &headers).await;
    assert_eq!(first.status, 201, "{}", text(&first));
    // Make it what a dead process of an older version left: the claim
    // committed without an answer, the region not.
    entity::regions::Entity::delete_by_id(id_of(&first.json()).parse::<Uuid>().expect("a uuid"))
        .exec(&app.db)
        .await
        .expect("delete the region");
    entity::idempotency_keys::Entity::update_many()
        .col_expr(
            entity::idempotency_keys::Column::Status,
            sea_orm::sea_query::Expr::value(None::<i32>),
        )
        .col_expr(
            entity::idempotency_keys::Column::Response,
            sea_orm::sea_query::Expr::value(None::<String>),
        )
        .filter(entity::idempotency_keys::Column::Key.eq("orphaned"))
        .exec(&app.db)
        .await
        .expect("unanswer the claim");
    let retried = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &headers).await;
    assert_eq!(retried.status, 201, "{}", text(&retried));
    assert_eq!(retried.header("idempotent-replayed"), None, "it ran now");
    assert_ne!(retried.json()["id"], first.json()["id"], "a new region");
    let again = send(&app, &admin, "POST", "/api/v1/regions", Some(&body), &headers).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), retried.json());
    let listed = app.as_bearer(&admin, "GET", "/api/v1/regions", None).await;
    assert_eq!(listed.json()["total_count"], 1, "{}", text(&listed));
}

/// `If-Match` takes the ETags the service gives out, `"2"` or `W/"2"`, and
/// nothing else that happens to hold the digits, as the document's pattern
/// says.
#[tokio::test]
async fn if_match_takes_only_the_etags_the_service_gives_out() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let zone = create(
        &app,
        &admin,
        "/api/v1/regions",
        &json!({"name": "两江新区", "kind": "development_zone", "cluster": "main_metro"}),
    )
    .await;
    let path = format!("/api/v1/regions/{}", id_of(&zone));
    for malformed in [
        "1",
        "\"1",
        "\"\"1\"\"",
        "\"+1\"",
        "\"-1\"",
        "\"1\", \"2\"",
        "*",
        "\"9999999999\"",
    ] {
        let refused = send(&app, &admin, "DELETE", &path, None, &[("if-match", malformed)]).await;
        assert_problem(&refused, 400, "BAD_REQUEST");
    }
    let weak_and_stale = send(&app, &admin, "DELETE", &path, None, &[("if-match", "W/\"7\"")]).await;
    assert_problem(&weak_and_stale, 412, "VERSION_CONFLICT");
    let weak = send(&app, &admin, "DELETE", &path, None, &[("if-match", "W/\"1\"")]).await;
    assert_eq!(weak.status, 204, "{}", text(&weak));
    let pattern = common::openapi::committed()["paths"]["/api/v1/regions/{id}"]["delete"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "If-Match")
        .expect("If-Match")["schema"]["pattern"]
        .clone();
    assert_eq!(pattern, r#"^(W/)?"[0-9]{1,9}"$"#);
}
