//! Users (people) and their administration: roles, units, disabling, and
//! passwords. Only administrators manage users; everyone may change their
//! own password.

use chrono::{DateTime, Utc};
use entity::{refresh_tokens, units, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Action, Change};
use super::authz;
use super::error::Validator;
use super::page::{self, Page, PageRequest, Sort};
use super::region::parse_stored;
use super::values::Role;
use super::{Caller, DomainError, DomainResult, Principal, Store, begin_write, lost_update, row_for_change};
use crate::auth::password;
use crate::domain::Text;

const ENTITY: &str = "user";

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A user as the service shows it: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    /// The unit the user works in; none for administrators and viewers.
    pub unit_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl User {
    pub(crate) fn from_model(m: users::Model) -> DomainResult<User> {
        Ok(User {
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            role: parse_stored(&m.role)?,
            unit_id: m.unit_id,
            disabled: m.disabled,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }

    /// The principal the user acts as.
    pub fn principal(&self) -> Principal {
        Principal::User(super::UserPrincipal {
            id: self.id,
            username: self.username.clone(),
            role: self.role,
            unit_id: self.unit_id,
        })
    }
}

/// What a new user is made of.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
}

/// What an administrator may change of a user.
#[derive(Clone, Debug, Default)]
pub struct UserChanges {
    pub display_name: Option<Option<String>>,
    pub role: Option<Role>,
    pub unit_id: Option<Option<Uuid>>,
    pub disabled: Option<bool>,
}

/// Checks a new password.
pub fn check_password(v: &mut Validator, field: &str, password: &str) {
    let chars = password.chars().count();
    v.check(
        chars >= MIN_PASSWORD_CHARS,
        field,
        Text::new("must be at least %{min} characters").arg("min", MIN_PASSWORD_CHARS),
    );
    v.check(chars <= 256, field, "must be at most 256 characters");
}

/// Checks that a role and a unit go together: unit users and coordinators
/// work in a unit; administrators and viewers in none; machines are
/// integration clients, not users.
async fn check_role_and_unit<C: ConnectionTrait>(
    conn: &C,
    v: &mut Validator,
    role: Role,
    unit_id: Option<Uuid>,
) -> DomainResult<()> {
    match (role, unit_id) {
        (Role::Integration, _) => v.add("role", "machines are integration clients, not users"),
        (Role::UnitUser | Role::Coordinator, None) => v.add(
            "unit_id",
            Text::new("a %{role} belongs to a unit").word("role", role.as_str()),
        ),
        (Role::Admin | Role::Viewer, Some(_)) => v.add(
            "unit_id",
            Text::new("an %{role} belongs to no unit").word("role", role.as_str()),
        ),
        (_, Some(id)) if units::Entity::find_by_id(id).one(conn).await?.is_none() => {
            v.add("unit_id", crate::domain::no_such("unit", id))
        }
        _ => {}
    }
    Ok(())
}

pub async fn create(db: &impl Store, caller: &Caller, input: NewUser) -> DomainResult<User> {
    authz::require_admin(&caller.principal, "create users")?;
    let txn = begin_write(db).await?;
    let mut v = Validator::new();
    let username = input.username.trim().to_owned();
    v.text("username", &username, 64);
    v.check(
        !username.chars().any(char::is_whitespace),
        "username",
        "must not contain spaces",
    );
    v.optional_text("display_name", input.display_name.as_deref(), 100);
    check_password(&mut v, "password", &input.password);
    check_role_and_unit(&txn, &mut v, input.role, input.unit_id).await?;
    v.finish()?;
    if users::Entity::find()
        .filter(users::Column::Username.eq(username.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict {
            message: Text::new("username %{username} is taken").arg("username", &username),
            field: Some("username".into()),
        });
    }
    let hash = password::hash(&input.password).map_err(DomainError::Internal)?;
    let at = caller.now();
    let model = users::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(username),
        display_name: Set(input.display_name),
        password_hash: Set(hash),
        role: Set(input.role.as_str().to_owned()),
        unit_id: Set(input.unit_id),
        disabled: Set(false),
        password_changed_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let user = User::from_model(model)?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(user.id), &user)?).await?;
    Ok(user)
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<User> {
    if !(caller.principal.is_admin() || caller.principal.user_id() == Some(id)) {
        return Err(DomainError::not_found(ENTITY, id));
    }
    let model = super::row::<users::Entity>(conn, ENTITY, id).await?;
    User::from_model(model)
}

/// The users named by records the caller has been allowed to see (a
/// report's maker, submitter and reviewer, a comment's author), by id:
/// whoever sees a record sees who acted on it, whatever else it may see of
/// users. A removed user is absent.
pub async fn named_by_records<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> DomainResult<Vec<User>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for model in users::Entity::find()
            .filter(users::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            found.push(User::from_model(model)?);
        }
    }
    Ok(found)
}

