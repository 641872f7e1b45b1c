//! The built-in catalog parses and validates, and holds what the product promises.

use connector_defs::{
    AuthKind, BUILTIN, BodyEncoding, ConnectorDef, HttpMethod, PaginationKind, ParamLocation,
    ParamType,
};

fn builtin(file: &str) -> ConnectorDef {
    let (_, source) = BUILTIN
        .iter()
        .find(|(name, _)| *name == file)
        .unwrap_or_else(|| panic!("{file} is not in BUILTIN"));
    connector_defs::parse(source, file).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn every_builtin_definition_is_valid() {
    let mut failures = Vec::new();
    for (file, source) in BUILTIN {
        if let Err(error) = connector_defs::parse(source, file) {
            failures.push(error.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "invalid built-in definitions:\n{}",
        failures.join("\n")
    );
}

#[test]
fn builtin_names_match_their_files() {
    for (file, _) in BUILTIN {
        let def = builtin(file);
        assert_eq!(format!("{}.yaml", def.name), *file);
    }
}

#[test]
fn builtin_files_point_editors_at_the_json_schema() {
    for (file, source) in BUILTIN {
        assert_eq!(
            source.lines().next(),
            Some("# yaml-language-server: $schema=../schema/connector.schema.json"),
            "{file}"
        );
    }
}

#[test]
fn every_builtin_endpoint_is_documented_and_typed() {
    for (file, _) in BUILTIN {
        let def = builtin(file);
        assert_eq!(def.auth.kind, AuthKind::Oauth2, "{file}");
        for (name, endpoint) in &def.endpoints {
            assert!(
                endpoint.description.is_some(),
                "{file}: {name} has no description"
            );
            // Only endpoints answering without a body go without a response schema: deletes,
            // and others that say so: 204 No Content (Salesforce's record update, Jira's
            // transitions) or 202 Accepted (Graph's sendMail).
            if endpoint.response.is_none() {
                let no_body = endpoint.description.as_deref().is_some_and(|description| {
                    description.contains("204 No Content") || description.contains("202 Accepted")
                });
                assert!(
                    endpoint.method == HttpMethod::Delete || no_body,
                    "{file}: {name} has no response schema"
                );
            }
        }
    }
}

#[test]
fn gmail_has_its_endpoints() {
    let def = builtin("gmail.yaml");
    assert_eq!(def.base_url, "https://gmail.googleapis.com/gmail/v1");
    for name in [
        "get_profile",
        "list_messages",
        "get_message",
        "send_message",
        "list_labels",
        "modify_message",
    ] {
        assert!(def.endpoints.contains_key(name), "gmail lacks {name}");
    }

    let list = &def.endpoints["list_messages"];
    let pagination = list.pagination.as_ref().unwrap();
    assert_eq!(pagination.kind, PaginationKind::Cursor);
    assert_eq!(pagination.cursor_param.as_deref(), Some("pageToken"));
    assert_eq!(pagination.next_cursor.as_deref(), Some("nextPageToken"));

    let get = &def.endpoints["get_message"];
    assert_eq!(get.path, "/users/{userId}/messages/{id}");
    let format = &get.params["format"];
    assert_eq!(
        (format.location, format.ty),
        (ParamLocation::Query, ParamType::String)
    );
    let formats: Vec<&str> = format
        .enum_values
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(formats, ["minimal", "full", "raw", "metadata"]);
    assert_eq!(get.params["metadataHeaders"].ty, ParamType::Array);

    let send = &def.endpoints["send_message"];
    assert_eq!(
        (send.method, send.path.as_str()),
        (HttpMethod::Post, "/users/{userId}/messages/send")
    );
    assert!(send.params["raw"].is_required());
    assert_eq!(send.params["raw"].location, ParamLocation::Body);
    assert!(!send.params["threadId"].is_required());
    assert!(!send.is_idempotent(), "sending twice sends two messages");

    let modify = &def.endpoints["modify_message"];
    assert_eq!(modify.path, "/users/{userId}/messages/{id}/modify");
    for field in ["addLabelIds", "removeLabelIds"] {
        let param = &modify.params[field];
        assert_eq!(
            (param.location, param.ty),
            (ParamLocation::Body, ParamType::Array)
        );
        assert_eq!(param.items.as_ref().unwrap().ty, Some(ParamType::String));
    }
}

#[test]
fn onedrive_lists_follow_next_links() {
    let def = builtin("onedrive.yaml");
    assert_eq!(def.base_url, "https://graph.microsoft.com/v1.0");
    assert!(
        def.auth
            .scopes
            .iter()
            .any(|scope| scope == "offline_access")
    );
    let lists = ["list_root_children", "list_children", "search"];
    for name in lists {
        let endpoint = &def.endpoints[name];
        let pagination = endpoint
            .pagination
            .as_ref()
            .unwrap_or_else(|| panic!("{name} is not paginated"));
        assert_eq!(pagination.kind, PaginationKind::NextUrl, "{name}");
        assert_eq!(
            pagination.next_url.as_deref(),
            Some("@odata.nextLink"),
            "{name}"
        );
        assert_eq!(pagination.items.as_deref(), Some("value"), "{name}");
        let properties = &def.resolve(endpoint.response.as_ref().unwrap()).properties;
        assert!(
            properties.contains_key("value") && properties.contains_key("@odata.nextLink"),
            "{name}"
        );
    }
    for name in [
        "get_drive",
        "get_item",
        "create_folder",
        "upload_small_file",
        "delete_item",
    ] {
        assert!(def.endpoints.contains_key(name), "onedrive lacks {name}");
    }
    assert_eq!(
        def.endpoints["search"].params["q"].location,
        ParamLocation::Path
    );

    let upload = &def.endpoints["upload_small_file"];
    assert_eq!(
        (upload.method, upload.body_encoding),
        (HttpMethod::Put, BodyEncoding::Raw)
    );
    assert_eq!(upload.params["content"].location, ParamLocation::Body);

    let create = &def.endpoints["create_folder"];
    assert_eq!(create.params["folder"].ty, ParamType::Object);
    assert_eq!(
        create.params["@microsoft.graph.conflictBehavior"].location,
        ParamLocation::Body
    );
    assert_eq!(def.endpoints["delete_item"].method, HttpMethod::Delete);
}

#[test]
fn dropbox_uploads_go_to_the_content_host() {
    let def = builtin("dropbox.yaml");
    assert_eq!(def.base_url, "https://api.dropboxapi.com/2");
    assert_eq!(
        def.auth
            .authorization_params
            .get("token_access_type")
            .map(String::as_str),
        Some("offline")
    );

    let upload = &def.endpoints["upload"];
    assert_eq!(
        upload.base_url.as_deref(),
        Some("https://content.dropboxapi.com/2")
    );
    assert_eq!(upload.body_encoding, BodyEncoding::Raw);
    assert_eq!(
        upload.content_type.as_deref(),
        Some("application/octet-stream")
    );
    let arg = &upload.params["Dropbox-API-Arg"];
    assert_eq!(
        (arg.location, arg.ty),
        (ParamLocation::Header, ParamType::Object)
    );
    assert_eq!(arg.required_properties, ["path"]);
    assert!(arg.properties.contains_key("mode"));

    for (name, endpoint) in &def.endpoints {
        assert_eq!(
            endpoint.method,
            HttpMethod::Post,
            "{name}: Dropbox's API is RPC over POST"
        );
        assert!(
            endpoint.pagination.is_none(),
            "{name}: continuation is a separate endpoint"
        );
        if name != "upload" && name != "download" {
            assert!(endpoint.base_url.is_none(), "{name}");
        }
    }
    for name in [
        "get_current_account",
        "list_folder",
        "list_folder_continue",
        "get_metadata",
    ] {
        assert!(
            def.endpoints[name].is_idempotent(),
            "{name} is read-only, so retried"
        );
    }
    for name in ["create_folder", "delete", "upload"] {
        assert!(!def.endpoints[name].is_idempotent(), "{name}");
    }
    assert!(def.endpoints["get_current_account"].params.is_empty());
    assert!(def.endpoints["list_folder_continue"].params["cursor"].is_required());
}

#[test]
fn documented_bounds_are_declared() {
    let gmail = builtin("gmail.yaml");
    for endpoint in ["list_messages", "list_threads"] {
        let max_results = gmail.endpoints[endpoint].params["maxResults"].bounds();
        assert_eq!(
            (max_results.minimum, max_results.maximum),
            (Some(1.0), Some(500.0)),
            "{endpoint}"
        );
    }
    let format = &gmail.endpoints["get_message"].params["format"];
    assert_eq!(format.enum_values.as_ref().map(Vec::len), Some(4));

    let dropbox = builtin("dropbox.yaml");
    let limit = dropbox.endpoints["list_folder"].params["limit"].bounds();
    assert_eq!((limit.minimum, limit.maximum), (Some(1.0), Some(2000.0)));
    let list_path = dropbox.endpoints["list_folder"].params["path"].bounds();
    for accepted in ["", "/Documents", "/a\nb", "id:abc123", "ns:42/x"] {
        assert_eq!(list_path.check(&accepted.into()), Ok(()), "{accepted:?}");
    }
    assert!(list_path.check(&"Documents".into()).is_err());
    let metadata_path = dropbox.endpoints["get_metadata"].params["path"].bounds();
    assert_eq!(metadata_path.check(&"rev:a1c10ce0dd78".into()), Ok(()));
    assert!(metadata_path.check(&"rev:xyz".into()).is_err());

    let onedrive = builtin("onedrive.yaml");
    for endpoint in ["list_root_children", "list_children", "search"] {
        assert_eq!(
            onedrive.endpoints[endpoint].params["$top"].bounds().minimum,
            Some(1.0),
            "{endpoint}"
        );
    }
}

#[test]
fn builtins_carry_the_categories_of_the_facts_table() {
    assert_eq!(
        builtin("gmail.yaml").categories,
        ["popular", "productivity"]
    );
    for file in ["onedrive.yaml", "dropbox.yaml"] {
        assert_eq!(
            builtin(file).categories,
            ["knowledge-base", "storage"],
            "{file}"
        );
    }
}

#[test]
fn github_follows_the_rest_reference() {
    let def = builtin("github.yaml");
    assert_eq!(def.base_url, "https://api.github.com");
    assert_eq!(def.headers["X-GitHub-Api-Version"], "2022-11-28");
    assert_eq!(def.categories, ["dev-tools", "support", "ticketing"]);
    let retry = def.retry.as_ref().unwrap();
    assert_eq!(retry.at, ["x-ratelimit-reset"]);
    assert_eq!(retry.remaining.as_deref(), Some("x-ratelimit-remaining"));

    for name in ["list_repos", "list_issues", "list_pulls"] {
        let endpoint = &def.endpoints[name];
        assert_eq!(
            endpoint.pagination.as_ref().map(|p| p.kind),
            Some(PaginationKind::LinkHeader),
            "{name}"
        );
        assert_eq!(
            endpoint.params["per_page"].bounds().maximum,
            Some(100.0),
            "{name}"
        );
        assert!(
            endpoint.params.values().all(|p| p.default.is_none()),
            "{name}: GitHub applies its own defaults"
        );
    }
    let paths = [
        ("list_repos", HttpMethod::Get, "/user/repos"),
        ("get_repo", HttpMethod::Get, "/repos/{owner}/{repo}"),
        (
            "list_issues",
            HttpMethod::Get,
            "/repos/{owner}/{repo}/issues",
        ),
        (
            "get_issue",
            HttpMethod::Get,
            "/repos/{owner}/{repo}/issues/{issue_number}",
        ),
        (
            "create_issue",
            HttpMethod::Post,
            "/repos/{owner}/{repo}/issues",
        ),
        (
            "update_issue",
            HttpMethod::Patch,
            "/repos/{owner}/{repo}/issues/{issue_number}",
        ),
        ("list_pulls", HttpMethod::Get, "/repos/{owner}/{repo}/pulls"),
        (
            "get_pull",
            HttpMethod::Get,
            "/repos/{owner}/{repo}/pulls/{pull_number}",
        ),
        (
            "get_content",
            HttpMethod::Get,
            "/repos/{owner}/{repo}/contents/{path}",
        ),
    ];
    for (name, method, path) in paths {
        let endpoint = &def.endpoints[name];
        assert_eq!(
            (endpoint.method, endpoint.path.as_str()),
            (method, path),
            "{name}"
        );
    }
    assert_eq!(
        def.endpoints["get_issue"].params["issue_number"].ty,
        ParamType::Integer
    );

    let list_issues = &def.endpoints["list_issues"];
    let states: Vec<&str> = list_issues.params["state"]
        .enum_values
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(states, ["open", "closed", "all"]);
    assert_eq!(list_issues.params["since"].location, ParamLocation::Query);
    let issues = list_issues.response.as_ref().unwrap();
    assert_eq!(issues.ty, Some(ParamType::Array));
    assert_eq!(issues.items.as_ref().unwrap().ref_name(), Some("Issue"));
    assert_eq!(
        def.endpoints["get_repo"]
            .response
            .as_ref()
            .unwrap()
            .ref_name(),
        Some("Repository")
    );
    assert!(def.endpoints["create_issue"].params["title"].is_required());
    // Directories come back as one object, like files, in the object media type.
    assert_eq!(
        def.endpoints["get_content"].headers["Accept"],
        "application/vnd.github.object+json"
    );
}

#[test]
fn slack_acts_as_the_user_and_pages_with_response_metadata() {
    let def = builtin("slack.yaml");
    assert_eq!(def.base_url, "https://slack.com/api");
    assert_eq!(def.auth.token_path(), Some("authed_user.access_token"));
    // A user token comes from `user_scope`; `scope` would ask for bot scopes.
    assert!(def.auth.scopes.is_empty());
    assert!(def.auth.authorization_params["user_scope"].contains("chat:write"));
    assert!(!def.auth.pkce());

    for name in [
        "list_conversations",
        "list_messages",
        "list_replies",
        "list_users",
    ] {
        let pagination = def.endpoints[name].pagination.as_ref().unwrap();
        assert_eq!(pagination.kind, PaginationKind::Cursor, "{name}");
        assert_eq!(pagination.cursor_param.as_deref(), Some("cursor"), "{name}");
        assert_eq!(
            pagination.next_cursor.as_deref(),
            Some("response_metadata.next_cursor"),
            "{name}"
        );
    }
    for (name, endpoint) in &def.endpoints {
        // Slack's errors are 200s with `ok: false`: only `ok` is always there.
        let response = endpoint.response.as_ref().unwrap();
        assert_eq!(response.required, ["ok"], "{name}");
        assert!(response.properties.contains_key("error"), "{name}");
        if endpoint.method == HttpMethod::Post {
            assert_eq!(endpoint.body_encoding, BodyEncoding::Json, "{name}");
            assert_eq!(
                endpoint.headers["Content-Type"],
                "application/json; charset=utf-8"
            );
        }
    }
    assert_eq!(def.endpoints["post_message"].path, "/chat.postMessage");
    assert!(def.endpoints["post_message"].params["channel"].is_required());
    assert!(def.endpoints["list_replies"].params["ts"].is_required());
}

#[test]
fn notion_sends_its_version_and_tells_parents_apart() {
    let def = builtin("notion.yaml");
    assert_eq!(def.base_url, "https://api.notion.com");
    assert_eq!(def.headers["Notion-Version"], "2022-06-28");
    assert_eq!(
        def.auth.token_request_encoding(),
        connector_defs::TokenRequestEncoding::Json
    );
    assert_eq!(
        def.auth.token_auth_method,
        Some(connector_defs::TokenAuthMethod::ClientSecretBasic)
    );
    assert_eq!(def.auth.authorization_params["owner"], "user");

    for (name, location) in [
        ("search", ParamLocation::Body),
        ("query_database", ParamLocation::Body),
        ("list_block_children", ParamLocation::Query),
    ] {
        let endpoint = &def.endpoints[name];
        let pagination = endpoint.pagination.as_ref().unwrap();
        assert_eq!(
            pagination.cursor_param.as_deref(),
            Some("start_cursor"),
            "{name}"
        );
        assert_eq!(
            pagination.next_cursor.as_deref(),
            Some("next_cursor"),
            "{name}"
        );
        assert_eq!(endpoint.params["start_cursor"].location, location, "{name}");
        assert_eq!(
            endpoint.params["page_size"].bounds().maximum,
            Some(100.0),
            "{name}"
        );
    }
    // Reads sent as POST are retried like GETs.
    assert!(def.endpoints["search"].is_idempotent());
    assert!(def.endpoints["query_database"].is_idempotent());

    let parent = &def.schemas["Parent"];
    let discriminator = parent.discriminator.as_ref().unwrap();
    assert_eq!(discriminator.property_name, "type");
    let values: Vec<&str> = discriminator
        .values(&parent.one_of)
        .map(|(value, _)| value)
        .collect();
    assert_eq!(values, ["page_id", "database_id", "block_id", "workspace"]);
    let results = &def.schemas["PageOrDatabase"];
    assert_eq!(
        results.discriminator.as_ref().unwrap().property_name,
        "object"
    );

    let create = &def.endpoints["create_page"];
    assert!(create.params["parent"].is_required() && create.params["properties"].is_required());
    assert_eq!(def.endpoints["delete_block"].method, HttpMethod::Delete);
    assert_eq!(
        def.endpoints["append_block_children"].method,
        HttpMethod::Patch
    );
}

#[test]
fn asana_wraps_in_data_and_pages_with_next_page_offsets() {
    let def = builtin("asana.yaml");
    assert_eq!(def.base_url, "https://app.asana.com");
    assert_eq!(def.auth.scopes, ["default"]);
    for name in ["list_projects", "list_tasks"] {
        let endpoint = &def.endpoints[name];
        let pagination = endpoint.pagination.as_ref().unwrap();
        assert_eq!(pagination.kind, PaginationKind::Cursor, "{name}");
        assert_eq!(pagination.cursor_param.as_deref(), Some("offset"), "{name}");
        assert_eq!(
            pagination.next_cursor.as_deref(),
            Some("next_page.offset"),
            "{name}"
        );
        assert_eq!(pagination.items.as_deref(), Some("data"), "{name}");
        let limit = endpoint.params["limit"].bounds();
        assert_eq!(
            (limit.minimum, limit.maximum),
            (Some(1.0), Some(100.0)),
            "{name}"
        );
    }
    for name in ["create_task", "update_task", "add_comment"] {
        let data = &def.endpoints[name].params["data"];
        assert_eq!(
            (data.location, data.ty),
            (ParamLocation::Body, ParamType::Object),
            "{name}"
        );
        assert!(data.is_required(), "{name}");
    }
    // Asana leaves out what `opt_fields` does not ask for: only `gid` is always there.
    for name in ["Task", "Project", "User", "Story", "NamedResource"] {
        assert_eq!(def.schemas[name].required, ["gid"], "{name}");
    }
    // The budget depends on the workspace's plan, so only Asana's 429s pace the calls.
    assert!(def.rate_limit.is_none());
    assert_eq!(def.retry.as_ref().unwrap().after, ["retry-after"]);
    assert_eq!(def.endpoints["update_task"].method, HttpMethod::Put);
    assert_eq!(
        def.endpoints["delete_task"].path,
        "/api/1.0/tasks/{task_gid}"
    );
}
