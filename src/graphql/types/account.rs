//! Users (用户), integration clients (对接平台), the caller (`me`) and the
//! audit log (操作日志).

use async_graphql::{Context, ID, Object, Result, SimpleObject, Union};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::reference::{UnitNode, load_unit};
use crate::domain::audit::AuditEntry;
use crate::domain::client::grants::{self, ClientGrant, GrantTarget};
use crate::domain::client::{IntegrationClient, IssuedClient};
use crate::domain::user::User;
use crate::graphql::connection::connection;
use crate::graphql::context::{caller, db};
use crate::graphql::error::DomainResultExt;
use crate::graphql::ids::global_id;
use crate::graphql::scalars::Role;

/// A user (用户): a person who signs in with a password.
pub struct UserNode(pub User);

/// A user (用户): a person who signs in with a password.
#[Object(name = "User")]
impl UserNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("User", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// 用户名.
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// 姓名.
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    /// 角色.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// The unit (单位) the user belongs to; none for administrators and viewers.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        match self.0.unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
    /// A disabled user cannot sign in (已停用).
    async fn disabled(&self) -> bool {
        self.0.disabled
    }
    /// When it was made (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// The user a record names, when there is one and it still exists: seen
/// by whoever sees the record.
pub(crate) async fn load_actor(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<UserNode>> {
    match id {
        Some(id) => Ok(crate::graphql::context::loader(ctx)?
            .load_one(crate::graphql::loaders::ActorKey(id))
            .await?
            .map(UserNode)),
        None => Ok(None),
    }
}

connection!(
    /// A page of users (用户).
    UserConnection,
    UserEdge,
    UserNode,
    "A user (用户) in a page, with its cursor."
);

/// An integration client (对接平台): a provincial or city platform with
/// credentials of its own; never its secret.
pub struct ClientNode(pub IntegrationClient);

/// A client's grant: what it reaches, and whether the client writes there.
pub struct ClientGrantObject(pub ClientGrant);

/// A client's grant: what it reaches (a region, a pairing, a plan, or
/// every row), and whether the client writes there.
#[Object(name = "ClientGrant")]
impl ClientGrantObject {
    /// The global id.
    async fn id(&self) -> ID {
        global_id("ClientGrant", self.0.id)
    }
    /// The REST id.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// `read` or `write`.
    async fn scope(&self) -> &'static str {
        self.0.scope.as_str()
    }
    /// `all`, `region`, `pairing` or `plan`.
    async fn kind(&self) -> &'static str {
        match self.0.target {
            GrantTarget::All => "all",
            GrantTarget::Region { .. } => "region",
            GrantTarget::Pairing { .. } => "pairing",
            GrantTarget::Plan { .. } => "plan",
        }
    }
    /// The region reached (`kind: region`).
    async fn region_id(&self) -> Option<Uuid> {
        match self.0.target {
            GrantTarget::Region { region_id } => Some(region_id),
            _ => None,
        }
    }
    /// The pairing reached (`kind: pairing`).
    async fn pairing_id(&self) -> Option<Uuid> {
        match self.0.target {
            GrantTarget::Pairing { pairing_id } => Some(pairing_id),
            _ => None,
        }
    }
    /// The plan reached (`kind: plan`).
    async fn plan_id(&self) -> Option<Uuid> {
        match self.0.target {
            GrantTarget::Plan { plan_id } => Some(plan_id),
            _ => None,
        }
    }
    /// Whether it reaches every row.
    async fn unrestricted(&self) -> bool {
        self.0.unrestricted
    }
    /// When it was given (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An integration client (对接平台): a provincial or city platform with
/// credentials of its own; never its secret.
#[Object(name = "IntegrationClient")]
impl ClientNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("IntegrationClient", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The OAuth2 `client_id`.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// 名称.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// `read` and/or `write`.
    async fn scopes(&self) -> &[String] {
        &self.0.scopes
    }
    /// What a token request that names no `scope` gets.
    async fn default_scopes(&self) -> &[String] {
        &self.0.default_scopes
    }
    /// Whether it holds an unrestricted grant: it reads (and with `write`
    /// changes) every plan, task, report and project.
    async fn unrestricted(&self) -> bool {
        self.0.unrestricted
    }
    /// What it serves: its grants, oldest first.
    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<ClientGrantObject>> {
        Ok(grants::list(db(ctx), caller(ctx)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(ClientGrantObject)
            .collect())
    }
    /// When it was revoked (UTC); its secret buys no tokens since.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When it last got a token (UTC).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was made (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of integration clients (对接平台).
    ClientConnection,
    ClientEdge,
    ClientNode,
    "An integration client (对接平台) in a page, with its cursor."
);

/// A client with its secret, shown once: when made and when rotated.
pub struct IssuedClientObject(pub IssuedClient);

/// A client with its secret, shown once: when made and when rotated.
#[Object(name = "IssuedClient")]
impl IssuedClientObject {
    /// The client.
    async fn client(&self) -> ClientNode {
        ClientNode(self.0.client.clone())
    }
    /// The secret (客户端密钥): shown in this answer only.
    async fn client_secret(&self) -> &str {
        &self.0.client_secret
    }
}

/// The identity of an integration client that calls.
#[derive(SimpleObject)]
pub struct ClientIdentity {
    /// The OAuth2 `client_id`.
    pub client_id: String,
    /// Always `INTEGRATION`.
    pub role: Role,
    /// `read` and/or `write`.
    pub scopes: Vec<String>,
}

/// The caller (当前用户): a user's account, or a client's identity.
#[derive(Union)]
pub enum Me {
    /// A signed-in user.
    User(UserNode),
    /// An integration client.
    Client(ClientIdentity),
}

/// An entry of the audit log (操作日志): who changed what, when and from where.
pub struct AuditEntryObject(pub AuditEntry);

/// An entry of the audit log (操作日志): who changed what, when and from where.
#[Object(name = "AuditEntry")]
impl AuditEntryObject {
    /// The entry's id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// When it happened (UTC).
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// `user`, `client` or `system`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// The acting user's or client's id.
    async fn actor_id(&self) -> Option<Uuid> {
        self.0.actor_id
    }
    /// The acting user's username or client's `client_id`.
    async fn actor_name(&self) -> Option<&str> {
        self.0.actor_name.as_deref()
    }
    /// The actor's role then.
    async fn actor_role(&self) -> Option<&str> {
        self.0.actor_role.as_deref()
    }
    /// `create`, `update`, `delete`, `submit`, `approve`, `return`, `login` …
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// `task`, `report`, `plan`, `user` …
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The changed row's id.
    async fn entity_id(&self) -> Option<Uuid> {
        self.0.entity_id
    }
    /// `{"before": {…}, "after": {…}}`: the fields that changed.
    async fn changes(&self) -> async_graphql::Json<Value> {
        async_graphql::Json(self.0.changes.clone())
    }
    /// The request id (`x-request-id`) of the change.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// The caller's address.
    async fn client_addr(&self) -> Option<&str> {
        self.0.client_addr.as_deref()
    }
}

connection!(
    /// A page of the audit log (操作日志), newest first.
    AuditConnection,
    AuditEdge,
    AuditEntryObject,
    "An entry of the audit log (操作日志) in a page, with its cursor."
);
