//! What the generated poem-openapi `Api`s share: the error body, the response of an action,
//! and the hook through which a server runs calls for a connection.
//!
//! A generated action only types its input and output. Finding the connection, its credential
//! (refreshed as needed) and any base-URL override is the server's job: it implements
//! [`ActionContext`] once and hands the same [`Actions`] to every connector's `Api`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiResponse, Object, SecurityScheme};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::{ConnectorDef, Error, RawResponse};

mod strict_json;
pub use strict_json::{InvalidField, StrictJson};

/// The server's secret key, sent as `Authorization: Bearer <secret key>` on every `/v1` route.
///
/// Generated actions take it so that the document marks them as secured; checking the key
/// is the server's business (it does so before any route runs).
#[derive(SecurityScheme)]
#[oai(rename = "secret_key", ty = "bearer", bearer_format = "secret key")]
pub struct SecretKey(pub Bearer);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// The body of every error answer: `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "ErrorBody")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "ErrorDetail")]
pub struct ErrorDetail {
    /// Stable snake_case code, such as `not_found` or `upstream_error`.
    pub code: String,
    pub message: String,
    /// More about the error: the upstream status and body, the field at fault…
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<Value>,
}

/// The statuses an action answers with besides 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStatus {
    BadRequest,
    Unauthorized,
    NotFound,
    Conflict,
    PayloadTooLarge,
    TooManyRequests,
    Internal,
    BadGateway,
    GatewayTimeout,
}

/// A failed action: a status and the error body that goes with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionError {
    pub status: ActionStatus,
    pub body: ErrorBody,
}

impl ActionError {
    pub fn new(
        status: ActionStatus,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> ActionError {
        ActionError {
            status,
            body: ErrorBody {
                error: ErrorDetail {
                    code: code.into(),
                    message: message.into(),
                    details: None,
                },
            },
        }
    }

    pub fn with_details(mut self, details: Value) -> ActionError {
        self.body.error.details = Some(details);
        self
    }

    pub fn code(&self) -> &str {
        &self.body.error.code
    }
}

impl From<Error> for ActionError {
    /// Problems of the upstream provider are a 502 (504 for a timeout) carrying what it said;
    /// problems of the input are a 400.
    fn from(error: Error) -> ActionError {
        let message = error.to_string();
        match error {
            Error::InvalidInput(_) => {
                ActionError::new(ActionStatus::BadRequest, "invalid_input", message)
            }
            Error::Upstream { status, body, .. } => {
                ActionError::new(ActionStatus::BadGateway, "upstream_error", message)
                    .with_details(json!({ "status": status, "body": body_json(&body) }))
            }
            Error::RateLimited {
                retry_after, body, ..
            } => ActionError::new(
                ActionStatus::TooManyRequests,
                "upstream_rate_limited",
                message,
            )
            .with_details(json!({
                "retry_after_seconds": retry_after.map(|wait| wait.as_secs_f64().ceil() as u64),
                "body": body_json(&body),
            })),
            Error::Timeout => {
                ActionError::new(ActionStatus::GatewayTimeout, "upstream_timeout", message)
            }
            Error::Decode { body, .. } => ActionError::new(
                ActionStatus::BadGateway,
                "upstream_invalid_response",
                message,
            )
            .with_details(json!({ "body": body_json(&body) })),
            Error::Auth(_) => ActionError::new(ActionStatus::Conflict, "auth_error", message),
            _ => ActionError::new(ActionStatus::BadGateway, "upstream_unreachable", message),
        }
    }
}

/// An upstream body as JSON when it is, as text otherwise.
fn body_json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
}

/// The answer of a typed action.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ActionResponse<T: ToJSON + ParseFromJSON> {
    /// The endpoint's typed output.
    #[oai(status = 200)]
    Ok(Json<T>),
    /// The body is not JSON, or does not match the endpoint's inputs.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The secret key is missing or wrong.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// No such connection.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The connection cannot be used: it needs re-authorisation, or belongs to another connector.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The provider kept answering 429.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// The server failed (its database, its configuration); the details are in its log.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The provider answered with an error (its status and body are in `details`), or with a
    /// response that does not match the endpoint's schema.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// The provider did not answer in time.
    #[oai(status = 504)]
    GatewayTimeout(Json<ErrorBody>),
}

