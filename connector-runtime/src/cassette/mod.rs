//! Cassettes: one recorded (or hand-written) exchange with a provider, as YAML ([`Cassette`]),
//! replayed against a definition by [`replay`] — what `connector test` and CI run — and
//! written by [`CassetteRecorder`] from a client's real calls, redacted.
//!
//! The format and the rules are in docs/testing.md.

mod record;
mod replay;

use std::fmt;
use std::path::Path;

use connector_defs::{AuthKind, ConnectorDef, KeyLocation};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use record::CassetteRecorder;
pub(crate) use record::Exchange;
pub use replay::{Outcome, replay, replay_dir, replay_file, uncovered};

/// What a secret is written as, in recordings and in hand-written cassettes.
pub const REDACTED: &str = "[redacted]";

/// Headers always redacted, whatever the definition says.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// One exchange: `endpoint`, the request sent and the response received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cassette {
    /// The endpoint's name in the definition.
    pub endpoint: String,
    pub request: CassetteRequest,
    pub response: CassetteResponse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CassetteRequest {
    pub method: String,
    /// The path after the endpoint's base URL, placeholders filled in, percent-encoded as sent.
    pub path: String,
    /// Name → a string, or a list of strings for a repeated name (other scalars are read as
    /// their text).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Value>,
    /// Only the headers worth checking; secrets as [`REDACTED`].
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Value>,
    /// Structured when the body is JSON; a map of strings for a form body; a string otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CassetteResponse {
    pub status: u16,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Value>,
    /// Structured when the body is JSON; a string otherwise (any text stands for bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// A cassette that cannot be read or parsed, at its line and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CassetteError {
    pub file: String,
    /// 1-based line and column, when the YAML parser knows them.
    pub location: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for CassetteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for CassetteError {}

impl Cassette {
    /// Parses a cassette's YAML; `file` only names it in errors.
    pub fn parse(source: &str, file: &str) -> Result<Cassette, CassetteError> {
        serde_norway::from_str(source).map_err(|error| {
            let location = error
                .location()
                .map(|location| (location.line(), location.column()));
            let text = error.to_string();
            // serde_norway appends the location to its message; it is shown up front.
            let message = match location {
                Some((line, column)) => {
                    text.replace(&format!(" at line {line} column {column}"), "")
                }
                None => text,
            };
            CassetteError {
                file: file.to_owned(),
                location,
                message,
            }
        })
    }

    /// Reads and parses the cassette at `path`.
    pub fn load(path: &Path) -> Result<Cassette, CassetteError> {
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|error| CassetteError {
            file: file.clone(),
            location: None,
            message: format!("cannot read the cassette: {error}"),
        })?;
        Cassette::parse(&source, &file)
    }

    /// The cassette as YAML.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("a cassette serialises")
    }
}

/// Where the definition's auth puts credentials: these names are never inputs, and their
/// values are redacted.
struct CredentialPlacement {
    /// Lowercase header names.
    headers: Vec<String>,
    query: Vec<String>,
}

impl CredentialPlacement {
    fn of(def: &ConnectorDef) -> CredentialPlacement {
        let auth = &def.auth;
        let mut headers: Vec<String> = SECRET_HEADERS
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        let mut query = Vec::new();
        headers.extend(auth.headers.keys().map(|name| name.to_ascii_lowercase()));
        query.extend(auth.query.keys().cloned());
        if auth.kind == AuthKind::ApiKey
            && let Some(placement) = auth.api_key()
        {
            match placement.location {
                KeyLocation::Header => headers.push(placement.name.to_ascii_lowercase()),
                KeyLocation::Query => query.push(placement.name.to_owned()),
            }
        }
        CredentialPlacement { headers, query }
    }

    fn is_secret_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|secret| secret.eq_ignore_ascii_case(name))
    }
}

/// A form body as a map of strings (a list for a repeated name).
fn form_value(bytes: &[u8]) -> Value {
    let mut fields: IndexMap<String, Vec<String>> = IndexMap::new();
    for (name, value) in url::form_urlencoded::parse(bytes) {
        fields
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    grouped(fields)
}

fn grouped(fields: IndexMap<String, Vec<String>>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(name, mut values)| {
                let value = if values.len() == 1 {
                    Value::String(values.remove(0))
                } else {
                    Value::Array(values.into_iter().map(Value::String).collect())
                };
                (name, value)
            })
            .collect(),
    )
}
