//! What changed between two versions of a definition, and how much it matters to its users.
//!
//! [`diff`] lists each change with its [`ChangeClass`]: `major` when code or connections
//! written against the old definition may break, `minor` when the new one only adds, `patch`
//! when only descriptive text changed. [`VersionBump::allows`] then says whether the new
//! `version` is raised enough. The classes of every field are in docs/authoring.md
//! ("Versioning"); the comments below say why where it is not obvious.

use std::collections::HashSet;
use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::model::{ConfigField, ConnectorDef, Endpoint, Param, ParamType, Schema};

/// How much a change matters to the definition's users; ordered `Patch < Minor < Major`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeClass {
    /// Descriptive text, or tuning a caller cannot depend on.
    Patch,
    /// Something added; what worked before still works.
    Minor,
    /// Something removed, retyped or made stricter; existing callers may break.
    Major,
}

impl ChangeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Patch => "patch",
            ChangeClass::Minor => "minor",
            ChangeClass::Major => "major",
        }
    }
}

impl fmt::Display for ChangeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between two definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub class: ChangeClass,
    /// What changed and where, such as `endpoint list_messages removed` or
    /// `property list_messages.response.messages[].id removed`.
    pub what: String,
}

impl fmt::Display for Change {
    /// `major: endpoint list_messages removed`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.what)
    }
}

/// The class of a set of changes: the largest one, `Patch` when there are none.
pub fn class_of(changes: &[Change]) -> ChangeClass {
    changes
        .iter()
        .map(|change| change.class)
        .max()
        .unwrap_or(ChangeClass::Patch)
}

/// How the `version` moved from one definition to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VersionBump {
    /// The new version is lower.
    Down,
    Same,
    /// Same major and minor, higher otherwise (patch, or a pre-release moving on).
    Patch,
    Minor,
    Major,
}

impl VersionBump {
    /// Compares two semantic versions component by component (`0.1.0 → 0.2.0` is a minor
    /// bump, as `1.1.0 → 1.2.0` is).
    pub fn between(old: &str, new: &str) -> Result<VersionBump, String> {
        let parse = |text: &str| {
            semver::Version::parse(text)
                .map_err(|error| format!("`{text}` is not a semantic version: {error}"))
        };
        let (old, new) = (parse(old)?, parse(new)?);
        Ok(if new < old {
            VersionBump::Down
        } else if new == old {
            VersionBump::Same
        } else if new.major != old.major {
            VersionBump::Major
        } else if new.minor != old.minor {
            VersionBump::Minor
        } else {
            VersionBump::Patch
        })
    }

    /// Whether this bump is enough for `changes`: no change needs no bump, otherwise the bump
    /// must be at least the changes' class. A version going down is never enough.
    pub fn allows(self, changes: &[Change]) -> bool {
        let needed = match changes.is_empty() {
            true => VersionBump::Same,
            false => match class_of(changes) {
                ChangeClass::Patch => VersionBump::Patch,
                ChangeClass::Minor => VersionBump::Minor,
                ChangeClass::Major => VersionBump::Major,
            },
        };
        self != VersionBump::Down && self >= needed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VersionBump::Down => "a lower version",
            VersionBump::Same => "the same version",
            VersionBump::Patch => "a patch bump",
            VersionBump::Minor => "a minor bump",
            VersionBump::Major => "a major bump",
        }
    }
}

