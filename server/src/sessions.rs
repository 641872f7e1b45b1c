//! Authorizations in progress, from `POST /v1/oauth/authorize` to the callback. A session is
//! found by the hash of its `state` and taken (deleted) on use, so a state works once.

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::db::entities::oauth_session;
use crate::store::StoreError;

pub struct Sessions {
    db: DatabaseConnection,
}

impl Sessions {
    pub fn new(db: DatabaseConnection) -> Sessions {
        Sessions { db }
    }

    /// Stores a new session, first dropping the expired ones (they are of no use).
    pub async fn insert(&self, session: oauth_session::ActiveModel) -> Result<(), StoreError> {
        oauth_session::Entity::delete_many()
            .filter(oauth_session::Column::ExpiresAt.lt(Utc::now()))
            .exec(&self.db)
            .await?;
        oauth_session::Entity::insert(session)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The session of a state, deleted in the same go; `None` when unknown or already used
    /// (of two concurrent callbacks with one state, one gets it).
    pub async fn take(&self, state_hash: &str) -> Result<Option<oauth_session::Model>, StoreError> {
        let Some(session) = oauth_session::Entity::find_by_id(state_hash)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let taken = oauth_session::Entity::delete_by_id(state_hash)
            .exec(&self.db)
            .await?;
        Ok((taken.rows_affected == 1).then_some(session))
    }
}
