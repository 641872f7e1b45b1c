//! The definition format, version 1, as serde types.
//!
//! These types mirror the YAML one to one (`deny_unknown_fields` everywhere), so that
//! serde reports unknown and mistyped fields with their location. Rules that span several
//! fields (what an auth kind needs, path placeholders, pagination targets…) live in
//! [`crate::validate`], which runs on these types after deserialisation.
//!
//! Kind-dependent sections (`auth`, `pagination`, a webhook `signature`) are flat structs with
//! a `kind` (`scheme`) field rather than internally tagged enums: serde buffers tagged enums
//! before deserialising them, which loses every location inside. Accessors such as
//! [`AuthDef::api_key`] give the typed view. The one-of-two-keys values of `webhooks:`
//! ([`WebhookValue`], [`WebhookConnection`]) are enums read by hand, key by key, for the same
//! reason.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::bounds::Bounds;

/// One third-party API: its auth, base URL and endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Connector definition (version 1)")]
pub struct ConnectorDef {
    /// Unique name, `[a-z][a-z0-9_]*`; becomes the Rust module name and the OpenAPI tag.
    pub name: String,
    /// Human-readable name shown in the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Semantic version of this definition.
    pub version: String,
    /// What the connector is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The provider's API documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// Base URL every endpoint path is appended to. May hold `{connection_config.NAME}`.
    pub base_url: String,
    /// Per-connection settings (tenant, subdomain…) that `base_url` placeholders refer to.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub connection_config: IndexMap<String, ConfigField>,
    /// How requests are authenticated.
    pub auth: AuthDef,
    /// Headers sent with every request.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// When and how often failed requests are retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryDef>,
    /// Client-side rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitDef>,
    /// Per-request timeout in milliseconds (default 30000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The operations, by name (`[a-z][a-z0-9_]*`). Each becomes a client method and a typed
    /// action. Without any, the connector is proxy-only: OAuth, connections and the proxy.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub endpoints: IndexMap<String, Endpoint>,
    /// Named schemas, by PascalCase name, that `$ref: "#/schemas/NAME"` refers to wherever a
    /// schema goes. Each becomes one Rust type and one OpenAPI component, however often it is
    /// referred to; refs may be recursive.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub schemas: IndexMap<String, Schema>,
    /// What kind of service this is, for browsing the registry: lowercase names such as
    /// `crm`, `file-storage` or `dev-tools` (letters, digits, `-`, `_`), each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// A cheap request that succeeds only with a valid credential, sent when a connection is
    /// created from an API key, basic credentials or a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifyDef>,
    /// The provider's incoming webhooks: how a delivery's signature is checked, where its event
    /// type is and which connection it concerns. The server receives them at
    /// `POST /webhooks/{connector}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<WebhooksDef>,
}

/// The request that checks a new connection's credential: `path`, or several `paths` tried
/// in order until one answers 2xx (accepted) or 401/403 (refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyDef {
    pub method: HttpMethod,
    /// Appended to the base URL; starts with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Several paths, tried in order; any other answer (or a network error) tries the next.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl VerifyDef {
    /// The paths to try, in order (`path` alone, or `paths`).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.path.iter().chain(&self.paths).map(String::as_str)
    }
}

/// A per-connection setting referenced as `{connection_config.NAME}` in URLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    /// What the setting is and where a user finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether a connection must provide it (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// A regular expression (Rust `regex` syntax) the whole value must match; anchored, unlike
    /// a parameter's `pattern`, since a setting is spliced into URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// A value of the right shape, shown to users (`acme` for a subdomain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

impl ConfigField {
    /// `Err` says why `value` is not allowed, as the end of a sentence naming the setting:
    /// "must match the pattern `^[a-z]+$`, got `Acme`". A pattern that does not compile (only
    /// in an unvalidated definition) is reported the same way.
    pub fn check(&self, value: &str) -> Result<(), String> {
        let Some(pattern) = &self.pattern else {
            return Ok(());
        };
        let regex = crate::bounds::compile_anchored(pattern)?;
        if regex.is_match(value) {
            Ok(())
        } else {
            Err(format!("must match the pattern `{pattern}`, got `{value}`"))
        }
    }
}

