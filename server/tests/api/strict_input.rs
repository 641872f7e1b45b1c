//! Strict input: an unknown field, at any depth, a missing required one, and a value outside a
//! parameter's bounds are a 400 `invalid_input` naming the field, before anything is stored or
//! sent to a provider.

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TestServer, error_code, in_an_hour};

/// A mock provider that fails the test (when dropped) if anything reaches it.
async fn untouchable_provider() -> MockServer {
    let mock = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(0)
        .mount(&mock)
        .await;
    mock
}

async fn gmail_server(mock: &MockServer) -> TestServer {
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("a-1", "access-1", Some("rt"), in_an_hour())
        .await;
    server
}

/// The status is 400 `invalid_input`, about `field`, suggesting `suggestion`.
#[track_caller]
fn assert_invalid_field(
    (status, body): (StatusCode, Value),
    field: &str,
    suggestion: Option<&str>,
) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_input", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("`{field}`")), "{message}");
    let details = &body["error"]["details"];
    assert_eq!(details["field"], field, "{body}");
    match suggestion {
        Some(suggestion) => {
            assert_eq!(details["suggestion"], suggestion, "{body}");
            assert!(message.contains(&format!("`{suggestion}`")), "{message}");
        }
        None => assert!(details.get("suggestion").is_none(), "{body}"),
    }
}

#[tokio::test]
async fn a_misspelt_field_of_a_new_connection_is_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let misspelt = json!({
        "connector": "gmail",
        "conection_id": "alice",
        "credentials": { "access_token": "a" },
    });
    assert_invalid_field(
        server.post("/v1/connections", misspelt).await,
        "conection_id",
        Some("connection_id"),
    );
    let (status, list) = server.get("/v1/connections").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["data"], json!([]), "nothing is stored");
}

#[tokio::test]
async fn an_unknown_field_inside_credentials_is_refused() {
    let server = TestServer::start().await;
    let input = json!({
        "connector": "gmail",
        "connection_id": "alice",
        "credentials": { "acess_token": "a" },
    });
    assert_invalid_field(
        server.post("/v1/connections", input).await,
        "credentials.acess_token",
        Some("access_token"),
    );
    let (status, _) = server.get("/v1/connections/alice").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Far from every known name: the message lists them instead.
    let input = json!({ "connector": "gmail", "credentials": { "zzz": "a" } });
    let answer = server.post("/v1/connections", input).await;
    let message = answer.1["error"]["message"].as_str().unwrap().to_owned();
    assert_invalid_field(answer, "credentials.zzz", None);
    assert!(message.contains("access_token, refresh_token"), "{message}");
}

#[tokio::test]
async fn free_form_objects_still_take_any_field() {
    let server = TestServer::start().await;
    let input = json!({
        "connector": "gmail",
        "connection_id": "alice",
        "metadata": { "anything": { "nested": [1, 2] } },
        "credentials": { "access_token": "a" },
    });
    let (status, body) = server.post("/v1/connections", input).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn every_json_route_refuses_unknown_fields() {
    let mock = untouchable_provider().await;
    let server = gmail_server(&mock).await;
    assert_invalid_field(
        server
            .put(
                "/v1/integrations/gmail",
                json!({ "client_id": "c", "client_secrt": "s" }),
            )
            .await,
        "client_secrt",
        Some("client_secret"),
    );
    assert_invalid_field(
        server
            .post(
                "/v1/oauth/authorize",
                json!({ "conector": "gmail", "connection_id": "bob" }),
            )
            .await,
        "conector",
        Some("connector"),
    );
    assert_invalid_field(
        server
            .post(
                "/v1/connections/a-1/request",
                json!({ "method": "GET", "path": "/users/me/labels", "header": { "x": "y" } }),
            )
            .await,
        "header",
        Some("headers"),
    );
    // The integration kept its values.
    let (status, integration) = server.get("/v1/integrations/gmail").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(integration["client_id"], "client-1", "{integration}");
}

#[tokio::test]
async fn a_misspelt_action_input_is_refused_before_the_provider() {
    let mock = untouchable_provider().await;
    let server = gmail_server(&mock).await;
    assert_invalid_field(
        server
            .post(
                "/v1/actions/gmail/list_messages",
                json!({ "connection_id": "a-1", "maxResult": 5 }),
            )
            .await,
        "maxResult",
        Some("maxResults"),
    );
    // Inside an object parameter too (Dropbox's search options).
    let server = {
        server.integrate("dropbox", &mock.uri()).await;
        server
    };
    let (status, body) = server
        .post(
            "/v1/connections",
            json!({ "connector": "dropbox", "connection_id": "d-1", "credentials": { "access_token": "a" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_invalid_field(
        server
            .post(
                "/v1/actions/dropbox/search",
                json!({ "connection_id": "d-1", "query": "x", "options": { "max_result": 5 } }),
            )
            .await,
        "options.max_result",
        Some("max_results"),
    );
}

#[tokio::test]
async fn values_outside_their_bounds_are_refused_before_the_provider() {
    let mock = untouchable_provider().await;
    let server = gmail_server(&mock).await;
    for (input, field) in [
        (
            json!({ "connection_id": "a-1", "maxResults": -5 }),
            "maxResults",
        ),
        (
            json!({ "connection_id": "a-1", "maxResults": 501 }),
            "maxResults",
        ),
    ] {
        let answer = server
            .post("/v1/actions/gmail/list_messages", input.clone())
            .await;
        assert_invalid_field(answer, field, None);
    }
    let (status, body) = server
        .post(
            "/v1/actions/gmail/list_messages",
            json!({ "connection_id": "a-1", "maxResults": -5 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "field `maxResults` must be at least 1, got -5"
    );
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_message",
            json!({ "connection_id": "a-1", "id": "m1", "format": "ful" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_input", "{body}");
    assert_eq!(body["error"]["details"]["field"], "format");
}

#[tokio::test]
async fn the_document_declares_the_bounds() {
    let server = TestServer::start().await;
    let spec: Value = serde_json::from_str(&server.public_text("/openapi.json").await).unwrap();
    let schemas = &spec["components"]["schemas"];
    let max_results = &schemas["GmailListMessagesInput"]["properties"]["maxResults"];
    assert_eq!(max_results["minimum"], 1.0, "{max_results}");
    assert_eq!(max_results["maximum"], 500.0, "{max_results}");
    let limit = &schemas["DropboxListFolderInput"]["properties"]["limit"];
    assert_eq!(limit["maximum"], 2000.0, "{limit}");
    let parent_rev = &schemas["DropboxDeleteInput"]["properties"]["parent_rev"];
    assert_eq!(parent_rev["minLength"], 9, "{parent_rev}");
    assert_eq!(parent_rev["pattern"], "^[0-9a-f]+$", "{parent_rev}");
}

#[tokio::test]
async fn a_missing_required_field_is_named() {
    let mock = untouchable_provider().await;
    let server = gmail_server(&mock).await;
    for body in [
        json!({ "connection_id": "a-1" }),
        json!({ "connection_id": "a-1", "id": null }),
    ] {
        let answer = server.post("/v1/actions/gmail/get_message", body).await;
        assert_eq!(
            answer.1["error"]["message"], "field `id` is required",
            "{}",
            answer.1
        );
        assert_invalid_field(answer, "id", None);
    }
    let answer = server
        .post("/v1/actions/gmail/get_profile", json!({}))
        .await;
    assert_invalid_field(answer, "connection_id", None);
}
