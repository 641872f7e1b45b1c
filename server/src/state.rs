//! What every route shares: the database, the cipher, the registry, the store, the
//! integrations, the refresher, the caches.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use connector_runtime::{PassthroughHttp, RateLimiter, RawClient};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use thread_local::ThreadLocal;

use crate::cache::TtlCache;
use crate::call_log::CallLog;
use crate::connect_sessions::ConnectSessions;
use crate::crypto::Cipher;
use crate::deliveries::{Deliverer, DeliverySettings};
use crate::error::{ApiError, ApiResult};
use crate::integrations::{Integration, Integrations, TOKEN_TIMEOUT};
use crate::logins::Logins;
use crate::refresh::Refresher;
use crate::registry::{Entry, Registry};
use crate::sessions::Sessions;
use crate::store::{Loaded, Store};
use crate::subscriptions::Subscriptions;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users' browsers reach the server: the OAuth redirect URI is
    /// `{public_url}/oauth/callback`.
    pub public_url: String,
    /// Tokens that expire within this margin are refreshed before use.
    pub refresh_margin: Duration,
    /// How long a connection or integration read from the database serves before it is read
    /// again, unless it changes first (writes through this process, and on PostgreSQL the
    /// change feed, drop it at once).
    pub cache_ttl: Duration,
    /// Largest JSON body accepted.
    pub max_body_bytes: usize,
    /// Largest proxied request body buffered (and so retryable); larger ones stream.
    pub max_buffered_proxy_body: usize,
    /// How long an authorization may take (`state` lifetime).
    pub oauth_session_ttl: Duration,
    /// Largest provider answer read whole (typed actions, the request envelope); above it,
    /// 502 `response_too_large`. The streamed proxy has no such limit.
    pub max_provider_body_bytes: usize,
    /// Largest token endpoint answer read.
    pub max_token_response_bytes: usize,
    /// When set, every typed action writes a redacted cassette of its exchange with the
    /// provider to `DIR/<connector>/<endpoint>-<unique label>.yaml` (docs/testing.md).
    pub record_cassettes: Option<PathBuf>,
    /// How the platform's webhooks are delivered.
    pub webhooks: DeliverySettings,
    /// How long the call log, and settled webhook events and deliveries, are kept.
    pub log_retention: Duration,
    /// `Host` values `/mcp` answers besides the loopback names and the public URL's host
    /// (against DNS rebinding): `host` or `host:port`.
    pub mcp_allowed_hosts: Vec<String>,
    /// Browser origins besides the server's own that may call `/mcp`.
    pub mcp_allowed_origins: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            refresh_margin: Duration::from_secs(300),
            cache_ttl: Duration::from_secs(300),
            max_body_bytes: 2 * 1024 * 1024,
            max_buffered_proxy_body: 256 * 1024,
            oauth_session_ttl: Duration::from_secs(600),
            max_provider_body_bytes: connector_runtime::DEFAULT_MAX_RESPONSE_BYTES,
            max_token_response_bytes: connector_runtime::oauth::DEFAULT_MAX_TOKEN_RESPONSE_BYTES,
            record_cassettes: None,
            webhooks: DeliverySettings::default(),
            log_retention: Duration::from_secs(7 * 24 * 3600),
            mcp_allowed_hosts: Vec::new(),
            mcp_allowed_origins: Vec::new(),
        }
    }
}

pub struct AppState {
    pub db: DatabaseConnection,
    pub cipher: Cipher,
    pub registry: Arc<Registry>,
    pub settings: Settings,
    /// For provider calls, one per thread (see [`AppState::http`]).
    http: ThreadLocal<reqwest::Client>,
    /// For the proxy's provider calls, one per thread likewise.
    passthrough_http: ThreadLocal<PassthroughHttp>,
    pub store: Arc<Store>,
    pub integrations: Arc<Integrations>,
    pub refresher: Arc<Refresher>,
    pub sessions: Sessions,
    /// Hashes of the accepted API secret keys.
    pub api_keys: RwLock<HashSet<String>>,
    /// The provider client of each connection lately used (see [`crate::calls::client_for`]).
    pub clients: TtlCache<Arc<CachedClient>>,
    /// Per-connection rate limiters (`rate_limit.scope: connection`).
    limiters: Mutex<HashMap<String, Arc<RateLimiter>>>,
    /// Sends the outbox's webhook deliveries (run by `app::serve`).
    pub deliverer: Arc<Deliverer>,
    /// Webhook endpoints and their deliveries.
    pub subscriptions: Subscriptions,
    /// Provider calls, refreshes and webhook deliveries, as they happen.
    pub call_log: Arc<CallLog>,
    /// Dashboard logins.
    pub logins: Logins,
    /// Hosted connect sessions.
    pub connect_sessions: ConnectSessions,
}