/// How an API authenticates. Which other fields are allowed depends on `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthDef {
    pub kind: AuthKind,
    /// oauth2: where the user grants access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// oauth2, oauth2_client_credentials, jwt_bearer, app_jwt: where tokens are requested
    /// (codes and refresh tokens exchanged, assertions posted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// oauth2, oauth2_client_credentials, jwt_bearer, app_jwt: how a token request carries its
    /// parameters (default `form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_request_encoding: Option<TokenRequestEncoding>,
    /// jwt_bearer: the assertion's `aud` claim (default: the token URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// oauth2, oauth2_client_credentials, jwt_bearer: scopes requested by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// oauth2, oauth2_client_credentials, jwt_bearer: how scopes are joined (default a space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_separator: Option<String>,
    /// oauth2: use PKCE (S256); default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce: Option<bool>,
    /// oauth2: extra query parameters of the authorization URL.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub authorization_params: IndexMap<String, String>,
    /// oauth2, oauth2_client_credentials: how the client authenticates at the token URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_auth_method: Option<TokenAuthMethod>,
    /// oauth2, oauth2_client_credentials, jwt_bearer, app_jwt: extra parameters of the code
    /// exchange, the client-credentials grant and the JWT token requests (`audience`…). For
    /// oauth2_client_credentials only, a `grant_type` replaces `client_credentials`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub token_params: IndexMap<String, String>,
    /// oauth2: extra form parameters of a refresh.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub refresh_params: IndexMap<String, String>,
    /// oauth2, oauth2_client_credentials, jwt_bearer, app_jwt: where the access token sits in
    /// the token response when not at the top (`authed_user.access_token`; app_jwt's default
    /// is `token`), as a dotted path; `refresh_token`, `expires_in` (or an RFC 3339
    /// `expires_at`) and `token_type` are then read next to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_path: Option<String>,
    /// oauth2: token-response fields (dotted paths, `instance_url`) stored into the
    /// connection's `connection_config` under their last segment, which must be a declared
    /// setting; a URL may start with such a setting (`{connection_config.instance_url}/api`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep_from_token_response: Vec<String>,
    /// api_key: where the key goes.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<KeyLocation>,
    /// api_key: the header or query parameter name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// api_key: text put before the key, such as `Token `.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// api_key, basic, oauth2_client_credentials: the credential fields a connection brings,
    /// snake_case (default `[api_key]`, `[username, password]`; for client credentials
    /// `[client_id, client_secret]` makes each connection bring its own OAuth client).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<String>,
    /// Headers that carry the credential, replacing the kind's default placement. Values may
    /// hold `{credentials.NAME}` and `{connection_config.NAME}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Query parameters that carry the credential, like `headers`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    Oauth2,
    Oauth2ClientCredentials,
    ApiKey,
    Basic,
    Bearer,
    None,
    /// RFC 7523: a JWT signed with the connection's private key is traded for an access token
    /// (Google service accounts).
    JwtBearer,
    /// A JWT signed with the integration's app key mints short-lived tokens (GitHub App
    /// installations).
    AppJwt,
}

impl AuthKind {
    pub const ALL: [AuthKind; 8] = [
        AuthKind::Oauth2,
        AuthKind::Oauth2ClientCredentials,
        AuthKind::ApiKey,
        AuthKind::Basic,
        AuthKind::Bearer,
        AuthKind::None,
        AuthKind::JwtBearer,
        AuthKind::AppJwt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Oauth2 => "oauth2",
            AuthKind::Oauth2ClientCredentials => "oauth2_client_credentials",
            AuthKind::ApiKey => "api_key",
            AuthKind::Basic => "basic",
            AuthKind::Bearer => "bearer",
            AuthKind::None => "none",
            AuthKind::JwtBearer => "jwt_bearer",
            AuthKind::AppJwt => "app_jwt",
        }
    }

    /// The kinds whose credential is an access token from `token_url`, fetched again when it
    /// expires: both OAuth 2.0 kinds and both JWT kinds.
    pub fn has_token_url(self) -> bool {
        self.is_oauth2() || matches!(self, AuthKind::JwtBearer | AuthKind::AppJwt)
    }

    /// Both OAuth 2.0 kinds: their credential is a bearer access token from a token URL.
    pub fn is_oauth2(self) -> bool {
        matches!(self, AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// client_id and client_secret in the form body.
    #[default]
    ClientSecretPost,
    /// client_id and client_secret as HTTP Basic credentials.
    ClientSecretBasic,
    /// client_id in the form body, no secret (a public client).
    None,
}

/// How a token request carries its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenRequestEncoding {
    /// An `application/x-www-form-urlencoded` body (RFC 6749).
    #[default]
    Form,
    /// A JSON object body of string values.
    Json,
    /// The URL's query string, with an empty body.
    Query,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyLocation {
    Header,
    Query,
}

/// The api_key placement, once validation has checked that `in` and `name` are present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyPlacement<'a> {
    pub location: KeyLocation,
    pub name: &'a str,
    pub prefix: &'a str,
}

