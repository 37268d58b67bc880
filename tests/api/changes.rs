//! The change feed (`/api/v1/changes`, GraphQL `changes`): what each
//! principal of the permission matrix reads after a cursor, the resources
//! as they read at each version, tombstones, cursors, retention, and a
//! follower that misses nothing while writers race.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::{Value, json};
use xietong::domain::region::{self, RegionInput};
use xietong::domain::report::{self, Transition};
use xietong::domain::values::{RegionKind, Role};
use xietong::domain::{Caller, feed};

use crate::common::matrix::{EVERYONE, Who, World};
use crate::common::{TestApp, assert_problem, graphql_data};

/// Reads the whole feed after `after` as `bearer`, page by page of `limit`;
/// returns the changes and the last `next_cursor`.
async fn follow(app: &TestApp, bearer: &str, after: &str, limit: u32) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = after.to_owned();
    loop {
        let answer = app
            .as_bearer(
                bearer,
                "GET",
                &format!("/api/v1/changes?after={cursor}&limit={limit}"),
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        let page = answer.json();
        let got = page["items"].as_array().expect("items").clone();
        let next = page["next_cursor"].as_str().expect("a next cursor").to_owned();
        if got.is_empty() {
            let (from, to): (u64, u64) = (cursor.parse().expect("a number"), next.parse().expect("a number"));
            assert!(to >= from, "an empty read does not move back: {from} → {to}");
            return (items, next);
        }
        let last: u64 = got.last().expect("one")["cursor"]
            .as_str()
            .expect("cursor")
            .parse()
            .expect("a number");
        let to: u64 = next.parse().expect("a number");
        // A full page resumes after its last change; a shorter one after
        // everything read, seen or not.
        if got.len() == limit as usize {
            assert_eq!(last, to);
        } else {
            assert!(last <= to, "{last} {to}");
        }
        items.extend(got);
        cursor = next;
    }
}

/// The newest cursor of the feed for `bearer`.
async fn head(app: &TestApp, bearer: &str) -> String {
    follow(app, bearer, "0", 500).await.1
}

/// `entity op action` of each change, in order.
fn summary(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["entity"].as_str().expect("entity"),
                c["op"].as_str().expect("op"),
                c["action"].as_str().expect("action")
            )
        })
        .collect()
}

