//! What every route shares: the database, the cipher, the registry, the caches.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use connector_defs::RateLimitScope;
use connector_runtime::oauth::OAuthApp;
use connector_runtime::{Auth, RateLimiter, RawClient};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait};

use crate::api::integrations::IntegrationSource;
use crate::cache::TtlCache;
use crate::crypto::Cipher;
use crate::db::entities::integration;
use crate::error::{ApiError, ApiResult};
use crate::registry::{Entry, Registry};
use crate::store::Store;
use crate::tokens::RefreshLocks;

/// How long a token endpoint may take to answer.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users' browsers reach the server: the OAuth redirect URI is
    /// `{public_url}/oauth/callback`.
    pub public_url: String,
    /// Tokens that expire within this margin are refreshed before use.
    pub refresh_margin: Duration,
    /// How long a connection read from the database serves before it is read again.
    pub cache_ttl: Duration,
    /// Largest JSON body accepted.
    pub max_body_bytes: usize,
    /// Largest proxied request body buffered (and so retryable); larger ones stream.
    pub max_buffered_proxy_body: usize,
    /// How long an authorization may take (`state` lifetime).
    pub oauth_session_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            refresh_margin: Duration::from_secs(300),
            cache_ttl: Duration::from_secs(5),
            max_body_bytes: 2 * 1024 * 1024,
            max_buffered_proxy_body: 256 * 1024,
            oauth_session_ttl: Duration::from_secs(600),
        }
    }
}

pub struct AppState {
    pub db: DatabaseConnection,
    pub cipher: Cipher,
    pub registry: Registry,
    pub settings: Settings,
    /// For provider calls: redirects are not followed, so a provider cannot send a
    /// credential elsewhere.
    pub http: reqwest::Client,
    /// For token requests: as `http`, with a timeout (a definition's `timeout_ms` covers its
    /// API calls, not its token endpoint).
    token_http: reqwest::Client,
    pub store: Store,
    pub refresh_locks: RefreshLocks,
    /// Hashes of the accepted API secret keys.
    pub api_keys: RwLock<HashSet<String>>,
    integrations: TtlCache<Option<Arc<Integration>>>,
    limiters: Mutex<HashMap<String, Arc<RateLimiter>>>,
}

pub type SharedState = Arc<AppState>;

