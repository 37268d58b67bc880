//! `/api/v1/imports/…`: uploading a task list, a unit pairing table,
//! regions, pairings or a chronicle as a multipart form (the file in field
//! `file`). `dry_run=true` reports what would happen and writes nothing; a
//! failed import writes nothing and answers 422 with its report.

use std::collections::HashMap;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::Authenticated;
use super::problem::{ApiError, ApiResult};
use crate::AppState;
use crate::documents::reference::{self, ReferenceReport, UnitPairImport};
use crate::documents::tasks::{self, ImportReport, Owner, TaskImport};
use crate::domain::{DomainError, ErrorCode, Text, pairing, region};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_tasks))
        .routes(routes!(import_unit_pairs))
        .routes(routes!(import_regions))
        .routes(routes!(import_pairings))
        .routes(routes!(import_events))
        .routes(routes!(import_projects))
}

/// The fields of a multipart form and its file.
struct Upload {
    fields: HashMap<String, Vec<String>>,
    file: Vec<u8>,
}

impl Upload {
    /// Reads the form `T` documents; a field it does not name is refused,
    /// as a JSON body's unknown field is.
    async fn read<T: utoipa::PartialSchema>(form: Result<Multipart, MultipartRejection>) -> ApiResult<Upload> {
        let known: Vec<String> = match T::schema() {
            utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(object)) => {
                object.properties.keys().cloned().collect()
            }
            _ => Vec::new(),
        };
        let mut form = form.map_err(|e| {
            ApiError::new(
                ErrorCode::UnsupportedMediaType,
                Text::new("send a multipart/form-data body: %{reason}").arg("reason", e.body_text()),
            )
        })?;
        let bad = |e: axum::extract::multipart::MultipartError| {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ErrorCode::PayloadTooLarge
            } else {
                ErrorCode::BadRequest
            };
            ApiError::new(
                code,
                Text::new("the form cannot be read: %{reason}").arg("reason", e.body_text()),
            )
        };
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                file = Some(field.bytes().await.map_err(bad)?.to_vec());
            } else if !known.contains(&name) {
                let message = format!("is not a field here: the fields are {}", known.join(", "));
                return Err(DomainError::invalid(name, message).into());
            } else {
                let text = field.text().await.map_err(bad)?;
                fields.entry(name).or_default().push(text);
            }
        }
        let file = file
            .ok_or_else(|| ApiError::from(DomainError::invalid("file", "send the table in the form field `file`")))?;
        Ok(Upload { fields, file })
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn required(&self, name: &str) -> ApiResult<&str> {
        self.text(name)
            .ok_or_else(|| ApiError::from(DomainError::invalid(name, "required")))
    }

    fn flag(&self, name: &str) -> ApiResult<bool> {
        match self.text(name) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(other) => {
                Err(DomainError::invalid(name, Text::new("`%{value}` is not true or false").arg("value", other)).into())
            }
        }
    }

    fn uuid(&self, name: &str) -> ApiResult<Option<Uuid>> {
        self.text(name)
            .map(|t| {
                t.parse::<Uuid>()
                    .map_err(|_| ApiError::from(DomainError::invalid(name, "not an id")))
            })
            .transpose()
    }

    fn aliases(&self) -> ApiResult<Vec<(String, String)>> {
        let texts = self.fields.get("alias").cloned().unwrap_or_default();
        Ok(tasks::parse_aliases(&texts, "alias")?)
    }
}

/// 201 when written, 200 for a dry run, 422 with the report when it failed.
fn answer<T: Serialize>(report: &T, ok: bool, written: bool) -> ApiResult<Response> {
    let body = serde_json::to_value(report).map_err(|e| ApiError::from(DomainError::Internal(e.into())))?;
    if !ok {
        let mut error = ApiError::new(
            ErrorCode::ValidationFailed,
            "the import failed; nothing was written: see `report`",
        );
        error.report = Some(body);
        return Err(error);
    }
    let status = if written { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(body)).into_response())
}

