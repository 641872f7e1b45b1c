//! Token requests: the OAuth 2.0 flows of the `oauth2` and `oauth2_client_credentials` auth
//! kinds on the [`oauth2`] crate (the authorization URL with PKCE S256, the code exchange,
//! refresh, the client-credentials grant), and the JWT kinds' requests: the RFC 7523
//! assertion grant (`jwt_bearer`) and an app JWT minting an installation token (`app_jwt`).
//! Every token request carries its parameters as the definition's `token_request_encoding`
//! says.
//!
//! ```no_run
//! # async fn demo(def: &connector_runtime::ConnectorDef) -> Result<(), connector_runtime::oauth::OAuthError> {
//! use connector_runtime::oauth::OAuthApp;
//!
//! let app = OAuthApp::new(&def.auth, "client-id", "client-secret")?
//!     .with_redirect_url("https://connector.example.com/oauth/callback");
//! let request = app.authorization_request(None)?;
//! // Store request.state and request.pkce_verifier, send the user to request.url; then, in the
//! // callback:
//! let tokens = app.exchange_code("code-from-callback", request.pkce_verifier.as_deref()).await?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use connector_defs::{
    AuthDef, AuthKind, ConfigField, ConnectorDef, TokenAuthMethod, TokenRequestEncoding,
};
use indexmap::IndexMap;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, ResponseType, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::Redacted;
use crate::body::{self, ReadError};
use crate::jwt::{self, SigningKey};
use crate::{Auth, Error, request};

/// The `grant_type` of RFC 7523's assertion grant.
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// What GitHub asks API clients to accept.
const APP_JWT_ACCEPT: &str = "application/vnd.github+json";

/// Timeout of token requests made with the default HTTP client.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest token endpoint answer read when the app is given no other limit (1 MiB).
pub const DEFAULT_MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;

/// Why an OAuth 2.0 operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The provider answered `invalid_grant`: the code or refresh token is expired, revoked or
    /// already used. The user has to authorize again.
    #[error("the provider rejected the grant (invalid_grant){}", describe(.description))]
    InvalidGrant { description: Option<String> },
    /// Another error response of the provider (`invalid_client`, `invalid_scope`…).
    #[error("the provider answered `{code}`{}", describe(.description))]
    Provider {
        code: String,
        description: Option<String>,
    },
    /// The provider's answer is not a valid token response.
    #[error("invalid token response: {0}")]
    InvalidResponse(String),
    /// A JWT could not be signed with the key given.
    #[error("cannot sign the JWT: {0}")]
    Signing(String),
    /// The token endpoint could not be reached, or did not answer in time.
    #[error("cannot reach the token endpoint: {0}")]
    Transport(String),
    /// The app or definition lacks something the flow needs (a URL, a redirect URL, a
    /// `connection_config` value…), or a value cannot go in a URL.
    #[error("OAuth configuration: {0}")]
    Config(String),
    /// The token endpoint's answer is larger than the app's limit
    /// ([`OAuthApp::with_max_response_bytes`]); it was neither read in full nor used.
    #[error("the token endpoint's answer is larger than {limit} bytes")]
    ResponseTooLarge { limit: usize },
}

fn describe(description: &Option<String>) -> String {
    description
        .as_ref()
        .map(|text| format!(": {text}"))
        .unwrap_or_default()
}

impl From<OAuthError> for Error {
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::ResponseTooLarge { limit } => Error::ResponseTooLarge { limit },
            other => Error::Auth(other.to_string()),
        }
    }
}

/// A `jwt_bearer` connection's credential: who signs the assertion (`iss`; Google's
/// `client_email`), for whom (`sub`, a user to impersonate) and with which key.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub issuer: String,
    pub subject: Option<String>,
    pub key: SigningKey,
}

/// Where to send the user, and what to keep until the callback.
#[derive(Clone)]
pub struct AuthorizationRequest {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// The random `state` the callback must carry back.
    pub state: String,
    /// The PKCE verifier to pass to [`OAuthApp::exchange_code`] (`None` when the definition
    /// turns PKCE off).
    pub pkce_verifier: Option<String>,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url)
            .field("state", &self.state)
            .field(
                "pkce_verifier",
                &self.pkce_verifier.as_ref().map(|_| Redacted),
            )
            .finish()
    }
}

