//! Turning an endpoint and its JSON inputs into an HTTP request.
//!
//! One code path serves [`RawClient::execute`](crate::RawClient::execute), `call` and `pages`.

use std::collections::HashMap;

use bytes::Bytes;
use connector_defs::template::{self, Piece};
use connector_defs::{BodyEncoding, ConfigField, ConnectorDef, Endpoint, ParamLocation};
use indexmap::IndexMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use url::Url;

use crate::Error;

/// Everything but the unreserved characters of RFC 3986: a path value is always exactly one
/// segment, whatever it holds (`a/b` becomes `a%2Fb`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A request ready to be sent (and re-sent on retries).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    /// Whether a 5xx or a connection error may be retried.
    pub idempotent: bool,
}

/// The parameters' values once defaults are applied, checked against their declarations.
fn resolve_params<'a>(
    def: &ConnectorDef,
    name: &str,
    endpoint: &'a Endpoint,
    input: &'a Map<String, Value>,
) -> Result<Vec<(&'a str, &'a connector_defs::Param, &'a Value)>, Error> {
    if let Some(unknown) = input.keys().find(|key| !endpoint.params.contains_key(*key)) {
        let known: Vec<&str> = endpoint.params.keys().map(String::as_str).collect();
        let hint = match connector_defs::suggest::closest(unknown, known.iter().copied()) {
            Some(suggestion) => format!("; did you mean `{suggestion}`?"),
            None if known.is_empty() => " (it has none)".to_owned(),
            None => format!(" (it has: {})", known.join(", ")),
        };
        return Err(Error::InvalidInput(format!(
            "endpoint `{name}` of connector `{}` has no parameter `{unknown}`{hint}",
            def.name,
        )));
    }
    let mut values = Vec::with_capacity(endpoint.params.len());
    for (param_name, param) in &endpoint.params {
        // JSON null is an absent value: typed requests serialise `None` that way.
        let value = input
            .get(param_name)
            .filter(|value| !value.is_null())
            .or(param.default.as_ref());
        let Some(value) = value else {
            if param.required || param.location == ParamLocation::Path {
                return Err(Error::InvalidInput(format!(
                    "endpoint `{name}` of connector `{}` needs parameter `{param_name}`",
                    def.name
                )));
            }
            continue;
        };
        if !param.ty.accepts(value) {
            return Err(Error::InvalidInput(format!(
                "parameter `{param_name}` of endpoint `{name}` must be of type {}, got {}",
                param.ty.as_str(),
                json_type(value)
            )));
        }
        if let Err(problem) = param.bounds().check(value) {
            return Err(Error::InvalidInput(format!(
                "parameter `{param_name}` of endpoint `{name}` {problem}"
            )));
        }
        values.push((param_name.as_str(), param, value));
    }
    Ok(values)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value as text: strings as they are, other scalars in JSON form, structures as compact JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compact JSON with every non-ASCII character (and DEL) escaped as `\uXXXX`, so that it is a
/// valid header value (Dropbox-API-Arg requires exactly that).
pub(crate) fn ascii_json(value: &Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Fills the `{connection_config.NAME}` placeholders of a URL template (a base URL, an OAuth
/// URL) from `values`, else from the defaults `declared`. A placeholder opening the template
/// whose setting `is_origin` says comes from the token response is a whole origin.
pub(crate) fn fill_url(
    template: &str,
    declared: &IndexMap<String, ConfigField>,
    values: &HashMap<String, String>,
    is_origin: impl Fn(&str) -> bool,
) -> Result<String, Error> {
    let config = |name: &str, value: &str, opens_template: bool| {
        if opens_template && is_origin(name) {
            return origin(name, value);
        }
        // Values land in host names and paths: only unreserved characters, so that a value
        // can never change the host (`evil.com/`, `@`, `:`…), and no dot segment, which the URL
        // parser would resolve.
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
        {
            return Err(Error::InvalidInput(format!(
                "connection_config `{name}` holds `{}`; only letters, digits, `-`, `.`, `_` and `~` are allowed",
                bad.escape_default()
            )));
        }
        if is_dot_segment(value) {
            return Err(Error::InvalidInput(format!(
                "connection_config `{name}` cannot be `.` or `..`"
            )));
        }
        Ok(value.to_owned())
    };
    fill(template, declared, values, None, config)
}

/// Fills the `{connection_config.NAME}` placeholders of a header value template, like
/// [`fill_url`]; a value may hold anything but control characters (CR and LF would start a
/// new header).
pub(crate) fn fill_header(
    template: &str,
    declared: &IndexMap<String, ConfigField>,
    values: &HashMap<String, String>,
) -> Result<String, Error> {
    fill(template, declared, values, None, header_config)
}

/// Fills the `{connection_config.NAME}` placeholders of an OAuth parameter value, like
/// [`fill_url`]; any value goes, as the request's encoding escapes it.
pub(crate) fn fill_param(
    template: &str,
    declared: &IndexMap<String, ConfigField>,
    values: &HashMap<String, String>,
) -> Result<String, Error> {
    fill(template, declared, values, None, |_, value, _| {
        Ok(value.to_owned())
    })
}

/// Fills a credential placement (`auth.headers`, `auth.query`): `{credentials.NAME}` from
/// `credentials`, `{connection_config.NAME}` as in a header value.
pub(crate) fn fill_credential(
    template: &str,
    declared: &IndexMap<String, ConfigField>,
    values: &HashMap<String, String>,
    credentials: &HashMap<&str, &str>,
) -> Result<String, Error> {
    fill(template, declared, values, Some(credentials), header_config)
}

fn header_config(name: &str, value: &str, _opens_template: bool) -> Result<String, Error> {
    if value.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "connection_config `{name}` cannot hold control characters (it goes in a header)"
        )));
    }
    Ok(value.to_owned())
}

