//! `/v1/webhook-endpoints` and `/v1/webhook-deliveries`: where the platform's events go, and
//! how each delivery went. The provider's incoming webhooks are `POST /webhooks/{connector}`
//! (`api::incoming`).

use chrono::{DateTime, Utc};
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::{Tag, check_url, page_limit};
use crate::db::entities::{webhook_delivery, webhook_endpoint};
use crate::deliveries::{address_literal, is_private};
use crate::error::{ApiError, ApiResult};
use crate::events::EventType;
use crate::state::{AppState, SharedState};
use crate::subscriptions::DeliveryFilter;

#[derive(Debug, Clone, Object)]
pub struct CreateWebhookEndpoint {
    /// Where events are POSTed: an absolute http(s) URL.
    pub url: String,
    /// The event types to send: `["*"]` for all, or some of `webhook.received`,
    /// `connection.created`, `connection.deleted`, `connection.needs_reauth`.
    pub events: Vec<String>,
}

/// An endpoint. `secret` is in the answer that made it, and never again.
#[derive(Debug, Clone, Object)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// `whsec_<base64>`: verifies the `webhook-signature` of each delivery (Standard
    /// Webhooks). Keep it; it is shown only once.
    #[oai(skip_serializing_if_is_none)]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    fn from_row(row: &webhook_endpoint::Model, secret: Option<String>) -> WebhookEndpoint {
        WebhookEndpoint {
            id: row.id.clone(),
            url: row.url.clone(),
            events: serde_json::from_value(row.events.clone()).unwrap_or_default(),
            secret,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct WebhookEndpointList {
    pub data: Vec<WebhookEndpoint>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not sent yet, or to be sent again at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt of the retry schedule failed (or the endpoint was deleted).
    Failed,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => crate::events::status::PENDING,
            DeliveryStatus::Delivered => crate::events::status::DELIVERED,
            DeliveryStatus::Failed => crate::events::status::FAILED,
        }
    }
}

/// One event sent to one endpoint.
#[derive(Debug, Clone, Object)]
pub struct WebhookDelivery {
    pub id: String,
    /// The `webhook-id` header of every attempt: receivers deduplicate by it.
    pub event_id: String,
    pub endpoint_id: String,
    pub r#type: String,
    pub status: DeliveryStatus,
    /// Attempts made, the first included.
    pub attempts: i32,
    #[oai(skip_serializing_if_is_none)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt, when it got an answer.
    #[oai(skip_serializing_if_is_none)]
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    #[oai(skip_serializing_if_is_none)]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&webhook_delivery::Model> for WebhookDelivery {
    fn from(row: &webhook_delivery::Model) -> WebhookDelivery {
        WebhookDelivery {
            id: row.id.clone(),
            event_id: row.event_id.clone(),
            endpoint_id: row.endpoint_id.clone(),
            r#type: row.r#type.clone(),
            status: match row.status.as_str() {
                crate::events::status::DELIVERED => DeliveryStatus::Delivered,
                crate::events::status::FAILED => DeliveryStatus::Failed,
                _ => DeliveryStatus::Pending,
            },
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_status: row.last_status,
            last_error: row.last_error.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct WebhookDeliveryList {
    pub data: Vec<WebhookDelivery>,
}

#[derive(ApiResponse)]
enum EndpointCreated {
    /// The endpoint, with its secret.
    #[oai(status = 201)]
    Created(Json<WebhookEndpoint>),
}

#[derive(ApiResponse)]
enum EndpointDeleted {
    /// No more events go there; its pending deliveries fail.
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
enum RetryAccepted {
    /// The delivery is due now and goes out at once.
    #[oai(status = 202)]
    Accepted(Json<WebhookDelivery>),
}

pub struct WebhooksApi(pub SharedState);

#[OpenApi(tag = "Tag::Webhooks")]
impl WebhooksApi {
    /// Adds an endpoint for the platform's events. Each event is POSTed as
    /// `{"type", "timestamp", "data"}`, signed per Standard Webhooks with the `secret` of
    /// this answer, and retried on the server's retry schedule until it is answered 2xx.
    #[oai(
        path = "/v1/webhook-endpoints",
        method = "post",
        operation_id = "create_webhook_endpoint"
    )]
    async fn create(
        &self,
        _key: SecretKey,
        input: StrictJson<CreateWebhookEndpoint>,
    ) -> ApiResult<EndpointCreated> {
        let StrictJson(input) = input;
        let made = create_endpoint(&self.0, &input.url, &input.events).await?;
        tracing::info!(endpoint = %made.row.id, url = %made.row.url, "webhook endpoint created");
        Ok(EndpointCreated::Created(Json(WebhookEndpoint::from_row(
            &made.row,
            made.secret,
        ))))
    }

    /// Every webhook endpoint, oldest first (without secrets).
    #[oai(
        path = "/v1/webhook-endpoints",
        method = "get",
        operation_id = "list_webhook_endpoints"
    )]
    async fn list(&self, _key: SecretKey) -> ApiResult<Json<WebhookEndpointList>> {
        let rows = self
            .0
            .subscriptions
            .list()
            .await
            .map_err(ApiError::internal)?;
        Ok(Json(WebhookEndpointList {
            data: rows
                .iter()
                .map(|row| WebhookEndpoint::from_row(row, None))
                .collect(),
        }))
    }

