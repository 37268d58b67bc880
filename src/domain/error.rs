//! The one error type of the domain core, and the stable codes of
//! CONTRACT.md that every adapter (REST, GraphQL, CLI) shows.

use std::fmt;

use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

use super::text::{Locale, Text};

/// The stable, machine-readable error codes of the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    VersionConflict,
    /// A change feed's cursor older than the changes kept: read the
    /// resources again, then follow the feed from its newest cursor.
    CursorExpired,
    PayloadTooLarge,
    /// The request's header section is larger than the service accepts.
    HeadersTooLarge,
    UnsupportedMediaType,
    /// The representation asked for (`Accept`) is not one this resource has.
    NotAcceptable,
    /// The path answers other methods (listed in `Allow`).
    MethodNotAllowed,
    ValidationFailed,
    PreconditionRequired,
    RateLimited,
    Internal,
    /// The database cannot be reached, or the service is too busy to answer
    /// in time: retry later.
    Unavailable,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::BadRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::VersionConflict,
        ErrorCode::CursorExpired,
        ErrorCode::PayloadTooLarge,
        ErrorCode::HeadersTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::NotAcceptable,
        ErrorCode::MethodNotAllowed,
        ErrorCode::ValidationFailed,
        ErrorCode::PreconditionRequired,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
            ErrorCode::CursorExpired => "CURSOR_EXPIRED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::HeadersTooLarge => "HEADERS_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::NotAcceptable => "NOT_ACCEPTABLE",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::PreconditionRequired => "PRECONDITION_REQUIRED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::Unavailable => "UNAVAILABLE",
        }
    }

    /// The HTTP status CONTRACT.md gives the code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::VersionConflict => 412,
            ErrorCode::CursorExpired => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::HeadersTooLarge => 431,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::NotAcceptable => 406,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::PreconditionRequired => 428,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// The code's title, in `locale`.
    pub fn title_in(self, locale: Locale) -> String {
        Text::new(self.title()).render(locale)
    }

    /// A short human title, in English (also its catalog key).
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Unauthenticated => "Authentication required",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::NotFound => "Not found",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::VersionConflict => "Version conflict",
            ErrorCode::CursorExpired => "Cursor expired",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::HeadersTooLarge => "Request header fields too large",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::NotAcceptable => "Not acceptable",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::ValidationFailed => "Validation failed",
            ErrorCode::PreconditionRequired => "Precondition required",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::Internal => "Internal error",
            ErrorCode::Unavailable => "Service unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with one field of the input, as a client is told it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as the input names it (`seq`, `targets[0].value`).
    pub field: String,
    pub message: String,
}

/// What is wrong with one field of the input, before it is told in the
/// reader's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The field, as the input names it (`seq`, `targets[0].value`).
    pub field: String,
    pub message: Text,
}

impl Invalid {
    fn told(&self, locale: Locale) -> FieldError {
        FieldError {
            field: self.field.clone(),
            message: self.message.render(locale),
        }
    }
}

