//! Problems in the reader's language: with `Accept-Language: zh-CN` (or
//! any `zh`) the title, the detail and the field messages read in Chinese,
//! over REST and GraphQL and in an import's report; the `code` never
//! changes. Each expected sentence is written out here.

use serde_json::{Value, json};
use xietong::config::ServeArgs;
use xietong::domain::values::Role;

use crate::common::{TestApp, TestResponse, quiet};

const CHINESE: (&str, &str) = ("accept-language", "zh-CN,zh;q=0.9,en;q=0.8");

/// A problem as told to a reader of English and to a reader of Chinese.
struct Told {
    en: Value,
    zh: Value,
}

impl Told {
    /// Asserts the code, and the title and detail in both languages.
    fn reads(&self, code: &str, titles: [&str; 2], details: [&str; 2]) {
        assert_eq!(self.en["code"], code, "{}", self.en);
        assert_eq!(self.zh["code"], code, "{}", self.zh);
        assert_eq!(self.en["status"], self.zh["status"]);
        assert_eq!([self.en["title"].as_str(), self.zh["title"].as_str()], titles.map(Some));
        assert_eq!(
            [self.en["detail"].as_str(), self.zh["detail"].as_str()],
            details.map(Some)
        );
    }

    /// Asserts the first field message in both languages.
    fn field(&self, field: &str, messages: [&str; 2]) {
        for (body, message) in [(&self.en, messages[0]), (&self.zh, messages[1])] {
            assert_eq!(body["errors"][0]["field"], field, "{body}");
            assert_eq!(body["errors"][0]["message"], message, "{body}");
        }
    }
}

fn problem_of(response: &TestResponse, language: &str) -> Value {
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.header("content-language"), Some(language));
    response.json()
}

