//! `plans`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub pairing_id: Option<Uuid>,
    pub region_id: Option<Uuid>,
    pub year: i32,
    pub title: String,
    pub doc_number: Option<String>,
    pub issued_on: Option<Date>,
    #[sea_orm(column_type = "Json")]
    pub issuers: Json,
    pub status: String,
    pub default_deadline: Date,
    pub monthly_due_day: Option<i32>,
    pub quarterly_due_day: Option<i32>,
    pub half_yearly_due_day: Option<i32>,
    pub yearly_due: String,
    pub summary_due: String,
    pub reporting_supporting: String,
    pub reporting_groups: String,
    pub light_due_days: i32,
    pub light_lag_points: i32,
    pub remind_days: i32,
    pub evidence_required: bool,
    #[sea_orm(column_type = "Json", nullable)]
    pub source_columns: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub external_id: Option<String>,
    pub external_client_id: Option<Uuid>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