/// Everything the domain core can refuse or fail with.
#[derive(Debug)]
pub enum DomainError {
    BadRequest(Text),
    Unauthenticated(Text),
    Forbidden(Text),
    /// A machine's token lacks the scope the operation needs.
    InsufficientScope {
        scope: &'static str,
    },
    NotFound {
        entity: &'static str,
        id: String,
    },
    /// A state or uniqueness clash.
    Conflict {
        message: Text,
        field: Option<String>,
    },
    VersionConflict {
        entity: &'static str,
        id: String,
        expected: i32,
        current: i32,
    },
    Validation(Vec<Invalid>),
    /// What the caller asks for is no longer kept (a change feed's cursor
    /// older than the changes kept).
    CursorExpired(Text),
    /// A body of a kind the operation does not take (a file's content
    /// outside the allow-list).
    UnsupportedMediaType(Text),
    /// A body larger than the operation takes.
    PayloadTooLarge(Text),
    RateLimited {
        retry_after_secs: u64,
    },
    Internal(anyhow::Error),
    /// The database cannot be reached, or the answer took too long.
    Unavailable {
        message: Text,
        retry_after_secs: u64,
    },
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DomainError::BadRequest(_) => ErrorCode::BadRequest,
            DomainError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            DomainError::Forbidden(_) | DomainError::InsufficientScope { .. } => ErrorCode::Forbidden,
            DomainError::NotFound { .. } => ErrorCode::NotFound,
            DomainError::Conflict { .. } => ErrorCode::Conflict,
            DomainError::VersionConflict { .. } => ErrorCode::VersionConflict,
            DomainError::Validation(_) => ErrorCode::ValidationFailed,
            DomainError::CursorExpired(_) => ErrorCode::CursorExpired,
            DomainError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            DomainError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            DomainError::RateLimited { .. } => ErrorCode::RateLimited,
            DomainError::Internal(_) => ErrorCode::Internal,
            DomainError::Unavailable { .. } => ErrorCode::Unavailable,
        }
    }

    /// What the error says, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            DomainError::BadRequest(text)
            | DomainError::Unauthenticated(text)
            | DomainError::Forbidden(text)
            | DomainError::Conflict { message: text, .. }
            | DomainError::CursorExpired(text)
            | DomainError::UnsupportedMediaType(text)
            | DomainError::PayloadTooLarge(text)
            | DomainError::Unavailable { message: text, .. } => text.render(locale),
            DomainError::InsufficientScope { scope } => Text::new(
                "the token lacks the `%{scope}` scope: ask the token endpoint for `scope=%{scope}` (the client must hold it)",
            )
            .arg("scope", scope)
            .render(locale),
            DomainError::NotFound { entity, id } => Text::new("%{entity} %{id} not found")
                .word("entity", entity)
                .arg("id", id)
                .render(locale),
            DomainError::VersionConflict {
                entity,
                id,
                expected,
                current,
            } => Text::new("%{entity} %{id} has changed: it is at version %{current}, not %{expected}")
                .word("entity", entity)
                .arg("id", id)
                .arg("current", current)
                .arg("expected", expected)
                .render(locale),
            DomainError::Validation(errors) => {
                let fields = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message.render(locale)))
                    .collect::<Vec<_>>()
                    .join("; ");
                Text::new("the input is not valid: %{fields}").arg("fields", fields).render(locale)
            }
            DomainError::RateLimited { retry_after_secs } => Text::new("too many attempts; retry in %{seconds} s")
                .arg("seconds", retry_after_secs)
                .render(locale),
            DomainError::Internal(_) => Text::new("internal error").render(locale),
        }
    }

    pub fn not_found(entity: &'static str, id: impl fmt::Display) -> DomainError {
        DomainError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn conflict(message: impl Into<Text>) -> DomainError {
        DomainError::Conflict {
            message: message.into(),
            field: None,
        }
    }

    pub fn forbidden(message: impl Into<Text>) -> DomainError {
        DomainError::Forbidden(message.into())
    }

    /// An id of the input that names nothing the caller may see, as an
    /// invalid `field`; any other error as it is.
    pub fn naming(self, field: &str) -> DomainError {
        match self {
            DomainError::NotFound { entity, id } => DomainError::invalid(field, no_such(entity, id)),
            other => other,
        }
    }

    /// One invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<Text>) -> DomainError {
        DomainError::Validation(vec![Invalid {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The error for a person reading a report or a terminal: the per-field
    /// messages when there are some, the error itself otherwise; in the
    /// language of the request being served.
    pub fn describe(&self) -> String {
        let locale = Locale::current();
        match self.field_errors() {
            [] => self.message(locale),
            fields => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message.render(locale)))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// What the error says, in the language of the request being served.
    pub fn localized(&self) -> String {
        self.message(Locale::current())
    }

    /// The per-field messages of a validation failure (empty otherwise).
    pub fn field_errors(&self) -> &[Invalid] {
        match self {
            DomainError::Validation(errors) => errors,
            _ => &[],
        }
    }
}

/// "No plan has id …": an id of the input that names nothing.
pub fn no_such(entity: &'static str, id: impl fmt::Display) -> Text {
    Text::new("no %{entity} has id %{id}")
        .word("entity", entity)
        .arg("id", id)
}

impl fmt::Display for DomainError {
    /// In English, for logs and the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Locale::En))
    }
}

impl std::error::Error for DomainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DomainError::Internal(source) => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// What a client is told of an error, whatever the wire: REST renders it
/// as problem+json, GraphQL as the error's `extensions`; in the language of
/// the request being served. An internal error is logged here and told
/// only that it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicError {
    pub code: ErrorCode,
    pub message: String,
    /// Per-field messages: a validation failure's, or the field a
    /// uniqueness clash is about.
    pub fields: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    /// The scope a machine's token lacks (RFC 6750 `insufficient_scope`).
    pub missing_scope: Option<&'static str>,
}

impl From<DomainError> for PublicError {
    fn from(err: DomainError) -> PublicError {
        let locale = Locale::current();
        let code = err.code();
        let retry_after_secs = match &err {
            DomainError::RateLimited { retry_after_secs } | DomainError::Unavailable { retry_after_secs, .. } => {
                Some(*retry_after_secs)
            }
            _ => None,
        };
        let missing_scope = match &err {
            DomainError::InsufficientScope { scope } => Some(*scope),
            _ => None,
        };
        let fields = match &err {
            DomainError::Validation(errors) => errors.iter().map(|e| e.told(locale)).collect(),
            DomainError::Conflict {
                field: Some(field),
                message,
            } => vec![FieldError {
                field: field.clone(),
                message: message.render(locale),
            }],
            _ => Vec::new(),
        };
        let message = match &err {
            DomainError::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                Text::new("the service failed; the error is logged").render(locale)
            }
            other => other.message(locale),
        };
        PublicError {
            code,
            message,
            fields,
            retry_after_secs,
            missing_scope,
        }
    }
}