/// Every change from `old` to `new`, in the order of the definition. `version` itself is not
/// compared: it is what the changes are checked against.
pub fn diff(old: &ConnectorDef, new: &ConnectorDef) -> Vec<Change> {
    // Every field named: one added to the format does not compile until it is classified here.
    let ConnectorDef {
        name: _,
        display_name: _,
        version: _,
        description: _,
        docs_url: _,
        base_url: _,
        connection_config: _,
        auth: _,
        headers: _,
        retry: _,
        rate_limit: _,
        timeout_ms: _,
        endpoints: _,
        categories: _,
        verify: _,
        webhooks: _,
        // Compared where they are used: a `$ref` is compared as the schema it names, so
        // moving an inline schema into `schemas:` changes nothing on the wire.
        schemas: _,
    } = old;
    let mut changes = Changes {
        list: Vec::new(),
        old_schemas: &old.schemas,
        new_schemas: &new.schemas,
        compared_refs: HashSet::new(),
    };
    changes.scalar(ChangeClass::Major, "name", &old.name, &new.name);
    for (field, old_text, new_text) in [
        ("display_name", &old.display_name, &new.display_name),
        ("description", &old.description, &new.description),
        ("docs_url", &old.docs_url, &new.docs_url),
    ] {
        changes.text(field, old_text, new_text);
    }
    changes.scalar(ChangeClass::Major, "base_url", &old.base_url, &new.base_url);
    connection_config(&mut changes, &old.connection_config, &new.connection_config);
    // The auth section decides what a connection brings and how its tokens are obtained:
    // any change may break existing connections (scopes added are not in their tokens).
    changes.values(ChangeClass::Major, "auth", &old.auth, &new.auth);
    // Headers choose API versions and formats (`Notion-Version`, `Accept`).
    changes.values(ChangeClass::Major, "headers", &old.headers, &new.headers);
    // Retries, rate limits and timeouts tune behaviour; no caller's code depends on them.
    changes.values(ChangeClass::Patch, "retry", &old.retry, &new.retry);
    changes.values(
        ChangeClass::Patch,
        "rate_limit",
        &old.rate_limit,
        &new.rate_limit,
    );
    changes.values(
        ChangeClass::Patch,
        "timeout_ms",
        &old.timeout_ms,
        &new.timeout_ms,
    );
    for (name, old_endpoint) in &old.endpoints {
        match new.endpoints.get(name) {
            None => changes.push(ChangeClass::Major, format!("endpoint {name} removed")),
            Some(new_endpoint) => endpoint(&mut changes, name, old_endpoint, new_endpoint),
        }
    }
    for name in added_keys(&old.endpoints, &new.endpoints) {
        changes.push(ChangeClass::Minor, format!("endpoint {name} added"));
    }
    // Categories only group connectors in the registry.
    changes.values(
        ChangeClass::Patch,
        "categories",
        &old.categories,
        &new.categories,
    );
    // The check of a new credential: what connections can do is unchanged.
    changes.values(ChangeClass::Minor, "verify", &old.verify, &new.verify);
    // Webhooks added are a new capability. Once a provider sends deliveries, any other change
    // (the signature checked, where the event type or the account is read) may turn them
    // away or route them elsewhere.
    match (&old.webhooks, &new.webhooks) {
        (None, Some(_)) => changes.push(ChangeClass::Minor, "webhooks added".into()),
        _ => changes.values(ChangeClass::Major, "webhooks", &old.webhooks, &new.webhooks),
    }
    changes.list
}

struct Changes<'a> {
    list: Vec<Change>,
    old_schemas: &'a IndexMap<String, Schema>,
    new_schemas: &'a IndexMap<String, Schema>,
    /// Pairs of named schemas already compared, in either direction: each is compared once,
    /// and recursive schemas end.
    compared_refs: HashSet<(String, String, Direction)>,
}

