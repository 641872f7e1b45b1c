//! Replay: reads the inputs back from a cassette's request (path parameters by matching the
//! endpoint's path template, the others by their wire names), builds the request with the
//! clients' own request building and compares; a 2xx response body must conform to the
//! endpoint's response schema.

use std::path::{Path, PathBuf};

use connector_defs::conformance;
use connector_defs::{BodyEncoding, ConnectorDef, Endpoint, Param, ParamLocation, ParamType};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::{Cassette, CassetteRequest, CredentialPlacement, REDACTED, form_value};
use crate::request::{self, Prepared};

/// The base URL requests are built against on replay: cassettes hold the path after it.
const REPLAY_BASE: &str = "http://cassette.invalid";

/// The replay of one cassette file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The file name (`list_issues-second_page.yaml`).
    pub file: String,
    /// The endpoint it exercises, when it could be read.
    pub endpoint: Option<String>,
    /// What differs; empty when the cassette replays.
    pub problems: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Replays every `*.yaml` of `dir` against `def`, in file name order. Fails only when `dir`
/// cannot be listed.
pub fn replay_dir(def: &ConnectorDef, dir: &Path) -> std::io::Result<Vec<Outcome>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|path| {
        path.extension()
            .is_some_and(|extension| extension == "yaml")
    });
    paths.sort();
    Ok(paths.iter().map(|path| replay_file(def, path)).collect())
}

/// Replays the cassette at `path`, also checking that its file name is `<endpoint>.yaml` or
/// `<endpoint>-<label>.yaml`.
pub fn replay_file(def: &ConnectorDef, path: &Path) -> Outcome {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let cassette = match Cassette::load(path) {
        Ok(cassette) => cassette,
        Err(error) => {
            return Outcome {
                file,
                endpoint: None,
                problems: vec![error.to_string()],
            };
        }
    };
    let mut problems = Vec::new();
    let stem = file.strip_suffix(".yaml").unwrap_or(&file);
    let label = stem.strip_prefix(cassette.endpoint.as_str());
    let label_ok = match label {
        Some("") => true,
        Some(label) => label.strip_prefix('-').is_some_and(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        }),
        None => false,
    };
    if !label_ok {
        problems.push(format!(
            "the file name should be `{0}.yaml` or `{0}-<label>.yaml` (label: a-z, 0-9, `_`, `-`)",
            cassette.endpoint
        ));
    }
    problems.extend(replay(def, &cassette));
    Outcome {
        file,
        endpoint: Some(cassette.endpoint),
        problems,
    }
}

/// The endpoints of `def` that no outcome exercises, in definition order.
pub fn uncovered<'a>(def: &'a ConnectorDef, outcomes: &[Outcome]) -> Vec<&'a str> {
    def.endpoints
        .keys()
        .map(String::as_str)
        .filter(|name| {
            !outcomes
                .iter()
                .any(|outcome| outcome.endpoint.as_deref() == Some(*name))
        })
        .collect()
}

/// What differs between `cassette` and what `def` builds and answers; empty when it replays.
pub fn replay(def: &ConnectorDef, cassette: &Cassette) -> Vec<String> {
    let Some(endpoint) = def.endpoints.get(&cassette.endpoint) else {
        let hint = connector_defs::suggest::closest(
            &cassette.endpoint,
            def.endpoints.keys().map(String::as_str),
        )
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default();
        return vec![format!(
            "connector `{}` has no endpoint `{}`{hint}",
            def.name, cassette.endpoint
        )];
    };
    let mut problems = Vec::new();
    let request = &cassette.request;
    if !request
        .method
        .eq_ignore_ascii_case(endpoint.method.as_str())
    {
        problems.push(format!(
            "method: the endpoint is {}, the cassette says {}",
            endpoint.method.as_str(),
            request.method
        ));
    }
    let placement = CredentialPlacement::of(def);
    match inputs(endpoint, request, &placement) {
        Ok(input) => problems.extend(compare_request(
            def,
            &cassette.endpoint,
            endpoint,
            request,
            &input,
            &placement,
        )),
        Err(mut found) => problems.append(&mut found),
    }
    let response = &cassette.response;
    if (200..300).contains(&response.status)
        && let Some(schema) = &endpoint.response
    {
        let body = response.body.clone().unwrap_or(Value::Null);
        for mismatch in conformance::check(def, schema, &body) {
            problems.push(format!("response body {mismatch}"));
        }
    }
    problems
}

