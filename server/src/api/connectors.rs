//! `GET /v1/connectors`, `GET /v1/connectors/{name}`: the registry.

use std::collections::BTreeMap;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::{Tag, decode_cursor, encode_cursor, page_limit};
use crate::error::ApiResult;
use crate::registry::{Entry, Search};
use crate::state::SharedState;
use connector_runtime::openapi::SecretKey;

/// How a connector authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AuthKind {
    Oauth2,
    Oauth2ClientCredentials,
    ApiKey,
    Basic,
    Bearer,
    None,
    JwtBearer,
    AppJwt,
}

impl From<AuthKind> for connector_defs::AuthKind {
    fn from(kind: AuthKind) -> connector_defs::AuthKind {
        use connector_defs::AuthKind as K;
        match kind {
            AuthKind::Oauth2 => K::Oauth2,
            AuthKind::Oauth2ClientCredentials => K::Oauth2ClientCredentials,
            AuthKind::ApiKey => K::ApiKey,
            AuthKind::Basic => K::Basic,
            AuthKind::Bearer => K::Bearer,
            AuthKind::None => K::None,
            AuthKind::JwtBearer => K::JwtBearer,
            AuthKind::AppJwt => K::AppJwt,
        }
    }
}

impl From<connector_defs::AuthKind> for AuthKind {
    fn from(kind: connector_defs::AuthKind) -> AuthKind {
        use connector_defs::AuthKind as K;
        match kind {
            K::Oauth2 => AuthKind::Oauth2,
            K::Oauth2ClientCredentials => AuthKind::Oauth2ClientCredentials,
            K::ApiKey => AuthKind::ApiKey,
            K::Basic => AuthKind::Basic,
            K::Bearer => AuthKind::Bearer,
            K::None => AuthKind::None,
            K::JwtBearer => AuthKind::JwtBearer,
            K::AppJwt => AuthKind::AppJwt,
        }
    }
}

/// One endpoint of a connector.
#[derive(Debug, Clone, Object)]
pub struct EndpointInfo {
    /// The endpoint's name; the typed action is `POST /v1/actions/{connector}/{name}`.
    pub name: String,
    pub method: String,
    pub path: String,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    /// Whether the endpoint returns pages.
    pub paginated: bool,
}

/// A per-connection setting: a connection or an authorization passes it in
/// `connection_config`, and the definition splices it into URLs.
#[derive(Debug, Clone, Object)]
pub struct ConnectionConfigField {
    /// Whether a connection must provide it (else `default` applies, if any).
    pub required: bool,
    /// A regular expression the whole value must match; a value that does not is a 400.
    #[oai(skip_serializing_if_is_none)]
    pub pattern: Option<String>,
    /// A value of the right shape.
    #[oai(skip_serializing_if_is_none)]
    pub example: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    /// The value used when a connection leaves the setting out.
    #[oai(skip_serializing_if_is_none)]
    pub default: Option<String>,
}

impl From<&connector_defs::ConfigField> for ConnectionConfigField {
    fn from(field: &connector_defs::ConfigField) -> ConnectionConfigField {
        ConnectionConfigField {
            required: field.required,
            pattern: field.pattern.clone(),
            example: field.example.clone(),
            description: field.description.clone(),
            default: field.default.clone(),
        }
    }
}

