//! Access tokens that are valid when used: refreshed before they expire and once after an
//! upstream 401, with exactly one token request per connection at a time, across processes.
//!
//! - **Outlives its caller.** A refresh runs in a task of its own; callers await its shared
//!   result. A caller that goes away (a client that disconnects) cannot cancel it between the
//!   provider rotating the refresh token and the new one being stored.
//! - **One per process.** Concurrent callers for one connection join the refresh in flight.
//! - **One across processes.** Before calling the token endpoint, a refresh takes the
//!   connection's lease with one compare-and-swap `UPDATE` (credential version unchanged and
//!   no unexpired lease). No database connection or row lock is held during the HTTP call, so
//!   hung token endpoints cannot starve the pool. A process that does not get the lease
//!   polls until the credential's version moves (the holder's tokens) or the lease expires
//!   (the holder died; it then takes the lease itself). The lease lasts longer than a token
//!   request may (twice [`TOKEN_TIMEOUT`]).
//! - **Nothing lost.** New tokens and failures are written with a compare-and-swap on the
//!   credential version: a writer that lost a race never overwrites the winner.
//!
//! The same code serves SQLite and PostgreSQL, one process or several.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use connector_defs::AuthKind;
use connector_runtime::oauth::{OAuthError, TokenSet};
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use serde_json::json;

use crate::call_log::{CallKind, CallLog, CallRecord};
use crate::crypto::random_token;
use crate::integrations::{IntegrationError, Integrations, TOKEN_TIMEOUT};
use crate::registry::{Entry, Registry};
use crate::store::{Loaded, Secret, Store, StoreError, config_pairs, status, with_kept_config};

/// How long a refresh lease lasts: longer than any token request may take.
pub const LEASE: Duration = Duration::from_secs(2 * TOKEN_TIMEOUT.as_secs());
/// How often a process waiting on another's lease looks at the credential again.
const POLL: Duration = Duration::from_millis(50);

/// Why a connection has no usable token. Cloned to every caller of a shared refresh.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    /// The provider refused the refresh token, now or earlier: the user must authorize again.
    #[error(
        "connection `{id}` needs the user to authorize again (POST /v1/oauth/authorize with this connection_id)"
    )]
    NeedsReauth { id: String, reason: Option<String> },
    /// The connection authenticates without OAuth 2.0 tokens.
    #[error("connection `{0}` does not use OAuth 2.0 tokens; there is nothing to refresh")]
    NotOauth2(String),
    /// The integration is missing or cannot make token requests.
    #[error("{0}")]
    Integration(String),
    /// The token endpoint failed, could not be reached, or answered something invalid.
    #[error("{0}")]
    TokenEndpoint(String),
    /// The token endpoint's answer is larger than the server reads.
    #[error("{0}")]
    TooLarge(String),
    /// Another process holds the connection's refresh lease for longer than it may.
    #[error("connection `{0}` is being refreshed by another process that has not finished")]
    Pending(String),
    #[error(transparent)]
    Store(Arc<StoreError>),
}