/// Renders `template`: of its `A || B` alternatives, the first whose settings all have a
/// value (given, or a non-empty default), else the last. Each `{connection_config.NAME}` is
/// the value `values` gives, else the declared default (empty for an optional setting), as
/// `render_config(name, value, opens_template)` writes it (or refuses it); each
/// `{credentials.NAME}` is the credential field's value, as it is.
fn fill(
    template: &str,
    declared: &IndexMap<String, ConfigField>,
    values: &HashMap<String, String>,
    credentials: Option<&HashMap<&str, &str>>,
    render_config: impl Fn(&str, &str, bool) -> Result<String, Error>,
) -> Result<String, Error> {
    let unclosed = |_| Error::InvalidInput(format!("`{template}` has an unclosed placeholder"));
    let value_of = |name: &str| config_value(name, declared, values);
    let mut alternatives = template::alternatives(template).peekable();
    let pieces = loop {
        let alternative = alternatives.next().unwrap_or_default();
        let pieces = template::pieces(alternative).map_err(unclosed)?;
        let filled = pieces.iter().all(|piece| match piece {
            Piece::Config(name) => value_of(name).is_some_and(|value| !value.is_empty()),
            _ => true,
        });
        if filled || alternatives.peek().is_none() {
            break pieces;
        }
    };
    let mut out = String::with_capacity(template.len());
    for (index, piece) in pieces.into_iter().enumerate() {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Config(name) => {
                let field = declared.get(name);
                let value = match (value_of(name), field) {
                    (Some(value), _) => value,
                    (None, Some(field)) if !field.required => "",
                    _ => {
                        return Err(Error::InvalidInput(format!(
                            "connection_config `{name}` is required{}",
                            field
                                .and_then(|field| field.description.as_deref())
                                .map(|description| format!(" ({description})"))
                                .unwrap_or_default()
                        )));
                    }
                };
                out.push_str(&render_config(name, value, index == 0)?);
            }
            Piece::Credential(name) => {
                let value = credentials
                    .and_then(|credentials| credentials.get(name))
                    .ok_or_else(|| Error::Auth(format!("the credential has no field `{name}`")))?;
                out.push_str(value);
            }
        }
    }
    Ok(out)
}