#[tokio::test]
async fn each_principal_follows_what_it_may_see_in_the_order_it_happened() {
    let w = World::new().await;
    let app = &w.app;
    let start = head(app, w.bearer(Who::Admin)).await;

    // What happens after `start`, in this order:
    let task = w.task(7).await; // a task of 渝中区·巫溪县's plan
    let lead = w.report(&task, w.p.recipient_unit, true, true).await; // 县经济信息委's, created then submitted
    let draft = w.report(&task, w.p.recipient_unit_2, false, false).await; // 县商务委's draft
    let made = app
        .as_bearer(
            w.bearer(Who::Admin),
            "POST",
            "/api/v1/regions",
            Some(&json!({"name": "城口县", "code": "500229", "kind": "county"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    app.user("cq-new", Role::Viewer, None).await;
    report::delete(&app.db, &Caller::system(), draft.id, draft.version)
        .await
        .expect("the draft deleted");

    let task_created = "task created create";
    let lead_created = "report created create";
    let lead_submitted = "report updated submit";
    let draft_created = "report created create";
    let region_created = "region created create";
    let user_created = "user created create";
    let draft_deleted = "report deleted delete";
    let everything = vec![
        task_created,
        lead_created,
        lead_submitted,
        draft_created,
        region_created,
        user_created,
        draft_deleted,
    ];
    let all_but_accounts: Vec<&str> = everything.iter().copied().filter(|c| *c != user_created).collect();
    for who in EVERYONE {
        let expected: Vec<&str> = match who {
            Who::Admin => everything.clone(),
            Who::Viewer | Who::ClientRead | Who::ClientWrite | Who::Coordinator => all_but_accounts.clone(),
            // Granted the plan's region or the plan itself: its changes, drafts included.
            Who::ClientRegion | Who::ClientPlanRead => all_but_accounts.clone(),
            // The plan's tasks, and its own unit's reports.
            Who::Lead => vec![task_created, lead_created, lead_submitted, region_created],
            Who::Supporting => vec![task_created, draft_created, region_created, draft_deleted],
            Who::GroupMember | Who::SameRegion => vec![task_created, region_created],
            Who::OtherCoordinator | Who::OtherRegion | Who::ClientElsewhere => vec![region_created],
        };
        let (items, _) = follow(app, w.bearer(who), &start, 2).await;
        assert_eq!(summary(&items), expected, "{who:?}");
    }

    // Each change carries the resource as it read at its version.
    let (items, _) = follow(app, w.bearer(Who::Admin), &start, 500).await;
    assert_eq!(items[0]["id"], task.id.to_string());
    assert_eq!(items[0]["version"], 1);
    assert_eq!(items[0]["data"]["content"], "力争实际到位资金5000万元以上");
    assert_eq!(items[0]["data"]["seq"], 7);
    assert_eq!(items[1]["id"], lead.id.to_string());
    assert_eq!(items[1]["data"]["status"], "draft");
    assert_eq!(items[2]["id"], lead.id.to_string());
    assert_eq!(items[2]["data"]["status"], "submitted");
    assert_eq!(items[2]["version"], lead.version);
    assert_eq!(items[4]["data"]["name"], "城口县");
    assert_eq!(items[4]["data"]["code"], "500229");
    assert!(items[5]["data"].get("password_hash").is_none() && items[5]["data"]["username"] == "cq-new");
    // A delete is a tombstone at the version it removed.
    assert_eq!(items[6]["id"], draft.id.to_string());
    assert_eq!(items[6]["data"], json!({"id": draft.id, "deleted": true}));
    assert_eq!(items[6]["version"], draft.version);
    let cursors: Vec<u64> = items
        .iter()
        .map(|c| c["cursor"].as_str().expect("cursor").parse().expect("a number"))
        .collect();
    assert!(cursors.windows(2).all(|p| p[0] < p[1]), "{cursors:?}");
}

#[tokio::test]
async fn graphql_reads_the_same_feed() {
    let w = World::new().await;
    let app = &w.app;
    let start = head(app, w.bearer(Who::Coordinator)).await;
    let task = w.task(8).await;
    let report = w.report(&task, w.p.recipient_unit, true, true).await;
    report::transition(&app.db, &Caller::system(), report.id, None, Transition::Approve)
        .await
        .expect("approved");
    let (rest, next) = follow(app, w.bearer(Who::Coordinator), &start, 100).await;
    let answer = app
        .graphql(
            Some(w.bearer(Who::Coordinator)),
            "query($after: String) { changes(after: $after, first: 2) { nextCursor items { cursor entity entityId op action version at data } } }",
            json!({"after": start}),
        )
        .await;
    let feed = &graphql_data(&answer)["changes"];
    let items = feed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for (g, r) in items.iter().zip(&rest) {
        assert_eq!(g["cursor"], r["cursor"]);
        assert_eq!(g["entity"], r["entity"]);
        assert_eq!(g["entityId"], r["id"]);
        assert_eq!(g["op"].as_str().map(str::to_lowercase).as_deref(), r["op"].as_str());
        assert_eq!(g["action"], r["action"]);
        assert_eq!(g["version"], r["version"]);
        assert_eq!(g["data"], r["data"]);
    }
    assert_eq!(feed["nextCursor"], rest[1]["cursor"]);
    assert_eq!(
        summary(&rest),
        [
            "task created create",
            "report created create",
            "report updated submit",
            "report updated approve"
        ]
    );
    assert_eq!(rest[3]["data"]["status"], "approved");
    assert_eq!(next, rest[3]["cursor"].as_str().expect("cursor"));

    let bad = app
        .graphql(
            Some(w.bearer(Who::Coordinator)),
            "{ changes(first: 501) { nextCursor } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{bad}");
    assert_eq!(bad["errors"][0]["extensions"]["errors"][0]["field"], "first", "{bad}");
}

#[tokio::test]
async fn cursors_are_checked_and_an_empty_read_keeps_its_place() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let (items, next) = follow(&app, &admin, "0", 500).await;
    // The admin `root` made for this test is the only change so far.
    assert_eq!(summary(&items), ["user created create"]);
    assert_eq!(next, "1");
    let again = app
        .as_bearer(&admin, "GET", "/api/v1/changes?after=1", None)
        .await
        .json();
    assert_eq!(again, json!({"items": [], "next_cursor": "1"}));
    let from_start = app.as_bearer(&admin, "GET", "/api/v1/changes", None).await.json();
    assert_eq!(from_start["next_cursor"], "1");

    for (query, field) in [
        ("after=abc", "after"),
        ("after=-1", "after"),
        ("after=%2B1", "after"),
        ("after=2", "after"),
        ("after=1234567890123456789", "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-3", "limit"),
    ] {
        let answer = app
            .as_bearer(&admin, "GET", &format!("/api/v1/changes?{query}"), None)
            .await;
        assert_problem(&answer, 422, "VALIDATION_FAILED");
        assert_eq!(answer.json()["errors"][0]["field"], field, "{query}");
    }
    let unknown = app.as_bearer(&admin, "GET", "/api/v1/changes?since=1", None).await;
    assert_problem(&unknown, 400, "BAD_REQUEST");
    assert_problem(&app.get("/api/v1/changes").await, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_cursor_older_than_the_changes_kept_has_expired() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    for name in ["城口县", "巫山县", "奉节县"] {
        region::create(
            &app.db,
            &Caller::system(),
            RegionInput {
                code: None,
                name: name.into(),
                kind: RegionKind::County,
                cluster: None,
                parent_id: None,
            },
        )
        .await
        .expect("a region");
    }
    let (items, head) = follow(&app, &admin, "0", 500).await;
    assert_eq!(items.len(), 4);
    assert_eq!(head, "4");

    // Within the 90 days nothing goes.
    let now = chrono::Utc::now();
    let keep = TimeDelta::days(90);
    assert_eq!(
        feed::prune(&app.db, now + TimeDelta::days(89), keep)
            .await
            .expect("prune"),
        0
    );
    // 91 days on, all but the newest go (numbers go on from it).
    assert_eq!(
        feed::prune(&app.db, now + TimeDelta::days(91), keep)
            .await
            .expect("prune"),
        3
    );
    for stale in ["0", "1", "2"] {
        let answer = app
            .as_bearer(&admin, "GET", &format!("/api/v1/changes?after={stale}"), None)
            .await;
        assert_problem(&answer, 410, "CURSOR_EXPIRED");
        assert!(answer.json()["detail"].as_str().expect("detail").contains("cursor 4"));
    }
    // The cursor just before the newest kept change still follows.
    let (kept, _) = follow(&app, &admin, "3", 500).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["data"]["name"], "奉节县");
    // A change after the prune is numbered after the last.
    region::create(
        &app.db,
        &Caller::system(),
        RegionInput {
            code: None,
            name: "巫溪县".into(),
            kind: RegionKind::County,
            cluster: None,
            parent_id: None,
        },
    )
    .await
    .expect("a region");
    let (after, next) = follow(&app, &admin, &head, 500).await;
    assert_eq!(after.len(), 1);
    assert_eq!(next, "5");
    let graphql = app
        .graphql(Some(&admin), "{ changes(after: \"1\") { nextCursor } }", json!({}))
        .await;
    assert_eq!(
        graphql["errors"][0]["extensions"]["code"], "CURSOR_EXPIRED",
        "{graphql}"
    );
}

/// Writers race on regions (some on the same one) while a follower reads
/// the feed: it sees every change once, and those of each region in the
/// order of their versions. On PostgreSQL, transactions commit in another
/// order than they were numbered in by the database's sequence; the feed
/// numbers them at commit.
#[tokio::test]
async fn a_follower_misses_nothing_while_writers_race() {
    const WRITERS: usize = 6;
    const WRITES: usize = 15;
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let shared = region::create(
        &app.db,
        &Caller::system(),
        RegionInput {
            code: None,
            name: "共享区".into(),
            kind: RegionKind::District,
            cluster: None,
            parent_id: None,
        },
    )
    .await
    .expect("the shared region");
    let start = head(&app, &admin).await;

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let app = Arc::clone(&app);
        let admin = admin.clone();
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = start;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = app
                    .as_bearer(&admin, "GET", &format!("/api/v1/changes?after={cursor}&limit=7"), None)
                    .await
                    .json();
                let items = page["items"].as_array().expect("items").clone();
                cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
                let empty = items.is_empty();
                seen.extend(items);
                if finished && empty {
                    return seen;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for n in 0..WRITERS {
        let db = app.db.clone();
        writers.push(tokio::spawn(async move {
            let mut made = 0;
            for i in 0..WRITES {
                if i % 3 == 0 {
                    // The shared region: a version conflict means another
                    // writer came first; that is no change.
                    let current = region::get(&db, &Caller::system(), shared.id).await.expect("read");
                    let changed = region::update(
                        &db,
                        &Caller::system(),
                        shared.id,
                        current.version,
                        RegionInput {
                            code: None,
                            name: format!("共享区{n}-{i}"),
                            kind: RegionKind::District,
                            cluster: None,
                            parent_id: None,
                        },
                    )
                    .await;
                    if changed.is_ok() {
                        made += 1;
                    }
                } else {
                    region::create(
                        &db,
                        &Caller::system(),
                        RegionInput {
                            code: None,
                            name: format!("区{n}-{i}"),
                            kind: RegionKind::County,
                            cluster: None,
                            parent_id: None,
                        },
                    )
                    .await
                    .expect("a region");
                    made += 1;
                }
            }
            made
        }));
    }
    let mut made = 0;
    for writer in writers {
        made += writer.await.expect("a writer");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = follower.await.expect("the follower");

    assert_eq!(seen.len(), made, "every change, once");
    let cursors: HashSet<&str> = seen.iter().map(|c| c["cursor"].as_str().expect("cursor")).collect();
    assert_eq!(cursors.len(), made);
    let mut versions: HashMap<&str, Vec<i64>> = HashMap::new();
    for change in &seen {
        versions
            .entry(change["id"].as_str().expect("id"))
            .or_default()
            .push(change["version"].as_i64().expect("version"));
    }
    for (id, list) in &versions {
        assert!(list.windows(2).all(|p| p[0] + 1 == p[1]), "{id}: {list:?}");
    }
    let shared_versions = &versions[shared.id.to_string().as_str()];
    assert_eq!(shared_versions.first(), Some(&2));
    // What the follower saw is what the feed holds after the start.
    let (all, _) = follow(&app, &admin, &head_before(&seen), 500).await;
    assert_eq!(
        all.iter().map(|c| c["cursor"].clone()).collect::<Vec<_>>(),
        seen.iter().map(|c| c["cursor"].clone()).collect::<Vec<_>>()
    );
}

/// The cursor just before the first change of `seen`.
fn head_before(seen: &[Value]) -> String {
    let first: u64 = seen[0]["cursor"].as_str().expect("cursor").parse().expect("a number");
    (first - 1).to_string()
}

/// A transaction that took its change's place in the table first but
/// commits last: a follower that has read past the later ones still gets
/// it (it is numbered when it commits). On SQLite the other writers wait
/// for it instead.
#[tokio::test]
async fn a_change_committed_late_is_not_skipped() {
    use sea_orm::TransactionTrait;
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let start = head(&app, &admin).await;
    let county = |name: &str| RegionInput {
        code: None,
        name: name.into(),
        kind: RegionKind::County,
        cluster: None,
        parent_id: None,
    };
    let slow = app.db.begin().await.expect("a transaction");
    region::create(&slow, &Caller::system(), county("慢县"))
        .await
        .expect("the slow region");
    let fast = {
        let db = app.db.clone();
        tokio::spawn(async move {
            for name in ["快县一", "快县二"] {
                region::create(&db, &Caller::system(), county(name))
                    .await
                    .expect("a fast region");
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor = start.clone();
    if !app.test_db.is_postgres() {
        // SQLite: the fast writers wait for the slow one's lock.
        slow.commit().await.expect("commit");
        fast.await.expect("the fast writers");
    } else {
        fast.await.expect("the fast writers");
        // The follower reads the two fast changes before the slow one commits.
        let (items, next) = follow(&app, &admin, &cursor, 500).await;
        assert_eq!(summary(&items).len(), 2);
        seen.extend(items);
        cursor = next;
        slow.commit().await.expect("commit");
    }
    let (items, _) = follow(&app, &admin, &cursor, 500).await;
    seen.extend(items);
    let mut names: Vec<&str> = seen.iter().map(|c| c["data"]["name"].as_str().expect("name")).collect();
    names.sort_unstable();
    assert_eq!(names, ["快县一", "快县二", "慢县"]);
}

/// `updated_since` on the lists: only the rows changed at or after the
/// time, also written in China's time with a `+` a query string turned into
/// a space.
#[tokio::test]
async fn lists_take_updated_since() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let mut made = Vec::new();
    for (name, code) in [("城口县", "500229"), ("巫山县", "500237"), ("奉节县", "500236")] {
        let answer = app
            .as_bearer(
                &admin,
                "POST",
                "/api/v1/regions",
                Some(&json!({"name": name, "code": code, "kind": "county"})),
            )
            .await;
        assert_eq!(answer.status, 201);
        made.push(answer.json());
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // 巫山县 changes after `between`; the others do not.
    let changed = app
        .request(
            "PUT",
            &format!("/api/v1/regions/{}", made[1]["id"].as_str().expect("id")),
            Some(&json!({"name": "巫山县", "code": "500237", "kind": "county", "cluster": "northeast"})),
            &[("authorization", &admin), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    let in_china = between.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
    for since in [
        between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        // As a client that does not encode `+` sends it.
        in_china.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    ] {
        let page = app
            .as_bearer(&admin, "GET", &format!("/api/v1/regions?updated_since={since}"), None)
            .await
            .json();
        let names: Vec<&str> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names, ["巫山县"], "{since}");
        assert_eq!(page["total_count"], 1);
    }
    let graphql = app
        .graphql(
            Some(&admin),
            "query($since: DateTime) { regions(updatedSince: $since) { totalCount edges { node { name } } } }",
            json!({"since": in_china.to_rfc3339()}),
        )
        .await;
    assert_eq!(graphql_data(&graphql)["regions"]["totalCount"], 1, "{graphql}");
    assert_eq!(graphql_data(&graphql)["regions"]["edges"][0]["node"]["name"], "巫山县");
    // Before them all: all three.
    let all = app
        .as_bearer(
            &admin,
            "GET",
            "/api/v1/regions?updated_since=2020-01-01T00:00:00Z",
            None,
        )
        .await
        .json();
    assert_eq!(all["total_count"], 3);
    // Rows written once (the audit log) answer by when they were written.
    let audit = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/audit?entity=region&updated_since={}", between.to_rfc3339()),
            None,
        )
        .await
        .json();
    assert_eq!(audit["total_count"], 1);
    for bad in ["", "yesterday", "2025-07-01", "2025-13-01T00:00:00Z"] {
        let answer = app
            .as_bearer(&admin, "GET", &format!("/api/v1/regions?updated_since={bad}"), None)
            .await;
        assert_problem(&answer, 422, "VALIDATION_FAILED");
        assert_eq!(answer.json()["errors"][0]["field"], "updated_since", "{bad}");
    }
}

/// `updatedSince` on the lists under a parent (a plan's tasks, a region's
/// units), as on the top-level lists: only what changed at or after the
/// time, counted so.
#[tokio::test]
async fn nested_lists_take_updated_since() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = crate::common::seed::yuzhong_wuxi(&app.db).await;
    let mut tasks = Vec::new();
    for seq in 1..=3 {
        tasks.push(crate::common::seed::task(&app.db, &p, seq, &[]).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // Task 2 and 县商务委 change after `between`; nothing else does.
    let changed = app
        .request(
            "PATCH",
            &format!("/api/v1/tasks/{}", tasks[1].id),
            Some(&json!({"notes": "已对接"})),
            &[
                ("authorization", &admin),
                ("if-match", &format!("\"{}\"", tasks[1].version)),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    let renamed = app
        .request(
            "PUT",
            &format!("/api/v1/units/{}", p.recipient_unit_2),
            Some(&json!({"region_id": p.recipient, "name": "县商务局", "kind": "department"})),
            &[("authorization", &admin), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", String::from_utf8_lossy(&renamed.body));
    let answer = app
        .graphql(
            Some(&admin),
            "query($plan: ID!, $region: ID!, $since: DateTime) {
               plan(id: $plan) {
                 changed: tasks(updatedSince: $since) { totalCount nodes { seq } pageInfo { hasNextPage } }
                 all: tasks { totalCount }
               }
               region(id: $region) {
                 changed: units(updatedSince: $since) { totalCount nodes { name } }
                 all: units { totalCount }
               }
             }",
            json!({"plan": p.plan, "region": p.recipient, "since": between.to_rfc3339()}),
        )
        .await;
    let data = graphql_data(&answer);
    assert_eq!(data["plan"]["changed"]["totalCount"], 1, "{answer}");
    assert_eq!(data["plan"]["changed"]["nodes"], json!([{"seq": 2}]), "{answer}");
    assert_eq!(data["plan"]["changed"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(data["plan"]["all"]["totalCount"], 3);
    assert_eq!(data["region"]["changed"]["totalCount"], 1, "{answer}");
    assert_eq!(data["region"]["changed"]["nodes"], json!([{"name": "县商务局"}]));
    assert_eq!(data["region"]["all"]["totalCount"], 2);
}
