//! The tables, as sea-orm entities. Secrets live only in `sealed` columns (see `crypto`).

/// The OAuth app of a connector: `PUT /v1/integrations/{connector}`.
pub mod integration {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "integrations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub connector: String,
        pub client_id: String,
        /// The client secret, sealed.
        pub client_secret: String,
        /// Scopes that replace the definition's defaults (a JSON array), or null.
        pub scopes: Option<Json>,
        pub base_url: Option<String>,
        pub authorization_url: Option<String>,
        pub token_url: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// The app's private key (auth kind `app_jwt`), sealed; null for the others.
        pub private_key: Option<String>,
        /// The secret the provider signs its webhooks with, sealed; null when not set.
        pub webhook_secret: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A connection: one end user's account at one provider.
pub mod connection {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "connections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub connector: String,
        pub end_user_id: Option<String>,
        /// `active`, `needs_reauth` or `error`.
        pub status: String,
        pub scopes: Json,
        pub expires_at: Option<DateTimeUtc>,
        pub metadata: Json,
        pub connection_config: Json,
        /// Why the connection is not `active`.
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_one = "super::credential::Entity")]
        Credential,
    }

    impl Related<super::credential::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Credential.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The secret of a connection, sealed; `version` grows with every write (compare-and-swap).
pub mod credential {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credentials")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub connection_id: String,
        /// The id of the key that sealed `sealed`.
        pub key_id: String,
        /// The credential (`crate::store::Secret`) as sealed JSON.
        pub sealed: String,
        pub version: i64,
        pub updated_at: DateTimeUtc,
        /// Who may call the token endpoint for this connection now (a random id per
        /// refresh), and until when (Unix milliseconds); both null when nobody does.
        pub lease_owner: Option<String>,
        pub lease_expires_ms: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::connection::Entity",
            from = "Column::ConnectionId",
            to = "super::connection::Column::Id",
            on_delete = "Cascade"
        )]
        Connection,
    }

    impl Related<super::connection::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Connection.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// An authorization in progress, from `POST /v1/oauth/authorize` to the callback.
pub mod oauth_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_sessions")]
    pub struct Model {
        /// SHA-256 of the `state`: the state itself is a bearer secret until used.
        #[sea_orm(primary_key, auto_increment = false)]
        pub state_hash: String,
        pub connector: String,
        pub connection_id: String,
        pub end_user_id: Option<String>,
        pub scopes: Json,
        pub connection_config: Json,
        pub redirect_url: Option<String>,
        /// The PKCE verifier, sealed.
        pub pkce_verifier: Option<String>,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        /// SHA-256 of the browser cookie of the connect page that started it: the callback
        /// must come to that browser.
        pub browser_hash: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// API secret keys, hashed.
pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key_hash: String,
        /// Where the key came from (`CONNECTOR_SECRET_KEY`, `generated`).
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What the registry knows of each definition it has loaded.
pub mod connector {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "connectors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub version: String,
        /// SHA-256 of the YAML.
        pub content_hash: String,
        /// `builtin` or the file it was loaded from.
        pub source: String,
        pub typed: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Where the platform's events are sent: `POST /v1/webhook-endpoints`.
pub mod webhook_endpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_endpoints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub url: String,
        /// The event types sent (a JSON array; `["*"]` for all).
        pub events: Json,
        /// The signing secret (`whsec_…`), sealed.
        pub secret: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An event, as every endpoint receives it: the outbox.
pub mod webhook_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_events")]
    pub struct Model {
        /// `webhook-id` of every delivery of it.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub r#type: String,
        /// The body sent, `{"type", "timestamp", "data"}`, exactly as signed.
        pub body: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One event to one endpoint, with its attempts.
pub mod webhook_delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event_id: String,
        pub endpoint_id: String,
        pub r#type: String,
        /// `pending`, `delivered` or `failed`.
        pub status: String,
        /// Attempts made, the first included.
        pub attempts: i32,
        /// When the next attempt is due (pending only).
        pub next_attempt_at: Option<DateTimeUtc>,
        /// The HTTP status of the last attempt, when it got one.
        pub last_status: Option<i32>,
        /// Why the last attempt failed.
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The call log: one row per provider call, token refresh or webhook delivery attempt.
pub mod call_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "call_log")]
    pub struct Model {
        /// Increasing: newest first is by id, and the list's cursor is one.
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub connection_id: Option<String>,
        pub connector: Option<String>,
        /// `proxy`, `action`, `refresh` or `webhook`.
        pub kind: String,
        pub method: String,
        /// Without its query string.
        pub path: String,
        /// The answer's HTTP status; none when no answer came.
        pub status: Option<i32>,
        pub duration_ms: i64,
        pub attempts: i32,
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Dashboard logins: a browser's session cookie, hashed, with its CSRF token.
pub mod dashboard_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dashboard_sessions")]
    pub struct Model {
        /// SHA-256 of the cookie's session id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        pub csrf_token: String,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Hosted connect sessions: one end user's short-lived pass to the connect page.
pub mod connect_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "connect_sessions")]
    pub struct Model {
        /// SHA-256 of the token in the page's URL.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub end_user_id: String,
        /// Connector names; all when absent.
        pub allowed_connectors: Option<Json>,
        pub redirect_url: Option<String>,
        /// SHA-256 of the cookie of the browser that opened the page first: only it may
        /// use the session.
        pub browser_hash: Option<String>,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