impl AuthDef {
    /// Where an api_key goes; `None` for other kinds (or an unvalidated definition).
    pub fn api_key(&self) -> Option<ApiKeyPlacement<'_>> {
        match (self.kind, self.location, self.name.as_deref()) {
            (AuthKind::ApiKey, Some(location), Some(name)) => Some(ApiKeyPlacement {
                location,
                name,
                prefix: self.prefix.as_deref().unwrap_or(""),
            }),
            _ => None,
        }
    }

    /// The credential fields a connection of this definition brings: `credentials`, else the
    /// kind's default (`api_key`; `username`, `password`; `token` for bearer; none for the
    /// OAuth 2.0 kinds, whose token the server obtains; a service account for jwt_bearer).
    pub fn credential_fields(&self) -> Vec<&str> {
        if !self.credentials.is_empty() {
            return self.credentials.iter().map(String::as_str).collect();
        }
        match self.kind {
            AuthKind::ApiKey => vec!["api_key"],
            AuthKind::Basic => vec!["username", "password"],
            AuthKind::Bearer => vec!["token"],
            // The service account (`subject` and `key_id` optional).
            AuthKind::JwtBearer => vec!["issuer", "private_key", "subject", "key_id"],
            _ => Vec::new(),
        }
    }

    /// The field every template of this kind may use besides the declared ones: the OAuth
    /// 2.0 kinds' `access_token`, bearer's `token`.
    pub fn implicit_credential(&self) -> Option<&'static str> {
        match self.kind {
            AuthKind::Bearer => Some("token"),
            kind if kind.has_token_url() => Some("access_token"),
            _ => None,
        }
    }

    /// The names `{credentials.NAME}` may take in `headers` and `query`.
    pub fn template_credentials(&self) -> Vec<&str> {
        let mut names = match self.kind {
            // Client credentials are spent at the token URL, not sent to the API.
            AuthKind::Oauth2ClientCredentials | AuthKind::JwtBearer => Vec::new(),
            _ => self.credential_fields(),
        };
        if let Some(implicit) = self.implicit_credential()
            && !names.contains(&implicit)
        {
            names.push(implicit);
        }
        names
    }

    /// Whether `headers` or `query` place the credential (instead of the kind's default).
    pub fn has_templates(&self) -> bool {
        !self.headers.is_empty() || !self.query.is_empty()
    }

    /// Whether each connection brings its own OAuth client (`oauth2_client_credentials` with
    /// `credentials: [client_id, client_secret]`).
    pub fn per_connection_client(&self) -> bool {
        self.kind == AuthKind::Oauth2ClientCredentials && !self.credentials.is_empty()
    }

    pub fn pkce(&self) -> bool {
        self.pkce.unwrap_or(true)
    }

    pub fn scope_separator(&self) -> &str {
        self.scope_separator.as_deref().unwrap_or(" ")
    }

    /// The `connection_config` settings filled from the token response
    /// (`keep_from_token_response`), with the dotted path each is read at.
    pub fn kept_from_token_response(&self) -> impl Iterator<Item = (&str, &str)> {
        self.keep_from_token_response
            .iter()
            .map(|path| (path.rsplit('.').next().unwrap_or(path), path.as_str()))
    }

    /// Where the access token sits in the token response when not at the top:
    /// `access_token_path`, else `token` for app_jwt (GitHub's installation tokens).
    pub fn token_path(&self) -> Option<&str> {
        self.access_token_path
            .as_deref()
            .or((self.kind == AuthKind::AppJwt).then_some("token"))
    }

    pub fn token_request_encoding(&self) -> TokenRequestEncoding {
        self.token_request_encoding.unwrap_or_default()
    }

    /// Whether the `connection_config` setting `name` is filled from the token response.
    pub fn keeps_from_token_response(&self, name: &str) -> bool {
        self.kept_from_token_response()
            .any(|(kept, _)| kept == name)
    }
}

