//! Sign-in, tokens, refresh rotation, throttling, integration clients, user
//! administration and the audit log, over HTTP.

use crate::common;
use std::sync::Arc;

use crate::common::{TEST_JWT_SECRET, TestApp, assert_problem, race};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use xietong::config::ServeArgs;
use xietong::domain::values::{Cluster, RegionKind, Role, UnitKind};

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut base = json!({
        "sub": uuid::Uuid::new_v4(), "kind": "user", "name": "forged", "role": "admin",
        "iss": "xietong", "aud": "xietong-api", "iat": now, "nbf": now, "exp": now + 600,
        "jti": uuid::Uuid::new_v4(),
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    base
}

fn sign(claims: &Value, key: &[u8]) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key)).expect("sign")
}

#[tokio::test]
async fn a_user_signs_in_and_reads_their_account() {
    let app = TestApp::spawn().await;
    app.user("admin", Role::Admin, None).await;
    let tokens = app.login("admin").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().is_some_and(|t| t.len() >= 40));
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().expect("token"));
    let me = app.as_bearer(&bearer, "GET", "/api/v1/me", None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["username"], "admin");
    assert!(me.json().get("password_hash").is_none());
}

#[tokio::test]
async fn a_wrong_password_is_401_with_a_challenge() {
    let app = TestApp::spawn().await;
    app.user("admin", Role::Admin, None).await;
    for (username, password) in [("admin", "nope-nope"), ("nobody", "admin-password")] {
        let response = app
            .request(
                "POST",
                "/api/v1/auth/login",
                Some(&json!({"username": username, "password": password})),
                &[],
            )
            .await;
        assert_problem(&response, 401, "UNAUTHENTICATED");
        assert!(
            response
                .header("www-authenticate")
                .is_some_and(|h| h.starts_with("Bearer"))
        );
        // The same words whether the user exists or not.
        assert_eq!(response.json()["detail"], "wrong username or password");
    }
}

#[tokio::test]
async fn every_bad_token_is_401_with_a_code_and_a_challenge() {
    let app = TestApp::spawn().await;
    app.user("admin", Role::Admin, None).await;
    let good = app.login("admin").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let now = chrono::Utc::now().timestamp();
    let none_alg = {
        use base64::Engine;
        let enc = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            enc(&json!({"alg": "none", "typ": "JWT"})),
            enc(&claims(json!({})))
        )
    };
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value = serde_json::from_slice(&engine.decode(parts[1]).expect("payload")).expect("json");
        payload["role"] = json!("admin");
        payload["name"] = json!("someone-else");
        format!("{}.{}.{}", parts[0], engine.encode(payload.to_string()), parts[2])
    };
    let cases: Vec<(&str, String)> = vec![
        ("alg none", none_alg),
        (
            "another key",
            sign(&claims(json!({})), b"another-key-another-key-another-key"),
        ),
        (
            "expired",
            sign(
                &claims(json!({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})),
                TEST_JWT_SECRET,
            ),
        ),
        (
            "not yet valid",
            sign(&claims(json!({"nbf": now + 3600, "exp": now + 7200})), TEST_JWT_SECRET),
        ),
        ("tampered claim", tampered),
        (
            "another audience",
            sign(&claims(json!({"aud": "someone-else"})), TEST_JWT_SECRET),
        ),
        (
            "another issuer",
            sign(&claims(json!({"iss": "someone-else"})), TEST_JWT_SECRET),
        ),
        ("malformed", "not-a-jwt".to_owned()),
        (
            "HS384",
            encode(
                &Header::new(Algorithm::HS384),
                &claims(json!({})),
                &EncodingKey::from_secret(TEST_JWT_SECRET),
            )
            .expect("sign"),
        ),
    ];
    for (what, token) in cases {
        let response = app
            .request(
                "GET",
                "/api/v1/me",
                None,
                &[("authorization", &format!("Bearer {token}"))],
            )
            .await;
        assert_problem(&response, 401, "UNAUTHENTICATED");
        assert!(response.header("www-authenticate").is_some(), "{what}");
    }
    for header in [None, Some("Basic YWRtaW46eA=="), Some("Bearer ")] {
        let headers: Vec<(&str, &str)> = header.iter().map(|h| ("authorization", *h)).collect();
        let response = app.request("GET", "/api/v1/me", None, &headers).await;
        assert_problem(&response, 401, "UNAUTHENTICATED");
    }
    // The genuine token still works.
    assert_eq!(
        app.request(
            "GET",
            "/api/v1/me",
            None,
            &[("authorization", &format!("Bearer {good}"))]
        )
        .await
        .status,
        200
    );
}