/// A unique index of the model, and what breaking it means to a user.
struct UniqueRule {
    index: &'static str,
    table: &'static str,
    columns: &'static [&'static str],
    field: &'static str,
    message: &'static str,
}

/// The unique indexes of the migrations (`uq_<table>_<columns>`), so that a
/// violation that slips past the domain's own checks (two requests racing)
/// still reads as the rule it broke.
const UNIQUE_RULES: &[UniqueRule] = &[
    UniqueRule {
        index: "uq_regions_code",
        table: "regions",
        columns: &["code"],
        field: "code",
        message: "a region with this code already exists",
    },
    UniqueRule {
        index: "uq_regions_parent_id_name",
        table: "regions",
        columns: &["parent_id", "name"],
        field: "name",
        message: "a region with this name already exists under the same parent",
    },
    UniqueRule {
        index: "uq_units_region_id_name",
        table: "units",
        columns: &["region_id", "name"],
        field: "name",
        message: "a unit with this name already exists in the region",
    },
    UniqueRule {
        index: "uq_unit_groups_region_id_name",
        table: "unit_groups",
        columns: &["region_id", "name"],
        field: "name",
        message: "a unit group with this name already exists in the region",
    },
    UniqueRule {
        index: "uq_unit_aliases_region_id_alias",
        table: "unit_aliases",
        columns: &["region_id", "alias"],
        field: "aliases",
        message: "this alias already names another unit or group of the region",
    },
    UniqueRule {
        index: "uq_pairings_helper_region_id_recipient_region_id",
        table: "pairings",
        columns: &["helper_region_id", "recipient_region_id"],
        field: "recipient_region_id",
        message: "these two regions are already paired",
    },
    UniqueRule {
        index: "uq_unit_pairings_pairing_id_helper_unit_id_recipient_unit_id",
        table: "unit_pairings",
        columns: &["pairing_id", "helper_unit_id", "recipient_unit_id"],
        field: "recipient_unit_id",
        message: "these two units are already paired in this pairing",
    },
    UniqueRule {
        index: "uq_users_username",
        table: "users",
        columns: &["username"],
        field: "username",
        message: "this username is taken",
    },
    UniqueRule {
        index: "uq_integration_clients_client_id",
        table: "integration_clients",
        columns: &["client_id"],
        field: "client_id",
        message: "this client id is taken",
    },
    UniqueRule {
        index: "uq_attachments_report_id_sha256",
        table: "attachments",
        columns: &["report_id", "sha256"],
        field: "file",
        message: "the same file is already attached here",
    },
    UniqueRule {
        index: "uq_attachments_event_id_sha256",
        table: "attachments",
        columns: &["event_id", "sha256"],
        field: "file",
        message: "the same file is already attached here",
    },
    UniqueRule {
        index: "uq_attachments_plan_id_sha256",
        table: "attachments",
        columns: &["plan_id", "sha256"],
        field: "file",
        message: "the same file is already attached here",
    },
    UniqueRule {
        index: "uq_attachments_project_id_sha256",
        table: "attachments",
        columns: &["project_id", "sha256"],
        field: "file",
        message: "the same file is already attached here",
    },
    UniqueRule {
        index: "uq_attachments_pairing_id_sha256",
        table: "attachments",
        columns: &["pairing_id", "sha256"],
        field: "file",
        message: "the same file is already attached here",
    },
    UniqueRule {
        index: "uq_projects_pairing_id_external_id",
        table: "projects",
        columns: &["pairing_id", "external_id"],
        field: "external_id",
        message: "a project of this pairing already has this external id",
    },
    UniqueRule {
        index: "uq_units_external_id",
        table: "units",
        columns: &["external_id"],
        field: "external_id",
        message: "another unit has this external id",
    },
    UniqueRule {
        index: "uq_plans_external_client_id_external_id",
        table: "plans",
        columns: &["external_client_id", "external_id"],
        field: "external_id",
        message: "a plan of this client already has this external id",
    },
    UniqueRule {
        index: "uq_tasks_external_client_id_external_id",
        table: "tasks",
        columns: &["external_client_id", "external_id"],
        field: "external_id",
        message: "a task of this client already has this external id",
    },
    UniqueRule {
        index: "uq_reports_external_client_id_external_id",
        table: "reports",
        columns: &["external_client_id", "external_id"],
        field: "external_id",
        message: "a report of this client already has this external id",
    },
    UniqueRule {
        index: "uq_projects_external_client_id_external_id",
        table: "projects",
        columns: &["external_client_id", "external_id"],
        field: "external_id",
        message: "a project of this client already has this external id",
    },
    UniqueRule {
        index: "uq_project_categories_code",
        table: "project_categories",
        columns: &["code"],
        field: "code",
        message: "a project category with this code already exists",
    },
    UniqueRule {
        index: "uq_project_categories_name",
        table: "project_categories",
        columns: &["name"],
        field: "name",
        message: "a project category with this name already exists",
    },
    UniqueRule {
        index: "uq_metrics_code",
        table: "metrics",
        columns: &["code"],
        field: "code",
        message: "a metric with this code already exists",
    },
    UniqueRule {
        index: "uq_tasks_plan_id_section_seq",
        table: "tasks",
        columns: &["plan_id", "section", "seq"],
        field: "seq",
        message: "this sequence number is already used in this section of the plan",
    },
    UniqueRule {
        index: "uq_task_assignments_task_id_unit_id",
        table: "task_assignments",
        columns: &["task_id", "unit_id"],
        field: "assignments",
        message: "a unit is assigned to the task twice",
    },
    UniqueRule {
        index: "uq_task_assignments_task_id_group_id",
        table: "task_assignments",
        columns: &["task_id", "group_id"],
        field: "assignments",
        message: "a group is assigned to the task twice",
    },
    UniqueRule {
        index: "uq_reports_task_id_unit_id_period",
        table: "reports",
        columns: &["task_id", "unit_id", "period"],
        field: "period",
        message: "this unit already has a report on this task for this period",
    },
    UniqueRule {
        index: "uq_report_values_report_id_target_id",
        table: "report_values",
        columns: &["report_id", "target_id"],
        field: "values",
        message: "a target is given twice",
    },
];

