//! `report_values`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub report_id: Uuid,
    pub target_id: Uuid,
    pub actual_e4: i64,
    /// As written; none: the target's unit.
    pub unit_of_measure: Option<String>,
    /// The actual in the metric's unit × 10⁸; none without a metric.
    pub normalized_e8: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
