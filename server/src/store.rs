//! Connections and their sealed credentials: every query on them, and a read cache so that
//! the proxy does not read the database on every request.
//!
//! The cache serves a connection until it changes, for at most `cache_ttl` (300 s by default).
//! Writes made by this process drop the entry at once, and so, on PostgreSQL, do other
//! processes' writes (`crate::changes`); on SQLite another process's writes are seen when the
//! entry expires, or at once on the paths that must not act on stale data (a refresh re-reads
//! the row, and an upstream 401 forces one).
//!
//! Errors are the store's own ([`StoreError`]); the HTTP layer decides what status they get.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_runtime::Auth;
use connector_runtime::jwt::{KeyError, SigningKey};
use connector_runtime::oauth::{ServiceAccount, TokenSet};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait, UpdateMany,
};
use serde::{Deserialize, Serialize};

use crate::cache::TtlCache;
use crate::crypto::{Cipher, CryptoError};
use crate::db::entities::{connection, credential};
use crate::events::{self, Event, EventType};

/// The values of `connections.status`.
pub mod status {
    /// Usable.
    pub const ACTIVE: &str = "active";
    /// The provider refused the refresh token: the user must authorize again.
    pub const NEEDS_REAUTH: &str = "needs_reauth";
    /// The last token request failed for another reason (see `last_error`).
    pub const ERROR: &str = "error";
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no connection `{0}`")]
    NotFound(String),
    /// A connection with this id exists already (of another connector, for an authorization).
    #[error("connection id `{0}` is taken")]
    Taken(String),
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("a sealed credential cannot be opened: {0}")]
    Crypto(#[from] CryptoError),
    #[error("a stored credential is not valid JSON: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A connection's secret, sealed as JSON in `credentials.sealed`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Secret {
    /// Both OAuth 2.0 kinds, and `app_jwt` (its key is the integration's).
    Oauth2 {
        access_token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refresh_token: Option<String>,
        token_type: String,
        /// The connection's own OAuth client (oauth2_client_credentials with
        /// `auth.credentials`), which fetches each of its tokens.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<ClientCredentials>,
    },
    /// Stored before named credential fields; read, no longer written.
    ApiKey {
        api_key: String,
    },
    /// Stored before named credential fields; read, no longer written.
    Basic {
        username: String,
        password: String,
    },
    Bearer {
        token: String,
    },
    /// A service account (`jwt_bearer`): its key, and the access token last minted with it.
    JwtBearer {
        issuer: String,
        private_key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
        access_token: String,
        token_type: String,
    },
    /// Named credential fields (api_key and basic kinds).
    Fields {
        fields: BTreeMap<String, String>,
    },
    None,
}

/// A connection's own OAuth client.
#[derive(Clone, Serialize, Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
}

impl Secret {
    pub fn auth(&self) -> Auth {
        match self {
            Secret::Oauth2 { access_token, .. } | Secret::JwtBearer { access_token, .. } => {
                Auth::bearer(access_token.clone())
            }
            Secret::ApiKey { api_key } => Auth::api_key(api_key.clone()),
            Secret::Basic { username, password } => Auth::basic(username.clone(), password.clone()),
            Secret::Bearer { token } => Auth::bearer(token.clone()),
            Secret::Fields { fields } => Auth::Fields {
                fields: fields.clone(),
            },
            Secret::None => Auth::None,
        }
    }

    /// Whether the credential is an access token that a token request renews (refreshed,
    /// fetched again or minted again).
    pub fn is_renewable(&self) -> bool {
        matches!(self, Secret::Oauth2 { .. } | Secret::JwtBearer { .. })
    }

    /// The access token and its type, for the kinds that have one.
    pub fn access_token(&self) -> Option<(&str, &str)> {
        match self {
            Secret::Oauth2 {
                access_token,
                token_type,
                ..
            }
            | Secret::JwtBearer {
                access_token,
                token_type,
                ..
            } => Some((access_token, token_type)),
            Secret::Bearer { token } => Some((token, "Bearer")),
            _ => None,
        }
    }

    /// The service account of a `jwt_bearer` credential; its key was checked when stored.
    pub fn service_account(&self) -> Option<Result<ServiceAccount, KeyError>> {
        let Secret::JwtBearer {
            issuer,
            private_key,
            subject,
            key_id,
            ..
        } = self
        else {
            return None;
        };
        Some(SigningKey::from_pem(private_key).map(|key| ServiceAccount {
            issuer: issuer.clone(),
            subject: subject.clone(),
            key: key.with_key_id(key_id.clone()),
        }))
    }