/// The value of setting `name`: given, else its declared default.
fn config_value<'a>(
    name: &str,
    declared: &'a IndexMap<String, ConfigField>,
    values: &'a HashMap<String, String>,
) -> Option<&'a str> {
    values
        .get(name)
        .or_else(|| declared.get(name)?.default.as_ref())
        .map(String::as_str)
}

/// A setting that is a whole origin (Salesforce's `instance_url`): an absolute http or https
/// URL with nothing but a scheme, a host and a port, written out as the parser reads it.
fn origin(name: &str, value: &str) -> Result<String, Error> {
    let invalid = || {
        Error::InvalidInput(format!(
            "connection_config `{name}` must be an http or https origin such as `https://host.example.com`, got `{}`",
            value.escape_default()
        ))
    };
    let url = Url::parse(value).map_err(|_| invalid())?;
    let bare = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && !has_control(value);
    if bare {
        Ok(url.origin().ascii_serialization())
    } else {
        Err(invalid())
    }
}

/// Whether `text` holds a C0 control character or DEL, as it is or percent-encoded (`%0A`):
/// URL parsers drop tab, CR and LF silently, and providers may decode the others.
pub(crate) fn has_control(text: &str) -> bool {
    percent_decode_str(text).any(|byte| byte.is_ascii_control())
}

/// Whether a path segment is `.` or `..`, in the form a URL parser resolves: after dropping
/// tab, CR and LF and decoding `%2e` in any case.
pub(crate) fn is_dot_segment(segment: &str) -> bool {
    let segment: String = segment
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
        .replace("%2e", ".");
    segment == "." || segment == ".."
}

/// Appends `path` (starting with `/`) to `base` without losing the base's own path.
pub(crate) fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if path.is_empty() || path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

pub(crate) fn parse_url(url: &str) -> Result<Url, Error> {
    Url::parse(url)
        .map_err(|error| Error::InvalidInput(format!("`{url}` is not a valid URL: {error}")))
}

fn header_name(name: &str) -> Result<HeaderName, Error> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidInput(format!("`{name}` is not a valid header name")))
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::InvalidInput(format!(
            "the value of header `{name}` cannot go in an HTTP header (non-ASCII or control characters)"
        ))
    })
}

/// Headers of the connector, then of the endpoint; later ones replace earlier ones. Their
/// `{connection_config.NAME}` placeholders are filled from `config`.
pub(crate) fn static_headers(
    def: &ConnectorDef,
    endpoint: Option<&Endpoint>,
    config: &HashMap<String, String>,
) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::new();
    let endpoint_headers = endpoint.into_iter().flat_map(|endpoint| &endpoint.headers);
    for (name, template) in def.headers.iter().chain(endpoint_headers) {
        let value = fill_header(template, &def.connection_config, config)?;
        headers.insert(header_name(name)?, header_value(name, &value)?);
    }
    Ok(headers)
}

