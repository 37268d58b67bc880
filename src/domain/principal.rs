//! Who is acting: a person (user), a machine (integration client) or the
//! service itself (the CLI, migrations, demo data).

use uuid::Uuid;

use super::values::Role;

/// A person signed in with a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPrincipal {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    /// The unit the user belongs to; none for admins and viewers.
    pub unit_id: Option<Uuid>,
}

/// A provincial or city platform with credentials of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPrincipal {
    pub id: Uuid,
    pub client_id: String,
    pub can_read: bool,
    pub can_write: bool,
}

/// The acting principal of every domain call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The service itself, from the command line of whoever runs it: may do
    /// everything an administrator may.
    System,
    User(UserPrincipal),
    Client(ClientPrincipal),
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::System => Role::Admin,
            Principal::User(user) => user.role,
            Principal::Client(_) => Role::Integration,
        }
    }

    /// The user's unit, for unit users and coordinators.
    pub fn unit_id(&self) -> Option<Uuid> {
        match self {
            Principal::User(user) => user.unit_id,
            _ => None,
        }
    }

    /// The user's id, for "submitted by" and "reviewed by".
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Principal::User(user) => Some(user.id),
            _ => None,
        }
    }

    /// An administrator or the service itself.
    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    /// Reads every row in its sight, not only its unit's and region's:
    /// administrators and viewers everything, machines what their grants
    /// reach ([`crate::domain::authz::Reach`]; a machine that may write
    /// reads what it writes to, so `write` reads too).
    pub fn reads_everything(&self) -> bool {
        match self {
            Principal::System => true,
            Principal::User(user) => matches!(user.role, Role::Admin | Role::Viewer),
            Principal::Client(client) => client.can_read || client.can_write,
        }
    }

    /// Who acted, as they signed in: a user's name, a client's id, `system`.
    pub fn name(&self) -> String {
        match self {
            Principal::System => "system".to_owned(),
            Principal::User(user) => user.username.clone(),
            Principal::Client(client) => client.client_id.clone(),
        }
    }

    /// How the audit log names the actor: kind, id, name.
    pub fn audit_identity(&self) -> (&'static str, Option<Uuid>, Option<String>) {
        match self {
            Principal::System => ("system", None, None),
            Principal::User(user) => ("user", Some(user.id), Some(user.username.clone())),
            Principal::Client(client) => ("client", Some(client.id), Some(client.client_id.clone())),
        }
    }
}
