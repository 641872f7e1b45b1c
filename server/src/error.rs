//! The error answer of every route: `{"error": {"code", "message", "details"}}` with a fitting
//! status. Input problems are 4xx; a 5xx means the server or the provider failed.
//!
//! Routes and typed actions share one error type, the runtime's [`ActionError`], whose
//! statuses are listed once (`ActionStatus::ALL`). This module decides what status and code
//! each domain error (store, integrations, refresh, runtime) gets.

use connector_runtime::oauth::OAuthError;
use connector_runtime::openapi::{ActionError, ActionStatus};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use serde_json::json;

use crate::integrations::IntegrationError;
use crate::refresh::RefreshError;
use crate::store::StoreError;

/// Every error a route answers with.
pub type ApiError = ActionError;

pub type ApiResult<T> = Result<T, ApiError>;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound(id) => connection_not_found(&id),
            StoreError::Taken(id) => ApiError::conflict(
                "connection_exists",
                format!("connection id `{id}` is taken"),
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<IntegrationError> for ApiError {
    fn from(error: IntegrationError) -> ApiError {
        match error {
            IntegrationError::Missing(_) => {
                ApiError::bad_request("integration_missing", error.to_string())
            }
            IntegrationError::Invalid(message) => {
                ApiError::bad_request("integration_invalid", message)
            }
            IntegrationError::TokenRequest(OAuthError::ResponseTooLarge { .. }) => {
                ApiError::bad_gateway("response_too_large", error.to_string())
            }
            IntegrationError::TokenRequest(_) => {
                ApiError::bad_gateway("token_request_failed", error.to_string())
            }
            IntegrationError::Store(error) => error.into(),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(error: RefreshError) -> ApiError {
        let message = error.to_string();
        match error {
            RefreshError::NeedsReauth { reason, .. } => {
                let error = ApiError::conflict("needs_reauth", message);
                match reason {
                    Some(reason) => error.with_details(json!({ "reason": reason })),
                    None => error,
                }
            }
            RefreshError::NotOauth2(_) => ApiError::bad_request("not_oauth2", message),
            RefreshError::Integration(_) => ApiError::bad_request("integration_invalid", message),
            RefreshError::TokenEndpoint(_) => {
                ApiError::bad_gateway("token_refresh_failed", message)
            }
            RefreshError::TooLarge(_) => ApiError::bad_gateway("response_too_large", message),
            RefreshError::Pending(_) => ApiError::new(
                ActionStatus::GatewayTimeout,
                "token_refresh_pending",
                message,
            ),
            RefreshError::Store(error) => match &*error {
                StoreError::NotFound(id) => connection_not_found(id),
                other => ApiError::internal(other),
            },
        }
    }
}

pub fn connection_not_found(id: &str) -> ApiError {
    ApiError::not_found("connection_not_found", format!("no connection `{id}`"))
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