impl RefreshError {
    /// What went wrong, in the provider's words when it refused.
    pub fn cause(&self) -> String {
        match self {
            RefreshError::NeedsReauth {
                reason: Some(reason),
                ..
            } => reason.clone(),
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for RefreshError {
    fn from(error: StoreError) -> RefreshError {
        RefreshError::Store(Arc::new(error))
    }
}

type Outcome = Result<Arc<Loaded>, RefreshError>;

/// Refreshes tokens; see the module's documentation.
pub struct Refresher {
    store: Arc<Store>,
    integrations: Arc<Integrations>,
    registry: Arc<Registry>,
    /// Tokens that expire within this margin (or half their lifetime) are refreshed first.
    margin: Duration,
    /// The refresh in flight per connection. The task removes its own entry when done, so the
    /// map holds only what is running, whatever happened to the callers.
    in_flight: Mutex<HashMap<String, Shared<BoxFuture<'static, Outcome>>>>,
    call_log: Arc<CallLog>,
}

impl Refresher {
    pub fn new(
        store: Arc<Store>,
        integrations: Arc<Integrations>,
        registry: Arc<Registry>,
        margin: Duration,
        call_log: Arc<CallLog>,
    ) -> Refresher {
        Refresher {
            store,
            integrations,
            registry,
            margin,
            in_flight: Mutex::default(),
            call_log,
        }
    }

    /// The connection, ready for a provider call: usable, and its token refreshed first when
    /// it is about to expire.
    pub async fn usable(self: &Arc<Self>, id: &str) -> Outcome {
        let loaded = self.store.load(id).await?;
        check_usable(&loaded)?;
        if loaded.secret.is_renewable() && loaded.needs_refresh(self.margin, Utc::now()) {
            return self.refresh(id, Some(loaded.version)).await;
        }
        Ok(loaded)
    }

    /// Refreshes now, whatever the token's expiry (an explicit refresh request).
    pub async fn refresh_now(self: &Arc<Self>, id: &str) -> Outcome {
        let loaded = self.store.load(id).await?;
        check_usable(&loaded)?;
        if !loaded.secret.is_renewable() {
            return Err(RefreshError::NotOauth2(id.to_owned()));
        }
        self.refresh(id, None).await
    }

    /// Refreshes the connection's token unless its credential is no longer at version `seen`
    /// (someone refreshed meanwhile: their tokens are the answer). `None` always refreshes.
    pub async fn refresh(self: &Arc<Self>, id: &str, seen: Option<i64>) -> Outcome {
        let joined = self.in_flight.lock().unwrap().get(id).cloned();
        if let Some(running) = joined {
            let outcome = running.await;
            // The refresh we joined may have been one that found nothing to do, from a caller
            // that had seen an older version than ours: then ours is still needed.
            match &outcome {
                Ok(loaded) if seen.is_some_and(|seen| loaded.version == seen) => {}
                _ => return outcome,
            }
        }
        self.start(id, seen).await
    }

    /// Starts the refresh of `id` in a task of its own, or joins the one in flight.
    fn start(self: &Arc<Self>, id: &str, seen: Option<i64>) -> Shared<BoxFuture<'static, Outcome>> {
        let mut in_flight = self.in_flight.lock().unwrap();
        if let Some(running) = in_flight.get(id) {
            return running.clone();
        }
        let this = self.clone();
        let key = id.to_owned();
        let task = tokio::spawn(async move {
            let outcome = this.run(&key, seen).await;
            match &outcome {
                Ok(loaded) => this.store.remember(loaded.clone()),
                Err(_) => this.store.forget(&key),
            }
            this.in_flight.lock().unwrap().remove(&key);
            outcome
        });
        let shared = async move {
            task.await.unwrap_or_else(|error| {
                tracing::error!(%error, "a token refresh task failed");
                Err(RefreshError::TokenEndpoint(
                    "the token refresh failed; see the server's log".into(),
                ))
            })
        }
        .boxed()
        .shared();
        in_flight.insert(id.to_owned(), shared.clone());
        shared
    }

    /// How many refreshes are in flight in this process.
    pub fn in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().len()
    }

    async fn run(&self, id: &str, mut seen: Option<i64>) -> Outcome {
        let deadline = tokio::time::Instant::now() + 2 * LEASE;
        loop {
            let current = self.store.read(id).await?;
            check_usable(&current)?;
            if seen.is_some_and(|seen| seen != current.version) {
                return Ok(Arc::new(current));
            }
            let owner = random_token(12);
            let now_ms = Utc::now().timestamp_millis();
            let until_ms = now_ms + LEASE.as_millis() as i64;
            if self
                .store
                .try_lease(id, current.version, &owner, until_ms, now_ms)
                .await?
            {
                let connector = current.connection.connector.clone();
                let at = Utc::now();
                let started = std::time::Instant::now();
                let outcome = self.exchange_and_store(current, &owner).await;
                crate::monitoring::token_refresh(
                    &connector,
                    match &outcome {
                        Ok(_) => "refreshed",
                        Err(RefreshError::NeedsReauth { .. }) => "needs_reauth",
                        Err(_) => "error",
                    },
                );
                let token_url = self.token_url(&connector).await;
                self.call_log.record(CallRecord {
                    at,
                    connection_id: Some(id.to_owned()),
                    connector: Some(connector),
                    kind: CallKind::Refresh,
                    method: "POST".into(),
                    path: token_url,
                    // The token endpoint's status is not kept by the OAuth client.
                    status: None,
                    duration: started.elapsed(),
                    attempts: 1,
                    error: outcome.as_ref().err().map(RefreshError::cause),
                });
                return outcome;
            }
            // Another process is refreshing: its tokens, once stored, are ours too.
            seen = Some(current.version);
            if tokio::time::Instant::now() >= deadline {
                return Err(RefreshError::Pending(id.to_owned()));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The token endpoint a refresh of the connector calls (the integration's, else the
    /// definition's), as the call log keeps it.
    async fn token_url(&self, connector: &str) -> String {
        let integration = self.integrations.get(connector).await.ok().flatten();
        integration
            .as_ref()
            .and_then(|integration| integration.token_url.clone())
            .or_else(|| {
                self.registry
                    .get(connector)
                    .and_then(|entry| entry.def.auth.token_url.clone())
            })
            .map(|url| crate::call_log::without_query(&url))
            .unwrap_or_default()
    }

    /// With the lease held: the token request, then its outcome written.
    async fn exchange_and_store(&self, current: Loaded, owner: &str) -> Outcome {
        let id = current.connection.id.clone();
        let now = Utc::now();
        match self.exchange(&current).await {
            Ok(tokens) => {
                let secret = current.secret.renewed(&tokens);
                let mut connection = current.connection.clone();
                connection.expires_at = tokens.expires_at.map(chrono::DateTime::<Utc>::from);
                if let Some(scopes) = &tokens.scopes {
                    connection.scopes = json!(scopes);
                }
                // A provider may move the connection (a new instance_url) on a refresh.
                if !tokens.connection_config.is_empty() {
                    connection.connection_config =
                        with_kept_config(&connection.connection_config, &tokens.connection_config);
                }
                connection.status = status::ACTIVE.into();
                connection.last_error = None;
                connection.updated_at = now;
                if !self
                    .store
                    .save_refreshed(&connection, &secret, current.version)
                    .await?
                {
                    // A re-authorization replaced the credential meanwhile: it stands.
                    return Ok(Arc::new(self.store.read(&id).await?));
                }
                tracing::info!(connection = %id, version = current.version + 1, "token refreshed");
                Ok(Arc::new(Loaded {
                    connection,
                    secret,
                    version: current.version + 1,
                    issued_at: now,
                }))
            }
            Err(error) => {
                let recorded = match &error {
                    OAuthError::InvalidGrant { .. } => Some(status::NEEDS_REAUTH),
                    OAuthError::Provider { .. }
                    | OAuthError::Signing(_)
                    | OAuthError::InvalidResponse(_)
                    | OAuthError::ResponseTooLarge { .. } => Some(status::ERROR),
                    _ => None,
                };
                match recorded {
                    Some(recorded) => {
                        let mut connection = current.connection.clone();
                        connection.status = recorded.into();
                        connection.last_error = Some(error.to_string());
                        connection.updated_at = now;
                        self.store
                            .save_refresh_failure(&connection, current.version, owner)
                            .await?;
                    }
                    None => self.store.release_lease(&id, owner).await?,
                }
                tracing::warn!(connection = %id, %error, "token refresh failed");
                Err(match error {
                    OAuthError::InvalidGrant { .. } => RefreshError::NeedsReauth {
                        id,
                        reason: Some(error.to_string()),
                    },
                    OAuthError::Config(message) => RefreshError::Integration(message),
                    OAuthError::ResponseTooLarge { .. } => {
                        RefreshError::TooLarge(error.to_string())
                    }
                    other => RefreshError::TokenEndpoint(other.to_string()),
                })
            }
        }
    }

    /// Asks the token endpoint for a new access token: a refresh, a client-credentials grant,
    /// or a JWT minted again.
    async fn exchange(&self, current: &Loaded) -> Result<TokenSet, OAuthError> {
        let connector = &current.connection.connector;
        let entry = self.registry.get(connector).ok_or_else(|| {
            OAuthError::Config(format!("connector `{connector}` is no longer loaded"))
        })?;
        let config = config_pairs(&current.connection.connection_config);
        let scopes: Vec<String> =
            serde_json::from_value(current.connection.scopes.clone()).unwrap_or_default();
        let minted = match (current.secret.service_account(), entry.def.auth.kind) {
            (Some(account), _) => {
                let account = account.map_err(|error| OAuthError::Signing(error.to_string()))?;
                self.integrations
                    .jwt_bearer(entry, &account, &scopes, config)
                    .await
            }
            (None, AuthKind::AppJwt) => self.integrations.app_token(entry, config).await,
            (None, _) => return self.oauth2_exchange(current, entry, config, &scopes).await,
        };
        minted.map_err(|error| match error {
            IntegrationError::TokenRequest(error) => error,
            other => OAuthError::Config(other.to_string()),
        })
    }

    /// A refresh, or a client-credentials grant.
    async fn oauth2_exchange(
        &self,
        current: &Loaded,
        entry: &Entry,
        config: Vec<(String, String)>,
        scopes: &[String],
    ) -> Result<TokenSet, OAuthError> {
        let app = self
            .integrations
            .token_app(entry, config, current.secret.client())
            .await
            .map_err(|error| OAuthError::Config(error.to_string()))?;
        match (&current.secret, entry.def.auth.kind) {
            (_, AuthKind::Oauth2ClientCredentials) => {
                app.client_credentials((!scopes.is_empty()).then_some(scopes))
                    .await
            }
            (
                Secret::Oauth2 {
                    refresh_token: Some(refresh_token),
                    ..
                },
                _,
            ) => app.refresh(refresh_token).await,
            _ => Err(OAuthError::InvalidGrant {
                description: Some("the connection has no refresh token".into()),
            }),
        }
    }
}

/// `NeedsReauth` for a connection that cannot be used until the user authorizes again.
pub fn check_usable(loaded: &Loaded) -> Result<(), RefreshError> {
    if loaded.connection.status == status::NEEDS_REAUTH {
        return Err(RefreshError::NeedsReauth {
            id: loaded.connection.id.clone(),
            reason: loaded.connection.last_error.clone(),
        });
    }
    Ok(())
}
