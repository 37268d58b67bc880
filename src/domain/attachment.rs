//! Evidence (佐证材料): photos, scanned agreements and PDFs attached to a
//! report, an event of the chronicle, a plan, a project or a pairing (its
//! agreements). Whoever sees the
//! parent sees its files; whoever may change the parent in its present
//! state may add and remove them (a report only while it is a draft or was
//! returned: nothing leaves an approved report). The kind of a file is read
//! from its bytes ([`content`]); the same file twice on one parent is
//! refused; every change is audited.

pub mod content;

use chrono::{DateTime, Utc};
use entity::attachments;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz;
use super::region::parse_stored;
use super::values::{PlanStatus, ReportStatus};
use super::{Caller, DomainError, DomainResult, Store, begin_write, event, pairing, plan, project, report};
use crate::domain::Text;
use crate::infra::storage::{Spool, Storage};

pub use content::MediaType;

const ENTITY: &str = "attachment";

/// How large and how many attachments may be (`XIETONG_ATTACHMENT_MAX_BYTES`,
/// `XIETONG_ATTACHMENTS_PER_PARENT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub per_parent: u32,
}

impl Default for Limits {
    /// 50 MiB, 20 files.
    fn default() -> Limits {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            per_parent: 20,
        }
    }
}

/// What an attachment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParentKind {
    Report,
    Event,
    Plan,
    Project,
    Pairing,
}

/// The record an attachment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parent {
    pub kind: ParentKind,
    pub id: Uuid,
}

impl Parent {
    pub fn new(kind: ParentKind, id: Uuid) -> Parent {
        Parent { kind, id }
    }

    fn column(self) -> attachments::Column {
        match self.kind {
            ParentKind::Report => attachments::Column::ReportId,
            ParentKind::Event => attachments::Column::EventId,
            ParentKind::Plan => attachments::Column::PlanId,
            ParentKind::Project => attachments::Column::ProjectId,
            ParentKind::Pairing => attachments::Column::PairingId,
        }
    }

    fn of(model: &attachments::Model) -> DomainResult<Parent> {
        let found = [
            (ParentKind::Report, model.report_id),
            (ParentKind::Event, model.event_id),
            (ParentKind::Plan, model.plan_id),
            (ParentKind::Project, model.project_id),
            (ParentKind::Pairing, model.pairing_id),
        ]
        .into_iter()
        .find_map(|(kind, id)| id.map(|id| Parent { kind, id }));
        found.ok_or_else(|| DomainError::Internal(anyhow::anyhow!("attachment {} has no parent", model.id)))
    }
}

/// An attached file as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    /// `report`, `event`, `plan`, `project` or `pairing`.
    pub parent_type: ParentKind,
    pub parent_id: Uuid,
    /// As uploaded (UTF-8), without any folder: 2025年第三季度消费帮扶台账.pdf.
    pub file_name: String,
    /// Read from the content: `application/pdf`, `image/jpeg`, `image/png`,
    /// `application/ofd`, DOCX's or XLSX's.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    pub size_bytes: i64,
    /// Of the bytes, lowercase hex; the download's `ETag`.
    pub sha256: String,
    pub created_by: Option<Uuid>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

impl Attachment {
    fn from_model(model: &attachments::Model) -> DomainResult<Attachment> {
        let parent = Parent::of(model)?;
        Ok(Attachment {
            id: model.id,
            parent_type: parent.kind,
            parent_id: parent.id,
            file_name: model.file_name.clone(),
            media_type: model.media_type.clone(),
            size_bytes: model.size_bytes,
            sha256: model.sha256.clone(),
            created_by: model.created_by,
            created_by_name: model.created_by_name.clone(),
            created_at: model.created_at,
        })
    }
}

