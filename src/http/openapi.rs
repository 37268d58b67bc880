//! The OpenAPI 3.1 document: assembled from the routers' annotations, with
//! the problem answers every operation can give added in one place, served
//! at `/api/openapi.json` and printed by `xietong schema openapi`.

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::documents::export::Format;
use crate::domain;
use crate::domain::task::TaskStatusFilter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "xietong (协同)",
        description = "District–county pairing coordination (对口协同发展): pairings (结对), their yearly task lists \
(任务清单), the lead (牵头) and supporting (配合) units of each task, the targets (指标) inside tasks, and the \
progress reports (进展报告) that flow up every month (月调度), quarter (季通报) and year (年评估考核).\n\n\
Every list answers `{items, next_cursor, total_count}` and takes `limit` (1–200, default 50) and `cursor`; \
with `Accept: application/x-ndjson` it answers every row it would page through instead (from `cursor` on), \
one JSON object a line, streamed. \
Every mutable resource carries `version` and answers with `ETag: \"<version>\"`; `PATCH`, `PUT` and `DELETE` need \
`If-Match`. A `POST` that creates may carry `Idempotency-Key`. Amounts are decimal strings. Errors are \
`application/problem+json` with a stable `code`. With `Accept-Language: zh-CN` (or any `zh` weighed above \
`en`) an error's `title`, `detail` and field messages, GraphQL's error messages and an import's problems read \
in Chinese, and the answer says `Content-Language: zh-CN`; `code` is the same in every language. \
Where the service reads from a streaming replica, a `GET` sent with `X-Consistency: primary` (its one value) \
reads the primary instead, to see what was just written.",
        license(name = "MIT", identifier = "MIT"),
        contact(name = "The xietong maintainers"),
    ),
    servers((url = "http://127.0.0.1:8080", description = "`xietong serve` with its default `XIETONG_BIND`; a deployment answers at its own address")),
    // PeriodKind is named by query parameters only, which utoipa does not collect.
    components(schemas(
        super::problem::Problem,
        crate::domain::FieldError,
        crate::domain::values::PeriodKind,
        crate::domain::values::StatisticsScope
    )),
    tags(
        (name = "auth", description = "Signing in (登录), tokens, the caller's own account"),
        (name = "users", description = "User administration (用户管理)"),
        (name = "clients", description = "Integration clients of provincial and city platforms (对接平台)"),
        (name = "audit", description = "The audit log (操作日志)"),
        (name = "changes", description = "The change feed (变更流): every change of what the caller may see, in order, to follow"),
        (name = "webhooks", description = "Webhooks (变更推送): endpoints told of changes as Standard Webhooks, signed; their delivery logs"),
        (name = "regions", description = "Regions (行政区划)"),
        (name = "pairings", description = "Pairings (结对) and unit pairings (部门街镇结对)"),
        (name = "units", description = "Units (单位) and unit groups (单位组, e.g. 各镇街)"),
        (name = "plans", description = "Plans (任务清单)"),
        (name = "tasks", description = "Tasks (重点任务) with their units and targets (指标)"),
        (name = "reports", description = "Progress reports (进展报告) and their review"),
        (name = "metrics", description = "The metric catalogue (指标目录)"),
        (name = "events", description = "The chronicle of a pairing (大事记)"),
        (name = "calendar", description = "The reporting calendar (报送日历): which reports are due, submitted and late"),
        (name = "supervision", description = "Supervision (督查督办): leaders (牵头领导), the tasks' traffic lights (督查亮灯), each user's notifications (站内通知), urging (催办) and requests for more time (延期申请)"),
        (name = "projects", description = "Projects and funds (援建项目, 协同资金): the ledger, its milestones and money, and its figures"),
        (name = "statistics", description = "Statistics across pairings (统计): counts, rates, sums, what is late"),
        (name = "attachments", description = "Evidence (佐证材料): files attached to reports, events, plans and projects"),
        (name = "imports", description = "Uploading task lists and tables as the documents lay them out (导入)"),
    )
)]
struct ApiDoc;

