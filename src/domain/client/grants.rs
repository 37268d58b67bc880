//! What an integration client serves: its grants, given and taken by
//! administrators. A grant names a region, a pairing or a plan, or every
//! row (the unrestricted grant every client starts with), and whether the
//! client only reads there or also writes. What the grants reach is
//! decided in [`crate::domain::authz::Reach`], by the same visibility core
//! as people's sight.

use chrono::{DateTime, Utc};
use entity::{client_grants, integration_clients, pairings, plans, regions};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ENTITY as CLIENT;
use crate::domain::audit::{self, Change};
use crate::domain::authz::{self, Target};
use crate::domain::error::Validator;
use crate::domain::{Caller, DomainError, DomainResult, Principal, Store, Text, begin_write};

const ENTITY: &str = "client_grant";

/// The most grants one client holds.
pub const MAX_GRANTS: u64 = 1000;

/// What a grant lets the client do where it reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// Read the rows it reaches.
    Read,
    /// Read them and change them as a coordinator of them would (the
    /// client's token must carry `write` too).
    Write,
}

impl GrantScope {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantScope::Read => "read",
            GrantScope::Write => "write",
        }
    }
}

/// What a grant reaches, as a client names it: `kind` and the one id it
/// needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GrantTarget {
    /// Every row: unrestricted.
    All,
    /// A region's plans and those of the pairings it takes part in, and
    /// those pairings' projects and chronicle.
    Region { region_id: Uuid },
    /// A pairing's plans, projects and chronicle.
    Pairing { pairing_id: Uuid },
    /// A plan, its tasks and their reports.
    Plan { plan_id: Uuid },
}

impl From<GrantTarget> for Target {
    fn from(target: GrantTarget) -> Target {
        match target {
            GrantTarget::All => Target::All,
            GrantTarget::Region { region_id } => Target::Region(region_id),
            GrantTarget::Pairing { pairing_id } => Target::Pairing(pairing_id),
            GrantTarget::Plan { plan_id } => Target::Plan(plan_id),
        }
    }
}

impl From<Target> for GrantTarget {
    fn from(target: Target) -> GrantTarget {
        match target {
            Target::All => GrantTarget::All,
            Target::Region(region_id) => GrantTarget::Region { region_id },
            Target::Pairing(pairing_id) => GrantTarget::Pairing { pairing_id },
            Target::Plan(plan_id) => GrantTarget::Plan { plan_id },
        }
    }
}

/// A grant as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClientGrant {
    pub id: Uuid,
    /// The client's id (the `id` of `/api/v1/clients/{id}`).
    pub client_id: Uuid,
    pub scope: GrantScope,
    #[serde(flatten)]
    pub target: GrantTarget,
    /// Whether the grant reaches every row (`kind` is `all`).
    pub unrestricted: bool,
    pub created_at: DateTime<Utc>,
}

impl From<client_grants::Model> for ClientGrant {
    fn from(m: client_grants::Model) -> ClientGrant {
        let target = GrantTarget::from(Target::of(&m));
        ClientGrant {
            id: m.id,
            client_id: m.client_id,
            scope: if m.scope == "write" {
                GrantScope::Write
            } else {
                GrantScope::Read
            },
            unrestricted: target == GrantTarget::All,
            target,
            created_at: m.created_at,
        }
    }
}

/// A grant to give: `{"scope": "write", "kind": "pairing", "pairing_id": "…"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewGrant {
    pub scope: GrantScope,
    pub target: GrantTarget,
}

/// The body of a grant as the document states it: one closed object per
/// kind, with the one id that kind takes ([`GrantRequest::grant`]).
impl utoipa::PartialSchema for NewGrant {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let text = |values: &[&str], description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values.iter().copied()))
                .description(Some(description))
        };
        let kinds = [
            (GrantKind::All, None, "Every row: unrestricted."),
            (
                GrantKind::Region,
                Some("region_id"),
                "A region's plans and those of the pairings it takes part in, with those pairings' projects and chronicle.",
            ),
            (
                GrantKind::Pairing,
                Some("pairing_id"),
                "A pairing's plans, projects and chronicle.",
            ),
            (GrantKind::Plan, Some("plan_id"), "A plan, its tasks and their reports."),
        ];
        let mut one_of = OneOfBuilder::new()
            .description(Some("A grant to give: what it reaches (`kind`, with the one id it takes) and whether the client writes there (`scope`)."));
        for (kind, id, description) in kinds {
            let mut object = ObjectBuilder::new()
                .description(Some(description))
                .property(
                    "scope",
                    text(
                        &["read", "write"],
                        "`write` also changes what it reaches (with a token that carries `write`).",
                    ),
                )
                .required("scope")
                .property("kind", text(&[kind.as_str()], "What the grant reaches."))
                .required("kind")
                .additional_properties(Some(AdditionalProperties::<utoipa::openapi::schema::Schema>::FreeForm(
                    false,
                )));
            if let Some(id) = id {
                object = object
                    .property(
                        id,
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid))),
                    )
                    .required(id);
            }
            one_of = one_of.item(object);
        }
        one_of.into()
    }
}