/// The tokens a token endpoint returned. `Debug` does not print them.
#[derive(Clone, PartialEq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Computed from `expires_in` when the provider sent it.
    pub expires_at: Option<SystemTime>,
    /// As the provider spelt it, usually `Bearer`.
    pub token_type: String,
    /// The granted scopes, when the provider says (split on spaces and on the definition's
    /// separator).
    pub scopes: Option<Vec<String>>,
    /// Other fields of the token response (`id_token`, `instance_url`, …).
    pub extra: Map<String, Value>,
    /// The values of the definition's `keep_from_token_response`, by `connection_config`
    /// setting: what the connection's `connection_config` takes from this response. A field
    /// the provider did not send (or sent as an object or array) is left out.
    pub connection_config: BTreeMap<String, String>,
}

impl TokenSet {
    /// The credential for a [`crate::RawClient`].
    pub fn auth(&self) -> Auth {
        Auth::bearer(self.access_token.clone())
    }

    /// Whether the access token expires within `margin` from now (false when its lifetime
    /// is unknown).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &Redacted)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| Redacted),
            )
            .field("expires_at", &self.expires_at)
            .field("token_type", &self.token_type)
            .field("scopes", &self.scopes)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .field("connection_config", &self.connection_config)
            .finish()
    }
}

/// Fields of the token response that RFC 6749 does not name.
#[derive(Clone, Serialize, Deserialize)]
struct ExtraFields {
    #[serde(flatten)]
    fields: Map<String, Value>,
}

impl fmt::Debug for ExtraFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.fields.keys()).finish()
    }
}

impl ExtraTokenFields for ExtraFields {}

type TokenResponse = StandardTokenResponse<ExtraFields, BasicTokenType>;

type Client<HasAuthUrl, HasTokenUrl> = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
>;

/// The OAuth 2.0 app (client) of one connector: its definition's auth section, the client
/// credentials, the redirect URL, and optional overrides of the provider's URLs.
#[derive(Clone)]
pub struct OAuthApp {
    kind: AuthKind,
    client_id: String,
    client_secret: String,
    redirect_url: Option<String>,
    authorization_url: Option<String>,
    token_url: Option<String>,
    scopes: Vec<String>,
    scope_separator: String,
    pkce: bool,
    authorization_params: Vec<(String, String)>,
    token_auth_method: TokenAuthMethod,
    token_params: Vec<(String, String)>,
    refresh_params: Vec<(String, String)>,
    token_request_encoding: TokenRequestEncoding,
    /// jwt_bearer: the assertion's `aud` when not the token URL.
    audience: Option<String>,
    /// Where the access token sits when not at the top of the token response.
    access_token_path: Option<String>,
    /// `connection_config` settings taken from the token response, with their dotted paths.
    kept: Vec<(String, String)>,
    /// The definition's `connection_config` fields, for the defaults of URL placeholders.
    declared_config: IndexMap<String, ConfigField>,
    connection_config: HashMap<String, String>,
    http: reqwest::Client,
    max_response_bytes: usize,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted)
            .field("redirect_url", &self.redirect_url)
            .field("authorization_url", &self.authorization_url)
            .field("token_url", &self.token_url)
            .field("scopes", &self.scopes)
            .field("pkce", &self.pkce)
            .field("token_auth_method", &self.token_auth_method)
            .field("connection_config", &self.connection_config)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// The HTTP client for token requests: redirects are not followed (as the oauth2 crate
/// advises, against SSRF through the token endpoint).
fn default_http() -> reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TOKEN_TIMEOUT)
            .user_agent(concat!("connector-runtime/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the OAuth HTTP client builds")
    })
    .clone()
}

