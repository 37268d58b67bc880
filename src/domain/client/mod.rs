//! Integration clients (provincial and city platforms): machine identities
//! with a client id, a hashed secret and scopes, exchanged for access
//! tokens by the OAuth2 client-credentials grant. No person's password is
//! ever needed for a machine.

use chrono::{DateTime, Utc};
use entity::integration_clients;
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Action, Change};
use super::authz;
use super::error::Validator;
use super::page::{self, Page, PageRequest, Sort};
use super::{Caller, ClientPrincipal, DomainError, DomainResult, Principal, Store, begin_write};
use crate::auth::token::TokenKeys;
use crate::auth::{password, secret};
use crate::domain::Text;

pub mod grants;

const ENTITY: &str = "integration_client";

/// The scopes a client may hold.
pub const SCOPES: &[&str] = &["read", "write"];

/// An integration client as the service shows it: never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IntegrationClient {
    pub id: Uuid,
    /// What the platform sends as `client_id`.
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// What a token request that names no `scope` gets: `read` unless set
    /// when the client was made.
    pub default_scopes: Vec<String>,
    /// Whether it holds an unrestricted grant: it reads (and with `write`
    /// changes) every plan, task, report and project. Narrow it at
    /// `/api/v1/clients/{id}/grants` (SECURITY.md).
    pub unrestricted: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl IntegrationClient {
    /// The client of row `m`, which holds an unrestricted grant or not.
    fn of(m: integration_clients::Model, unrestricted: bool) -> IntegrationClient {
        IntegrationClient {
            unrestricted,
            id: m.id,
            client_id: m.client_id,
            name: m.name,
            scopes: m.scopes.split_whitespace().map(str::to_owned).collect(),
            default_scopes: m.default_scopes.split_whitespace().map(str::to_owned).collect(),
            revoked_at: m.revoked_at,
            last_used_at: m.last_used_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// A client with its secret, shown once: when made and when rotated.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedClient {
    #[serde(flatten)]
    pub client: IntegrationClient,
    pub client_secret: String,
}

/// What a new client is made of.
#[derive(Clone, Debug)]
pub struct NewClient {
    /// Chosen by the administrator, or made up when none.
    pub client_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    /// Granted when a token request names no scope; empty means `read` (or,
    /// for a client without `read`, its scopes).
    pub default_scopes: Vec<String>,
}

super::values::documented_string!(
    /// A scope's name: one of [`SCOPES`].
    ScopeName: "A client's scope.", one of SCOPES
);

fn check_scopes(v: &mut Validator, scopes: &[String], defaults: &[String]) {
    v.check(!scopes.is_empty(), "scopes", "name at least one scope: read, write");
    for (i, scope) in scopes.iter().enumerate() {
        v.check(
            SCOPES.contains(&scope.as_str()),
            format!("scopes[{i}]"),
            format!("unknown scope `{scope}`: read, write"),
        );
    }
    for (i, scope) in defaults.iter().enumerate() {
        v.check(
            scopes.contains(scope),
            format!("default_scopes[{i}]"),
            Text::new("`%{scope}` is not among the client's scopes").arg("scope", scope),
        );
    }
}

/// The scopes granted when none is asked for: those set, or `read`, or
/// (for a client without `read`) all it holds.
fn default_scopes(scopes: &[String], set: &[String]) -> String {
    if !set.is_empty() {
        scope_text(set)
    } else if scopes.iter().any(|s| s == "read") {
        "read".to_owned()
    } else {
        scope_text(scopes)
    }
}

fn scope_text(scopes: &[String]) -> String {
    SCOPES
        .iter()
        .filter(|s| scopes.iter().any(|x| x == *s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn create(db: &impl Store, caller: &Caller, input: NewClient) -> DomainResult<IssuedClient> {
    authz::require_admin(&caller.principal, "create integration clients")?;
    let mut v = Validator::new();
    v.text("name", &input.name, 200);
    check_scopes(&mut v, &input.scopes, &input.default_scopes);
    if let Some(id) = &input.client_id {
        v.check(
            (3..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'),
            "client_id",
            "3 to 64 letters, digits, `-`, `_` or `.`",
        );
    }
    v.finish()?;
    let client_id = match input.client_id {
        Some(id) => id,
        None => format!("xt-{}", Uuid::new_v4().simple()),
    };
    let txn = begin_write(db).await?;
    if integration_clients::Entity::find()
        .filter(integration_clients::Column::ClientId.eq(client_id.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict {
            message: Text::new("client id %{client_id} is taken").arg("client_id", &client_id),
            field: Some("client_id".into()),
        });
    }
    let client_secret = secret::random_token().map_err(DomainError::Internal)?;
    let at = caller.now();
    let model = integration_clients::ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(client_id),
        name: Set(input.name.trim().to_owned()),
        secret_hash: Set(password::hash(&client_secret).map_err(DomainError::Internal)?),
        scopes: Set(scope_text(&input.scopes)),
        default_scopes: Set(default_scopes(&input.scopes, &input.default_scopes)),
        revoked_at: Set(None),
        last_used_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    grants::unrestricted(model.id, input.scopes.iter().any(|s| s == "write"), at)
        .insert(&txn)
        .await?;
    let client = IntegrationClient::of(model, true);
    audit::commit(txn, caller, Change::created(ENTITY, Some(client.id), &client)?).await?;
    Ok(IssuedClient { client, client_secret })
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    page: &PageRequest,
) -> DomainResult<Page<IntegrationClient>> {
    authz::require_admin(&caller.principal, "list integration clients")?;
    let sort = Sort::<integration_clients::Entity> {
        column: integration_clients::Column::ClientId,
        id: integration_clients::Column::Id,
        descending: false,
        key_of: |m| (serde_json::Value::String(m.client_id.clone()), m.id),
        value_of: page::text_value,
    };
    let found = page::fetch(conn, integration_clients::Entity::find(), &sort, page).await?;
    let ids: Vec<Uuid> = found.items.iter().map(|m| m.id).collect();
    let unrestricted = grants::unrestricted_among(conn, &ids).await?;
    Ok(found.map(|m| {
        let open = unrestricted.contains(&m.id);
        IntegrationClient::of(m, open)
    }))
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<IntegrationClient> {
    authz::require_admin(&caller.principal, "read integration clients")?;
    let found = crate::domain::row::<integration_clients::Entity>(conn, ENTITY, id).await?;
    view(conn, found).await
}

/// The client of row `m`, as the service shows it.
async fn view<C: ConnectionTrait>(conn: &C, m: integration_clients::Model) -> DomainResult<IntegrationClient> {
    let open = grants::unrestricted_among(conn, &[m.id]).await?.contains(&m.id);
    Ok(IntegrationClient::of(m, open))
}

/// Finds a client by its `client_id`, for the command line.
pub async fn find_by_client_id<C: ConnectionTrait>(conn: &C, client_id: &str) -> DomainResult<IntegrationClient> {
    let found = integration_clients::Entity::find()
        .filter(integration_clients::Column::ClientId.eq(client_id))
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::not_found(ENTITY, client_id))?;
    view(conn, found).await
}

/// Gives a client a new secret; the old one stops working at once.
pub async fn rotate_secret(db: &impl Store, caller: &Caller, id: Uuid) -> DomainResult<IssuedClient> {
    authz::require_admin(&caller.principal, "rotate client secrets")?;
    let txn = begin_write(db).await?;
    let current = crate::domain::row::<integration_clients::Entity>(&txn, ENTITY, id).await?;
    if current.revoked_at.is_some() {
        return Err(DomainError::conflict("a revoked client gets no new secret"));
    }
    let client_secret = secret::random_token().map_err(DomainError::Internal)?;
    let model = integration_clients::Entity::update(integration_clients::ActiveModel {
        id: ActiveValue::Unchanged(id),
        secret_hash: Set(password::hash(&client_secret).map_err(DomainError::Internal)?),
        updated_at: Set(caller.now()),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let client = view(&txn, model).await?;
    audit::commit(
        txn,
        caller,
        Change::bare(Action::Transition("rotate_secret"), ENTITY, Some(id)),
    )
    .await?;
    Ok(IssuedClient { client, client_secret })
}

/// Revokes a client: its secret no longer buys tokens.
pub async fn revoke(db: &impl Store, caller: &Caller, id: Uuid) -> DomainResult<IntegrationClient> {
    authz::require_admin(&caller.principal, "revoke integration clients")?;
    let txn = begin_write(db).await?;
    let current = crate::domain::row::<integration_clients::Entity>(&txn, ENTITY, id).await?;
    if current.revoked_at.is_some() {
        return view(&txn, current).await;
    }
    let before = view(&txn, current.clone()).await?;
    let at = caller.now();
    let model = integration_clients::Entity::update(integration_clients::ActiveModel {
        id: ActiveValue::Unchanged(id),
        revoked_at: Set(Some(at)),
        updated_at: Set(at),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let after = IntegrationClient::of(model, before.unrestricted);
    audit::commit(
        txn,
        caller,
        Change::transition("revoke", ENTITY, Some(id), &before, &after)?,
    )
    .await?;
    Ok(after)
}

/// Why the client-credentials grant refused (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_scope")]
    InvalidScope(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// An access token granted to a client.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClientToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
}

/// The client-credentials grant: a client's id and secret buy an access
/// token with the scopes asked for (the client's default scopes when none,
/// `read` unless set otherwise: a machine writes only when it says so).
pub async fn grant(
    db: &impl Store,
    keys: &TokenKeys,
    client_id: &str,
    client_secret: &str,
    requested_scope: Option<&str>,
    at: DateTime<Utc>,
) -> Result<ClientToken, GrantError> {
    let found = integration_clients::Entity::find()
        .filter(integration_clients::Column::ClientId.eq(client_id))
        .one(db)
        .await
        .map_err(DomainError::from)?;
    let Some(client) = found else {
        password::verify_nothing(client_secret);
        return Err(GrantError::InvalidClient);
    };
    if !password::verify(&client.secret_hash, client_secret) || client.revoked_at.is_some() {
        return Err(GrantError::InvalidClient);
    }
    let held: Vec<&str> = client.scopes.split_whitespace().collect();
    let granted: Vec<&str> = match requested_scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => client.default_scopes.split_whitespace().collect(),
        Some(asked) => {
            let asked: Vec<&str> = asked.split_whitespace().collect();
            if let Some(extra) = asked.iter().find(|s| !held.contains(s)) {
                return Err(GrantError::InvalidScope(format!(
                    "the client does not hold the scope `{extra}`"
                )));
            }
            asked
        }
    };
    let principal = Principal::Client(ClientPrincipal {
        id: client.id,
        client_id: client.client_id.clone(),
        can_read: granted.contains(&"read"),
        can_write: granted.contains(&"write"),
    });
    let (access_token, expires_in) = keys.issue(&principal).map_err(DomainError::Internal)?;
    integration_clients::Entity::update(integration_clients::ActiveModel {
        id: ActiveValue::Unchanged(client.id),
        last_used_at: Set(Some(at)),
        ..Default::default()
    })
    .exec(db)
    .await
    .map_err(DomainError::from)?;
    Ok(ClientToken {
        access_token,
        token_type: "Bearer",
        expires_in,
        scope: granted.join(" "),
    })
}