fn bad_request<T: ToJSON + ParseFromJSON>(error: poem::Error) -> ActionResponse<T> {
    match error.downcast_ref::<InvalidField>() {
        Some(invalid) => ActionError::from(invalid).into(),
        None => ActionError::new(
            ActionStatus::BadRequest,
            "invalid_request",
            error.to_string(),
        )
        .into(),
    }
}

impl<T: ToJSON + ParseFromJSON> From<ActionError> for ActionResponse<T> {
    fn from(error: ActionError) -> ActionResponse<T> {
        let body = Json(error.body);
        match error.status {
            ActionStatus::BadRequest => ActionResponse::BadRequest(body),
            ActionStatus::Unauthorized => ActionResponse::Unauthorized(body),
            ActionStatus::NotFound => ActionResponse::NotFound(body),
            ActionStatus::Conflict => ActionResponse::Conflict(body),
            ActionStatus::PayloadTooLarge => ActionResponse::PayloadTooLarge(body),
            ActionStatus::TooManyRequests => ActionResponse::TooManyRequests(body),
            ActionStatus::Internal => ActionResponse::Internal(body),
            ActionStatus::BadGateway => ActionResponse::BadGateway(body),
            ActionStatus::GatewayTimeout => ActionResponse::GatewayTimeout(body),
        }
    }
}

/// One call of an action, as the generated `Api` hands it to the server.
#[derive(Debug)]
pub struct ActionCall<'a> {
    pub definition: &'a Arc<ConnectorDef>,
    /// The endpoint's name in the definition.
    pub endpoint: &'a str,
    pub connection_id: &'a str,
    /// The inputs by their YAML names, as [`crate::RawClient::execute`] takes them.
    pub input: Map<String, Value>,
}

/// A boxed future, so that [`ActionContext`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a server runs the calls of typed actions.
pub trait ActionContext: Send + Sync + 'static {
    /// Runs `call` with the connection's credential and answers the provider's 2xx response,
    /// or the error to answer with (unknown connection, needs re-authorisation, upstream error…).
    fn execute<'a>(
        &'a self,
        call: ActionCall<'a>,
    ) -> BoxFuture<'a, Result<RawResponse, ActionError>>;
}

/// The [`ActionContext`] shared by every connector's `Api`.
#[derive(Clone)]
pub struct Actions {
    context: Arc<dyn ActionContext>,
}

impl Actions {
    pub fn new(context: impl ActionContext) -> Actions {
        Actions {
            context: Arc::new(context),
        }
    }

    /// Runs one action: `input` to JSON, the call through the context, the 2xx body to `O`.
    pub async fn run<I, O>(
        &self,
        definition: Arc<ConnectorDef>,
        endpoint: &str,
        connection_id: &str,
        input: &I,
    ) -> ActionResponse<O>
    where
        I: Serialize,
        O: DeserializeOwned + ToJSON + ParseFromJSON,
    {
        let input = match serde_json::to_value(input) {
            Ok(Value::Object(input)) => input,
            Ok(_) | Err(_) => {
                return ActionError::new(
                    ActionStatus::BadRequest,
                    "invalid_input",
                    "the inputs are not a JSON object",
                )
                .into();
            }
        };
        let call = ActionCall {
            definition: &definition,
            endpoint,
            connection_id,
            input,
        };
        match self.context.execute(call).await {
            Ok(response) => match response.json::<O>() {
                Ok(output) => ActionResponse::Ok(Json(output)),
                Err(error) => ActionError::from(error).into(),
            },
            Err(error) => error.into(),
        }
    }
}

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actions").finish_non_exhaustive()
    }
}
