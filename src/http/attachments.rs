//! Evidence (佐证材料): `POST /api/v1/{reports|events|plans|projects|pairings}/{id}/attachments`
//! uploads one file (multipart, field `file`), streamed to a spool and on
//! to the storage, never whole in memory, bounded by
//! `XIETONG_ATTACHMENT_MAX_BYTES` instead of the 8 MiB of other bodies; `GET`
//! on the same path lists them; `/api/v1/attachments/{id}` reads and
//! removes one, `…/content` sends its bytes with `ETag` and `Range`.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiPath, Authenticated};
use super::problem::{ApiError, ApiResult};
use crate::AppState;
use crate::domain::attachment::{self, Attachment, Parent, ParentKind};
use crate::domain::{Caller, DomainError, ErrorCode, Text};
use crate::infra::storage::Spool;

pub fn router() -> OpenApiRouter<AppState> {
    // Uploads are bounded by the spool (the setting), not by the 8 MiB of
    // other bodies.
    let uploads = OpenApiRouter::new()
        .routes(routes!(report_files, attach_to_report))
        .routes(routes!(event_files, attach_to_event))
        .routes(routes!(plan_files, attach_to_plan))
        .routes(routes!(project_files, attach_to_project))
        .routes(routes!(pairing_files, attach_to_pairing))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(read, remove))
        .routes(routes!(content))
}

/// A file to attach.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct AttachmentUpload {
    /// The file, its name in the part's `filename` (UTF-8): PDF, JPEG, PNG,
    /// OFD, DOCX or XLSX, told from its content.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Streams the form's one `file` to a spool and attaches it.
async fn upload(
    state: &AppState,
    caller: &Caller,
    parent: Parent,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    // A parent the caller cannot see or change is refused before any byte is read.
    attachment::may_attach(&state.db, caller, parent, state.attachments).await?;
    let mut form = form.map_err(|e| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            Text::new("send a multipart/form-data body with the file in field `file`: %{reason}")
                .arg("reason", e.body_text()),
        )
    })?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            ErrorCode::BadRequest,
            Text::new("the form cannot be read: %{reason}").arg("reason", e.body_text()),
        )
    };
    let mut attached: Option<Attachment> = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            return Err(DomainError::invalid(name, "unknown field: send only `file`").into());
        }
        if attached.is_some() {
            return Err(DomainError::invalid("file", "send one file per request").into());
        }
        let file_name = field.file_name().map(str::to_owned);
        let mut spool = Spool::new(&state.spool, state.attachments.max_bytes).await?;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            spool.write(&chunk).await?;
        }
        attached = Some(
            attachment::create(
                &state.db,
                &state.storage,
                caller,
                parent,
                state.attachments,
                file_name.as_deref(),
                spool,
            )
            .await?,
        );
    }
    let attached = attached
        .ok_or_else(|| ApiError::from(DomainError::invalid("file", "send the file in the form field `file`")))?;
    let location = format!("/api/v1/attachments/{}", attached.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(attached)).into_response())
}