async fn refresh(app: &TestApp, token: &str) -> common::TestResponse {
    app.request(
        "POST",
        "/api/v1/auth/refresh",
        Some(&json!({"refresh_token": token})),
        &[],
    )
    .await
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_family() {
    let app = TestApp::spawn_serving(ServeArgs {
        refresh_grace_secs: 0,
        ..crate::common::quiet()
    })
    .await;
    app.user("viewer", Role::Viewer, None).await;
    let first = app.login("viewer").await;
    let r1 = first["refresh_token"].as_str().expect("refresh").to_owned();
    let second = refresh(&app, &r1).await;
    assert_eq!(second.status, 200);
    let r2 = second.json()["refresh_token"].as_str().expect("refresh").to_owned();
    assert_ne!(r1, r2, "rotated");
    // r1 again: refused, and r2 (its family) dies with it.
    assert_problem(&refresh(&app, &r1).await, 401, "UNAUTHENTICATED");
    assert_problem(&refresh(&app, &r2).await, 401, "UNAUTHENTICATED");
    // Another session of the same user is untouched.
    let other = app.login("viewer").await["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_eq!(refresh(&app, &other).await.status, 200);
}

/// Sends `n` refreshes of `token` at once; returns their answers.
async fn race_refreshes(app: &Arc<TestApp>, token: &str, n: usize) -> Vec<Value> {
    let body = json!({ "refresh_token": token });
    let racers = (0..n)
        .map(|_| ("POST", "/api/v1/auth/refresh".to_owned(), Some(body.clone()), vec![]))
        .collect();
    race(app, racers)
        .await
        .into_iter()
        .map(|answer| {
            assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
            answer.json()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_within_the_grace_window_keep_the_session() {
    let app = Arc::new(TestApp::spawn().await);
    app.user("viewer", Role::Viewer, None).await;
    let mut token = app.login("viewer").await["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    for racers in [2, 10] {
        let answers = race_refreshes(&app, &token, racers).await;
        // Every racer got the same pair: the tabs go on with one session.
        for answer in &answers {
            assert_eq!(answer["refresh_token"], answers[0]["refresh_token"]);
            assert_eq!(answer["access_token"], answers[0]["access_token"]);
        }
        assert_ne!(answers[0]["refresh_token"], token.as_str());
        let bearer = format!("Bearer {}", answers[0]["access_token"].as_str().expect("access"));
        assert_eq!(app.as_bearer(&bearer, "GET", "/api/v1/me", None).await.status, 200);
        token = answers[0]["refresh_token"].as_str().expect("refresh").to_owned();
    }
    // The winners' token goes on working.
    assert_eq!(refresh(&app, &token).await.status, 200);
}

#[tokio::test]
async fn a_refresh_token_reused_after_the_window_or_from_elsewhere_ends_the_family() {
    let app = TestApp::spawn_serving(ServeArgs {
        refresh_grace_secs: 1,
        ..behind_a_proxy()
    })
    .await;
    app.user("viewer", Role::Viewer, None).await;
    let refresh_from = |token: String, from: &'static str| {
        let app = &app;
        async move {
            app.request(
                "POST",
                "/api/v1/auth/refresh",
                Some(&json!({"refresh_token": token})),
                &[("x-forwarded-for", from)],
            )
            .await
        }
    };
    let login = |from: &'static str| {
        let app = &app;
        async move {
            sign_in(app, "viewer", "viewer-password", from).await.json()["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned()
        }
    };

    // From another address, even at once: a stolen token.
    let r1 = login("10.0.0.1").await;
    let r2 = refresh_from(r1.clone(), "10.0.0.1").await.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_problem(&refresh_from(r1, "10.0.0.2").await, 401, "UNAUTHENTICATED");
    assert_problem(&refresh_from(r2, "10.0.0.1").await, 401, "UNAUTHENTICATED");

    // From the same address after the window.
    let r1 = login("10.0.0.1").await;
    let r2 = refresh_from(r1.clone(), "10.0.0.1").await.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_problem(&refresh_from(r1, "10.0.0.1").await, 401, "UNAUTHENTICATED");
    assert_problem(&refresh_from(r2, "10.0.0.1").await, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = TestApp::spawn().await;
    app.user("viewer", Role::Viewer, None).await;
    let token = app.login("viewer").await["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let out = app
        .request(
            "POST",
            "/api/v1/auth/logout",
            Some(&json!({"refresh_token": token})),
            &[],
        )
        .await;
    assert_eq!(out.status, 204);
    assert_problem(&refresh(&app, &token).await, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_disabled_user_loses_access_at_the_next_refresh() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let viewer_id = app.user("viewer", Role::Viewer, None).await;
    let token = app.login("viewer").await["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let read = app
        .as_bearer(&admin, "GET", &format!("/api/v1/users/{viewer_id}"), None)
        .await;
    let etag = read.header("etag").expect("an etag").to_owned();
    let patch = json!({"disabled": true});
    let no_if_match = app
        .as_bearer(&admin, "PATCH", &format!("/api/v1/users/{viewer_id}"), Some(&patch))
        .await;
    assert_problem(&no_if_match, 428, "PRECONDITION_REQUIRED");
    let disabled = app
        .request(
            "PATCH",
            &format!("/api/v1/users/{viewer_id}"),
            Some(&patch),
            &[("authorization", &admin), ("if-match", &etag)],
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", String::from_utf8_lossy(&disabled.body));
    assert_eq!(disabled.json()["disabled"], true);
    let stale = app
        .request(
            "PATCH",
            &format!("/api/v1/users/{viewer_id}"),
            Some(&patch),
            &[("authorization", &admin), ("if-match", &etag)],
        )
        .await;
    assert_problem(&stale, 412, "VERSION_CONFLICT");
    assert_problem(&refresh(&app, &token).await, 401, "UNAUTHENTICATED");
    let login = app
        .request(
            "POST",
            "/api/v1/auth/login",
            Some(&json!({"username": "viewer", "password": "viewer-password"})),
            &[],
        )
        .await;
    assert_problem(&login, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    app.user("viewer", Role::Viewer, None).await;
    let tokens = app.login("viewer").await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().expect("token"));
    let wrong = app
        .as_bearer(
            &bearer,
            "POST",
            "/api/v1/me/password",
            Some(&json!({"current_password": "nope", "new_password": "a-new-password"})),
        )
        .await;
    assert_problem(&wrong, 422, "VALIDATION_FAILED");
    let short = app
        .as_bearer(
            &bearer,
            "POST",
            "/api/v1/me/password",
            Some(&json!({"current_password": "viewer-password", "new_password": "short"})),
        )
        .await;
    assert_problem(&short, 422, "VALIDATION_FAILED");
    assert_eq!(short.json()["errors"][0]["field"], "new_password");
    let changed = app
        .as_bearer(
            &bearer,
            "POST",
            "/api/v1/me/password",
            Some(&json!({"current_password": "viewer-password", "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!(changed.status, 204);
    assert_problem(
        &refresh(&app, tokens["refresh_token"].as_str().expect("refresh")).await,
        401,
        "UNAUTHENTICATED",
    );
    let login = app
        .request(
            "POST",
            "/api/v1/auth/login",
            Some(&json!({"username": "viewer", "password": "a-new-password"})),
            &[],
        )
        .await;
    assert_eq!(login.status, 200);
}

#[tokio::test]
async fn repeated_failures_are_throttled_and_a_success_resets() {
    let app = TestApp::spawn().await;
    app.user("coordinator-x", Role::Viewer, None).await;
    let attempt = |password: &'static str| {
        let body = json!({"username": "coordinator-x", "password": password});
        let app = &app;
        async move { app.request("POST", "/api/v1/auth/login", Some(&body), &[]).await }
    };
    for _ in 0..4 {
        assert_eq!(attempt("wrong-password").await.status, 401);
    }
    // A success before the limit resets the count.
    assert_eq!(attempt("coordinator-x-password").await.status, 200);
    for _ in 0..5 {
        assert_eq!(attempt("wrong-password").await.status, 401);
    }
    let limited = attempt("coordinator-x-password").await;
    assert_problem(&limited, 429, "RATE_LIMITED");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
}

#[tokio::test]
async fn integration_clients_trade_credentials_for_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let created = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/clients",
            Some(&json!({"client_id": "cq-province", "name": "重庆市对口协同平台", "scopes": ["read"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let secret = created.json()["client_secret"].as_str().expect("a secret").to_owned();
    let form = |body: String| {
        let app = &app;
        async move {
            app.request_raw(
                "POST",
                "/api/v1/auth/token",
                body,
                "application/x-www-form-urlencoded",
                &[],
            )
            .await
        }
    };
    let granted = form(format!(
        "grant_type=client_credentials&client_id=cq-province&client_secret={secret}"
    ))
    .await;
    assert_eq!(granted.status, 200, "{}", String::from_utf8_lossy(&granted.body));
    assert_eq!(granted.json()["scope"], "read");
    let bearer = format!("Bearer {}", granted.json()["access_token"].as_str().expect("token"));
    let me = app.as_bearer(&bearer, "GET", "/api/v1/me", None).await;
    assert_eq!(me.json()["role"], "integration");

    let oauth_error = |r: &common::TestResponse, status: u16, error: &str| {
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["error"], error);
        assert!(r.json()["error_description"].is_string());
    };
    oauth_error(
        &form("grant_type=client_credentials&client_id=cq-province&client_secret=wrong".into()).await,
        401,
        "invalid_client",
    );
    oauth_error(
        &form("grant_type=client_credentials&client_id=nobody&client_secret=x".into()).await,
        401,
        "invalid_client",
    );
    oauth_error(
        &form(format!(
            "grant_type=password&client_id=cq-province&client_secret={secret}"
        ))
        .await,
        400,
        "unsupported_grant_type",
    );
    oauth_error(
        &form(format!("client_id=cq-province&client_secret={secret}")).await,
        400,
        "invalid_request",
    );
    oauth_error(
        &form(format!(
            "grant_type=client_credentials&client_id=cq-province&client_secret={secret}&scope=write"
        ))
        .await,
        400,
        "invalid_scope",
    );
    oauth_error(
        &form("grant_type=client_credentials".into()).await,
        400,
        "invalid_request",
    );

    // A machine may not administer.
    assert_problem(
        &app.as_bearer(&bearer, "GET", "/api/v1/users", None).await,
        403,
        "FORBIDDEN",
    );

    // Rotation ends the old secret; revocation ends the client.
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let rotated = app
        .as_bearer(&admin, "POST", &format!("/api/v1/clients/{id}/secret"), None)
        .await;
    let new_secret = rotated.json()["client_secret"].as_str().expect("secret").to_owned();
    oauth_error(
        &form(format!(
            "grant_type=client_credentials&client_id=cq-province&client_secret={secret}"
        ))
        .await,
        401,
        "invalid_client",
    );
    assert_eq!(
        form(format!(
            "grant_type=client_credentials&client_id=cq-province&client_secret={new_secret}"
        ))
        .await
        .status,
        200
    );
    assert_eq!(
        app.as_bearer(&admin, "POST", &format!("/api/v1/clients/{id}/revoke"), None)
            .await
            .status,
        200
    );
    oauth_error(
        &form(format!(
            "grant_type=client_credentials&client_id=cq-province&client_secret={new_secret}"
        ))
        .await,
        401,
        "invalid_client",
    );
}

#[tokio::test]
async fn a_client_token_asked_for_without_a_scope_reads_and_may_not_write() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = common::seed::yuzhong_wuxi(&app.db).await;
    let plan = format!("/api/v1/plans/{}", p.plan);
    let token = |client_id: &'static str, secret: String, scope: &'static str| {
        let app = &app;
        async move {
            let granted = app
                .request_raw(
                    "POST",
                    "/api/v1/auth/token",
                    format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}{scope}"),
                    "application/x-www-form-urlencoded",
                    &[],
                )
                .await;
            assert_eq!(granted.status, 200, "{}", String::from_utf8_lossy(&granted.body));
            granted.json()
        }
    };
    let etag = app
        .as_bearer(&admin, "GET", &plan, None)
        .await
        .header("etag")
        .expect("an ETag")
        .to_owned();
    let rename = |bearer: String| {
        let app = &app;
        let plan = plan.clone();
        let etag = etag.clone();
        async move {
            app.request(
                "PATCH",
                &plan,
                Some(&json!({"title": "渝中区·巫溪县2025年度对口协同发展任务清单（修订）"})),
                &[("authorization", &bearer), ("if-match", &etag)],
            )
            .await
        }
    };

    // A platform holding both scopes, made without saying which is default.
    let created = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/clients",
            Some(&json!({"client_id": "cq-platform", "name": "重庆市对口协同平台", "scopes": ["write", "read"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert_eq!(created.json()["default_scopes"], json!(["read"]));
    let secret = created.json()["client_secret"].as_str().expect("secret").to_owned();
    let unscoped = token("cq-platform", secret.clone(), "").await;
    assert_eq!(unscoped["scope"], "read");
    let bearer = format!("Bearer {}", unscoped["access_token"].as_str().expect("token"));
    assert_eq!(app.as_bearer(&bearer, "GET", &plan, None).await.status, 200);
    // Refused for its scope, and told so: RFC 6750's challenge names it.
    let refused = rename(bearer).await;
    assert_problem(&refused, 403, "FORBIDDEN");
    assert!(
        refused.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("`write` scope")),
        "{}",
        refused.json()
    );
    let challenge = refused.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.starts_with("Bearer ")
            && challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"write\""),
        "{challenge}"
    );
    // Asked for, `write` is granted and writes.
    let scoped = token("cq-platform", secret, "&scope=read%20write").await;
    assert_eq!(scoped["scope"], "read write");
    let bearer = format!("Bearer {}", scoped["access_token"].as_str().expect("token"));
    assert_eq!(rename(bearer).await.status, 200);

    // A default set at creation must be among the client's scopes.
    let bad = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/clients",
            Some(&json!({"name": "只读平台", "scopes": ["read"], "default_scopes": ["write"]})),
        )
        .await;
    assert_problem(&bad, 422, "VALIDATION_FAILED");
    assert_eq!(bad.json()["errors"][0]["field"], "default_scopes[0]");
    // A platform that should write without asking says so when made.
    let writer = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/clients",
            Some(&json!({"client_id": "cq-writer", "name": "写入平台", "scopes": ["read", "write"], "default_scopes": ["read", "write"]})),
        )
        .await;
    assert_eq!(writer.json()["default_scopes"], json!(["read", "write"]));
    let secret = writer.json()["client_secret"].as_str().expect("secret").to_owned();
    assert_eq!(token("cq-writer", secret, "").await["scope"], "read write");
}

#[tokio::test]
async fn administrators_manage_users_and_others_may_not() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let wuxi = xietong::domain::region::create(
        &app.db,
        &xietong::domain::Caller::system(),
        xietong::domain::region::RegionInput {
            code: Some("500238".into()),
            name: "巫溪县".into(),
            kind: RegionKind::County,
            cluster: Some(Cluster::Northeast),
            parent_id: None,
        },
    )
    .await
    .expect("region")
    .id;
    let unit = common::seed::unit(&app.db, wuxi, "县商务委", UnitKind::Department).await;
    let created = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/users",
            Some(&json!({"username": "wx-swj", "password": "wx-swj-password", "role": "unit_user", "unit_id": unit})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert_eq!(created.header("etag"), Some("\"1\""));
    let bad = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/users",
            Some(&json!({"username": "x y", "password": "short", "role": "unit_user"})),
        )
        .await;
    assert_problem(&bad, 422, "VALIDATION_FAILED");
    let bad_body = bad.json();
    let fields: Vec<&str> = bad_body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["username", "password", "unit_id"]);
    let duplicate = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/users",
            Some(&json!({"username": "wx-swj", "password": "wx-swj-password", "role": "viewer"})),
        )
        .await;
    assert_problem(&duplicate, 409, "CONFLICT");
    let unknown_role = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/users",
            Some(&json!({"username": "z", "password": "zzzzzzzzzz", "role": "boss"})),
        )
        .await;
    assert_problem(&unknown_role, 422, "VALIDATION_FAILED");

    let unit_user = app.bearer("wx-swj").await;
    assert_problem(
        &app.as_bearer(&unit_user, "GET", "/api/v1/users", None).await,
        403,
        "FORBIDDEN",
    );
    let listed = app.as_bearer(&admin, "GET", "/api/v1/users?limit=1", None).await;
    assert_eq!(listed.json()["total_count"], 2);
    assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(1));
    let next = listed.json()["next_cursor"].as_str().expect("a next page").to_owned();
    let page2 = app
        .as_bearer(&admin, "GET", &format!("/api/v1/users?limit=1&cursor={next}"), None)
        .await;
    assert_eq!(page2.json()["items"][0]["username"], "wx-swj");
    assert!(page2.json()["next_cursor"].is_null());
    assert_problem(
        &app.as_bearer(&admin, "GET", "/api/v1/users?limit=0", None).await,
        422,
        "VALIDATION_FAILED",
    );
}

#[tokio::test]
async fn the_audit_log_names_who_changed_what_and_is_read_only() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let created = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/users",
            Some(&json!({"username": "supervisor", "password": "supervisor-pw", "role": "viewer"})),
        )
        .await;
    let user_id = created.json()["id"].as_str().expect("id").to_owned();
    let log = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/audit?entity=user&entity_id={user_id}"),
            None,
        )
        .await;
    assert_eq!(log.status, 200, "{}", String::from_utf8_lossy(&log.body));
    let entry = &log.json()["items"][0];
    assert_eq!(entry["action"], "create");
    assert_eq!(entry["actor_name"], "root");
    assert_eq!(entry["actor_role"], "admin");
    assert_eq!(entry["changes"]["after"]["username"], "supervisor");
    assert!(entry["changes"]["after"].get("password_hash").is_none());
    assert!(
        entry["request_id"].is_string() && entry["client_addr"] == "127.0.0.1",
        "{entry}"
    );

    let viewer = format!("Bearer {}", {
        let r = app
            .request(
                "POST",
                "/api/v1/auth/login",
                Some(&json!({"username": "supervisor", "password": "supervisor-pw"})),
                &[],
            )
            .await;
        r.json()["access_token"].as_str().expect("token").to_owned()
    });
    assert_eq!(app.as_bearer(&viewer, "GET", "/api/v1/audit", None).await.status, 200);
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        assert_eq!(
            app.as_bearer(&admin, method, "/api/v1/audit", None).await.status,
            405,
            "{method}"
        );
    }
    let wrong_filter = app
        .as_bearer(&admin, "GET", "/api/v1/audit?entity_id=not-a-uuid", None)
        .await;
    assert_eq!(wrong_filter.status, 400);
}

#[tokio::test]
async fn bad_bodies_are_problems() {
    let app = TestApp::spawn().await;
    let malformed = app
        .request_raw(
            "POST",
            "/api/v1/auth/login",
            String::from("{\"username\":"),
            "application/json",
            &[],
        )
        .await;
    assert_problem(&malformed, 400, "BAD_REQUEST");
    let wrong_type = app
        .request_raw(
            "POST",
            "/api/v1/auth/login",
            String::from("username=a"),
            "text/plain",
            &[],
        )
        .await;
    assert_problem(&wrong_type, 415, "UNSUPPORTED_MEDIA_TYPE");
    let unknown_field = app
        .request(
            "POST",
            "/api/v1/auth/login",
            Some(&json!({"username": "a", "password": "b", "otp": 1})),
            &[],
        )
        .await;
    assert_problem(&unknown_field, 422, "VALIDATION_FAILED");
    let huge = "x".repeat(9 * 1024 * 1024);
    let too_large = app
        .request_raw(
            "POST",
            "/api/v1/auth/login",
            format!("{{\"username\":\"{huge}\",\"password\":\"x\"}}"),
            "application/json",
            &[],
        )
        .await;
    assert_problem(&too_large, 413, "PAYLOAD_TOO_LARGE");
}

async fn sign_in(app: &TestApp, username: &str, password: &str, from: &str) -> common::TestResponse {
    app.request(
        "POST",
        "/api/v1/auth/login",
        Some(&json!({"username": username, "password": password})),
        &[("x-forwarded-for", from)],
    )
    .await
}

/// Served behind a proxy on loopback, so `X-Forwarded-For` names the client.
fn behind_a_proxy() -> ServeArgs {
    ServeArgs {
        trusted_proxies: vec!["127.0.0.1".into()],
        ..crate::common::quiet()
    }
}

#[tokio::test]
async fn failed_sign_ins_for_other_accounts_leave_a_correct_sign_in_from_the_address_working() {
    // One address (an office's NAT), no proxy configured: the TCP peer.
    let app = TestApp::spawn().await;
    app.user("wx-jxw", Role::Viewer, None).await;
    for n in 0..30 {
        let failed = sign_in(&app, &format!("guess-{n}"), "wrong-password", "ignored").await;
        assert_problem(&failed, 401, "UNAUTHENTICATED");
    }
    // A user who never signed in before, from the same address.
    assert_eq!(sign_in(&app, "wx-jxw", "wx-jxw-password", "ignored").await.status, 200);
}

#[tokio::test]
async fn the_address_bound_holds_back_accounts_new_to_the_address_and_is_off_with_the_address_limit() {
    let bounded = ServeArgs {
        sign_in_failures_per_address: 10,
        ..crate::common::quiet()
    };
    let app = TestApp::spawn_serving(bounded.clone()).await;
    app.user("regular", Role::Viewer, None).await;
    app.user("newcomer", Role::Viewer, None).await;
    app.login("regular").await;
    for n in 0..10 {
        assert_eq!(
            sign_in(&app, &format!("guess-{n}"), "wrong-password", "-").await.status,
            401
        );
    }
    // Someone sprays passwords from here: an account that never signed in
    // from here waits; one that did, its owner at their usual desk, does not.
    let held = sign_in(&app, "newcomer", "newcomer-password", "-").await;
    assert_problem(&held, 429, "RATE_LIMITED");
    let retry: u64 = held
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(sign_in(&app, "regular", "regular-password", "-").await.status, 200);

    // Behind a proxy the operator turns the per-address limit off, and the
    // sign-in bound with it.
    let app = TestApp::spawn_serving(ServeArgs {
        rate_limit_per_address: 0,
        ..bounded
    })
    .await;
    app.user("newcomer", Role::Viewer, None).await;
    for n in 0..15 {
        assert_eq!(
            sign_in(&app, &format!("guess-{n}"), "wrong-password", "-").await.status,
            401
        );
    }
    assert_eq!(sign_in(&app, "newcomer", "newcomer-password", "-").await.status, 200);
}

#[tokio::test]
async fn five_failures_for_an_account_hold_back_that_address_for_that_account_alone() {
    let app = TestApp::spawn_serving(behind_a_proxy()).await;
    app.user("wx-jxw", Role::Viewer, None).await;
    app.user("wx-swj", Role::Viewer, None).await;
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "wx-jxw", "wrong-password", "10.0.0.1").await.status, 401);
    }
    let held = sign_in(&app, "wx-jxw", "wx-jxw-password", "10.0.0.1").await;
    assert_problem(&held, 429, "RATE_LIMITED");
    let retry: u64 = held
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    // The same account from another desk, another account from this one.
    assert_eq!(sign_in(&app, "wx-jxw", "wx-jxw-password", "10.0.0.2").await.status, 200);
    assert_eq!(sign_in(&app, "wx-swj", "wx-swj-password", "10.0.0.1").await.status, 200);
}

