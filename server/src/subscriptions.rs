//! Webhook endpoints and their deliveries, as stored: what the `/v1/webhook-endpoints` and
//! `/v1/webhook-deliveries` routes read and write. Events are recorded by `events` and sent by
//! `deliveries`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use rand::RngCore as _;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::crypto::{Cipher, random_token};
use crate::db::entities::{webhook_delivery, webhook_endpoint};
use crate::deliveries::endpoint_secret_aad;
use crate::events::{self, status};

/// Random bytes in an endpoint's signing secret (the specification allows 24 to 64).
const SECRET_BYTES: usize = 32;

/// An endpoint as stored, with its secret when just made.
pub struct Endpoint {
    pub row: webhook_endpoint::Model,
    /// `whsec_<base64>`: given once, when the endpoint is made.
    pub secret: Option<String>,
}

/// Which deliveries to list.
#[derive(Debug, Default)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<String>,
    pub status: Option<String>,
}

pub struct Subscriptions {
    db: DatabaseConnection,
    cipher: Cipher,
}

impl Subscriptions {
    pub fn new(db: DatabaseConnection, cipher: Cipher) -> Subscriptions {
        Subscriptions { db, cipher }
    }

    /// Makes an endpoint with a new secret, sealed in the database.
    pub async fn create(&self, url: &str, event_types: &[String]) -> Result<Endpoint, DbErr> {
        let id = format!("we_{}", random_token(12));
        let mut key = [0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut key);
        let secret = format!("whsec_{}", STANDARD.encode(key));
        let row = webhook_endpoint::Model {
            id: id.clone(),
            url: url.to_owned(),
            events: json!(event_types),
            secret: self
                .cipher
                .seal(secret.as_bytes(), &endpoint_secret_aad(&id)),
            created_at: Utc::now(),
        };
        webhook_endpoint::ActiveModel::from(row.clone())
            .insert(&self.db)
            .await?;
        Ok(Endpoint {
            row,
            secret: Some(secret),
        })
    }

    /// Every endpoint, oldest first.
    pub async fn list(&self) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
        webhook_endpoint::Entity::find()
            .order_by_asc(webhook_endpoint::Column::CreatedAt)
            .order_by_asc(webhook_endpoint::Column::Id)
            .all(&self.db)
            .await
    }

    /// Removes an endpoint; its pending deliveries then fail. Answers whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, DbErr> {
        let removed = webhook_endpoint::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        Ok(removed.rows_affected == 1)
    }

    /// The latest `limit` deliveries that pass `filter`, newest first.
    pub async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        limit: u64,
    ) -> Result<Vec<webhook_delivery::Model>, DbErr> {
        let mut query = webhook_delivery::Entity::find()
            .order_by_desc(webhook_delivery::Column::CreatedAt)
            .order_by_desc(webhook_delivery::Column::Id);
        if let Some(endpoint_id) = &filter.endpoint_id {
            query = query.filter(webhook_delivery::Column::EndpointId.eq(endpoint_id.clone()));
        }
        if let Some(status) = &filter.status {
            query = query.filter(webhook_delivery::Column::Status.eq(status.clone()));
        }
        query.limit(limit).all(&self.db).await
    }

    /// Makes a delivery due now, whatever its state: it is sent again with the same
    /// `webhook-id`, and its attempts go on counting. `None` when there is no such delivery.
    pub async fn retry(&self, id: &str) -> Result<Option<webhook_delivery::Model>, DbErr> {
        let Some(row) = webhook_delivery::Entity::find_by_id(id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let now = Utc::now();
        let mut active: webhook_delivery::ActiveModel = row.into();
        active.status = Set(status::PENDING.to_owned());
        active.next_attempt_at = Set(Some(now));
        active.updated_at = Set(now);
        let row = active.update(&self.db).await?;
        events::wake();
        Ok(Some(row))
    }
}