pub type SharedState = Arc<AppState>;

/// A connection's provider client, with the stored states it was made from.
pub struct CachedClient {
    pub loaded: Arc<Loaded>,
    pub integration: Option<Arc<Integration>>,
    pub client: RawClient,
}

impl CachedClient {
    /// Whether it was made from these (the very objects the caches hold now).
    pub fn serves(&self, loaded: &Arc<Loaded>, integration: Option<&Arc<Integration>>) -> bool {
        Arc::ptr_eq(&self.loaded, loaded)
            && match (&self.integration, integration) {
                (Some(made_from), Some(now)) => Arc::ptr_eq(made_from, now),
                (None, None) => true,
                _ => false,
            }
    }
}

const USER_AGENT: &str = concat!("connector-platform/", env!("CARGO_PKG_VERSION"));
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A proxied body may stream for long; one that stalls this long is cut.
const PROXY_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A client for provider calls: redirects are not followed, so a provider cannot send a
/// credential elsewhere.
fn provider_client(timeout: Option<Duration>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(PROXY_READ_TIMEOUT)
        .user_agent(USER_AGENT);
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().expect("the HTTP client builds")
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        cipher: Cipher,
        registry: Registry,
        settings: Settings,
    ) -> AppState {
        let registry = Arc::new(registry);
        let settings_ttl = settings.cache_ttl;
        let call_log = Arc::new(CallLog::new(db.clone(), settings.log_retention));
        let store = Arc::new(Store::new(db.clone(), cipher.clone(), settings.cache_ttl));
        let integrations = Arc::new(Integrations::new(
            db.clone(),
            cipher.clone(),
            settings.cache_ttl,
            format!(
                "{}/oauth/callback",
                settings.public_url.trim_end_matches('/')
            ),
            provider_client(Some(TOKEN_TIMEOUT)),
            settings.max_token_response_bytes,
        ));
        let refresher = Arc::new(Refresher::new(
            store.clone(),
            integrations.clone(),
            registry.clone(),
            settings.refresh_margin,
            call_log.clone(),
        ));
        let deliverer = Arc::new(Deliverer::new(
            db.clone(),
            cipher.clone(),
            settings.webhooks.clone(),
            call_log.clone(),
        ));
        AppState {
            call_log,
            logins: Logins::new(db.clone()),
            connect_sessions: ConnectSessions::new(db.clone()),
            deliverer,
            subscriptions: Subscriptions::new(db.clone(), cipher.clone()),
            sessions: Sessions::new(db.clone()),
            db,
            cipher,
            registry,
            settings,
            http: ThreadLocal::new(),
            passthrough_http: ThreadLocal::new(),
            store,
            integrations,
            refresher,
            api_keys: RwLock::new(HashSet::new()),
            clients: TtlCache::new(settings_ttl),
            limiters: Mutex::new(HashMap::new()),
        }
    }

    /// The HTTP client for provider calls made on this thread. Each serving thread has its own
    /// connection pool, so that a pooled connection's task runs on the thread of the request
    /// that uses it (no wake-up across cores per request).
    pub fn http(&self) -> reqwest::Client {
        self.http.get_or(|| provider_client(None)).clone()
    }

    /// The client of the proxy's provider calls made on this thread (see [`AppState::http`]).
    pub fn passthrough_http(&self) -> PassthroughHttp {
        self.passthrough_http
            .get_or(|| PassthroughHttp::new(USER_AGENT, CONNECT_TIMEOUT, Some(PROXY_READ_TIMEOUT)))
            .clone()
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

    pub fn redirect_url(&self) -> &str {
        self.integrations.redirect_url()
    }

    /// The limiter of a connection whose connector limits each connection on its own.
    pub fn connection_limiter(
        &self,
        connection_id: &str,
        limit: &connector_defs::RateLimitDef,
    ) -> Arc<RateLimiter> {
        self.limiters
            .lock()
            .unwrap()
            .entry(connection_id.to_owned())
            .or_insert_with(|| Arc::new(RateLimiter::from_def(limit)))
            .clone()
    }

    pub fn forget_connection(&self, connection_id: &str) {
        self.store.forget(connection_id);
        self.clients.forget(connection_id);
        self.limiters.lock().unwrap().remove(connection_id);
    }

    /// Forgets every cached connection, client and integration (changes may have gone
    /// unseen).
    pub fn forget_everything(&self) {
        self.store.forget_all();
        self.clients.forget_all();
        self.integrations.forget_all();
    }

    pub fn accepts_key(&self, key: &str) -> bool {
        self.api_keys
            .read()
            .unwrap()
            .contains(&crate::crypto::hash_secret_key(key))
    }
}