/// Whether the caller may add files to `parent` and remove them, now. The
/// outer error is the parent's absence (it does not exist, or the caller
/// may not see it); the inner one why the caller may not change its files.
async fn access<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    parent: Parent,
) -> DomainResult<Result<(), DomainError>> {
    let principal = &caller.principal;
    Ok(match parent.kind {
        ParentKind::Report => {
            let (model, plan, access) = report::load_visible(conn, caller, parent.id).await?;
            let status: ReportStatus = parse_stored(&model.status)?;
            if !access.write_report_of(principal, model.unit_id) {
                Err(authz::refuse_write(
                    principal,
                    "only the reporting unit attaches evidence to its report",
                ))
            } else if plan.status == PlanStatus::Closed.as_str() {
                Err(DomainError::conflict("the plan is closed: its reports cannot change"))
            } else if !matches!(status, ReportStatus::Draft | ReportStatus::Returned) {
                Err(DomainError::conflict(if status == ReportStatus::Submitted {
                    Text::new("a submitted report's evidence cannot change: recall it first")
                } else {
                    Text::new("a %{status} report's evidence cannot change").word("status", status.as_str())
                }))
            } else {
                Ok(())
            }
        }
        ParentKind::Event | ParentKind::Pairing => {
            // A pairing's files (its agreements) are kept by those who keep
            // its chronicle.
            let pairing_id = match parent.kind {
                ParentKind::Event => event::get(conn, caller, parent.id).await?.pairing_id,
                _ => pairing::get(conn, caller, parent.id).await?.id,
            };
            match authz::require_chronicle_writer(conn, principal, pairing_id).await {
                Ok(()) => Ok(()),
                Err(refused @ (DomainError::Forbidden(_) | DomainError::InsufficientScope { .. })) => Err(refused),
                Err(failed) => return Err(failed),
            }
        }
        ParentKind::Plan => {
            let (model, access) = plan::load_visible(conn, caller, parent.id).await?;
            if !access.coordinate {
                Err(authz::refuse_write(
                    principal,
                    "only a coordinator of the plan attaches files to it",
                ))
            } else if model.status == PlanStatus::Closed.as_str() {
                Err(DomainError::conflict("the plan is closed: its files cannot change"))
            } else {
                Ok(())
            }
        }
        ParentKind::Project => {
            let (_, access) = project::load_visible(conn, caller, parent.id).await?;
            if access.coordinate || access.implement {
                Ok(())
            } else {
                Err(authz::refuse_write(
                    principal,
                    "only the project's coordinators and its implementing unit attach files to it",
                ))
            }
        }
    })
}

/// The attachments of `parent`, oldest first.
async fn rows_of<C: ConnectionTrait>(conn: &C, parent: Parent) -> DomainResult<Vec<attachments::Model>> {
    Ok(attachments::Entity::find()
        .filter(parent.column().eq(parent.id))
        .order_by_asc(attachments::Column::CreatedAt)
        .order_by_asc(attachments::Column::Id)
        .all(conn)
        .await?)
}

/// How many files `parent` carries.
pub(crate) async fn count_of<C: ConnectionTrait>(conn: &C, parent: Parent) -> DomainResult<u64> {
    Ok(attachments::Entity::find()
        .filter(parent.column().eq(parent.id))
        .count(conn)
        .await?)
}

/// Checks, before any byte arrives, that the caller may attach a file to
/// `parent` and that it has room for one more.
pub async fn may_attach<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    parent: Parent,
    limits: Limits,
) -> DomainResult<()> {
    access(conn, caller, parent).await??;
    if count_of(conn, parent).await? >= u64::from(limits.per_parent) {
        return Err(DomainError::Conflict {
            message: Text::new("it already carries %{count} files, the most one may").arg("count", limits.per_parent),
            field: Some("file".into()),
        });
    }
    Ok(())
}

/// A file's name as kept: the last part of a path, trimmed; 1 to 255
/// characters with no control character.
fn clean_name(name: Option<&str>) -> DomainResult<String> {
    let name = name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(DomainError::invalid(
            "file",
            "the file has no name: send it in the form field `file` with its filename",
        ));
    }
    if name.chars().count() > 255 {
        return Err(DomainError::invalid(
            "file",
            "the file's name is longer than 255 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::invalid("file", "the file's name has a control character"));
    }
    Ok(name.to_owned())
}

/// Attaches the spooled file `spool` named `file_name` to `parent`: its kind
/// read from its content, its bytes put in `storage`, its row written and
/// audited. The bytes go to the storage before the transaction begins (a
/// large file does not hold the database's write lock); a refused row takes
/// them away again.
pub async fn create(
    db: &impl Store,
    storage: &Storage,
    caller: &Caller,
    parent: Parent,
    limits: Limits,
    file_name: Option<&str>,
    mut spool: Spool,
) -> DomainResult<Attachment> {
    let file_name = clean_name(file_name)?;
    let (size, sha256) = spool.finish().await?;
    let path = spool.path().to_owned();
    let media_type = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)
            .map_err(|e| DomainError::Internal(anyhow::Error::new(e).context("reading an upload")))?;
        content::identify(std::io::BufReader::new(file))
    })
    .await
    .map_err(|e| DomainError::Internal(e.into()))??;
    let id = Uuid::new_v4();
    let key = format!("{KEY_FOLDER}/{id}");
    storage.put_file(&key, &spool).await?;
    drop(spool);
    let written = write_row(
        db, caller, parent, limits, id, &key, file_name, media_type, size, sha256,
    )
    .await;
    if written.is_err()
        && let Err(err) = storage.delete(&key).await
    {
        tracing::warn!(key = %key, error = %err, "an upload refused at the last step stays in the storage");
    }
    written
}

