//! What the generated poem-openapi `Api`s share: the error body, the response of an action,
//! and the hook through which a server runs calls for a connection.
//!
//! A generated action only types its input and output. Finding the connection, its credential
//! (refreshed as needed) and any base-URL override is the server's job: it implements
//! [`ActionContext`] once and hands the same [`Actions`] to every connector's `Api`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiResponse, Object, ResponseContent, SecurityScheme};
use serde_json::{Map, Value, json};

use crate::body::json_or_text;
use crate::{ConnectorDef, Download, Error, RawResponse};

mod download;
mod strict_json;
pub use download::DownloadResponse;
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

/// The statuses an error answers with: the one list every route's document takes.
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

impl ActionStatus {
    pub const ALL: [ActionStatus; 9] = [
        ActionStatus::BadRequest,
        ActionStatus::Unauthorized,
        ActionStatus::NotFound,
        ActionStatus::Conflict,
        ActionStatus::PayloadTooLarge,
        ActionStatus::TooManyRequests,
        ActionStatus::Internal,
        ActionStatus::BadGateway,
        ActionStatus::GatewayTimeout,
    ];

    pub fn status_code(self) -> StatusCode {
        self.documented().0
    }

    /// The HTTP status and what it means, for the document; one match, so that the compiler
    /// checks every status has both.
    fn documented(self) -> (StatusCode, &'static str) {
        match self {
            ActionStatus::BadRequest => (
                StatusCode::BAD_REQUEST,
                "The request is malformed or its values are invalid (`invalid_input` names the field).",
            ),
            ActionStatus::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "The secret key is missing or wrong.",
            ),
            ActionStatus::NotFound => (
                StatusCode::NOT_FOUND,
                "No such resource (connector, connection, integration).",
            ),
            ActionStatus::Conflict => (
                StatusCode::CONFLICT,
                "The resource exists already, or is not in a state that allows the call (`needs_reauth`, another connector's connection).",
            ),
            ActionStatus::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The body is larger than the server accepts.",
            ),
            ActionStatus::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "The provider kept answering 429.",
            ),
            ActionStatus::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server failed (its database, its configuration); the details are in its log.",
            ),
            ActionStatus::BadGateway => (
                StatusCode::BAD_GATEWAY,
                "The provider failed or answered an error (its status and body are in `details`), or an answer the server does not accept (too large, not matching the schema).",
            ),
            ActionStatus::GatewayTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "The provider did not answer in time.",
            ),
        }
    }
}

/// A failed call: a status and the error body that goes with it. The error of every route.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionError {
    pub status: ActionStatus,
    /// Boxed: errors travel in every `Result` of the server, and the body is large.
    pub body: Box<ErrorBody>,
}