#[tokio::test]
async fn an_account_guessed_from_many_addresses_answers_strangers_as_a_wrong_password() {
    let app = TestApp::spawn_serving(behind_a_proxy()).await;
    app.user("wx-fgw", Role::Viewer, None).await;
    // The owner's office.
    assert_eq!(sign_in(&app, "wx-fgw", "wx-fgw-password", "10.1.0.1").await.status, 200);
    // Twenty guesses, each from an address of its own.
    for n in 1..=20 {
        let guess = sign_in(&app, "wx-fgw", &format!("guess-{n}-password"), &format!("10.2.0.{n}")).await;
        assert_problem(&guess, 401, "UNAUTHENTICATED");
    }
    // The right password from a stranger's address reads exactly as a wrong
    // one, so guessing on tells nothing.
    let right = sign_in(&app, "wx-fgw", "wx-fgw-password", "10.3.0.1").await;
    let wrong = sign_in(&app, "wx-fgw", "another-guess", "10.3.0.2").await;
    assert_problem(&right, 401, "UNAUTHENTICATED");
    assert_eq!(right.json(), wrong.json());
    assert_eq!(right.header("www-authenticate"), wrong.header("www-authenticate"));
    assert_eq!(right.json()["detail"], "wrong username or password");
    // The owner at their usual address is not locked out.
    assert_eq!(sign_in(&app, "wx-fgw", "wx-fgw-password", "10.1.0.1").await.status, 200);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    // No trusted proxy: the header is the client's to write, so it is ignored
    // and every attempt counts against the TCP peer.
    let app = TestApp::spawn().await;
    app.user("wx-jxw", Role::Viewer, None).await;
    for n in 0..5 {
        sign_in(&app, "wx-jxw", "wrong-password", &format!("10.0.0.{n}")).await;
    }
    assert_problem(
        &sign_in(&app, "wx-jxw", "wx-jxw-password", "10.0.0.99").await,
        429,
        "RATE_LIMITED",
    );

    // Behind a trusted proxy, what a client puts left of the address the
    // proxy appended is not believed either.
    let app = TestApp::spawn_serving(behind_a_proxy()).await;
    app.user("wx-jxw", Role::Viewer, None).await;
    for n in 0..5 {
        let spoofed = format!("10.9.0.{n}, 10.0.0.7");
        sign_in(&app, "wx-jxw", "wrong-password", &spoofed).await;
    }
    assert_problem(
        &sign_in(&app, "wx-jxw", "wx-jxw-password", "10.9.0.77, 10.0.0.7").await,
        429,
        "RATE_LIMITED",
    );
    assert_eq!(sign_in(&app, "wx-jxw", "wx-jxw-password", "10.0.0.8").await.status, 200);
}

