//! GraphQL over reference data: regions, units and groups, pairings and
//! unit pairings, the chronicle, the metric catalogue; Relay ids and
//! pagination both ways; versions and idempotency keys.

use crate::common::{TestApp, graphql_code, graphql_data, seed};
use serde_json::{Value, json};
use xietong::domain::values::{Role, UnitKind};

async fn ok(app: &TestApp, bearer: &str, query: &str, variables: Value) -> Value {
    let answer = app.graphql(Some(bearer), query, variables).await;
    graphql_data(&answer).clone()
}

async fn code(app: &TestApp, bearer: &str, query: &str, variables: Value) -> String {
    let answer = app.graphql(Some(bearer), query, variables).await;
    graphql_code(&answer)
        .unwrap_or_else(|| panic!("no error: {answer}"))
        .to_owned()
}

const CREATE_REGION: &str = "mutation($input: RegionInput!, $key: String) {
    createRegion(input: $input, idempotencyKey: $key) { id uuid name code kind cluster version }
}";

#[tokio::test]
async fn regions_are_created_read_paged_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    app.user("viewer", Role::Viewer, None).await;
    let viewer = app.bearer("viewer").await;

    let input = json!({"code": "500103", "name": "渝中区", "kind": "DISTRICT", "cluster": "MAIN_METRO"});
    let made =
        ok(&app, &admin, CREATE_REGION, json!({"input": input, "key": "region-1"})).await["createRegion"].clone();
    assert_eq!(made["name"], "渝中区");
    assert_eq!(made["kind"], "DISTRICT");
    // A replay answers the same region; another input under the key is refused.
    let again =
        ok(&app, &admin, CREATE_REGION, json!({"input": input, "key": "region-1"})).await["createRegion"].clone();
    assert_eq!(again["uuid"], made["uuid"]);
    let other = json!({"code": "500238", "name": "巫溪县", "kind": "COUNTY", "cluster": "NORTHEAST"});
    assert_eq!(
        code(&app, &admin, CREATE_REGION, json!({"input": other, "key": "region-1"})).await,
        "VALIDATION_FAILED"
    );
    assert_eq!(
        code(&app, &viewer, CREATE_REGION, json!({"input": other})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(&app, &admin, CREATE_REGION, json!({"input": input})).await,
        "CONFLICT"
    );
    let bad = json!({"code": "12", "name": "", "kind": "COUNTY"});
    let answer = app.graphql(Some(&admin), CREATE_REGION, json!({"input": bad})).await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = answer["errors"][0]["extensions"]["errors"]
        .as_array()
        .expect("field errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"name") && fields.contains(&"code"), "{answer}");
    ok(&app, &admin, CREATE_REGION, json!({"input": other})).await;
    for (code_, name) in [("500114", "黔江区"), ("500102", "涪陵区"), ("500156", "武隆区")] {
        let input = json!({"code": code_, "name": name, "kind": "DISTRICT"});
        ok(&app, &admin, CREATE_REGION, json!({"input": input})).await;
    }

    // By id, by uuid and as a node.
    let by_node = ok(
        &app,
        &viewer,
        "query($id: ID!) { node(id: $id) { __typename id uuid ... on Region { name } } }",
        json!({"id": made["id"]}),
    )
    .await;
    assert_eq!(by_node["node"]["__typename"], "Region");
    assert_eq!(by_node["node"]["name"], "渝中区");
    let by_uuid = ok(
        &app,
        &viewer,
        "query($id: ID!) { region(id: $id) { id } }",
        json!({"id": made["uuid"]}),
    )
    .await;
    assert_eq!(by_uuid["region"]["id"], made["id"]);
    let missing = json!({"id": "00000000-0000-0000-0000-000000000000"});
    assert_eq!(
        code(&app, &viewer, "query($id: ID!) { region(id: $id) { id } }", missing).await,
        "NOT_FOUND"
    );

    // Five regions by name, two at a time forward, then backward.
    let page = "query($first: Int, $after: String, $last: Int, $before: String) {
        regions(first: $first, after: $after, last: $last, before: $before) {
            totalCount edges { cursor node { name } } nodes { name }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let mut names = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = ok(&app, &viewer, page, json!({"first": 2, "after": after})).await;
        let regions = &data["regions"];
        assert_eq!(regions["totalCount"], 5);
        assert_eq!(regions["pageInfo"]["hasPreviousPage"], !after.is_null());
        for edge in regions["edges"].as_array().expect("edges") {
            names.push(edge["node"]["name"].as_str().expect("name").to_owned());
        }
        assert_eq!(
            regions["nodes"].as_array().map(Vec::len),
            regions["edges"].as_array().map(Vec::len)
        );
        if regions["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = regions["pageInfo"]["endCursor"].clone();
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 5);
    // The last two, then the two before them, in the same order.
    let tail = ok(&app, &viewer, page, json!({"last": 2})).await["regions"].clone();
    let tail_names: Vec<&str> = tail["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(tail_names, names[3..].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(tail["pageInfo"]["hasNextPage"], false);
    let before = ok(
        &app,
        &viewer,
        page,
        json!({"last": 2, "before": tail["pageInfo"]["startCursor"]}),
    )
    .await["regions"]
        .clone();
    let before_names: Vec<&str> = before["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(before_names, names[1..3].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(before["pageInfo"]["hasNextPage"], true);
    // A cursor of any edge pages on from that edge.
    let first = ok(&app, &viewer, page, json!({"first": 3})).await["regions"].clone();
    let second_cursor = first["edges"][1]["cursor"].clone();
    let rest = ok(&app, &viewer, page, json!({"first": 1, "after": second_cursor})).await["regions"].clone();
    assert_eq!(rest["nodes"][0]["name"], first["nodes"][2]["name"]);
    assert_eq!(
        code(&app, &viewer, page, json!({"first": 1, "last": 1})).await,
        "VALIDATION_FAILED"
    );

    // Filters and sorts are REST's.
    let filtered = ok(
        &app,
        &viewer,
        "{ regions(cluster: NORTHEAST) { nodes { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(filtered["regions"]["nodes"], json!([{"name": "巫溪县"}]));
    let sorted_desc = ok(
        &app,
        &viewer,
        "{ regions(sort: \"-name\", first: 1) { nodes { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(sorted_desc["regions"]["nodes"][0]["name"], json!(names[4]));

    // Versions: a stale one is a version conflict.
    let update = "mutation($id: ID!, $version: Int!, $input: RegionInput!) {
        updateRegion(id: $id, version: $version, input: $input) { name version } }";
    let renamed = json!({"code": "500103", "name": "渝中区（新）", "kind": "DISTRICT", "cluster": "MAIN_METRO"});
    let changed = ok(
        &app,
        &admin,
        update,
        json!({"id": made["id"], "version": 1, "input": renamed}),
    )
    .await;
    assert_eq!(changed["updateRegion"]["version"], 2);
    assert_eq!(
        code(
            &app,
            &admin,
            update,
            json!({"id": made["id"], "version": 1, "input": renamed})
        )
        .await,
        "VERSION_CONFLICT"
    );
    let delete = "mutation($id: ID!, $version: Int!) { deleteRegion(id: $id, version: $version) }";
    assert_eq!(
        code(&app, &viewer, delete, json!({"id": made["id"], "version": 2})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(&app, &admin, delete, json!({"id": made["id"], "version": 1})).await,
        "VERSION_CONFLICT"
    );
    let deleted = ok(&app, &admin, delete, json!({"id": made["id"], "version": 2})).await;
    assert_eq!(deleted["deleteRegion"], made["id"]);
}

#[tokio::test]
async fn units_groups_pairings_unit_pairings_events_and_metrics() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let bailu = seed::unit(&app.db, p.recipient, "白鹿镇", UnitKind::Town).await;
    let jfb = seed::unit(&app.db, p.helper, "解放碑街道", UnitKind::Street).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let unit_user = app.bearer("wx-jxw").await;

    // Units.
    let create_unit =
        "mutation($input: UnitInput!) { createUnit(input: $input) { uuid name kind aliases region { name } version } }";
    let made = ok(
        &app,
        &admin,
        create_unit,
        json!({"input": {"regionId": p.recipient, "name": "县就业和人才中心", "kind": "DEPARTMENT", "aliases": ["县就业人才中心"]}}),
    )
    .await["createUnit"]
        .clone();
    assert_eq!(made["region"]["name"], "巫溪县");
    assert_eq!(made["aliases"], json!(["县就业人才中心"]));
    assert_eq!(
        code(
            &app,
            &unit_user,
            create_unit,
            json!({"input": {"regionId": p.recipient, "name": "x", "kind": "DEPARTMENT"}})
        )
        .await,
        "FORBIDDEN"
    );
    let found = ok(
        &app,
        &unit_user,
        "query($r: ID) { units(regionId: $r, q: \"人才\") { totalCount nodes { name } } }",
        json!({"r": p.recipient}),
    )
    .await;
    assert_eq!(found["units"]["nodes"], json!([{"name": "县就业和人才中心"}]));
    let update_unit = "mutation($id: ID!, $v: Int!, $input: UnitInput!) { updateUnit(id: $id, version: $v, input: $input) { version aliases } }";
    let unit_input = json!({"regionId": p.recipient, "name": "县就业和人才中心", "kind": "DEPARTMENT"});
    let changed = ok(
        &app,
        &admin,
        update_unit,
        json!({"id": made["uuid"], "v": 1, "input": unit_input}),
    )
    .await;
    assert_eq!(changed["updateUnit"]["aliases"], json!([]));
    assert_eq!(
        code(
            &app,
            &admin,
            update_unit,
            json!({"id": made["uuid"], "v": 1, "input": unit_input})
        )
        .await,
        "VERSION_CONFLICT"
    );
    ok(
        &app,
        &admin,
        "mutation($id: ID!) { deleteUnit(id: $id, version: 2) }",
        json!({"id": made["uuid"]}),
    )
    .await;

    // Groups, with the units their rule takes.
    let group = ok(
        &app,
        &admin,
        "mutation($input: UnitGroupInput!) { createUnitGroup(input: $input, idempotencyKey: \"g1\") {
            id name ruleKinds members { totalCount nodes { name } } region { name } } }",
        json!({"input": {"regionId": p.recipient, "name": "各镇街", "ruleKinds": ["TOWN", "STREET", "TOWNSHIP"]}}),
    )
    .await["createUnitGroup"]
        .clone();
    assert_eq!(group["members"]["nodes"], json!([{"name": "白鹿镇"}]));
    let groups = ok(
        &app,
        &unit_user,
        "{ unitGroups { totalCount nodes { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(groups["unitGroups"]["totalCount"], 1);
    let read = ok(
        &app,
        &unit_user,
        "query($id: ID!) { unitGroup(id: $id) { name } }",
        json!({"id": group["id"]}),
    )
    .await;
    assert_eq!(read["unitGroup"]["name"], "各镇街");

    // Pairings with their regions.
    let qianjiang = seed::region(
        &app.db,
        Some("500114"),
        "黔江区",
        xietong::domain::values::RegionKind::District,
        None,
    )
    .await;
    let gaoxin = seed::region(
        &app.db,
        None,
        "重庆高新区",
        xietong::domain::values::RegionKind::DevelopmentZone,
        None,
    )
    .await;
    let pairing = ok(
        &app,
        &admin,
        "mutation($input: PairingInput!) { createPairing(input: $input) {
            id uuid status startYear helperRegion { name } recipientRegion { name } coHelperRegions { name }
            documents { title docNumber } } }",
        json!({"input": {"helperRegionId": gaoxin, "recipientRegionId": qianjiang, "coHelperRegionIds": [p.helper],
            "startYear": 2020, "documents": [{"title": "合作协议", "docNumber": "黔江府发〔2020〕1号"}]}}),
    )
    .await["createPairing"]
        .clone();
    assert_eq!(pairing["helperRegion"]["name"], "重庆高新区");
    assert_eq!(pairing["coHelperRegions"], json!([{"name": "渝中区"}]));
    assert_eq!(pairing["status"], "ACTIVE");
    let listed = ok(
        &app,
        &unit_user,
        "query($r: ID) { pairings(regionId: $r) { totalCount } }",
        json!({"r": p.helper}),
    )
    .await;
    assert_eq!(listed["pairings"]["totalCount"], 2);
    let del = "mutation($id: ID!) { deletePairing(id: $id, version: 1) }";
    assert_eq!(
        code(&app, &unit_user, del, json!({"id": pairing["id"]})).await,
        "FORBIDDEN"
    );
    ok(&app, &admin, del, json!({"id": pairing["id"]})).await;

    // Unit pairings.
    let up = ok(
        &app,
        &admin,
        "mutation($input: UnitPairingInput!) { createUnitPairing(input: $input) {
            id seq helperUnit { name } recipientUnit { name } pairing { helperRegion { name } } } }",
        json!({"input": {"pairingId": p.pairing, "helperUnitId": jfb, "recipientUnitId": bailu, "seq": 1}}),
    )
    .await["createUnitPairing"]
        .clone();
    assert_eq!(up["helperUnit"]["name"], "解放碑街道");
    assert_eq!(up["pairing"]["helperRegion"]["name"], "渝中区");
    let ups = ok(
        &app,
        &unit_user,
        "query($u: ID) { unitPairings(unitId: $u) { totalCount } }",
        json!({"u": bailu}),
    )
    .await;
    assert_eq!(ups["unitPairings"]["totalCount"], 1);
    let wrong = json!({"input": {"pairingId": p.pairing, "helperUnitId": bailu, "recipientUnitId": jfb}});
    assert_eq!(
        code(
            &app,
            &admin,
            "mutation($input: UnitPairingInput!) { createUnitPairing(input: $input) { id } }",
            wrong
        )
        .await,
        "VALIDATION_FAILED"
    );

    // The chronicle, with exact amounts.
    let event = ok(
        &app,
        &admin,
        "mutation($input: EventInput!) { createEvent(input: $input) { id occurredOn title amounts { value unit label } pairing { uuid } } }",
        json!({"input": {"pairingId": p.pairing, "occurredOn": "2021-06-18", "title": "购买森林面积指标",
            "amounts": [{"value": "8.46", "unit": "万亩"}, {"value": "21150", "unit": "万元", "label": "交易金额"}]}}),
    )
    .await["createEvent"]
        .clone();
    assert_eq!(
        event["amounts"][0],
        json!({"value": "8.46", "unit": "万亩", "label": null})
    );
    assert_eq!(event["pairing"]["uuid"], json!(p.pairing));
    assert_eq!(
        code(
            &app,
            &unit_user,
            "mutation($id: ID!) { deleteEvent(id: $id, version: 1) }",
            json!({"id": event["id"]})
        )
        .await,
        "FORBIDDEN"
    );
    let events = ok(
        &app,
        &unit_user,
        "query($p: ID) { events(pairingId: $p, from: \"2021-01-01\") { totalCount nodes { title } } }",
        json!({"p": p.pairing}),
    )
    .await;
    assert_eq!(events["events"]["totalCount"], 1);
    let bad_amount = json!({"input": {"pairingId": p.pairing, "occurredOn": "2021-06-18", "title": "x", "amounts": [{"value": "1.23456", "unit": "万元"}]}});
    assert_eq!(
        code(
            &app,
            &admin,
            "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
            bad_amount
        )
        .await,
        "BAD_REQUEST"
    );

    // The metric catalogue.
    let metrics = ok(
        &app,
        &unit_user,
        "{ metrics(first: 200) { totalCount nodes { id code name unitOfMeasure } } }",
        json!({}),
    )
    .await;
    let funds = metrics["metrics"]["nodes"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["code"] == "investment_funds")
        .expect("investment_funds")
        .clone();
    let by_id = ok(
        &app,
        &unit_user,
        "query($id: ID!) { metric(id: $id) { code } }",
        json!({"id": funds["id"]}),
    )
    .await;
    assert_eq!(by_id["metric"]["code"], "investment_funds");
}