/// Retry policy. Retries use exponential backoff with full jitter, or wait what the
/// provider's retry hints (`after`, `at`) say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryDef {
    /// Attempts in all, the first included (default 3).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Statuses that are retried (default 429, 500, 502, 503, 504).
    #[serde(default = "default_retry_statuses")]
    pub on_status: Vec<u16>,
    /// First backoff in milliseconds (default 200); doubles each attempt.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// Upper bound of one wait, Retry-After included, in milliseconds (default 30000).
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Response headers holding how long to wait before retrying, in seconds or as an HTTP
    /// date, tried in order (default `[retry-after]`).
    #[serde(
        default = "default_retry_after_headers",
        skip_serializing_if = "is_default_retry_after"
    )]
    pub after: Vec<String>,
    /// Response headers holding when the budget resets: epoch seconds, epoch milliseconds,
    /// or seconds from now when small.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<String>,
    /// The response header holding the requests left in the budget; `0` with a reset time
    /// (`at`) holds the next requests until the reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<String>,
}

impl Default for RetryDef {
    fn default() -> Self {
        RetryDef {
            max_attempts: default_max_attempts(),
            on_status: default_retry_statuses(),
            initial_backoff_ms: default_initial_backoff_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            after: default_retry_after_headers(),
            at: Vec::new(),
            remaining: None,
        }
    }
}

/// At most `requests` requests every `per_seconds` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitDef {
    pub requests: u32,
    pub per_seconds: u32,
    /// Whether the budget is shared by the whole connector (default) or kept per connection.
    #[serde(default, skip_serializing_if = "is_default")]
    pub scope: RateLimitScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitScope {
    #[default]
    Connector,
    Connection,
}

/// One operation of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub method: HttpMethod,
    /// Path appended to the base URL; `{name}` placeholders are path parameters.
    pub path: String,
    /// Overrides the connector's base URL for this endpoint (Dropbox's content host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Short summary (OpenAPI `summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What the operation does; becomes the doc comment and OpenAPI description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Parameters by their wire name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, Param>,
    /// How `in: body` parameters are encoded (default json).
    #[serde(default, skip_serializing_if = "is_default")]
    pub body_encoding: BodyEncoding,
    /// Content-Type of a `raw` body (default application/octet-stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Whether repeating the call is harmless, which allows retrying it after a 5xx or a
    /// connection error. Defaults to true for GET, HEAD, PUT and DELETE. A 429 is always
    /// retried: the provider did not act on the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
    /// Headers sent with this endpoint only.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// How to fetch the following pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<PaginationDef>,
    /// Schema of a successful response; without it the output is free JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Schema>,
}

impl Endpoint {
    pub fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or(self.method.is_idempotent())
    }

    /// Whether the endpoint has a page stream.
    pub fn is_paginated(&self) -> bool {
        self.pagination.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Head => "HEAD",
        }
    }

    /// Methods that may be retried without an idempotency key.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, HttpMethod::Post | HttpMethod::Patch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// A JSON object whose keys are the body parameters' names.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// The single body parameter, sent as it is (file uploads).
    Raw,
}

