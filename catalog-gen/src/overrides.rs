//! Hand corrections (`connector-defs/catalog-overrides.yaml`), keyed by facts name, applied on
//! every run so that regeneration keeps them. An entry holds any of:
//!
//! - `skip: REASON`: leave the row out (listed in docs/catalog.md with the reason);
//! - `facts: {COLUMN: VALUE}`: correct the row's facts before it is converted;
//! - `limitation: TEXT` (or a list): what the definition still cannot do, for docs/catalog.md;
//! - any definition field: deep-merged over the generated definition (a mapping merges key by
//!   key, anything else replaces; `null` removes the key).

use indexmap::IndexMap;
use serde_json::{Map, Value};

#[derive(Debug, Default)]
pub struct Override {
    pub skip: Option<String>,
    pub facts: Vec<(String, String)>,
    pub limitations: Vec<String>,
    pub definition: Map<String, Value>,
}

/// Reads the overrides file's text.
pub fn parse(text: &str) -> Result<IndexMap<String, Override>, String> {
    let value: Value = serde_norway::from_str(text).map_err(|error| error.to_string())?;
    let entries = match value {
        Value::Null => return Ok(IndexMap::new()),
        Value::Object(entries) => entries,
        _ => return Err("the overrides file must be a mapping from facts names".into()),
    };
    let mut out = IndexMap::new();
    for (facts_name, entry) in entries {
        let Value::Object(entry) = entry else {
            return Err(format!("`{facts_name}`: an override is a mapping"));
        };
        let mut parsed = Override::default();
        for (key, value) in entry {
            match (key.as_str(), value) {
                ("skip", Value::String(reason)) => parsed.skip = Some(reason),
                ("facts", Value::Object(columns)) => {
                    for (column, value) in columns {
                        let Value::String(value) = value else {
                            return Err(format!("`{facts_name}.facts.{column}` must be a string"));
                        };
                        parsed.facts.push((column, value));
                    }
                }
                ("limitation", Value::String(text)) => parsed.limitations.push(text),
                ("limitation", Value::Array(list)) => parsed.limitations.extend(
                    list.into_iter()
                        .filter_map(|text| text.as_str().map(str::to_owned)),
                ),
                ("skip" | "facts" | "limitation", _) => {
                    return Err(format!("`{facts_name}.{key}` has the wrong type"));
                }
                (_, value) => {
                    parsed.definition.insert(key, value);
                }
            }
        }
        out.insert(facts_name, parsed);
    }
    Ok(out)
}

/// Merges `patch` into `target`: mappings key by key, `null` removes, anything else replaces.
pub fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match (target.get_mut(key), value) {
            (_, Value::Null) => {
                target.remove(key);
            }
            (Some(Value::Object(target)), Value::Object(patch)) => merge(target, patch),
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_and_merge() {
        let overrides = parse(
            "zoho:\n  facts: { token_url: \"x\" }\n  limitation: why\n  auth: { token_url: \"https://a\", pkce: null }\nold:\n  skip: gone\n",
        )
        .unwrap();
        assert_eq!(overrides["old"].skip.as_deref(), Some("gone"));
        let zoho = &overrides["zoho"];
        assert_eq!(zoho.facts, [("token_url".to_owned(), "x".to_owned())]);
        assert_eq!(zoho.limitations, ["why"]);
        let mut definition = json!({"auth": {"kind": "oauth2", "token_url": "https://b", "pkce": false}, "name": "zoho"});
        merge(definition.as_object_mut().unwrap(), &zoho.definition);
        assert_eq!(
            definition,
            json!({"auth": {"kind": "oauth2", "token_url": "https://a"}, "name": "zoho"})
        );
    }
}
