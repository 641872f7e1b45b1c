//! The typed Google Drive, Google Calendar, Google Sheets and Outlook definitions: what their
//! users rely on (binary downloads, pagination, required inputs), the OAuth details and base
//! URLs of the facts table (so proxy paths keep working), and one type per structure.

use std::collections::HashMap;

use connector_defs::{
    BUILTIN, BodyEncoding, ConnectorDef, HttpMethod, PaginationKind, ParamLocation, Schema,
};
use serde_json::json;

const GOOGLE: [&str; 3] = ["google_drive", "google_calendar", "google_sheets"];

fn builtin(name: &str) -> ConnectorDef {
    let file = format!("{name}.yaml");
    let (_, source) = BUILTIN
        .iter()
        .find(|(builtin, _)| *builtin == file)
        .unwrap_or_else(|| panic!("{file} is not in BUILTIN"));
    connector_defs::parse(source, &file).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn base_urls_and_oauth_are_the_facts_tables() {
    for (name, base_url) in [
        ("google_drive", "https://www.googleapis.com"),
        ("google_calendar", "https://www.googleapis.com"),
        ("google_sheets", "https://sheets.googleapis.com"),
    ] {
        let def = builtin(name);
        assert_eq!(def.base_url, base_url, "{name}");
        assert_eq!(
            def.auth.authorization_url.as_deref(),
            Some("https://accounts.google.com/o/oauth2/v2/auth"),
            "{name}"
        );
        assert_eq!(
            def.auth.token_url.as_deref(),
            Some("https://oauth2.googleapis.com/token"),
            "{name}"
        );
        assert_eq!(
            def.auth
                .authorization_params
                .get("access_type")
                .map(String::as_str),
            Some("offline"),
            "{name}: refresh tokens need offline access"
        );
        assert!(def.auth.pkce(), "{name}");
        assert!(
            !def.auth.scopes.is_empty(),
            "{name}: Google requires a scope"
        );
    }

    let outlook = builtin("outlook");
    assert_eq!(outlook.base_url, "https://graph.microsoft.com");
    assert_eq!(
        outlook.auth.token_url.as_deref(),
        Some("https://login.microsoftonline.com/common/oauth2/v2.0/token")
    );
    assert_eq!(outlook.auth.scopes, ["offline_access", ".default"]);
    assert!(!outlook.auth.pkce());
    assert_eq!(
        outlook
            .auth
            .authorization_params
            .get("response_mode")
            .map(String::as_str),
        Some("query")
    );
}

#[test]
fn drive_downloads_and_exports_are_byte_streams() {
    let def = builtin("google_drive");
    for name in ["download_file", "export_file"] {
        let endpoint = &def.endpoints[name];
        assert_eq!(endpoint.method, HttpMethod::Get, "{name}");
        assert!(
            endpoint.response.as_ref().is_some_and(Schema::is_binary),
            "{name} is not binary"
        );
    }
    // The metadata and the content share a path; `alt=media`, always sent, tells them apart.
    let download = &def.endpoints["download_file"];
    let get = &def.endpoints["get_file"];
    assert_eq!(download.path, get.path);
    let alt = &download.params["alt"];
    assert_eq!(alt.location, ParamLocation::Query);
    assert_eq!(alt.default, Some(json!("media")));
    assert_eq!(alt.enum_values, Some(vec![json!("media")]));
    assert!(!get.params.contains_key("alt"));
    assert!(!get.response.as_ref().unwrap().is_binary());

    let export = &def.endpoints["export_file"];
    assert!(export.params["mimeType"].is_required());

    let upload = &def.endpoints["upload_file_content"];
    assert_eq!(
        (upload.method, upload.path.as_str(), upload.body_encoding),
        (
            HttpMethod::Patch,
            "/upload/drive/v3/files/{fileId}",
            BodyEncoding::Raw
        )
    );
    assert_eq!(upload.params["uploadType"].default, Some(json!("media")));

    assert_eq!(def.endpoints["delete_file"].method, HttpMethod::Delete);
    assert!(def.endpoints["delete_file"].response.is_none());
}

#[test]
fn google_lists_follow_page_tokens() {
    for (name, endpoint, items) in [
        ("google_drive", "list_files", "files"),
        ("google_calendar", "list_calendars", "items"),
        ("google_calendar", "list_events", "items"),
    ] {
        let def = builtin(name);
        let pagination = def.endpoints[endpoint].pagination.as_ref().unwrap();
        assert_eq!(pagination.kind, PaginationKind::Cursor, "{endpoint}");
        assert_eq!(pagination.cursor_param.as_deref(), Some("pageToken"));
        assert_eq!(pagination.next_cursor.as_deref(), Some("nextPageToken"));
        assert_eq!(pagination.items.as_deref(), Some(items), "{endpoint}");
    }
    // Sheets has no list: spreadsheets are listed through Drive.
    let sheets = builtin("google_sheets");
    assert!(sheets.endpoints.values().all(|e| e.pagination.is_none()));
}

#[test]
fn calendar_events_default_to_the_primary_calendar() {
    let def = builtin("google_calendar");
    for name in [
        "list_events",
        "get_event",
        "create_event",
        "update_event",
        "delete_event",
    ] {
        let calendar = &def.endpoints[name].params["calendarId"];
        assert_eq!(calendar.default, Some(json!("primary")), "{name}");
        assert!(!calendar.is_required(), "{name}");
    }
    let create = &def.endpoints["create_event"];
    assert!(create.params["start"].is_required() && create.params["end"].is_required());
    assert!(!def.endpoints["update_event"].params["start"].is_required());
    assert!(
        def.endpoints["query_free_busy"].is_idempotent(),
        "a read over POST"
    );
    assert!(!def.endpoints["quick_add_event"].is_idempotent());
    let event = def.resolve(def.endpoints["get_event"].response.as_ref().unwrap());
    assert_eq!(event.required, ["id"]);
    assert_eq!(event.properties["start"].ref_name(), Some("EventDateTime"));
}

#[test]
fn sheets_writes_say_how_values_are_read() {
    let def = builtin("google_sheets");
    for name in ["update_values", "append_values"] {
        let endpoint = &def.endpoints[name];
        let option = &endpoint.params["valueInputOption"];
        assert!(option.is_required(), "{name}");
        assert_eq!(
            option.enum_values,
            Some(vec![json!("RAW"), json!("USER_ENTERED")]),
            "{name}"
        );
        assert!(endpoint.params["values"].is_required(), "{name}");
        assert_eq!(endpoint.params["range"].location, ParamLocation::Path);
    }
    assert_eq!(
        def.endpoints["append_values"].path,
        "/v4/spreadsheets/{spreadsheetId}/values/{range}:append"
    );
    assert!(!def.endpoints["append_values"].is_idempotent());
    assert!(def.endpoints["clear_values"].is_idempotent());
}

#[test]
fn outlook_lists_follow_next_links_and_sends_are_not_retried() {
    let def = builtin("outlook");
    for name in ["list_messages", "list_folder_messages", "list_mail_folders"] {
        let endpoint = &def.endpoints[name];
        let pagination = endpoint.pagination.as_ref().unwrap();
        assert_eq!(pagination.kind, PaginationKind::NextUrl, "{name}");
        assert_eq!(pagination.next_url.as_deref(), Some("@odata.nextLink"));
        assert_eq!(pagination.items.as_deref(), Some("value"));
        let response = def.resolve(endpoint.response.as_ref().unwrap());
        assert!(
            response.properties.contains_key("value")
                && response.properties.contains_key("@odata.nextLink"),
            "{name}"
        );
    }
    for name in ["send_mail", "reply_to_message", "move_message"] {
        assert!(
            !def.endpoints[name].is_idempotent(),
            "{name} twice acts twice"
        );
    }
    for name in ["send_mail", "reply_to_message"] {
        assert!(
            def.endpoints[name].response.is_none(),
            "{name}: 202, no body"
        );
    }
    let message = &def.endpoints["send_mail"].params["message"];
    assert!(message.is_required());
    assert_eq!(message.required_properties, ["toRecipients"]);
    assert_eq!(
        def.endpoints["get_message"].params["Prefer"].location,
        ParamLocation::Header
    );
}

/// A schema's structure: its type, its properties (in any order) with theirs, its items, the
/// named schema it refers to.
fn structure(schema: &Schema) -> String {
    if let Some(name) = schema.ref_name() {
        return format!("${name}");
    }
    let mut properties: Vec<String> = schema
        .properties
        .iter()
        .map(|(name, property)| format!("{name}:{}", structure(property)))
        .collect();
    properties.sort();
    let alternatives: Vec<String> = schema.one_of.iter().map(structure).collect();
    format!(
        "{:?}{{{}}}[{}]({})",
        schema.ty,
        properties.join(","),
        schema.items.as_deref().map(structure).unwrap_or_default(),
        alternatives.join("|")
    )
}

/// Where each object schema with properties below `schema` is, and its structure.
fn objects(schema: &Schema, at: String, found: &mut Vec<(String, String)>) {
    if !schema.properties.is_empty() {
        found.push((at.clone(), structure(schema)));
    }
    for (name, property) in &schema.properties {
        objects(property, format!("{at}.{name}"), found);
    }
    if let Some(items) = &schema.items {
        objects(items, format!("{at}[]"), found);
    }
}

#[test]
fn no_two_schemas_have_the_same_structure() {
    for name in GOOGLE.into_iter().chain(["outlook"]) {
        let def = builtin(name);
        let mut found = Vec::new();
        for (schema_name, schema) in &def.schemas {
            objects(schema, format!("schemas.{schema_name}"), &mut found);
        }
        for (endpoint_name, endpoint) in &def.endpoints {
            if let Some(response) = &endpoint.response {
                objects(response, format!("{endpoint_name}.response"), &mut found);
            }
            for (param_name, param) in &endpoint.params {
                objects(
                    &param.schema(),
                    format!("{endpoint_name}.{param_name}"),
                    &mut found,
                );
            }
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (at, structure) in &found {
            if let Some(first) = seen.insert(structure, at) {
                panic!(
                    "{name}: {first} and {at} have the same structure; name it once and $ref it"
                );
            }
        }
    }
}