impl utoipa::ToSchema for NewGrant {}

/// What a grant reaches, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    All,
    Region,
    Pairing,
    Plan,
}

/// A grant as a request writes it: `kind` and the one id it takes. The
/// document shows the same body as [`NewGrant`]'s alternatives; this reads
/// it field by field, so that each mistake names its field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub scope: GrantScope,
    pub kind: GrantKind,
    #[serde(default)]
    pub region_id: Option<Uuid>,
    #[serde(default)]
    pub pairing_id: Option<Uuid>,
    #[serde(default)]
    pub plan_id: Option<Uuid>,
}

impl GrantRequest {
    /// The request whose scope and kind are named by text (GraphQL, the
    /// command line).
    pub fn named(
        scope: &str,
        kind: &str,
        region_id: Option<Uuid>,
        pairing_id: Option<Uuid>,
        plan_id: Option<Uuid>,
    ) -> DomainResult<GrantRequest> {
        fn word<T: serde::de::DeserializeOwned>(
            v: &mut Validator,
            field: &str,
            text: &str,
            allowed: &str,
        ) -> Option<T> {
            let read = serde_json::from_value(serde_json::Value::from(text)).ok();
            if read.is_none() {
                v.add(
                    field,
                    Text::new("must be one of %{allowed}, not `%{text}`")
                        .arg("allowed", allowed)
                        .arg("text", text),
                );
            }
            read
        }
        let mut v = Validator::new();
        let scope = word(&mut v, "scope", scope, "read, write");
        let kind = word(&mut v, "kind", kind, "all, region, pairing, plan");
        v.finish()?;
        match (scope, kind) {
            (Some(scope), Some(kind)) => Ok(GrantRequest {
                scope,
                kind,
                region_id,
                pairing_id,
                plan_id,
            }),
            _ => Err(DomainError::invalid("kind", "name a scope and a kind")),
        }
    }

    /// The grant asked for: `kind` names which one id it takes.
    pub fn grant(self) -> DomainResult<NewGrant> {
        let mut v = Validator::new();
        let ids = [
            ("region_id", GrantKind::Region, self.region_id),
            ("pairing_id", GrantKind::Pairing, self.pairing_id),
            ("plan_id", GrantKind::Plan, self.plan_id),
        ];
        for (field, kind, id) in ids {
            match (kind == self.kind, id) {
                (true, None) => v.add(
                    field,
                    Text::new("is required for a grant of kind `%{kind}`").arg("kind", field.trim_end_matches("_id")),
                ),
                (false, Some(_)) => v.add(
                    field,
                    Text::new("a grant of kind `%{kind}` names no %{entity}")
                        .arg("kind", self.kind.as_str())
                        .word("entity", field.trim_end_matches("_id")),
                ),
                _ => {}
            }
        }
        v.finish()?;
        let target = match (self.kind, self.region_id, self.pairing_id, self.plan_id) {
            (GrantKind::Region, Some(region_id), ..) => GrantTarget::Region { region_id },
            (GrantKind::Pairing, _, Some(pairing_id), _) => GrantTarget::Pairing { pairing_id },
            (GrantKind::Plan, _, _, Some(plan_id)) => GrantTarget::Plan { plan_id },
            _ => GrantTarget::All,
        };
        Ok(NewGrant {
            scope: self.scope,
            target,
        })
    }
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::All => "all",
            GrantKind::Region => "region",
            GrantKind::Pairing => "pairing",
            GrantKind::Plan => "plan",
        }
    }
}

/// What a caller does with a client's grants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Read them: administrators, and the client itself.
    Read,
    /// Give or take one: administrators.
    Change,
}

/// The client `id`, or 404, when the caller may `use` its grants.
async fn client_of<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
    usage: Use,
) -> DomainResult<integration_clients::Model> {
    let own = matches!(&caller.principal, Principal::Client(c) if c.id == id);
    if !(own && usage == Use::Read) {
        let what = match usage {
            Use::Read => "read a client's grants",
            Use::Change => "change a client's grants",
        };
        authz::require_admin(&caller.principal, what)?;
    }
    crate::domain::row::<integration_clients::Entity>(conn, CLIENT, id).await
}

/// The grants of client `id`, oldest first: administrators, and the client
/// itself.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Vec<ClientGrant>> {
    let client = client_of(conn, caller, id, Use::Read).await?;
    Ok(of_client(client.id)
        .order_by_asc(client_grants::Column::CreatedAt)
        .order_by_asc(client_grants::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(ClientGrant::from)
        .collect())
}

