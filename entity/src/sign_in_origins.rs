//! `sign_in_origins`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_origins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub addr: String,
    pub last_success_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
