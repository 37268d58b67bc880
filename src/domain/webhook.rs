//! Webhooks (Standard Webhooks): endpoints that administrators and
//! integration clients register to be told of changes, and the deliveries
//! to them. A delivery is written in the transaction of its change (the
//! outbox, [`enqueue`]); the sender ([`deliver`]) posts it, signed, and
//! keeps the log.

use std::collections::{BTreeSet, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use entity::{webhook_deliveries, webhooks};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::error::Validator;
use super::feed::{Audience, Op, Scope};
use super::page::{self, Page, PageRequest, Sort};
use super::{Caller, DomainError, DomainResult, Principal, Store, begin_write, row_for_change};

pub mod deliver;

const ENTITY: &str = "webhook";

/// How long a rotated secret still signs beside the new one.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// The resources whose changes are told, as `<entity>.created|updated|deleted`.
pub const ENTITIES: &[&str] = &[
    "plan",
    "task",
    "report",
    "report_comment",
    "attachment",
    "event",
    "project",
    "urging",
    "extension",
    "region",
    "unit",
    "unit_group",
    "pairing",
    "unit_pairing",
    "metric",
    "project_category",
    "user",
    "integration_client",
];

/// The workflow's own event types: a transition's name, as an event.
const WORKFLOW: &[(&str, &str, &str)] = &[
    ("report", "submit", "report.submitted"),
    ("report", "approve", "report.approved"),
    ("report", "return", "report.returned"),
    ("report", "recall", "report.recalled"),
    ("plan", "issue", "plan.issued"),
    ("plan", "close", "plan.closed"),
];

/// Every event type an endpoint may ask for, and `*` (every one).
pub fn event_types() -> Vec<String> {
    let changes = ENTITIES
        .iter()
        .flat_map(|entity| ["created", "updated", "deleted"].map(|op| format!("{entity}.{op}")));
    let workflow = WORKFLOW.iter().map(|(_, _, name)| (*name).to_owned());
    std::iter::once("*".to_owned()).chain(changes).chain(workflow).collect()
}

super::values::documented_string!(
    /// An event type's name: one of [`event_types`].
    EventTypeName: "An event type, or `*` for every one.", one of event_types()
);

/// Whether `event` names an event type (or is `*`, every one).
fn known_event(event: &str) -> bool {
    event == "*"
        || WORKFLOW.iter().any(|(_, _, name)| *name == event)
        || event
            .split_once('.')
            .is_some_and(|(entity, op)| ENTITIES.contains(&entity) && matches!(op, "created" | "updated" | "deleted"))
}

/// Which changes an endpoint is told of: those of a region's plans, of a
/// pairing, or of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookFilter {
    pub region_id: Option<Uuid>,
    pub pairing_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
}

/// A registered endpoint, as shown: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    #[schema(example = "https://platform.example.gov.cn/hooks/xietong")]
    pub url: String,
    /// `report.submitted`, `task.updated`, … or `*` for every one.
    #[schema(example = json!(["report.submitted", "report.approved", "task.updated"]))]
    pub events: Vec<String>,
    pub filter: WebhookFilter,
    /// `active`, or `disabled` after a day of failed deliveries (see
    /// `disabled_reason`); a `PATCH` with `{"status":"active"}` enables it again.
    #[schema(example = "active")]
    pub status: String,
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed; none while it answers.
    pub failing_since: Option<DateTime<Utc>>,
    /// Who registered it: a username or a client's `client_id`.
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl TryFrom<webhooks::Model> for Webhook {
    type Error = DomainError;

    fn try_from(m: webhooks::Model) -> DomainResult<Webhook> {
        Ok(Webhook {
            id: m.id,
            url: m.url,
            events: serde_json::from_value(m.events).map_err(|e| DomainError::Internal(e.into()))?,
            filter: WebhookFilter {
                region_id: m.filter_region_id,
                pairing_id: m.filter_pairing_id,
                plan_id: m.filter_plan_id,
            },
            status: m.status,
            disabled_reason: m.disabled_reason,
            failing_since: m.failing_since,
            owner: m.owner_name,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// An endpoint with its signing secret, shown once: when registered and
/// when the secret is rotated.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` + base64 of the key: sign checks with it (Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// What registers an endpoint.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…` (or `http://…`); after resolution its address must be
    /// public unless `XIETONG_WEBHOOK_ALLOW_PRIVATE=true`.
    // The documents' URL: http or https, a host name or address, an
    // optional port, a path of printable ASCII (validate_url also refuses
    // credentials and, unless allowed, private addresses).
    #[schema(
        example = "https://platform.example.gov.cn/hooks/xietong",
        pattern = r"^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[!-~]*)?$"
    )]
    pub url: String,
    #[schema(example = json!(["report.submitted", "task.updated"]), min_items = 1, max_items = 100, inline, value_type = Vec<EventTypeName>)]
    pub events: Vec<String>,
    pub filter: Option<WebhookFilter>,
    /// Your own `whsec_…` secret (a key of 24 to 64 bytes); one is made
    /// when none is given.
    // The base64 of 24 to 64 bytes, as secret_key reads it.
    #[schema(
        pattern = r"^whsec_([A-Za-z0-9+/]{4}){8,21}([A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub secret: Option<String>,
}

/// What an endpoint's owner may change.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChanges {
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[!-~]*)?$"
    )]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 100, inline, value_type = Option<Vec<EventTypeName>>)]
    pub events: Option<Vec<String>>,
    pub filter: Option<WebhookFilter>,
    /// `active` enables a disabled endpoint again; `disabled` stops it.
    pub status: Option<String>,
}