    /// This credential with the tokens of a renewal: a service account keeps its key.
    pub fn renewed(&self, tokens: &TokenSet) -> Secret {
        match self {
            Secret::JwtBearer {
                issuer,
                private_key,
                subject,
                key_id,
                ..
            } => Secret::JwtBearer {
                issuer: issuer.clone(),
                private_key: private_key.clone(),
                subject: subject.clone(),
                key_id: key_id.clone(),
                access_token: tokens.access_token.clone(),
                token_type: tokens.token_type.clone(),
            },
            // The connection's own client fetches its next token too.
            _ => Secret::Oauth2 {
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
                token_type: tokens.token_type.clone(),
                client: self.client().cloned(),
            },
        }
    }

    /// The connection's own OAuth client, when it brings one.
    pub fn client(&self) -> Option<&ClientCredentials> {
        match self {
            Secret::Oauth2 { client, .. } => client.as_ref(),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A connection with its opened credential.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub connection: connection::Model,
    pub secret: Secret,
    /// The credential's version when it was read: refreshes compare-and-swap on it.
    pub version: i64,
    /// When the credential was written (the token's issue time, as far as we know).
    pub issued_at: DateTime<Utc>,
}

impl Loaded {
    /// Whether the access token should be refreshed before use: it expires within `margin`,
    /// or within half its lifetime when that is shorter (a token that lives 2 minutes is not
    /// refreshed on every call under a 5-minute margin). False when its expiry is unknown.
    pub fn needs_refresh(&self, margin: Duration, now: DateTime<Utc>) -> bool {
        let Some(expires_at) = self.connection.expires_at else {
            return false;
        };
        let lifetime = (expires_at - self.issued_at).max(chrono::Duration::zero());
        let margin = chrono::Duration::from_std(margin)
            .unwrap_or(chrono::Duration::MAX)
            .min(lifetime / 2);
        expires_at - margin <= now
    }
}

/// A stored `connection_config` (a JSON object) as the runtime takes it: name, value pairs.
pub fn config_pairs(config: &serde_json::Value) -> Vec<(String, String)> {
    config
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (key.clone(), value)
        })
        .collect()
}

/// A stored `connection_config` with the token-response values the definition keeps
/// (`keep_from_token_response`) written over it.
pub fn with_kept_config(
    config: &serde_json::Value,
    kept: &std::collections::BTreeMap<String, String>,
) -> serde_json::Value {
    let mut config = config.as_object().cloned().unwrap_or_default();
    for (name, value) in kept {
        config.insert(name.clone(), value.clone().into());
    }
    config.into()
}

/// Which connections `list` answers, in id order.
#[derive(Debug, Default)]
pub struct ConnectionFilter {
    pub connector: Option<String>,
    pub end_user_id: Option<String>,
    /// Only ids after this one (the page cursor).
    pub after: Option<String>,
}

pub struct Store {
    db: DatabaseConnection,
    cipher: Cipher,
    cache: TtlCache<Arc<Loaded>>,
}

/// Binds a sealed credential to its connection.
pub fn credential_aad(connection_id: &str) -> String {
    format!("connection:{connection_id}")
}

impl Store {
    pub fn new(db: DatabaseConnection, cipher: Cipher, ttl: Duration) -> Store {
        Store {
            db,
            cipher,
            cache: TtlCache::new(ttl),
        }
    }

    /// The connection, from the cache while it is fresh.
    pub async fn load(&self, id: &str) -> StoreResult<Arc<Loaded>> {
        if let Some(loaded) = self.cache.get(id) {
            return Ok(loaded);
        }
        let version = self.cache.version();
        let loaded = Arc::new(self.read(id).await?);
        self.cache
            .put_unless_changed(id.to_owned(), loaded.clone(), version);
        Ok(loaded)
    }

    pub fn remember(&self, loaded: Arc<Loaded>) {
        self.cache.put(loaded.connection.id.clone(), loaded);
    }

    pub fn forget(&self, id: &str) {
        self.cache.forget(id);
    }

    pub fn forget_all(&self) {
        self.cache.forget_all();
    }

