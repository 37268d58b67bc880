//! Resolving the names a document writes to the units and groups of a
//! region: by name or alias, through explicit aliases, creating groups by
//! rule, creating missing units when asked, and reporting near misses with
//! a suggestion instead of guessing.

use std::collections::{HashMap, HashSet};

use entity::{unit_aliases, unit_groups, units};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::cells::{self, CellName, GroupPhrase};
use crate::domain::task::Assignee;
use crate::domain::unit::{self, NamedUnit, UnitGroupInput, UnitInput};
use crate::domain::{Caller, DomainError, DomainResult, Store, Text};

/// How a written name was resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "NameResolution")]
pub struct Resolution {
    /// The words of the document.
    pub written: String,
    /// The unit's or group's name in the service.
    pub name: String,
    /// `unit`, `group`, `alias` (an explicit alias settled it),
    /// `created_unit` or `created_group`.
    pub how: String,
    #[serde(skip)]
    #[graphql(skip)]
    pub assignee: Option<Assignee>,
}

/// A name that could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Unresolved {
    pub written: String,
    pub region: String,
    pub message: String,
    /// A unit the name is probably meant to be; settle it with an alias.
    pub suggestion: Option<String>,
}

/// Resolves names within regions, remembering what it did.
pub struct Resolver<'a> {
    caller: &'a Caller,
    create_missing_units: bool,
    /// NAME → UNIT NAME, from `--alias`.
    aliases: HashMap<String, String>,
    /// Every name written in the file per region, with how often, for near
    /// misses among new names.
    written: HashMap<Uuid, HashMap<String, usize>>,
    known: HashMap<Uuid, Vec<String>>,
    cache: HashMap<(Uuid, String), Resolution>,
    pub created_units: Vec<String>,
    pub created_groups: Vec<String>,
    pub aliases_added: Vec<String>,
}

