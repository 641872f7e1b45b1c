//! The REST API in poem-openapi: one module per resource, plus the typed actions that the
//! `connector!` modules generate.

pub mod actions;
pub mod connect;
pub mod connections;
pub mod connectors;
mod credentials;
pub mod envelope;
pub mod incoming;
pub mod integrations;
pub mod logs;
pub mod oauth;
pub mod webhooks;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use connector_runtime::ConnectorDef;
use poem_openapi::{OpenApiService, ServerObject, Tags};

use crate::error::{ApiError, ApiResult};
use crate::registry;
use crate::state::AppState;

#[derive(Tags)]
pub enum Tag {
    /// The connectors the server has loaded.
    #[oai(rename = "connectors")]
    Connectors,
    /// OAuth apps (client id and secret) and URL overrides per connector.
    #[oai(rename = "integrations")]
    Integrations,
    /// The OAuth 2.0 authorization-code flow.
    #[oai(rename = "oauth")]
    Oauth,
    /// End users' accounts at providers, and their tokens.
    #[oai(rename = "connections")]
    Connections,
    /// The platform's events sent to your endpoints, signed, retried, and never lost.
    #[oai(rename = "webhooks")]
    Webhooks,
    /// Every provider call, token refresh and webhook delivery, as it happened.
    #[oai(rename = "logs")]
    Logs,
}

pub type Apis = (
    connectors::ConnectorsApi,
    integrations::IntegrationsApi,
    oauth::OAuthApi,
    connections::ConnectionsApi,
    connect::ConnectApi,
    envelope::EnvelopeApi,
    webhooks::WebhooksApi,
    logs::LogsApi,
    registry::TypedApis,
);

/// Every route of the document, bound to `state`.
pub fn service(state: Arc<AppState>) -> OpenApiService<Apis, ()> {
    let actions = actions::actions(state.clone());
    let apis = (
        connectors::ConnectorsApi(state.clone()),
        integrations::IntegrationsApi(state.clone()),
        oauth::OAuthApi(state.clone()),
        connections::ConnectionsApi(state.clone()),
        connect::ConnectApi(state.clone()),
        envelope::EnvelopeApi(state.clone()),
        webhooks::WebhooksApi(state.clone()),
        logs::LogsApi(state),
        registry::typed_apis(actions),
    );
    OpenApiService::new(apis, "Connector Platform", env!("CARGO_PKG_VERSION"))
        .server(ServerObject::new("http://127.0.0.1:8080").description("`connector serve` with its default CONNECTOR_BIND"))
        .description(
            "Typed, self-hostable API connectors: OAuth 2.0 flows, encrypted token storage, an authenticated proxy and typed actions per connector. Every /v1 route needs `Authorization: Bearer <secret key>`. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        )
}

const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 200;

/// A list's page size: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
pub fn page_limit(limit: Option<u64>) -> ApiResult<usize> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(limit) if (1..=MAX_PAGE as u64).contains(&limit) => Ok(limit as usize),
        Some(_) => Err(ApiError::bad_request(
            "invalid_input",
            format!("limit must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// A list's `next_cursor`: the last key of the page, opaque to the caller.
pub fn encode_cursor(last_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_key.as_bytes())
}

/// The key a `cursor` of [`encode_cursor`] holds; 400 `invalid_cursor` for any other text.
pub fn decode_cursor(cursor: Option<&str>) -> ApiResult<Option<String>> {
    cursor
        .map(|cursor| {
            URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_cursor", "cursor is not one this server gave")
                })
        })
        .transpose()
}

/// 400 unless `url` is an absolute http(s) URL.
pub fn check_url(field: &str, url: &str) -> ApiResult<()> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        _ => Err(ApiError::bad_request(
            "invalid_input",
            format!("{field} `{url}` is not an absolute http(s) URL"),
        )),
    }
}

/// 400 unless `id` is 1 to 128 letters, digits, `_`, `-` or `.`.
pub fn check_connection_id(id: &str) -> ApiResult<&str> {
    let valid = (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(id)
    } else {
        Err(ApiError::bad_request(
            "invalid_input",
            "connection_id must be 1 to 128 letters, digits, `_`, `-` or `.`",
        ))
    }
}

/// Checks connection_config against the definition's fields (known names, required ones,
/// each value against its `pattern`) and fills in defaults.
pub fn check_connection_config(
    def: &ConnectorDef,
    mut config: BTreeMap<String, String>,
) -> ApiResult<BTreeMap<String, String>> {
    if let Some(unknown) = config
        .keys()
        .find(|key| !def.connection_config.contains_key(*key))
    {
        let known: Vec<&str> = def.connection_config.keys().map(String::as_str).collect();
        return Err(ApiError::bad_request(
            "invalid_input",
            format!(
                "connector `{}` has no connection_config field `{unknown}` (it has: {})",
                def.name,
                known.join(", ")
            ),
        ));
    }
    if let Some(kept) = config
        .keys()
        .find(|name| def.auth.keeps_from_token_response(name))
    {
        let field = format!("connection_config.{kept}");
        return Err(ApiError::bad_request(
            "invalid_input",
            format!("{field} is set from the provider's token response, not by the caller"),
        )
        .with_details(serde_json::json!({ "field": field })));
    }
    for (name, field) in &def.connection_config {
        if def.auth.keeps_from_token_response(name) {
            continue;
        }
        if let Some(value) = config.get(name) {
            field.check(value).map_err(|reason| {
                let field = format!("connection_config.{name}");
                ApiError::bad_request("invalid_input", format!("{field} {reason}"))
                    .with_details(serde_json::json!({ "field": field }))
            })?;
            continue;
        }
        match &field.default {
            Some(default) => {
                config.insert(name.clone(), default.clone());
            }
            None if field.required => {
                return Err(ApiError::bad_request(
                    "invalid_input",
                    format!("connector `{}` needs connection_config.{name}", def.name),
                ));
            }
            None => {}
        }
    }
    Ok(config)
}

/// A 401 unless the request carries `Authorization: Bearer <a secret key>`.
pub fn require_secret_key(
    state: &AppState,
    headers: &poem::http::HeaderMap,
) -> Result<(), ApiError> {
    let key = headers
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim);
    match key {
        None => Err(ApiError::unauthorized(
            "send `Authorization: Bearer <secret key>`",
        )),
        Some(key) if !state.accepts_key(key) => {
            Err(ApiError::unauthorized("the secret key is not valid"))
        }
        Some(_) => Ok(()),
    }
}