fn of_client(id: Uuid) -> sea_orm::Select<client_grants::Entity> {
    client_grants::Entity::find().filter(client_grants::Column::ClientId.eq(id))
}

/// Gives client `id` a grant; answers the grant and whether it is new (the
/// same grant given twice is the one grant).
pub async fn add(db: &impl Store, caller: &Caller, id: Uuid, input: NewGrant) -> DomainResult<(ClientGrant, bool)> {
    let txn = begin_write(db).await?;
    let client = client_of(&txn, caller, id, Use::Change).await?;
    if input.scope == GrantScope::Write && !client.scopes.split_whitespace().any(|s| s == "write") {
        return Err(DomainError::invalid(
            "scope",
            "the client does not hold the scope `write`: a write grant would never apply",
        ));
    }
    let missing = match input.target {
        GrantTarget::All => None,
        GrantTarget::Region { region_id } => regions::Entity::find_by_id(region_id)
            .one(&txn)
            .await?
            .is_none()
            .then_some(("region_id", "region", region_id)),
        GrantTarget::Pairing { pairing_id } => pairings::Entity::find_by_id(pairing_id)
            .one(&txn)
            .await?
            .is_none()
            .then_some(("pairing_id", "pairing", pairing_id)),
        GrantTarget::Plan { plan_id } => plans::Entity::find_by_id(plan_id)
            .one(&txn)
            .await?
            .is_none()
            .then_some(("plan_id", "plan", plan_id)),
    };
    if let Some((field, entity, target)) = missing {
        return Err(DomainError::invalid(field, crate::domain::no_such(entity, target)));
    }
    let held: Vec<client_grants::Model> = of_client(client.id).all(&txn).await?;
    let wanted = Target::from(input.target);
    if let Some(same) = held
        .iter()
        .find(|g| Target::of(g) == wanted && g.scope == input.scope.as_str())
    {
        return Ok((ClientGrant::from(same.clone()), false));
    }
    if held.len() as u64 >= MAX_GRANTS {
        return Err(DomainError::invalid(
            "kind",
            format!("a client holds at most {MAX_GRANTS} grants: remove one first"),
        ));
    }
    let (region_id, pairing_id, plan_id) = match input.target {
        GrantTarget::All => (None, None, None),
        GrantTarget::Region { region_id } => (Some(region_id), None, None),
        GrantTarget::Pairing { pairing_id } => (None, Some(pairing_id), None),
        GrantTarget::Plan { plan_id } => (None, None, Some(plan_id)),
    };
    let model = client_grants::ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(client.id),
        scope: Set(input.scope.as_str().to_owned()),
        region_id: Set(region_id),
        pairing_id: Set(pairing_id),
        plan_id: Set(plan_id),
        created_at: Set(caller.now()),
    }
    .insert(&txn)
    .await?;
    let grant = ClientGrant::from(model);
    audit::commit(txn, caller, Change::created(ENTITY, Some(grant.id), &grant)?).await?;
    Ok((grant, true))
}

/// Takes grant `grant_id` from client `id`; the client's next request is
/// seen without it.
pub async fn remove(db: &impl Store, caller: &Caller, id: Uuid, grant_id: Uuid) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    let client = client_of(&txn, caller, id, Use::Change).await?;
    let found = of_client(client.id)
        .filter(client_grants::Column::Id.eq(grant_id))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found(ENTITY, grant_id))?;
    let before = ClientGrant::from(found.clone());
    found.delete(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(grant_id), &before)?).await?;
    Ok(())
}

/// The unrestricted grant of a new client: what it did before grants
/// existed, until an administrator narrows it.
pub(super) fn unrestricted(client: Uuid, write: bool, at: DateTime<Utc>) -> client_grants::ActiveModel {
    client_grants::ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(client),
        scope: Set(if write { "write" } else { "read" }.to_owned()),
        region_id: Set(None),
        pairing_id: Set(None),
        plan_id: Set(None),
        created_at: Set(at),
    }
}

/// Which of `clients` hold an unrestricted grant.
pub(super) async fn unrestricted_among<C: ConnectionTrait>(
    conn: &C,
    clients: &[Uuid],
) -> DomainResult<std::collections::HashSet<Uuid>> {
    if clients.is_empty() {
        return Ok(Default::default());
    }
    Ok(client_grants::Entity::find()
        .filter(client_grants::Column::ClientId.is_in(clients.iter().copied()))
        .filter(client_grants::Column::RegionId.is_null())
        .filter(client_grants::Column::PairingId.is_null())
        .filter(client_grants::Column::PlanId.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|g| g.client_id)
        .collect())
}
