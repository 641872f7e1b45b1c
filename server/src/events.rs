//! The platform's events and the outbox they are written to: each event is stored with one
//! pending delivery per endpoint subscribed to its type, in the transaction of the change it
//! reports when there is one, so that an event is never lost to a restart. `deliveries` sends
//! them.

use chrono::{SecondsFormat, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::crypto::random_token;
use crate::db::entities::{connection, webhook_delivery, webhook_endpoint, webhook_event};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A provider's webhook, checked and tied to its connections.
    WebhookReceived,
    ConnectionCreated,
    ConnectionDeleted,
    /// The provider refused the refresh token: the end user must authorize again.
    ConnectionNeedsReauth,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::WebhookReceived,
        EventType::ConnectionCreated,
        EventType::ConnectionDeleted,
        EventType::ConnectionNeedsReauth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::WebhookReceived => "webhook.received",
            EventType::ConnectionCreated => "connection.created",
            EventType::ConnectionDeleted => "connection.deleted",
            EventType::ConnectionNeedsReauth => "connection.needs_reauth",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// An event and its `data`.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub data: Value,
}

impl Event {
    /// A `connection.*` event: the connection's id, connector, end user and status, never a
    /// secret.
    pub fn connection(kind: EventType, row: &connection::Model) -> Event {
        Event {
            kind,
            data: json!({
                "id": row.id,
                "connector": row.connector,
                "end_user_id": row.end_user_id,
                "status": row.status,
            }),
        }
    }
}

/// The values of `webhook_deliveries.status`.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
}

/// Woken once an event is committed, so that its deliveries go out without waiting for the
/// deliverer's next poll.
pub static RECORDED: Notify = Notify::const_new();

/// Tells the deliverer that events were committed ([`record`]'s caller, after its commit).
pub fn wake() {
    RECORDED.notify_waiters();
}

/// Whether an endpoint subscribed to `events` (a JSON array) receives `kind`.
pub fn subscribed(events: &Value, kind: EventType) -> bool {
    events
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|name| name == "*" || name == kind.as_str())
}

/// Stores `event` and a pending delivery of it to each subscribed endpoint, on `db` (the
/// transaction of the change it reports, when there is one). Answers the event's id, which
/// is every delivery's `webhook-id`. Call [`wake`] once it is committed.
pub async fn record(db: &impl ConnectionTrait, event: Event) -> Result<String, DbErr> {
    let now = Utc::now();
    let id = format!("evt_{}", random_token(15));
    let body = json!({
        "type": event.kind.as_str(),
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": event.data,
    })
    .to_string();
    webhook_event::Entity::insert(webhook_event::ActiveModel {
        id: Set(id.clone()),
        r#type: Set(event.kind.as_str().to_owned()),
        body: Set(body),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    let deliveries: Vec<webhook_delivery::ActiveModel> = webhook_endpoint::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|endpoint| subscribed(&endpoint.events, event.kind))
        .map(|endpoint| webhook_delivery::ActiveModel {
            id: Set(format!("whd_{}", random_token(15))),
            event_id: Set(id.clone()),
            endpoint_id: Set(endpoint.id),
            r#type: Set(event.kind.as_str().to_owned()),
            status: Set(status::PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    if !deliveries.is_empty() {
        webhook_delivery::Entity::insert_many(deliveries)
            .exec(db)
            .await?;
    }
    Ok(id)
}