impl Changes<'_> {
    fn push(&mut self, class: ChangeClass, what: String) {
        self.list.push(Change { class, what });
    }

    /// `base_url https://a → https://b`
    fn scalar<T: PartialEq + fmt::Display>(
        &mut self,
        class: ChangeClass,
        path: &str,
        old: T,
        new: T,
    ) {
        if old != new {
            self.push(class, format!("{path} {old} → {new}"));
        }
    }

    fn text(&mut self, path: &str, old: &Option<String>, new: &Option<String>) {
        if old != new {
            self.push(ChangeClass::Patch, format!("{path} changed"));
        }
    }

    /// Compares two serialisable sections field by field, every difference of `class`.
    fn values<T: Serialize>(&mut self, class: ChangeClass, path: &str, old: &T, new: &T) {
        let as_value = |section: &T| serde_json::to_value(section).unwrap_or(Value::Null);
        self.value(class, path, &as_value(old), &as_value(new));
    }

    fn value(&mut self, class: ChangeClass, path: &str, old: &Value, new: &Value) {
        match (old, new) {
            _ if old == new => {}
            (Value::Object(old), Value::Object(new)) => {
                for (key, old_value) in old {
                    let path = format!("{path}.{key}");
                    match new.get(key) {
                        Some(new_value) => self.value(class, &path, old_value, new_value),
                        None => self.push(class, format!("{path} removed")),
                    }
                }
                for key in new.keys().filter(|key| !old.contains_key(*key)) {
                    self.push(class, format!("{path}.{key} added"));
                }
            }
            _ if is_absent(old) => self.push(class, format!("{path} added")),
            _ if is_absent(new) => self.push(class, format!("{path} removed")),
            (Value::String(_) | Value::Number(_) | Value::Bool(_), _)
                if !new.is_object() && !new.is_array() =>
            {
                self.push(class, format!("{path} {} → {}", brief(old), brief(new)));
            }
            _ => self.push(class, format!("{path} changed")),
        }
    }
}

/// Absent, or an empty list or map (what a definition leaves out).
fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

/// A scalar as YAML would show it: strings without quotes.
fn brief(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn added_keys<'a, V>(
    old: &'a IndexMap<String, V>,
    new: &'a IndexMap<String, V>,
) -> impl Iterator<Item = &'a String> {
    new.keys().filter(|key| !old.contains_key(*key))
}

/// A setting is an input of every connection: removing one, adding a required one or making
/// one required or stricter breaks connections made before.
fn connection_config(
    changes: &mut Changes,
    old: &IndexMap<String, ConfigField>,
    new: &IndexMap<String, ConfigField>,
) {
    let needed = |field: &ConfigField| field.required && field.default.is_none();
    for (name, old_field) in old {
        let path = format!("connection_config.{name}");
        let ConfigField {
            description: _,
            required: _,
            default: _,
            pattern: _,
            example: _,
        } = old_field;
        let Some(new_field) = new.get(name) else {
            changes.push(ChangeClass::Major, format!("setting {path} removed"));
            continue;
        };
        match (needed(old_field), needed(new_field)) {
            (false, true) => {
                changes.push(ChangeClass::Major, format!("setting {path} made required"))
            }
            (true, false) => {
                changes.push(ChangeClass::Minor, format!("setting {path} made optional"))
            }
            // The value of connections that do not set it.
            _ => changes.values(
                ChangeClass::Major,
                &format!("{path}.default"),
                &old_field.default,
                &new_field.default,
            ),
        }
        // A pattern added or changed may refuse values accepted before.
        changes.values(
            stricter(new_field.pattern.is_some()),
            &format!("{path}.pattern"),
            &old_field.pattern,
            &new_field.pattern,
        );
        changes.text(
            &format!("{path}.description"),
            &old_field.description,
            &new_field.description,
        );
        changes.text(
            &format!("{path}.example"),
            &old_field.example,
            &new_field.example,
        );
    }
    for name in added_keys(old, new) {
        let (class, kind) = match needed(&new[name]) {
            true => (ChangeClass::Major, "required"),
            false => (ChangeClass::Minor, "optional"),
        };
        changes.push(
            class,
            format!("setting connection_config.{name} added ({kind})"),
        );
    }
}