    /// Reads a connection and opens its credential, bypassing the cache.
    pub async fn read(&self, id: &str) -> StoreResult<Loaded> {
        // Both rows from one snapshot: a refresh in another process commits a new credential
        // and a new expiry together, and a read between them (the old token with the new
        // expiry) would send the old token as if it were fresh. PostgreSQL's default isolation
        // gives each statement its own snapshot; SQLite's read transaction is one snapshot.
        let isolation = (self.db.get_database_backend() == sea_orm::DbBackend::Postgres)
            .then_some(sea_orm::IsolationLevel::RepeatableRead);
        let snapshot = self.db.begin_with_config(isolation, None).await?;
        let credential = credential::Entity::find_by_id(id).one(&snapshot).await?;
        let connection = connection::Entity::find_by_id(id).one(&snapshot).await?;
        snapshot.commit().await?;
        let (Some(connection), Some(credential)) = (connection, credential) else {
            return Err(StoreError::NotFound(id.to_owned()));
        };
        let opened = self.cipher.open(&credential.sealed, &credential_aad(id))?;
        let secret = serde_json::from_slice(&opened)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        Ok(Loaded {
            connection,
            secret,
            version: credential.version,
            issued_at: credential.updated_at,
        })
    }

    /// The connection row alone (no secret).
    pub async fn get(&self, id: &str) -> StoreResult<connection::Model> {
        connection::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// At most `limit` connections in id order.
    pub async fn list(
        &self,
        filter: &ConnectionFilter,
        limit: u64,
    ) -> StoreResult<Vec<connection::Model>> {
        let mut query = connection::Entity::find().order_by_asc(connection::Column::Id);
        if let Some(connector) = &filter.connector {
            query = query.filter(connection::Column::Connector.eq(connector.clone()));
        }
        if let Some(end_user_id) = &filter.end_user_id {
            query = query.filter(connection::Column::EndUserId.eq(end_user_id.clone()));
        }
        if let Some(after) = &filter.after {
            query = query.filter(connection::Column::Id.gt(after.clone()));
        }
        Ok(query.limit(limit).all(&self.db).await?)
    }

    /// The ids of `connector`'s connections whose `connection_config` setting `field` is
    /// `value` (an incoming webhook's account), in id order.
    pub async fn ids_by_config(
        &self,
        connector: &str,
        field: &str,
        value: &str,
    ) -> StoreResult<Vec<String>> {
        // The field is bound, not spliced: it comes from a definition, but it is still text.
        let setting = match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                Expr::cust_with_values("connection_config::jsonb ->> $1", [field])
            }
            _ => Expr::cust_with_values(
                "json_extract(connection_config, ?)",
                [format!("$.\"{}\"", field.replace('"', ""))],
            ),
        };
        Ok(connection::Entity::find()
            .select_only()
            .column(connection::Column::Id)
            .filter(connection::Column::Connector.eq(connector))
            .filter(setting.eq(value))
            .order_by_asc(connection::Column::Id)
            .into_tuple::<String>()
            .all(&self.db)
            .await?)
    }

    /// Creates a connection and its credential (version 1).
    pub async fn create(&self, row: &connection::Model, secret: &Secret) -> StoreResult<()> {
        let txn = crate::db::begin_write(&self.db).await?;
        if let Err(error) = self.insert(&txn, row, secret).await {
            return Err(match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Taken(row.id.clone()),
                _ => error.into(),
            });
        }
        events::record(&txn, Event::connection(EventType::ConnectionCreated, row)).await?;
        txn.commit().await?;
        events::wake();
        self.forget(&row.id);
        Ok(())
    }

    /// Stores the tokens of a completed authorization: a new connection, or new tokens for
    /// an existing one of the same connector (a re-authorization), whose end user, metadata
    /// and creation time it keeps.
    pub async fn save_authorization(
        &self,
        mut row: connection::Model,
        secret: &Secret,
    ) -> StoreResult<()> {
        let txn = crate::db::begin_write(&self.db).await?;
        let existing = connection::Entity::find_by_id(row.id.clone())
            .one(&txn)
            .await?;
        match existing {
            Some(existing) if existing.connector != row.connector => {
                return Err(StoreError::Taken(row.id));
            }
            Some(existing) => {
                row.end_user_id = row.end_user_id.or(existing.end_user_id);
                row.metadata = existing.metadata;
                row.created_at = existing.created_at;
                update_connection(&txn, &row).await?;
                self.replace_credential(&txn, &row.id, secret, row.updated_at)
                    .await?;
            }
            None => {
                self.insert(&txn, &row, secret).await?;
                events::record(&txn, Event::connection(EventType::ConnectionCreated, &row)).await?;
            }
        }
        txn.commit().await?;
        events::wake();
        self.forget(&row.id);
        Ok(())
    }

    /// Removes a connection and its credential; answers whether it existed.
    pub async fn delete(&self, id: &str) -> StoreResult<bool> {
        let txn = crate::db::begin_write(&self.db).await?;
        let existing = connection::Entity::find_by_id(id).one(&txn).await?;
        credential::Entity::delete_by_id(id).exec(&txn).await?;
        let removed = connection::Entity::delete_by_id(id).exec(&txn).await?;
        let removed = removed.rows_affected == 1;
        if let Some(existing) = existing.filter(|_| removed) {
            events::record(
                &txn,
                Event::connection(EventType::ConnectionDeleted, &existing),
            )
            .await?;
        }
        txn.commit().await?;
        events::wake();
        self.forget(id);
        Ok(removed)
    }

    /// Takes the refresh lease of a connection for `owner` until `until_ms` (Unix ms), if the
    /// credential is still at `version` and nobody holds an unexpired lease. One statement,
    /// so that of several processes exactly one gets it; no connection is held afterwards.
    pub async fn try_lease(
        &self,
        id: &str,
        version: i64,
        owner: &str,
        until_ms: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let free = Condition::any()
            .add(credential::Column::LeaseExpiresMs.is_null())
            .add(credential::Column::LeaseExpiresMs.lt(now_ms));
        let taken = credential::Entity::update_many()
            .col_expr(credential::Column::LeaseOwner, Expr::value(owner))
            .col_expr(credential::Column::LeaseExpiresMs, Expr::value(until_ms))
            .filter(credential::Column::ConnectionId.eq(id))
            .filter(credential::Column::Version.eq(version))
            .filter(free)
            .exec(&self.db)
            .await?;
        Ok(taken.rows_affected == 1)
    }

    /// Gives a lease back without writing anything else (the token request failed in
    /// transit: nothing changed at the provider that we know of).
    pub async fn release_lease(&self, id: &str, owner: &str) -> StoreResult<()> {
        without_lease(credential::Entity::update_many())
            .filter(credential::Column::ConnectionId.eq(id))
            .filter(credential::Column::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Writes refreshed tokens and the connection row in one transaction, only while the
    /// credential is still at `expected` (compare-and-swap); releases the lease. Answers
    /// whether it wrote: `false` means another writer got there first.
    pub async fn save_refreshed(
        &self,
        row: &connection::Model,
        secret: &Secret,
        expected: i64,
    ) -> StoreResult<bool> {
        let update = self
            .new_secret(
                without_lease(credential::Entity::update_many()),
                &row.id,
                secret,
                row.updated_at,
            )
            .filter(credential::Column::Version.eq(expected));
        self.update_both(update, row).await
    }

    /// Records a failed refresh on the connection row (its status and `last_error`) and
    /// releases `owner`'s lease, only while the credential is still at `expected`: a process
    /// that lost a race never overwrites the winner's state. Answers whether it wrote.
    pub async fn save_refresh_failure(
        &self,
        row: &connection::Model,
        expected: i64,
        owner: &str,
    ) -> StoreResult<bool> {
        let update = without_lease(credential::Entity::update_many())
            .filter(credential::Column::Version.eq(expected))
            .filter(credential::Column::LeaseOwner.eq(owner));
        self.update_both(update, row).await
    }

    /// Runs `update` on the row's credential and, only when it changed that one row, writes
    /// the connection row too, in one transaction. Answers whether it wrote.
    async fn update_both(
        &self,
        update: UpdateMany<credential::Entity>,
        row: &connection::Model,
    ) -> StoreResult<bool> {
        let txn = crate::db::begin_write(&self.db).await?;
        let changed = update
            .filter(credential::Column::ConnectionId.eq(row.id.clone()))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !changed {
            txn.rollback().await?;
            return Ok(false);
        }
        update_connection(&txn, row).await?;
        if row.status == status::NEEDS_REAUTH {
            events::record(
                &txn,
                Event::connection(EventType::ConnectionNeedsReauth, row),
            )
            .await?;
        }
        txn.commit().await?;
        events::wake();
        Ok(true)
    }

    /// `update` writing a new sealed secret, bumping the version.
    fn new_secret(
        &self,
        update: UpdateMany<credential::Entity>,
        id: &str,
        secret: &Secret,
        now: DateTime<Utc>,
    ) -> UpdateMany<credential::Entity> {
        update
            .col_expr(
                credential::Column::Sealed,
                Expr::value(self.seal(id, secret)),
            )
            .col_expr(credential::Column::KeyId, Expr::value(self.cipher.key_id()))
            .col_expr(
                credential::Column::Version,
                Expr::col(credential::Column::Version).add(1),
            )
            .col_expr(credential::Column::UpdatedAt, Expr::value(now))
    }

    fn seal(&self, id: &str, secret: &Secret) -> String {
        let json = serde_json::to_vec(secret).expect("a secret serialises");
        self.cipher.seal(&json, &credential_aad(id))
    }

    async fn insert<C: ConnectionTrait>(
        &self,
        conn: &C,
        row: &connection::Model,
        secret: &Secret,
    ) -> Result<(), DbErr> {
        use sea_orm::ActiveValue::Set;
        let active: connection::ActiveModel = row.clone().into();
        connection::Entity::insert(active).exec(conn).await?;
        credential::Entity::insert(credential::ActiveModel {
            connection_id: Set(row.id.clone()),
            key_id: Set(self.cipher.key_id().to_owned()),
            sealed: Set(self.seal(&row.id, secret)),
            version: Set(1),
            updated_at: Set(row.updated_at),
            lease_owner: Set(None),
            lease_expires_ms: Set(None),
        })
        .exec(conn)
        .await?;
        Ok(())
    }

    /// Replaces a credential whatever its version (a new authorization supersedes any
    /// refresh in flight, whose compare-and-swap then fails).
    async fn replace_credential<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
        secret: &Secret,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        self.new_secret(credential::Entity::update_many(), id, secret, now)
            .filter(credential::Column::ConnectionId.eq(id))
            .exec(conn)
            .await?;
        Ok(())
    }
}

