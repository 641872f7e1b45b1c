//! `/v1/connections`: create (from credentials), list, get, token, refresh, delete. The
//! request envelope is in `envelope`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use connector_defs::{AuthKind, VerifyDef};
use connector_runtime::RawRequest;
use connector_runtime::oauth::TokenSet;
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde_json::{Value, json};

use super::{
    Tag, check_connection_config, check_connection_id, credentials, decode_cursor, encode_cursor,
    page_limit,
};
use crate::calls;
use crate::crypto::random_token;
use crate::db::entities::connection;
use crate::error::{ApiError, ApiResult, connection_not_found};
use crate::registry::Entry;
use crate::state::{AppState, SharedState};
use crate::store::{ConnectionFilter, Secret, status};

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
                status::ACTIVE => ConnectionStatus::Active,
                status::NEEDS_REAUTH => ConnectionStatus::NeedsReauth,
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

#[derive(Debug, Clone, Object)]
pub struct CreateConnection {
    pub connector: String,
    /// Your id for the connection (letters, digits, `_`, `-`, `.`; at most 128); generated
    /// when absent. Unique across connectors.
    pub connection_id: Option<String>,
    /// Your id for the end user who owns the account.
    pub end_user_id: Option<String>,
    pub metadata: Option<BTreeMap<String, Value>>,
    /// Values of the connector's `connection_config` fields; each must match the field's
    /// `pattern` (`GET /v1/connectors/{name}`), else 400 `invalid_input`.
    pub connection_config: Option<BTreeMap<String, String>>,
    /// Granted scopes of imported tokens; scopes asked for with client credentials.
    pub scopes: Option<Vec<String>>,
    /// The credential, by field name; which fields apply depends on the connector
    /// (`credential_fields` of `GET /v1/connectors/{name}`): its named fields for `api_key`
    /// and `basic` (by default `api_key`; `username` and `password`), `token` for `bearer`,
    /// `access_token` (with `refresh_token`, `expires_at` as RFC 3339) for imported OAuth 2.0
    /// tokens. For `oauth2_client_credentials`, leave it out (a token is fetched now) or give
    /// the connector's `client_id` and `client_secret` when each connection brings its own
    /// OAuth client. A missing field is a 400 `invalid_input` naming `credentials.NAME`, and
    /// so is an unknown one (with a suggestion when it is close to a known one). A `null` field
    /// is left out.
    pub credentials: Option<BTreeMap<String, Option<String>>>,
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

pub struct ConnectionsApi(pub SharedState);

#[OpenApi(tag = "Tag::Connections")]
impl ConnectionsApi {
    /// Creates a connection from credentials: imported OAuth 2.0 tokens, an API key, basic
    /// credentials, a bearer token, or a token fetched now (client credentials) or minted now
    /// (a service account's key for `jwt_bearer`, the integration's app key for `app_jwt`).
    /// When the connector defines `verify`, an API key, basic credentials or a bearer token
    /// are checked with the provider first: refused ones are a 400 `invalid_credentials`, an
    /// undecided check a 502 `verification_failed`, and nothing is stored.
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
        let StrictJson(input) = input;
        let row = create_connection(&self.0, input).await?;
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
        let limit = page_limit(limit.0)?;
        let after = decode_cursor(cursor.0.as_deref())?;
        let filter = ConnectionFilter {
            connector: connector.0,
            end_user_id: end_user_id.0,
            after,
        };
        let mut rows = self.0.store.list(&filter, limit as u64 + 1).await?;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|row| encode_cursor(&row.id))
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
        let row = self.0.store.get(&id).await?;
        Ok(Json((&row).into()))
    }

    /// Removes a connection and its secrets.
    #[oai(
        path = "/v1/connections/:id",
        method = "delete",
        operation_id = "delete_connection"
    )]
    async fn delete(&self, _key: SecretKey, id: Path<String>) -> ApiResult<Deleted> {
        delete_connection(&self.0, &id).await?;
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
            state.refresher.refresh_now(&id).await?
        } else {
            state.refresher.usable(&id).await?
        };
        let Some((access_token, token_type)) = loaded.secret.access_token() else {
            return Err(ApiError::bad_request(
                "no_access_token",
                format!(
                    "connection `{}` authenticates without an access token",
                    id.0
                ),
            ));
        };
        Ok(Json(AccessToken {
            access_token: access_token.to_owned(),
            token_type: token_type.to_owned(),
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
        let loaded = self.0.refresher.refresh_now(&id).await?;
        Ok(Json((&loaded.connection).into()))
    }
}

/// Checks and stores a new connection (`POST /v1/connections`, the connect page).
pub async fn create_connection(
    state: &AppState,
    input: CreateConnection,
) -> ApiResult<connection::Model> {
    let entry = state.connector(&input.connector)?;
    let id = match &input.connection_id {
        Some(id) => check_connection_id(id)?.to_owned(),
        None => new_connection_id(),
    };
    let config = check_connection_config(
        &entry.def,
        input.connection_config.clone().unwrap_or_default(),
    )?;
    let mut scopes = input.scopes.clone().unwrap_or_default();
    let mut given = credentials::read(&entry.def, input.credentials.clone().unwrap_or_default())?;
    let mut expires_at = given.expires_at;
    let secret = match given.secret.take() {
        Some(secret) => secret,
        // The connection's first token is fetched or minted now.
        None => {
            let (secret, tokens) = first_token(state, entry, given, &scopes, &config).await?;
            expires_at = tokens.expires_at.map(DateTime::<Utc>::from);
            if let Some(granted) = tokens.scopes {
                scopes = granted;
            }
            secret
        }
    };
    if let Some(verify) = &entry.def.verify
        && let Err(error) = verify_credential(state, entry, &id, verify, &secret, &config).await
    {
        // Drops the per-connection rate limiter the check may have made for the id.
        state.forget_connection(&id);
        return Err(error);
    }
    let now = Utc::now();
    let row = connection::Model {
        id: id.clone(),
        connector: entry.def.name.clone(),
        end_user_id: input.end_user_id.clone(),
        status: status::ACTIVE.into(),
        scopes: json!(scopes),
        expires_at,
        metadata: json!(input.metadata.clone().unwrap_or_default()),
        connection_config: json!(config),
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    state.store.create(&row, &secret).await?;
    state.forget_connection(&id);
    tracing::info!(connection = %id, connector = %row.connector, "connection created");
    Ok(row)
}

/// Removes a connection and its secrets (`DELETE /v1/connections/{id}`, the dashboard).
pub async fn delete_connection(state: &AppState, id: &str) -> ApiResult<()> {
    let removed = state.store.delete(id).await?;
    state.forget_connection(id);
    if !removed {
        return Err(connection_not_found(id));
    }
    tracing::info!(connection = %id, "connection deleted");
    Ok(())
}

pub fn new_connection_id() -> String {
    format!("conn_{}", random_token(15))
}

/// The first token of a connection that fetches its own: client credentials (with the
/// connection's own client when it brings one), a service account's assertion (`jwt_bearer`;
/// its key is kept with the token) or an installation token (`app_jwt`).
async fn first_token(
    state: &AppState,
    entry: &Entry,
    given: credentials::Given,
    scopes: &[String],
    config: &BTreeMap<String, String>,
) -> ApiResult<(Secret, TokenSet)> {
    let integrations = &state.integrations;
    if let Some(account) = given.service_account {
        let tokens = integrations
            .jwt_bearer(entry, &account.signer, scopes, config.clone())
            .await?;
        let secret = Secret::JwtBearer {
            issuer: account.signer.issuer,
            private_key: account.private_key,
            subject: account.signer.subject,
            key_id: account.key_id,
            access_token: tokens.access_token.clone(),
            token_type: tokens.token_type.clone(),
        };
        return Ok((secret, tokens));
    }
    let tokens = match entry.def.auth.kind {
        AuthKind::AppJwt => integrations.app_token(entry, config.clone()).await?,
        _ => {
            integrations
                .client_credentials(entry, scopes, config, given.client.as_ref())
                .await?
        }
    };
    let secret = Secret::Oauth2 {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        token_type: tokens.token_type.clone(),
        client: given.client,
    };
    Ok((secret, tokens))
}

/// Sends the definition's `verify` requests with the new credential, one path after the
/// other: 2xx accepts it, 401 and 403 refuse it (400 `invalid_credentials`); any other answer,
/// or a failed request, tries the next path. When none decides, a 502 `verification_failed`.
async fn verify_credential(
    state: &AppState,
    entry: &Entry,
    connection_id: &str,
    verify: &VerifyDef,
    secret: &Secret,
    config: &BTreeMap<String, String>,
) -> ApiResult<()> {
    let client =
        calls::connection_client(state, entry, connection_id, secret.auth(), config.clone())
            .await?;
    let name = &entry.def.name;
    let mut undecided = Vec::new();
    let mut last_status = None;
    for path in verify.paths() {
        let call = format!("{} {path}", verify.method.as_str());
        let request = RawRequest {
            method: verify.method.as_str().parse().expect("HTTP methods parse"),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Default::default(),
            body: None,
        };
        let status = match client.send(request).await {
            Ok(response) => response.status,
            Err(error) => {
                tracing::debug!(connector = %name, %call, %error, "verify request failed");
                undecided.push(format!("{call} failed ({error})"));
                continue;
            }
        };
        match status {
            200..=299 => return Ok(()),
            401 | 403 => {
                return Err(ApiError::bad_request(
                    "invalid_credentials",
                    format!("{name} refused the credentials: it answered {status} to {call}"),
                )
                .with_details(json!({ "status": status })));
            }
            _ => {
                last_status = Some(status);
                undecided.push(format!("{name} answered {status} to {call}"));
            }
        }
    }
    let error = ApiError::bad_gateway(
        "verification_failed",
        format!(
            "the credentials could not be checked: {}",
            undecided.join("; ")
        ),
    );
    Err(match last_status {
        Some(status) => error.with_details(json!({ "status": status })),
        None => error,
    })
}