/// A task list upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TaskUpload {
    /// The task list, CSV (UTF-8 or GB18030) or XLSX.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    #[schema(example = 2025)]
    year: i32,
    #[schema(example = "渝中区·巫溪县2025年度对口协同发展任务清单")]
    title: String,
    /// A pairing's plan …
    pairing_id: Option<Uuid>,
    /// … or a region's own.
    region_id: Option<Uuid>,
    /// The region of columns that name no side (责任单位); by default the recipient.
    issuer_region_id: Option<Uuid>,
    #[schema(example = "巫溪府发〔2025〕20号")]
    doc_number: Option<String>,
    /// Create units the region does not have yet (never near misses).
    create_missing_units: Option<bool>,
    /// Repeatable `NAME=UNIT`: the document's NAME is the unit UNIT.
    #[schema(example = json!(["区就业人才中心=区就业和人才中心"]))]
    alias: Option<Vec<String>>,
    /// Report what would happen and write nothing.
    dry_run: Option<bool>,
}

/// Import a task list (任务清单) into a new plan.
///
/// Columns found by their Chinese headers, merged cells filled, units resolved,
/// targets extracted. The file (CSV in UTF-8 or GB18030, or XLSX) becomes a new
/// draft plan of `year` and `title`, of a pairing (`pairing_id`) or a region
/// (`region_id`), exactly one; units resolve by name and alias
/// (`alias=NAME=UNIT`), and `create_missing_units=true` makes the missing ones,
/// never near misses. Coordinators of the plan's regions, administrators and
/// `write` clients may import; for anyone else it fails with the reason in its
/// report.
///
/// Multipart form, the file in field `file` (else 415 UNSUPPORTED_MEDIA_TYPE;
/// over 8 MiB 413 PAYLOAD_TOO_LARGE). All or nothing: a written import answers
/// 201 with its report, a clean `dry_run=true` 200 and writes nothing; any
/// problem writes nothing and answers 422 VALIDATION_FAILED with the whole
/// report, row by row, in the problem's `report`.
#[utoipa::path(post, path = "/api/v1/imports/tasks", tag = "imports",
    request_body(content = inline(TaskUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "Imported", body = ImportReport), (status = 200, description = "Dry run: what would be imported", body = ImportReport)))]
async fn import_tasks(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = Upload::read::<TaskUpload>(form).await?;
    let year: i32 = upload
        .required("year")?
        .parse()
        .map_err(|_| ApiError::from(DomainError::invalid("year", "not a year")))?;
    let (pairing, region) = (upload.uuid("pairing_id")?, upload.uuid("region_id")?);
    let owner = Owner::by_id(&state.db, &caller, pairing, region, ["pairing_id", "region_id"]).await?;
    let options = TaskImport {
        year,
        title: upload.required("title")?.to_owned(),
        owner,
        issuer: upload.uuid("issuer_region_id")?,
        doc_number: upload.text("doc_number").map(str::to_owned),
        issued_on: None,
        create_missing_units: upload.flag("create_missing_units")?,
        aliases: upload.aliases()?,
        dry_run: upload.flag("dry_run")?,
    };
    let report: ImportReport = tasks::import(&state.db, &caller, &upload.file, &options).await?;
    answer(&report, report.ok, report.written)
}

/// A unit pairing table upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UnitPairUpload {
    /// 部门街镇结对帮扶表: 序号, a column headed by the helper region's name, one by the recipient's.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    pairing_id: Uuid,
    create_missing_units: Option<bool>,
    alias: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// Import a pairing's unit pairing table (部门街镇结对帮扶表).