/// Every REST route, with its documentation.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(super::auth::router())
        .merge(super::users::router())
        .merge(super::clients::router())
        .merge(super::audit::router())
        .merge(super::changes::router())
        .merge(super::webhooks::router())
        .merge(super::plans::router())
        .merge(super::tasks::router())
        .merge(super::reports::router())
        .merge(super::imports::router())
        .merge(super::statistics::router())
        .merge(super::calendar::router())
        .merge(super::supervision::router())
        .merge(super::projects::router())
        .merge(super::regions::router())
        .merge(super::units::router())
        .merge(super::pairings::router())
        .merge(super::metrics::router())
        .merge(super::events::router())
        .merge(super::attachments::router())
        .merge(super::bulletins::router())
}

/// The finished document.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, api) = api_router().split_for_parts();
    finish(api)
}

/// The document as served and committed: pretty JSON and a final newline.
pub fn document_json() -> String {
    to_json(&document())
}

/// Pretty JSON with a final newline.
pub fn to_json(document: &utoipa::openapi::OpenApi) -> String {
    let mut text = document.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// Adds what every operation shares: the bearer scheme and the problem
/// answers that the service gives for them.
pub fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    api.openapi = utoipa::openapi::OpenApiVersion::Version31;
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from `POST /api/v1/auth/login` or `POST /api/v1/auth/token`.",
                ))
                .build(),
        ),
    );
    for (path, item) in api.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        let public = path.starts_with("/api/v1/auth/");
        for (method, op) in [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ] {
            let Some(op) = op else { continue };
            unique_operation_id(op);
            describe_header_shapes(op);
            describe_query_shapes(path, op);
            describe_bodies(op);
            if method == "get" {
                describe_bulk_export(op);
            }
            if path == "/api/v1/auth/token" {
                // OAuth's own error answers, documented by the handler; the
                // guard's refusals before it are problems.
                for (code, description) in GUARD_PROBLEMS {
                    insert_problem(op, code, description);
                }
                insert_problem(
                    op,
                    "429",
                    "Too many requests from this address; see `Retry-After` (RATE_LIMITED).",
                );
                continue;
            }
            if path == "/api/v1/changes" {
                insert_problem(
                    op,
                    "410",
                    "`after` is older than the changes kept: read the resources again (CURSOR_EXPIRED).",
                );
            }
            add_problems(op, method, has_id, public);
        }
    }
    drop_unused_schemas(&mut api);
    api
}

/// Removes the component schemas nothing refers to: utoipa registers the
/// item type of a generic page (`Page<AuditEntry>`) although the page
/// inlines it, and a document's linters rightly ask why it is there.
fn drop_unused_schemas(api: &mut utoipa::openapi::OpenApi) {
    loop {
        let text = serde_json::to_string(&*api).unwrap_or_default();
        let Some(schemas) = api.components.as_mut().map(|c| &mut c.schemas) else {
            return;
        };
        let unused: Vec<String> = schemas
            .keys()
            .filter(|name| !text.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            schemas.remove(&name);
        }
    }
}

/// Operation ids are the handlers' names, which repeat across resources
/// (`list`, `create`): prefix them with the tag so that each is unique, as
/// client generators need.
fn unique_operation_id(op: &mut Operation) {
    if let (Some(tag), Some(id)) = (op.tags.as_ref().and_then(|t| t.first()), op.operation_id.as_ref())
        && !id.starts_with(&format!("{tag}_"))
    {
        op.operation_id = Some(format!("{tag}_{id}"));
    }
}

/// The shapes the service accepts for its own request headers, stated once
/// for every operation that takes them: anything else is refused with 400
/// (`If-Match`) or 422 (`Idempotency-Key`).
fn describe_header_shapes(op: &mut Operation) {
    for param in op.parameters.iter_mut().flatten() {
        let utoipa::openapi::RefOr::T(param) = param else {
            continue;
        };
        if param.parameter_in != ParameterIn::Header {
            continue;
        }
        let pattern = if param.name.eq_ignore_ascii_case("If-Match") {
            // An ETag this service gave out: a quoted version, weak or strong.
            r#"^(W/)?"[0-9]{1,9}"$"#
        } else if param.name.eq_ignore_ascii_case("Idempotency-Key") {
            // 1 to 255 printable ASCII characters, no spaces (infra::idempotency).
            "^[!-~]{1,255}$"
        } else {
            continue;
        };
        param.schema = Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .into(),
        );
    }
}

