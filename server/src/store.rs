//! Connections and their sealed credentials, with a short-lived read cache so that the proxy
//! does not read the database on every request.
//!
//! The cache serves a connection for `cache_ttl` (5 s by default). Writes made by this process
//! drop the entry at once; writes by another process sharing the database are seen when the
//! entry expires, or at once on the paths that must not act on stale data (a refresh re-reads
//! under its lock, and an upstream 401 forces one).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_runtime::Auth;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::cache::TtlCache;
use crate::crypto::Cipher;
use crate::db::entities::{connection, credential};
use crate::error::{ApiError, ApiResult};

/// A connection's secret, sealed as JSON in `credentials.sealed`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Secret {
    /// Both OAuth 2.0 kinds.
    Oauth2 {
        access_token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refresh_token: Option<String>,
        token_type: String,
    },
    ApiKey {
        api_key: String,
    },
    Basic {
        username: String,
        password: String,
    },
    Bearer {
        token: String,
    },
    None,
}

impl Secret {
    pub fn auth(&self) -> Auth {
        match self {
            Secret::Oauth2 { access_token, .. } => Auth::bearer(access_token.clone()),
            Secret::ApiKey { api_key } => Auth::api_key(api_key.clone()),
            Secret::Basic { username, password } => Auth::basic(username.clone(), password.clone()),
            Secret::Bearer { token } => Auth::bearer(token.clone()),
            Secret::None => Auth::None,
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
}

impl Loaded {
    /// Whether the access token expires within `margin` (false when its expiry is unknown).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.connection.expires_at.is_some_and(|at| {
            at - chrono::Duration::from_std(margin).unwrap_or_default() <= Utc::now()
        })
    }
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
    pub async fn load(&self, id: &str) -> ApiResult<Arc<Loaded>> {
        if let Some(loaded) = self.cache.get(id) {
            return Ok(loaded);
        }
        let loaded = Arc::new(self.read(&self.db, id, false).await?);
        self.remember(loaded.clone());
        Ok(loaded)
    }

    pub fn remember(&self, loaded: Arc<Loaded>) {
        self.cache.put(loaded.connection.id.clone(), loaded);
    }

    pub fn forget(&self, id: &str) {
        self.cache.forget(id);
    }

    /// Reads a connection and opens its credential; with `lock`, the credential row stays
    /// locked (`FOR UPDATE`) until `conn`'s transaction ends (PostgreSQL; SQLite ignores it).
    pub async fn read<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
        lock: bool,
    ) -> ApiResult<Loaded> {
        let mut query = credential::Entity::find_by_id(id);
        if lock {
            query = query.lock_exclusive();
        }
        let credential = query.one(conn).await?;
        let connection = connection::Entity::find_by_id(id).one(conn).await?;
        let (Some(connection), Some(credential)) = (connection, credential) else {
            return Err(connection_not_found(id));
        };
        let opened = self.cipher.open(&credential.sealed, &credential_aad(id))?;
        let secret = serde_json::from_slice(&opened).map_err(ApiError::internal)?;
        Ok(Loaded {
            connection,
            secret,
            version: credential.version,
        })
    }

    pub fn seal(&self, id: &str, secret: &Secret) -> String {
        let json = serde_json::to_vec(secret).expect("a secret serialises");
        self.cipher.seal(&json, &credential_aad(id))
    }

    pub fn key_id(&self) -> &str {
        self.cipher.key_id()
    }

    /// Inserts a connection and its credential (version 1); run it in a transaction.
    pub async fn insert<C: ConnectionTrait>(
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
            key_id: Set(self.key_id().to_owned()),
            sealed: Set(self.seal(&row.id, secret)),
            version: Set(1),
            updated_at: Set(row.updated_at),
        })
        .exec(conn)
        .await?;
        Ok(())
    }

    /// Writes every column of a connection row (status, expiry, scopes…).
    pub async fn update_connection<C: ConnectionTrait>(
        &self,
        conn: &C,
        row: &connection::Model,
    ) -> Result<(), DbErr> {
        use sea_orm::ActiveModelTrait;
        let active: connection::ActiveModel = row.clone().into();
        active.reset_all().update(conn).await?;
        Ok(())
    }

    /// Replaces a connection's credential and bumps its version. With `expected`, only while
    /// the stored version still is that one (compare-and-swap); answers whether it wrote.
    pub async fn replace_credential<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
        secret: &Secret,
        expected: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let mut update = credential::Entity::update_many()
            .col_expr(
                credential::Column::Sealed,
                Expr::value(self.seal(id, secret)),
            )
            .col_expr(credential::Column::KeyId, Expr::value(self.key_id()))
            .col_expr(
                credential::Column::Version,
                Expr::col(credential::Column::Version).add(1),
            )
            .col_expr(credential::Column::UpdatedAt, Expr::value(now))
            .filter(credential::Column::ConnectionId.eq(id));
        if let Some(expected) = expected {
            update = update.filter(credential::Column::Version.eq(expected));
        }
        Ok(update.exec(conn).await?.rows_affected == 1)
    }
}

pub fn connection_not_found(id: &str) -> ApiError {
    ApiError::not_found("connection_not_found", format!("no connection `{id}`"))
}