///
/// Columns 序号, one headed by the helper region's name and one by the
/// recipient's; a cell may name several units (县发展改革委、县商务委), each helper unit
/// paired with each recipient unit of its row (groups are refused). Units
/// resolve by name and alias (`alias=NAME=UNIT`, `create_missing_units=true`);
/// pairs already there count as unchanged. For administrators (else 403
/// FORBIDDEN); a missing or unknown `pairing_id` is 422 VALIDATION_FAILED.
///
/// Multipart form, the file in field `file` (else 415 UNSUPPORTED_MEDIA_TYPE;
/// over 8 MiB 413 PAYLOAD_TOO_LARGE). All or nothing: a written import answers
/// 201 with its report, a clean `dry_run=true` 200 and writes nothing; any
/// problem writes nothing and answers 422 VALIDATION_FAILED with the whole
/// report, row by row, in the problem's `report`.
#[utoipa::path(post, path = "/api/v1/imports/unit-pairs", tag = "imports",
    request_body(content = inline(UnitPairUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "Imported", body = ReferenceReport), (status = 200, description = "Dry run", body = ReferenceReport)))]
async fn import_unit_pairs(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = Upload::read::<UnitPairUpload>(form).await?;
    let id = upload
        .uuid("pairing_id")?
        .ok_or_else(|| ApiError::from(DomainError::invalid("pairing_id", "required")))?;
    let p = pairing::get(&state.db, &caller, id)
        .await
        .map_err(|e| e.naming("pairing_id"))?;
    let options = UnitPairImport {
        helper: region::get(&state.db, &caller, p.helper_region_id).await?.name,
        recipient: region::get(&state.db, &caller, p.recipient_region_id).await?.name,
        create_missing_units: upload.flag("create_missing_units")?,
        aliases: upload.aliases()?,
        dry_run: upload.flag("dry_run")?,
    };
    let report = reference::unit_pairs(&state.db, &caller, &upload.file, &options).await?;
    answer(&report, report.ok, report.written)
}

/// A plain table upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TableUpload {
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    dry_run: Option<bool>,
}

/// Import regions (`code,name,kind,cluster`), as an administrator.
///
/// The layout of `fixtures/regions.csv`, with an optional `parent` column
/// naming a region; a region already there with the same code counts as
/// unchanged, with another code is a problem. For administrators (else 403
/// FORBIDDEN).
///
/// Multipart form, the file in field `file` (else 415 UNSUPPORTED_MEDIA_TYPE;
/// over 8 MiB 413 PAYLOAD_TOO_LARGE). All or nothing: a written import answers
/// 201 with its report, a clean `dry_run=true` 200 and writes nothing; any
/// problem writes nothing and answers 422 VALIDATION_FAILED with the whole
/// report, row by row, in the problem's `report`.
#[utoipa::path(post, path = "/api/v1/imports/regions", tag = "imports",
    request_body(content = inline(TableUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "Imported", body = ReferenceReport), (status = 200, description = "Dry run", body = ReferenceReport)))]
async fn import_regions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = Upload::read::<TableUpload>(form).await?;
    let report = reference::regions(&state.db, &caller, &upload.file, upload.flag("dry_run")?).await?;
    answer(&report, report.ok, report.written)
}

/// Import pairings (`helper,recipient,co_helpers`), as an administrator.
///
/// The layout of `fixtures/pairings.csv`: regions by name, co-helpers separated
/// by `;` or 、; new pairings are active, those already there (same helper and
/// recipient) count as unchanged. For administrators (else 403 FORBIDDEN).
///
/// Multipart form, the file in field `file` (else 415 UNSUPPORTED_MEDIA_TYPE;
/// over 8 MiB 413 PAYLOAD_TOO_LARGE). All or nothing: a written import answers
/// 201 with its report, a clean `dry_run=true` 200 and writes nothing; any
/// problem writes nothing and answers 422 VALIDATION_FAILED with the whole
/// report, row by row, in the problem's `report`.
#[utoipa::path(post, path = "/api/v1/imports/pairings", tag = "imports",
    request_body(content = inline(TableUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "Imported", body = ReferenceReport), (status = 200, description = "Dry run", body = ReferenceReport)))]
async fn import_pairings(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = Upload::read::<TableUpload>(form).await?;
    let report = reference::pairings(&state.db, &caller, &upload.file, upload.flag("dry_run")?).await?;
    answer(&report, report.ok, report.written)
}