/// What a request body is, stated as the service reads it: a JSON body
/// that may be left out is an object when sent, never `null`; a form's
/// fields are each sent or not (a form has no `null`), and a field it does
/// not name is refused (`imports::Upload::read`).
fn describe_bodies(op: &mut Operation) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, Schema, SchemaType};
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    if let Some(RefOr::T(json)) = body.content.get_mut("application/json")
        && let Some(RefOr::T(Schema::OneOf(one_of))) = json.schema.as_ref()
        && one_of.items.len() == 2
        && let Some(RefOr::T(Schema::Object(null))) = one_of.items.get(1)
        && null.schema_type == SchemaType::Type(Type::Null)
    {
        json.schema = one_of.items.first().cloned();
    }
    let Some(RefOr::T(form)) = body.content.get_mut("multipart/form-data") else {
        return;
    };
    let Some(RefOr::T(Schema::Object(object))) = form.schema.as_mut() else {
        return;
    };
    object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
    let not_null = |schema_type: &mut SchemaType| {
        if let SchemaType::Array(types) = schema_type {
            types.retain(|t| *t != Type::Null);
            if let [only] = types.as_slice() {
                *schema_type = SchemaType::Type(only.clone());
            }
        }
    };
    for property in object.properties.values_mut() {
        match property {
            RefOr::T(Schema::Object(field)) => not_null(&mut field.schema_type),
            RefOr::T(Schema::Array(field)) => not_null(&mut field.schema_type),
            _ => {}
        }
    }
}

/// A list (its 200 is a `Page_…`) also answers `Accept:
/// application/x-ndjson` with every row, one a line (`ndjson::export`);
/// any other read answers that with 406.
fn describe_bulk_export(op: &mut Operation) {
    use utoipa::openapi::RefOr;
    insert_problem(
        op,
        "406",
        "`Accept` asks for what this operation does not answer: NDJSON of anything but a list (NOT_ACCEPTABLE).",
    );
    let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
        return;
    };
    let Some(page) = ok.content.get("application/json").and_then(|c| match c {
        RefOr::T(utoipa::openapi::Content {
            schema: Some(RefOr::Ref(page)),
            ..
        }) if page.ref_location.starts_with("#/components/schemas/Page_") => Some(page.ref_location.clone()),
        _ => None,
    }) else {
        return;
    };
    let row = Ref::new(format!("{page}/properties/items/items"));
    ok.content.insert(
        super::ndjson::NDJSON.to_owned(),
        ContentBuilder::new().schema(Some(row)).build().into(),
    );
}

/// The keys each list sorts by, from the domain module that sorts it.
const SORTS: [(&str, &[&str]); 12] = [
    ("/api/v1/events", domain::event::SORT_KEYS),
    ("/api/v1/leaders", domain::leader::SORT_KEYS),
    ("/api/v1/metrics", domain::metric::SORT_KEYS),
    ("/api/v1/pairings", domain::pairing::SORT_KEYS),
    ("/api/v1/plans", domain::plan::SORT_KEYS),
    ("/api/v1/projects", domain::project::SORT_KEYS),
    ("/api/v1/regions", domain::region::SORT_KEYS),
    ("/api/v1/reports", domain::report::SORT_KEYS),
    ("/api/v1/tasks", domain::task::SORT_KEYS),
    ("/api/v1/unit-groups", domain::unit::SORT_KEYS),
    ("/api/v1/unit-pairings", domain::pairing::SORT_KEYS),
    ("/api/v1/units", domain::unit::SORT_KEYS),
];