/// The users, by username: for administrators.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, page: &PageRequest) -> DomainResult<Page<User>> {
    authz::require_admin(&caller.principal, "list users")?;
    let sort = Sort::<users::Entity> {
        column: users::Column::Username,
        id: users::Column::Id,
        descending: false,
        key_of: |m| (serde_json::Value::String(m.username.clone()), m.id),
        value_of: page::text_value,
    };
    page::fetch(conn, users::Entity::find(), &sort, page)
        .await?
        .try_map(User::from_model)
}

/// Ends every session of a user: their refresh tokens stop working.
async fn revoke_sessions<C: ConnectionTrait>(conn: &C, user_id: Uuid, at: DateTime<Utc>) -> DomainResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(at))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: UserChanges,
) -> DomainResult<User> {
    authz::require_admin(&caller.principal, "change users")?;
    let txn = begin_write(db).await?;
    let current = row_for_change::<users::Entity>(&txn, ENTITY, id, expected_version, |m| m.version).await?;
    let before = User::from_model(current)?;
    let role = changes.role.unwrap_or(before.role);
    let unit_id = changes.unit_id.unwrap_or(before.unit_id);
    let disabled = changes.disabled.unwrap_or(before.disabled);
    let mut v = Validator::new();
    if let Some(name) = &changes.display_name {
        v.optional_text("display_name", name.as_deref(), 100);
    }
    check_role_and_unit(&txn, &mut v, role, unit_id).await?;
    v.check(
        !(caller.principal.user_id() == Some(id) && (disabled || role != Role::Admin)),
        "role",
        "administrators cannot disable or demote themselves",
    );
    v.finish()?;
    let model = users::Entity::update(users::ActiveModel {
        id: ActiveValue::Unchanged(id),
        display_name: Set(changes.display_name.unwrap_or(before.display_name.clone())),
        role: Set(role.as_str().to_owned()),
        unit_id: Set(unit_id),
        disabled: Set(disabled),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(users::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    if disabled || role != before.role || unit_id != before.unit_id {
        // Tokens carry the role and unit: make the user sign in again.
        revoke_sessions(&txn, id, caller.now()).await?;
    }
    let after = User::from_model(model)?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

async fn set_password(
    txn: &sea_orm::DatabaseTransaction,
    caller: &Caller,
    user: users::Model,
    new_password: &str,
    action: &'static str,
) -> DomainResult<()> {
    let hash = password::hash(new_password).map_err(DomainError::Internal)?;
    let at = caller.now();
    users::Entity::update(users::ActiveModel {
        id: ActiveValue::Unchanged(user.id),
        password_hash: Set(hash),
        password_changed_at: Set(at),
        updated_at: Set(at),
        version: Set(user.version + 1),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    revoke_sessions(txn, user.id, caller.now()).await?;
    // The log says that the password changed, never what it is.
    audit::record(
        txn,
        caller,
        Change::bare(Action::Transition(action), ENTITY, Some(user.id)),
    )
    .await
}

/// An administrator sets a new password for a user; their sessions end.
pub async fn reset_password(db: &impl Store, caller: &Caller, id: Uuid, new_password: &str) -> DomainResult<()> {
    authz::require_admin(&caller.principal, "reset passwords")?;
    let mut v = Validator::new();
    check_password(&mut v, "password", new_password);
    v.finish()?;
    let txn = begin_write(db).await?;
    let user = super::row::<users::Entity>(&txn, ENTITY, id).await?;
    set_password(&txn, caller, user, new_password, "reset_password").await?;
    txn.commit().await?;
    Ok(())
}

/// A user changes their own password, proving the current one; every
/// session of theirs ends.
pub async fn change_own_password(
    db: &impl Store,
    caller: &Caller,
    current: &str,
    new_password: &str,
) -> DomainResult<()> {
    let Some(id) = caller.principal.user_id() else {
        return Err(DomainError::forbidden("only a user has a password"));
    };
    let mut v = Validator::new();
    check_password(&mut v, "new_password", new_password);
    v.check(
        current != new_password,
        "new_password",
        "must differ from the current password",
    );
    v.finish()?;
    let txn = begin_write(db).await?;
    let user = super::row::<users::Entity>(&txn, ENTITY, id).await?;
    if !password::verify(&user.password_hash, current) {
        return Err(DomainError::invalid("current_password", "is not your current password"));
    }
    set_password(&txn, caller, user, new_password, "change_password").await?;
    txn.commit().await?;
    Ok(())
}
