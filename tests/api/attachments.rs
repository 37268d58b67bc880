//! Evidence (佐证材料): files go up as multipart and come back byte for
//! byte with their Chinese names; their kind is read from the content;
//! what is not a document, too large, the same file twice, or sent to a
//! parent the caller cannot see is refused; a parent's rules decide who
//! adds and removes; a plan may ask for evidence before a report goes up.

use std::io::{Cursor, Write};

use serde_json::json;
use sha2::{Digest, Sha256};
use xietong::config::ServeArgs;
use xietong::domain::values::Role;

use crate::common::{TestApp, TestResponse, assert_problem, graphql_data, query_strings, quiet};
use crate::supervision::{LightsPlan, get, send, step, text};

/// A multipart body with `bytes` as the part `file` named `name`.
fn form(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "xietong-attachment-boundary-51c3";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn attach(app: &TestApp, bearer: &str, path: &str, name: &str, bytes: &[u8]) -> TestResponse {
    let (content_type, body) = form(name, bytes);
    app.request_raw("POST", path, body, &content_type, &[("authorization", bearer)])
        .await
}

async fn download(app: &TestApp, bearer: &str, id: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![("authorization", bearer)];
    all.extend_from_slice(headers);
    app.request("GET", &format!("/api/v1/attachments/{id}/content"), None, &all)
        .await
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A ZIP container holding `entries` (name, content).
fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut buffer = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        for (name, content) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("an entry");
            zip.write_all(content.as_bytes()).expect("its content");
        }
        zip.finish().expect("the archive");
    }
    buffer.into_inner()
}

/// A one-page PDF that says `line`, padded with a comment to `size` bytes.
fn pdf(line: &str, size: usize) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 720 Td ({line}) Tj ET");
    let mut body = format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n4 0 obj << /Length {} >> stream\n{stream}\nendstream endobj\n",
        stream.len()
    )
    .into_bytes();
    while body.len() + 80 < size {
        body.extend_from_slice(b"% padding to make a large file for streaming and ranges................\n");
    }
    body.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
    body
}

/// A 1×1 PNG and a 1×1 JPEG, as image tools write them.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F, 0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA,
    0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x01, 0x00, 0x48, 0x00, 0x48, 0x00,
    0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x03, 0x02, 0x02, 0x02, 0x02, 0x02, 0x03, 0x02, 0x02, 0x02, 0x03, 0x03, 0x03,
    0x03, 0x04, 0x06, 0x04, 0x04, 0x04, 0x04, 0x04, 0x08, 0x06, 0x06, 0x05, 0x06, 0x09, 0x08, 0x0A, 0x0A, 0x09, 0x08,
    0x09, 0x09, 0x0A, 0x0C, 0x0F, 0x0C, 0x0A, 0x0B, 0x0E, 0x0B, 0x09, 0x09, 0x0D, 0x11, 0x0D, 0x0E, 0x0F, 0x10, 0x10,
    0x11, 0x10, 0x0A, 0x0C, 0x12, 0x13, 0x12, 0x10, 0x13, 0x0F, 0x10, 0x10, 0x10, 0xFF, 0xC9, 0x00, 0x0B, 0x08, 0x00,
    0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xCC, 0x00, 0x06, 0x00, 0x10, 0x10, 0x05, 0xFF, 0xDA, 0x00, 0x08,
    0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0xD2, 0xCF, 0x20, 0xFF, 0xD9,
];

/// 县经济信息委's draft on a plan of 渝中区·巫溪县, and who else looks at it.
struct Scene {
    w: LightsPlan,
    /// 县经济信息委's user, who wrote the report.
    lead: String,
    /// The report.
    report: String,
    /// A coordinator of 巫溪县 (the plan's).
    coordinator: String,
    /// A unit user of a region outside the pairing.
    outsider: String,
    /// 县商务委's user, which supports the task.
    supporting: String,
}