/// One input of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    #[serde(rename = "in")]
    pub location: ParamLocation,
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Required parameters have no default and are not optional in Rust (path params always are).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// integer, number: the smallest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    /// integer, number: the largest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    /// string: the fewest characters allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// string: the most characters allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// string: a regular expression (Rust `regex` syntax) the value must match; unanchored,
    /// so write `^…$` to constrain the whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Element schema of an `array` parameter (default string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Schema>>,
    /// Fields of an `object` parameter; without them it is free JSON.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub properties: IndexMap<String, Schema>,
    /// Required fields of an `object` parameter.
    #[serde(
        default,
        rename = "required_properties",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub required_properties: Vec<String>,
    /// `#/schemas/NAME`: an `object` or `array` parameter shaped as that named schema, in place
    /// of `properties` or `items` (Calendar's `start`, written as the `EventDateTime` it is).
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Param {
    /// The parameter as a schema, for code generation and JSON validation.
    pub fn schema(&self) -> Schema {
        if let Some(reference) = &self.reference {
            return Schema {
                reference: Some(reference.clone()),
                description: self.description.clone(),
                ..Schema::default()
            };
        }
        Schema {
            ty: Some(self.ty),
            description: self.description.clone(),
            properties: self.properties.clone(),
            required: self.required_properties.clone(),
            items: self.items.clone(),
            enum_values: self.enum_values.clone(),
            format: None,
            nullable: false,
            reference: None,
            one_of: Vec::new(),
            discriminator: None,
        }
    }

    /// The values the parameter allows besides its type: `enum`, `minimum`, `maximum`,
    /// `min_length`, `max_length`, `pattern`.
    pub fn bounds(&self) -> Bounds<'_> {
        Bounds {
            minimum: self.minimum.as_ref().and_then(Number::as_f64),
            maximum: self.maximum.as_ref().and_then(Number::as_f64),
            min_length: self.min_length,
            max_length: self.max_length,
            pattern: self.pattern.as_deref(),
            allowed: self.enum_values.as_deref(),
        }
    }

    /// A path parameter is always required; others when `required` says so and no default exists.
    pub fn is_required(&self) -> bool {
        self.default.is_none() && (self.required || self.location == ParamLocation::Path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Body,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Body => "body",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Object => "object",
            ParamType::Array => "array",
        }
    }

    /// Whether a JSON value is of this type.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ParamType::String => value.is_string(),
            ParamType::Integer => value.is_i64() || value.is_u64(),
            ParamType::Number => value.is_number(),
            ParamType::Boolean => value.is_boolean(),
            ParamType::Object => value.is_object(),
            ParamType::Array => value.is_array(),
        }
    }
}

/// The subset of JSON Schema used for responses and structured parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Without a type, any JSON value.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<ParamType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Fields of an object; an object without them is free JSON.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub properties: IndexMap<String, Schema>,
    /// Fields always present; the others are optional.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// Element schema of an array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Schema>>,
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// Informative format (`date-time`, `int32`, `byte`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Whether `null` is allowed besides the type.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nullable: bool,
    /// `#/schemas/NAME`: this schema is the named one. Only `description` and `nullable` may
    /// stand beside it.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A tagged union: exactly one of these `$ref`s to named object schemas, told apart by
    /// the `discriminator` property.
    #[serde(default, rename = "oneOf", skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<Schema>,
    /// Which property of a `oneOf` value names its alternative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminator: Option<Discriminator>,
}

/// The prefix of every `$ref` value.
pub const SCHEMA_REF_PREFIX: &str = "#/schemas/";

impl Schema {
    /// A schema that is the named schema `name`.
    pub fn reference_to(name: &str) -> Schema {
        Schema {
            reference: Some(format!("{SCHEMA_REF_PREFIX}{name}")),
            ..Schema::default()
        }
    }

    /// The schema name a `$ref` points to (`DriveItem` for `#/schemas/DriveItem`).
    pub fn ref_name(&self) -> Option<&str> {
        self.reference.as_deref().map(|reference| {
            reference
                .strip_prefix(SCHEMA_REF_PREFIX)
                .unwrap_or(reference)
        })
    }

    /// The named schema of `schemas` this `$ref` points to; `None` when it is no `$ref` or its
    /// name is not there (validation reports that).
    pub fn referenced<'a>(&self, schemas: &'a IndexMap<String, Schema>) -> Option<&'a Schema> {
        self.ref_name().and_then(|name| schemas.get(name))
    }

    /// The schema this one stands for: the named schema of `schemas` when it is a `$ref`,
    /// itself otherwise.
    pub fn resolve_in<'a>(&'a self, schemas: &'a IndexMap<String, Schema>) -> &'a Schema {
        self.referenced(schemas).unwrap_or(self)
    }

    /// Whether this is a `type: string, format: binary` body: bytes, streamed.
    pub fn is_binary(&self) -> bool {
        self.ty == Some(ParamType::String) && self.format.as_deref() == Some("binary")
    }
}

/// The property that tells a `oneOf`'s alternatives apart, spelled as in OpenAPI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Discriminator {
    /// The property (`type`, Dropbox's `.tag`).
    #[serde(rename = "propertyName")]
    pub property_name: String,
    /// Property value → `#/schemas/NAME`. An alternative left out is named by its schema name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub mapping: IndexMap<String, String>,
}

