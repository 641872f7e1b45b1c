//! The MCP tools: one per typed action, read from the OpenAPI document poem-openapi generates
//! for the actions, so that a tool's schemas are the action's own. A tool's schemas are made
//! self-contained: the components they use are copied under `$defs` (clients validate
//! `structuredContent` against `outputSchema` without the document).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool};
use serde_json::{Map, Value, json};

/// The prefix of the typed actions' paths.
const ACTIONS: &str = "/v1/actions/";
const COMPONENTS: &str = "#/components/schemas/";

/// One typed action as a tool.
#[derive(Debug, Clone)]
pub struct ActionTool {
    /// `{connector}_{endpoint}`.
    pub name: String,
    pub connector: String,
    pub endpoint: String,
    pub description: String,
    /// The action's input, `connection_id` included.
    input: JsonObject,
    output: JsonObject,
    /// The action answers something other than an object: its answer is `{"result": …}`.
    pub wraps_result: bool,
}

impl ActionTool {
    /// The tool as `tools/list` shows it; `scoped`: without `connection_id` in its input (the
    /// URL's `?connection_id=` gives it).
    pub fn tool(&self, scoped: bool) -> Tool {
        let mut input = self.input.clone();
        if scoped {
            if let Some(Value::Object(properties)) = input.get_mut("properties") {
                properties.remove("connection_id");
            }
            if let Some(Value::Array(required)) = input.get_mut("required") {
                required.retain(|name| name != "connection_id");
            }
        }
        Tool::new(self.name.clone(), self.description.clone(), Arc::new(input))
            .with_raw_output_schema(Arc::new(self.output.clone()))
    }
}

/// Every typed action of the document, by tool name.
#[derive(Debug, Default)]
pub struct Catalog {
    tools: BTreeMap<String, ActionTool>,
}

impl Catalog {
    /// The tools of a poem-openapi document (JSON).
    pub fn from_document(document: &Value) -> Catalog {
        let schemas = document["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut tools = BTreeMap::new();
        let paths = document["paths"].as_object().into_iter().flatten();
        for (path, item) in paths {
            let Some((connector, endpoint)) = path
                .strip_prefix(ACTIONS)
                .and_then(|rest| rest.split_once('/'))
            else {
                continue;
            };
            let operation = &item["post"];
            let (Some(input), Some(output)) = (
                json_schema(&operation["requestBody"]["content"]),
                json_schema(&operation["responses"]["200"]["content"]),
            ) else {
                // A binary download answers no JSON: it cannot be structured content.
                continue;
            };
            let (output, wraps_result) = match self_contained(output, &schemas) {
                output if output.get("type") == Some(&json!("object")) => (output, false),
                other => (wrapped(other), true),
            };
            let name = format!("{connector}_{endpoint}");
            tools.insert(
                name.clone(),
                ActionTool {
                    name,
                    connector: connector.to_owned(),
                    endpoint: endpoint.to_owned(),
                    description: terse(operation),
                    input: self_contained(input, &schemas),
                    output,
                    wraps_result,
                },
            );
        }
        Catalog { tools }
    }

    #[cfg(test)]
    fn get(&self, name: &str) -> Option<&ActionTool> {
        self.tools.get(name)
    }

    /// The tools of one connector, or all.
    pub fn of<'a>(&'a self, connector: Option<&'a str>) -> impl Iterator<Item = &'a ActionTool> {
        self.tools
            .values()
            .filter(move |tool| connector.is_none_or(|connector| tool.connector == connector))
    }
}

/// The JSON schema of a request body's or response's `content`.
fn json_schema(content: &Value) -> Option<&Value> {
    content
        .as_object()?
        .iter()
        .find(|(media, _)| media.starts_with("application/json"))
        .map(|(_, media)| &media["schema"])
}

/// The operation's summary, else its description's first sentence: tool lists eat an agent's
/// context.
fn terse(operation: &Value) -> String {
    let text = operation["summary"]
        .as_str()
        .or_else(|| operation["description"].as_str())
        .unwrap_or_default();
    match text.find(". ") {
        Some(end) => text[..=end].to_owned(),
        None => text.to_owned(),
    }
}

/// `{"result": schema}`: structured content must be an object.
fn wrapped(schema: JsonObject) -> JsonObject {
    let mut defs = None;
    let mut schema = schema;
    // The definitions stay at the root, where `#/$defs/…` points.
    if let Some(found) = schema.remove("$defs") {
        defs = Some(found);
    }
    let mut root = Map::new();
    root.insert("type".into(), json!("object"));
    root.insert("properties".into(), json!({ "result": schema }));
    root.insert("required".into(), json!(["result"]));
    if let Some(defs) = defs {
        root.insert("$defs".into(), defs);
    }
    root
}

/// `schema` with the root `$ref` resolved, every `#/components/schemas/X` made `#/$defs/X`,
/// and the components it reaches copied under `$defs`.
fn self_contained(schema: &Value, components: &Map<String, Value>) -> JsonObject {
    let root_name = schema["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix(COMPONENTS));
    let root = match root_name {
        Some(name) => components.get(name).cloned().unwrap_or_else(|| json!({})),
        None => schema.clone(),
    };
    let mut reached = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    collect_refs(&root, &mut pending);
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone())
            && let Some(component) = components.get(&name)
        {
            collect_refs(component, &mut pending);
        }
    }
    let mut root = rewrite_refs(root);
    let Value::Object(object) = &mut root else {
        return JsonObject::new();
    };
    // The tool has its own name and description: the component's are the REST API's.
    object.remove("title");
    object.remove("description");
    if !reached.is_empty() {
        let defs: Map<String, Value> = reached
            .into_iter()
            .filter_map(|name| {
                let component = components.get(&name)?.clone();
                Some((name, rewrite_refs(component)))
            })
            .collect();
        object.insert("$defs".into(), Value::Object(defs));
    }
    std::mem::take(object)
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(name) = object
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix(COMPONENTS))
            {
                into.push(name.to_owned());
            }
            object.values().for_each(|value| collect_refs(value, into));
        }
        Value::Array(items) => items.iter().for_each(|value| collect_refs(value, into)),
        _ => {}
    }
}