/// The endpoint's inputs as the cassette's request carries them, typed as the parameters
/// say; `Err` lists what cannot be read back.
fn inputs(
    endpoint: &Endpoint,
    request: &CassetteRequest,
    placement: &CredentialPlacement,
) -> Result<Map<String, Value>, Vec<String>> {
    let mut input = Map::new();
    let mut problems = Vec::new();
    let declared = |name: &str, location: ParamLocation| {
        endpoint
            .params
            .get(name)
            .filter(|param| param.location == location)
    };

    match path_values(&endpoint.path, &request.path) {
        Some(values) => {
            for (name, raw) in values {
                let decoded = percent_decode_str(raw).decode_utf8_lossy();
                match declared(name, ParamLocation::Path) {
                    Some(param) => match typed(&decoded, param.ty) {
                        Ok(value) => {
                            input.insert(name.to_owned(), value);
                        }
                        Err(problem) => {
                            problems.push(format!("path parameter `{name}`: {problem}"))
                        }
                    },
                    None => problems.push(format!(
                        "the path template names `{{{name}}}`, which is not a path parameter"
                    )),
                }
            }
        }
        None => problems.push(format!(
            "path: `{}` does not match the endpoint's template `{}`",
            request.path, endpoint.path
        )),
    }

    for (name, value) in &request.query {
        if placement.query.contains(name) {
            continue;
        }
        match declared(name, ParamLocation::Query) {
            Some(param) => match from_text_values(value, param) {
                Ok(value) => {
                    input.insert(name.clone(), value);
                }
                Err(problem) => problems.push(format!("query parameter `{name}`: {problem}")),
            },
            None => problems.push(format!(
                "query parameter `{name}` is not declared by the endpoint"
            )),
        }
    }

    for (name, param) in &endpoint.params {
        if param.location != ParamLocation::Header {
            continue;
        }
        let Some((_, value)) = request
            .headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        let read = scalar_text(value).and_then(|text| typed(&text, param.ty));
        match read {
            Ok(value) => {
                input.insert(name.clone(), value);
            }
            Err(problem) => problems.push(format!("header parameter `{name}`: {problem}")),
        }
    }

    if let Some(body) = &request.body {
        let body_params = || {
            endpoint
                .params
                .iter()
                .filter(|(_, param)| param.location == ParamLocation::Body)
        };
        match (endpoint.body_encoding, body) {
            (BodyEncoding::Raw, Value::String(_)) => match body_params().next() {
                Some((name, _)) => {
                    input.insert(name.clone(), body.clone());
                }
                None => problems.push("the body is not declared by the endpoint".to_owned()),
            },
            (BodyEncoding::Raw, _) => {
                problems.push("a raw body must be written as a string".to_owned())
            }
            (encoding, Value::Object(fields)) => {
                for (name, value) in fields {
                    let Some(param) = declared(name, ParamLocation::Body) else {
                        problems.push(format!(
                            "body field `{name}` is not declared by the endpoint"
                        ));
                        continue;
                    };
                    let value = match encoding {
                        BodyEncoding::Form => from_text_values(value, param),
                        _ => Ok(value.clone()),
                    };
                    match value {
                        Ok(value) => {
                            input.insert(name.clone(), value);
                        }
                        Err(problem) => problems.push(format!("body field `{name}`: {problem}")),
                    }
                }
            }
            (_, _) => problems.push("the body must be a map of the body parameters".to_owned()),
        }
    }

    if problems.is_empty() {
        Ok(input)
    } else {
        Err(problems)
    }
}

