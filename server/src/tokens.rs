//! Access tokens that are valid when used: refreshed before they expire and once after an
//! upstream 401, one refresh at a time per connection.
//!
//! Inside a process, a per-connection async lock makes concurrent callers wait for the refresh
//! in flight. Across processes on PostgreSQL, the credential row is read `FOR UPDATE` in the
//! transaction that writes the new tokens, so a second process waits on the row and then sees
//! the new version. Either way a caller refreshes only if the version it saw is still the
//! stored one; otherwise someone refreshed meanwhile and it takes their tokens. The new access
//! token, a rotated refresh token and the new expiry are written in one transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use connector_defs::AuthKind;
use connector_runtime::oauth::{OAuthError, TokenSet};

use sea_orm::{DbBackend, TransactionTrait};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{Loaded, Secret};

/// `active`, `needs_reauth`, `error`.
pub const ACTIVE: &str = "active";
pub const NEEDS_REAUTH: &str = "needs_reauth";
pub const ERROR: &str = "error";

/// One async lock per connection that is being refreshed.
#[derive(Default)]
pub struct RefreshLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl RefreshLocks {
    async fn hold<T>(&self, id: &str, work: impl Future<Output = T>) -> T {
        let lock = self
            .locks
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_default()
            .clone();
        let result = {
            let _guard = lock.lock().await;
            work.await
        };
        // The last one out removes the lock, so the map holds only refreshes in flight.
        let mut locks = self.locks.lock().unwrap();
        if Arc::strong_count(&lock) == 2 {
            locks.remove(id);
        }
        result
    }
}

/// 409 `needs_reauth` for a connection that cannot be used until the user authorizes again.
pub fn check_usable(loaded: &Loaded) -> ApiResult<()> {
    if loaded.connection.status == NEEDS_REAUTH {
        return Err(needs_reauth(
            &loaded.connection.id,
            loaded.connection.last_error.as_deref(),
        ));
    }
    Ok(())
}

fn needs_reauth(id: &str, why: Option<&str>) -> ApiError {
    let error = ApiError::conflict(
        "needs_reauth",
        format!(
            "connection `{id}` needs the user to authorize again (POST /v1/oauth/authorize with this connection_id)"
        ),
    );
    match why {
        Some(why) => error.with_details(json!({ "reason": why })),
        None => error,
    }
}

fn is_oauth(loaded: &Loaded) -> bool {
    matches!(loaded.secret, Secret::Oauth2 { .. })
}

/// The connection, ready for a provider call: usable, and its token refreshed first when it
/// expires within the margin.
pub async fn usable(state: &AppState, id: &str) -> ApiResult<Arc<Loaded>> {
    let loaded = state.store.load(id).await?;
    check_usable(&loaded)?;
    if is_oauth(&loaded) && loaded.expires_within(state.settings.refresh_margin) {
        return refresh(state, id, Some(loaded.version)).await;
    }
    Ok(loaded)
}

/// Refreshes the connection's token, unless the stored credential is no longer the version
/// `seen` (someone refreshed meanwhile: their tokens are returned). `None` always refreshes.
pub async fn refresh(state: &AppState, id: &str, seen: Option<i64>) -> ApiResult<Arc<Loaded>> {
    let result = state
        .refresh_locks
        .hold(id, refresh_locked(state, id, seen))
        .await;
    if result.is_err() {
        state.store.forget(id);
    }
    result
}

async fn refresh_locked(state: &AppState, id: &str, seen: Option<i64>) -> ApiResult<Arc<Loaded>> {
    // On PostgreSQL the transaction starts before the read, whose row lock it keeps through the
    // token request. SQLite has one writer at a time anyway: it reads outside a transaction and
    // writes with a compare-and-swap on the version, keeping its write lock short.
    let locking = state.backend() == DbBackend::Postgres;
    let early = if locking {
        Some(state.db.begin().await?)
    } else {
        None
    };
    let current = match &early {
        Some(txn) => state.store.read(txn, id, true).await?,
        None => state.store.read(&state.db, id, false).await?,
    };
    check_usable(&current)?;
    if seen.is_some_and(|seen| seen != current.version) {
        let current = Arc::new(current);
        state.store.remember(current.clone());
        return Ok(current);
    }
    let outcome = exchange(state, &current).await;
    let txn = match early {
        Some(txn) => txn,
        None => state.db.begin().await?,
    };
    let now = Utc::now();
    let result = match outcome {
        Ok(tokens) => {
            let secret = Secret::Oauth2 {
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
                token_type: tokens.token_type.clone(),
            };
            let written = state
                .store
                .replace_credential(&txn, id, &secret, Some(current.version), now)
                .await?;
            if !written {
                // Another process refreshed between our read and our write (SQLite only):
                // its tokens stand, and ours are dropped unused.
                txn.rollback().await?;
                let fresh = Arc::new(state.store.read(&state.db, id, false).await?);
                state.store.remember(fresh.clone());
                return Ok(fresh);
            }
            let mut connection = current.connection.clone();
            connection.expires_at = tokens.expires_at.map(chrono::DateTime::<Utc>::from);
            if let Some(scopes) = &tokens.scopes {
                connection.scopes = json!(scopes);
            }
            connection.status = ACTIVE.into();
            connection.last_error = None;
            connection.updated_at = now;
            state.store.update_connection(&txn, &connection).await?;
            Ok(Loaded {
                connection,
                secret,
                version: current.version + 1,
            })
        }
        Err(error) => {
            let status = match &error {
                OAuthError::InvalidGrant { .. } => Some(NEEDS_REAUTH),
                OAuthError::Provider { .. } | OAuthError::InvalidResponse(_) => Some(ERROR),
                _ => None,
            };
            if let Some(status) = status {
                let mut connection = current.connection.clone();
                connection.status = status.into();
                connection.last_error = Some(error.to_string());
                connection.updated_at = now;
                state.store.update_connection(&txn, &connection).await?;
            }
            Err(match error {
                OAuthError::InvalidGrant { .. } => needs_reauth(id, Some(&error.to_string())),
                OAuthError::Config(_) => {
                    ApiError::bad_request("integration_invalid", error.to_string())
                }
                _ => ApiError::bad_gateway("token_refresh_failed", error.to_string()),
            })
        }
    };
    txn.commit().await?;
    let loaded = Arc::new(result?);
    tracing::info!(connection = %id, version = loaded.version, "token refreshed");
    state.store.remember(loaded.clone());
    Ok(loaded)
}

/// Asks the token endpoint for a new access token.
async fn exchange(state: &AppState, current: &Loaded) -> Result<TokenSet, OAuthError> {
    let entry = state
        .connector(&current.connection.connector)
        .map_err(|_| {
            OAuthError::Config(format!(
                "connector `{}` is no longer loaded",
                current.connection.connector
            ))
        })?;
    let (app, _) = state
        .oauth_app(entry)
        .await
        .map_err(|error| OAuthError::Config(error.message()))?;
    match (&current.secret, entry.def.auth.kind) {
        (_, AuthKind::Oauth2ClientCredentials) => {
            let scopes: Vec<String> =
                serde_json::from_value(current.connection.scopes.clone()).unwrap_or_default();
            app.client_credentials((!scopes.is_empty()).then_some(scopes.as_slice()))
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
