//! The error type of every call.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::body::ReadError;

/// Why a call failed.
///
/// `Display` never includes response bodies or credentials, so an error can be logged as it
/// is; the provider's body is in the `body` fields for callers that want to show it.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider answered with a status outside 2xx (after the retries the definition
    /// allows).
    #[error("the provider answered HTTP {status}")]
    Upstream {
        status: u16,
        /// The response body, decoded as UTF-8 (lossily).
        body: String,
        /// The response headers.
        headers: HeaderMap,
    },
    /// The provider still answered 429 after the retries, or asked to wait (`Retry-After`)
    /// longer than the definition's `max_backoff_ms`.
    #[error("{}", rate_limited_message(.retry_after))]
    RateLimited {
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
        body: String,
    },
    /// No complete response within the definition's `timeout_ms` (default 30 s).
    #[error("the request timed out")]
    Timeout,
    /// A 2xx body that does not match the expected response type.
    #[error("the provider's response does not match the expected type: {message}")]
    Decode { message: String, body: String },
    /// A missing credential, one of the wrong kind, or an OAuth 2.0 failure.
    #[error("authentication: {0}")]
    Auth(String),
    /// An unknown endpoint or parameter, a missing required parameter, a value of the wrong
    /// type or one that cannot be sent where the definition puts it.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The request could not be sent or its response not read (connection refused, DNS, TLS…),
    /// after the retries the definition allows.
    #[error("transport error: {0}")]
    Transport(String),
    /// The provider's body is larger than the client's limit
    /// ([`RawClient::with_max_response_bytes`](crate::RawClient::with_max_response_bytes)); the
    /// rest of it was not read.
    #[error("the provider's response is larger than {limit} bytes")]
    ResponseTooLarge { limit: usize },
}

fn rate_limited_message(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(
            "rate limited by the provider (it asks to retry after {:.1} s)",
            wait.as_secs_f64()
        ),
        None => "rate limited by the provider".to_owned(),
    }
}

/// An error's message followed by its causes' messages, on one line (`a: b: c`): HTTP
/// clients keep the useful part (a refused connection, a TLS failure) in the causes.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

impl Error {
    /// The provider's HTTP status, for [`Error::Upstream`] and [`Error::RateLimited`] (429).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Upstream { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The provider's response body, when the error carries one.
    pub fn body(&self) -> Option<&str> {
        match self {
            Error::Upstream { body, .. }
            | Error::RateLimited { body, .. }
            | Error::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Maps a reqwest error; the URL is dropped from the message since its query may hold an
    /// API key.
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Error {
        if error.is_timeout() {
            return Error::Timeout;
        }
        Error::transport(&error.without_url())
    }

    /// A transport error with its causes on one line (the caller drops any URL first: its
    /// query may hold an API key).
    pub(crate) fn transport(error: &(dyn std::error::Error + 'static)) -> Error {
        Error::Transport(error_chain(error))
    }

    /// Maps a failed capped read of a body of at most `limit` bytes.
    pub(crate) fn from_read(error: ReadError, limit: usize) -> Error {
        match error {
            ReadError::TooLarge => Error::ResponseTooLarge { limit },
            ReadError::Transport(error) => Error::from_reqwest(error),
        }
    }
}