/// An update of credentials that also releases their lease.
fn without_lease(update: UpdateMany<credential::Entity>) -> UpdateMany<credential::Entity> {
    update
        .col_expr(
            credential::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            credential::Column::LeaseExpiresMs,
            Expr::value(Option::<i64>::None),
        )
}

/// Writes every column of a connection row (status, expiry, scopes…).
async fn update_connection<C: ConnectionTrait>(
    conn: &C,
    row: &connection::Model,
) -> Result<(), DbErr> {
    let active: connection::ActiveModel = row.clone().into();
    active.reset_all().update(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(issued_secs_ago: i64, expires_in_secs: i64) -> Loaded {
        let now = Utc::now();
        Loaded {
            connection: connection::Model {
                id: "c".into(),
                connector: "gmail".into(),
                end_user_id: None,
                status: status::ACTIVE.into(),
                scopes: serde_json::json!([]),
                expires_at: Some(now + chrono::Duration::seconds(expires_in_secs)),
                metadata: serde_json::json!({}),
                connection_config: serde_json::json!({}),
                last_error: None,
                created_at: now,
                updated_at: now,
            },
            secret: Secret::None,
            version: 1,
            issued_at: now - chrono::Duration::seconds(issued_secs_ago),
        }
    }

    #[test]
    fn the_refresh_margin_is_relative_to_a_short_lifetime() {
        let margin = Duration::from_secs(300);
        let now = Utc::now();
        // A 2-minute token just issued: not refreshed (margin becomes 60 s).
        assert!(!loaded(0, 120).needs_refresh(margin, now));
        // The same token with 50 s left: refreshed.
        assert!(loaded(70, 50).needs_refresh(margin, now));
        // An hour-long token with 4 minutes left: within the 5-minute margin.
        assert!(loaded(3360, 240).needs_refresh(margin, now));
        assert!(!loaded(0, 3600).needs_refresh(margin, now));
        // Expired, whatever its lifetime.
        assert!(loaded(10, -1).needs_refresh(margin, now));
    }

    #[test]
    fn secrets_sealed_before_named_fields_still_open() {
        let open = |json: &str| serde_json::from_str::<Secret>(json).unwrap().auth();
        assert_eq!(
            open(r#"{"kind":"api_key","api_key":"k"}"#),
            Auth::api_key("k")
        );
        assert_eq!(
            open(r#"{"kind":"basic","username":"u","password":"p"}"#),
            Auth::basic("u", "p")
        );
        let token = r#"{"kind":"oauth2","access_token":"a","token_type":"Bearer"}"#;
        assert_eq!(open(token), Auth::bearer("a"));
        assert!(
            serde_json::from_str::<Secret>(token)
                .unwrap()
                .client()
                .is_none()
        );
    }
}