/// Sends the request twice: as it is, and asking for Chinese.
async fn told(app: &TestApp, method: &str, path: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Told {
    let en = app.request(method, path, body, headers).await;
    let mut chinese = headers.to_vec();
    chinese.push(CHINESE);
    let zh = app.request(method, path, body, &chinese).await;
    assert_eq!(en.status, zh.status);
    Told {
        en: problem_of(&en, "en"),
        zh: problem_of(&zh, "zh-CN"),
    }
}

/// The same with a raw body.
async fn told_raw(app: &TestApp, path: &str, body: Vec<u8>, content_type: &str, headers: &[(&str, &str)]) -> Told {
    let en = app.request_raw("POST", path, body.clone(), content_type, headers).await;
    let mut chinese = headers.to_vec();
    chinese.push(CHINESE);
    let zh = app.request_raw("POST", path, body, content_type, &chinese).await;
    assert_eq!(en.status, zh.status);
    Told {
        en: problem_of(&en, "en"),
        zh: problem_of(&zh, "zh-CN"),
    }
}

#[tokio::test]
async fn each_problem_reads_in_chinese_when_asked_and_keeps_its_code() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let auth = [("authorization", admin.as_str())];
    let made = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/regions",
            Some(&json!({"name": "城口县", "code": "500229", "kind": "county"})),
        )
        .await;
    assert_eq!(made.status, 201);
    let region = made.json()["id"].as_str().expect("id").to_owned();

    told(&app, "GET", "/api/v1/regions", None, &[]).await.reads(
        "UNAUTHENTICATED",
        ["Authentication required", "需要登录"],
        [
            "sign in: send `Authorization: Bearer <access token>`",
            "请登录：发送 `Authorization: Bearer <访问令牌>`",
        ],
    );

    app.user("viewer", Role::Viewer, None).await;
    let viewer = app.bearer("viewer").await;
    let county = json!({"name": "巫山县", "code": "500237", "kind": "county"});
    told(
        &app,
        "POST",
        "/api/v1/regions",
        Some(&county),
        &[("authorization", &viewer)],
    )
    .await
    .reads(
        "FORBIDDEN",
        ["Forbidden", "无权操作"],
        ["only an administrator may create regions", "只有管理员可以创建地区"],
    );

    let nothing = "00000000-0000-4000-8000-000000000001";
    told(&app, "GET", &format!("/api/v1/plans/{nothing}"), None, &auth)
        .await
        .reads(
            "NOT_FOUND",
            ["Not found", "未找到"],
            [
                &format!("plan {nothing} not found"),
                &format!("未找到任务清单 {nothing}"),
            ],
        );
    told(&app, "GET", "/api/v1/no-such-thing", None, &auth).await.reads(
        "NOT_FOUND",
        ["Not found", "未找到"],
        ["no such resource", "没有这个资源"],
    );

    let again = json!({"name": "城口", "code": "500229", "kind": "county"});
    let conflict = told(&app, "POST", "/api/v1/regions", Some(&again), &auth).await;
    conflict.reads(
        "CONFLICT",
        ["Conflict", "状态冲突"],
        [
            "region code 500229 is already used by 城口县",
            "地区代码 500229 已被城口县使用",
        ],
    );
    conflict.field(
        "code",
        [
            "region code 500229 is already used by 城口县",
            "地区代码 500229 已被城口县使用",
        ],
    );

    let rename = json!({"name": "城口", "code": "500229", "kind": "county"});
    let path = format!("/api/v1/regions/{region}");
    told(&app, "PUT", &path, Some(&rename), &auth).await.reads(
        "PRECONDITION_REQUIRED",
        ["Precondition required", "缺少前提条件"],
        [
            "send `If-Match` with the version you read (its ETag)",
            "请用 `If-Match` 发送您读到的版本（其 ETag）",
        ],
    );
    let stale = [auth[0], ("if-match", "\"7\"")];
    told(&app, "PUT", &path, Some(&rename), &stale).await.reads(
        "VERSION_CONFLICT",
        ["Version conflict", "版本冲突"],
        [
            &format!("region {region} has changed: it is at version 1, not 7"),
            &format!("地区 {region} 已被修改：当前为第 1 版，而非第 7 版"),
        ],
    );

    let blank = json!({"name": "  ", "code": "500238", "kind": "county"});
    let invalid = told(&app, "POST", "/api/v1/regions", Some(&blank), &auth).await;
    invalid.reads(
        "VALIDATION_FAILED",
        ["Validation failed", "输入校验未通过"],
        [
            "the input is not valid: name: must not be empty",
            "输入有误：name: 不能为空",
        ],
    );
    invalid.field("name", ["must not be empty", "不能为空"]);
    let number = json!({"name": 5, "code": "500238", "kind": "county"});
    let shape = told(&app, "POST", "/api/v1/regions", Some(&number), &auth).await;
    shape.field("name", ["must be text, not the number 5", "须为文本，而不是数字 5"]);
    let missing = json!({"code": "500238", "kind": "county"});
    told(&app, "POST", "/api/v1/regions", Some(&missing), &auth)
        .await
        .field("name", ["is required", "必填"]);

    let ndjson = [auth[0], ("accept", "application/x-ndjson")];
    told(&app, "GET", &path, None, &ndjson).await.reads(
        "NOT_ACCEPTABLE",
        ["Not acceptable", "无法提供所请求的格式"],
        [
            "only a list answers application/x-ndjson; ask for application/json",
            "只有列表可以 application/x-ndjson 格式返回；请改为请求 application/json",
        ],
    );

    let unparsed = told_raw(
        &app,
        "/api/v1/regions",
        b"{\"name\": ".to_vec(),
        "application/json",
        &auth,
    )
    .await;
    unparsed.reads(
        "BAD_REQUEST",
        ["Bad request", "请求有误"],
        [
            "the body is not valid JSON: the JSON ends too early (line 1, column 9)",
            "请求体不是有效的 JSON：JSON 提前结束（第 1 行，第 9 列）",
        ],
    );
    unparsed.field(
        "body",
        [
            "the JSON ends too early (line 1, column 9)",
            "JSON 提前结束（第 1 行，第 9 列）",
        ],
    );
    told_raw(&app, "/api/v1/regions", b"{}".to_vec(), "text/plain", &auth)
        .await
        .reads(
            "UNSUPPORTED_MEDIA_TYPE",
            ["Unsupported media type", "不支持的内容类型"],
            [
                "send the body as `Content-Type: application/json`",
                "请以 `Content-Type: application/json` 发送请求体",
            ],
        );
    let large = vec![b' '; 9 * 1024 * 1024];
    told_raw(&app, "/api/v1/regions", large, "application/json", &auth)
        .await
        .reads(
            "PAYLOAD_TOO_LARGE",
            ["Payload too large", "内容过大"],
            ["the body is larger than 8388608 bytes", "请求体超过 8388608 字节"],
        );

    let wrong = told(&app, "DELETE", "/api/v1/regions", None, &auth).await;
    wrong.reads(
        "METHOD_NOT_ALLOWED",
        ["Method not allowed", "不支持此请求方法"],
        [
            "this path does not answer this method: `Allow` lists those it answers",
            "此路径不支持该请求方法：`Allow` 列出了它支持的方法",
        ],
    );
    let answer = app.request("DELETE", "/api/v1/regions", None, &auth).await;
    assert_eq!(answer.header("allow"), Some("GET,HEAD,POST"));

    let names: Vec<String> = (0..70).map(|i| format!("x-extra-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    told(&app, "GET", "/api/v1/regions", None, &many).await.reads(
        "HEADERS_TOO_LARGE",
        ["Request header fields too large", "请求头过大"],
        [
            "at most 64 header fields and 32768 bytes of them are accepted",
            "最多接受 64 个请求头字段、共 32768 字节",
        ],
    );
}