async fn scene(serve: ServeArgs) -> Scene {
    let app = TestApp::spawn_on_serving("2025-07-02", serve).await;
    let pairing = crate::common::seed::yuzhong_wuxi(&app.db).await;
    app.user("evidence-admin", Role::Admin, None).await;
    let admin = app.bearer("evidence-admin").await;
    let w = LightsPlan { app, admin, pairing };
    let draft = w.draft("佐证").await;
    let outside = crate::common::seed::region(
        &w.app.db,
        Some("500101"),
        "万州区",
        xietong::domain::values::RegionKind::District,
        None,
    )
    .await;
    let outside_unit = crate::common::seed::unit(
        &w.app.db,
        outside,
        "区商务委",
        xietong::domain::values::UnitKind::Department,
    )
    .await;
    w.app
        .user("evidence-outsider", Role::UnitUser, Some(outside_unit))
        .await;
    w.app
        .user(
            "evidence-coordinator",
            Role::Coordinator,
            Some(w.pairing.recipient_unit_2),
        )
        .await;
    Scene {
        lead: draft.lead,
        report: draft.id,
        coordinator: w.app.bearer("evidence-coordinator").await,
        outsider: w.app.bearer("evidence-outsider").await,
        supporting: draft.supporting,
        w,
    }
}

#[tokio::test]
async fn each_allowed_kind_goes_up_and_comes_back_byte_for_byte_with_its_chinese_name() {
    let s = scene(quiet()).await;
    let app = &s.w.app;
    let path = format!("/api/v1/reports/{}/attachments", s.report);
    // A workbook the service itself writes: the plan's export.
    let plan_id = get(app, &s.w.admin, &format!("/api/v1/reports/{}", s.report)).await["task_id"].clone();
    let task = get(
        app,
        &s.w.admin,
        &format!("/api/v1/tasks/{}", plan_id.as_str().expect("task")),
    )
    .await;
    let workbook = app
        .as_bearer(
            &s.w.admin,
            "GET",
            &format!(
                "/api/v1/plans/{}/export?format=xlsx",
                task["plan_id"].as_str().expect("plan")
            ),
            None,
        )
        .await
        .body
        .to_vec();
    let docx = zip_of(&[
        ("[Content_Types].xml", "<Types/>"),
        ("word/document.xml", "<w:document>二季度消费帮扶工作总结</w:document>"),
    ]);
    let ofd = zip_of(&[("OFD.xml", "<ofd:OFD/>"), ("Doc_0/Document.xml", "<ofd:Document/>")]);
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "渝中区2025年第二季度消费帮扶台账.pdf",
            pdf("2025 Q2", 3 * 1024 * 1024),
            "application/pdf",
        ),
        ("红池坝景区现场照片.jpg", JPEG.to_vec(), "image/jpeg"),
        ("签约仪式.png", PNG.to_vec(), "image/png"),
        ("合作协议（扫描件）.ofd", ofd, "application/ofd"),
        (
            "二季度工作总结.docx",
            docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "任务清单 2025.xlsx",
            workbook,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ];
    let mut ids = Vec::new();
    for (name, bytes, media_type) in &files {
        let made = attach(app, &s.lead, &path, name, bytes).await;
        assert_eq!(made.status, 201, "{name}: {}", text(&made));
        let made = made.json();
        assert_eq!(made["file_name"], *name);
        assert_eq!(made["media_type"], *media_type, "{name}");
        assert_eq!(made["size_bytes"], bytes.len(), "{name}");
        assert_eq!(made["sha256"], sha256(bytes), "{name}");
        assert_eq!(
            (made["parent_type"].as_str(), made["parent_id"].as_str()),
            (Some("report"), Some(s.report.as_str()))
        );
        let id = made["id"].as_str().expect("id").to_owned();

        // The plan's coordinator reads it back, byte for byte.
        let back = download(app, &s.coordinator, &id, &[]).await;
        assert_eq!(back.status, 200, "{name}");
        assert_eq!(back.body.as_ref(), bytes.as_slice(), "{name}: the same bytes");
        assert_eq!(back.header("content-type"), Some(*media_type));
        assert_eq!(back.header("etag"), Some(format!("\"{}\"", sha256(bytes)).as_str()));
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let disposition = back.header("content-disposition").expect("a disposition");
        assert!(
            disposition.starts_with("attachment; filename=\"")
                && disposition.ends_with(&format!("filename*=UTF-8''{encoded}")),
            "{disposition}"
        );
        ids.push(id);
    }
    // 签约仪式.png: 4 characters of 3 bytes each, then `.png`.
    let png = download(app, &s.lead, &ids[2], &[]).await;
    assert_eq!(
        png.header("content-disposition"),
        Some("attachment; filename=\"____.png\"; filename*=UTF-8''%E7%AD%BE%E7%BA%A6%E4%BB%AA%E5%BC%8F.png")
    );

    let listed = get(app, &s.lead, &path).await;
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["file_name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        files.iter().map(|(n, _, _)| *n).collect::<Vec<_>>(),
        "oldest first"
    );
    let one = get(app, &s.lead, &format!("/api/v1/attachments/{}", ids[0])).await;
    assert_eq!(one["size_bytes"], files[0].1.len());

    // Every upload is in the audit log.
    let audited = query_strings(
        &app.db,
        "SELECT action FROM audit_log WHERE entity = 'attachment' AND action = 'create'",
    )
    .await;
    assert_eq!(audited.len(), 6);
}

