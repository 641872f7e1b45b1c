//! Integrations: each connector's OAuth app (client id and secret; an app's private key for
//! `app_jwt`) and URL overrides, stored through the API or read from the environment, and the
//! [`OAuthApp`] built from them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_defs::AuthKind;
use connector_runtime::jwt::SigningKey;
use connector_runtime::oauth::{OAuthApp, OAuthError, ServiceAccount, TokenSet};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::cache::TtlCache;
use crate::crypto::Cipher;
use crate::db::entities::integration;
use crate::registry::Entry;
use crate::store::{ClientCredentials, StoreError};

/// How long a token endpoint may take to answer. A refresh lease outlives it (see `refresh`).
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Where an integration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationSource {
    /// Stored with `PUT /v1/integrations/{connector}`.
    Api,
    /// `{NAME}_CLIENT_ID` and `{NAME}_CLIENT_SECRET` of the server's environment.
    Environment,
}

/// A connector's OAuth app and overrides.
#[derive(Clone)]
pub struct Integration {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Option<Vec<String>>,
    pub base_url: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    /// The app's private key in PEM (auth kind `app_jwt`).
    pub private_key: Option<String>,
    /// The secret the provider signs its webhooks with (`POST /webhooks/{connector}`).
    pub webhook_secret: Option<String>,
    pub source: IntegrationSource,
    /// When it was stored and last replaced (stored integrations only).
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integration")
            .field("client_id", &self.client_id)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What `PUT /v1/integrations/{connector}` stores.
#[derive(Debug, Clone, Default)]
pub struct NewIntegration {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Option<Vec<String>>,
    pub base_url: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    /// Checked by the caller ([`SigningKey::from_pem`]).
    pub private_key: Option<String>,
    pub webhook_secret: Option<String>,
}

/// Why no OAuth app could be built.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    /// Neither stored nor in the environment.
    #[error(
        "connector `{0}` has no OAuth app: PUT /v1/integrations/{0} with client_id and client_secret, or set {upper}_CLIENT_ID and {upper}_CLIENT_SECRET",
        upper = .0.to_uppercase()
    )]
    Missing(String),
    /// The connector does not use OAuth 2.0, or the app lacks a URL the flow needs.
    #[error("{0}")]
    Invalid(String),
    /// The token endpoint refused or failed a client-credentials request.
    #[error("the token request failed: {0}")]
    TokenRequest(OAuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The integrations of every connector, cached for `ttl`; writes through this process
/// invalidate at once.
pub struct Integrations {
    db: DatabaseConnection,
    cipher: Cipher,
    cache: TtlCache<Option<Arc<Integration>>>,
    /// Where providers send users back: `{public_url}/oauth/callback`.
    redirect_url: String,
    /// For token requests: redirects are not followed, and a request may take
    /// [`TOKEN_TIMEOUT`].
    token_http: reqwest::Client,
    /// The largest token endpoint answer read.
    max_token_response_bytes: usize,
}

/// Binds a sealed client secret to its integration.
fn integration_aad(connector: &str) -> String {
    format!("integration:{connector}")
}

/// Binds a sealed app private key to its integration (not interchangeable with the secret).
fn private_key_aad(connector: &str) -> String {
    format!("integration-private-key:{connector}")
}

/// Binds a sealed webhook secret to its integration.
fn webhook_secret_aad(connector: &str) -> String {
    format!("integration-webhook-secret:{connector}")
}

impl Integrations {
    pub fn new(
        db: DatabaseConnection,
        cipher: Cipher,
        ttl: Duration,
        redirect_url: String,
        token_http: reqwest::Client,
        max_token_response_bytes: usize,
    ) -> Integrations {
        Integrations {
            db,
            cipher,
            cache: TtlCache::new(ttl),
            redirect_url,
            token_http,
            max_token_response_bytes,
        }
    }

    pub fn redirect_url(&self) -> &str {
        &self.redirect_url
    }

    /// The integration of a connector: the stored one, else `{NAME}_CLIENT_ID` and
    /// `{NAME}_CLIENT_SECRET` (with `{NAME}_BASE_URL`, `_AUTHORIZATION_URL`, `_TOKEN_URL`,
    /// `_SCOPES`) from the environment.
    /// The connectors with a stored integration, and when each was last saved, by name.
    pub async fn list_stored(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        use sea_orm::{EntityTrait, QueryOrder};
        Ok(integration::Entity::find()
            .order_by_asc(integration::Column::Connector)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.connector, row.updated_at))
            .collect())
    }

    pub async fn get(&self, connector: &str) -> Result<Option<Arc<Integration>>, StoreError> {
        if let Some(cached) = self.cache.get(connector) {
            return Ok(cached);
        }
        let version = self.cache.version();
        let found = match integration::Entity::find_by_id(connector)
            .one(&self.db)
            .await?
        {
            Some(row) => {
                let secret = self
                    .cipher
                    .open(&row.client_secret, &integration_aad(connector))?;
                let private_key = row
                    .private_key
                    .as_ref()
                    .map(|sealed| self.cipher.open(sealed, &private_key_aad(connector)))
                    .transpose()?
                    .map(|key| String::from_utf8_lossy(&key).into_owned());
                let webhook_secret = row
                    .webhook_secret
                    .as_ref()
                    .map(|sealed| self.cipher.open(sealed, &webhook_secret_aad(connector)))
                    .transpose()?
                    .map(|secret| String::from_utf8_lossy(&secret).into_owned());
                Some(Arc::new(Integration {
                    client_id: row.client_id,
                    client_secret: String::from_utf8_lossy(&secret).into_owned(),
                    scopes: row
                        .scopes
                        .and_then(|scopes| serde_json::from_value(scopes).ok()),
                    base_url: row.base_url,
                    authorization_url: row.authorization_url,
                    token_url: row.token_url,
                    private_key,
                    webhook_secret,
                    source: IntegrationSource::Api,
                    created_at: Some(row.created_at),
                    updated_at: Some(row.updated_at),
                }))
            }
            None => from_env(connector).map(Arc::new),
        };
        self.cache
            .put_unless_changed(connector, found.clone(), version);
        Ok(found)
    }

    /// Creates or replaces the stored integration of a connector.
    pub async fn save(&self, connector: &str, new: NewIntegration) -> Result<(), StoreError> {
        let now = Utc::now();
        let row = integration::ActiveModel {
            connector: Set(connector.to_owned()),
            client_id: Set(new.client_id),
            client_secret: Set(self
                .cipher
                .seal(new.client_secret.as_bytes(), &integration_aad(connector))),
            scopes: Set(new.scopes.map(|scopes| serde_json::json!(scopes))),
            base_url: Set(new.base_url),
            authorization_url: Set(new.authorization_url),
            token_url: Set(new.token_url),
            private_key: Set(new.private_key.map(|key| {
                self.cipher
                    .seal(key.as_bytes(), &private_key_aad(connector))
            })),
            webhook_secret: Set(new.webhook_secret.map(|secret| {
                self.cipher
                    .seal(secret.as_bytes(), &webhook_secret_aad(connector))
            })),
            created_at: Set(now),
            updated_at: Set(now),
        };
        integration::Entity::insert(row)
            .on_conflict(
                OnConflict::column(integration::Column::Connector)
                    .update_columns([
                        integration::Column::ClientId,
                        integration::Column::ClientSecret,
                        integration::Column::Scopes,
                        integration::Column::BaseUrl,
                        integration::Column::AuthorizationUrl,
                        integration::Column::TokenUrl,
                        integration::Column::PrivateKey,
                        integration::Column::WebhookSecret,
                        integration::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        self.cache.forget(connector);
        Ok(())
    }

    /// Drops the cached integration of `connector` (another process changed it).
    pub fn forget(&self, connector: &str) {
        self.cache.forget(connector);
    }

    pub fn forget_all(&self) {
        self.cache.forget_all();
    }

    /// Removes the stored integration; answers whether there was one.
    pub async fn delete(&self, connector: &str) -> Result<bool, StoreError> {
        let result = integration::Entity::delete_by_id(connector)
            .exec(&self.db)
            .await?;
        self.cache.forget(connector);
        Ok(result.rows_affected == 1)
    }

    /// The OAuth app of a connector, with its overrides, the redirect URI and the token
    /// client.
    /// `connection_config` fills the `{connection_config.NAME}` placeholders of its URLs.
    pub async fn oauth_app(
        &self,
        entry: &Entry,
        connection_config: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(OAuthApp, Arc<Integration>), IntegrationError> {
        let name = &entry.def.name;
        let integration = self
            .get(name)
            .await?
            .ok_or_else(|| IntegrationError::Missing(name.clone()))?;
        let app = self.app(
            entry,
            connection_config,
            (&integration.client_id, &integration.client_secret),
            Some(&integration),
        )?;
        Ok((app, integration))
    }

    /// The app that fetches a connection's tokens: with the connection's own OAuth client
    /// when it brings one (the integration, if any, still overrides URLs and scopes), else
    /// the integration's.
    pub async fn token_app(
        &self,
        entry: &Entry,
        connection_config: impl IntoIterator<Item = (String, String)>,
        client: Option<&ClientCredentials>,
    ) -> Result<OAuthApp, IntegrationError> {
        let Some(client) = client else {
            return Ok(self.oauth_app(entry, connection_config).await?.0);
        };
        let integration = self.get(&entry.def.name).await?;
        self.app(
            entry,
            connection_config,
            (&client.client_id, &client.client_secret),
            integration.as_deref(),
        )
    }

    /// The app of `client` (id, secret), with the overrides of `integration`.
    fn app(
        &self,
        entry: &Entry,
        connection_config: impl IntoIterator<Item = (String, String)>,
        (client_id, client_secret): (&str, &str),
        integration: Option<&Integration>,
    ) -> Result<OAuthApp, IntegrationError> {
        let mut app = OAuthApp::for_connector(&entry.def, client_id, client_secret)
            .map_err(|error| IntegrationError::Invalid(error.to_string()))?
            .with_redirect_url(self.redirect_url.clone())
            .with_http(self.token_http.clone())
            .with_max_response_bytes(self.max_token_response_bytes)
            .with_connection_config(connection_config);
        let Some(integration) = integration else {
            return Ok(app);
        };
        if let Some(url) = &integration.authorization_url {
            app = app.with_authorization_url(url);
        }
        if let Some(url) = &integration.token_url {
            app = app.with_token_url(url);
        }
        if let Some(scopes) = &integration.scopes {
            app = app.with_scopes(scopes.clone());
        }
        Ok(app)
    }

    /// A new connection's first token (kind `oauth2_client_credentials`), with `scopes` (the
    /// definition's when empty), fetched with the connection's own client when it brings one.
    pub async fn client_credentials(
        &self,
        entry: &Entry,
        scopes: &[String],
        config: &std::collections::BTreeMap<String, String>,
        client: Option<&ClientCredentials>,
    ) -> Result<TokenSet, IntegrationError> {
        let app = self.token_app(entry, config.clone(), client).await?;
        app.client_credentials((!scopes.is_empty()).then_some(scopes))
            .await
            .map_err(IntegrationError::TokenRequest)
    }

    /// An access token for a service account (kind `jwt_bearer`): a signed assertion traded at
    /// the token URL, with `scopes` (the definition's, or the integration's, when empty). The
    /// connection brings the key, so an integration is optional; it only overrides URLs and
    /// scopes.
    pub async fn jwt_bearer(
        &self,
        entry: &Entry,
        account: &ServiceAccount,
        scopes: &[String],
        config: impl IntoIterator<Item = (String, String)>,
    ) -> Result<TokenSet, IntegrationError> {
        let integration = self.get(&entry.def.name).await?;
        let app = self.app(entry, config, ("", ""), integration.as_deref())?;
        app.jwt_bearer(account, (!scopes.is_empty()).then_some(scopes))
            .await
            .map_err(IntegrationError::TokenRequest)
    }

    /// An installation token (kind `app_jwt`): a JWT signed with the integration's private
    /// key, sent to the token URL that `config` fills (the installation id).
    pub async fn app_token(
        &self,
        entry: &Entry,
        config: impl IntoIterator<Item = (String, String)>,
    ) -> Result<TokenSet, IntegrationError> {
        let (app, integration) = self.oauth_app(entry, config).await?;
        let name = &entry.def.name;
        let pem = integration.private_key.as_deref().ok_or_else(|| {
            IntegrationError::Invalid(format!(
                "connector `{name}` ({}) needs the app's private key: PUT /v1/integrations/{name} with private_key",
                AuthKind::AppJwt.as_str()
            ))
        })?;
        let key = SigningKey::from_pem(pem).map_err(|error| {
            IntegrationError::Invalid(format!("the private key of connector `{name}`: {error}"))
        })?;
        app.app_token(&key)
            .await
            .map_err(IntegrationError::TokenRequest)
    }
}

fn from_env(connector: &str) -> Option<Integration> {
    let upper = connector.to_uppercase();
    let var = |suffix: &str| {
        std::env::var(format!("{upper}_{suffix}"))
            .ok()
            .filter(|value| !value.is_empty())
    };
    Some(Integration {
        client_id: var("CLIENT_ID")?,
        client_secret: var("CLIENT_SECRET").unwrap_or_default(),
        scopes: var("SCOPES").map(|scopes| {
            scopes
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }),
        base_url: var("BASE_URL"),
        authorization_url: var("AUTHORIZATION_URL"),
        token_url: var("TOKEN_URL"),
        private_key: var("PRIVATE_KEY"),
        webhook_secret: var("WEBHOOK_SECRET"),
        source: IntegrationSource::Environment,
        created_at: None,
        updated_at: None,
    })
}
