//! A small, deterministic YAML writer for definitions: block mappings in the order given, lists
//! of scalars in flow style, and every string as a JSON string, which YAML reads back as the
//! same text whatever it holds (`||`, `{…}`, `: `, a leading `@`).

use serde_json::Value;

/// `value` (an object) as a YAML document, after `header` comment lines.
pub fn document(header: &[&str], value: &Value) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    if let Value::Object(map) = value {
        for (key, value) in map {
            entry(&mut out, 0, key, value);
        }
    }
    out
}

fn entry(out: &mut String, indent: usize, key: &str, value: &Value) {
    out.push_str(&" ".repeat(indent));
    out.push_str(&self::key(key));
    out.push(':');
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            for (key, value) in map {
                entry(out, indent + 2, key, value);
            }
        }
        Value::Array(items) if items.iter().any(|item| item.is_object() || item.is_array()) => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent + 2));
                out.push_str("- ");
                out.push_str(&flow(item));
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            out.push_str(&flow(other));
            out.push('\n');
        }
    }
}

/// A value on one line: scalars, `[a, b]`, `{k: v}`.
fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{}: {}", self::key(key), flow(value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// A key plain when YAML reads it back as the same string, else a JSON string.
fn key(key: &str) -> String {
    const WORDS: &[&str] = &["true", "false", "null", "yes", "no", "on", "off", "y", "n"];
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !WORDS.contains(&key.to_ascii_lowercase().as_str());
    if plain {
        key.to_owned()
    } else {
        Value::String(key.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_mappings_and_quoted_strings() {
        let value = json!({
            "name": "acme",
            "auth": {"kind": "api_key", "headers": {"Authorization": "Token {credentials.api_key}"}},
            "categories": ["crm", "popular"],
            "empty": {},
            "wm_sec.key": "a || b",
            "true": false,
        });
        let text = document(&["generated"], &value);
        assert_eq!(
            text,
            "# generated\nname: \"acme\"\nauth:\n  kind: \"api_key\"\n  headers:\n    Authorization: \"Token {credentials.api_key}\"\ncategories: [\"crm\", \"popular\"]\nempty: {}\n\"wm_sec.key\": \"a || b\"\n\"true\": false\n"
        );
        let back: Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
