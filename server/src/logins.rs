//! Dashboard logins: a browser that gave the secret key gets a session, kept by the hash of a
//! random id (its cookie), with a CSRF token of its own, for [`LOGIN_TTL`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::crypto::{hash_secret_key, random_token};
use crate::db::entities::dashboard_session;

/// How long a login lasts.
pub const LOGIN_TTL: Duration = Duration::from_secs(12 * 3600);

/// A login, as its browser holds it.
#[derive(Debug, Clone)]
pub struct Login {
    /// The cookie's value: the random session id (never the secret key).
    pub cookie: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

pub struct Logins {
    db: DatabaseConnection,
}

impl Logins {
    pub fn new(db: DatabaseConnection) -> Logins {
        Logins { db }
    }

    /// A new login, after the expired ones are dropped.
    pub async fn start(&self) -> Result<Login, DbErr> {
        let now = Utc::now();
        dashboard_session::Entity::delete_many()
            .filter(dashboard_session::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        let login = Login {
            cookie: random_token(32),
            csrf_token: random_token(32),
            expires_at: now + chrono::Duration::from_std(LOGIN_TTL).unwrap_or_default(),
        };
        dashboard_session::Entity::insert(dashboard_session::ActiveModel {
            id_hash: Set(hash_secret_key(&login.cookie)),
            csrf_token: Set(login.csrf_token.clone()),
            expires_at: Set(login.expires_at),
            created_at: Set(now),
        })
        .exec(&self.db)
        .await?;
        Ok(login)
    }

    /// The login of a cookie, unless unknown or expired.
    pub async fn find(&self, cookie: &str) -> Result<Option<Login>, DbErr> {
        let row = dashboard_session::Entity::find_by_id(hash_secret_key(cookie))
            .filter(dashboard_session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await?;
        Ok(row.map(|row| Login {
            cookie: cookie.to_owned(),
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        }))
    }

    pub async fn end(&self, cookie: &str) -> Result<(), DbErr> {
        dashboard_session::Entity::delete_by_id(hash_secret_key(cookie))
            .exec(&self.db)
            .await
            .map(drop)
    }
}