fn unique_rule_for(message: &str) -> Option<&'static UniqueRule> {
    UNIQUE_RULES.iter().find(|rule| {
        // PostgreSQL names the index; SQLite lists `table.column, …`.
        let sqlite = rule
            .columns
            .iter()
            .map(|c| format!("{}.{c}", rule.table))
            .collect::<Vec<_>>()
            .join(", ");
        message.contains(&format!("\"{}\"", rule.index)) || message.ends_with(&sqlite)
    })
}

/// How long a client should wait before retrying when the database cannot
/// be reached: about the time a restarted PostgreSQL or a failover takes.
pub const UNREACHABLE_RETRY_AFTER_SECS: u64 = 5;

/// How long to wait when the database is there but busy (a SQLite writer
/// held the lock past the busy timeout).
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// Whether an error says the database cannot be reached or is too busy,
/// rather than that the statement was wrong; with what to tell the client.
/// Such failures are the server's circumstances, not the request's fault: a
/// retry later can succeed, so they are 503 with `Retry-After`, not 500.
fn unavailability(err: &DbErr) -> Option<(&'static str, u64)> {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::sqlx::error::DatabaseError as _;
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    const UNREACHABLE: &str = "the database cannot be reached; retry later";
    const BUSY: &str = "the database is busy; retry shortly";
    let sqlx = match err {
        // No connection became free, or none could be opened, in time.
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => {
            return Some((
                "no database connection could be had in time; retry later",
                UNREACHABLE_RETRY_AFTER_SECS,
            ));
        }
        DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => {
            return Some((UNREACHABLE, UNREACHABLE_RETRY_AFTER_SECS));
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e.as_ref(),
        // sea-orm's own failures to open a connection.
        DbErr::Conn(_) => return Some((UNREACHABLE, UNREACHABLE_RETRY_AFTER_SECS)),
        _ => return None,
    };
    match sqlx {
        // The socket failed (refused, reset, closed by the server) or the
        // pool gave up: the database is away, not the statement wrong.
        Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => {
            Some((UNREACHABLE, UNREACHABLE_RETRY_AFTER_SECS))
        }
        Sqlx::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>() {
                let code = pg.code();
                // Class 08: connection exceptions; 57P01–57P03: the server
                // is shutting down, crashed or starting; 53300: it has no
                // connection slot left.
                (code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300"))
                    .then_some((UNREACHABLE, UNREACHABLE_RETRY_AFTER_SECS))
            } else if let Some(sqlite) = db.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>() {
                // SQLITE_BUSY and SQLITE_LOCKED with their extended codes:
                // another writer held the lock past the busy timeout.
                let primary = sqlite.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
                matches!(primary, Some(5 | 6)).then_some((BUSY, BUSY_RETRY_AFTER_SECS))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The SQLSTATE of a database error, when the driver gives one.
fn sqlstate(err: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL's `character_not_in_repertoire`: text with a NUL character,
/// which its text columns cannot hold.
const NUL_IN_TEXT: &str = "22021";

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> DomainError {
        if let Some((message, retry_after_secs)) = unavailability(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return DomainError::Unavailable {
                message: Text::new(message),
                retry_after_secs,
            };
        }
        if sqlstate(&err).as_deref() == Some(NUL_IN_TEXT) {
            return DomainError::BadRequest("text may not contain the NUL character (U+0000)".into());
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => match unique_rule_for(&message) {
                Some(rule) => DomainError::Conflict {
                    message: Text::new(rule.message),
                    field: Some(rule.field.to_owned()),
                },
                None => DomainError::conflict("a row with the same key already exists"),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::conflict(
                "the change refers to a row that does not exist, or removes a row that others still refer to",
            ),
            _ => DomainError::Internal(anyhow::Error::new(err)),
        }
    }
}

/// Collects field errors and fails with all of them at once.
#[derive(Default, Debug)]
pub struct Validator {
    errors: Vec<Invalid>,
}

impl Validator {
    pub fn new() -> Validator {
        Validator::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<Text>) {
        self.errors.push(Invalid {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records `message` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<Text>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Checks that a text is not blank and at most `max` characters long.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, Text::new("must be at most %{max} characters").arg("max", max));
        }
    }

    /// Checks an optional text's length when present (blank is allowed).
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value
            && value.chars().count() > max
        {
            self.add(field, Text::new("must be at most %{max} characters").arg("max", max));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish(self) -> DomainResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

    use super::*;

    fn sqlx(err: sea_orm::sqlx::Error) -> RuntimeErr {
        RuntimeErr::SqlxError(Arc::new(err))
    }

    fn code_of(err: DbErr) -> (ErrorCode, Option<u64>) {
        match DomainError::from(err) {
            DomainError::Unavailable { retry_after_secs, .. } => (ErrorCode::Unavailable, Some(retry_after_secs)),
            other => (other.code(), None),
        }
    }

    /// Each code as a reader of Chinese is told it, where no request over
    /// HTTP reaches it at will (tests/api/languages.rs has the others).
    #[tokio::test]
    async fn what_no_request_reaches_at_will_is_told_in_chinese_too() {
        let unreachable = DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed);
        let timeout = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        let cases = [
            (
                DomainError::CursorExpired(
                    Text::new("changes after cursor %{after} are no longer kept: note cursor %{head}, read the resources again, then follow the feed from it")
                        .arg("after", 3)
                        .arg("head", 90),
                ),
                "游标已过期",
                "游标 3 之后的变更已不再保留：请记下游标 90，重新读取各资源，再从该游标继续跟踪变更",
            ),
            (
                DomainError::Internal(anyhow::anyhow!("a bug")),
                "服务内部错误",
                "服务出错，错误已记录",
            ),
            (
                DomainError::from(unreachable),
                "服务暂不可用",
                "无法连接数据库，请稍后重试",
            ),
            (
                DomainError::from(timeout),
                "服务暂不可用",
                "未能及时获得数据库连接，请稍后重试",
            ),
            (
                DomainError::RateLimited { retry_after_secs: 3 },
                "请求过于频繁",
                "尝试次数过多，请在 3 秒后重试",
            ),
            (
                DomainError::InsufficientScope { scope: "write" },
                "无权操作",
                "令牌缺少 `write` 权限：请向令牌端点申请 `scope=write`（对接平台须持有该权限）",
            ),
        ];
        for (err, title, message) in cases {
            let code = err.code();
            let english = err.to_string();
            let public = Locale::Zh.scope(async { PublicError::from(err) }).await;
            assert_eq!(public.code, code);
            assert_eq!(code.title_in(Locale::Zh), title);
            assert_eq!(public.message, message, "{english}");
        }
    }

    #[test]
    fn an_unreachable_database_is_unavailable_with_a_retry_after() {
        let unreachable = (ErrorCode::Unavailable, Some(UNREACHABLE_RETRY_AFTER_SECS));
        for kind in [
            io::ErrorKind::ConnectionRefused,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            let io = || sea_orm::sqlx::Error::Io(io::Error::from(kind));
            assert_eq!(code_of(DbErr::Query(sqlx(io()))), unreachable, "{kind:?}");
            assert_eq!(code_of(DbErr::Exec(sqlx(io()))), unreachable, "{kind:?}");
            assert_eq!(code_of(DbErr::Conn(sqlx(io()))), unreachable, "{kind:?}");
        }
        for err in [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            DbErr::Conn(sqlx(sea_orm::sqlx::Error::PoolTimedOut)),
            DbErr::Query(sqlx(sea_orm::sqlx::Error::PoolClosed)),
            DbErr::Exec(sqlx(sea_orm::sqlx::Error::WorkerCrashed)),
        ] {
            let text = err.to_string();
            assert_eq!(code_of(err), unreachable, "{text}");
        }
    }

    #[test]
    fn other_database_failures_stay_internal() {
        for err in [
            DbErr::RecordNotFound("task".into()),
            DbErr::Query(sqlx(sea_orm::sqlx::Error::RowNotFound)),
            DbErr::Query(sqlx(sea_orm::sqlx::Error::Protocol("bad data".into()))),
            DbErr::Type("not a uuid".into()),
        ] {
            let text = err.to_string();
            assert_eq!(code_of(err), (ErrorCode::Internal, None), "{text}");
        }
    }

    /// A second writer that cannot get SQLite's lock within the busy timeout
    /// is told to retry shortly, not that the service failed.
    #[tokio::test]
    async fn a_sqlite_writer_that_cannot_get_the_lock_is_unavailable() {
        use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
        use sea_orm::sqlx::{Connection, Executor};
        let path = crate::config::temporary_folder().join(format!("xietong-busy-{}.db", uuid::Uuid::new_v4().simple()));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::from_millis(50));
        let mut holder = SqliteConnection::connect_with(&options).await.expect("open");
        holder.execute("CREATE TABLE t (x INTEGER)").await.expect("create");
        holder.execute("BEGIN IMMEDIATE").await.expect("take the write lock");
        let mut other = SqliteConnection::connect_with(&options).await.expect("open again");
        let err = other
            .execute("INSERT INTO t VALUES (1)")
            .await
            .expect_err("the lock is held");
        assert_eq!(
            code_of(DbErr::Exec(sqlx(err))),
            (ErrorCode::Unavailable, Some(BUSY_RETRY_AFTER_SECS))
        );
        drop(other);
        drop(holder);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}