/// A connector's OAuth app and overrides, from `PUT /v1/integrations` or the environment.
#[derive(Clone)]
pub struct Integration {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Option<Vec<String>>,
    pub base_url: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub source: IntegrationSource,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integration")
            .field("client_id", &self.client_id)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        cipher: Cipher,
        registry: Registry,
        settings: Settings,
    ) -> AppState {
        let client = |timeout: Option<Duration>| {
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                // A proxied body may stream for long; one that stalls this long is cut.
                .read_timeout(Duration::from_secs(120))
                .user_agent(concat!("connector-platform/", env!("CARGO_PKG_VERSION")));
            if let Some(timeout) = timeout {
                builder = builder.timeout(timeout);
            }
            builder.build().expect("the HTTP client builds")
        };
        let http = client(None);
        let token_http = client(Some(TOKEN_TIMEOUT));
        let store = Store::new(db.clone(), cipher.clone(), settings.cache_ttl);
        let integrations = TtlCache::new(settings.cache_ttl);
        AppState {
            db,
            cipher,
            registry,
            settings,
            http,
            token_http,
            store,
            refresh_locks: RefreshLocks::default(),
            api_keys: RwLock::new(HashSet::new()),
            integrations,
            limiters: Mutex::new(HashMap::new()),
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn connector(&self, name: &str) -> ApiResult<&Entry> {
        self.registry.get(name).ok_or_else(|| {
            ApiError::not_found(
                "connector_not_found",
                format!("no connector named `{name}`"),
            )
        })
    }

    pub fn redirect_url(&self) -> String {
        format!(
            "{}/oauth/callback",
            self.settings.public_url.trim_end_matches('/')
        )
    }

    /// The integration of a connector: the stored one, else `{NAME}_CLIENT_ID` and
    /// `{NAME}_CLIENT_SECRET` (with `{NAME}_BASE_URL`, `_AUTHORIZATION_URL`, `_TOKEN_URL`)
    /// from the environment. Cached for `cache_ttl`; writes through the API invalidate it.
    pub async fn integration(&self, connector: &str) -> ApiResult<Option<Arc<Integration>>> {
        if let Some(cached) = self.integrations.get(connector) {
            return Ok(cached);
        }
        let found = match integration::Entity::find_by_id(connector)
            .one(&self.db)
            .await?
        {
            Some(row) => {
                let secret = self
                    .cipher
                    .open(&row.client_secret, &integration_aad(connector))?;
                Some(Arc::new(Integration {
                    client_id: row.client_id,
                    client_secret: String::from_utf8_lossy(&secret).into_owned(),
                    scopes: row
                        .scopes
                        .and_then(|scopes| serde_json::from_value(scopes).ok()),
                    base_url: row.base_url,
                    authorization_url: row.authorization_url,
                    token_url: row.token_url,
                    source: IntegrationSource::Api,
                }))
            }
            None => integration_from_env(connector).map(Arc::new),
        };
        self.integrations.put(connector, found.clone());
        Ok(found)
    }

    pub fn forget_integration(&self, connector: &str) {
        self.integrations.forget(connector);
    }

    /// The OAuth app of a connector, with its overrides and the redirect URI.
    pub async fn oauth_app(&self, entry: &Entry) -> ApiResult<(OAuthApp, Arc<Integration>)> {
        let name = &entry.def.name;
        let integration = self.integration(name).await?.ok_or_else(|| {
            ApiError::bad_request(
                "integration_missing",
                format!(
                    "connector `{name}` has no OAuth app: PUT /v1/integrations/{name} with client_id and client_secret, or set {upper}_CLIENT_ID and {upper}_CLIENT_SECRET",
                    upper = name.to_uppercase()
                ),
            )
        })?;
        let mut app = OAuthApp::new(
            &entry.def.auth,
            &integration.client_id,
            &integration.client_secret,
        )
        .map_err(|error| ApiError::bad_request("not_oauth2", error.to_string()))?
        .with_redirect_url(self.redirect_url())
        .with_http(self.token_http.clone());
        if let Some(url) = &integration.authorization_url {
            app = app.with_authorization_url(url);
        }
        if let Some(url) = &integration.token_url {
            app = app.with_token_url(url);
        }
        if let Some(scopes) = &integration.scopes {
            app = app.with_scopes(scopes.clone());
        }
        Ok((app, integration))
    }

    /// A client for one connection: its credential, the integration's base URL override,
    /// its connection_config, and the connector's (or the connection's) rate limiter.
    pub async fn raw_client(
        &self,
        entry: &Entry,
        connection_id: &str,
        config: &serde_json::Value,
        auth: Auth,
    ) -> ApiResult<RawClient> {
        let mut client = RawClient::new(entry.def.clone(), auth).with_http(self.http.clone());
        if let Some(base_url) = self
            .integration(&entry.def.name)
            .await?
            .and_then(|i| i.base_url.clone())
        {
            client = client.with_base_url(base_url);
        }
        if let Some(config) = config.as_object() {
            client = client.with_connection_config(config.iter().map(|(key, value)| {
                (
                    key.clone(),
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned),
                )
            }));
        }
        if let Some(limit) = entry
            .def
            .rate_limit
            .as_ref()
            .filter(|limit| limit.scope == RateLimitScope::Connection)
        {
            let limiter = self
                .limiters
                .lock()
                .unwrap()
                .entry(connection_id.to_owned())
                .or_insert_with(|| Arc::new(RateLimiter::from_def(limit)))
                .clone();
            client = client.with_rate_limiter(limiter);
        }
        Ok(client)
    }

    pub fn forget_connection(&self, connection_id: &str) {
        self.store.forget(connection_id);
        self.limiters.lock().unwrap().remove(connection_id);
    }

    pub fn accepts_key(&self, key: &str) -> bool {
        self.api_keys
            .read()
            .unwrap()
            .contains(&crate::crypto::hash_secret_key(key))
    }
}

/// Binds a sealed client secret to its integration.
pub fn integration_aad(connector: &str) -> String {
    format!("integration:{connector}")
}

fn integration_from_env(connector: &str) -> Option<Integration> {
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
        source: IntegrationSource::Environment,
    })
}