impl Discriminator {
    /// The property value of each alternative of `one_of`, in order.
    pub fn values<'a>(
        &'a self,
        one_of: &'a [Schema],
    ) -> impl Iterator<Item = (&'a str, &'a Schema)> {
        one_of.iter().map(|alternative| {
            let name = alternative.ref_name().unwrap_or_default();
            let value = self
                .mapping
                .iter()
                .find(|(_, target)| target.strip_prefix(SCHEMA_REF_PREFIX) == Some(name))
                .map_or(name, |(value, _)| value.as_str());
            (value, alternative)
        })
    }
}

impl ConnectorDef {
    /// The schema `schema` stands for: the named schema when it is a `$ref` (validation
    /// guarantees that it exists and that a named schema is not itself a bare `$ref`).
    pub fn resolve<'a>(&'a self, schema: &'a Schema) -> &'a Schema {
        schema.resolve_in(&self.schemas)
    }
}

/// How the following pages of a list are fetched. Which fields apply depends on `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaginationDef {
    pub kind: PaginationKind,
    /// Top-level response field holding the page's items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    /// cursor: the parameter that carries the cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_param: Option<String>,
    /// cursor: top-level response field holding the next cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// next_url: response field holding the absolute URL of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_url: Option<String>,
    /// offset: the parameter that carries the offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_param: Option<String>,
    /// page: the parameter that carries the page number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_param: Option<String>,
    /// offset, page: the parameter that carries the page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_param: Option<String>,
    /// page: number of the first page (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_page: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaginationKind {
    /// The response names a cursor that the next request sends back.
    Cursor,
    /// The next request skips the items seen so far.
    Offset,
    /// The next request asks for the following page number.
    Page,
    /// The next page's URL is in the `Link: <…>; rel="next"` header.
    LinkHeader,
    /// The next page's URL is a field of the response (`@odata.nextLink`).
    NextUrl,
}

impl PaginationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PaginationKind::Cursor => "cursor",
            PaginationKind::Offset => "offset",
            PaginationKind::Page => "page",
            PaginationKind::LinkHeader => "link_header",
            PaginationKind::NextUrl => "next_url",
        }
    }
}

/// The provider's incoming webhooks (`webhooks:`): how the server checks that a delivery comes
/// from the provider, what event it carries and which connection it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhooksDef {
    /// How a delivery is signed.
    pub signature: WebhookSignature,
    /// Where a delivery names its event type: a header, or a JSON pointer into the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<WebhookValue>,
    /// Where a delivery names the account it concerns, and the `connection_config` setting
    /// that value is matched against to find the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<WebhookConnection>,
}

/// How a delivery is signed. Which other fields are allowed depends on `scheme`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSignature {
    /// Which signature the provider sends.
    pub scheme: SignatureScheme,
    /// hmac_sha256 (required), stripe, slack: the header carrying the signature (stripe's
    /// default is `Stripe-Signature`, slack's `X-Slack-Signature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// hmac_sha256: text before the signature in the header, such as `sha256=` (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// hmac_sha256: how the signature is written (default `hex`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub encoding: SignatureEncoding,
}

impl WebhookSignature {
    /// The header carrying the signature: the explicit `header`, else the scheme's default
    /// (`Stripe-Signature`, `X-Slack-Signature`, `webhook-signature`); `None` for scheme
    /// `none`, and for `hmac_sha256` without a header (which validation refuses).
    pub fn header_name(&self) -> Option<&str> {
        self.header
            .as_deref()
            .or_else(|| self.scheme.default_header())
    }
}

/// How a provider signs its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureScheme {
    /// An HMAC-SHA256 of the raw body with the webhook secret, in `header` (GitHub, Shopify…).
    HmacSha256,
    /// Stripe's `Stripe-Signature: t=…,v1=…`: an HMAC-SHA256 of `{t}.{body}`, hex.
    Stripe,
    /// Slack's `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`, hex, the timestamp in
    /// `X-Slack-Request-Timestamp`.
    Slack,
    /// Standard Webhooks (standardwebhooks.com): the `webhook-id`, `webhook-timestamp` and
    /// `webhook-signature` headers, `v1,` base64 HMAC-SHA256 signatures.
    StandardWebhooks,
    /// Deliveries are not signed.
    None,
}