/// Fails unless the principal manages webhooks: administrators, and
/// integration clients (each its own endpoints).
fn require_manager(principal: &Principal) -> DomainResult<()> {
    match principal {
        Principal::System => Ok(()),
        Principal::User(_) if principal.is_admin() => Ok(()),
        Principal::Client(client) if client.can_read || client.can_write => Ok(()),
        _ => Err(DomainError::forbidden(
            "only administrators and integration clients register webhooks",
        )),
    }
}

/// The endpoints the principal manages, as SQL: an administrator's, all;
/// a client's, its own.
fn managed(principal: &Principal) -> sea_orm::Condition {
    let all = sea_orm::Condition::all();
    match principal {
        Principal::Client(client) => all
            .add(webhooks::Column::OwnerIsAdmin.eq(false))
            .add(webhooks::Column::OwnerName.eq(client.client_id.clone())),
        _ => all,
    }
}

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
fn new_secret() -> DomainResult<String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| DomainError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(format!("whsec_{}", STANDARD.encode(key)))
}

/// The key a `whsec_` secret holds; none when it is not one.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    (24..=64).contains(&key.len()).then_some(key)
}

fn validate_url(v: &mut Validator, url: &str, allow_private: bool) {
    if url.len() > 2000 {
        v.check(false, "url", "must be at most 2000 characters");
        return;
    }
    if !written_as_documented(url) {
        v.check(
            false,
            "url",
            "must be http(s)://HOST[:PORT][/PATH]: a host of letters, digits, `.` and `-`, a path of printable ASCII",
        );
        return;
    }
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(_) => {
            v.check(false, "url", "must be an absolute http or https URL");
            return;
        }
    };
    v.check(
        matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some(),
        "url",
        "must be an absolute http or https URL",
    );
    v.check(
        parsed.username().is_empty() && parsed.password().is_none(),
        "url",
        "must not carry credentials: use the signature to trust the sender",
    );
    if let Some(ip) = deliver::literal_address(&parsed) {
        v.check(
            allow_private || deliver::is_public(ip),
            "url",
            "names a private, loopback or link-local address (XIETONG_WEBHOOK_ALLOW_PRIVATE=true allows it)",
        );
    }
}

/// Whether `url` is written as the document's pattern says,
/// `^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[!-~]*)?$` (the URL parser
/// alone takes hosts such as `0*`).
fn written_as_documented(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return false;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && port.is_none_or(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        })
        && path.bytes().all(|b| (b'!'..=b'~').contains(&b))
}

fn validate_events(v: &mut Validator, events: &[String]) {
    v.check(!events.is_empty(), "events", "name at least one event type (or `*`)");
    v.check(events.len() <= 100, "events", "at most 100 event types");
    for (i, event) in events.iter().enumerate() {
        v.check(
            known_event(event),
            format!("events[{i}]"),
            "not an event type: `<entity>.created|updated|deleted`, `report.submitted|approved|returned|recalled`, `plan.issued|closed` or `*`",
        );
    }
}