/// Builds the request from `input` and lists how it differs from the cassette's.
fn compare_request(
    def: &ConnectorDef,
    name: &str,
    endpoint: &Endpoint,
    request: &CassetteRequest,
    input: &Map<String, Value>,
    placement: &CredentialPlacement,
) -> Vec<String> {
    // Settings get their default, else a stand-in: the cassette's path is after the base URL.
    let config = def
        .connection_config
        .iter()
        .map(|(name, field)| {
            (
                name.clone(),
                field.default.clone().unwrap_or_else(|| "x".to_owned()),
            )
        })
        .collect();
    let built = match request::prepare(def, REPLAY_BASE, name, endpoint, input, &config, None) {
        Ok(built) => built,
        Err(error) => return vec![error.to_string()],
    };
    let mut problems = Vec::new();
    if built.url.path() != request.path {
        problems.push(format!(
            "path: the endpoint builds `{}`, the cassette says `{}`",
            built.url.path(),
            request.path
        ));
    }

    let mut built_query: Vec<(String, String)> = built.url.query_pairs().into_owned().collect();
    let mut cassette_query: Vec<(String, String)> = Vec::new();
    for (key, value) in &request.query {
        if placement.query.contains(key) {
            continue;
        }
        let values = match value {
            Value::Array(items) => items
                .iter()
                .filter_map(|item| scalar_text(item).ok())
                .collect(),
            other => scalar_text(other).into_iter().collect::<Vec<_>>(),
        };
        cassette_query.extend(values.into_iter().map(|value| (key.clone(), value)));
    }
    built_query.sort();
    cassette_query.sort();
    if built_query != cassette_query {
        problems.push(format!(
            "query: the endpoint builds `{}`, the cassette says `{}`",
            query_text(&built_query),
            query_text(&cassette_query)
        ));
    }

    if let Some(problem) = compare_body(endpoint, &built, request.body.as_ref()) {
        problems.push(problem);
    }

    for (header, value) in &request.headers {
        let expected = match scalar_text(value) {
            Ok(expected) => expected,
            Err(problem) => {
                problems.push(format!("header `{header}`: {problem}"));
                continue;
            }
        };
        if expected == REDACTED {
            continue;
        }
        if placement.is_secret_header(header) {
            problems.push(format!(
                "header `{header}` carries a credential; write it as \"{REDACTED}\""
            ));
            continue;
        }
        match built
            .headers
            .get(header.as_str())
            .map(|value| value.to_str())
        {
            Some(Ok(actual)) if actual == expected => {}
            Some(Ok(actual)) => problems.push(format!(
                "header `{header}`: the endpoint sends `{actual}`, the cassette says `{expected}`"
            )),
            _ => problems.push(format!("header `{header}`: the endpoint does not send it")),
        }
    }
    problems
}

fn compare_body(endpoint: &Endpoint, built: &Prepared, cassette: Option<&Value>) -> Option<String> {
    let built_body = built
        .body
        .as_ref()
        .map(|bytes| match endpoint.body_encoding {
            BodyEncoding::Json => serde_json::from_slice(bytes).unwrap_or(Value::Null),
            BodyEncoding::Form => form_value(bytes),
            BodyEncoding::Raw => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        });
    let cassette = cassette.map(|body| match endpoint.body_encoding {
        // Scalars of a form are compared as the text they are sent as.
        BodyEncoding::Form => text_values(body),
        _ => body.clone(),
    });
    (built_body != cassette).then(|| {
        let show =
            |body: &Option<Value>| body.as_ref().map_or("no body".to_owned(), Value::to_string);
        format!(
            "body: the endpoint builds {}, the cassette says {}",
            show(&built_body),
            show(&cassette)
        )
    })
}

/// Every scalar of a map of scalars or lists as its text.
fn text_values(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), text_values(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(text_values).collect()),
        other => Value::String(scalar_text(other).unwrap_or_default()),
    }
}

fn query_text(pairs: &[(String, String)]) -> String {
    let mut text = url::form_urlencoded::Serializer::new(String::new());
    text.extend_pairs(pairs);
    text.finish()
}