/// `value` with its component references pointing into `$defs`, and without OpenAPI's
/// `discriminator` (not JSON Schema; its `oneOf` says the same).
fn rewrite_refs(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(key, _)| key != "discriminator")
                .map(|(key, value)| match (key.as_str(), &value) {
                    ("$ref", Value::String(reference)) if reference.starts_with(COMPONENTS) => {
                        let name = &reference[COMPONENTS.len()..];
                        (key, Value::String(format!("#/$defs/{name}")))
                    }
                    _ => (key, rewrite_refs(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rewrite_refs).collect()),
        other => other,
    }
}

/// An action's answer as structured content: wrapped when it is not an object, and without
/// `null` members (an absent optional field is serialised as `null`, which the output schema's
/// types do not admit).
pub fn structured(answer: Value, wraps_result: bool) -> Value {
    let answer = without_nulls(answer);
    if wraps_result {
        json!({ "result": answer })
    } else {
        answer
    }
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key, without_nulls(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        json!({
            "paths": {
                "/v1/actions/acme/get_thing": { "post": {
                    "summary": "Get a thing. More words here.",
                    "requestBody": { "content": { "application/json; charset=utf-8": { "schema": { "$ref": "#/components/schemas/AcmeGetThingInput" } } } },
                    "responses": { "200": { "content": { "application/json; charset=utf-8": { "schema": { "$ref": "#/components/schemas/Thing" } } } } }
                } },
                "/v1/actions/acme/list_names": { "post": {
                    "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AcmeListNamesInput" } } } },
                    "responses": { "200": { "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Name" } } } } } }
                } },
                "/v1/actions/acme/download": { "post": {
                    "requestBody": { "content": { "application/json": { "schema": { "type": "object" } } } },
                    "responses": { "200": { "content": { "application/octet-stream": { "schema": { "type": "string" } } } } }
                } },
                "/v1/connections": { "post": {} }
            },
            "components": { "schemas": {
                "AcmeGetThingInput": { "type": "object", "required": ["connection_id", "id"], "properties": { "connection_id": { "type": "string" }, "id": { "type": "string" } } },
                "AcmeListNamesInput": { "type": "object", "required": ["connection_id"], "properties": { "connection_id": { "type": "string" } } },
                "Thing": { "type": "object", "properties": { "parent": { "$ref": "#/components/schemas/Thing" }, "name": { "$ref": "#/components/schemas/Name" } } },
                "Name": { "type": "string" },
                "Unused": { "type": "object" }
            } }
        })
    }

    #[test]
    fn one_tool_per_json_action_with_self_contained_schemas() {
        let catalog = Catalog::from_document(&document());
        let names: Vec<&str> = catalog.of(None).map(|tool| tool.name.as_str()).collect();
        assert_eq!(names, ["acme_get_thing", "acme_list_names"]);
        let thing = catalog.get("acme_get_thing").unwrap();
        assert_eq!(thing.description, "Get a thing.");
        let tool = serde_json::to_value(thing.tool(false)).unwrap();
        let text = tool.to_string();
        assert!(!text.contains("#/components/"), "{text}");
        assert_eq!(
            tool["outputSchema"]["properties"]["parent"]["$ref"],
            "#/$defs/Thing"
        );
        assert_eq!(
            tool["outputSchema"]["$defs"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["Name", "Thing"]
        );
        assert_eq!(
            tool["inputSchema"]["required"],
            json!(["connection_id", "id"])
        );
        let scoped = serde_json::to_value(thing.tool(true)).unwrap();
        assert_eq!(scoped["inputSchema"]["required"], json!(["id"]));
        assert!(
            scoped["inputSchema"]["properties"]
                .get("connection_id")
                .is_none()
        );
    }

    #[test]
    fn answers_that_are_not_objects_are_wrapped() {
        let catalog = Catalog::from_document(&document());
        let names = catalog.get("acme_list_names").unwrap();
        assert!(names.wraps_result);
        let tool = serde_json::to_value(names.tool(false)).unwrap();
        assert_eq!(tool["outputSchema"]["type"], "object");
        assert_eq!(tool["outputSchema"]["required"], json!(["result"]));
        assert_eq!(
            tool["outputSchema"]["properties"]["result"]["items"]["$ref"],
            "#/$defs/Name"
        );
        assert!(tool["outputSchema"]["$defs"]["Name"].is_object());
        assert_eq!(
            structured(json!(["a", null]), true),
            json!({ "result": ["a", null] })
        );
        assert_eq!(
            structured(json!({ "a": null, "b": { "c": null, "d": 1 } }), false),
            json!({ "b": { "d": 1 } })
        );
    }
}
