//! `projects`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub pairing_id: Uuid,
    pub year: i32,
    pub plan_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub name: String,
    pub category_id: Uuid,
    pub region_id: Uuid,
    pub location: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub content: Option<String>,
    pub implementing_unit_id: Uuid,
    pub helper_lead_unit_id: Option<Uuid>,
    pub recipient_lead_unit_id: Option<Uuid>,
    pub investment_e4: i64,
    pub pairing_funds_e4: i64,
    pub external_id: Option<String>,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub external_client_id: Option<Uuid>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