impl ActionError {
    pub fn new(
        status: ActionStatus,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> ActionError {
        ActionError {
            status,
            body: Box::new(ErrorBody {
                error: ErrorDetail {
                    code: code.into(),
                    message: message.into(),
                    details: None,
                },
            }),
        }
    }

    pub fn with_details(mut self, details: Value) -> ActionError {
        self.body.error.details = Some(details);
        self
    }

    pub fn code(&self) -> &str {
        &self.body.error.code
    }

    pub fn message(&self) -> &str {
        &self.body.error.message
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> ActionError {
        ActionError::new(ActionStatus::BadRequest, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ActionError {
        ActionError::new(ActionStatus::Unauthorized, "unauthorized", message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> ActionError {
        ActionError::new(ActionStatus::NotFound, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> ActionError {
        ActionError::new(ActionStatus::Conflict, code, message)
    }

    pub fn bad_gateway(code: &str, message: impl Into<String>) -> ActionError {
        ActionError::new(ActionStatus::BadGateway, code, message)
    }

    /// A server-side failure. The cause is logged; the caller gets no internals.
    pub fn internal(cause: impl std::fmt::Display) -> ActionError {
        tracing::error!(error = %cause, "internal error");
        ActionError::new(
            ActionStatus::Internal,
            "internal_error",
            "the server failed; see its log",
        )
    }

    /// A request poem-openapi could not parse: `invalid_input` naming the field for an
    /// unknown field or a value out of bounds ([`StrictJson`]), else `invalid_request` (not
    /// JSON, a wrong type…).
    pub fn from_parse_error(error: &poem::Error) -> ActionError {
        match error.downcast_ref::<InvalidField>() {
            Some(invalid) => ActionError::from(invalid),
            None => ActionError::bad_request("invalid_request", error.to_string()),
        }
    }
}

impl ApiResponse for ActionError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: ActionStatus::ALL
                .iter()
                .map(|status| MetaResponse {
                    description: status.documented().1,
                    status: Some(status.status_code().as_u16()),
                    status_range: None,
                    content: <Json<ErrorBody> as ResponseContent>::media_types(),
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        <Json<ErrorBody> as ResponseContent>::register(registry);
    }
}

impl IntoResponse for ActionError {
    fn into_response(self) -> Response {
        Json(*self.body)
            .into_response()
            .with_status(self.status.status_code())
            .into_response()
    }
}

impl From<ActionError> for poem::Error {
    fn from(error: ActionError) -> poem::Error {
        poem::Error::from_response(error.into_response())
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.body.error.code, self.body.error.message)
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
                ActionError::new(ActionStatus::BadGateway, "upstream_error", message).with_details(
                    json!({ "status": status, "body": json_or_text(body.as_bytes()) }),
                )
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
                "body": json_or_text(body.as_bytes()),
            })),
            Error::Timeout => {
                ActionError::new(ActionStatus::GatewayTimeout, "upstream_timeout", message)
            }
            Error::Decode { body, .. } => ActionError::new(
                ActionStatus::BadGateway,
                "upstream_invalid_response",
                message,
            )
            .with_details(json!({ "body": json_or_text(body.as_bytes()) })),
            Error::Auth(_) => ActionError::new(ActionStatus::Conflict, "auth_error", message),
            Error::ResponseTooLarge { .. } => {
                ActionError::new(ActionStatus::BadGateway, "response_too_large", message)
            }
            _ => ActionError::new(ActionStatus::BadGateway, "upstream_unreachable", message),
        }
    }
}

/// The answer of a typed action: the endpoint's typed output, or an error.
#[derive(Debug)]
pub enum ActionResponse<T> {
    Ok(Json<T>),
    Err(ActionError),
}

impl<T: ToJSON + ParseFromJSON> ApiResponse for ActionResponse<T> {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut meta = MetaResponses {
            responses: vec![MetaResponse {
                description: "The endpoint's typed output.",
                status: Some(200),
                status_range: None,
                content: <Json<T> as ResponseContent>::media_types(),
                headers: vec![],
            }],
        };
        meta.responses.extend(ActionError::meta().responses);
        meta
    }

    fn register(registry: &mut Registry) {
        <Json<T> as ResponseContent>::register(registry);
        ActionError::register(registry);
    }

    fn from_parse_request_error(error: poem::Error) -> Self {
        ActionResponse::Err(ActionError::from_parse_error(&error))
    }
}

impl<T: ToJSON + ParseFromJSON> IntoResponse for ActionResponse<T> {
    fn into_response(self) -> Response {
        match self {
            ActionResponse::Ok(output) => output.into_response(),
            ActionResponse::Err(error) => error.into_response(),
        }
    }
}

impl<T> From<ActionError> for ActionResponse<T> {
    fn from(error: ActionError) -> ActionResponse<T> {
        ActionResponse::Err(error)
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

    /// Runs the `call` of a binary endpoint and answers its 2xx response unread.
    fn download<'a>(&'a self, call: ActionCall<'a>)
    -> BoxFuture<'a, Result<Download, ActionError>>;
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
        I: ToJSON,
        O: ToJSON + ParseFromJSON,
    {
        let call = match action_call(&definition, endpoint, connection_id, input) {
            Ok(call) => call,
            Err(error) => return error.into(),
        };
        match self.context.execute(call).await {
            Ok(response) => match decode::<O>(&response) {
                Ok(output) => ActionResponse::Ok(Json(output)),
                Err(error) => ActionError::from(error).into(),
            },
            Err(error) => error.into(),
        }
    }

    /// Runs one binary action: `input` to JSON, the call through the context, the 2xx body
    /// streamed to the caller as the provider sends it.
    pub async fn download<I: ToJSON>(
        &self,
        definition: Arc<ConnectorDef>,
        endpoint: &str,
        connection_id: &str,
        input: &I,
    ) -> DownloadResponse {
        let call = match action_call(&definition, endpoint, connection_id, input) {
            Ok(call) => call,
            Err(error) => return DownloadResponse::Err(error),
        };
        match self.context.download(call).await {
            Ok(download) => DownloadResponse::Ok(download),
            Err(error) => DownloadResponse::Err(error),
        }
    }
}

// Actions convert through the poem-openapi traits their types implement anyway (`ToJSON`,
// `ParseFromJSON`), not through serde: serde's generic impls would be compiled once more for
// every input and output type of every connector, a large share of a release build.

/// The call of an action, its inputs by their YAML names.
fn action_call<'a, I: ToJSON>(
    definition: &'a Arc<ConnectorDef>,
    endpoint: &'a str,
    connection_id: &'a str,
    input: &I,
) -> Result<ActionCall<'a>, ActionError> {
    let Some(Value::Object(input)) = input.to_json() else {
        return Err(ActionError::new(
            ActionStatus::BadRequest,
            "invalid_input",
            "the inputs are not a JSON object",
        ));
    };
    Ok(ActionCall {
        definition,
        endpoint,
        connection_id,
        input,
    })
}

/// A 2xx body as the endpoint's typed output; an empty body is JSON `null` (a 204).
fn decode<O: ParseFromJSON>(response: &RawResponse) -> Result<O, Error> {
    let value = response.json::<Value>()?;
    O::parse_from_json(Some(value)).map_err(|error| Error::Decode {
        message: error.into_message(),
        body: response.text(),
    })
}

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actions").finish_non_exhaustive()
    }
}