async fn validate_filter<C: ConnectionTrait>(conn: &C, v: &mut Validator, filter: &WebhookFilter) -> DomainResult<()> {
    if let Some(id) = filter.region_id {
        v.check(
            entity::regions::Entity::find_by_id(id).one(conn).await?.is_some(),
            "filter.region_id",
            "no such region",
        );
    }
    if let Some(id) = filter.pairing_id {
        v.check(
            entity::pairings::Entity::find_by_id(id).one(conn).await?.is_some(),
            "filter.pairing_id",
            "no such pairing",
        );
    }
    if let Some(id) = filter.plan_id {
        v.check(
            entity::plans::Entity::find_by_id(id).one(conn).await?.is_some(),
            "filter.plan_id",
            "no such plan",
        );
    }
    Ok(())
}

/// Registers an endpoint; answers it with its secret, shown this once.
pub async fn create(
    db: &impl Store,
    caller: &Caller,
    input: NewWebhook,
    allow_private: bool,
) -> DomainResult<WebhookWithSecret> {
    require_manager(&caller.principal)?;
    let txn = begin_write(db).await?;
    let mut v = Validator::new();
    validate_url(&mut v, &input.url, allow_private);
    validate_events(&mut v, &input.events);
    let filter = input.filter.unwrap_or_default();
    validate_filter(&txn, &mut v, &filter).await?;
    if let Some(secret) = &input.secret {
        v.check(
            secret_key(secret).is_some(),
            "secret",
            "must be `whsec_` followed by the base64 of a key of 24 to 64 bytes",
        );
    }
    v.finish()?;
    let secret = match input.secret {
        Some(secret) => secret,
        None => new_secret()?,
    };
    let events: BTreeSet<String> = input.events.into_iter().collect();
    let at = caller.now();
    let model = webhooks::ActiveModel {
        id: Set(Uuid::new_v4()),
        url: Set(input.url),
        events: Set(json!(events)),
        filter_region_id: Set(filter.region_id),
        filter_pairing_id: Set(filter.pairing_id),
        filter_plan_id: Set(filter.plan_id),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        owner_is_admin: Set(caller.principal.is_admin()),
        owner_name: Set(caller.principal.name()),
        status: Set("active".to_owned()),
        disabled_reason: Set(None),
        failing_since: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let webhook = Webhook::try_from(model)?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(webhook.id), &webhook)?).await?;
    Ok(WebhookWithSecret { webhook, secret })
}

async fn load_managed<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<webhooks::Model> {
    require_manager(&caller.principal)?;
    webhooks::Entity::find_by_id(id)
        .filter(managed(&caller.principal))
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::not_found(ENTITY, id))
}

/// An endpoint the caller manages.
pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Webhook> {
    Webhook::try_from(load_managed(conn, caller, id).await?)
}

/// The endpoints the caller manages, newest first.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, request: &PageRequest) -> DomainResult<Page<Webhook>> {
    require_manager(&caller.principal)?;
    let sort = Sort::<webhooks::Entity> {
        column: webhooks::Column::CreatedAt,
        id: webhooks::Column::Id,
        descending: true,
        key_of: |m| (json!(m.created_at.to_rfc3339()), m.id),
        value_of: page::timestamp_value,
    };
    let query = webhooks::Entity::find().filter(managed(&caller.principal));
    page::fetch(conn, query, &sort, request)
        .await?
        .try_map(Webhook::try_from)
}

