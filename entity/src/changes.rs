//! `changes`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seq: Option<i64>,
    pub at: DateTimeUtc,
    pub entity: String,
    pub entity_id: Uuid,
    pub op: String,
    pub action: String,
    pub version: Option<i32>,
    #[sea_orm(column_type = "Json")]
    pub data: Json,
    pub audience: String,
    pub unit_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub pairing_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