#[tokio::test]
async fn bad_trusted_proxies_are_named() {
    let serve = ServeArgs {
        trusted_proxies: vec!["10.0.0.0/8".into(), " ".into(), "fd00::/8".into()],
        ..crate::common::quiet()
    };
    assert_eq!(serve.checked_trusted_proxies().map(|p| p.len()), Ok(2));
    for bad in ["10.0.0.0/40", "proxy.internal", "10.0.0.0/x"] {
        let serve = ServeArgs {
            trusted_proxies: vec![bad.into()],
            ..crate::common::quiet()
        };
        let err = serve.checked_trusted_proxies().expect_err(bad);
        assert!(err.contains("XIETONG_TRUSTED_PROXIES") && err.contains(bad), "{err}");
    }
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_and_action() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let root = app.as_bearer(&admin, "GET", "/api/v1/me", None).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for name in ["alpha-user", "beta-user"] {
        let body = json!({"username": name, "password": "long-enough-pw", "role": "viewer"});
        assert_eq!(
            app.as_bearer(&admin, "POST", "/api/v1/users", Some(&body)).await.status,
            201
        );
    }
    let by_actor = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/audit?actor_id={root}&action=create"),
            None,
        )
        .await;
    assert_eq!(by_actor.json()["total_count"], 2);
    let logins = app.as_bearer(&admin, "GET", "/api/v1/audit?action=login", None).await;
    assert_eq!(logins.json()["total_count"], 1);
    let nobody = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/audit?actor_id={}", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    assert_eq!(nobody.json()["total_count"], 0);
}