#[tokio::test]
async fn ranges_and_etags_let_a_client_resume_and_cache() {
    let s = scene(quiet()).await;
    let app = &s.w.app;
    let bytes = pdf("ranges", 1_000_000);
    let made = attach(
        app,
        &s.lead,
        &format!("/api/v1/reports/{}/attachments", s.report),
        "台账.pdf",
        &bytes,
    )
    .await
    .json();
    let id = made["id"].as_str().expect("id");
    let size = bytes.len();

    let first = download(app, &s.lead, id, &[("range", "bytes=0-99")]).await;
    assert_eq!(first.status, 206);
    assert_eq!(first.body.as_ref(), &bytes[..100]);
    assert_eq!(
        first.header("content-range"),
        Some(format!("bytes 0-99/{size}").as_str())
    );
    let middle = download(app, &s.lead, id, &[("range", "bytes=500000-500009")]).await;
    assert_eq!(middle.body.as_ref(), &bytes[500_000..500_010]);
    let tail = download(app, &s.lead, id, &[("range", "bytes=-10")]).await;
    assert_eq!(tail.body.as_ref(), &bytes[size - 10..]);
    let resumed = download(app, &s.lead, id, &[("range", "bytes=990000-")]).await;
    assert_eq!(resumed.body.as_ref(), &bytes[990_000..]);

    let beyond = download(app, &s.lead, id, &[("range", &format!("bytes={size}-"))]).await;
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("content-range"), Some(format!("bytes */{size}").as_str()));
    // Several ranges: the whole file (a server may ignore `Range`).
    let several = download(app, &s.lead, id, &[("range", "bytes=0-1,5-9")]).await;
    assert_eq!((several.status, several.body.len()), (200, size));
    // A range of other bytes than the client holds: the whole file.
    let stale = download(app, &s.lead, id, &[("range", "bytes=0-9"), ("if-range", "\"0000\"")]).await;
    assert_eq!((stale.status, stale.body.len()), (200, size));

    let etag = format!("\"{}\"", sha256(&bytes));
    let cached = download(app, &s.lead, id, &[("if-none-match", &etag)]).await;
    assert_eq!((cached.status, cached.body.len()), (304, 0));
}