/// A connector definition the server has loaded.
#[derive(Debug, Clone, Object)]
pub struct Connector {
    pub name: String,
    pub display_name: String,
    /// The definition's own version (semver).
    pub version: String,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub docs_url: Option<String>,
    pub base_url: String,
    pub auth_kind: AuthKind,
    /// What kind of service it is (`crm`, `dev-tools`, `storage`…).
    pub categories: Vec<String>,
    /// Default OAuth scopes.
    pub scopes: Vec<String>,
    /// Whether typed actions exist (compiled definitions); run-time definitions work through
    /// OAuth, connections and the proxy only.
    pub typed: bool,
    /// Where the definition comes from: `builtin` (compiled, typed), `catalog` (embedded in
    /// the server), or the file of CONNECTOR_DEFS_DIR it was loaded from.
    pub source: String,
    /// SHA-256 of the definition's YAML.
    pub content_hash: String,
    /// The credential fields a connection brings in `credentials` (`POST /v1/connections`),
    /// by name: `api_key`, `username` and `password`, `token`, the connector's own
    /// (`secret_key`…), or `client_id` and `client_secret` when each connection brings its own
    /// OAuth client. Empty for OAuth 2.0 connectors, whose tokens come from an authorization.
    pub credential_fields: Vec<String>,
    /// The per-connection settings, by name.
    pub connection_config: BTreeMap<String, ConnectionConfigField>,
    /// Empty for a proxy-only definition.
    pub endpoints: Vec<EndpointInfo>,
}

impl From<&Entry> for Connector {
    fn from(entry: &Entry) -> Connector {
        let def = &entry.def;
        Connector {
            name: def.name.clone(),
            display_name: def.display_name.clone().unwrap_or_else(|| def.name.clone()),
            version: def.version.clone(),
            description: def.description.clone(),
            docs_url: def.docs_url.clone(),
            base_url: def.base_url.clone(),
            auth_kind: def.auth.kind.into(),
            categories: def.categories.clone(),
            credential_fields: def
                .auth
                .credential_fields()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            scopes: def.auth.scopes.clone(),
            typed: entry.typed,
            source: entry.source.clone(),
            content_hash: entry.content_hash.clone(),
            connection_config: def
                .connection_config
                .iter()
                .map(|(name, field)| {
                    let mut field: ConnectionConfigField = field.into();
                    // The token response fills it: a caller never passes it.
                    field.required &= !def.auth.keeps_from_token_response(name);
                    (name.clone(), field)
                })
                .collect(),
            endpoints: def
                .endpoints
                .iter()
                .map(|(name, endpoint)| EndpointInfo {
                    name: name.clone(),
                    method: endpoint.method.as_str().to_owned(),
                    path: endpoint.path.clone(),
                    description: endpoint
                        .summary
                        .clone()
                        .or_else(|| endpoint.description.clone()),
                    paginated: endpoint.is_paginated(),
                })
                .collect(),
        }
    }
}

/// A page of the registry.
#[derive(Debug, Clone, Object)]
pub struct ConnectorList {
    pub data: Vec<Connector>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

pub struct ConnectorsApi(pub SharedState);

#[OpenApi(tag = "Tag::Connectors")]
impl ConnectorsApi {
    /// Searches the connectors (the built-ins, the catalog and those of CONNECTOR_DEFS_DIR),
    /// in name order, a page at a time.
    #[oai(
        path = "/v1/connectors",
        method = "get",
        operation_id = "list_connectors"
    )]
    async fn list(
        &self,
        _key: SecretKey,
        /// A part of the name or display name, in any case.
        q: Query<Option<String>>,
        auth_kind: Query<Option<AuthKind>>,
        /// One of the connector's categories, exactly.
        category: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ConnectorList>> {
        let limit = page_limit(limit.0)?;
        let after = decode_cursor(cursor.0.as_deref())?;
        let search = Search {
            text: q.0,
            auth_kind: auth_kind.0.map(Into::into),
            category: category.0,
        };
        let mut data: Vec<Connector> = self
            .0
            .registry
            .search(&search, after.as_deref())
            .take(limit + 1)
            .map(Connector::from)
            .collect();
        let next_cursor = if data.len() > limit {
            data.truncate(limit);
            data.last().map(|connector| encode_cursor(&connector.name))
        } else {
            None
        };
        Ok(Json(ConnectorList { data, next_cursor }))
    }

    /// One connector.
    #[oai(
        path = "/v1/connectors/:name",
        method = "get",
        operation_id = "get_connector"
    )]
    async fn get(&self, _key: SecretKey, name: Path<String>) -> ApiResult<Json<Connector>> {
        Ok(Json(self.0.connector(&name)?.into()))
    }
}
