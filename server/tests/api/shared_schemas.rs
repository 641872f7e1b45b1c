//! Named schemas in the OpenAPI document: one component per schema, however often the
//! definition refers to it, so the SDKs get one model each.

use std::collections::BTreeMap;

use serde_json::Value;

fn document() -> Value {
    connector_server::app::offline_document()
}

/// A component without its descriptions and titles: two components with the same structure
/// generate the same SDK model.
fn structure(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !matches!(key.as_str(), "description" | "title"))
                .map(|(key, value)| (key.clone(), structure(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(structure).collect()),
        other => other.clone(),
    }
}

/// The action bodies (`…Input`): each action keeps its own, even when two are alike.
fn action_inputs(document: &Value) -> Vec<String> {
    let mut inputs = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/actions/") {
            continue;
        }
        let content = item["post"]["requestBody"]["content"].as_object().unwrap();
        for media_type in content.values() {
            if let Some(reference) = media_type["schema"]["$ref"].as_str() {
                inputs.push(
                    reference
                        .trim_start_matches("#/components/schemas/")
                        .to_owned(),
                );
            }
        }
    }
    inputs
}

/// The typed connectors' component-name prefixes (`Dropbox`), longest first so that
/// `GoogleDrive` is not taken for a `Google…` of another connector.
fn connector_prefixes(document: &Value) -> Vec<String> {
    let mut prefixes: Vec<String> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|tag| tag["name"].as_str())
        .map(connector_defs::naming::type_name)
        .collect();
    prefixes.sort_by_key(|prefix: &String| std::cmp::Reverse(prefix.len()));
    prefixes
}

#[test]
fn no_two_components_of_a_connector_have_the_same_structure() {
    let document = document();
    let inputs = action_inputs(&document);
    let prefixes = connector_prefixes(&document);
    assert!(
        prefixes.iter().any(|prefix| prefix == "Dropbox"),
        "{prefixes:?}"
    );
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        if inputs.contains(name) {
            continue;
        }
        let Some(prefix) = prefixes
            .iter()
            .find(|prefix| name.starts_with(prefix.as_str()))
        else {
            continue;
        };
        let key = (prefix.clone(), structure(schema).to_string());
        if let Some(first) = seen.insert(key, name.clone()) {
            duplicates.push(format!("{first} and {name}"));
        }
    }
    assert!(
        duplicates.is_empty(),
        "components with the same structure (refer to one named schema instead):\n{}",
        duplicates.join("\n")
    );
}

#[test]
fn no_component_is_only_a_pointer_to_another() {
    let document = document();
    let mut pointers = Vec::new();
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        let object = schema.as_object().unwrap();
        let only_ref = object
            .keys()
            .all(|key| matches!(key.as_str(), "$ref" | "description" | "title"))
            && object.contains_key("$ref");
        let only_all_of = object
            .keys()
            .all(|key| matches!(key.as_str(), "allOf" | "description" | "title" | "type"))
            && object["allOf"]
                .as_array()
                .is_some_and(|parts| parts.len() == 1);
        if only_ref || only_all_of {
            pointers.push(name.clone());
        }
    }
    assert!(
        pointers.is_empty(),
        "components that only point to another: {pointers:?}"
    );
}

#[test]
fn a_named_schema_is_one_component_referred_to_everywhere() {
    let document = document();
    let schemas = &document["components"]["schemas"];
    assert!(schemas["DropboxFileMetadata"].is_object());
    assert!(schemas["OnedriveDriveItem"].is_object());
    let text = document.to_string();
    // DriveItem is the answer of get_item, create_folder, rename_item… and the items of pages.
    let uses = text
        .matches("\"#/components/schemas/OnedriveDriveItem\"")
        .count();
    assert!(uses >= 4, "DriveItem referred to {uses} times");
    // Recursive: a Gmail part holds parts.
    let part = &schemas["GmailMessagePart"];
    assert_eq!(
        part["properties"]["parts"]["items"]["$ref"],
        "#/components/schemas/GmailMessagePart"
    );
}

#[test]
fn a_union_is_one_of_with_a_discriminator() {
    let document = document();
    let metadata = &document["components"]["schemas"]["DropboxMetadata"];
    assert_eq!(
        metadata["discriminator"]["propertyName"], ".tag",
        "{metadata:#}"
    );
    let mapping = metadata["discriminator"]["mapping"].as_object().unwrap();
    assert_eq!(
        mapping.keys().collect::<Vec<_>>(),
        ["file", "folder", "deleted"]
    );
    assert_eq!(metadata["oneOf"].as_array().unwrap().len(), 3);
}

#[test]
fn a_binary_action_answers_a_byte_stream() {
    let document = document();
    let content =
        &document["paths"]["/v1/actions/dropbox/download"]["post"]["responses"]["200"]["content"];
    assert_eq!(
        content["application/octet-stream"]["schema"],
        serde_json::json!({ "type": "string", "format": "binary" })
    );
}
