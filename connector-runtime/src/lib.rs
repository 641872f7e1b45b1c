//! Run-time support for connectors.
//!
//! [`RawClient`] executes any endpoint of a [`ConnectorDef`] from JSON inputs: it places each
//! parameter where the definition says, injects the credential, honours the retry, timeout and
//! rate-limit settings and walks pages. The typed clients that [`connector!`] generates are thin
//! wrappers over it, and the server uses it directly for definitions loaded at run time.

pub use connector_defs::{self as defs, ConnectorDef};

pub mod attempts;
mod auth;
mod body;
pub mod cassette;
mod client;
mod download;
mod error;
pub mod headers;
pub mod jwt;
pub mod oauth;
mod pagination;
mod rate_limit;
mod request;
mod transport;

pub use auth::Auth;
pub use client::{DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, RawClient, RawRequest, RawResponse};
pub use download::Download;
pub use error::{Error, error_chain};
pub use rate_limit::RateLimiter;
/// The HTTP client crate, for [`RawClient::with_http`] and the generated `Client::with_http`.
pub use reqwest;
pub use transport::{PassthroughBody, PassthroughHttp, StreamedResponse};

#[cfg(feature = "openapi")]
pub mod openapi;
mod static_definition;
/// Generates a typed module from a connector definition; see the crate documentation.
pub use connector_macros::connector;

/// Everything generated code names, so that a user depends on this crate alone.
#[doc(hidden)]
pub mod __private {
    pub use ::connector_defs;
    pub use ::futures_core::Stream;
    pub use ::reqwest;
    pub use ::serde;
    pub use ::serde_json;
    pub use ::std;

    pub use crate::static_definition::StaticDefinition;

    #[cfg(feature = "openapi")]
    pub use ::poem;
    #[cfg(feature = "openapi")]
    pub use ::poem_openapi;
}
