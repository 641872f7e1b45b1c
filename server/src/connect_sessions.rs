//! Hosted connect sessions: a short-lived pass, made by the platform's user for one of their
//! end users, to the connect page. The token travels in the page's URL and is kept hashed; the
//! first browser to open the page is bound to it (by the hash of a cookie of its own), and
//! only that browser may use it or complete an authorization started from it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::crypto::{hash_secret_key, random_token};
use crate::db::entities::connect_session;

/// How long a connect link works.
pub const CONNECT_TTL: Duration = Duration::from_secs(30 * 60);

/// A new session's token (shown once) and its expiry.
pub struct NewConnectSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub struct ConnectSessions {
    db: DatabaseConnection,
}

impl ConnectSessions {
    pub fn new(db: DatabaseConnection) -> ConnectSessions {
        ConnectSessions { db }
    }

    pub async fn create(
        &self,
        end_user_id: &str,
        allowed_connectors: Option<Vec<String>>,
        redirect_url: Option<String>,
    ) -> Result<NewConnectSession, DbErr> {
        let now = Utc::now();
        connect_session::Entity::delete_many()
            .filter(connect_session::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        let token = format!("cs_{}", random_token(24));
        let expires_at = now + chrono::Duration::from_std(CONNECT_TTL).unwrap_or_default();
        connect_session::Entity::insert(connect_session::ActiveModel {
            token_hash: Set(hash_secret_key(&token)),
            end_user_id: Set(end_user_id.to_owned()),
            allowed_connectors: Set(allowed_connectors.map(|names| serde_json::json!(names))),
            redirect_url: Set(redirect_url),
            browser_hash: Set(None),
            expires_at: Set(expires_at),
            created_at: Set(now),
        })
        .exec(&self.db)
        .await?;
        Ok(NewConnectSession { token, expires_at })
    }

    /// The session of a token, unless unknown or expired.
    pub async fn find(&self, token: &str) -> Result<Option<connect_session::Model>, DbErr> {
        connect_session::Entity::find_by_id(hash_secret_key(token))
            .filter(connect_session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
    }

    /// Binds the session to a browser (the hash of its cookie) unless one is bound already;
    /// true when `browser_hash` is (now) the bound one.
    pub async fn bind(
        &self,
        session: &connect_session::Model,
        browser_hash: &str,
    ) -> Result<bool, DbErr> {
        if let Some(bound) = &session.browser_hash {
            return Ok(bound == browser_hash);
        }
        // Of two browsers opening the link at once, one binds it.
        let bound = connect_session::Entity::update_many()
            .col_expr(
                connect_session::Column::BrowserHash,
                Expr::value(browser_hash.to_owned()),
            )
            .filter(connect_session::Column::TokenHash.eq(&session.token_hash))
            .filter(connect_session::Column::BrowserHash.is_null())
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(bound == 1)
    }
}

/// Whether a session lets its end user connect `connector`.
pub fn allows(session: &connect_session::Model, connector: &str) -> bool {
    match &session.allowed_connectors {
        None => true,
        Some(allowed) => allowed
            .as_array()
            .is_some_and(|names| names.iter().any(|name| name == connector)),
    }
}