impl SignatureScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureScheme::HmacSha256 => "hmac_sha256",
            SignatureScheme::Stripe => "stripe",
            SignatureScheme::Slack => "slack",
            SignatureScheme::StandardWebhooks => "standard_webhooks",
            SignatureScheme::None => "none",
        }
    }

    /// The signature header when the definition names none.
    pub fn default_header(self) -> Option<&'static str> {
        match self {
            SignatureScheme::Stripe => Some("Stripe-Signature"),
            SignatureScheme::Slack => Some("X-Slack-Signature"),
            SignatureScheme::StandardWebhooks => Some("webhook-signature"),
            SignatureScheme::HmacSha256 | SignatureScheme::None => None,
        }
    }
}

/// How an `hmac_sha256` signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    /// Lowercase or uppercase hexadecimal digits.
    #[default]
    Hex,
    /// Standard base64, with padding.
    Base64,
}

impl SignatureEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureEncoding::Hex => "hex",
            SignatureEncoding::Base64 => "base64",
        }
    }
}

/// Where a delivery carries a value: `{ header: NAME }` or `{ body: /json/pointer }`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WebhookValue {
    /// A request header, by name.
    Header(String),
    /// A JSON pointer (RFC 6901) into the JSON body, starting with `/`.
    Body(String),
}

impl WebhookValue {
    /// The header name, when the value is in a header.
    pub fn header(&self) -> Option<&str> {
        match self {
            WebhookValue::Header(name) => Some(name),
            WebhookValue::Body(_) => None,
        }
    }

    /// The JSON pointer, when the value is in the body.
    pub fn body_pointer(&self) -> Option<&str> {
        match self {
            WebhookValue::Body(pointer) => Some(pointer),
            WebhookValue::Header(_) => None,
        }
    }
}

/// Where a delivery names the account it concerns (`header` or `body`, as in
/// [`WebhookValue`]), and the `connection_config` setting that identifies a connection by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct WebhookConnection {
    #[serde(flatten)]
    pub value: WebhookValue,
    /// A `connection_config` setting the definition declares: the delivery belongs to the
    /// connections whose setting has the value found.
    pub matches: String,
}

// `WebhookValue` and `WebhookConnection` are read by hand: serde's externally tagged enums and
// `flatten` buffer the mapping, which loses the location of every error inside it and the
// `deny_unknown_fields` check. Each key is read through `WebhookKey`, so an unknown, repeated or
// second `header`/`body` key is reported at that key.

/// A key of a `{header}`/`{body}` mapping, or `matches` in a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WebhookKey {
    Header,
    Body,
    Matches,
}

impl WebhookKey {
    fn as_str(self) -> &'static str {
        match self {
            WebhookKey::Header => "header",
            WebhookKey::Body => "body",
            WebhookKey::Matches => "matches",
        }
    }
}

const VALUE_FIELDS: &[&str] = &["header", "body"];
const CONNECTION_FIELDS: &[&str] = &["header", "body", "matches"];

/// Reads one key, knowing the keys read before it.
struct WebhookKeySeed {
    fields: &'static [&'static str],
    value: Option<WebhookKey>,
    matches: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for WebhookKeySeed {
    type Value = WebhookKey;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<WebhookKey, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl serde::de::Visitor<'_> for WebhookKeySeed {
    type Value = WebhookKey;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<WebhookKey, E> {
        let key = match key {
            "header" => WebhookKey::Header,
            "body" => WebhookKey::Body,
            "matches" if self.fields.contains(&"matches") => WebhookKey::Matches,
            other => return Err(E::unknown_field(other, self.fields)),
        };
        match (key, self.value) {
            (WebhookKey::Matches, _) if self.matches => Err(E::duplicate_field("matches")),
            (WebhookKey::Matches, _) | (_, None) => Ok(key),
            (_, Some(seen)) if seen == key => Err(E::duplicate_field(key.as_str())),
            (_, Some(_)) => Err(E::custom("give `header` or `body`, not both")),
        }
    }
}

/// Reads a `{header}`/`{body}` mapping, with `matches` when `fields` has it.
struct WebhookValueVisitor {
    fields: &'static [&'static str],
}

