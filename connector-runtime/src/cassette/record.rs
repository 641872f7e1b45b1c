//! Recording: the redacted cassette of each exchange of a client, written to a folder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use connector_defs::ConnectorDef;
use indexmap::IndexMap;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::Value;

use super::{
    Cassette, CassetteRequest, CassetteResponse, CredentialPlacement, REDACTED, form_value, grouped,
};
use crate::request::Prepared;

/// Writes a cassette of every exchange of a [`RawClient`](crate::RawClient) made with
/// [`RawClient::with_cassette_recorder`](crate::RawClient::with_cassette_recorder), redacted,
/// to `DIR/<connector>/<endpoint>-<unique label>.yaml`.
#[derive(Debug)]
pub struct CassetteRecorder {
    dir: PathBuf,
}

/// Makes labels unique within a process; the time makes them unique across runs.
static RECORDED: AtomicU64 = AtomicU64::new(0);

/// One exchange as the client saw it.
pub(crate) struct Exchange<'a> {
    pub def: &'a ConnectorDef,
    pub endpoint: &'a str,
    /// The base URL the request went to: the recorded path is what follows it.
    pub base_url: &'a str,
    pub request: &'a Prepared,
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    /// Every credential value, replaced wherever it appears.
    pub secrets: &'a [&'a str],
}

impl CassetteRecorder {
    pub fn new(dir: impl Into<PathBuf>) -> CassetteRecorder {
        CassetteRecorder { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the exchange; a failure is logged, never returned: recording must not fail a call.
    pub(crate) fn record(&self, exchange: &Exchange<'_>) -> Option<PathBuf> {
        let cassette = cassette_of(exchange);
        let folder = self.dir.join(&exchange.def.name);
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        let count = RECORDED.fetch_add(1, Ordering::Relaxed);
        let path = folder.join(format!(
            "{}-{millis}-{}-{count}.yaml",
            exchange.endpoint,
            std::process::id()
        ));
        let text = format!(
            "# Recorded by connector-runtime; secrets redacted. Check the bodies for personal data.\n{}",
            cassette.to_yaml()
        );
        let written = std::fs::create_dir_all(&folder).and_then(|()| {
            use std::io::Write as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?
                .write_all(text.as_bytes())
        });
        match written {
            Ok(()) => Some(path),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot write the cassette");
                None
            }
        }
    }
}

/// The redacted cassette of an exchange.
fn cassette_of(exchange: &Exchange<'_>) -> Cassette {
    let placement = CredentialPlacement::of(exchange.def);
    let redact = |text: &str| {
        exchange
            .secrets
            .iter()
            .filter(|secret| !secret.is_empty())
            .fold(text.to_owned(), |text, secret| {
                text.replace(secret, REDACTED)
            })
    };
    let request = exchange.request;
    let base_path = url::Url::parse(exchange.base_url)
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let path = request.url.path();
    let path = path.strip_prefix(base_path.as_str()).unwrap_or(path);

    let mut query: IndexMap<String, Vec<String>> = IndexMap::new();
    for (name, value) in request.url.query_pairs() {
        let value = if placement.query.iter().any(|secret| *secret == name) {
            REDACTED.to_owned()
        } else {
            redact(&value)
        };
        query.entry(name.into_owned()).or_default().push(value);
    }
    let Value::Object(query) = grouped(query) else {
        unreachable!("grouped makes an object")
    };

    let headers = |headers: &HeaderMap| -> IndexMap<String, Value> {
        headers
            .iter()
            .map(|(name, value)| {
                let text = if value.is_sensitive() || placement.is_secret_header(name.as_str()) {
                    REDACTED.to_owned()
                } else {
                    redact(&String::from_utf8_lossy(value.as_bytes()))
                };
                (name.as_str().to_owned(), Value::String(text))
            })
            .collect()
    };
    let request_body = request.body.as_ref().map(|body| {
        let content_type = request
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let value = if content_type.starts_with("application/x-www-form-urlencoded") {
            form_value(body)
        } else {
            crate::body::json_or_text(body)
        };
        redact_value(value, &redact)
    });
    let response_body = (!exchange.body.is_empty())
        .then(|| redact_value(crate::body::json_or_text(exchange.body), &redact));

    Cassette {
        endpoint: exchange.endpoint.to_owned(),
        request: CassetteRequest {
            method: request.method.as_str().to_owned(),
            path: path.to_owned(),
            query: query.into_iter().collect(),
            headers: headers(&request.headers),
            body: request_body,
        },
        response: CassetteResponse {
            status: exchange.status,
            headers: headers(exchange.headers),
            body: response_body,
        },
    }
}

/// Replaces secrets in every string of a value, keys included.
fn redact_value(value: Value, redact: &impl Fn(&str) -> String) -> Value {
    match value {
        Value::String(text) => Value::String(redact(&text)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| redact_value(item, redact))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (redact(&name), redact_value(value, redact)))
                .collect(),
        ),
        other => other,
    }
}
