//! Evidence (佐证材料) attached to reports, events, plans and projects. The
//! bytes go up and come down over REST (`POST /api/v1/{reports|events|plans|projects}/{id}/attachments`,
//! `GET /api/v1/attachments/{id}/content`); GraphQL lists and removes them.

use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::attachment::{self, Attachment, Parent, ParentKind};
use crate::graphql::context::{caller, db};
use crate::graphql::error::DomainResultExt;
use crate::graphql::ids::global_id;

/// What an attachment belongs to.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AttachmentParentType")]
pub enum AttachmentParentType {
    /// A progress report (进展报告).
    Report,
    /// An event of a pairing's chronicle (大事记).
    Event,
    /// A plan (任务清单).
    Plan,
    /// A project (援建项目).
    Project,
    /// A pairing (结对): its agreements.
    Pairing,
}

impl From<ParentKind> for AttachmentParentType {
    fn from(kind: ParentKind) -> AttachmentParentType {
        match kind {
            ParentKind::Report => AttachmentParentType::Report,
            ParentKind::Event => AttachmentParentType::Event,
            ParentKind::Plan => AttachmentParentType::Plan,
            ParentKind::Project => AttachmentParentType::Project,
            ParentKind::Pairing => AttachmentParentType::Pairing,
        }
    }
}

/// A file attached as evidence (佐证材料).
pub struct AttachmentNode(pub Attachment);

/// A file attached as evidence (佐证材料): a PDF, a photo, a scanned
/// agreement. Its bytes are at `contentUrl`.
#[Object(name = "Attachment")]
impl AttachmentNode {
    /// The global id.
    async fn id(&self) -> ID {
        global_id("Attachment", self.0.id)
    }
    /// The REST id.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// What it belongs to.
    async fn parent_type(&self) -> AttachmentParentType {
        self.0.parent_type.into()
    }
    /// The REST id of what it belongs to.
    async fn parent_uuid(&self) -> Uuid {
        self.0.parent_id
    }
    /// As uploaded: 2025年第三季度消费帮扶台账.pdf.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Read from the content: application/pdf, image/jpeg, image/png, application/ofd, DOCX's or XLSX's.
    async fn media_type(&self) -> &str {
        &self.0.media_type
    }
    /// Its size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// The SHA-256 of its bytes, lowercase hex (the download's ETag).
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Who attached it.
    async fn created_by_name(&self) -> &str {
        &self.0.created_by_name
    }
    /// When it was attached.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Where its bytes are read, with the same token: `/api/v1/attachments/{uuid}/content`.
    async fn content_url(&self) -> String {
        format!("/api/v1/attachments/{}/content", self.0.id)
    }
}

/// The files of a parent the caller may see, oldest first.
pub async fn attachments_of(ctx: &Context<'_>, kind: ParentKind, id: Uuid) -> Result<Vec<AttachmentNode>> {
    let found = attachment::list(db(ctx), caller(ctx)?, Parent::new(kind, id))
        .await
        .gql()?;
    Ok(found.into_iter().map(AttachmentNode).collect())
}