impl<'de> serde::de::Visitor<'de> for WebhookValueVisitor {
    type Value = (WebhookValue, Option<String>);

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a mapping with `header` or `body`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut value = None;
        let mut matches = None;
        loop {
            let seed = WebhookKeySeed {
                fields: self.fields,
                value: value.as_ref().map(|value| match value {
                    WebhookValue::Header(_) => WebhookKey::Header,
                    WebhookValue::Body(_) => WebhookKey::Body,
                }),
                matches: matches.is_some(),
            };
            match map.next_key_seed(seed)? {
                None => break,
                Some(WebhookKey::Header) => value = Some(WebhookValue::Header(map.next_value()?)),
                Some(WebhookKey::Body) => value = Some(WebhookValue::Body(map.next_value()?)),
                Some(WebhookKey::Matches) => matches = Some(map.next_value()?),
            }
        }
        // Reported here, inside the mapping, so that the error points at it.
        let value =
            value.ok_or_else(|| serde::de::Error::custom("missing field `header` or `body`"))?;
        if matches.is_none() && self.fields.contains(&"matches") {
            return Err(serde::de::Error::missing_field("matches"));
        }
        Ok((value, matches))
    }
}

/// A one-entry mapping, as it is written: serde would write a YAML tag (`!header X-Event`).
impl Serialize for WebhookValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            WebhookValue::Header(name) => map.serialize_entry("header", name)?,
            WebhookValue::Body(pointer) => map.serialize_entry("body", pointer)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for WebhookValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = WebhookValueVisitor {
            fields: VALUE_FIELDS,
        };
        let (value, _) = deserializer.deserialize_struct("WebhookValue", VALUE_FIELDS, visitor)?;
        Ok(value)
    }
}

impl<'de> Deserialize<'de> for WebhookConnection {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = WebhookValueVisitor {
            fields: CONNECTION_FIELDS,
        };
        let (value, matches) =
            deserializer.deserialize_struct("WebhookConnection", CONNECTION_FIELDS, visitor)?;
        // The visitor refused a connection without `matches`.
        Ok(WebhookConnection {
            value,
            matches: matches.unwrap_or_default(),
        })
    }
}

/// The JSON Schema of a `{header}`/`{body}` mapping, with `extra` properties beside them.
fn webhook_value_schema(
    description: &str,
    extra: serde_json::Map<String, Value>,
    required: &[&str],
) -> schemars::Schema {
    let mut properties = serde_json::Map::new();
    properties.insert(
        "header".into(),
        serde_json::json!({
            "description": "A request header, by name.",
            "type": "string",
        }),
    );
    properties.insert(
        "body".into(),
        serde_json::json!({
            "description": "A JSON pointer (RFC 6901) into the JSON body, such as `/installation/id`.",
            "type": "string",
            "pattern": "^/",
        }),
    );
    properties.extend(extra);
    let mut schema = serde_json::json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "oneOf": [{ "required": ["header"] }, { "required": ["body"] }],
    });
    if !required.is_empty() {
        schema["required"] = serde_json::json!(required);
    }
    schemars::Schema::try_from(schema).expect("an object is a schema")
}

impl JsonSchema for WebhookValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WebhookValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        webhook_value_schema(
            "Where a delivery carries a value: `{ header: NAME }` or `{ body: /json/pointer }`.",
            serde_json::Map::new(),
            &[],
        )
    }
}

impl JsonSchema for WebhookConnection {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WebhookConnection".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut extra = serde_json::Map::new();
        extra.insert(
            "matches".into(),
            serde_json::json!({
                "description": "A `connection_config` setting the definition declares: the delivery belongs to the connections whose setting has the value found.",
                "type": "string",
            }),
        );
        webhook_value_schema(
            "Where a delivery names the account it concerns (`header` or `body`), and the `connection_config` setting that identifies a connection by it (`matches`).",
            extra,
            &["matches"],
        )
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn default_max_attempts() -> u32 {
    3
}

fn default_retry_statuses() -> Vec<u16> {
    vec![429, 500, 502, 503, 504]
}

fn default_initial_backoff_ms() -> u64 {
    200
}

fn default_max_backoff_ms() -> u64 {
    30_000
}

fn default_retry_after_headers() -> Vec<String> {
    vec!["retry-after".to_owned()]
}

fn is_default_retry_after(headers: &[String]) -> bool {
    *headers == default_retry_after_headers()
}