impl OAuthApp {
    /// The app for a connector (an auth kind with a token URL): as
    /// [`OAuthApp::new`], and the defaults of its `connection_config` fields fill the
    /// placeholders of its OAuth URLs that [`OAuthApp::with_connection_config`] leaves empty.
    pub fn for_connector(
        def: &ConnectorDef,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, OAuthError> {
        let mut app = OAuthApp::new(&def.auth, client_id, client_secret)?;
        app.declared_config = def.connection_config.clone();
        Ok(app)
    }

    /// The app for a definition's `auth` (`oauth2`, `oauth2_client_credentials`, `jwt_bearer`
    /// or `app_jwt`). An empty `client_secret` makes a public client (client_id in the body,
    /// no secret). For `app_jwt`, `client_id` is the app id; `jwt_bearer` uses neither.
    /// Placeholders in its URLs are filled from [`OAuthApp::with_connection_config`] only;
    /// [`OAuthApp::for_connector`] applies the definition's defaults too.
    pub fn new(
        def: &AuthDef,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, OAuthError> {
        if !def.kind.has_token_url() {
            return Err(OAuthError::Config(format!(
                "auth kind `{}` has no token URL",
                def.kind.as_str()
            )));
        }
        Ok(OAuthApp {
            kind: def.kind,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_url: None,
            authorization_url: def.authorization_url.clone(),
            token_url: def.token_url.clone(),
            scopes: def.scopes.clone(),
            scope_separator: def.scope_separator().to_owned(),
            pkce: def.pkce(),
            authorization_params: pairs(&def.authorization_params),
            token_auth_method: def.token_auth_method.unwrap_or_default(),
            token_params: pairs(&def.token_params),
            refresh_params: pairs(&def.refresh_params),
            token_request_encoding: def.token_request_encoding(),
            audience: def.audience.clone(),
            access_token_path: def.token_path().map(str::to_owned),
            kept: def
                .kept_from_token_response()
                .map(|(name, path)| (name.to_owned(), path.to_owned()))
                .collect(),
            declared_config: IndexMap::new(),
            connection_config: HashMap::new(),
            http: default_http(),
            max_response_bytes: DEFAULT_MAX_TOKEN_RESPONSE_BYTES,
        })
    }

    /// The redirect URI registered with the provider (`{CONNECTOR_PUBLIC_URL}/oauth/callback`).
    pub fn with_redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// The values of the `{connection_config.NAME}` placeholders in the authorization and
    /// token URLs (a tenant…). They are checked as for base URLs: only letters, digits, `-`,
    /// `.`, `_` and `~`, and not `.` or `..`; a missing required one makes the flows fail with
    /// [`OAuthError::Config`].
    pub fn with_connection_config(
        mut self,
        config: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        self.connection_config = config.into_iter().collect();
        self
    }

    /// The largest token endpoint answer read (default [`DEFAULT_MAX_TOKEN_RESPONSE_BYTES`]);
    /// a larger one fails with [`OAuthError::ResponseTooLarge`] as soon as it passes the
    /// limit.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Replaces the definition's `authorization_url`.
    pub fn with_authorization_url(mut self, url: impl Into<String>) -> Self {
        self.authorization_url = Some(url.into());
        self
    }

    /// Replaces the definition's `token_url`.
    pub fn with_token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Replaces the definition's default scopes.
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }

    /// Uses this HTTP client for token requests. It should not follow redirects
    /// (`reqwest::redirect::Policy::none()`).
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn redirect_url(&self) -> Option<&str> {
        self.redirect_url.as_deref()
    }

    fn client(&self) -> Client<EndpointNotSet, EndpointNotSet> {
        let mut client: Client<EndpointNotSet, EndpointNotSet> = oauth2::Client::new(
            ClientId::new(self.client_id.clone()),
        )
        .set_auth_type(match self.token_auth_method {
            TokenAuthMethod::ClientSecretPost | TokenAuthMethod::None => AuthType::RequestBody,
            TokenAuthMethod::ClientSecretBasic => AuthType::BasicAuth,
        });
        if !self.client_secret.is_empty() && self.token_auth_method != TokenAuthMethod::None {
            client = client.set_client_secret(ClientSecret::new(self.client_secret.clone()));
        }
        client
    }

    fn redirect(&self) -> Result<Option<RedirectUrl>, OAuthError> {
        self.redirect_url
            .as_ref()
            .map(|url| {
                RedirectUrl::new(url.clone())
                    .map_err(|error| OAuthError::Config(format!("redirect URL `{url}`: {error}")))
            })
            .transpose()
    }

    /// One of the app's URLs with its placeholders filled.
    fn url(&self, url: Option<&String>, setting: &str) -> Result<String, OAuthError> {
        let url = url.ok_or_else(|| OAuthError::Config(format!("no {setting}")))?;
        let is_origin = |name: &str| self.kept.iter().any(|(kept, _)| kept == name);
        request::fill_url(
            url,
            &self.declared_config,
            &self.connection_config,
            is_origin,
        )
        .map_err(|error| match error {
            Error::InvalidInput(message) => OAuthError::Config(format!("{setting}: {message}")),
            other => OAuthError::Config(other.to_string()),
        })
    }

    fn token_client(&self) -> Result<Client<EndpointNotSet, EndpointSet>, OAuthError> {
        let url = self.url(self.token_url.as_ref(), "token_url")?;
        let token_url = TokenUrl::new(url.clone())
            .map_err(|error| OAuthError::Config(format!("token_url `{url}`: {error}")))?;
        let mut client = self.client().set_token_uri(token_url);
        if let Some(redirect) = self.redirect()? {
            client = client.set_redirect_uri(redirect);
        }
        Ok(client)
    }

    /// The scopes as the oauth2 crate takes them: one per scope when the separator is a
    /// space (the crate joins with spaces), else one pre-joined scope.
    fn scope_list(&self, scopes: Option<&[String]>) -> Vec<Scope> {
        let scopes = scopes.unwrap_or(&self.scopes);
        if scopes.is_empty() {
            Vec::new()
        } else if self.scope_separator == " " {
            scopes
                .iter()
                .map(|scope| Scope::new(scope.clone()))
                .collect()
        } else {
            vec![Scope::new(scopes.join(&self.scope_separator))]
        }
    }

    /// The URL to send the user to: client_id, redirect_uri, scopes (the definition's when
    /// `scopes` is `None`, joined with its `scope_separator`), a random state, the PKCE S256
    /// challenge unless the definition turns PKCE off, and the definition's
    /// `authorization_params`.
    pub fn authorization_request(
        &self,
        scopes: Option<&[String]>,
    ) -> Result<AuthorizationRequest, OAuthError> {
        if self.kind != AuthKind::Oauth2 {
            return Err(OAuthError::Config(format!(
                "auth kind `{}` has no authorization step",
                self.kind.as_str()
            )));
        }
        let url = self.url(self.authorization_url.as_ref(), "authorization_url")?;
        let auth_url = AuthUrl::new(url.clone())
            .map_err(|error| OAuthError::Config(format!("authorization_url `{url}`: {error}")))?;
        let redirect = self
            .redirect()?
            .ok_or_else(|| OAuthError::Config("no redirect URL".into()))?;
        let client = self
            .client()
            .set_auth_uri(auth_url)
            .set_redirect_uri(redirect);
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scope_list(scopes));
        for (name, value) in self.filled(&self.authorization_params)? {
            // The crate always sends `response_type=code`; a provider's own replaces it.
            if name == "response_type" {
                request = request.set_response_type(&ResponseType::new(value));
            } else {
                request = request.add_extra_param(name, value);
            }
        }
        let mut verifier = None;
        if self.pkce {
            let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            verifier = Some(pkce_verifier.secret().clone());
        }
        let (url, state) = request.url();
        Ok(AuthorizationRequest {
            url: url.into(),
            state: state.secret().clone(),
            pkce_verifier: verifier,
        })
    }

