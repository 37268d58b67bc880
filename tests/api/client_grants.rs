//! Clients scoped to what they serve: grants given and taken by
//! administrators (REST, GraphQL), what a client sees and changes through
//! them (lists, figures, projects, the chronicle, the change feed), and
//! each bad grant refused. The permission matrix (`common/matrix.rs`)
//! walks three scoped clients over every operation on REST and GraphQL.

use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::Caller;

use crate::common::matrix::{Who, World};
use crate::common::{TestApp, assert_problem, graphql_code, graphql_data};

/// Makes a client with `scopes` as an administrator; answers its id and a
/// token carrying every scope it holds.
async fn client(app: &TestApp, admin: &str, client_id: &str, scopes: &[&str]) -> (String, String) {
    let made = app
        .as_bearer(
            admin,
            "POST",
            "/api/v1/clients",
            Some(&json!({"client_id": client_id, "name": client_id, "scopes": scopes, "default_scopes": scopes})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let made = made.json();
    assert_eq!(made["unrestricted"], true, "a new client starts unrestricted");
    let token = app
        .request_raw(
            "POST",
            "/api/v1/auth/token",
            format!(
                "grant_type=client_credentials&client_id={client_id}&client_secret={}",
                made["client_secret"].as_str().expect("a secret")
            ),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(token.status, 200, "{}", String::from_utf8_lossy(&token.body));
    (
        made["id"].as_str().expect("an id").to_owned(),
        format!("Bearer {}", token.json()["access_token"].as_str().expect("a token")),
    )
}

async fn grants(app: &TestApp, bearer: &str, id: &str) -> Vec<Value> {
    let answer = app
        .as_bearer(bearer, "GET", &format!("/api/v1/clients/{id}/grants"), None)
        .await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    answer.json().as_array().expect("a list").clone()
}

/// Replaces client `id`'s grants with `grant`.
async fn narrow(app: &TestApp, admin: &str, id: &str, grant: Value) {
    let held = grants(app, admin, id).await;
    let given = app
        .as_bearer(admin, "POST", &format!("/api/v1/clients/{id}/grants"), Some(&grant))
        .await;
    assert_eq!(given.status, 201, "{}", String::from_utf8_lossy(&given.body));
    for old in held {
        let taken = app
            .as_bearer(
                admin,
                "DELETE",
                &format!("/api/v1/clients/{id}/grants/{}", old["id"].as_str().expect("an id")),
                None,
            )
            .await;
        assert_eq!(taken.status, 204, "{}", String::from_utf8_lossy(&taken.body));
    }
}

/// The ids a list shows `bearer`.
async fn listed(app: &TestApp, bearer: &str, path: &str) -> Vec<String> {
    let page = app.as_bearer(bearer, "GET", path, None).await;
    assert_eq!(page.status, 200, "{path}: {}", String::from_utf8_lossy(&page.body));
    page.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn administrators_give_list_and_take_grants() {
    let w = World::new().await;
    let app = &w.app;
    let admin = w.bearer(Who::Admin);
    let (id, token) = client(app, admin, "wx-platform", &["read", "write"]).await;

    // Every client starts with one unrestricted grant of what it holds.
    let held = grants(app, admin, &id).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["kind"], "all");
    assert_eq!(held[0]["scope"], "write");
    assert_eq!(held[0]["unrestricted"], true);
    assert_eq!(held[0]["client_id"], id);

    // A pairing, to write; the same grant twice is the one grant.
    let body = json!({"scope": "write", "kind": "pairing", "pairing_id": w.p.pairing});
    let given = app
        .as_bearer(admin, "POST", &format!("/api/v1/clients/{id}/grants"), Some(&body))
        .await;
    assert_eq!(given.status, 201, "{}", String::from_utf8_lossy(&given.body));
    let grant = given.json();
    assert_eq!(grant["kind"], "pairing");
    assert_eq!(grant["pairing_id"], w.p.pairing.to_string());
    assert_eq!(grant["unrestricted"], false);
    assert!(grant.get("region_id").is_none() && grant.get("plan_id").is_none());
    let again = app
        .as_bearer(admin, "POST", &format!("/api/v1/clients/{id}/grants"), Some(&body))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], grant["id"]);

    // Narrowed: the unrestricted grant goes, the client is listed as such.
    let unrestricted = held[0]["id"].as_str().expect("an id");
    let taken = app
        .as_bearer(
            admin,
            "DELETE",
            &format!("/api/v1/clients/{id}/grants/{unrestricted}"),
            None,
        )
        .await;
    assert_eq!(taken.status, 204);
    let read = app
        .as_bearer(admin, "GET", &format!("/api/v1/clients/{id}"), None)
        .await;
    assert_eq!(read.json()["unrestricted"], false);
    let all = app
        .as_bearer(admin, "GET", "/api/v1/clients?limit=100", None)
        .await
        .json();
    let by_name = |name: &str| {
        all["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|c| c["client_id"] == name)
            .map(|c| c["unrestricted"].clone())
    };
    assert_eq!(by_name("wx-platform"), Some(json!(false)));
    assert_eq!(
        by_name("writer"),
        Some(json!(true)),
        "the matrix's writer is unrestricted"
    );
    assert_eq!(by_name("wuxi-platform"), Some(json!(false)));
    let again = app
        .as_bearer(
            admin,
            "DELETE",
            &format!("/api/v1/clients/{id}/grants/{unrestricted}"),
            None,
        )
        .await;
    assert_problem(&again, 404, "NOT_FOUND");

    // The client reads its own grants, not another's; people other than
    // administrators read none and give none.
    let own = grants(app, &token, &id).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["kind"], "pairing");
    let writer = app
        .as_bearer(admin, "GET", "/api/v1/clients?limit=100", None)
        .await
        .json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["client_id"] == "writer")
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .expect("the writer");
    let theirs = app
        .as_bearer(&token, "GET", &format!("/api/v1/clients/{writer}/grants"), None)
        .await;
    assert_problem(&theirs, 403, "FORBIDDEN");
    let by_itself = app
        .as_bearer(
            &token,
            "POST",
            &format!("/api/v1/clients/{id}/grants"),
            Some(&json!({"scope": "read", "kind": "all"})),
        )
        .await;
    assert_problem(&by_itself, 403, "FORBIDDEN");
    for who in [Who::Coordinator, Who::Viewer] {
        let read = app
            .as_bearer(w.bearer(who), "GET", &format!("/api/v1/clients/{id}/grants"), None)
            .await;
        assert_problem(&read, 403, "FORBIDDEN");
    }
    let unknown = app
        .as_bearer(
            admin,
            "GET",
            &format!("/api/v1/clients/{}/grants", Uuid::new_v4()),
            None,
        )
        .await;
    assert_problem(&unknown, 404, "NOT_FOUND");

    // Each change of a grant is audited.
    let audit = app
        .as_bearer(admin, "GET", "/api/v1/audit?entity=client_grant&limit=100", None)
        .await;
    assert_eq!(audit.status, 200, "{}", String::from_utf8_lossy(&audit.body));
    let actions: Vec<String> = audit.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("an action").to_owned())
        .collect();
    assert!(
        actions.iter().filter(|a| *a == "create").count() >= 1 && actions.iter().any(|a| a == "delete"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn each_bad_grant_is_refused_with_its_field() {
    let w = World::new().await;
    let app = &w.app;
    let admin = w.bearer(Who::Admin);
    let (id, _) = client(app, admin, "wx-platform", &["read", "write"]).await;
    let (reader, _) = client(app, admin, "wx-reader", &["read"]).await;
    let nowhere = Uuid::new_v4();
    for (body, field, why) in [
        (json!({"scope": "read"}), "kind", "no kind"),
        (json!({"scope": "read", "kind": "county"}), "kind", "an unknown kind"),
        (
            json!({"scope": "read", "kind": "region"}),
            "region_id",
            "a region grant without its region",
        ),
        (
            json!({"scope": "read", "kind": "all", "plan_id": w.p.plan}),
            "plan_id",
            "an unrestricted grant naming a plan",
        ),
        (
            json!({"scope": "read", "kind": "plan", "plan_id": w.p.plan, "pairing_id": w.p.pairing}),
            "pairing_id",
            "two targets",
        ),
        (json!({"scope": "admin", "kind": "all"}), "scope", "an unknown scope"),
        (json!({"kind": "all"}), "scope", "no scope"),
        (
            json!({"scope": "read", "kind": "plan", "plan_id": "not-an-id"}),
            "plan_id",
            "an id that is not a UUID",
        ),
        (
            json!({"scope": "read", "kind": "region", "region_id": nowhere}),
            "region_id",
            "a region that does not exist",
        ),
        (
            json!({"scope": "read", "kind": "pairing", "pairing_id": nowhere}),
            "pairing_id",
            "a pairing that does not exist",
        ),
        (
            json!({"scope": "read", "kind": "plan", "plan_id": nowhere}),
            "plan_id",
            "a plan that does not exist",
        ),
    ] {
        let answer = app
            .as_bearer(admin, "POST", &format!("/api/v1/clients/{id}/grants"), Some(&body))
            .await;
        assert_problem(&answer, 422, "VALIDATION_FAILED");
        let problem = answer.json();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
            .unwrap_or_default();
        let text = problem.to_string();
        assert!(
            fields.contains(&field) || text.contains(field),
            "{why}: expected a word on `{field}`, got {problem}"
        );
    }
    // A write grant to a client that holds only `read` would never apply.
    let answer = app
        .as_bearer(
            admin,
            "POST",
            &format!("/api/v1/clients/{reader}/grants"),
            Some(&json!({"scope": "write", "kind": "all"})),
        )
        .await;
    assert_problem(&answer, 422, "VALIDATION_FAILED");
    assert!(answer.json().to_string().contains("does not hold the scope `write`"));
    // Nothing was given by any of them.
    assert_eq!(grants(app, admin, &id).await.len(), 1);
}

#[tokio::test]
async fn a_client_granted_a_pairing_sees_and_changes_that_pairing_only() {
    let w = World::new().await;
    let app = &w.app;
    let admin = w.bearer(Who::Admin);
    let elsewhere = w.qianjiang_plan().await.id;
    let task = w.task(1).await;
    let project = w.project(1).await;
    let (id, token) = client(app, admin, "wx-platform", &["read", "write"]).await;

    // Unrestricted, it sees both plans.
    let plans = listed(app, &token, "/api/v1/plans?limit=100").await;
    assert!(plans.contains(&w.p.plan.to_string()) && plans.contains(&elsewhere.to_string()));

    narrow(
        app,
        admin,
        &id,
        json!({"scope": "write", "kind": "pairing", "pairing_id": w.p.pairing}),
    )
    .await;

    // The same token, at its next request: the pairing's plan only.
    assert_eq!(
        listed(app, &token, "/api/v1/plans?limit=100").await,
        [w.p.plan.to_string()]
    );
    let hidden = app
        .as_bearer(&token, "GET", &format!("/api/v1/plans/{elsewhere}"), None)
        .await;
    assert_problem(&hidden, 404, "NOT_FOUND");
    assert_eq!(
        listed(app, &token, "/api/v1/tasks?limit=100").await,
        [task.id.to_string()]
    );
    assert_eq!(
        listed(app, &token, "/api/v1/projects?limit=100").await,
        [project.id.to_string()]
    );

    // It writes there: a task of the pairing's plan, an event of its chronicle.
    let made = app
        .as_bearer(
            &token,
            "POST",
            "/api/v1/tasks",
            Some(&json!({"plan_id": w.p.plan, "seq": 2, "content": "推动文旅产业协作"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let event = app
        .as_bearer(
            &token,
            "POST",
            "/api/v1/events",
            Some(&json!({"pairing_id": w.p.pairing, "occurred_on": "2025-06-18", "title": "渝中区向巫溪县购买森林面积指标"})),
        )
        .await;
    assert_eq!(event.status, 201, "{}", String::from_utf8_lossy(&event.body));
    // Not elsewhere: 黔江区's plan does not exist for it.
    let refused = app
        .as_bearer(
            &token,
            "POST",
            "/api/v1/tasks",
            Some(&json!({"plan_id": elsewhere, "seq": 1, "content": "推动文旅产业协作"})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", String::from_utf8_lossy(&refused.body));

    // Its figures count what it sees: the pairing's plan has two tasks now
    // (the world's and the one it added); 黔江区's plan has none to add.
    let stats = app.as_bearer(&token, "GET", "/api/v1/statistics?year=2025", None).await;
    assert_eq!(stats.status, 200, "{}", String::from_utf8_lossy(&stats.body));
    assert_eq!(stats.json()["tasks"]["total"], 2);

    // Every grant taken: nothing of the plans, tasks or projects.
    narrow(
        app,
        admin,
        &id,
        json!({"scope": "read", "kind": "plan", "plan_id": elsewhere}),
    )
    .await;
    let all = grants(app, admin, &id).await;
    let plan_grant = all[0]["id"].as_str().expect("an id").to_owned();
    let taken = app
        .as_bearer(
            admin,
            "DELETE",
            &format!("/api/v1/clients/{id}/grants/{plan_grant}"),
            None,
        )
        .await;
    assert_eq!(taken.status, 204);
    assert!(listed(app, &token, "/api/v1/plans?limit=100").await.is_empty());
    assert!(listed(app, &token, "/api/v1/tasks?limit=100").await.is_empty());
    assert!(listed(app, &token, "/api/v1/projects?limit=100").await.is_empty());
    let stats = app
        .as_bearer(&token, "GET", "/api/v1/statistics?year=2025", None)
        .await
        .json();
    assert_eq!(stats["tasks"]["total"], 0);
}

#[tokio::test]
async fn a_read_grant_reads_and_never_writes_even_with_a_write_token() {
    let w = World::new().await;
    let app = &w.app;
    let admin = w.bearer(Who::Admin);
    let task = w.task(1).await;
    let (id, token) = client(app, admin, "wx-platform", &["read", "write"]).await;
    narrow(
        app,
        admin,
        &id,
        json!({"scope": "read", "kind": "plan", "plan_id": w.p.plan}),
    )
    .await;
    let read = app
        .as_bearer(&token, "GET", &format!("/api/v1/tasks/{}", task.id), None)
        .await;
    assert_eq!(read.status, 200);
    let changed = app
        .request(
            "PATCH",
            &format!("/api/v1/tasks/{}", task.id),
            Some(&json!({"content": "改写"})),
            &[
                ("authorization", token.as_str()),
                ("if-match", &format!("\"{}\"", task.version)),
            ],
        )
        .await;
    assert_problem(&changed, 403, "FORBIDDEN");
    // A plan's grant does not reach its pairing's chronicle.
    let event = app
        .as_bearer(
            &token,
            "POST",
            "/api/v1/events",
            Some(&json!({"pairing_id": w.p.pairing, "occurred_on": "2025-06-18", "title": "签约"})),
        )
        .await;
    assert_problem(&event, 403, "FORBIDDEN");
}

#[tokio::test]
async fn graphql_gives_takes_and_honours_grants() {
    let w = World::new().await;
    let app = &w.app;
    let admin = w.bearer(Who::Admin);
    let elsewhere = w.qianjiang_plan().await.id;
    let (id, token) = client(app, admin, "wx-platform", &["read", "write"]).await;

    let given = app
        .graphql(
            Some(admin),
            "mutation($id: ID!) { addClientGrant(id: $id, input: {scope: \"write\", kind: \"region\", regionId: $region}) { uuid scope kind regionId pairingId unrestricted } }"
                .replace("$region", &format!("\"{}\"", w.p.recipient))
                .as_str(),
            json!({"id": id}),
        )
        .await;
    let grant = &graphql_data(&given)["addClientGrant"];
    assert_eq!(grant["kind"], "region");
    assert_eq!(grant["regionId"], w.p.recipient.to_string());
    assert_eq!(grant["pairingId"], Value::Null);
    assert_eq!(grant["unrestricted"], false);

    let listed = app
        .graphql(
            Some(admin),
            "query { clients(first: 50) { nodes { uuid clientId unrestricted grants { uuid kind scope } } } }",
            json!({}),
        )
        .await;
    let nodes = graphql_data(&listed)["clients"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    let ours = nodes.iter().find(|c| c["uuid"] == id.as_str()).expect("our client");
    assert_eq!(ours["unrestricted"], true);
    assert_eq!(ours["grants"].as_array().map(Vec::len), Some(2));
    let all = ours["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["kind"] == "all")
        .expect("the unrestricted grant")["uuid"]
        .as_str()
        .expect("an id")
        .to_owned();
    let taken = app
        .graphql(
            Some(admin),
            "mutation($id: ID!, $grant: ID!) { removeClientGrant(id: $id, grantId: $grant) }",
            json!({"id": id, "grant": all}),
        )
        .await;
    assert!(graphql_data(&taken)["removeClientGrant"].is_string(), "{taken}");

    // As the client: the plans of 巫溪县's pairings, not 黔江区's.
    let plans = app
        .graphql(Some(&token), "query { plans(first: 50) { nodes { uuid } } }", json!({}))
        .await;
    let seen: Vec<&str> = graphql_data(&plans)["plans"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["uuid"].as_str().expect("a uuid"))
        .collect();
    assert_eq!(seen, [w.p.plan.to_string()]);
    let hidden = app
        .graphql(
            Some(&token),
            "query($id: ID!) { plan(id: $id) { uuid } }",
            json!({"id": elsewhere}),
        )
        .await;
    assert_eq!(graphql_code(&hidden), Some("NOT_FOUND"), "{hidden}");

    // Bad inputs, and a person who is not an administrator.
    let bad = app
        .graphql(
            Some(admin),
            "mutation($id: ID!) { addClientGrant(id: $id, input: {scope: \"read\", kind: \"region\"}) { uuid } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(graphql_code(&bad), Some("VALIDATION_FAILED"), "{bad}");
    let forbidden = app
        .graphql(
            Some(w.bearer(Who::Coordinator)),
            "mutation($id: ID!) { addClientGrant(id: $id, input: {scope: \"read\", kind: \"all\"}) { uuid } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(graphql_code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
}

/// Clients stored before grants existed keep doing what they did: each
/// holds one unrestricted grant, `write` when it holds `write`.
#[tokio::test]
async fn the_migration_gives_every_existing_client_an_unrestricted_grant() {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::Query;
    use xietong::domain::client::{self, grants::GrantScope};

    let test_db = crate::common::TestDb::new().await;
    let conn = xietong::db::connect(&test_db.url).await.expect("open");
    <migration::Migrator as migration::MigratorTrait>::up(&conn, Some(21))
        .await
        .expect("the migrations before grants");
    let now = chrono::Utc::now();
    let (reader, writer) = (Uuid::new_v4(), Uuid::new_v4());
    for (id, name, scopes) in [(reader, "old-reader", "read"), (writer, "old-writer", "read write")] {
        let row = Query::insert()
            .into_table("integration_clients")
            .columns([
                "id",
                "client_id",
                "name",
                "secret_hash",
                "scopes",
                "default_scopes",
                "created_at",
                "updated_at",
                "version",
            ])
            .values_panic([
                id.into(),
                name.into(),
                name.into(),
                "not a hash".into(),
                scopes.into(),
                "read".into(),
                now.into(),
                now.into(),
                1.into(),
            ])
            .to_owned();
        conn.execute(&row).await.expect("a client");
    }
    <migration::Migrator as migration::MigratorTrait>::up(&conn, None)
        .await
        .expect("the rest");
    let system = Caller::system();
    for (id, scope) in [(reader, GrantScope::Read), (writer, GrantScope::Write)] {
        let held = client::grants::list(&conn, &system, id).await.expect("its grants");
        assert_eq!(held.len(), 1, "{held:?}");
        assert!(held[0].unrestricted);
        assert_eq!(held[0].scope, scope);
        assert!(client::get(&conn, &system, id).await.expect("the client").unrestricted);
    }
}