    /// Removes an endpoint.
    #[oai(
        path = "/v1/webhook-endpoints/:id",
        method = "delete",
        operation_id = "delete_webhook_endpoint"
    )]
    async fn delete(&self, _key: SecretKey, id: Path<String>) -> ApiResult<EndpointDeleted> {
        if !self
            .0
            .subscriptions
            .delete(&id)
            .await
            .map_err(ApiError::internal)?
        {
            return Err(ApiError::not_found(
                "webhook_endpoint_not_found",
                format!("no webhook endpoint `{}`", id.0),
            ));
        }
        Ok(EndpointDeleted::NoContent)
    }

    /// The latest deliveries, newest first, optionally of one endpoint or in one status.
    #[oai(
        path = "/v1/webhook-deliveries",
        method = "get",
        operation_id = "list_webhook_deliveries"
    )]
    async fn deliveries(
        &self,
        _key: SecretKey,
        endpoint_id: Query<Option<String>>,
        status: Query<Option<DeliveryStatus>>,
        /// How many, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<WebhookDeliveryList>> {
        let limit = page_limit(limit.0)?;
        let filter = DeliveryFilter {
            endpoint_id: endpoint_id.0,
            status: status.0.map(|status| status.as_str().to_owned()),
        };
        let rows = self
            .0
            .subscriptions
            .deliveries(&filter, limit as u64)
            .await
            .map_err(ApiError::internal)?;
        Ok(Json(WebhookDeliveryList {
            data: rows.iter().map(WebhookDelivery::from).collect(),
        }))
    }

    /// Sends a delivery again now, with the same `webhook-id`, whatever its status.
    #[oai(
        path = "/v1/webhook-deliveries/:id/retry",
        method = "post",
        operation_id = "retry_webhook_delivery"
    )]
    async fn retry(&self, _key: SecretKey, id: Path<String>) -> ApiResult<RetryAccepted> {
        match self
            .0
            .subscriptions
            .retry(&id)
            .await
            .map_err(ApiError::internal)?
        {
            Some(row) => Ok(RetryAccepted::Accepted(Json((&row).into()))),
            None => Err(ApiError::not_found(
                "webhook_delivery_not_found",
                format!("no webhook delivery `{}`", id.0),
            )),
        }
    }
}

/// 400 when the URL names a private address or `localhost` (CONNECTOR_WEBHOOK_ALLOW_PRIVATE
/// false). Names are checked again when resolved at each delivery.
fn check_public(url: &str) -> ApiResult<()> {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let localhost = host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost");
    if localhost || address_literal(url).is_some_and(is_private) {
        return Err(ApiError::bad_request(
            "invalid_input",
            format!(
                "url: `{host}` is a loopback or private address, and this server forbids them (CONNECTOR_WEBHOOK_ALLOW_PRIVATE=false)"
            ),
        ));
    }
    Ok(())
}

/// Checks and stores a webhook endpoint (`POST /v1/webhook-endpoints`, the dashboard).
pub async fn create_endpoint(
    state: &AppState,
    url: &str,
    events: &[String],
) -> ApiResult<crate::subscriptions::Endpoint> {
    check_url("url", url)?;
    if !state.settings.webhooks.allow_private {
        check_public(url)?;
    }
    if events.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_input",
            "events must name at least one event type, or be [\"*\"]",
        ));
    }
    if let Some(unknown) = events
        .iter()
        .find(|name| *name != "*" && EventType::parse(name).is_none())
    {
        let known: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
        return Err(ApiError::bad_request(
            "invalid_input",
            format!(
                "events: `{unknown}` is not an event type (`*`, {})",
                known.join(", ")
            ),
        ));
    }
    state
        .subscriptions
        .create(url, events)
        .await
        .map_err(ApiError::internal)
}
