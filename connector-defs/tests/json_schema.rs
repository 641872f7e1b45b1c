//! The committed JSON Schema is what the model generates. Regenerate it with
//! `UPDATE_SCHEMA=1 cargo test -p connector-defs --test json_schema`.
//!
//! The hand-written parts (the `webhooks:` values) are checked by validating definitions
//! against it, with a small validator of the keywords it uses.

use std::path::Path;

use regex::Regex;
use serde_json::Value;

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/connector.schema.json");
    let fresh = serde_json::to_string_pretty(&connector_defs::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `UPDATE_SCHEMA=1 cargo test -p connector-defs --test json_schema` and commit it",
        path.display()
    );
}

#[test]
fn schema_describes_the_format() {
    let schema = connector_defs::json_schema();
    let required = schema["required"].as_array().unwrap();
    for field in ["name", "version", "base_url", "auth"] {
        assert!(required.iter().any(|r| r == field), "{field} is required");
    }
    // Format 1.1: a definition without endpoints is proxy-only.
    assert!(!required.iter().any(|r| r == "endpoints"));
    assert_eq!(schema["additionalProperties"], false);
    let defs = schema["$defs"].as_object().unwrap();
    assert!(defs.contains_key("Endpoint") && defs.contains_key("AuthDef"));
}

/// Whether `value` is valid against `schema`, for the keywords the generated schema uses
/// (annotations such as `description`, `default` and `format` are ignored).
fn valid(root: &Value, schema: &Value, value: &Value) -> bool {
    let Some(schema) = schema.as_object() else {
        return schema != &Value::Bool(false);
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/$defs/").expect("a local $ref");
        if !valid(root, &root["$defs"][name], value) {
            return false;
        }
    }
    if let Some(ty) = schema.get("type") {
        let types: Vec<&str> = match ty {
            Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
            other => vec![other.as_str().unwrap()],
        };
        let fits = |ty: &str| match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("type {other}"),
        };
        if !types.into_iter().any(fits) {
            return false;
        }
    }
    if schema
        .get("const")
        .is_some_and(|constant| constant != value)
    {
        return false;
    }
    if let Some(Value::Array(values)) = schema.get("enum")
        && !values.contains(value)
    {
        return false;
    }
    if let (Some(pattern), Some(text)) = (schema.get("pattern"), value.as_str())
        && !Regex::new(pattern.as_str().unwrap())
            .unwrap()
            .is_match(text)
    {
        return false;
    }
    let count = |keyword: &str| {
        schema.get(keyword).map(|alternatives| {
            let alternatives = alternatives.as_array().unwrap();
            let matching = alternatives
                .iter()
                .filter(|alternative| valid(root, alternative, value))
                .count();
            (matching, alternatives.len())
        })
    };
    if count("oneOf").is_some_and(|(matching, _)| matching != 1)
        || count("anyOf").is_some_and(|(matching, _)| matching == 0)
        || count("allOf").is_some_and(|(matching, all)| matching != all)
    {
        return false;
    }
    if let (Some(items), Some(item_schema)) = (value.as_array(), schema.get("items"))
        && !items.iter().all(|item| valid(root, item_schema, item))
    {
        return false;
    }
    let Some(object) = value.as_object() else {
        return true;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(Value::Array(required)) = schema.get("required")
        && !required
            .iter()
            .all(|name| object.contains_key(name.as_str().unwrap()))
    {
        return false;
    }
    object.iter().all(
        |(key, field)| match properties.and_then(|properties| properties.get(key)) {
            Some(property) => valid(root, property, field),
            None => schema
                .get("additionalProperties")
                .is_none_or(|extra| valid(root, extra, field)),
        },
    )
}

/// Whether a definition with this `webhooks:` block is valid against the committed schema.
fn webhooks_valid(block: &str) -> bool {
    let schema = connector_defs::json_schema();
    let source = format!(
        "name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth: {{ kind: bearer }}\nwebhooks:\n{block}"
    );
    let value: Value = serde_norway::from_str(&source).unwrap();
    valid(&schema, &schema, &value)
}

#[test]
fn the_schema_accepts_webhooks_blocks_the_format_accepts() {
    for block in [
        "  signature: { scheme: hmac_sha256, header: X-Hub-Signature-256, prefix: \"sha256=\", encoding: hex }\n  event_type: { header: X-GitHub-Event }\n  connection: { body: /installation/id, matches: installation_id }\n",
        "  signature: { scheme: slack }\n  event_type: { body: /event/type }\n  connection: { body: /team_id, matches: team_id }\n",
        "  signature: { scheme: stripe }\n  event_type: { body: /type }\n",
        "  signature: { scheme: standard_webhooks }\n  connection: { header: X-Account, matches: account }\n",
        "  signature: { scheme: none }\n",
    ] {
        assert!(webhooks_valid(block), "{block}");
    }
    // The built-ins, whole: github, slack and stripe have a block.
    let schema = connector_defs::json_schema();
    for (file, source) in connector_defs::BUILTIN {
        let value: Value = serde_norway::from_str(source).unwrap();
        assert!(valid(&schema, &schema, &value), "{file}");
        let signed = ["github.yaml", "slack.yaml", "stripe.yaml"].contains(file);
        assert_eq!(value.get("webhooks").is_some(), signed, "{file}");
    }
}

#[test]
fn the_schema_refuses_malformed_webhooks_blocks() {
    for block in [
        // An unknown scheme, an unknown field at each level.
        "  signature: { scheme: hmac_sha1, header: X-Sig }\n",
        "  signature: { scheme: none, secret: x }\n",
        "  signature: { scheme: none }\n  events: [push]\n",
        "  signature: { scheme: none }\n  event_type: { header: X-Event, default: push }\n",
        "  signature: { scheme: none }\n  connection: { body: /id, matches: account, colour: red }\n",
        // Header and body together, neither, a pointer without `/`.
        "  signature: { scheme: none }\n  event_type: { header: X-Event, body: /type }\n",
        "  signature: { scheme: none }\n  event_type: {}\n",
        "  signature: { scheme: none }\n  connection: { matches: account }\n",
        "  signature: { scheme: none }\n  event_type: { body: type }\n",
        // A connection without `matches`, a block without `signature`, a bad encoding.
        "  signature: { scheme: none }\n  connection: { body: /account }\n",
        "  event_type: { header: X-Event }\n",
        "  signature: { scheme: hmac_sha256, header: X-Sig, encoding: base32 }\n",
    ] {
        assert!(!webhooks_valid(block), "{block}");
    }
}