fn endpoint(changes: &mut Changes, name: &str, old: &Endpoint, new: &Endpoint) {
    // Every field named: one added to the format does not compile until it is classified here.
    let Endpoint {
        method: _,
        path: _,
        base_url: _,
        summary: _,
        description: _,
        params: _,
        body_encoding: _,
        content_type: _,
        idempotent: _,
        headers: _,
        pagination: _,
        response: _,
    } = old;
    let field = |field: &str| format!("{name}.{field}");
    changes.scalar(
        ChangeClass::Major,
        &field("method"),
        old.method.as_str(),
        new.method.as_str(),
    );
    changes.scalar(ChangeClass::Major, &field("path"), &old.path, &new.path);
    changes.values(
        ChangeClass::Major,
        &field("base_url"),
        &old.base_url,
        &new.base_url,
    );
    changes.text(&field("summary"), &old.summary, &new.summary);
    changes.text(&field("description"), &old.description, &new.description);
    for (param_name, old_param) in &old.params {
        let path = format!("{name}.params.{param_name}");
        match new.params.get(param_name) {
            None => changes.push(ChangeClass::Major, format!("parameter {path} removed")),
            Some(new_param) => param(changes, &path, old_param, new_param),
        }
    }
    for param_name in added_keys(&old.params, &new.params) {
        let (class, kind) = match new.params[param_name].is_required() {
            true => (ChangeClass::Major, "required"),
            false => (ChangeClass::Minor, "optional"),
        };
        changes.push(
            class,
            format!("parameter {name}.params.{param_name} added ({kind})"),
        );
    }
    changes.values(
        ChangeClass::Major,
        &field("body_encoding"),
        &old.body_encoding,
        &new.body_encoding,
    );
    changes.values(
        ChangeClass::Major,
        &field("content_type"),
        &old.content_type,
        &new.content_type,
    );
    // Only whether failed calls are retried.
    changes.values(
        ChangeClass::Patch,
        &field("idempotent"),
        &old.idempotent,
        &new.idempotent,
    );
    changes.values(
        ChangeClass::Major,
        &field("headers"),
        &old.headers,
        &new.headers,
    );
    match (&old.pagination, &new.pagination) {
        // A page stream added next to the single call.
        (None, Some(_)) => {
            changes.push(ChangeClass::Minor, format!("{} added", field("pagination")))
        }
        (old_pagination, new_pagination) => changes.values(
            ChangeClass::Major,
            &field("pagination"),
            old_pagination,
            new_pagination,
        ),
    }
    match (&old.response, &new.response) {
        (Some(old_schema), Some(new_schema)) => schema(
            changes,
            &field("response"),
            old_schema,
            new_schema,
            Direction::Output,
        ),
        // Free JSON becomes a typed output or the reverse: the output type changes.
        (None, Some(_)) => changes.push(
            ChangeClass::Major,
            format!("{} schema added", field("response")),
        ),
        (Some(_), None) => changes.push(
            ChangeClass::Major,
            format!("{} schema removed", field("response")),
        ),
        (None, None) => {}
    }
}

