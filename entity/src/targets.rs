//! `targets`: see the migration that creates it for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub task_id: Uuid,
    pub metric_id: Option<Uuid>,
    pub label: Option<String>,
    pub comparator: String,
    pub value_e4: Option<i64>,
    pub value_max_e4: Option<i64>,
    pub unit_of_measure: String,
    pub source_text: String,
    pub position: i32,
    /// The value in the metric's unit × 10⁸; none without a metric.
    pub normalized_e8: Option<i64>,
    pub normalized_max_e8: Option<i64>,
    /// What a growth target is measured against (比2024年).
    pub baseline: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
