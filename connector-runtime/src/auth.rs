//! Credentials and where they go in a request.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use base64::Engine as _;
use connector_defs::{AuthDef, AuthKind, ConnectorDef, KeyLocation};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::{Error, request};

/// The credential a client sends with every request.
///
/// Which variant fits depends on the definition's `auth.kind`:
///
/// | `auth.kind` | credential |
/// |---|---|
/// | `oauth2`, `oauth2_client_credentials`, `bearer` | [`Auth::Bearer`] (for OAuth 2.0, the access token) |
/// | `basic` | [`Auth::Basic`], or [`Auth::Fields`] with the definition's `auth.credentials` |
/// | `api_key` | [`Auth::ApiKey`] (the single credential field), or [`Auth::Fields`] |
/// | `none` | [`Auth::None`] |
///
/// The credential goes where `auth.headers` / `auth.query` place it (`{credentials.NAME}`;
/// a bearer token is the field `token`, an OAuth 2.0 access token `access_token`), else where
/// the kind puts it by default: `Authorization: Bearer …`, `Authorization: Basic …`, or the
/// api_key `in` / `name` / `prefix`.
///
/// A credential of another kind, or one missing a field a template names, makes every call
/// fail with [`Error::Auth`]. `Debug` never prints the secret parts.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Bearer {
        token: String,
    },
    Basic {
        username: String,
        password: String,
    },
    ApiKey {
        key: String,
    },
    /// Named credential fields (`auth.credentials`), by name.
    Fields {
        fields: BTreeMap<String, String>,
    },
}

impl Auth {
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth::Bearer {
            token: token.into(),
        }
    }

    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Auth::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    pub fn api_key(key: impl Into<String>) -> Self {
        Auth::ApiKey { key: key.into() }
    }

    /// Named credential fields: `Auth::fields([("api_key", key), ("secret_key", secret)])`.
    pub fn fields<K: Into<String>, V: Into<String>>(
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Auth::Fields {
            fields: fields
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        }
    }

    /// `none`, `bearer`, `basic`, `api_key` or `fields`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Bearer { .. } => "bearer",
            Auth::Basic { .. } => "basic",
            Auth::ApiKey { .. } => "api_key",
            Auth::Fields { .. } => "fields",
        }
    }

    /// The credential's fields by name, as templates see them; `None` when it does not fit
    /// the auth kind.
    fn named<'a>(&'a self, def: &'a AuthDef) -> Option<HashMap<&'a str, &'a str>> {
        let kind = def.kind;
        Some(match self {
            Auth::None if kind == AuthKind::None => HashMap::new(),
            Auth::Bearer { token } if def.implicit_credential().is_some() => {
                HashMap::from([(def.implicit_credential()?, token.as_str())])
            }
            Auth::Basic { username, password } if kind == AuthKind::Basic => HashMap::from([
                ("username", username.as_str()),
                ("password", password.as_str()),
            ]),
            Auth::ApiKey { key } if kind == AuthKind::ApiKey => {
                HashMap::from([(*def.credential_fields().first()?, key.as_str())])
            }
            Auth::Fields { fields } if kind != AuthKind::None => fields
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
            _ => return None,
        })
    }

    /// Every secret value of the credential (usernames too: some APIs take the key as the
    /// Basic username), for redacting recordings.
    pub(crate) fn secret_values(&self) -> Vec<&str> {
        match self {
            Auth::None => Vec::new(),
            Auth::Bearer { token } => vec![token],
            Auth::Basic { username, password } => vec![username, password],
            Auth::ApiKey { key } => vec![key],
            Auth::Fields { fields } => fields.values().map(String::as_str).collect(),
        }
    }

    /// Puts the credential into a request's URL and headers, as `def.auth` says; templates
    /// take their `{connection_config.NAME}` values from `config`.
    pub(crate) fn apply(
        &self,
        def: &ConnectorDef,
        config: &HashMap<String, String>,
        url: &mut Url,
        headers: &mut HeaderMap,
    ) -> Result<(), Error> {
        let auth = &def.auth;
        let connector = &def.name;
        let fields = self.named(auth).ok_or_else(|| {
            Error::Auth(format!(
                "connector `{connector}` uses auth kind `{}`, which expects {}; got a credential of kind `{}`",
                auth.kind.as_str(),
                expected(auth.kind),
                self.kind_name()
            ))
        })?;
        let field = |name: &str| {
            fields.get(name).copied().ok_or_else(|| {
                Error::Auth(format!(
                    "connector `{connector}` needs the credential field `{name}`"
                ))
            })
        };
        if auth.has_templates() {
            for (name, template) in &auth.headers {
                let value =
                    request::fill_credential(template, &def.connection_config, config, &fields)?;
                headers.insert(header_name(name)?, secret_header(&value)?);
            }
            for (name, template) in &auth.query {
                let value =
                    request::fill_credential(template, &def.connection_config, config, &fields)?;
                replace_query(url, name, &value);
            }
            return Ok(());
        }
        match auth.kind {
            AuthKind::None => {}
            AuthKind::Basic => {
                let password = fields.get("password").copied().unwrap_or_default();
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{password}", field("username")?));
                headers.insert(AUTHORIZATION, secret_header(&format!("Basic {encoded}"))?);
            }
            AuthKind::ApiKey => {
                let placement = auth.api_key().ok_or_else(|| {
                    Error::Auth(format!(
                        "connector `{connector}` declares api_key auth without `in` and `name`"
                    ))
                })?;
                let name = auth
                    .credential_fields()
                    .first()
                    .copied()
                    .unwrap_or("api_key");
                let value = format!("{}{}", placement.prefix, field(name)?);
                match placement.location {
                    KeyLocation::Header => {
                        headers.insert(header_name(placement.name)?, secret_header(&value)?);
                    }
                    KeyLocation::Query => replace_query(url, placement.name, &value),
                }
            }
            // Bearer and the OAuth 2.0 kinds.
            kind => {
                let token = field(auth.implicit_credential().unwrap_or(kind.as_str()))?;
                headers.insert(AUTHORIZATION, secret_header(&format!("Bearer {token}"))?);
            }
        }
        Ok(())
    }
}

