//! The OpenAPI document: what it holds, and that the committed copy is what the server serves.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{TestServer, send};

fn committed(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(file)
}

#[tokio::test]
async fn committed_documents_are_what_the_server_serves() {
    let server = TestServer::start().await;
    let json = server.public_text("/openapi.json").await;
    let yaml = server.public_text("/openapi.yaml").await;
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(committed("")).unwrap();
        std::fs::write(committed("openapi.json"), &json).unwrap();
        std::fs::write(committed("openapi.yaml"), &yaml).unwrap();
    }
    let stale = "is stale: run `UPDATE_OPENAPI=1 cargo test -p server --test api spec` (or `cargo run -p server -- openapi > openapi/openapi.json` and `… openapi --yaml > openapi/openapi.yaml`) and commit";
    assert!(
        std::fs::read_to_string(committed("openapi.json")).unwrap_or_default() == json,
        "openapi/openapi.json {stale}"
    );
    assert!(
        std::fs::read_to_string(committed("openapi.yaml")).unwrap_or_default() == yaml,
        "openapi/openapi.yaml {stale}"
    );
    // The offline document (`connector openapi`) is the same.
    assert_eq!(
        connector_server::app::spec_json(&connector_server::app::offline_document()),
        json
    );
}

#[tokio::test]
async fn the_document_describes_the_api() {
    let server = TestServer::start().await;
    let (status, spec) = send(server.http.get(format!("{}/openapi.json", server.url))).await;
    assert_eq!(status, StatusCode::OK);
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/v1/connectors",
        "/v1/connectors/{name}",
        "/v1/integrations/{connector}",
        "/v1/oauth/authorize",
        "/oauth/callback",
        "/v1/connections",
        "/v1/connections/{id}",
        "/v1/connections/{id}/token",
        "/v1/connections/{id}/refresh",
        "/v1/connections/{id}/request",
        "/v1/proxy/{connection_id}/{path}",
        "/v1/actions/gmail/list_messages",
        "/v1/actions/onedrive/list_children",
        "/v1/actions/dropbox/list_folder",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    let action = &spec["paths"]["/v1/actions/gmail/list_messages"]["post"];
    assert_eq!(action["operationId"], "gmail_list_messages");
    assert_eq!(action["tags"][0], "gmail");
    assert_eq!(action["security"][0]["secret_key"], Value::Array(vec![]));
    for status in ["200", "400", "401", "404", "409", "502"] {
        assert!(
            action["responses"][status].is_object(),
            "action response {status}"
        );
    }
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for schema in [
        "GmailListMessagesInput",
        "GmailListMessagesResponse",
        // Named schemas: the answers of several endpoints.
        "OnedriveDriveItem",
        "DropboxFolderPage",
        "ErrorBody",
        "Connection",
    ] {
        assert!(
            schemas.contains_key(schema),
            "schema {schema} is missing; have {:?}",
            schemas.keys().collect::<Vec<_>>()
        );
    }
    // Operation ids are unique.
    let mut ids: Vec<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operation ids");
    assert_eq!(
        spec["components"]["securitySchemes"]["secret_key"]["scheme"],
        "bearer"
    );
    assert_eq!(
        spec["paths"]["/v1/connections"]["get"]["security"][0]["secret_key"],
        Value::Array(vec![])
    );

    // Documented for people, left out of generated SDKs.
    for (path, method) in [
        ("/v1/proxy/{connection_id}/{path}", "get"),
        ("/oauth/callback", "get"),
    ] {
        assert_eq!(spec["paths"][path][method]["x-internal"], true, "{path}");
    }
    assert_eq!(spec["servers"][0]["url"], "http://127.0.0.1:8080");
    assert_eq!(
        spec["components"]["schemas"]["IntegrationSource"]["enum"],
        serde_json::json!(["api", "environment"])
    );

    let docs = server.public_text("/docs").await;
    assert!(
        docs.contains("/v1/proxy/{connection_id}/{path}"),
        "Swagger UI shows the served document"
    );
}

#[tokio::test]
async fn the_document_has_the_415_answers_and_links() {
    let server = TestServer::start().await;
    let (_, spec) = send(server.http.get(format!("{}/openapi.json", server.url))).await;
    // What the server answers to a body without a Content-Type, the document says.
    for (path, method) in [
        ("/v1/connections", reqwest::Method::POST),
        ("/v1/integrations/gmail", reqwest::Method::PUT),
        ("/v1/oauth/authorize", reqwest::Method::POST),
        ("/v1/connections/{id}/request", reqwest::Method::POST),
    ] {
        let called = path.replace("{id}", "some-id");
        let (status, body) = send(server.request(method.clone(), &called).body("{}")).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{called}: {body}"
        );
        let documented = path.replace("gmail", "{connector}");
        let operation = &spec["paths"][&documented][method.as_str().to_lowercase()];
        assert_eq!(
            operation["responses"]["415"]["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{documented}"
        );
    }
    // Typed actions answer 400 instead, and say so.
    let (status, _) = send(
        server
            .request(reqwest::Method::POST, "/v1/actions/gmail/get_profile")
            .body("{}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let action = &spec["paths"]["/v1/actions/gmail/get_profile"]["post"]["responses"];
    assert!(action.get("415").is_none());
    let created = &spec["paths"]["/v1/connections"]["post"]["responses"]["201"]["links"];
    for operation in [
        "get_connection",
        "delete_connection",
        "get_connection_token",
        "refresh_connection",
        "connection_request",
        "proxy_get",
    ] {
        assert_eq!(created[operation]["operationId"], operation, "{created}");
    }
    assert_eq!(
        created["get_connection"]["parameters"]["id"],
        "$response.body#/id"
    );
    assert_eq!(
        created["proxy_get"]["parameters"]["connection_id"],
        "$response.body#/id"
    );
    let integrated =
        &spec["paths"]["/v1/integrations/{connector}"]["put"]["responses"]["200"]["links"];
    assert_eq!(
        integrated["get_integration"]["parameters"]["connector"],
        "$request.path.connector"
    );
    assert_eq!(
        integrated["get_connector"]["parameters"]["name"],
        "$request.path.connector"
    );
    assert!(integrated.get("put_integration").is_none());
    // Every link names an operation of the document.
    let ids: Vec<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    for links in [created, integrated] {
        for link in links.as_object().unwrap().values() {
            assert!(
                ids.contains(&link["operationId"].as_str().unwrap()),
                "{link}"
            );
        }
    }
}
