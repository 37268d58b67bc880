//! `tasks`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub section: String,
    pub seq: i32,
    /// The task's place in its plan's document: its section's rank times
    /// a million, plus its 序号 (`task::place`).
    pub place: i64,
    pub category: Option<String>,
    pub content: String,
    pub deadline: Date,
    /// The day in China the task was marked completed.
    pub completed_on: Option<Date>,
    pub deadline_text: Option<String>,
    pub status: String,
    pub declared_progress: Option<i32>,
    pub progress_note: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub leaders: Json,
    pub notes: Option<String>,
    #[sea_orm(column_type = "Json", nullable)]
    pub source_cells: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub external_id: Option<String>,
    pub external_client_id: Option<Uuid>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
