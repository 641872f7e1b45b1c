//! `POST /webhooks/{connector}`: a provider's webhook, public (no secret key). It is checked as
//! the connector's `webhooks:` block says (`inbound`), stored durably as a `webhook.received`
//! event with the connections it concerns, and answered 200 at once; the deliverer forwards it
//! to the subscribed endpoints. A missing or wrong signature, or a timestamp out of
//! tolerance, is a 401 and nothing is stored.

use poem::http::header;
use poem::web::{Data, Path, Query};
use poem::{Body, IntoResponse, Request, Response, handler};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::{Value, json};

use connector_runtime::openapi::ActionStatus;

use crate::error::ApiError;
use crate::events::{self, Event, EventType};
use crate::inbound;
use crate::state::SharedState;

/// Microsoft Graph's subscription handshake.
#[derive(Deserialize)]
pub struct Handshake {
    #[serde(rename = "validationToken")]
    validation_token: Option<String>,
}

#[handler]
pub async fn receive(
    request: &Request,
    Path(connector): Path<String>,
    Query(handshake): Query<Handshake>,
    body: Body,
    Data(state): Data<&SharedState>,
) -> Response {
    match answer(state, request, &connector, handshake, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn answer(
    state: &SharedState,
    request: &Request,
    connector: &str,
    handshake: Handshake,
    body: Body,
) -> Result<Response, ApiError> {
    let entry = state.connector(connector)?;
    let Some(webhooks) = &entry.def.webhooks else {
        return Err(ApiError::not_found(
            "webhooks_not_declared",
            format!("connector `{connector}` declares no `webhooks:` block"),
        ));
    };
    // Graph checks a new subscription's URL by asking it to echo a token, unsigned and with
    // no body; nothing is stored. Plain text, and never sniffed as anything else.
    if let Some(token) = handshake.validation_token {
        return Ok(token
            .with_content_type("text/plain; charset=utf-8")
            .with_header("x-content-type-options", "nosniff")
            .into_response());
    }
    let body = body.into_bytes().await.map_err(|error| {
        ApiError::bad_request("invalid_request", format!("cannot read the body: {error}"))
    })?;
    let integration = state.integrations.get(connector).await?;
    let secret = integration
        .as_ref()
        .and_then(|integration| integration.webhook_secret.as_deref());
    let now = chrono::Utc::now().timestamp();
    if let Err(rejection) = inbound::verify(
        &webhooks.signature,
        secret,
        connector,
        request.headers(),
        &body,
        now,
    ) {
        tracing::warn!(%connector, %rejection, "an incoming webhook was refused");
        return Err(ApiError::new(
            ActionStatus::Unauthorized,
            "invalid_signature",
            format!("webhook refused: {rejection}"),
        ));
    }
    let json = parse(request, &body);
    if let Some(challenge) = inbound::slack_challenge(json.as_ref()) {
        return Ok(poem::web::Json(json!({ "challenge": challenge })).into_response());
    }
    let event_type = webhooks
        .event_type
        .as_ref()
        .and_then(|place| inbound::value_of(place, request.headers(), json.as_ref()));
    let connection_ids = match &webhooks.connection {
        Some(connection) => {
            match inbound::value_of(&connection.value, request.headers(), json.as_ref()) {
                Some(value) => {
                    state
                        .store
                        .ids_by_config(connector, &connection.matches, &value)
                        .await?
                }
                None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let payload =
        json.unwrap_or_else(|| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let event = Event {
        kind: EventType::WebhookReceived,
        data: json!({
            "connector": connector,
            "connection_ids": connection_ids,
            "event_type": event_type,
            "payload": payload,
        }),
    };
    let txn = state.db.begin().await.map_err(ApiError::internal)?;
    let event_id = events::record(&txn, event)
        .await
        .map_err(ApiError::internal)?;
    txn.commit().await.map_err(ApiError::internal)?;
    events::wake();
    tracing::info!(%connector, event = %event_id, ?event_type, connections = connection_ids.len(), "webhook received");
    Ok(poem::web::Json(json!({
        "event_id": event_id,
        "connection_ids": connection_ids,
    }))
    .into_response())
}

/// The body as JSON: a JSON body, or the `payload` field of a form (Slack's interactive
/// components post `payload=<json>`).
fn parse(request: &Request, body: &[u8]) -> Option<Value> {
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if form {
        let payload = url::form_urlencoded::parse(body)
            .find(|(name, _)| name == "payload")
            .map(|(_, value)| value.into_owned())?;
        return serde_json::from_str(&payload).ok();
    }
    serde_json::from_slice(body).ok()
}

/// The route's entry in the OpenAPI document: a plain poem route (its body is read raw, to
/// check the signature over the exact bytes), documented here. Providers call it, not SDKs.
pub fn path_item() -> Value {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
        })
    };
    json!({
        "post": {
            "tags": ["webhooks"],
            "operationId": "receive_webhook",
            "summary": "A provider's webhook (public: no secret key)",
            "description": "Checked as the connector's `webhooks:` block says (signature scheme, event type, connection), with the integration's `webhook_secret`; stored durably and answered at once, then forwarded to the endpoints subscribed to `webhook.received`. Slack's `url_verification` is answered with `{\"challenge\"}`, Microsoft Graph's `?validationToken=` echoed as text/plain; neither is stored.",
            "parameters": [
                { "name": "connector", "in": "path", "required": true, "schema": { "type": "string" } }
            ],
            "requestBody": { "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } },
            "responses": {
                "200": {
                    "description": "Stored; the event's id and the connections it concerns (or a handshake's answer).",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": {
                            "event_id": { "type": "string" },
                            "connection_ids": { "type": "array", "items": { "type": "string" } }
                        }
                    } } }
                },
                "401": error("`invalid_signature`: a missing or wrong signature, a timestamp out of tolerance, or no webhook secret set. Nothing is stored."),
                "404": error("`connector_not_found`, or `webhooks_not_declared` for a connector without a `webhooks:` block."),
                "413": error("The body is larger than the server's limit.")
            },
            "security": [],
            "x-internal": true
        }
    })
}
