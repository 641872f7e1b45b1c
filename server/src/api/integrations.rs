//! `PUT|GET|DELETE /v1/integrations/{connector}`: a connector's OAuth app and overrides.

use chrono::{DateTime, Utc};
use connector_defs::AuthKind;
use connector_runtime::jwt::SigningKey;
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::{Tag, check_url};
use crate::error::{ApiError, ApiResult};
use crate::integrations::{self, NewIntegration};
use crate::state::{AppState, SharedState};

/// A connector's OAuth app. The client secret and the private key are stored encrypted and
/// never returned.
#[derive(Debug, Clone, Object)]
pub struct IntegrationInput {
    /// Required for OAuth 2.0 connectors; the app id (the JWT's `iss`) for `app_jwt`.
    pub client_id: Option<String>,
    /// Empty or absent for a public client.
    pub client_secret: Option<String>,
    /// Replaces the definition's default scopes.
    pub scopes: Option<Vec<String>>,
    /// Replaces the definition's base URL (a sandbox, a mock) for the proxy and typed actions.
    pub base_url: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    /// app_jwt (required there): the app's RSA private key in PEM (PKCS#8 or PKCS#1), which
    /// signs the app JWTs (RS256) that mint installation tokens.
    pub private_key: Option<String>,
    /// The secret the provider signs its webhooks with (the connector's `webhooks:` block
    /// says how), checked on `POST /webhooks/{connector}`. Accepted for every auth kind.
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct Integration {
    pub connector: String,
    pub client_id: String,
    #[oai(skip_serializing_if_is_none)]
    pub scopes: Option<Vec<String>>,
    #[oai(skip_serializing_if_is_none)]
    pub base_url: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub authorization_url: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub token_url: Option<String>,
    pub source: IntegrationSource,
    /// Whether a webhook secret is set (it is never returned).
    pub has_webhook_secret: bool,
    #[oai(skip_serializing_if_is_none)]
    pub created_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Where an integration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum IntegrationSource {
    /// Stored with `PUT /v1/integrations/{connector}`.
    Api,
    /// `{NAME}_CLIENT_ID` and `{NAME}_CLIENT_SECRET` of the server's environment.
    Environment,
}

impl From<integrations::IntegrationSource> for IntegrationSource {
    fn from(source: integrations::IntegrationSource) -> IntegrationSource {
        match source {
            integrations::IntegrationSource::Api => IntegrationSource::Api,
            integrations::IntegrationSource::Environment => IntegrationSource::Environment,
        }
    }
}

#[derive(ApiResponse)]
enum Deleted {
    /// Removed.
    #[oai(status = 204)]
    NoContent,
}

pub struct IntegrationsApi(pub SharedState);

#[OpenApi(tag = "Tag::Integrations")]
impl IntegrationsApi {
    /// Creates or replaces the OAuth app of a connector.
    #[oai(
        path = "/v1/integrations/:connector",
        method = "put",
        operation_id = "put_integration"
    )]
    async fn put(
        &self,
        _key: SecretKey,
        connector: Path<String>,
        input: StrictJson<IntegrationInput>,
    ) -> ApiResult<Json<Integration>> {
        let StrictJson(input) = input;
        put_integration(&self.0, &connector, input).await?;
        self.read(&connector).await.map(Json)
    }

    /// The OAuth app of a connector, stored or from the environment; never the secret.
    #[oai(
        path = "/v1/integrations/:connector",
        method = "get",
        operation_id = "get_integration"
    )]
    async fn get(&self, _key: SecretKey, connector: Path<String>) -> ApiResult<Json<Integration>> {
        self.0.connector(&connector)?;
        self.read(&connector).await.map(Json)
    }

    /// Removes the stored OAuth app (the environment's, if any, serves again).
    #[oai(
        path = "/v1/integrations/:connector",
        method = "delete",
        operation_id = "delete_integration"
    )]
    async fn delete(&self, _key: SecretKey, connector: Path<String>) -> ApiResult<Deleted> {
        self.0.connector(&connector)?;
        if !self.0.integrations.delete(&connector).await? {
            return Err(integration_not_found(&connector));
        }
        Ok(Deleted::NoContent)
    }
}

impl IntegrationsApi {
    async fn read(&self, connector: &str) -> ApiResult<Integration> {
        let resolved = self
            .0
            .integrations
            .get(connector)
            .await?
            .ok_or_else(|| integration_not_found(connector))?;
        Ok(Integration {
            connector: connector.to_owned(),
            client_id: resolved.client_id.clone(),
            scopes: resolved.scopes.clone(),
            base_url: resolved.base_url.clone(),
            authorization_url: resolved.authorization_url.clone(),
            token_url: resolved.token_url.clone(),
            source: resolved.source.into(),
            has_webhook_secret: resolved.webhook_secret.is_some(),
            created_at: resolved.created_at,
            updated_at: resolved.updated_at,
        })
    }
}

fn integration_not_found(connector: &str) -> ApiError {
    ApiError::not_found(
        "integration_not_found",
        format!("connector `{connector}` has no integration (PUT /v1/integrations/{connector})"),
    )
}

/// Checks and stores a connector's integration (`PUT /v1/integrations/{connector}`, the
/// dashboard).
pub async fn put_integration(
    state: &AppState,
    connector: &str,
    input: IntegrationInput,
) -> ApiResult<()> {
    let entry = state.connector(connector)?;
    let kind = entry.def.auth.kind;
    let client_id = input.client_id.clone().unwrap_or_default();
    if kind.is_oauth2() && client_id.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_input",
            "client_id is required for an OAuth 2.0 connector",
        ));
    }
    if kind == AuthKind::AppJwt {
        if client_id.trim().is_empty() || input.private_key.is_none() {
            return Err(ApiError::bad_request(
                "invalid_input",
                "client_id (the app id) and private_key are required for an app_jwt connector",
            ));
        }
    } else if input.private_key.is_some() {
        return Err(ApiError::bad_request(
            "invalid_input",
            format!(
                "private_key applies to app_jwt connectors only, not `{}`",
                kind.as_str()
            ),
        ));
    }
    if let Some(pem) = &input.private_key {
        SigningKey::from_pem(pem).map_err(|error| {
            ApiError::bad_request("invalid_input", format!("private_key: {error}"))
        })?;
    }
    for (field, url) in [
        ("base_url", &input.base_url),
        ("authorization_url", &input.authorization_url),
        ("token_url", &input.token_url),
    ] {
        if let Some(url) = url {
            check_url(field, url)?;
        }
    }
    state
        .integrations
        .save(
            connector,
            NewIntegration {
                client_id,
                client_secret: input.client_secret.unwrap_or_default(),
                scopes: input.scopes,
                base_url: input.base_url,
                authorization_url: input.authorization_url,
                token_url: input.token_url,
                private_key: input.private_key,
                webhook_secret: input.webhook_secret.filter(|secret| !secret.is_empty()),
            },
        )
        .await?;
    Ok(())
}