/// Changes an endpoint the caller manages, at the version it read.
pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: WebhookChanges,
    allow_private: bool,
) -> DomainResult<Webhook> {
    let txn = begin_write(db).await?;
    load_managed(&txn, caller, id).await?;
    let current = row_for_change::<webhooks::Entity>(&txn, ENTITY, id, expected_version, |m| m.version).await?;
    let before = Webhook::try_from(current.clone())?;
    let mut v = Validator::new();
    if let Some(url) = &changes.url {
        validate_url(&mut v, url, allow_private);
    }
    if let Some(events) = &changes.events {
        validate_events(&mut v, events);
    }
    if let Some(filter) = &changes.filter {
        validate_filter(&txn, &mut v, filter).await?;
    }
    if let Some(status) = &changes.status {
        v.check(
            matches!(status.as_str(), "active" | "disabled"),
            "status",
            "must be `active` or `disabled`",
        );
    }
    v.finish()?;
    let mut model: webhooks::ActiveModel = current.into();
    if let Some(url) = changes.url {
        model.url = Set(url);
    }
    if let Some(events) = changes.events {
        model.events = Set(json!(events.into_iter().collect::<BTreeSet<_>>()));
    }
    if let Some(filter) = changes.filter {
        model.filter_region_id = Set(filter.region_id);
        model.filter_pairing_id = Set(filter.pairing_id);
        model.filter_plan_id = Set(filter.plan_id);
    }
    if let Some(status) = changes.status {
        if status == "active" {
            model.disabled_reason = Set(None);
            model.failing_since = Set(None);
        } else {
            model.disabled_reason = Set(Some(format!("disabled by {}", caller.principal.name())));
        }
        model.status = Set(status);
    }
    model.updated_at = Set(caller.now());
    model.version = Set(expected_version + 1);
    let after = Webhook::try_from(model.update(&txn).await?)?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// Removes an endpoint and its deliveries.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    load_managed(&txn, caller, id).await?;
    let current = row_for_change::<webhooks::Entity>(&txn, ENTITY, id, expected_version, |m| m.version).await?;
    let before = Webhook::try_from(current)?;
    webhooks::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &before)?).await?;
    Ok(())
}

/// Gives an endpoint a new secret, shown this once; the old one signs too
/// for [`ROTATION_OVERLAP`], so that the receiver can switch.
pub async fn rotate_secret(db: &impl Store, caller: &Caller, id: Uuid) -> DomainResult<WebhookWithSecret> {
    let txn = begin_write(db).await?;
    let current = load_managed(&txn, caller, id).await?;
    let secret = new_secret()?;
    let version = current.version;
    let mut model: webhooks::ActiveModel = current.clone().into();
    model.previous_secret = Set(Some(current.secret));
    model.previous_secret_until = Set(Some(caller.now() + ROTATION_OVERLAP));
    model.secret = Set(secret.clone());
    model.updated_at = Set(caller.now());
    model.version = Set(version + 1);
    let webhook = Webhook::try_from(model.update(&txn).await?)?;
    audit::commit(
        txn,
        caller,
        Change::bare(audit::Action::Transition("rotate_secret"), ENTITY, Some(id)),
    )
    .await?;
    Ok(WebhookWithSecret { webhook, secret })
}

/// One delivery of an event to an endpoint: the log's line.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Also the `webhook-id` header: the same on every attempt.
    pub id: Uuid,
    pub webhook_id: Uuid,
    #[schema(example = "report.submitted")]
    pub event_type: String,
    /// `pending` (waiting or retrying), `delivered`, or `failed` (given up).
    #[schema(example = "delivered")]
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt.
    pub last_status: Option<i32>,
    pub last_latency_ms: Option<i64>,
    /// The first 1,000 characters of the last answer's body.
    pub last_response: Option<String>,
    /// Why the last attempt failed, when it got no answer.
    pub last_error: Option<String>,
    /// What is posted.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<webhook_deliveries::Model> for Delivery {
    fn from(m: webhook_deliveries::Model) -> Delivery {
        Delivery {
            id: m.id,
            webhook_id: m.webhook_id,
            event_type: m.event_type,
            next_attempt_at: (m.status == "pending").then_some(m.next_attempt_at),
            status: m.status,
            attempts: m.attempts,
            last_status: m.last_status,
            last_latency_ms: m.last_latency_ms,
            last_response: m.last_response,
            last_error: m.last_error,
            payload: m.payload,
            created_at: m.created_at,
            delivered_at: m.delivered_at,
        }
    }
}

/// The deliveries to an endpoint the caller manages, newest first.
pub async fn deliveries<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    webhook_id: Uuid,
    request: &PageRequest,
) -> DomainResult<Page<Delivery>> {
    load_managed(conn, caller, webhook_id).await?;
    let sort = Sort::<webhook_deliveries::Entity> {
        column: webhook_deliveries::Column::CreatedAt,
        id: webhook_deliveries::Column::Id,
        descending: true,
        key_of: |m| (json!(m.created_at.to_rfc3339()), m.id),
        value_of: page::timestamp_value,
    };
    let query = webhook_deliveries::Entity::find().filter(webhook_deliveries::Column::WebhookId.eq(webhook_id));
    Ok(page::fetch(conn, query, &sort, request).await?.map(Delivery::from))
}

