//! The JWTs of the JWT auth kinds, signed RS256 with the [`jsonwebtoken`] crate: the RFC 7523
//! assertion of `jwt_bearer` ([`assertion_claims`]) and the app JWT of `app_jwt`
//! ([`app_claims`]). [`crate::oauth::OAuthApp`] sends them.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::auth::Redacted;

/// How long a `jwt_bearer` assertion is valid (RFC 7523 providers cap it at an hour).
pub const ASSERTION_LIFETIME_SECS: u64 = 3600;
/// How far back an app JWT's `iat` is set, against clock drift (GitHub's advice).
pub const APP_JWT_BACKDATE_SECS: u64 = 60;
/// How long after now an app JWT expires (GitHub allows at most 10 minutes).
pub const APP_JWT_LIFETIME_SECS: u64 = 540;

/// An RSA private key for RS256, read from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`). `Debug` does not print it.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    key_id: Option<String>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key", &Redacted)
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// A private key that cannot sign.
#[derive(Debug, thiserror::Error)]
#[error("not a usable RSA private key in PEM (PKCS#8 or PKCS#1): {0}")]
pub struct KeyError(String);

impl SigningKey {
    /// Reads the key and signs once with it, so that a key that parses but cannot sign is
    /// refused here rather than at the first token request.
    pub fn from_pem(pem: &str) -> Result<SigningKey, KeyError> {
        let key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|error| KeyError(error.to_string()))?;
        let signing = SigningKey { key, key_id: None };
        signing
            .sign(&serde_json::json!({}))
            .map_err(|error| KeyError(error.to_string()))?;
        Ok(signing)
    }

    /// The `kid` header of the JWTs signed (a service account's key id).
    pub fn with_key_id(mut self, key_id: Option<String>) -> SigningKey {
        self.key_id = key_id;
        self
    }

    /// The compact JWT of `claims`.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, claims, &self.key)
    }
}

/// The claims of an RFC 7523 assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssertionClaims {
    pub iss: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub aud: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub iat: u64,
    pub exp: u64,
}

/// The claims of a GitHub-style app JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppClaims {
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// The assertion of `issuer` (acting for `subject`, when given) for `audience`, valid for an
/// hour from `now`; `scope` is left out when empty.
pub fn assertion_claims(
    issuer: &str,
    subject: Option<&str>,
    audience: &str,
    scope: &str,
    now: SystemTime,
) -> AssertionClaims {
    let iat = epoch_secs(now);
    AssertionClaims {
        iss: issuer.to_owned(),
        sub: subject.map(str::to_owned),
        aud: audience.to_owned(),
        scope: (!scope.is_empty()).then(|| scope.to_owned()),
        iat,
        exp: iat + ASSERTION_LIFETIME_SECS,
    }
}

/// The app JWT of app `app_id`: issued a minute before `now`, expiring nine minutes after.
pub fn app_claims(app_id: &str, now: SystemTime) -> AppClaims {
    let now = epoch_secs(now);
    AppClaims {
        iss: app_id.to_owned(),
        iat: now.saturating_sub(APP_JWT_BACKDATE_SECS),
        exp: now + APP_JWT_LIFETIME_SECS,
    }
}

fn epoch_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