    /// Exchanges the authorization code of the callback (with the PKCE verifier of
    /// [`OAuthApp::authorization_request`]) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let client = self.token_client()?;
        let mut request = client.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(verifier) = pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        }
        for (name, value) in self.filled(&self.token_params)? {
            request = request.add_extra_param(name, value);
        }
        let response = request
            .request_async(&self.token_http())
            .await
            .map_err(map_error)?;
        Ok(self.token_set(response))
    }

    /// Gets a new access token with a refresh token. When the provider rotates refresh tokens
    /// the new one is in the result; when it does not, the result carries `refresh_token`
    /// unchanged, so the result can always replace what was stored. An
    /// [`OAuthError::InvalidGrant`] means the user must authorize again.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, OAuthError> {
        let client = self.token_client()?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let mut request = client.exchange_refresh_token(&token);
        for (name, value) in self.filled(&self.refresh_params)? {
            request = request.add_extra_param(name, value);
        }
        let response = request
            .request_async(&self.token_http())
            .await
            .map_err(map_error)?;
        let mut tokens = self.token_set(response);
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.to_owned());
        }
        Ok(tokens)
    }

    /// The client-credentials grant (kind `oauth2_client_credentials`): a token for the app
    /// itself, with the definition's scopes when `scopes` is `None`.
    pub async fn client_credentials(
        &self,
        scopes: Option<&[String]>,
    ) -> Result<TokenSet, OAuthError> {
        let client = self.token_client()?;
        let mut request = client
            .exchange_client_credentials()
            .add_scopes(self.scope_list(scopes));
        for (name, value) in self.filled(&self.token_params)? {
            request = request.add_extra_param(name, value);
        }
        let response = request
            .request_async(&self.token_http())
            .await
            .map_err(map_error)?;
        Ok(self.token_set(response))
    }

    /// The RFC 7523 assertion grant (kind `jwt_bearer`): a JWT of `account` for the
    /// definition's audience (default: the token URL) with `scopes` (the app's when `None`),
    /// valid for an hour, traded at the token URL for an access token. Minting again is the
    /// same call.
    pub async fn jwt_bearer(
        &self,
        account: &ServiceAccount,
        scopes: Option<&[String]>,
    ) -> Result<TokenSet, OAuthError> {
        let token_url = self.url(self.token_url.as_ref(), "token_url")?;
        let scope = scopes.unwrap_or(&self.scopes).join(&self.scope_separator);
        let claims = jwt::assertion_claims(
            &account.issuer,
            account.subject.as_deref(),
            self.audience.as_deref().unwrap_or(&token_url),
            &scope,
            SystemTime::now(),
        );
        let assertion = account
            .key
            .sign(&claims)
            .map_err(|error| OAuthError::Signing(error.to_string()))?;
        let mut params = vec![
            ("grant_type".to_owned(), JWT_BEARER_GRANT.to_owned()),
            ("assertion".to_owned(), assertion),
        ];
        params.extend(self.filled(&self.token_params)?);
        self.token_request(&token_url, params, None).await
    }

    /// An installation token (kind `app_jwt`): a JWT of the app (`iss` = the client id, issued
    /// a minute ago, expiring in nine) signed with `app_key`, sent as `Authorization: Bearer`
    /// to the token URL, whose answer carries the token (at `token` unless the definition's
    /// `access_token_path` says otherwise) and its RFC 3339 `expires_at`.
    pub async fn app_token(&self, app_key: &SigningKey) -> Result<TokenSet, OAuthError> {
        let token_url = self.url(self.token_url.as_ref(), "token_url")?;
        let app_jwt = app_key
            .sign(&jwt::app_claims(&self.client_id, SystemTime::now()))
            .map_err(|error| OAuthError::Signing(error.to_string()))?;
        let params = self.filled(&self.token_params)?;
        self.token_request(&token_url, params, Some(&app_jwt)).await
    }

    /// POSTs a token request the oauth2 crate has no grant for, through the same HTTP hook
    /// (encoding, size limit, token lifting), and reads the answer as it would.
    async fn token_request(
        &self,
        url: &str,
        params: Vec<(String, String)>,
        bearer: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let mut request = oauth2::http::Request::builder()
            .method(oauth2::http::Method::POST)
            .uri(url)
            .header(
                oauth2::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        request = match bearer {
            Some(jwt) => request
                .header(oauth2::http::header::AUTHORIZATION, format!("Bearer {jwt}"))
                .header(oauth2::http::header::ACCEPT, APP_JWT_ACCEPT),
            None => request.header(oauth2::http::header::ACCEPT, "application/json"),
        };
        let request = request
            .body(body.into_bytes())
            .map_err(|error| OAuthError::Config(format!("token_url `{url}`: {error}")))?;
        let response = self
            .token_http()
            .call(request)
            .await
            .map_err(|error| map_error(RequestTokenError::Request(error)))?;
        let status = response.status();
        let body = response.body();
        if status.is_success() {
            let parsed: TokenResponse = serde_json::from_slice(body)
                .map_err(|error| OAuthError::InvalidResponse(error.to_string()))?;
            return Ok(self.token_set(parsed));
        }
        if let Ok(refused) = serde_json::from_slice::<BasicErrorResponse>(body) {
            return Err(map_error(RequestTokenError::ServerResponse(refused)));
        }
        // Not an RFC 6749 error (GitHub answers `{"message": …}`): a 400 or 401 refuses the
        // JWT or its key, which only new credentials can fix.
        let description = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|answer| answer.get("message")?.as_str().map(str::to_owned))
            .map(|message| format!("HTTP {}: {message}", status.as_u16()))
            .or_else(|| Some(format!("HTTP {}", status.as_u16())));
        Err(match status.as_u16() {
            400 | 401 => OAuthError::InvalidGrant { description },
            other => OAuthError::Provider {
                code: format!("http_{other}"),
                description,
            },
        })
    }

    /// Parameter values with their `{connection_config.NAME}` placeholders filled.
    fn filled(&self, params: &[(String, String)]) -> Result<Vec<(String, String)>, OAuthError> {
        params
            .iter()
            .map(|(name, value)| {
                request::fill_param(value, &self.declared_config, &self.connection_config)
                    .map(|value| (name.clone(), value))
                    .map_err(|error| OAuthError::Config(format!("parameter `{name}`: {error}")))
            })
            .collect()
    }

    fn token_http(&self) -> TokenHttp {
        TokenHttp {
            http: self.http.clone(),
            limit: self.max_response_bytes,
            access_token_path: self.access_token_path.clone(),
            encoding: self.token_request_encoding,
        }
    }

    fn token_set(&self, response: TokenResponse) -> TokenSet {
        let scopes = response.scopes().map(|scopes| {
            scopes
                .iter()
                .flat_map(|scope| scope.split(self.scope_separator.as_str()))
                .map(str::trim)
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let extra = &response.extra_fields().fields;
        TokenSet {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|token| token.secret().clone()),
            expires_at: response
                .expires_in()
                .map(|lifetime| SystemTime::now() + lifetime),
            token_type: token_type(response.token_type()),
            scopes,
            extra: extra.clone(),
            connection_config: self
                .kept
                .iter()
                .filter_map(|(name, path)| {
                    let value = match at_path(extra, path)? {
                        Value::String(text) => text.clone(),
                        Value::Number(number) => number.to_string(),
                        Value::Bool(flag) => flag.to_string(),
                        _ => return None,
                    };
                    Some((name.clone(), value))
                })
                .collect(),
        }
    }
}