#[tokio::test]
async fn a_request_over_its_limit_reads_in_chinese() {
    let app = TestApp::spawn_serving(ServeArgs {
        rate_limit_per_token: 2,
        rate_limit_per_address: 0,
        ..quiet()
    })
    .await;
    let admin = app.bearer_of_new_admin().await;
    let auth = [("authorization", admin.as_str())];
    let answers = [
        app.request("GET", "/api/v1/regions", None, &auth).await,
        app.request("GET", "/api/v1/regions", None, &auth).await,
        app.request("GET", "/api/v1/regions", None, &[auth[0], CHINESE]).await,
    ];
    assert_eq!(answers[0].status, 200);
    let refused = problem_of(&answers[2], "zh-CN");
    assert_eq!(refused["code"], "RATE_LIMITED", "{refused}");
    assert_eq!(refused["title"], "请求过于频繁");
    let seconds = answers[2].header("retry-after").expect("Retry-After");
    assert_eq!(refused["detail"], format!("尝试次数过多，请在 {seconds} 秒后重试"));
}

#[tokio::test]
async fn graphql_errors_read_in_chinese_and_keep_their_code() {
    let app = TestApp::spawn().await;
    app.user("viewer", Role::Viewer, None).await;
    let viewer = app.bearer("viewer").await;
    let ask = |query: &'static str, language: Option<&'static str>| {
        let app = &app;
        let viewer = viewer.clone();
        async move {
            let mut headers = vec![("authorization", viewer.as_str())];
            if let Some(language) = language {
                headers.push(("accept-language", language));
            }
            let answer = app
                .request("POST", "/graphql", Some(&json!({"query": query})), &headers)
                .await;
            assert_eq!(answer.status, 200);
            answer.json()
        }
    };
    let create = r#"mutation { createRegion(input: {name: "巫山县", code: "500237", kind: COUNTY}) { id } }"#;
    let en = ask(create, None).await;
    let zh = ask(create, Some("zh")).await;
    assert_eq!(en["errors"][0]["extensions"]["code"], "FORBIDDEN", "{en}");
    assert_eq!(zh["errors"][0]["extensions"]["code"], "FORBIDDEN", "{zh}");
    assert_eq!(en["errors"][0]["message"], "only an administrator may create regions");
    assert_eq!(zh["errors"][0]["message"], "只有管理员可以创建地区");

    let plan = r#"{ plan(id: "00000000-0000-4000-8000-000000000001") { id } }"#;
    let zh = ask(plan, Some("zh-TW")).await;
    assert_eq!(zh["errors"][0]["extensions"]["code"], "NOT_FOUND", "{zh}");
    assert_eq!(
        zh["errors"][0]["message"],
        "未找到任务清单 00000000-0000-4000-8000-000000000001"
    );

    let page = r#"{ regions(first: 0) { nodes { id } } }"#;
    let en = ask(page, Some("en-US")).await;
    let zh = ask(page, Some("zh-CN")).await;
    assert_eq!(zh["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{zh}");
    assert_eq!(
        en["errors"][0]["extensions"]["errors"][0]["message"],
        "must be between 1 and 200 (the page size limit)"
    );
    assert_eq!(
        zh["errors"][0]["extensions"]["errors"][0]["message"],
        "须在 1 到 200 之间（每页条数上限）"
    );
}

#[tokio::test]
async fn an_import_s_problems_read_in_chinese() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let boundary = "xietong-language-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"regions.csv\"\r\nContent-Type: text/csv\r\n\r\n名称,代码\r\n城口县,500229\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let auth = [("authorization", admin.as_str())];
    let told = told_raw(&app, "/api/v1/imports/regions", body.into_bytes(), &content_type, &auth).await;
    assert_eq!(told.en["code"], "VALIDATION_FAILED", "{}", told.en);
    let problem = |body: &Value| body["report"]["problems"][0]["message"].as_str().map(str::to_owned);
    let en = problem(&told.en).expect("a problem");
    let zh = problem(&told.zh).expect("a problem");
    assert!(en.starts_with("missing columns: "), "{en}");
    assert_eq!(zh, en.replace("missing columns: ", "缺少列："));
    assert_eq!(told.zh["detail"], "导入失败，未写入任何内容：详见 `report`");
}

#[tokio::test]
async fn a_subscription_refused_at_connection_init_says_why_in_chinese() {
    let app = TestApp::spawn().await;
    let no_token = crate::common::subscriber::Subscriber::refusal_in(app.addr, "zh-CN", json!({})).await;
    assert_eq!(
        no_token,
        Some((
            4403,
            "Forbidden: 请在 connection_init 中发送 {\"Authorization\": \"Bearer <访问令牌>\"}".to_owned()
        ))
    );
    let forged =
        crate::common::subscriber::Subscriber::refusal_in(app.addr, "zh-CN", json!({"Authorization": "Bearer forged"}))
            .await
            .expect("a close frame");
    assert_eq!(forged.0, 4403);
    assert!(forged.1.starts_with("Forbidden: 访问令牌无效："), "{}", forged.1);
}
