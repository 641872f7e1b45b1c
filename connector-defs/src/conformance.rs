//! Whether a JSON value conforms to a definition's schema: what `connector test` checks a
//! cassette's 2xx response body against.
//!
//! Providers add fields over time, so properties a schema does not list are allowed; what is
//! checked is what generated code relies on: types, `required`, `enum`, `nullable`, and the
//! alternative of a `oneOf` its discriminator names.

use std::fmt;

use serde_json::Value;

use crate::{ConnectorDef, ParamType, Schema};

/// One place where a value differs from its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where in the value, JSON-pointer style (`/value/0/id`); empty for the value itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "at `{path}`: {}", self.message)
    }
}

/// Every mismatch between `value` and `schema` (refs resolved through `def`), in document order.
pub fn check(def: &ConnectorDef, schema: &Schema, value: &Value) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    check_at(def, schema, value, &mut String::new(), &mut mismatches);
    mismatches
}

fn check_at(
    def: &ConnectorDef,
    schema: &Schema,
    value: &Value,
    path: &mut String,
    out: &mut Vec<Mismatch>,
) {
    let mut fail = |message: String| {
        out.push(Mismatch {
            path: path.clone(),
            message,
        })
    };
    // `nullable` may sit beside a `$ref` or on the named schema itself.
    let resolved = def.resolve(schema);
    if value.is_null() {
        if !(schema.nullable || resolved.nullable) {
            fail("null where the schema does not allow it (not `nullable`)".to_owned());
        }
        return;
    }
    if resolved.ref_name().is_some() {
        fail(format!(
            "`{}` names no schema of the definition",
            resolved.reference.as_deref().unwrap_or_default()
        ));
        return;
    }
    if !resolved.one_of.is_empty() {
        check_one_of(def, resolved, value, path, out);
        return;
    }
    if resolved.is_binary() {
        // A cassette writes bytes as any text.
        return;
    }
    if let Some(ty) = resolved.ty
        && !ty.accepts(value)
    {
        fail(format!("expected {}, got {}", a(ty), describe(value)));
        return;
    }
    if let Some(allowed) = &resolved.enum_values
        && !allowed.contains(value)
    {
        let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
        fail(format!("{value} is not one of {}", allowed.join(", ")));
    }
    match value {
        Value::Object(object) => {
            for name in &resolved.required {
                if !object.contains_key(name) {
                    out.push(Mismatch {
                        path: path.clone(),
                        message: format!("required property `{name}` is missing"),
                    });
                }
            }
            for (name, property) in &resolved.properties {
                if let Some(field) = object.get(name) {
                    let length = path.len();
                    push_segment(path, name);
                    check_at(def, property, field, path, out);
                    path.truncate(length);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &resolved.items {
                for (index, item) in items.iter().enumerate() {
                    let length = path.len();
                    push_segment(path, &index.to_string());
                    check_at(def, item_schema, item, path, out);
                    path.truncate(length);
                }
            }
        }
        _ => {}
    }
}

/// A `oneOf`: the discriminator property names the alternative the value must conform to.
fn check_one_of(
    def: &ConnectorDef,
    schema: &Schema,
    value: &Value,
    path: &mut String,
    out: &mut Vec<Mismatch>,
) {
    let mut fail = |message: String| {
        out.push(Mismatch {
            path: path.clone(),
            message,
        })
    };
    let Some(discriminator) = &schema.discriminator else {
        fail("a `oneOf` without a discriminator cannot be checked".to_owned());
        return;
    };
    let property = &discriminator.property_name;
    let Some(object) = value.as_object() else {
        fail(format!("expected an object, got {}", describe(value)));
        return;
    };
    let Some(tag) = object.get(property) else {
        fail(format!("the discriminator `{property}` is missing"));
        return;
    };
    let alternatives: Vec<(&str, &Schema)> = discriminator.values(&schema.one_of).collect();
    match alternatives
        .iter()
        .find(|(name, _)| tag.as_str() == Some(*name))
    {
        Some((_, alternative)) => check_at(def, alternative, value, path, out),
        None => {
            let names: Vec<&str> = alternatives.iter().map(|(name, _)| *name).collect();
            fail(format!(
                "the discriminator `{property}` is {tag}, not one of {}",
                names.join(", ")
            ));
        }
    }
}

/// Appends a JSON-pointer segment (`~` and `/` escaped as RFC 6901 says).
fn push_segment(path: &mut String, segment: &str) {
    path.push('/');
    path.push_str(&segment.replace('~', "~0").replace('/', "~1"));
}

fn a(ty: ParamType) -> &'static str {
    match ty {
        ParamType::String => "a string",
        ParamType::Integer => "an integer",
        ParamType::Number => "a number",
        ParamType::Boolean => "a boolean",
        ParamType::Object => "an object",
        ParamType::Array => "an array",
    }
}

/// What a value is, for messages: its type and, for scalars, the value itself.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("the integer {n}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}
