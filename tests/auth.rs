//! Sign-in, tokens, refresh rotation, throttling, integration clients, user
//! administration and the audit log, over HTTP.

mod common;

use common::{TEST_JWT_SECRET, TestApp, assert_problem};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
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
    let app = TestApp::spawn().await;
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
            "{\"username\":".into(),
            "application/json",
            &[],
        )
        .await;
    assert_problem(&malformed, 400, "BAD_REQUEST");
    let wrong_type = app
        .request_raw("POST", "/api/v1/auth/login", "username=a".into(), "text/plain", &[])
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

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_whatever_the_username() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        let body = json!({"username": format!("guess-{n}"), "password": "wrong-password"});
        assert_eq!(
            app.request("POST", "/api/v1/auth/login", Some(&body), &[]).await.status,
            401
        );
    }
    let body = json!({"username": "guess-9", "password": "wrong-password"});
    let limited = app.request("POST", "/api/v1/auth/login", Some(&body), &[]).await;
    assert_problem(&limited, 429, "RATE_LIMITED");
    assert!(limited.header("retry-after").is_some());
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