impl<'a> Resolver<'a> {
    pub fn new(caller: &'a Caller, create_missing_units: bool, aliases: &[(String, String)]) -> Resolver<'a> {
        Resolver {
            caller,
            create_missing_units,
            aliases: aliases.iter().cloned().collect(),
            written: HashMap::new(),
            known: HashMap::new(),
            cache: HashMap::new(),
            created_units: Vec::new(),
            created_groups: Vec::new(),
            aliases_added: Vec::new(),
        }
    }

    /// Counts a name the file writes for a region, before resolving.
    pub fn note_written(&mut self, region: Uuid, names: &[CellName]) {
        for name in names {
            if let CellName::Unit { name, .. } = name {
                *self.written.entry(region).or_default().entry(name.clone()).or_default() += 1;
            }
        }
    }

    /// The names of a region's units, groups and aliases.
    async fn known_names<C: Store>(&mut self, conn: &C, region: Uuid) -> DomainResult<&Vec<String>> {
        use std::collections::hash_map::Entry;
        match self.known.entry(region) {
            Entry::Occupied(known) => Ok(known.into_mut()),
            Entry::Vacant(slot) => {
                let mut names: Vec<String> = units::Entity::find()
                    .filter(units::Column::RegionId.eq(region))
                    .all(conn)
                    .await?
                    .into_iter()
                    .map(|u| u.name)
                    .collect();
                let aliases = unit_aliases::Entity::find()
                    .filter(unit_aliases::Column::RegionId.eq(region))
                    .all(conn)
                    .await?;
                names.extend(aliases.into_iter().map(|a| a.alias));
                let groups = unit_groups::Entity::find()
                    .filter(unit_groups::Column::RegionId.eq(region))
                    .all(conn)
                    .await?;
                names.extend(groups.into_iter().map(|g| g.name));
                Ok(slot.insert(names))
            }
        }
    }

    /// A near miss for `name` in the region: an existing name, or a name the
    /// file writes more often, one character away.
    async fn near_miss<C: Store>(&mut self, conn: &C, region: Uuid, name: &str) -> DomainResult<Option<String>> {
        let own = self
            .written
            .get(&region)
            .and_then(|w| w.get(name))
            .copied()
            .unwrap_or(0);
        if let Some(known) = self
            .known_names(conn, region)
            .await?
            .iter()
            .find(|k| cells::near_miss(name, k))
        {
            return Ok(Some(known.clone()));
        }
        Ok(self.written.get(&region).and_then(|w| {
            w.iter()
                .filter(|(n, count)| **count > own && cells::near_miss(name, n))
                .map(|(n, _)| n.clone())
                .next()
        }))
    }

    /// Resolves one written name in a region: a unit, a group, or a problem.
    /// A unit written with a second name (X（Y）) gives X, and Y too when Y
    /// is a unit of its own; otherwise Y becomes X's alias.
    pub async fn resolve<C: Store>(
        &mut self,
        conn: &C,
        region: Uuid,
        region_name: &str,
        written: &CellName,
    ) -> DomainResult<Result<Vec<Resolution>, Unresolved>> {
        match written {
            CellName::Group(phrase) => Ok(Ok(vec![self.group(conn, region, phrase).await?])),
            CellName::Unit { name, second } => {
                let first = match self.unit(conn, region, region_name, name).await? {
                    Ok(found) => found,
                    Err(problem) => return Ok(Err(problem)),
                };
                let mut out = vec![first.clone()];
                if let Some(second) = second {
                    match unit::resolve_name(conn, region, second).await? {
                        Some(NamedUnit::Unit(id)) if Some(Assignee::Unit(id)) != first.assignee => {
                            let name = units::Entity::find_by_id(id)
                                .one(conn)
                                .await?
                                .map(|u| u.name)
                                .unwrap_or_default();
                            out.push(Resolution {
                                written: second.clone(),
                                name,
                                how: "unit".into(),
                                assignee: Some(Assignee::Unit(id)),
                            });
                        }
                        Some(_) => {}
                        None => {
                            if let Some(Assignee::Unit(id)) = first.assignee {
                                self.add_alias(conn, id, second).await?;
                            }
                        }
                    }
                }
                Ok(Ok(out))
            }
        }
    }

    async fn unit<C: Store>(
        &mut self,
        conn: &C,
        region: Uuid,
        region_name: &str,
        name: &str,
    ) -> DomainResult<Result<Resolution, Unresolved>> {
        if let Some(done) = self.cache.get(&(region, name.to_owned())) {
            return Ok(Ok(done.clone()));
        }
        let resolution = if let Some(target) = self.aliases.get(name).cloned() {
            match unit::resolve_name(conn, region, &target).await? {
                Some(NamedUnit::Unit(id)) => {
                    self.add_alias(conn, id, name).await?;
                    Resolution {
                        written: name.to_owned(),
                        name: target,
                        how: "alias".into(),
                        assignee: Some(Assignee::Unit(id)),
                    }
                }
                Some(NamedUnit::Group(id)) => Resolution {
                    written: name.to_owned(),
                    name: target,
                    how: "alias".into(),
                    assignee: Some(Assignee::Group(id)),
                },
                None => {
                    return Ok(Err(Unresolved {
                        written: name.to_owned(),
                        region: region_name.to_owned(),
                        message: Text::new("the alias names %{target}, which is no unit of %{region}")
                            .arg("target", &target)
                            .arg("region", region_name)
                            .localized(),
                        suggestion: None,
                    }));
                }
            }
        } else {
            match unit::resolve_name(conn, region, name).await? {
                Some(NamedUnit::Unit(id)) => Resolution {
                    written: name.to_owned(),
                    name: name.to_owned(),
                    how: "unit".into(),
                    assignee: Some(Assignee::Unit(id)),
                },
                Some(NamedUnit::Group(id)) => Resolution {
                    written: name.to_owned(),
                    name: name.to_owned(),
                    how: "group".into(),
                    assignee: Some(Assignee::Group(id)),
                },
                None => {
                    if let Some(suggestion) = self.near_miss(conn, region, name).await? {
                        return Ok(Err(Unresolved {
                            written: name.to_owned(),
                            region: region_name.to_owned(),
                            message: Text::new(
                                "%{name} is no unit of %{region}; did you mean %{suggestion}? Settle it with an alias %{name}=%{suggestion}",
                            )
                            .arg("name", name)
                            .arg("region", region_name)
                            .arg("suggestion", &suggestion)
                            .localized(),
                            suggestion: Some(suggestion),
                        }));
                    }
                    if !self.create_missing_units {
                        return Ok(Err(Unresolved {
                            written: name.to_owned(),
                            region: region_name.to_owned(),
                            message: Text::new(
                                "%{name} is no unit of %{region}: create it first, allow the import to create missing units, or give an alias",
                            )
                            .arg("name", name)
                            .arg("region", region_name)
                            .localized(),
                            suggestion: None,
                        }));
                    }
                    let made = unit::create_unit(
                        conn,
                        self.caller,
                        UnitInput {
                            region_id: region,
                            name: name.to_owned(),
                            kind: cells::guess_kind(name),
                            aliases: vec![],
                            external_id: None,
                        },
                    )
                    .await?;
                    self.created_units.push(format!("{region_name}:{name}"));
                    self.known.entry(region).or_default().push(name.to_owned());
                    Resolution {
                        written: name.to_owned(),
                        name: name.to_owned(),
                        how: "created_unit".into(),
                        assignee: Some(Assignee::Unit(made.id)),
                    }
                }
            }
        };
        self.cache.insert((region, name.to_owned()), resolution.clone());
        Ok(Ok(resolution))
    }

    async fn group<C: Store>(&mut self, conn: &C, region: Uuid, phrase: &GroupPhrase) -> DomainResult<Resolution> {
        let key = (region, format!("group:{}", phrase.written));
        if let Some(done) = self.cache.get(&key) {
            return Ok(done.clone());
        }
        let found = match unit::resolve_name(conn, region, &phrase.canonical).await? {
            Some(NamedUnit::Group(id)) => Some(id),
            Some(NamedUnit::Unit(_)) => {
                return Err(DomainError::conflict(
                    Text::new("%{name} is a unit of the region, not a group").arg("name", &phrase.canonical),
                ));
            }
            None => None,
        };
        let (id, how) = match found {
            Some(id) => (id, "group"),
            None => {
                let made = unit::create_group(
                    conn,
                    self.caller,
                    UnitGroupInput {
                        region_id: region,
                        name: phrase.canonical.clone(),
                        rule_kinds: Some(phrase.kinds.clone()),
                        member_ids: vec![],
                        aliases: vec![],
                        description: Some("由任务清单导入时按规则创建".into()),
                    },
                )
                .await?;
                self.created_groups.push(phrase.canonical.clone());
                (made.id, "created_group")
            }
        };
        if phrase.written != phrase.canonical && unit::resolve_name(conn, region, &phrase.written).await?.is_none() {
            let group = unit::get_group(conn, self.caller, id).await?;
            let mut aliases = group.aliases.clone();
            aliases.push(phrase.written.clone());
            unit::update_group(
                conn,
                self.caller,
                id,
                group.version,
                UnitGroupInput {
                    region_id: group.region_id,
                    name: group.name.clone(),
                    rule_kinds: group.rule_kinds.clone(),
                    member_ids: group.member_ids.clone(),
                    aliases,
                    description: group.description.clone(),
                },
            )
            .await?;
            self.aliases_added
                .push(format!("{}={}", phrase.written, phrase.canonical));
        }
        let resolution = Resolution {
            written: phrase.written.clone(),
            name: phrase.canonical.clone(),
            how: how.into(),
            assignee: Some(Assignee::Group(id)),
        };
        self.cache.insert(key, resolution.clone());
        Ok(resolution)
    }

    /// Remembers `alias` as another name of the unit, unless it already
    /// names something in the region.
    async fn add_alias<C: Store>(&mut self, conn: &C, unit_id: Uuid, alias: &str) -> DomainResult<()> {
        let current = unit::get_unit(conn, self.caller, unit_id).await?;
        if current.name == alias || current.aliases.iter().any(|a| a == alias) {
            return Ok(());
        }
        if unit::resolve_name(conn, current.region_id, alias).await?.is_some() {
            return Ok(());
        }
        let mut aliases = current.aliases.clone();
        aliases.push(alias.to_owned());
        unit::update_unit(
            conn,
            self.caller,
            unit_id,
            current.version,
            UnitInput {
                region_id: current.region_id,
                name: current.name.clone(),
                kind: current.kind,
                aliases,
                external_id: None,
            },
        )
        .await?;
        self.aliases_added.push(format!("{alias}={}", current.name));
        self.known.entry(current.region_id).or_default().push(alias.to_owned());
        Ok(())
    }
}

/// Units assigned twice in one task keep their first role (lead first).
pub fn dedupe(assignees: &mut Vec<(Assignee, bool)>) {
    let mut seen = HashSet::new();
    assignees.retain(|(a, _)| seen.insert(*a));
}
