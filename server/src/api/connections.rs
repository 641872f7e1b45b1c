//! `/v1/connections`: create (from credentials), list, get, token, refresh, delete, and the
//! request envelope.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use connector_defs::AuthKind;
use connector_runtime::RawRequest;
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use serde_json::{Value, json};

use super::{Tag, check_connection_config, check_connection_id};
use crate::calls;
use crate::crypto::random_token;
use crate::db::entities::{connection, credential};
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use crate::store::{Secret, connection_not_found};
use crate::tokens;

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Usable.
    Active,
    /// The provider refused the refresh token: the user must authorize again.
    NeedsReauth,
    /// The last token request failed for another reason (see `last_error`).
    Error,
}

/// One end user's account at one provider. Never carries secrets.
#[derive(Debug, Clone, Object)]
pub struct Connection {
    pub id: String,
    pub connector: String,
    pub end_user_id: Option<String>,
    pub status: ConnectionStatus,
    pub scopes: Vec<String>,
    /// When the access token expires, when known.
    pub expires_at: Option<DateTime<Utc>>,
    pub metadata: BTreeMap<String, Value>,
    pub connection_config: BTreeMap<String, String>,
    /// Why the connection is not `active`.
    #[oai(skip_serializing_if_is_none)]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&connection::Model> for Connection {
    fn from(row: &connection::Model) -> Connection {
        Connection {
            id: row.id.clone(),
            connector: row.connector.clone(),
            end_user_id: row.end_user_id.clone(),
            status: match row.status.as_str() {
                tokens::ACTIVE => ConnectionStatus::Active,
                tokens::NEEDS_REAUTH => ConnectionStatus::NeedsReauth,
                _ => ConnectionStatus::Error,
            },
            scopes: serde_json::from_value(row.scopes.clone()).unwrap_or_default(),
            expires_at: row.expires_at,
            metadata: serde_json::from_value(row.metadata.clone()).unwrap_or_default(),
            connection_config: serde_json::from_value(row.connection_config.clone())
                .unwrap_or_default(),
            last_error: row.last_error.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The credential of a new connection; which fields apply depends on the connector's auth
/// kind: `access_token` (with `refresh_token`, `expires_at`) for imported OAuth 2.0 tokens,
/// `api_key`, `username` and `password` (basic), `token` (bearer). Leave it out for
/// `oauth2_client_credentials` (a token is fetched now) and `none`.
#[derive(Debug, Clone, Default, Object)]
pub struct Credentials {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub api_key: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct CreateConnection {
    pub connector: String,
    /// Your id for the connection (letters, digits, `_`, `-`, `.`; at most 128); generated
    /// when absent. Unique across connectors.
    pub connection_id: Option<String>,
    /// Your id for the end user who owns the account.
    pub end_user_id: Option<String>,
    pub metadata: Option<BTreeMap<String, Value>>,
    /// Values of the connector's `connection_config` fields.
    pub connection_config: Option<BTreeMap<String, String>>,
    /// Granted scopes of imported tokens; scopes asked for with client credentials.
    pub scopes: Option<Vec<String>>,
    pub credentials: Option<Credentials>,
}

/// A page of connections.
#[derive(Debug, Clone, Object)]
pub struct ConnectionList {
    pub data: Vec<Connection>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// A valid access token.
#[derive(Debug, Clone, Object)]
pub struct AccessToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HttpMethod {
    #[oai(rename = "GET")]
    Get,
    #[oai(rename = "POST")]
    Post,
    #[oai(rename = "PUT")]
    Put,
    #[oai(rename = "PATCH")]
    Patch,
    #[oai(rename = "DELETE")]
    Delete,
    #[oai(rename = "HEAD")]
    Head,
}

impl From<HttpMethod> for reqwest::Method {
    fn from(method: HttpMethod) -> reqwest::Method {
        match method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
            HttpMethod::Head => reqwest::Method::HEAD,
        }
    }
}

/// A provider request through a connection, as JSON: what the proxy does, for clients that
/// prefer one JSON call.
#[derive(Debug, Clone, Object)]
pub struct EnvelopeRequest {
    pub method: HttpMethod,
    /// Appended to the connector's base URL; starts with `/`.
    pub path: String,
    pub query: Option<BTreeMap<String, String>>,
    pub headers: Option<BTreeMap<String, String>>,
    /// Sent as JSON, or as it is when a string goes with a non-JSON `Content-Type`.
    pub body: Option<Value>,
}

/// The provider's answer, whatever its status.
#[derive(Debug, Clone, Object)]
pub struct EnvelopeResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    /// JSON when the provider answered JSON, else the body as text.
    pub body: Value,
}

#[derive(ApiResponse)]
enum Created {
    /// The connection.
    #[oai(status = 201)]
    Created(Json<Connection>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// The connection and its secrets are gone.
    #[oai(status = 204)]
    NoContent,
}

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 200;

pub struct ConnectionsApi(pub SharedState);

#[OpenApi(tag = "Tag::Connections")]
impl ConnectionsApi {
    /// Creates a connection from credentials: imported OAuth 2.0 tokens, an API key, basic
    /// credentials, a bearer token, or (for client-credentials connectors) a token fetched now.
    #[oai(
        path = "/v1/connections",
        method = "post",
        operation_id = "create_connection"
    )]
    async fn create(
        &self,
        _key: SecretKey,
        input: StrictJson<CreateConnection>,
    ) -> ApiResult<Created> {
        let state = &self.0;
        let StrictJson(input) = input;
        let entry = state.connector(&input.connector)?;
        let id = match &input.connection_id {
            Some(id) => check_connection_id(id)?.to_owned(),
            None => new_connection_id(),
        };
        let config = check_connection_config(
            &entry.def,
            input.connection_config.clone().unwrap_or_default(),
        )?;
        let credentials = input.credentials.clone().unwrap_or_default();
        let mut scopes = input.scopes.clone().unwrap_or_default();
        let mut expires_at = credentials.expires_at;
        let missing = |field: &str| {
            ApiError::bad_request(
                "invalid_credentials",
                format!(
                    "connector `{}` ({}) needs `credentials.{field}`",
                    entry.def.name,
                    entry.def.auth.kind.as_str()
                ),
            )
        };
        let secret = match entry.def.auth.kind {
            AuthKind::Oauth2 => Secret::Oauth2 {
                access_token: credentials
                    .access_token
                    .clone()
                    .ok_or_else(|| missing("access_token"))?,
                refresh_token: credentials.refresh_token.clone(),
                token_type: "Bearer".into(),
            },
            AuthKind::Oauth2ClientCredentials => match credentials.access_token.clone() {
                Some(access_token) => Secret::Oauth2 {
                    access_token,
                    refresh_token: None,
                    token_type: "Bearer".into(),
                },
                None => {
                    let (app, _) = state.oauth_app(entry).await?;
                    let tokens = app
                        .client_credentials((!scopes.is_empty()).then_some(scopes.as_slice()))
                        .await
                        .map_err(|error| {
                            ApiError::bad_gateway("token_request_failed", error.to_string())
                        })?;
                    expires_at = tokens.expires_at.map(DateTime::<Utc>::from);
                    if let Some(granted) = tokens.scopes {
                        scopes = granted;
                    }
                    Secret::Oauth2 {
                        access_token: tokens.access_token,
                        refresh_token: tokens.refresh_token,
                        token_type: tokens.token_type,
                    }
                }
            },
            AuthKind::ApiKey => Secret::ApiKey {
                api_key: credentials
                    .api_key
                    .clone()
                    .ok_or_else(|| missing("api_key"))?,
            },
            AuthKind::Basic => Secret::Basic {
                username: credentials
                    .username
                    .clone()
                    .ok_or_else(|| missing("username"))?,
                password: credentials.password.clone().unwrap_or_default(),
            },
            AuthKind::Bearer => Secret::Bearer {
                token: credentials.token.clone().ok_or_else(|| missing("token"))?,
            },
            AuthKind::None => Secret::None,
        };
        let now = Utc::now();
        let row = connection::Model {
            id: id.clone(),
            connector: entry.def.name.clone(),
            end_user_id: input.end_user_id.clone(),
            status: tokens::ACTIVE.into(),
            scopes: json!(scopes),
            expires_at,
            metadata: json!(input.metadata.clone().unwrap_or_default()),
            connection_config: json!(config),
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        let txn = state.db.begin().await?;
        if let Err(error) = state.store.insert(&txn, &row, &secret).await {
            return Err(match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => id_taken(&id),
                _ => error.into(),
            });
        }
        txn.commit().await?;
        state.forget_connection(&id);
        tracing::info!(connection = %id, connector = %row.connector, "connection created");
        Ok(Created::Created(Json((&row).into())))
    }

    /// Lists connections in id order, optionally of one connector or end user.
    #[oai(
        path = "/v1/connections",
        method = "get",
        operation_id = "list_connections"
    )]
    async fn list(
        &self,
        _key: SecretKey,
        connector: Query<Option<String>>,
        end_user_id: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ConnectionList>> {
        let limit = limit.0.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_input",
                format!("limit must be between 1 and {MAX_PAGE}"),
            ));
        }
        let mut query = connection::Entity::find().order_by_asc(connection::Column::Id);
        if let Some(connector) = &connector.0 {
            query = query.filter(connection::Column::Connector.eq(connector.clone()));
        }
        if let Some(end_user_id) = &end_user_id.0 {
            query = query.filter(connection::Column::EndUserId.eq(end_user_id.clone()));
        }
        if let Some(cursor) = &cursor.0 {
            let after = URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_cursor", "cursor is not one this server gave")
                })?;
            query = query.filter(connection::Column::Id.gt(after));
        }
        let mut rows = query.limit(limit + 1).all(&self.0.db).await?;
        let next_cursor = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|row| URL_SAFE_NO_PAD.encode(row.id.as_bytes()))
        } else {
            None
        };
        Ok(Json(ConnectionList {
            data: rows.iter().map(Connection::from).collect(),
            next_cursor,
        }))
    }

    /// A connection's status, scopes, expiry and metadata; never its secrets.
    #[oai(
        path = "/v1/connections/:id",
        method = "get",
        operation_id = "get_connection"
    )]
    async fn get(&self, _key: SecretKey, id: Path<String>) -> ApiResult<Json<Connection>> {
        let row = connection::Entity::find_by_id(id.0.clone())
            .one(&self.0.db)
            .await?
            .ok_or_else(|| connection_not_found(&id))?;
        Ok(Json((&row).into()))
    }

    /// Removes a connection and its secrets.
    #[oai(
        path = "/v1/connections/:id",
        method = "delete",
        operation_id = "delete_connection"
    )]
    async fn delete(&self, _key: SecretKey, id: Path<String>) -> ApiResult<Deleted> {
        let txn = self.0.db.begin().await?;
        credential::Entity::delete_by_id(id.0.clone())
            .exec(&txn)
            .await?;
        let removed = connection::Entity::delete_by_id(id.0.clone())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.0.forget_connection(&id);
        if removed.rows_affected == 0 {
            return Err(connection_not_found(&id));
        }
        tracing::info!(connection = %id.0, "connection deleted");
        Ok(Deleted::NoContent)
    }

    /// A valid access token, refreshed first when it expires within the margin (or when
    /// `force_refresh` is true).
    #[oai(
        path = "/v1/connections/:id/token",
        method = "get",
        operation_id = "get_connection_token"
    )]
    async fn token(
        &self,
        _key: SecretKey,
        id: Path<String>,
        force_refresh: Query<Option<bool>>,
    ) -> ApiResult<Json<AccessToken>> {
        let state = &self.0;
        let loaded = if force_refresh.0.unwrap_or(false) {
            let current = state.store.load(&id).await?;
            tokens::check_usable(&current)?;
            oauth_only(&current.secret, &id)?;
            tokens::refresh(state, &id, None).await?
        } else {
            tokens::usable(state, &id).await?
        };
        let (access_token, token_type) = match &loaded.secret {
            Secret::Oauth2 {
                access_token,
                token_type,
                ..
            } => (access_token.clone(), token_type.clone()),
            Secret::Bearer { token } => (token.clone(), "Bearer".to_owned()),
            _ => {
                return Err(ApiError::bad_request(
                    "no_access_token",
                    format!(
                        "connection `{}` authenticates without an access token",
                        id.0
                    ),
                ));
            }
        };
        Ok(Json(AccessToken {
            access_token,
            token_type,
            expires_at: loaded.connection.expires_at,
        }))
    }

    /// Refreshes the access token now.
    #[oai(
        path = "/v1/connections/:id/refresh",
        method = "post",
        operation_id = "refresh_connection"
    )]
    async fn refresh(&self, _key: SecretKey, id: Path<String>) -> ApiResult<Json<Connection>> {
        let current = self.0.store.load(&id).await?;
        tokens::check_usable(&current)?;
        oauth_only(&current.secret, &id)?;
        let loaded = tokens::refresh(&self.0, &id, None).await?;
        Ok(Json((&loaded.connection).into()))
    }

    /// Sends one request to the provider with the connection's credential, as JSON.
    #[oai(
        path = "/v1/connections/:id/request",
        method = "post",
        operation_id = "connection_request"
    )]
    async fn request(
        &self,
        _key: SecretKey,
        id: Path<String>,
        input: StrictJson<EnvelopeRequest>,
    ) -> ApiResult<Json<EnvelopeResponse>> {
        let StrictJson(input) = input;
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in input.headers.iter().flatten() {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ApiError::bad_request("invalid_input", format!("`{name}` is not a header name"))
            })?;
            let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                ApiError::bad_request(
                    "invalid_input",
                    format!("the value of header `{name}` is not valid"),
                )
            })?;
            headers.insert(name, value);
        }
        let body = match input.body {
            None | Some(Value::Null) => None,
            Some(Value::String(text))
                if headers.get("content-type").is_some_and(|ct| !is_json(ct)) =>
            {
                Some(text.into_bytes())
            }
            Some(value) => {
                headers.entry(reqwest::header::CONTENT_TYPE).or_insert(
                    reqwest::header::HeaderValue::from_static("application/json"),
                );
                Some(serde_json::to_vec(&value).expect("JSON serialises"))
            }
        };
        let request = RawRequest {
            method: input.method.into(),
            path: input.path,
            query: input.query.unwrap_or_default().into_iter().collect(),
            headers,
            body: body.map(Into::into),
        };
        let response = calls::with_connection(&self.0, &id, None, true, |client| {
            let request = request.clone();
            async move { client.send(request).await }
        })
        .await?;
        let body = serde_json::from_slice(&response.body)
            .unwrap_or_else(|_| Value::String(response.text()));
        Ok(Json(EnvelopeResponse {
            status: response.status,
            headers: response
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body,
        }))
    }
}

fn is_json(content_type: &reqwest::header::HeaderValue) -> bool {
    content_type.to_str().is_ok_and(|ct| ct.contains("json"))
}

fn oauth_only(secret: &Secret, id: &str) -> ApiResult<()> {
    match secret {
        Secret::Oauth2 { .. } => Ok(()),
        _ => Err(ApiError::bad_request(
            "not_oauth2",
            format!("connection `{id}` does not use OAuth 2.0 tokens; there is nothing to refresh"),
        )),
    }
}

pub fn new_connection_id() -> String {
    format!("conn_{}", random_token(15))
}

pub fn id_taken(id: &str) -> ApiError {
    ApiError::conflict(
        "connection_exists",
        format!("connection id `{id}` is taken"),
    )
}