/// What the service accepts for query parameters given as text, stated
/// once for every operation: a list's `sort` keys (each ascending, or
/// descending with `-`), a download's `format`, the task statuses to
/// filter by, a cursor's alphabet (base64url, as `page::Cursor` writes
/// it), a code's shape, and, for any other text, no NUL character (the
/// guard refuses `%00` in a query string).
fn describe_query_shapes(path: &str, op: &mut Operation) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{Schema, SchemaType};
    for param in op.parameters.iter_mut().flatten() {
        let RefOr::T(param) = param else { continue };
        if param.parameter_in == ParameterIn::Path
            && param.name == "external_id"
            && let Some(RefOr::T(Schema::Object(schema))) = param.schema.as_mut()
        {
            schema.pattern = Some(domain::external::PATTERN.to_owned());
        }
        if param.parameter_in != ParameterIn::Query {
            continue;
        }
        let Some(RefOr::T(Schema::Object(schema))) = param.schema.as_mut() else {
            continue;
        };
        if param.name == "on" && path.starts_with("/api/v1/calendar") {
            // calendar::check_on: a day of the years 2000 to 2100.
            schema.pattern = Some("^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$".to_owned());
        }
        if schema.schema_type != SchemaType::Type(Type::String) || schema.format.is_some() {
            continue;
        }
        let values: Option<Vec<String>> = match param.name.as_str() {
            "sort" => SORTS.iter().find(|(list, _)| *list == path).map(|(_, keys)| {
                keys.iter()
                    .flat_map(|key| [(*key).to_owned(), format!("-{key}")])
                    .collect()
            }),
            "format" => Some(Format::ALL.iter().map(|f| f.extension().to_owned()).collect()),
            "status" if path == "/api/v1/tasks" => Some(TaskStatusFilter::names()),
            _ => None,
        };
        let pattern = match param.name.as_str() {
            "cursor" => "^[A-Za-z0-9_-]*$",
            "metric" => domain::metric::CODE_PATTERN,
            "category" if path.starts_with("/api/v1/projects") => domain::project::CATEGORY_CODE_PATTERN,
            _ => "^[^\\u0000]*$",
        };
        match values {
            Some(values) => schema.enum_values = Some(values.into_iter().map(Into::into).collect()),
            None => schema.pattern = Some(pattern.to_owned()),
        }
    }
}

fn add_problems(op: &mut Operation, method: &str, has_id: bool, public: bool) {
    let writes = method != "get";
    let if_match = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, utoipa::openapi::RefOr::T(p) if p.name.eq_ignore_ascii_case("If-Match")))
    });
    let with_body = op.request_body.is_some();
    let mut codes: Vec<(&str, &str)> = vec![
        ("400", "The request is malformed (BAD_REQUEST)."),
        ("500", "The service failed (INTERNAL)."),
    ];
    codes.push(("401", "No valid access token, or wrong credentials (UNAUTHENTICATED)."));
    if !public {
        codes.push(("403", "The caller may not do this (FORBIDDEN)."));
    }
    if has_id {
        codes.push(("404", "No such resource, or one the caller may not see (NOT_FOUND)."));
    }
    if with_body {
        codes.push(("413", "The body is too large (PAYLOAD_TOO_LARGE)."));
        codes.push(("415", "The body is not JSON (UNSUPPORTED_MEDIA_TYPE)."));
    }
    if with_body || !writes {
        codes.push((
            "422",
            "The input is not valid; `errors` names each field (VALIDATION_FAILED).",
        ));
    }
    if writes && !public {
        codes.push((
            "409",
            "The change clashes with the state or a uniqueness rule (CONFLICT).",
        ));
    }
    if if_match {
        codes.push((
            "412",
            "`If-Match` names a version that is no longer current (VERSION_CONFLICT).",
        ));
        codes.push(("428", "`If-Match` is missing (PRECONDITION_REQUIRED)."));
    }
    codes.push((
        "429",
        if public {
            "Too many failed attempts, or too many requests from this address; see `Retry-After` (RATE_LIMITED)."
        } else {
            "Too many requests from this token or address this minute; see `Retry-After` (RATE_LIMITED)."
        },
    ));
    codes.extend(GUARD_PROBLEMS);
    for (code, description) in codes {
        insert_problem(op, code, description);
    }
    if !public && op.security.is_none() {
        op.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// What any request may be refused with before its handler runs (see
/// `guard`), besides the rate limit.
const GUARD_PROBLEMS: [(&str, &str); 2] = [
    (
        "431",
        "The header fields are too many or too large (HEADERS_TOO_LARGE).",
    ),
    (
        "503",
        "The database cannot be reached or is too busy, the service is at its limit of requests at \
         once, or the request took too long; see `Retry-After` (UNAVAILABLE).",
    ),
];

/// Documents a problem answer, unless the handler documents that status.
fn insert_problem(op: &mut Operation, code: &str, description: &str) {
    if op.responses.responses.contains_key(code) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    op.responses.responses.insert(code.to_owned(), response.into());
}