fn pairs(params: &IndexMap<String, String>) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The value at a dotted path of a JSON object.
fn at_path<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let (first, rest) = match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    let value = object.get(first)?;
    match rest {
        None => Some(value),
        Some(rest) => at_path(value.as_object()?, rest),
    }
}

/// Moves the token fields found next to the access token at `path` (Slack's
/// `authed_user.access_token`) to the top of a token response, where RFC 6749 has them (an
/// RFC 3339 `expires_at`, GitHub's, becomes `expires_in`); the other top-level fields stay.
/// An answer with no token there but a top-level `error` (Slack answers 200
/// `{"ok": false, "error": …}`) is turned into an error response.
fn lift_token(body: &[u8], path: &str) -> Result<Option<Vec<u8>>, TokenHttpError> {
    let Ok(Value::Object(mut top)) = serde_json::from_slice::<Value>(body) else {
        return Err(TokenHttpError::NoToken(path.to_owned()));
    };
    let (parent, _) = path.rsplit_once('.').unwrap_or(("", path));
    let nested = if parent.is_empty() {
        Some(&top)
    } else {
        at_path(&top, parent).and_then(Value::as_object)
    };
    let token_name = path.rsplit('.').next().unwrap_or(path);
    let Some(nested) = nested.filter(|nested| nested.get(token_name).is_some_and(Value::is_string))
    else {
        if top.get("error").is_some_and(Value::is_string) {
            return Ok(None);
        }
        return Err(TokenHttpError::NoToken(path.to_owned()));
    };
    let expires_in = nested.get("expires_in").cloned().or_else(|| {
        let expires_at = nested.get("expires_at")?.as_str()?;
        let at = chrono::DateTime::parse_from_rfc3339(expires_at).ok()?;
        Some(
            (at.timestamp() - chrono::Utc::now().timestamp())
                .max(0)
                .into(),
        )
    });
    let lifted: Vec<(&str, Option<Value>)> = vec![
        ("access_token", nested.get(token_name).cloned()),
        ("refresh_token", nested.get("refresh_token").cloned()),
        ("expires_in", expires_in),
        (
            "token_type",
            Some(
                nested
                    .get("token_type")
                    .cloned()
                    .unwrap_or_else(|| "Bearer".into()),
            ),
        ),
    ];
    for (name, value) in lifted {
        match value {
            Some(value) => top.insert(name.to_owned(), value),
            None => top.remove(name),
        };
    }
    Ok(Some(
        serde_json::to_vec(&top).expect("a JSON object serialises"),
    ))
}