/// A unit reached through another object (here a user's) is batch loaded
/// with its aliases in one statement: they read as on the unit itself, in
/// the same order, and a unit without aliases has an empty list.
#[tokio::test]
async fn units_loaded_through_a_relation_carry_their_aliases() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let made = ok(
        &app,
        &admin,
        "mutation($input: UnitInput!) { createUnit(input: $input) { uuid aliases } }",
        json!({"input": {"regionId": p.recipient, "name": "县就业和人才中心", "kind": "DEPARTMENT",
                         "aliases": ["县就业人才中心", "县人才中心", "就业中心"]}}),
    )
    .await["createUnit"]
        .clone();
    let unit = made["uuid"].as_str().expect("a uuid").parse().expect("a uuid");
    app.user("jy-1", Role::UnitUser, Some(unit)).await;
    app.user("jy-2", Role::UnitUser, Some(unit)).await;
    app.user("jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let users = ok(
        &app,
        &admin,
        "{ users(first: 10) { nodes { username unit { uuid aliases } } } }",
        json!({}),
    )
    .await;
    let nodes = users["users"]["nodes"].as_array().expect("users").clone();
    let aliases_of = |name: &str| {
        nodes
            .iter()
            .find(|n| n["username"] == name)
            .map(|n| n["unit"]["aliases"].clone())
            .unwrap_or_else(|| panic!("{name} listed: {users}"))
    };
    assert_eq!(aliases_of("jy-1"), made["aliases"], "{users}");
    assert_eq!(aliases_of("jy-2"), made["aliases"]);
    assert_eq!(made["aliases"].as_array().map(Vec::len), Some(3), "{made}");
    assert_eq!(aliases_of("jxw"), json!([]));
}