/// A chronicle upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct EventUpload {
    /// `date,title,amount,amount_unit`
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    pairing_id: Uuid,
    dry_run: Option<bool>,
}

/// Import a pairing's chronicle (大事记).
///
/// Columns 日期, 事项, 内容, 数额, 单位, 名目 (or
/// `date,title,description,amount,amount_unit,amount_label`), as `GET
/// /api/v1/events/export` writes them: a row that leaves the date and title
/// blank, or repeats the event above's, adds an amount to it; an event already
/// there (same day and title) counts as unchanged. For administrators,
/// coordinators of the pairing's regions and `write` clients (else 403
/// FORBIDDEN).
///
/// Multipart form, the file in field `file` (else 415 UNSUPPORTED_MEDIA_TYPE;
/// over 8 MiB 413 PAYLOAD_TOO_LARGE). All or nothing: a written import answers
/// 201 with its report, a clean `dry_run=true` 200 and writes nothing; any
/// problem writes nothing and answers 422 VALIDATION_FAILED with the whole
/// report, row by row, in the problem's `report`.
#[utoipa::path(post, path = "/api/v1/imports/events", tag = "imports",
    request_body(content = inline(EventUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "Imported", body = ReferenceReport), (status = 200, description = "Dry run", body = ReferenceReport)))]
async fn import_events(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = Upload::read::<EventUpload>(form).await?;
    let id = upload
        .uuid("pairing_id")?
        .ok_or_else(|| ApiError::from(DomainError::invalid("pairing_id", "required")))?;
    let report =
        crate::documents::events::import(&state.db, &caller, &upload.file, id, upload.flag("dry_run")?).await?;
    answer(&report, report.ok, report.written)
}

/// A project ledger upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ProjectUpload {
    /// The ledger (项目台账), CSV or XLSX: 项目名称, 项目类别, 建设地点,
    /// 建设内容, 实施单位, 总投资（亿元|万元|元）, 协同资金, 项目状态,
    /// 下达时间, 开工时间, 完工时间, 验收时间, 项目编号.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    pairing_id: Uuid,
    /// The year of the pairing's work they belong to.
    year: i32,
    dry_run: Option<bool>,
}

/// Import a pairing's project ledger (项目台账).
///
/// Headers found by their usual names among the first ten rows (项目名称, 项目类别,
/// 实施单位, 总投资, 协同资金, 项目状态, the milestones' days …), money in the unit its header
/// names (万元 when none), implementing units among the pairing's regions'; the
/// projects count for `year`. Each bad row is reported by row and column. `GET
/// /api/v1/projects/export` writes this layout. Coordinators of the pairing's
/// regions, administrators and `write` clients may (others who see the pairing:
/// 403 FORBIDDEN; an unknown or unseen `pairing_id`: 422 VALIDATION_FAILED).
///
/// Multipart form, the file in field `file` (else 415 UNSUPPORTED_MEDIA_TYPE;
/// over 8 MiB 413 PAYLOAD_TOO_LARGE). All or nothing: a written import answers
/// 201 with its report, a clean `dry_run=true` 200 and writes nothing; any
/// problem writes nothing and answers 422 VALIDATION_FAILED with the whole
/// report, row by row, in the problem's `report`.
#[utoipa::path(post, path = "/api/v1/imports/projects", tag = "imports",
    request_body(content = inline(ProjectUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "Imported", body = ReferenceReport), (status = 200, description = "Dry run", body = ReferenceReport)))]
async fn import_projects(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = Upload::read::<ProjectUpload>(form).await?;
    let options = crate::documents::projects::ProjectImport {
        pairing_id: upload
            .uuid("pairing_id")?
            .ok_or_else(|| ApiError::from(DomainError::invalid("pairing_id", "required")))?,
        year: upload
            .required("year")?
            .parse()
            .map_err(|_| ApiError::from(DomainError::invalid("year", "a year, like 2025")))?,
        dry_run: upload.flag("dry_run")?,
    };
    let report = crate::documents::projects::import(&state.db, &caller, &upload.file, &options).await?;
    answer(&report, report.ok, report.written)
}
