//! Webhooks: endpoints told of changes (Standard Webhooks) and their
//! delivery logs, as GraphQL types over the domain's views.

use async_graphql::{ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::webhook::{Delivery, Webhook, WebhookWithSecret};
use crate::graphql::connection::connection;
use crate::graphql::ids::global_id;

/// What an endpoint is told of: the changes of a region's plans, of a
/// pairing, or of a plan (any that is set).
#[derive(SimpleObject)]
pub struct WebhookFilterObject {
    /// Only the changes of this region's plans.
    pub region_id: Option<Uuid>,
    /// Only the changes of this pairing.
    pub pairing_id: Option<Uuid>,
    /// Only the changes of this plan.
    pub plan_id: Option<Uuid>,
}

/// A registered endpoint (变更推送), as shown: never its secret.
pub struct WebhookNode(pub Webhook);

/// A registered endpoint (变更推送), as shown: never its secret.
#[Object(name = "Webhook")]
impl WebhookNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Webhook", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// Where events are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// `report.submitted`, `task.updated`, … or `*` for every one.
    async fn events(&self) -> &[String] {
        &self.0.events
    }
    /// Which changes it hears.
    async fn filter(&self) -> WebhookFilterObject {
        WebhookFilterObject {
            region_id: self.0.filter.region_id,
            pairing_id: self.0.filter.pairing_id,
            plan_id: self.0.filter.plan_id,
        }
    }
    /// `active`, or `disabled` (see `disabledReason`).
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// Why it was disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Since when every delivery has failed (UTC).
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since
    }
    /// Who registered it: a username or a client's `client_id`.
    async fn owner(&self) -> &str {
        &self.0.owner
    }
    /// When it was registered (UTC).
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
    /// A page of webhook endpoints.
    WebhookConnection,
    WebhookEdge,
    WebhookNode,
    "A webhook endpoint in a page, with its cursor."
);

/// An endpoint with its signing secret, shown once: when registered and
/// when the secret is rotated.
pub struct WebhookWithSecretObject(pub WebhookWithSecret);

/// An endpoint with its signing secret, shown once: when registered and
/// when the secret is rotated.
#[Object(name = "WebhookWithSecret")]
impl WebhookWithSecretObject {
    /// The endpoint.
    async fn webhook(&self) -> WebhookNode {
        WebhookNode(self.0.webhook.clone())
    }
    /// `whsec_` + base64 of the key: shown in this answer only.
    async fn secret(&self) -> &str {
        &self.0.secret
    }
}

/// One delivery of an event to an endpoint: a line of its log.
pub struct DeliveryNode(pub Delivery);

/// One delivery of an event to an endpoint: a line of its log.
#[Object(name = "WebhookDelivery")]
impl DeliveryNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("WebhookDelivery", self.0.id)
    }
    /// The REST id, also the `webhook-id` header of every attempt.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The endpoint's REST id.
    async fn webhook_uuid(&self) -> Uuid {
        self.0.webhook_id
    }
    /// `report.submitted`, `task.updated`, `webhook.test`, …
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// `pending` (waiting or retrying), `delivered`, or `failed` (given up).
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// How many attempts were made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When the next attempt is due, while pending (UTC).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    /// The HTTP status of the last attempt.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }
    /// How long the last attempt took, in milliseconds.
    async fn last_latency_ms(&self) -> Option<i64> {
        self.0.last_latency_ms
    }
    /// The first 1,000 characters of the last answer's body.
    async fn last_response(&self) -> Option<&str> {
        self.0.last_response.as_deref()
    }
    /// Why the last attempt failed, when it got no answer.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// What is posted: `{type, timestamp, data}`.
    async fn payload(&self) -> Json<Value> {
        Json(self.0.payload.clone())
    }
    /// When the event was written (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was delivered (UTC).
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

connection!(
    /// A page of webhook deliveries, newest first.
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    DeliveryNode,
    "A webhook delivery in a page, with its cursor."
);
