//! The error answer of every route: `{"error": {"code", "message", "details"}}` with a fitting
//! status. Input problems are 4xx; a 5xx means the server or the provider failed.

use connector_runtime::openapi::{ActionError, ActionStatus, ErrorBody, ErrorDetail};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use serde_json::Value;

/// Every error a route answers with, one variant per status, so the spec lists them.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or its values are invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The secret key is missing or wrong.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// No such resource.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The resource exists already, or is not in a state that allows the call
    /// (`needs_reauth`).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The provider kept answering 429.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// The server failed (database, configuration).
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The provider failed or answered an error.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// The provider did not answer in time.
    #[oai(status = 504)]
    GatewayTimeout(Json<ErrorBody>),
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn body_of(code: &str, message: impl Into<String>, details: Option<Value>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.into(),
            details,
        },
    })
}

impl ApiError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(body_of(code, message, None))
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::Unauthorized(body_of("unauthorized", message, None))
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound(body_of(code, message, None))
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict(body_of(code, message, None))
    }

    pub fn bad_gateway(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadGateway(body_of(code, message, None))
    }

    /// A server-side failure. The cause is logged; the caller gets no internals.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::Internal(body_of(
            "internal_error",
            "the server failed; see its log",
            None,
        ))
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.body_mut().error.details = Some(details);
        self
    }

    fn body_mut(&mut self) -> &mut ErrorBody {
        match self {
            ApiError::BadRequest(Json(body))
            | ApiError::Unauthorized(Json(body))
            | ApiError::NotFound(Json(body))
            | ApiError::Conflict(Json(body))
            | ApiError::PayloadTooLarge(Json(body))
            | ApiError::TooManyRequests(Json(body))
            | ApiError::Internal(Json(body))
            | ApiError::BadGateway(Json(body))
            | ApiError::GatewayTimeout(Json(body)) => body,
        }
    }

    pub fn code(&mut self) -> &str {
        &self.body_mut().error.code
    }

    /// The message, for errors that are reported elsewhere (a callback page, a refresh).
    pub fn message(mut self) -> String {
        std::mem::take(&mut self.body_mut().error.message)
    }

    /// The same error as a typed action answers it.
    pub fn into_action_error(self) -> ActionError {
        let status = match &self {
            ApiError::BadRequest(_) => ActionStatus::BadRequest,
            ApiError::PayloadTooLarge(_) => ActionStatus::PayloadTooLarge,
            ApiError::Unauthorized(_) => ActionStatus::Unauthorized,
            ApiError::NotFound(_) => ActionStatus::NotFound,
            ApiError::Conflict(_) => ActionStatus::Conflict,
            ApiError::TooManyRequests(_) => ActionStatus::TooManyRequests,
            ApiError::GatewayTimeout(_) => ActionStatus::GatewayTimeout,
            ApiError::Internal(_) => ActionStatus::Internal,
            ApiError::BadGateway(_) => ActionStatus::BadGateway,
        };
        let mut error = self;
        ActionError {
            status,
            body: error.body_mut().clone(),
        }
    }
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> ApiError {
        let body = Json(error.body);
        match error.status {
            ActionStatus::BadRequest => ApiError::BadRequest(body),
            ActionStatus::Unauthorized => ApiError::Unauthorized(body),
            ActionStatus::NotFound => ApiError::NotFound(body),
            ActionStatus::Conflict => ApiError::Conflict(body),
            ActionStatus::PayloadTooLarge => ApiError::PayloadTooLarge(body),
            ActionStatus::TooManyRequests => ApiError::TooManyRequests(body),
            ActionStatus::Internal => ApiError::Internal(body),
            ActionStatus::BadGateway => ApiError::BadGateway(body),
            ActionStatus::GatewayTimeout => ApiError::GatewayTimeout(body),
        }
    }
}

/// Provider failures map as typed actions map them (502 with the upstream status, 504…).
impl From<connector_runtime::Error> for ApiError {
    fn from(error: connector_runtime::Error) -> ApiError {
        ActionError::from(error).into()
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> ApiError {
        ApiError::internal(format!("database: {error}"))
    }
}

impl From<crate::crypto::CryptoError> for ApiError {
    fn from(error: crate::crypto::CryptoError) -> ApiError {
        ApiError::internal(error)
    }
}

/// Turns any error that reached the top (a body poem-openapi could not parse, an unknown
/// route, a wrong method…) into the JSON error body. Errors that already carry a JSON
/// body (every `ApiError`) pass unchanged.
pub async fn render_any_error(error: poem::Error) -> Response {
    let status = error.status();
    let message = error.to_string();
    let response = error.into_response();
    let is_json = response
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        status if status.is_client_error() => "invalid_request",
        _ => "internal_error",
    };
    let message = if status.is_server_error() {
        tracing::error!(error = %message, "internal error");
        "the server failed; see its log".to_owned()
    } else {
        message
    };
    poem::web::Json(serde_json::json!({ "error": { "code": code, "message": message } }))
        .with_status(status)
        .into_response()
}