/// Sets query parameter `name`, replacing one of that name (a next-page URL of the provider,
/// or a proxied request, may carry one already).
fn replace_query(url: &mut Url, name: &str, value: &str) {
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(other, _)| other != name)
        .map(|(other, value)| (other.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(others)
        .append_pair(name, value);
}

fn header_name(name: &str) -> Result<HeaderName, Error> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::Auth(format!("`{name}` is not a valid header name")))
}

fn expected(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
            "an OAuth 2.0 access token as `Auth::Bearer`"
        }
        AuthKind::JwtBearer | AuthKind::AppJwt => "an access token as `Auth::Bearer`",
        AuthKind::Bearer => "a token as `Auth::Bearer`",
        AuthKind::Basic => "a username and password as `Auth::Basic` (or `Auth::Fields`)",
        AuthKind::ApiKey => "a key as `Auth::ApiKey` (or `Auth::Fields`)",
        AuthKind::None => "no credential (`Auth::None`)",
    }
}

fn secret_header(value: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::Auth("the credential holds characters that cannot go in an HTTP header".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Bearer { .. } => f
                .debug_struct("Auth::Bearer")
                .field("token", &Redacted)
                .finish(),
            // The username is redacted too: some APIs take the key as the Basic username.
            Auth::Basic { .. } => f
                .debug_struct("Auth::Basic")
                .field("username", &Redacted)
                .field("password", &Redacted)
                .finish(),
            Auth::ApiKey { .. } => f
                .debug_struct("Auth::ApiKey")
                .field("key", &Redacted)
                .finish(),
            // Field names only.
            Auth::Fields { fields } => f
                .debug_map()
                .entries(fields.keys().map(|name| (name, Redacted)))
                .finish(),
        }
    }
}

pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