#[allow(clippy::too_many_arguments)]
async fn write_row(
    db: &impl Store,
    caller: &Caller,
    parent: Parent,
    limits: Limits,
    id: Uuid,
    key: &str,
    file_name: String,
    media_type: MediaType,
    size: u64,
    sha256: String,
) -> DomainResult<Attachment> {
    let txn = begin_write(db).await?;
    may_attach(&txn, caller, parent, limits).await?;
    let duplicate = attachments::Entity::find()
        .filter(parent.column().eq(parent.id))
        .filter(attachments::Column::Sha256.eq(sha256.as_str()))
        .one(&txn)
        .await?;
    if let Some(earlier) = duplicate {
        return Err(DomainError::Conflict {
            message: Text::new("the same file is already attached here, as %{name}").arg("name", &earlier.file_name),
            field: Some("file".into()),
        });
    }
    let mut row = attachments::ActiveModel {
        id: Set(id),
        report_id: Set(None),
        event_id: Set(None),
        plan_id: Set(None),
        project_id: Set(None),
        pairing_id: Set(None),
        file_name: Set(file_name),
        media_type: Set(media_type.as_str().to_owned()),
        size_bytes: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        sha256: Set(sha256),
        storage_key: Set(key.to_owned()),
        created_by: Set(caller.principal.user_id()),
        created_by_name: Set(caller.principal.name()),
        created_at: Set(caller.now()),
    };
    match parent.kind {
        ParentKind::Report => row.report_id = Set(Some(parent.id)),
        ParentKind::Event => row.event_id = Set(Some(parent.id)),
        ParentKind::Plan => row.plan_id = Set(Some(parent.id)),
        ParentKind::Project => row.project_id = Set(Some(parent.id)),
        ParentKind::Pairing => row.pairing_id = Set(Some(parent.id)),
    }
    let model = row.insert(&txn).await?;
    let view = Attachment::from_model(&model)?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(id), &view)?).await?;
    Ok(view)
}

/// The files of a parent the caller may see, oldest first.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, parent: Parent) -> DomainResult<Vec<Attachment>> {
    let _may_change = access(conn, caller, parent).await?;
    rows_of(conn, parent)
        .await?
        .iter()
        .map(Attachment::from_model)
        .collect()
}

/// An attachment whose parent the caller may see, and where its bytes are.
async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<(attachments::Model, Result<(), DomainError>)> {
    let model = super::row::<attachments::Entity>(conn, ENTITY, id).await?;
    let parent = Parent::of(&model)?;
    let changeable = access(conn, caller, parent).await.map_err(|err| match err {
        DomainError::NotFound { .. } => DomainError::not_found(ENTITY, id),
        other => other,
    })?;
    Ok((model, changeable))
}

/// An attachment whose parent the caller may see.
pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Attachment> {
    let (model, _) = load_visible(conn, caller, id).await?;
    Attachment::from_model(&model)
}

/// An attachment whose parent the caller may see, with the storage key of its bytes.
pub async fn open<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<(Attachment, String)> {
    let (model, _) = load_visible(conn, caller, id).await?;
    Ok((Attachment::from_model(&model)?, model.storage_key))
}

/// Where attachments' bytes are kept: `attachments/{id}`.
const KEY_FOLDER: &str = "attachments";

/// How long stored bytes without a row are left alone: an upload writes
/// its bytes before its row.
pub const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes from the storage the bytes of attachments whose row is gone:
/// their parent was deleted and took its attachments' rows with it (the
/// database's cascade), or a removal could not reach the storage. Bytes
/// written less than `grace` before `now` are left (an upload on its way
/// has no row yet). Answers how many objects were removed.
pub async fn sweep<C: ConnectionTrait>(
    conn: &C,
    storage: &Storage,
    now: DateTime<Utc>,
    grace: std::time::Duration,
) -> DomainResult<usize> {
    let before = now - chrono::TimeDelta::from_std(grace).unwrap_or(chrono::TimeDelta::MAX);
    let stored: Vec<(String, Uuid)> = storage
        .list(KEY_FOLDER)
        .await?
        .into_iter()
        .filter(|(_, written)| *written < before)
        .filter_map(|(key, _)| {
            let id = key.strip_prefix(KEY_FOLDER)?.strip_prefix('/')?.parse().ok()?;
            Some((key, id))
        })
        .collect();
    let mut removed = 0;
    for chunk in stored.chunks(500) {
        let kept: std::collections::HashSet<Uuid> = attachments::Entity::find()
            .select_only()
            .column(attachments::Column::Id)
            .filter(attachments::Column::Id.is_in(chunk.iter().map(|(_, id)| *id)))
            .into_tuple::<Uuid>()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        for (key, _) in chunk.iter().filter(|(_, id)| !kept.contains(id)) {
            storage.delete(key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes an attachment, as its parent's rules and state allow; its
/// bytes leave the storage once the removal is committed.
pub async fn delete(db: &impl Store, storage: &Storage, caller: &Caller, id: Uuid) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    let (model, changeable) = load_visible(&txn, caller, id).await?;
    changeable?;
    let before = Attachment::from_model(&model)?;
    attachments::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &before)?).await?;
    if let Err(err) = storage.delete(&model.storage_key).await {
        tracing::warn!(key = %model.storage_key, error = %err, "a removed attachment's bytes stay in the storage");
    }
    Ok(())
}
