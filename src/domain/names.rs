//! The names that lists and documents show beside ids (a region's or a
//! unit's name, a plan's title, a task's text, a leader's name): one
//! statement per kind, reading only the id and the name, with the ids
//! written into it, so that however many a list holds the statement can be
//! run (a statement binds at most 32,766 values on SQLite).

use std::collections::{HashMap, HashSet};

use entity::{leaders, plans, regions, tasks, units};
use sea_orm::{ConnectionTrait, EntityTrait, IdenStatic, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::DomainResult;
use super::statistics::among;

/// What a name is looked up in.
#[derive(Clone, Copy, Debug)]
pub enum Named {
    /// Region names (渝中区).
    Regions,
    /// Unit names (县经济信息委).
    Units,
    /// Plan titles.
    PlanTitles,
    /// Task texts (具体任务).
    TaskContents,
    /// Leader names (牵头领导).
    Leaders,
}

/// The names of `ids` in `named`, by id; an id without a row has none.
pub async fn of<C: ConnectionTrait>(
    conn: &C,
    named: Named,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, String>> {
    match named {
        Named::Regions => lookup::<regions::Entity, C>(conn, regions::Column::Id, regions::Column::Name, ids).await,
        Named::Units => lookup::<units::Entity, C>(conn, units::Column::Id, units::Column::Name, ids).await,
        Named::PlanTitles => lookup::<plans::Entity, C>(conn, plans::Column::Id, plans::Column::Title, ids).await,
        Named::TaskContents => lookup::<tasks::Entity, C>(conn, tasks::Column::Id, tasks::Column::Content, ids).await,
        Named::Leaders => lookup::<leaders::Entity, C>(conn, leaders::Column::Id, leaders::Column::Name, ids).await,
    }
}

async fn lookup<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    id: E::Column,
    name: E::Column,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect::<HashSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let column = format!(r#""{}"."{}""#, E::default().table_name(), id.as_str());
    let rows: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(id)
        .column(name)
        .filter(among(conn.get_database_backend(), &column, &ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