/// The upload and the list of one kind of parent: two handlers at
/// `/api/v1/{plural}/{id}/attachments`, documented each.
macro_rules! parent_routes {
    ($kind:ident, $list:ident, $attach:ident, $path:literal, $attach_summary:literal, $list_summary:literal) => {
        /// Attach one file to the parent named in the path.
        ///
        /// A multipart form with one part, `file`, its name in the part's
        /// `filename` (UTF-8), streamed to a spool and bounded by
        /// `XIETONG_ATTACHMENT_MAX_BYTES` (50 MiB by default; beyond: 413
        /// PAYLOAD_TOO_LARGE) instead of the 8 MiB of other bodies. Its kind is
        /// read from its bytes: PDF, JPEG, PNG, OFD, DOCX or XLSX (else 415
        /// UNSUPPORTED_MEDIA_TYPE).
        ///
        /// Who may is as the summary says, checked before any byte is read
        /// (others who see the parent: 403 FORBIDDEN; unseen: 404 NOT_FOUND). A
        /// parent whose state takes no file (a report neither draft nor
        /// returned, a closed plan's), a file already attached there, or more
        /// than `XIETONG_ATTACHMENTS_PER_PARENT` files (20 by default) is 409
        /// CONFLICT. Answers 201 with the record, its URL in `Location`.
        #[utoipa::path(post, path = $path, tag = "attachments", summary = $attach_summary,
                            params(("id" = Uuid, Path, description = "Its id")),
                            request_body(content = inline(AttachmentUpload), content_type = "multipart/form-data"),
                            responses((status = 201, description = "Attached", body = Attachment)))]
        async fn $attach(
            State(state): State<AppState>,
            Authenticated(caller): Authenticated,
            ApiPath(id): ApiPath<Uuid>,
            form: Result<Multipart, MultipartRejection>,
        ) -> ApiResult<Response> {
            upload(&state, &caller, Parent::new(ParentKind::$kind, id), form).await
        }

        /// The files attached to the parent named in the path.
        ///
        /// Oldest first, each with its file name as uploaded, its media type
        /// (read from the content), size, SHA-256 (the download's `ETag`), and
        /// who attached it when; download one from
        /// `GET /api/v1/attachments/{id}/content`. Whoever sees the parent sees
        /// its files; a parent the caller may not see, or that does not exist,
        /// answers 404 NOT_FOUND.
        #[utoipa::path(get, path = $path, tag = "attachments", summary = $list_summary,
                            params(("id" = Uuid, Path, description = "Its id")),
                            responses((status = 200, description = "Its files", body = Vec<Attachment>)))]
        async fn $list(
            State(state): State<AppState>,
            Authenticated(caller): Authenticated,
            ApiPath(id): ApiPath<Uuid>,
        ) -> ApiResult<Json<Vec<Attachment>>> {
            Ok(Json(
                attachment::list(&state.db, &caller, Parent::new(ParentKind::$kind, id)).await?,
            ))
        }
    };
}

parent_routes!(
    Report,
    report_files,
    attach_to_report,
    "/api/v1/reports/{id}/attachments",
    "Attach evidence (佐证材料) to a report, as its reporting unit (or the plan's coordinator) while it is a draft or was returned",
    "The evidence attached to a report, oldest first"
);
parent_routes!(
    Event,
    event_files,
    attach_to_event,
    "/api/v1/events/{id}/attachments",
    "Attach a file to an event of the chronicle (大事记), as an administrator or a coordinator of the pairing's regions",
    "The files attached to an event, oldest first"
);
parent_routes!(
    Plan,
    plan_files,
    attach_to_plan,
    "/api/v1/plans/{id}/attachments",
    "Attach a file to a plan (the issued document, its annexes), as its coordinator while it is not closed",
    "The files attached to a plan, oldest first"
);
parent_routes!(
    Project,
    project_files,
    attach_to_project,
    "/api/v1/projects/{id}/attachments",
    "Attach a file to a project (photos, agreements, acceptance papers), as its coordinator or its implementing unit",
    "The files attached to a project, oldest first"
);

parent_routes!(
    Pairing,
    pairing_files,
    attach_to_pairing,
    "/api/v1/pairings/{id}/attachments",
    "Attach a file to a pairing (its agreements, 结对协议, scanned), as an administrator or a coordinator of its regions",
    "The files attached to a pairing, oldest first"
);

/// An attachment's record: its name, kind, size and SHA-256 (404 for anyone who cannot see its parent).
///
/// Its parent (`parent_type`: report, event, plan, project or pairing, and
/// `parent_id`), the file name as uploaded, the media type read from its
/// content, its size, its SHA-256 (the download's `ETag`), and who attached
/// it when. Whoever sees the parent sees the record; anyone else, like an
/// unknown id, answers 404 NOT_FOUND. The bytes are at `…/content`.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = Uuid, Path, description = "The attachment's id")),
    responses((status = 200, description = "The attachment", body = Attachment)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Attachment>> {
    Ok(Json(attachment::get(&state.db, &caller, id).await?))
}

/// Remove an attachment, as its parent's rules and state allow (nothing leaves a submitted or approved report).
///
/// Whoever may attach files to the parent now may remove them: a report's
/// writers while it is a draft or was returned (a submitted report: recall
/// it first), a plan's coordinators while it is not closed, an event's or
/// pairing's chronicle keepers, a project's coordinators and implementing
/// unit. A caller who sees the parent but may not change its files answers
/// 403 FORBIDDEN; a parent whose state takes no change 409 CONFLICT; an
/// attachment the caller may not see 404 NOT_FOUND. The removal is audited;
/// the bytes leave the storage once it is committed.
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = Uuid, Path, description = "The attachment's id")),
    responses((status = 204, description = "Removed")))]