fn token_type(token_type: &BasicTokenType) -> String {
    match token_type {
        BasicTokenType::Bearer => "Bearer".to_owned(),
        BasicTokenType::Mac => "MAC".to_owned(),
        BasicTokenType::Extension(other) => other.clone(),
    }
}

/// The HTTP client the oauth2 crate sends token requests with: it re-encodes each request's
/// form parameters as `encoding` says and reads each answer up to a limit.
struct TokenHttp {
    http: reqwest::Client,
    limit: usize,
    access_token_path: Option<String>,
    encoding: TokenRequestEncoding,
}

/// A form-encoded token request re-encoded: as a JSON object of strings, or in the URL's query
/// string with an empty body. Headers (client authentication) stay.
fn encode(mut request: HttpRequest, encoding: TokenRequestEncoding) -> HttpRequest {
    use oauth2::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
    if encoding == TokenRequestEncoding::Form {
        return request;
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(request.body())
        .into_owned()
        .collect();
    match encoding {
        TokenRequestEncoding::Form => {}
        TokenRequestEncoding::Json => {
            let object: Map<String, Value> = params
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect();
            *request.body_mut() = serde_json::to_vec(&object).expect("a JSON object serialises");
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        TokenRequestEncoding::Query => {
            // The URI came from a parsed token URL, so both parses succeed.
            if let Ok(mut url) = url::Url::parse(&request.uri().to_string()) {
                url.query_pairs_mut().extend_pairs(&params);
                if let Ok(uri) = url.as_str().parse() {
                    *request.uri_mut() = uri;
                }
            }
            request.body_mut().clear();
            request.headers_mut().remove(CONTENT_TYPE);
            request.headers_mut().remove(CONTENT_LENGTH);
        }
    }
    request
}

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = TokenHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TokenHttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = encode(request, self.encoding);
            let response = self.http.execute(request.try_into()?).await?;
            let mut answer = HttpResponse::default();
            *answer.status_mut() = response.status();
            *answer.headers_mut() = response.headers().clone();
            let body =
                body::read_capped(response, self.limit)
                    .await
                    .map_err(|error| match error {
                        ReadError::TooLarge => TokenHttpError::TooLarge { limit: self.limit },
                        ReadError::Transport(error) => TokenHttpError::Reqwest(error),
                    })?;
            *answer.body_mut() = match &self.access_token_path {
                Some(path) if answer.status().is_success() => match lift_token(&body, path)? {
                    Some(lifted) => lifted,
                    None => {
                        *answer.status_mut() = oauth2::http::StatusCode::BAD_REQUEST;
                        body.into()
                    }
                },
                _ => body.into(),
            };
            Ok(answer)
        })
    }
}

