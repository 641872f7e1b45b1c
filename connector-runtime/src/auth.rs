//! Credentials and where they go in a request.

use std::fmt;

use base64::Engine as _;
use connector_defs::{AuthDef, AuthKind, KeyLocation};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::Error;

/// The credential a client sends with every request.
///
/// Which variant fits depends on the definition's `auth.kind`:
///
/// | `auth.kind` | credential |
/// |---|---|
/// | `oauth2`, `oauth2_client_credentials`, `bearer` | [`Auth::Bearer`] (for OAuth 2.0, the access token) |
/// | `basic` | [`Auth::Basic`] |
/// | `api_key` | [`Auth::ApiKey`], placed where `auth.in` / `auth.name` / `auth.prefix` say |
/// | `none` | [`Auth::None`] |
///
/// A credential of another kind makes every call fail with [`Error::Auth`]. `Debug` never
/// prints the secret parts.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Bearer { token: String },
    Basic { username: String, password: String },
    ApiKey { key: String },
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

    /// `none`, `bearer`, `basic` or `api_key`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Bearer { .. } => "bearer",
            Auth::Basic { .. } => "basic",
            Auth::ApiKey { .. } => "api_key",
        }
    }

    /// Puts the credential into a request's URL and headers, as `def` says.
    pub(crate) fn apply(
        &self,
        connector: &str,
        def: &AuthDef,
        url: &mut Url,
        headers: &mut HeaderMap,
    ) -> Result<(), Error> {
        match (def.kind, self) {
            (AuthKind::None, Auth::None) => Ok(()),
            (
                AuthKind::Oauth2
                | AuthKind::Oauth2ClientCredentials
                | AuthKind::JwtBearer
                | AuthKind::AppJwt
                | AuthKind::Bearer,
                Auth::Bearer { token },
            ) => {
                headers.insert(AUTHORIZATION, secret_header(&format!("Bearer {token}"))?);
                Ok(())
            }
            (AuthKind::Basic, Auth::Basic { username, password }) => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                headers.insert(AUTHORIZATION, secret_header(&format!("Basic {encoded}"))?);
                Ok(())
            }
            (AuthKind::ApiKey, Auth::ApiKey { key }) => {
                let placement = def.api_key().ok_or_else(|| {
                    Error::Auth(format!(
                        "connector `{connector}` declares api_key auth without `in` and `name`"
                    ))
                })?;
                let value = format!("{}{key}", placement.prefix);
                match placement.location {
                    KeyLocation::Header => {
                        let name =
                            HeaderName::from_bytes(placement.name.as_bytes()).map_err(|_| {
                                Error::Auth(format!(
                                    "`{}` is not a valid header name",
                                    placement.name
                                ))
                            })?;
                        headers.insert(name, secret_header(&value)?);
                    }
                    KeyLocation::Query => {
                        // Replaces a parameter of that name (a next-page URL of the provider,
                        // or a proxied request, may carry one already).
                        let others: Vec<(String, String)> = url
                            .query_pairs()
                            .filter(|(name, _)| name != placement.name)
                            .map(|(name, value)| (name.into_owned(), value.into_owned()))
                            .collect();
                        let mut pairs = url.query_pairs_mut();
                        pairs
                            .clear()
                            .extend_pairs(others)
                            .append_pair(placement.name, &value);
                    }
                }
                Ok(())
            }
            (kind, given) => Err(Error::Auth(format!(
                "connector `{connector}` uses auth kind `{}`, which expects {}; got a credential of kind `{}`",
                kind.as_str(),
                expected(kind),
                given.kind_name()
            ))),
        }
    }
}

fn expected(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
            "an OAuth 2.0 access token as `Auth::Bearer`"
        }
        AuthKind::JwtBearer | AuthKind::AppJwt => "an access token as `Auth::Bearer`",
        AuthKind::Bearer => "a token as `Auth::Bearer`",
        AuthKind::Basic => "a username and password as `Auth::Basic`",
        AuthKind::ApiKey => "a key as `Auth::ApiKey`",
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
        }
    }
}

pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
