//! The GraphQL endpoint as a whole: the committed schema, GraphiQL and
//! introspection, authentication, the limits and bad input (never a 500).

use crate::common::{TestApp, graphql_code, graphql_data};
use serde_json::{Value, json};
use xietong::domain::values::Role;

#[test]
fn the_committed_schema_is_what_the_code_produces() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed");
    assert!(
        committed == xietong::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema graphql > schema.graphql` and commit it"
    );
}

#[test]
fn schema_graphql_prints_the_same_sdl() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xietong"))
        .args(["schema", "graphql"])
        .output()
        .expect("run xietong schema graphql");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        printed == xietong::graphql::sdl(),
        "`xietong schema graphql` prints another schema"
    );
}

#[test]
fn every_type_field_and_argument_is_described() {
    let sdl = xietong::graphql::sdl();
    let mut undescribed = Vec::new();
    let mut in_description = false;
    let mut described = false;
    for line in sdl.lines() {
        let text = line.trim();
        if text.starts_with("\"\"\"") {
            let closes_here = text.len() > 3 && text.ends_with("\"\"\"");
            if !closes_here {
                in_description = !in_description;
            }
            described = true;
            continue;
        }
        if in_description || text.is_empty() || text.starts_with(')') || text.starts_with('}') {
            continue;
        }
        if line.starts_with("schema") || line.starts_with("directive") {
            break;
        }
        if !described {
            undescribed.push(text.to_owned());
        }
        described = false;
    }
    assert!(undescribed.is_empty(), "without a description: {undescribed:#?}");
    for term in [
        "任务清单",
        "重点任务",
        "牵头",
        "配合",
        "指标",
        "进展报告",
        "结对",
        "大事记",
        "行政区划",
    ] {
        assert!(sdl.contains(term), "the schema never says {term}");
    }
}

/// GraphiQL's introspection query (graphql-js `getIntrospectionQuery`),
/// about 13 levels deep.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

#[tokio::test]
async fn graphiql_and_introspection_work_without_signing_in() {
    let app = TestApp::spawn().await;
    let page = app
        .request("GET", "/graphql", None, &[("authorization", "Bearer abc.def")])
        .await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap_or_default().starts_with("text/html"));
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(html.contains("\"endpoint\":\"/graphql\""), "{html}");
    assert!(
        html.contains("\"Authorization\":\"Bearer abc.def\""),
        "GraphiQL sends the Authorization header it was loaded with: {html}"
    );
    // Offline: the page names no other host, and every file it loads is
    // served here, byte for byte the vendored one, with its media type.
    assert!(!html.contains("//"), "no URL with a host: {html}");
    let loaded: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/graphql/assets/"))
        .collect();
    assert_eq!(loaded.len(), xietong::graphql::graphiql::ALL.len(), "{html}");
    for asset in &xietong::graphql::graphiql::ALL {
        let path = format!("/graphql/assets/{}", asset.name);
        assert!(loaded.contains(&path.as_str()), "the page loads {path}");
        let answer = app.get(&path).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-type"), Some(asset.media_type), "{path}");
        assert_eq!(answer.body.len(), asset.bytes.len(), "{path}");
        assert!(answer.body[..] == *asset.bytes, "{path}");
    }
    let vendored = std::fs::read(format!(
        "{}/assets/graphiql/graphiql-4.1.2.min.js",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the vendored GraphiQL");
    assert_eq!(
        app.get("/graphql/assets/graphiql-4.1.2.min.js").await.body[..],
        vendored[..]
    );
    assert_eq!(app.get("/graphql/assets/graphiql-9.9.9.min.js").await.status, 404);
    assert_eq!(app.get("/graphql/assets/..%2FCargo.toml").await.status, 404);
    // A `<` in a header cannot end the settings' script.
    let page = app
        .request("GET", "/graphql", None, &[("authorization", "Bearer </script><b>")])
        .await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("Bearer \\u003c/script>\\u003cb>"), "{html}");
    assert!(!html.contains("<b>"), "{html}");

    let answer = app.graphql(None, INTROSPECTION, json!({})).await;
    let data = graphql_data(&answer);
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let types = data["__schema"]["types"].as_array().expect("types");
    for name in ["Plan", "Task", "Report", "Node", "PageInfo", "PlanConnection"] {
        assert!(types.iter().any(|t| t["name"] == name), "{name}");
    }
}

#[tokio::test]
async fn signing_in_is_required_and_a_bad_token_is_refused() {
    let app = TestApp::spawn().await;
    let answer = app.graphql(None, "{ plans { totalCount } }", json!({})).await;
    assert_eq!(graphql_code(&answer), Some("UNAUTHENTICATED"), "{answer}");

    let response = app
        .request(
            "POST",
            "/graphql",
            Some(&json!({"query": "{ plans { totalCount } }"})),
            &[("authorization", "Bearer not-a-token")],
        )
        .await;
    assert_eq!(response.status, 401);
    assert_eq!(graphql_code(&response.json()), Some("UNAUTHENTICATED"));
    assert!(response.header("www-authenticate").is_some());

    app.user("viewer", Role::Viewer, None).await;
    let bearer = app.bearer("viewer").await;
    let answer = app
        .graphql(Some(&bearer), "{ me { ... on User { username role } } }", json!({}))
        .await;
    assert_eq!(
        graphql_data(&answer)["me"],
        json!({"username": "viewer", "role": "VIEWER"})
    );
}

#[tokio::test]
async fn bad_queries_are_graphql_errors_never_500() {
    let app = TestApp::spawn().await;
    app.user("viewer", Role::Viewer, None).await;
    let bearer = app.bearer("viewer").await;
    let bad: [(&str, Value); 6] = [
        ("{ plans { totalCount ", json!({})),
        ("{ plans { noSuchField } }", json!({})),
        (
            "query($n: Int) { plans(first: $n) { totalCount } }",
            json!({"n": "many"}),
        ),
        ("query($id: ID!) { plan(id: $id) { title } }", json!({})),
        ("{ plans(first: \"x\") { totalCount } }", json!({})),
        ("mutation { nothing }", json!({})),
    ];
    for (query, variables) in bad {
        let answer = app.graphql(Some(&bearer), query, variables).await;
        assert_eq!(graphql_code(&answer), Some("BAD_REQUEST"), "{query}: {answer}");
        assert!(answer["errors"][0]["message"].is_string());
    }
    let answer = app
        .graphql(Some(&bearer), "{ plan(id: \"bm90LWFuLWlk\") { title } }", json!({}))
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
    let answer = app
        .graphql(Some(&bearer), "{ plans(after: \"junk\") { totalCount } }", json!({}))
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["errors"][0]["field"], "after");
    let answer = app
        .graphql(Some(&bearer), "{ plans(sort: \"-colour\") { totalCount } }", json!({}))
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["errors"][0]["field"], "sort");
}

#[tokio::test]
async fn the_limits_are_named_when_hit() {
    let app = TestApp::spawn().await;
    app.user("viewer", Role::Viewer, None).await;
    let bearer = app.bearer("viewer").await;

    let answer = app
        .graphql(Some(&bearer), "{ plans(first: 201) { totalCount } }", json!({}))
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("page size limit")
    );

    let deep = "{ tasks(first: 1) { nodes { plan { tasks(first: 1) { nodes { plan { tasks(first: 1) { nodes { plan { \
                tasks(first: 1) { nodes { plan { tasks(first: 1) { nodes { plan { tasks(first: 1) { nodes { uuid } } } } } } } } } } } } } } } } } }";
    let answer = app.graphql(Some(&bearer), deep, json!({})).await;
    assert_eq!(graphql_code(&answer), Some("BAD_REQUEST"), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["limit"], "depth");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("depth limit")
    );

    let costly =
        "{ plans(first: 200) { nodes { tasks(first: 200) { nodes { reports { text values { actual } } } } } } }";
    let answer = app.graphql(Some(&bearer), costly, json!({})).await;
    assert_eq!(answer["errors"][0]["extensions"]["limit"], "complexity", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("complexity limit")
    );
    let cheaper = "{ plans(first: 5) { nodes { tasks(first: 50) { nodes { reports { text values { actual } } } } } } }";
    let answer = app.graphql(Some(&bearer), cheaper, json!({})).await;
    graphql_data(&answer);

    let one = json!({"query": "{ me { __typename } }"});
    let batch = Value::Array(vec![one.clone(); 11]);
    let response = app
        .request("POST", "/graphql", Some(&batch), &[("authorization", &bearer)])
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["errors"][0]["extensions"]["limit"], "batch");
    let batch = Value::Array(vec![one; 3]);
    let response = app
        .request("POST", "/graphql", Some(&batch), &[("authorization", &bearer)])
        .await;
    assert_eq!(response.status, 200);
    let answers = response.json();
    assert_eq!(answers.as_array().map(Vec::len), Some(3));
    assert_eq!(answers[2]["data"]["me"]["__typename"], "User");
}

#[tokio::test]
async fn transport_problems_are_4xx_with_a_graphql_body() {
    let app = TestApp::spawn().await;
    let huge = format!(
        "{{\"query\": \"{{ me {{ __typename }} }}\", \"x\": \"{}\"}}",
        "a".repeat(400_000)
    );
    let response = app.request_raw("POST", "/graphql", huge, "application/json", &[]).await;
    assert_eq!(response.status, 413);
    assert_eq!(graphql_code(&response.json()), Some("PAYLOAD_TOO_LARGE"));

    let response = app
        .request_raw("POST", "/graphql", String::from("{ me { id } }"), "text/plain", &[])
        .await;
    assert_eq!(response.status, 415);
    assert_eq!(graphql_code(&response.json()), Some("UNSUPPORTED_MEDIA_TYPE"));

    let response = app
        .request_raw(
            "POST",
            "/graphql",
            String::from("{\"query\": "),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(graphql_code(&response.json()), Some("BAD_REQUEST"));

    let response = app
        .request_raw("POST", "/graphql", String::from("[]"), "application/json", &[])
        .await;
    assert!(response.status == 400 || response.status == 200, "{}", response.status);
}