/// Why a token request got no answer to parse.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("no access token at `{0}`")]
    NoToken(String),
    #[error(transparent)]
    Reqwest(#[from] reqwest::Error),
}

fn map_error(error: RequestTokenError<TokenHttpError, BasicErrorResponse>) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let description = response.error_description().cloned();
            match response.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::InvalidGrant { description },
                other => OAuthError::Provider {
                    code: other.as_ref().to_owned(),
                    description,
                },
            }
        }
        RequestTokenError::Request(TokenHttpError::TooLarge { limit }) => {
            OAuthError::ResponseTooLarge { limit }
        }
        RequestTokenError::Request(error @ TokenHttpError::NoToken(_)) => {
            OAuthError::InvalidResponse(error.to_string())
        }
        RequestTokenError::Request(TokenHttpError::Reqwest(error)) => {
            if error.is_timeout() {
                OAuthError::Transport("the token endpoint did not answer in time".into())
            } else {
                OAuthError::Transport(crate::Error::from_reqwest(error).to_string())
            }
        }
        // The message names the field that failed; the body (which may hold tokens) is left out.
        RequestTokenError::Parse(error, _body) => OAuthError::InvalidResponse(error.to_string()),
        RequestTokenError::Other(message) => OAuthError::InvalidResponse(message),
    }
}