#[tokio::test]
async fn what_is_not_a_document_is_refused_by_its_content_not_its_name() {
    let s = scene(quiet()).await;
    let app = &s.w.app;
    let path = format!("/api/v1/reports/{}/attachments", s.report);
    let mut program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    program.extend_from_slice(&[0u8; 2048]);
    for (name, bytes, says) in [
        ("二季度台账.pdf", program.clone(), "Windows executable"),
        ("照片.jpg", b"\x7fELF\x02\x01\x01\x00".to_vec(), "ELF executable"),
        ("材料.zip", zip_of(&[("说明.txt", "压缩包")]), "not a document"),
        (
            "协议.docx",
            zip_of(&[
                ("[Content_Types].xml", "<Types/>"),
                ("word/document.xml", "<w/>"),
                ("word/vbaProject.bin", "x"),
            ]),
            "macros",
        ),
        (
            "协议.ofd",
            zip_of(&[("OFD.xml", "<ofd/>"), ("setup.exe", "MZ")]),
            "setup.exe",
        ),
        ("说明.pdf", "只是文字".as_bytes().to_vec(), "not accepted"),
    ] {
        let refused = attach(app, &s.lead, &path, name, &bytes).await;
        assert_problem(&refused, 415, "UNSUPPORTED_MEDIA_TYPE");
        assert!(text(&refused).contains(says), "{name}: {}", text(&refused));
    }
    let empty = attach(app, &s.lead, &path, "空.pdf", b"").await;
    assert_problem(&empty, 415, "UNSUPPORTED_MEDIA_TYPE");
    // No name, or no file at all.
    let (content_type, body) = form("", b"%PDF-1.4\n");
    let unnamed = app
        .request_raw("POST", &path, body, &content_type, &[("authorization", &s.lead)])
        .await;
    assert_problem(&unnamed, 422, "VALIDATION_FAILED");
    let json_body = app
        .request_raw("POST", &path, "{}", "application/json", &[("authorization", &s.lead)])
        .await;
    assert_problem(&json_body, 415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(get(app, &s.lead, &path).await, json!([]), "nothing was kept");
    // And nothing is left in the spool or the storage for them.
    assert_eq!(query_strings(&app.db, "SELECT id FROM attachments").await.len(), 0);
}

#[tokio::test]
async fn the_attachment_limit_is_its_own_and_the_same_file_goes_once() {
    let serve = ServeArgs {
        attachment_max_bytes: 12 * 1024 * 1024,
        attachments_per_parent: 2,
        ..quiet()
    };
    let s = scene(serve).await;
    let app = &s.w.app;
    let path = format!("/api/v1/reports/{}/attachments", s.report);
    // 9 MiB: over the 8 MiB of other bodies, within the 12 MiB of attachments.
    let large = pdf("large", 9 * 1024 * 1024);
    let made = attach(app, &s.lead, &path, "大文件.pdf", &large).await;
    assert_eq!(made.status, 201, "{}", text(&made));
    let too_large = attach(app, &s.lead, &path, "太大.pdf", &pdf("too large", 13 * 1024 * 1024)).await;
    assert_problem(&too_large, 413, "PAYLOAD_TOO_LARGE");
    assert!(text(&too_large).contains("12582912 bytes"), "{}", text(&too_large));

    // The same bytes under another name are the same file.
    let again = attach(app, &s.lead, &path, "大文件（副本）.pdf", &large).await;
    assert_problem(&again, 409, "CONFLICT");
    assert!(text(&again).contains("大文件.pdf"), "{}", text(&again));
    let second = attach(app, &s.lead, &path, "b.png", PNG).await;
    assert_eq!(second.status, 201);
    let third = attach(app, &s.lead, &path, "c.jpg", JPEG).await;
    assert_problem(&third, 409, "CONFLICT");
    assert!(text(&third).contains("2 files"), "{}", text(&third));
    assert_eq!(get(app, &s.lead, &path).await.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn an_outsider_cannot_see_upload_or_remove_and_reads_404() {
    let s = scene(quiet()).await;
    let app = &s.w.app;
    let path = format!("/api/v1/reports/{}/attachments", s.report);
    let id = attach(app, &s.lead, &path, "台账.pdf", &pdf("x", 100)).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (method, url) in [
        ("GET", format!("/api/v1/attachments/{id}")),
        ("GET", format!("/api/v1/attachments/{id}/content")),
        ("DELETE", format!("/api/v1/attachments/{id}")),
        ("GET", path.clone()),
    ] {
        let answer = app.as_bearer(&s.outsider, method, &url, None).await;
        assert_problem(&answer, 404, "NOT_FOUND");
    }
    let upload = attach(app, &s.outsider, &path, "外来.pdf", &pdf("y", 100)).await;
    assert_problem(&upload, 404, "NOT_FOUND");
    // The supporting unit does not see another unit's draft, nor its files.
    let supporting = attach(app, &s.supporting, &path, "配合.pdf", &pdf("z", 100)).await;
    assert_problem(&supporting, 404, "NOT_FOUND");
    let removal = app
        .as_bearer(&s.supporting, "DELETE", &format!("/api/v1/attachments/{id}"), None)
        .await;
    assert_problem(&removal, 404, "NOT_FOUND");
    // Submitted, the report is the supporting unit's to read, not to change.
    step(app, &s.lead, &s.report, "submit", json!({})).await;
    assert_eq!(download(app, &s.supporting, &id, &[]).await.status, 200);
    let supporting = attach(app, &s.supporting, &path, "配合.pdf", &pdf("z", 100)).await;
    assert_problem(&supporting, 403, "FORBIDDEN");
    let removal = app
        .as_bearer(&s.supporting, "DELETE", &format!("/api/v1/attachments/{id}"), None)
        .await;
    assert_problem(&removal, 403, "FORBIDDEN");
    // Unknown ids.
    let unknown = app
        .as_bearer(
            &s.lead,
            "GET",
            "/api/v1/attachments/00000000-0000-4000-8000-000000000000/content",
            None,
        )
        .await;
    assert_problem(&unknown, 404, "NOT_FOUND");
    let unknown_parent = attach(
        app,
        &s.lead,
        "/api/v1/events/00000000-0000-4000-8000-000000000000/attachments",
        "a.pdf",
        &pdf("a", 10),
    )
    .await;
    assert_problem(&unknown_parent, 404, "NOT_FOUND");
    let anonymous = app.get(&format!("/api/v1/attachments/{id}/content")).await;
    assert_problem(&anonymous, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn evidence_follows_the_report_and_a_plan_may_ask_for_it() {
    let s = scene(quiet()).await;
    let app = &s.w.app;
    // A plan that asks for evidence, with a task and its lead unit's draft.
    let plan = send(
        app,
        &s.w.admin,
        "POST",
        "/api/v1/plans",
        json!({"pairing_id": s.w.pairing.pairing, "year": 2025, "title": "要佐证的清单",
               "reporting": {"evidence_required": true}}),
        None,
    )
    .await;
    assert_eq!(plan["reporting"]["evidence_required"], true);
    let plan_id = plan["id"].as_str().expect("id");
    send(
        app,
        &s.w.admin,
        "POST",
        &format!("/api/v1/plans/{plan_id}/issue"),
        json!({}),
        plan["version"].as_i64(),
    )
    .await;
    let task = s.w.task(plan_id, 1, "2025-12-31", &[], 50).await;
    let report = send(
        app,
        &s.lead,
        "POST",
        &format!("/api/v1/tasks/{}/reports", task["id"].as_str().expect("id")),
        json!({"period": "2025-Q2", "consolidated": true, "text": "二季度", "values": []}),
        None,
    )
    .await;
    let report = report["id"].as_str().expect("id");
    let path = format!("/api/v1/reports/{report}/attachments");

    let bare = app
        .as_bearer(
            &s.lead,
            "POST",
            &format!("/api/v1/reports/{report}/submit"),
            Some(&json!({})),
        )
        .await;
    assert_problem(&bare, 409, "CONFLICT");
    assert!(text(&bare).contains("佐证材料"), "{}", text(&bare));

    let photo = attach(app, &s.lead, &path, "现场照片.jpg", JPEG).await.json();
    let photo = photo["id"].as_str().expect("id");
    assert_eq!(
        step(app, &s.lead, report, "submit", json!({})).await["status"],
        "submitted"
    );
    // Submitted: its evidence is frozen until it is recalled.
    let added = attach(app, &s.lead, &path, "补充.png", PNG).await;
    assert_problem(&added, 409, "CONFLICT");
    assert!(text(&added).contains("recall it first"), "{}", text(&added));
    let removed = app
        .as_bearer(&s.lead, "DELETE", &format!("/api/v1/attachments/{photo}"), None)
        .await;
    assert_problem(&removed, 409, "CONFLICT");
    step(app, &s.lead, report, "recall", json!({})).await;
    let added = attach(app, &s.lead, &path, "补充.png", PNG).await;
    assert_eq!(added.status, 201);
    let removed = app
        .as_bearer(
            &s.lead,
            "DELETE",
            &format!("/api/v1/attachments/{}", added.json()["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    step(app, &s.lead, report, "submit", json!({})).await;
    step(app, &s.coordinator, report, "approve", json!({})).await;
    // Approved: nothing leaves, nothing joins.
    let removed = app
        .as_bearer(&s.lead, "DELETE", &format!("/api/v1/attachments/{photo}"), None)
        .await;
    assert_problem(&removed, 409, "CONFLICT");
    assert!(text(&removed).contains("approved"), "{}", text(&removed));
    assert_problem(&attach(app, &s.lead, &path, "晚到.png", PNG).await, 409, "CONFLICT");
    // What it carries stays readable to the coordinator.
    let listed = get(app, &s.coordinator, &path).await;
    assert_eq!(listed[0]["file_name"], "现场照片.jpg");
    let audited = query_strings(
        &app.db,
        "SELECT action FROM audit_log WHERE entity = 'attachment' ORDER BY occurred_at, id",
    )
    .await;
    assert_eq!(audited, ["create", "create", "delete"]);
}

#[tokio::test]
async fn plans_events_and_projects_carry_files_by_their_own_rules() {
    let s = scene(quiet()).await;
    let app = &s.w.app;
    let (admin, pairing) = (&s.w.admin, &s.w.pairing);
    app.user("evidence-yz", Role::Coordinator, Some(pairing.helper_unit))
        .await;
    let yz = app.bearer("evidence-yz").await;

    // A plan: its coordinators attach the issued document; a unit does not.
    let plan = s.w.plan("带附件的清单", None).await;
    let plan_files = format!("/api/v1/plans/{plan}/attachments");
    let issued = attach(
        app,
        &yz,
        &plan_files,
        "渝中区巫溪县2025年度对口协同发展任务清单.pdf",
        &pdf("plan", 500),
    )
    .await;
    assert_eq!(issued.status, 201, "{}", text(&issued));
    assert_problem(
        &attach(app, &s.lead, &plan_files, "单位.pdf", &pdf("u", 50)).await,
        403,
        "FORBIDDEN",
    );
    assert_eq!(
        get(app, &s.lead, &plan_files).await.as_array().map(Vec::len),
        Some(1),
        "the unit reads it"
    );
    assert_problem(
        &app.as_bearer(&s.outsider, "GET", &plan_files, None).await,
        404,
        "NOT_FOUND",
    );

    // An event of the chronicle: its pairing's coordinators attach.
    let event = send(
        app,
        admin,
        "POST",
        "/api/v1/events",
        json!({"pairing_id": pairing.pairing, "occurred_on": "2025-06-18", "title": "渝中区向巫溪县购买森林面积指标"}),
        None,
    )
    .await;
    let event_files = format!("/api/v1/events/{}/attachments", event["id"].as_str().expect("id"));
    assert_eq!(
        attach(app, &yz, &event_files, "交易合同.pdf", &pdf("event", 200))
            .await
            .status,
        201
    );
    assert_problem(
        &attach(app, &s.lead, &event_files, "单位.pdf", &pdf("v", 50)).await,
        403,
        "FORBIDDEN",
    );

    // A project: its implementing unit attaches photos of the works.
    let project = send(
        app,
        &yz,
        "POST",
        "/api/v1/projects",
        json!({"pairing_id": pairing.pairing, "year": 2025, "name": "红池坝景区", "category": "education",
               "implementing_unit_id": pairing.recipient_unit, "investment": "100", "pairing_funds": "100"}),
        None,
    )
    .await;
    let project_files = format!("/api/v1/projects/{}/attachments", project["id"].as_str().expect("id"));
    assert_eq!(
        attach(app, &s.lead, &project_files, "施工现场.jpg", JPEG).await.status,
        201
    );
    assert_problem(
        &attach(app, &s.outsider, &project_files, "外.jpg", PNG).await,
        404,
        "NOT_FOUND",
    );

    // A pairing: its agreements, scanned, kept by its regions' coordinators.
    let pairing_files = format!("/api/v1/pairings/{}/attachments", pairing.pairing);
    let agreement = attach(
        app,
        &yz,
        &pairing_files,
        "结对协议（扫描件）.pdf",
        &pdf("agreement", 300),
    )
    .await;
    assert_eq!(agreement.status, 201, "{}", text(&agreement));
    assert_eq!(agreement.json()["parent_type"], "pairing");
    assert_problem(
        &attach(app, &s.lead, &pairing_files, "单位.pdf", &pdf("w", 50)).await,
        403,
        "FORBIDDEN",
    );
    assert_eq!(
        get(app, &s.lead, &pairing_files).await.as_array().map(Vec::len),
        Some(1)
    );

    // GraphQL lists them on their parents and removes one.
    let answer = app
        .graphql(
            Some(&yz),
            "query($p: ID!) { plan(id: $p) { attachments { id fileName mediaType sizeBytes parentType contentUrl } } }",
            json!({"p": plan}),
        )
        .await;
    let files = graphql_data(&answer)["plan"]["attachments"].clone();
    assert_eq!(files[0]["fileName"], "渝中区巫溪县2025年度对口协同发展任务清单.pdf");
    assert_eq!(files[0]["mediaType"], "application/pdf");
    assert_eq!(files[0]["parentType"], "PLAN");
    assert_eq!(files[0]["sizeBytes"], pdf("plan", 500).len());
    let content_url = files[0]["contentUrl"].as_str().expect("a url");
    assert_eq!(
        app.as_bearer(&s.lead, "GET", content_url, None).await.body.as_ref(),
        pdf("plan", 500).as_slice()
    );
    let removed = app
        .graphql(
            Some(&yz),
            "mutation($id: ID!) { deleteAttachment(id: $id) }",
            json!({"id": files[0]["id"]}),
        )
        .await;
    assert_eq!(graphql_data(&removed)["deleteAttachment"], files[0]["id"]);
    assert_eq!(get(app, &yz, &plan_files).await, json!([]));
    let answer = app
        .graphql(
            Some(&s.lead),
            "query($r: ID!) { report(id: $r) { attachments { fileName } } }",
            json!({"r": s.report}),
        )
        .await;
    assert_eq!(graphql_data(&answer)["report"]["attachments"], json!([]));
}

/// Two instances on one database and one S3-compatible bucket (moto's, on
/// 127.0.0.1, started by `.ci/s3`): a file sent to one is read from the
/// other, in ranges too, and leaves the bucket when removed.
#[tokio::test]
#[ignore = "needs an S3-compatible server on 127.0.0.1: .ci/s3 starts one and runs this"]
async fn s3_storage_is_shared_by_two_instances() {
    let bucket = std::env::var("XIETONG_TEST_S3_BUCKET").expect("XIETONG_TEST_S3_BUCKET names the bucket (.ci/s3)");
    let storage = format!("s3://{bucket}/run-{}", uuid::Uuid::new_v4());
    let serve = ServeArgs {
        storage: storage.clone(),
        ..quiet()
    };
    let s = scene(serve.clone()).await;
    let app = &s.w.app;
    let sibling = app.spawn_sibling_on("2025-07-02", &serve).await;
    let other = crate::common::Remote::new(sibling.addr);
    // 9 MiB: two parts of a multipart upload.
    let bytes = pdf("s3", 9 * 1024 * 1024);
    let made = attach(
        app,
        &s.lead,
        &format!("/api/v1/reports/{}/attachments", s.report),
        "存储桶里的台账.pdf",
        &bytes,
    )
    .await;
    assert_eq!(made.status, 201, "{}", text(&made));
    let id = made.json()["id"].as_str().expect("id").to_owned();

    let read = other
        .request(
            "GET",
            &format!("/api/v1/attachments/{id}/content"),
            None,
            &[("authorization", &s.lead)],
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.body.as_ref(),
        bytes.as_slice(),
        "the other instance reads the same bytes"
    );
    let part = other
        .request(
            "GET",
            &format!("/api/v1/attachments/{id}/content"),
            None,
            &[("authorization", &s.lead), ("range", "bytes=8388600-8388615")],
        )
        .await;
    assert_eq!(part.status, 206);
    assert_eq!(
        part.body.as_ref(),
        &bytes[8_388_600..8_388_616],
        "across the parts' seam"
    );

    let bucket_store = xietong::infra::storage::Storage::open(&storage).expect("the bucket");
    assert!(bucket_store.get(&format!("attachments/{id}"), None).await.is_ok());
    // The sweep reads the bucket under its prefix: a file whose row is
    // gone (as a deleted parent's cascade leaves it) goes, the other stays.
    let orphan = attach(
        app,
        &s.lead,
        &format!("/api/v1/reports/{}/attachments", s.report),
        "孤儿.pdf",
        &pdf("orphan", 4000),
    )
    .await;
    assert_eq!(orphan.status, 201, "{}", text(&orphan));
    let orphan: uuid::Uuid = orphan.json()["id"].as_str().expect("id").parse().expect("a uuid");
    {
        use sea_orm::EntityTrait;
        entity::attachments::Entity::delete_by_id(orphan)
            .exec(&app.db)
            .await
            .expect("the row removed");
    }
    let later = chrono::Utc::now() + chrono::TimeDelta::hours(2);
    let swept =
        xietong::domain::attachment::sweep(&app.db, &bucket_store, later, xietong::domain::attachment::ORPHAN_GRACE)
            .await
            .expect("a sweep of the bucket");
    assert_eq!(swept, 1);
    assert!(bucket_store.get(&format!("attachments/{orphan}"), None).await.is_err());
    assert!(bucket_store.get(&format!("attachments/{id}"), None).await.is_ok());
    let removed = other
        .request(
            "DELETE",
            &format!("/api/v1/attachments/{id}"),
            None,
            &[("authorization", &s.lead)],
        )
        .await;
    assert_eq!(removed.status, 204);
    assert!(
        bucket_store.get(&format!("attachments/{id}"), None).await.is_err(),
        "the bytes left the bucket"
    );
    sibling.stop().await;
}

/// Deleting a report takes its attachments' rows with it (the database's
/// cascade); their bytes stay in the storage until the sweep, which the
/// scheduler runs, takes them — once older than the grace an upload on its
/// way needs — and leaves every other file where it was.
#[tokio::test]
async fn a_deleted_reports_files_are_swept_from_the_storage() {
    use sea_orm::EntityTrait;
    use xietong::domain::attachment::{ORPHAN_GRACE, sweep};
    let folder = std::env::temp_dir()
        .join("xietong-test-files")
        .join(uuid::Uuid::new_v4().to_string());
    let url = format!("file://{}", folder.display());
    let s = scene(ServeArgs {
        storage: url.clone(),
        ..quiet()
    })
    .await;
    let app = &s.w.app;
    let files = |folder: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder.join("attachments"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let path = format!("/api/v1/reports/{}/attachments", s.report);
    for (name, line) in [("照片一.pdf", "one"), ("照片二.pdf", "two")] {
        let made = attach(app, &s.lead, &path, name, &pdf(line, 2000)).await;
        assert_eq!(made.status, 201, "{}", text(&made));
    }
    let other = s.w.draft("留下").await;
    let kept = attach(
        app,
        &other.lead,
        &format!("/api/v1/reports/{}/attachments", other.id),
        "留下.pdf",
        &pdf("kept", 2000),
    )
    .await;
    assert_eq!(kept.status, 201, "{}", text(&kept));
    let kept_id = kept.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(files(&folder).len(), 3);

    let report = get(app, &s.lead, &format!("/api/v1/reports/{}", s.report)).await;
    let version = format!("\"{}\"", report["version"]);
    let deleted = app
        .request(
            "DELETE",
            &format!("/api/v1/reports/{}", s.report),
            None,
            &[("authorization", &s.lead), ("if-match", &version)],
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", text(&deleted));
    let rows: Vec<String> = entity::attachments::Entity::find()
        .all(&app.db)
        .await
        .expect("the rows")
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(rows, vec![kept_id.clone()], "the rows went with the report");
    assert_eq!(files(&folder).len(), 3, "the bytes are still there");

    let storage = xietong::infra::storage::Storage::open(&url).expect("the folder");
    let now = chrono::Utc::now();
    assert_eq!(
        sweep(&app.db, &storage, now, ORPHAN_GRACE).await.expect("a sweep"),
        0,
        "bytes younger than the grace are left: an upload may be on its way"
    );
    let later = now + chrono::TimeDelta::hours(2);
    assert_eq!(sweep(&app.db, &storage, later, ORPHAN_GRACE).await.expect("a sweep"), 2);
    assert_eq!(files(&folder), vec![kept_id.clone()]);
    assert_eq!(sweep(&app.db, &storage, later, ORPHAN_GRACE).await.expect("a sweep"), 0);
    let content = app
        .as_bearer(
            &other.lead,
            "GET",
            &format!("/api/v1/attachments/{kept_id}/content"),
            None,
        )
        .await;
    assert_eq!(content.status, 200);
    assert_eq!(content.body[..], pdf("kept", 2000)[..]);
    let _ = std::fs::remove_dir_all(&folder);
}