/// A delivery to an endpoint the caller manages.
pub async fn delivery<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Delivery> {
    let found = super::row::<webhook_deliveries::Entity>(conn, "webhook_delivery", id).await?;
    load_managed(conn, caller, found.webhook_id)
        .await
        .map_err(|_| DomainError::not_found("webhook_delivery", id))?;
    Ok(Delivery::from(found))
}

/// Sends a delivery again, now: a failed one, or a delivered one the
/// receiver lost. Its `webhook-id` stays, so a receiver that has it can
/// tell.
pub async fn redeliver(db: &impl Store, caller: &Caller, id: Uuid) -> DomainResult<Delivery> {
    let txn = begin_write(db).await?;
    delivery(&txn, caller, id).await?;
    let found = super::row::<webhook_deliveries::Entity>(&txn, "webhook_delivery", id).await?;
    if found.status == "pending" {
        return Err(DomainError::conflict(
            "the delivery is still pending: it is sent when due",
        ));
    }
    let mut model: webhook_deliveries::ActiveModel = found.into();
    model.status = Set("pending".to_owned());
    model.attempts = Set(0);
    model.next_attempt_at = Set(caller.now());
    model.locked_until = Set(None);
    model.delivered_at = Set(None);
    let updated = model.update(&txn).await?;
    audit::commit(
        txn,
        caller,
        Change::bare(audit::Action::Transition("redeliver"), "webhook_delivery", Some(id)),
    )
    .await?;
    Ok(Delivery::from(updated))
}

/// A delivery waiting to be sent from `at`.
fn pending(
    webhook_id: Uuid,
    event_type: String,
    resource: String,
    payload: Value,
    at: DateTime<Utc>,
) -> webhook_deliveries::ActiveModel {
    webhook_deliveries::ActiveModel {
        id: Set(Uuid::new_v4()),
        webhook_id: Set(webhook_id),
        event_type: Set(event_type),
        resource: Set(resource),
        payload: Set(payload),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        locked_until: Set(None),
        last_status: Set(None),
        last_latency_ms: Set(None),
        last_response: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        delivered_at: Set(None),
    }
}

/// The event type of a test delivery.
pub const TEST_EVENT: &str = "webhook.test";

/// Sends an endpoint a `webhook.test` event now (also a disabled one: the
/// test is how its owner finds out it answers again); answers the
/// delivery, to follow in the log.
pub async fn test(db: &impl Store, caller: &Caller, id: Uuid) -> DomainResult<Delivery> {
    let txn = begin_write(db).await?;
    let endpoint = load_managed(&txn, caller, id).await?;
    let at = caller.now();
    let payload = json!({
        "type": TEST_EVENT,
        "timestamp": at,
        "data": {"webhook_id": endpoint.id, "by": caller.principal.name()},
    });
    let inserted = pending(endpoint.id, TEST_EVENT.to_owned(), format!("webhook:{id}"), payload, at)
        .insert(&txn)
        .await?;
    audit::commit(
        txn,
        caller,
        Change::bare(audit::Action::Transition("test"), ENTITY, Some(id)),
    )
    .await?;
    Ok(Delivery::from(inserted))
}

/// Removes the deliveries that were delivered or given up before `keep`
/// ago (the change feed's retention); pending ones stay. Returns how many.
pub async fn prune<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, keep: TimeDelta) -> DomainResult<u64> {
    Ok(webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::Status.ne("pending"))
        .filter(webhook_deliveries::Column::CreatedAt.lt(now - keep))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The event type a change is told as to an endpoint that listens to
/// `events`: the workflow's own when it names the step and the endpoint
/// listens to it, else `<entity>.<op>`; none when it listens to neither.
fn event_for(events: &[String], entity: &str, op: Op, action: &str) -> Option<String> {
    let listens = |name: &str| events.iter().any(|e| e == "*" || e == name);
    if let Some((_, _, name)) = WORKFLOW.iter().find(|(e, a, _)| *e == entity && *a == action)
        && listens(name)
    {
        return Some((*name).to_owned());
    }
    let plain = format!("{entity}.{}", op.as_str());
    listens(&plain).then_some(plain)
}

/// One change, as the feed wrote it, to hand to the endpoints that listen.
pub(super) struct Told<'a> {
    pub at: DateTime<Utc>,
    pub entity: &'a str,
    pub id: Uuid,
    pub op: Op,
    pub action: &'a str,
    pub version: Option<i32>,
    pub data: &'a Value,
    pub scope: &'a Scope,
}