fn param(changes: &mut Changes, path: &str, old: &Param, new: &Param) {
    // Every field named (the last ones are compared through `Param::schema`): one added to the
    // format does not compile until it is classified here.
    let Param {
        location: _,
        ty: _,
        required: _,
        default: _,
        enum_values: _,
        minimum: _,
        maximum: _,
        min_length: _,
        max_length: _,
        pattern: _,
        description: _,
        items: _,
        properties: _,
        required_properties: _,
        // Compared through `Param::schema`, as the named schema.
        reference: _,
    } = old;
    if old.location != new.location {
        changes.push(
            ChangeClass::Major,
            format!(
                "parameter {path} moved from {} to {}",
                old.location.as_str(),
                new.location.as_str()
            ),
        );
    }
    match (old.is_required(), new.is_required()) {
        (false, true) => changes.push(
            ChangeClass::Major,
            format!("parameter {path} made required"),
        ),
        (true, false) => changes.push(
            ChangeClass::Minor,
            format!("parameter {path} made optional"),
        ),
        // What is sent when the caller leaves the parameter out.
        _ if old.default != new.default => changes.values(
            ChangeClass::Major,
            &format!("{path}.default"),
            &old.default,
            &new.default,
        ),
        _ => {}
    }
    let number =
        |bound: &Option<serde_json::Number>| bound.clone().map_or(Value::Null, Value::Number);
    let length = |bound: Option<u64>| bound.map_or(Value::Null, Value::from);
    for (bound, old_bound, new_bound, lower_is_stricter) in [
        ("minimum", number(&old.minimum), number(&new.minimum), false),
        ("maximum", number(&old.maximum), number(&new.maximum), true),
        (
            "min_length",
            length(old.min_length),
            length(new.min_length),
            false,
        ),
        (
            "max_length",
            length(old.max_length),
            length(new.max_length),
            true,
        ),
    ] {
        let tighter = match (old_bound.as_f64(), new_bound.as_f64()) {
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(old_value), Some(new_value)) if old_value != new_value => {
                (new_value < old_value) == lower_is_stricter
            }
            _ => continue,
        };
        changes.value(
            stricter(tighter),
            &format!("{path}.{bound}"),
            &old_bound,
            &new_bound,
        );
    }
    changes.values(
        stricter(new.pattern.is_some()),
        &format!("{path}.pattern"),
        &old.pattern,
        &new.pattern,
    );
    schema(
        changes,
        path,
        &old.schema(),
        &new.schema(),
        Direction::Input,
    );
}

/// The class of an input's bound or pattern changed: stricter is major, looser minor.
fn stricter(tighter: bool) -> ChangeClass {
    match tighter {
        true => ChangeClass::Major,
        false => ChangeClass::Minor,
    }
}

/// Whether a schema describes what callers send or what they receive: narrowing an input
/// breaks callers, narrowing an output does not.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Direction {
    Input,
    Output,
}

impl Direction {
    /// The class of allowing fewer values here.
    fn narrowed(self) -> ChangeClass {
        match self {
            Direction::Input => ChangeClass::Major,
            Direction::Output => ChangeClass::Minor,
        }
    }

    /// The class of allowing more values here.
    fn widened(self) -> ChangeClass {
        match self {
            Direction::Input => ChangeClass::Minor,
            Direction::Output => ChangeClass::Major,
        }
    }
}

fn type_name(ty: Option<ParamType>) -> &'static str {
    ty.map_or("any", ParamType::as_str)
}

