//! `extensions`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extensions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub task_id: Uuid,
    pub unit_id: Uuid,
    pub status: String,
    pub previous_deadline: Date,
    pub previous_deadline_text: Option<String>,
    pub deadline: Date,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub requested_by: Option<Uuid>,
    pub requested_by_name: String,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