/// What the clients that own `endpoints` read, by client id: their grants
/// ([`super::authz::Reach`]), in two statements.
async fn owners_reach<C: ConnectionTrait>(
    conn: &C,
    endpoints: &[webhooks::Model],
) -> DomainResult<HashMap<String, super::authz::Targets>> {
    use entity::{client_grants, integration_clients};
    let names: BTreeSet<&str> = endpoints
        .iter()
        .filter(|e| !e.owner_is_admin)
        .map(|e| e.owner_name.as_str())
        .collect();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let clients = integration_clients::Entity::find()
        .filter(integration_clients::Column::ClientId.is_in(names))
        .all(conn)
        .await?;
    let grants = client_grants::Entity::find()
        .filter(client_grants::Column::ClientId.is_in(clients.iter().map(|c| c.id)))
        .all(conn)
        .await?;
    Ok(clients
        .into_iter()
        .map(|client| {
            let own: Vec<client_grants::Model> = grants.iter().filter(|g| g.client_id == client.id).cloned().collect();
            (client.client_id, super::authz::Reach::of_grants(&own, true, false).read)
        })
        .collect())
}

/// Writes a delivery of `change` for every active endpoint that listens to
/// it and whose owner may see it (a client, within its grants), in the
/// change's transaction (the outbox).
pub(super) async fn enqueue<C: ConnectionTrait>(conn: &C, change: Told<'_>) -> DomainResult<()> {
    let endpoints = webhooks::Entity::find()
        .filter(webhooks::Column::Status.eq("active"))
        .all(conn)
        .await?;
    let scope = change.scope;
    let reach = if matches!(scope.audience, Audience::Regions | Audience::Coordinated) {
        // Boxed: every write's transaction ends here.
        Box::pin(owners_reach(conn, &endpoints)).await?
    } else {
        HashMap::new()
    };
    let mut rows = Vec::new();
    for endpoint in endpoints {
        if scope.audience == Audience::Admins && !endpoint.owner_is_admin {
            continue;
        }
        let beyond_grants = !endpoint.owner_is_admin
            && matches!(scope.audience, Audience::Regions | Audience::Coordinated)
            && !reach
                .get(&endpoint.owner_name)
                .is_some_and(|r| r.covers_change(&scope.regions, scope.pairing, scope.plan));
        if beyond_grants {
            continue;
        }
        let filtered_out = endpoint.filter_region_id.is_some_and(|r| !scope.regions.contains(&r))
            || endpoint.filter_pairing_id.is_some_and(|p| scope.pairing != Some(p))
            || endpoint.filter_plan_id.is_some_and(|p| scope.plan != Some(p));
        if filtered_out {
            continue;
        }
        let events: Vec<String> = serde_json::from_value(endpoint.events).unwrap_or_default();
        let Some(event_type) = event_for(&events, change.entity, change.op, change.action) else {
            continue;
        };
        let payload = json!({
            "type": event_type,
            "timestamp": change.at,
            "data": {
                "entity": change.entity,
                "id": change.id,
                "op": change.op,
                "action": change.action,
                "version": change.version,
                "at": change.at,
                "data": change.data,
            },
        });
        rows.push(pending(
            endpoint.id,
            event_type,
            format!("{}:{}", change.entity, change.id),
            payload,
            change.at,
        ));
    }
    if !rows.is_empty() {
        webhook_deliveries::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::written_as_documented;

    #[test]
    fn a_url_is_taken_only_as_the_document_writes_it() {
        for good in [
            "https://platform.example.cn/hooks/xietong",
            "http://127.0.0.1:8080/hook?x=1",
            "http://127.0.0.1:40983/hook",
            "https://a-b.example",
        ] {
            assert!(written_as_documented(good), "{good}");
        }
        for bad in [
            "http://0*",
            "ftp://example.cn/",
            "https://",
            "https://example.cn:808080/",
            "https://example.cn:65536/",
            "https://user@example.cn/",
            "https://例子.cn/",
            "https://example.cn/a b",
        ] {
            assert!(!written_as_documented(bad), "{bad}");
        }
    }
}