fn schema(changes: &mut Changes, path: &str, old: &Schema, new: &Schema, direction: Direction) {
    // Every field named: one added to the format does not compile until it is classified here.
    let Schema {
        ty: _,
        description: _,
        properties: _,
        required: _,
        items: _,
        enum_values: _,
        format: _,
        nullable: _,
        // Followed below: the wire contract is the named schema's.
        reference: _,
        one_of: _,
        discriminator: _,
    } = old;
    if let (Some(old_name), Some(new_name)) = (old.ref_name(), new.ref_name()) {
        let pair = (old_name.to_owned(), new_name.to_owned(), direction);
        if !changes.compared_refs.insert(pair) {
            return;
        }
    }
    let (old, new) = (
        old.resolve_in(changes.old_schemas),
        new.resolve_in(changes.new_schemas),
    );
    changes.scalar(
        ChangeClass::Major,
        &format!("{path}: type"),
        type_name(old.ty),
        type_name(new.ty),
    );
    // Formats choose generated types (`binary` is a byte stream).
    changes.values(
        ChangeClass::Major,
        &format!("{path}.format"),
        &old.format,
        &new.format,
    );
    changes.text(
        &format!("{path}.description"),
        &old.description,
        &new.description,
    );
    match (old.nullable, new.nullable) {
        (false, true) => changes.push(direction.widened(), format!("{path} made nullable")),
        (true, false) => changes.push(direction.narrowed(), format!("{path} no longer nullable")),
        _ => {}
    }
    match (&old.enum_values, &new.enum_values) {
        (None, Some(_)) => changes.push(direction.narrowed(), format!("{path}: enum added")),
        (Some(_), None) => changes.push(direction.widened(), format!("{path}: enum removed")),
        (Some(old_values), Some(new_values)) => {
            for value in old_values
                .iter()
                .filter(|value| !new_values.contains(value))
            {
                changes.push(
                    direction.narrowed(),
                    format!("{path}: enum value {} removed", brief(value)),
                );
            }
            for value in new_values
                .iter()
                .filter(|value| !old_values.contains(value))
            {
                changes.push(
                    direction.widened(),
                    format!("{path}: enum value {} added", brief(value)),
                );
            }
        }
        (None, None) => {}
    }
    for (name, old_property) in &old.properties {
        let property_path = format!("{path}.{name}");
        let Some(new_property) = new.properties.get(name) else {
            changes.push(
                ChangeClass::Major,
                format!("property {property_path} removed"),
            );
            continue;
        };
        // A required output is guaranteed to callers; a required input is demanded of them.
        match (old.required.contains(name), new.required.contains(name)) {
            (false, true) => changes.push(
                direction.narrowed(),
                format!("property {property_path} made required"),
            ),
            (true, false) => changes.push(
                direction.widened(),
                format!("property {property_path} made optional"),
            ),
            _ => {}
        }
        schema(
            changes,
            &property_path,
            old_property,
            new_property,
            direction,
        );
    }
    for name in added_keys(&old.properties, &new.properties) {
        let required = new.required.contains(name);
        let class = match (direction, required) {
            (Direction::Input, true) => ChangeClass::Major,
            _ => ChangeClass::Minor,
        };
        let kind = if required { " (required)" } else { "" };
        changes.push(class, format!("property {path}.{name} added{kind}"));
    }
    one_of(changes, path, old, new, direction);
    let items_path = format!("{path}[]");
    match (&old.items, &new.items) {
        (Some(old_items), Some(new_items)) => {
            schema(changes, &items_path, old_items, new_items, direction)
        }
        (None, Some(_)) => changes.push(ChangeClass::Major, format!("{items_path} schema added")),
        (Some(_), None) => changes.push(ChangeClass::Major, format!("{items_path} schema removed")),
        (None, None) => {}
    }
}

/// Alternatives of a union, matched by their discriminator value. One more alternative in an
/// output breaks callers that match every case; one fewer in an input breaks callers that send it.
fn one_of(changes: &mut Changes, path: &str, old: &Schema, new: &Schema, direction: Direction) {
    let property = |schema: &Schema| {
        schema
            .discriminator
            .as_ref()
            .map(|discriminator| discriminator.property_name.clone())
    };
    changes.values(
        ChangeClass::Major,
        &format!("{path}.discriminator"),
        &property(old),
        &property(new),
    );
    let alternatives = |schema: &Schema| -> IndexMap<String, Schema> {
        match &schema.discriminator {
            Some(discriminator) => discriminator
                .values(&schema.one_of)
                .map(|(value, alternative)| (value.to_owned(), alternative.clone()))
                .collect(),
            None => IndexMap::new(),
        }
    };
    let (old_alternatives, new_alternatives) = (alternatives(old), alternatives(new));
    for (value, old_alternative) in &old_alternatives {
        let alternative_path = format!("{path}<{value}>");
        match new_alternatives.get(value) {
            None => changes.push(
                direction.narrowed(),
                format!("alternative {alternative_path} removed"),
            ),
            Some(new_alternative) => schema(
                changes,
                &alternative_path,
                old_alternative,
                new_alternative,
                direction,
            ),
        }
    }
    for value in added_keys(&old_alternatives, &new_alternatives) {
        changes.push(
            direction.widened(),
            format!("alternative {path}<{value}> added"),
        );
    }
}