/// The values of the path template's placeholders in `path`, by name; `None` when `path` does
/// not have the template's shape. A value never spans a `/` (the client encodes it).
fn path_values<'a, 't>(template: &'t str, path: &'a str) -> Option<Vec<(&'t str, &'a str)>> {
    let mut values = Vec::new();
    let mut rest_template = template;
    let mut rest = path;
    while let Some(open) = rest_template.find('{') {
        let literal = &rest_template[..open];
        rest = rest.strip_prefix(literal)?;
        let close = open + rest_template[open..].find('}')?;
        let name = &rest_template[open + 1..close];
        rest_template = &rest_template[close + 1..];
        let next_literal = &rest_template[..rest_template.find('{').unwrap_or(rest_template.len())];
        let segment_end = rest.find('/').unwrap_or(rest.len());
        let end = if next_literal.is_empty() {
            segment_end
        } else {
            rest.find(next_literal).filter(|end| *end <= segment_end)?
        };
        if end == 0 {
            return None;
        }
        values.push((name, &rest[..end]));
        rest = &rest[end..];
    }
    (rest == rest_template).then_some(values)
}

/// A scalar written in a cassette (a string, or a number or boolean YAML did not quote) as text.
fn scalar_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        other => Err(format!("expected a string, got {other}")),
    }
}

/// A query or form value (a scalar, or a list for a repeated name) as the parameter's type.
fn from_text_values(value: &Value, param: &Param) -> Result<Value, String> {
    let item_type = param
        .items
        .as_ref()
        .and_then(|items| items.ty)
        .unwrap_or(ParamType::String);
    match (value, param.ty) {
        (Value::Array(items), ParamType::Array) => items
            .iter()
            .map(|item| typed(&scalar_text(item)?, item_type))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (Value::Array(_), ty) => Err(format!(
            "repeated, but the parameter is {} (not an array)",
            ty.as_str()
        )),
        (scalar, ParamType::Array) => {
            Ok(Value::Array(vec![typed(&scalar_text(scalar)?, item_type)?]))
        }
        (scalar, ty) => typed(&scalar_text(scalar)?, ty),
    }
}

/// Text as sent on the wire, read back as a value of type `ty` (objects and arrays as JSON).
fn typed(text: &str, ty: ParamType) -> Result<Value, String> {
    let wrong = || {
        format!(
            "`{text}` is not {}",
            match ty {
                ParamType::Integer => "an integer",
                ParamType::Number => "a number",
                ParamType::Boolean => "a boolean (`true` or `false`)",
                ParamType::Object => "a JSON object",
                ParamType::Array => "a JSON array",
                ParamType::String => "a string",
            }
        )
    };
    match ty {
        ParamType::String => Ok(Value::String(text.to_owned())),
        ParamType::Integer => text.parse::<i64>().map(Value::from).map_err(|_| wrong()),
        ParamType::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(wrong),
        ParamType::Boolean => text.parse::<bool>().map(Value::Bool).map_err(|_| wrong()),
        ParamType::Object | ParamType::Array => serde_json::from_str::<Value>(text)
            .ok()
            .filter(|value| ty.accepts(value))
            .ok_or_else(wrong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_values_follow_the_template() {
        assert_eq!(
            path_values("/users/{userId}/messages/{id}", "/users/me/messages/18a"),
            Some(vec![("userId", "me"), ("id", "18a")])
        );
        assert_eq!(
            path_values(
                "/me/drive/items/{parentId}:/{fileName}:/content",
                "/me/drive/items/01AB:/a%20b.txt:/content"
            ),
            Some(vec![("parentId", "01AB"), ("fileName", "a%20b.txt")])
        );
        assert_eq!(
            path_values(
                "/me/drive/root/search(q='{q}')",
                "/me/drive/root/search(q='budget')"
            ),
            Some(vec![("q", "budget")])
        );
        assert_eq!(
            path_values("/users/{userId}/profile", "/users/me/labels"),
            None
        );
        assert_eq!(path_values("/users/{userId}", "/users/a/b"), None);
        assert_eq!(path_values("/users/{userId}", "/users/"), None);
    }
}
