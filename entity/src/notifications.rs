//! `notifications`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub plan_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub urging_id: Option<Uuid>,
    pub extension_id: Option<Uuid>,
    pub period: Option<String>,
    pub due_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
