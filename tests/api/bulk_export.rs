//! Bulk export (`Accept: application/x-ndjson`): every list answers every
//! row it would page through, one JSON object a line, in the pages' order,
//! with the pages' filters and visibility. Each line is checked against the
//! document's schema of a row by the harness.

use crate::common::matrix::{EVERYONE, World};
use crate::common::{TestApp, TestResponse, assert_problem, seed};
use serde_json::Value;

const NDJSON: (&str, &str) = ("accept", "application/x-ndjson");

async fn export(app: &TestApp, bearer: &str, path: &str) -> TestResponse {
    app.request("GET", path, None, &[("authorization", bearer), NDJSON])
        .await
}

/// The ids of an NDJSON answer, in order.
fn ids_of_lines(answer: &TestResponse) -> Vec<String> {
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.header("content-type"), Some("application/x-ndjson"));
    let text = std::str::from_utf8(&answer.body).expect("UTF-8");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "every line ends with a line break"
    );
    text.lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("a line is a JSON object");
            row["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

/// The ids of every page of `path`, following `next_cursor`, `limit` a page.
async fn ids_of_pages(app: &TestApp, bearer: &str, path: &str, limit: u32) -> Vec<String> {
    app.every_item(bearer, path, limit)
        .await
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_list_of_many_pages_comes_whole_in_the_order_of_its_pages() {
    let app = TestApp::spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    // 450 tasks: the export reads three pages of 200.
    for seq in 1..=450 {
        seed::task(&app.db, &pairing, seq, &[]).await;
    }
    let admin = app.bearer_of_new_admin().await;
    for path in [
        "/api/v1/tasks",
        "/api/v1/tasks?sort=-seq",
        "/api/v1/tasks?sort=deadline",
    ] {
        let streamed = ids_of_lines(&export(&app, &admin, path).await);
        assert_eq!(streamed.len(), 450, "{path}");
        assert_eq!(streamed, ids_of_pages(&app, &admin, path, 37).await, "{path}");
    }
    // `limit` does not cut it; `cursor` starts it where that page would.
    let all = ids_of_lines(&export(&app, &admin, "/api/v1/tasks?limit=5").await);
    assert_eq!(all.len(), 450);
    let first = app
        .request("GET", "/api/v1/tasks?limit=100", None, &[("authorization", &admin)])
        .await
        .json();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let rest = ids_of_lines(&export(&app, &admin, &format!("/api/v1/tasks?cursor={cursor}")).await);
    assert_eq!(rest, all[100..].to_vec(), "from the cursor on");
}

#[tokio::test]
async fn everyone_exports_what_their_pages_show_and_nothing_else() {
    let world = World::new().await;
    for who in EVERYONE {
        let bearer = world.bearer(who);
        for path in [
            "/api/v1/plans",
            "/api/v1/tasks",
            "/api/v1/reports",
            "/api/v1/events",
            "/api/v1/units",
        ] {
            let paged = app_pages(&world, bearer, path).await;
            let Some(paged) = paged else {
                // A list this principal may not read is refused as a
                // problem, not as an empty stream.
                let refused = export(&world.app, bearer, path).await;
                assert_problem(&refused, 403, "FORBIDDEN");
                continue;
            };
            let streamed = ids_of_lines(&export(&world.app, bearer, path).await);
            assert_eq!(streamed, paged, "{who:?} {path}");
        }
    }
}

/// The pages of `path`, or none when the principal may not read it.
async fn app_pages(world: &World, bearer: &str, path: &str) -> Option<Vec<String>> {
    let first = world.app.request("GET", path, None, &[("authorization", bearer)]).await;
    if first.status == 403 {
        return None;
    }
    Some(ids_of_pages(&world.app, bearer, path, 2).await)
}

#[tokio::test]
async fn filters_apply_and_refusals_are_problems_not_streams() {
    let app = TestApp::spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    for seq in 1..=5 {
        seed::task(&app.db, &pairing, seq, &[]).await;
    }
    let admin = app.bearer_of_new_admin().await;
    let plan_id = app
        .request("GET", "/api/v1/plans", None, &[("authorization", &admin)])
        .await
        .json()["items"][0]["id"]
        .as_str()
        .expect("the seeded plan")
        .to_owned();
    let of_plan = ids_of_lines(&export(&app, &admin, &format!("/api/v1/tasks?plan_id={plan_id}")).await);
    assert_eq!(of_plan.len(), 5);
    let none = ids_of_lines(&export(&app, &admin, "/api/v1/tasks?year=1999").await);
    assert!(none.is_empty(), "an empty list is an empty body");

    let bad_filter = export(&app, &admin, "/api/v1/tasks?status=late").await;
    assert_problem(&bad_filter, 422, "VALIDATION_FAILED");
    let no_token = app.request("GET", "/api/v1/tasks", None, &[NDJSON]).await;
    assert_problem(&no_token, 401, "UNAUTHENTICATED");
    // Not a list: 406, in the problem's own media type.
    let not_a_list = export(&app, &admin, &format!("/api/v1/plans/{plan_id}")).await;
    assert_problem(&not_a_list, 406, "NOT_ACCEPTABLE");
    let me = export(&app, &admin, "/api/v1/me").await;
    assert_problem(&me, 406, "NOT_ACCEPTABLE");
    // JSON asked beside it, first: still the stream (the client accepts it).
    let both = app
        .request(
            "GET",
            "/api/v1/tasks",
            None,
            &[
                ("authorization", &admin),
                ("accept", "application/x-ndjson, application/json;q=0.5"),
            ],
        )
        .await;
    assert_eq!(ids_of_lines(&both).len(), 5);
}