async fn remove(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    attachment::delete(&state.db, &state.storage, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An attachment's bytes.
///
/// With its name (`Content-Disposition`, RFC 6266 and 5987), its `ETag` (its
/// SHA-256), and one byte range when asked (`Range: bytes=0-1023`).
///
/// Whoever sees the parent may download it (else 404 NOT_FOUND).
/// `If-None-Match` with the `ETag` answers 304. One range answers 206 with its
/// `Content-Range` (while `If-Range`, if sent, names the `ETag`); a range
/// outside the file 416; several ranges, or another unit, the whole file.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/content", tag = "attachments",
    params(
        ("id" = Uuid, Path, description = "The attachment's id"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=START-END`, `bytes=START-` or `bytes=-LAST`"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag held: 304 when unchanged"),
    ),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "application/ofd"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 206, description = "The range asked for, in its `Content-Range`", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "application/ofd"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 304, description = "Unchanged since the ETag held"),
        (status = 416, description = "The range lies outside the file"),
    ))]
async fn content(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (found, key) = attachment::open(&state.db, &caller, id).await?;
    let etag = format!("\"{}\"", found.sha256);
    let size = u64::try_from(found.size_bytes).unwrap_or(0);
    let base = |status: StatusCode| {
        let mut response = status.into_response();
        let h = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, value);
        }
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        response
    };
    if super::etag_matches(&headers, &etag) {
        return Ok(base(StatusCode::NOT_MODIFIED));
    }
    // A range is honoured when `If-Range`, if sent, still names these bytes.
    let range_holds = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == etag));
    let range = match headers.get(header::RANGE).filter(|_| range_holds) {
        None => None,
        Some(value) => match byte_range(value.to_str().unwrap_or_default(), size) {
            Requested::Whole => None,
            Requested::Part(range) => Some(range),
            Requested::Unsatisfiable => {
                let mut response = base(StatusCode::RANGE_NOT_SATISFIABLE);
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return Ok(response);
            }
        },
    };
    let stream = state.storage.get(&key, range.clone()).await?;
    let mut response = base(if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    let h = response.headers_mut();
    let media_type = HeaderValue::from_str(&found.media_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, media_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(range) = &range
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", range.start, range.end - 1))
    {
        h.insert(header::CONTENT_RANGE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&super::content_disposition(&found.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    *response.body_mut() = Body::from_stream(stream);
    Ok(response)
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Requested {
    /// Not a single byte range this answers: the whole file.
    Whole,
    Part(std::ops::Range<u64>),
    Unsatisfiable,
}

/// One range of `bytes=START-END`, `bytes=START-` or `bytes=-LAST`; several
/// ranges, or another unit, are answered with the whole file (RFC 9110
/// lets a server ignore `Range`).
fn byte_range(value: &str, size: u64) -> Requested {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Requested::Whole;
    };
    if spec.contains(',') {
        return Requested::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Requested::Whole;
    };
    let (start, end) = (start.trim(), end.trim());
    let parsed = match (start.is_empty(), end.is_empty()) {
        (true, true) => return Requested::Whole,
        (true, false) => end.parse::<u64>().ok().map(|last| (size.saturating_sub(last), size)),
        (false, true) => start.parse::<u64>().ok().map(|first| (first, size)),
        (false, false) => match (start.parse::<u64>(), end.parse::<u64>()) {
            (Ok(first), Ok(last)) if last >= first => Some((first, (last + 1).min(size))),
            _ => return Requested::Whole,
        },
    };
    match parsed {
        None => Requested::Whole,
        Some((first, end)) if first < end && first < size => Requested::Part(first..end),
        Some(_) => Requested::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_byte_range() {
        assert_eq!(byte_range("bytes=0-99", 1000), Requested::Part(0..100));
        assert_eq!(byte_range("bytes=900-", 1000), Requested::Part(900..1000));
        assert_eq!(byte_range("bytes=-100", 1000), Requested::Part(900..1000));
        assert_eq!(byte_range("bytes=990-2000", 1000), Requested::Part(990..1000));
        assert_eq!(byte_range("bytes=1000-", 1000), Requested::Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 1000), Requested::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-9", 1000), Requested::Whole);
        assert_eq!(byte_range("items=0-1", 1000), Requested::Whole);
        assert_eq!(byte_range("bytes=9-2", 1000), Requested::Whole);
    }
}