/// Builds the request for endpoint `name`. With `url`, the request goes to that URL as it is
/// (a next page's link) instead of base URL + path + query parameters; headers and body are
/// built the same way.
pub(crate) fn prepare(
    def: &ConnectorDef,
    base_url: &str,
    name: &str,
    endpoint: &Endpoint,
    input: &Map<String, Value>,
    config: &HashMap<String, String>,
    url: Option<Url>,
) -> Result<Prepared, Error> {
    let params = resolve_params(def, name, endpoint, input)?;

    let mut path = endpoint.path.clone();
    let mut query: Vec<(&str, String)> = Vec::new();
    let mut headers = static_headers(def, Some(endpoint), config)?;
    let mut body_params: Vec<(&str, &Value)> = Vec::new();
    for (param_name, param, value) in params {
        match param.location {
            ParamLocation::Path => {
                let text = text(value);
                if text.is_empty() {
                    return Err(Error::InvalidInput(format!(
                        "path parameter `{param_name}` cannot be empty"
                    )));
                }
                if has_control(&text) || is_dot_segment(&text) {
                    return Err(Error::InvalidInput(format!(
                        "path parameter `{param_name}` cannot hold control characters or be `.` or `..`"
                    )));
                }
                let encoded = utf8_percent_encode(&text, PATH_SEGMENT).to_string();
                path = path.replace(&format!("{{{param_name}}}"), &encoded);
            }
            ParamLocation::Query => match value {
                Value::Array(items) => {
                    query.extend(items.iter().map(|item| (param_name, text(item))))
                }
                other => query.push((param_name, text(other))),
            },
            ParamLocation::Header => {
                let text = match value {
                    Value::Object(_) | Value::Array(_) => ascii_json(value),
                    other => text(other),
                };
                headers.insert(header_name(param_name)?, header_value(param_name, &text)?);
            }
            ParamLocation::Body => body_params.push((param_name, value)),
        }
    }
    // Values can also meet in one segment (`{a}{b}`).
    if path.split('/').any(is_dot_segment) {
        return Err(Error::InvalidInput(
            "path parameters cannot make a `.` or `..` segment".into(),
        ));
    }

    let url = match url {
        Some(url) => url,
        None => {
            let mut url = parse_url(&join(base_url, &path))?;
            if !query.is_empty() {
                let mut pairs = url.query_pairs_mut();
                for (key, value) in &query {
                    pairs.append_pair(key, value);
                }
            }
            url
        }
    };

    let body = match endpoint.body_encoding {
        _ if body_params.is_empty() => None,
        BodyEncoding::Json => {
            let object: Map<String, Value> = body_params
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.clone()))
                .collect();
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static("application/json"));
            Some(Bytes::from(
                serde_json::to_vec(&object).expect("JSON values serialise"),
            ))
        }
        BodyEncoding::Form => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in body_params {
                match value {
                    Value::Array(items) => {
                        for item in items {
                            form.append_pair(name, &text(item));
                        }
                    }
                    other => {
                        form.append_pair(name, &text(other));
                    }
                }
            }
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static(
                    "application/x-www-form-urlencoded",
                ));
            Some(Bytes::from(form.finish()))
        }
        BodyEncoding::Raw => {
            let (name, value) = body_params[0];
            let Value::String(content) = value else {
                return Err(Error::InvalidInput(format!(
                    "raw body parameter `{name}` must be a string"
                )));
            };
            let content_type = endpoint
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            headers.insert(CONTENT_TYPE, header_value("Content-Type", content_type)?);
            Some(Bytes::from(content.clone()))
        }
    };

    Ok(Prepared {
        method: method(endpoint.method),
        url,
        headers,
        body,
        idempotent: endpoint.is_idempotent(),
    })
}

pub(crate) fn method(method: connector_defs::HttpMethod) -> Method {
    use connector_defs::HttpMethod as M;
    match method {
        M::Get => Method::GET,
        M::Post => Method::POST,
        M::Put => Method::PUT,
        M::Patch => Method::PATCH,
        M::Delete => Method::DELETE,
        M::Head => Method::HEAD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_json_escapes_non_ascii() {
        let value = serde_json::json!({"path": "/café/😀"});
        assert_eq!(ascii_json(&value), r#"{"path":"/caf\u00e9/\ud83d\ude00"}"#);
    }

    #[test]
    fn join_keeps_the_base_path() {
        assert_eq!(
            join("https://x.test/gmail/v1", "/users/me"),
            "https://x.test/gmail/v1/users/me"
        );
        assert_eq!(
            join("https://x.test/gmail/v1/", "/users/me"),
            "https://x.test/gmail/v1/users/me"
        );
    }
}
