//! Typed actions and the request envelope.

use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TestServer, error_code, in_an_hour};

async fn gmail_server(mock: &MockServer) -> TestServer {
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("a-1", "access-1", Some("rt"), in_an_hour())
        .await;
    server
}

#[tokio::test]
async fn a_typed_action_sends_its_inputs_and_returns_the_typed_output() {
    let mock = MockServer::start().await;
    let server = gmail_server(&mock).await;
    Mock::given(method("GET"))
        .and(path("/users/me/messages"))
        .and(query_param("maxResults", "2"))
        .and(query_param("q", "is:unread"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": [{ "id": "m1", "threadId": "t1" }, { "id": "m2", "threadId": "t2" }],
            "nextPageToken": "p2",
            "resultSizeEstimate": 2,
            "unknownField": true
        })))
        .expect(1)
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/actions/gmail/list_messages",
            json!({ "connection_id": "a-1", "maxResults": 2, "q": "is:unread" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["messages"][1]["id"], "m2");
    assert_eq!(body["nextPageToken"], "p2");
    assert!(
        body.get("unknownField").is_none(),
        "the output is the typed response"
    );

    Mock::given(method("POST"))
        .and(path("/users/me/messages/m1/modify"))
        .and(body_json(json!({ "addLabelIds": ["STARRED"] })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "m1", "threadId": "t1", "labelIds": ["STARRED"] })),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/actions/gmail/modify_message",
            json!({ "connection_id": "a-1", "id": "m1", "addLabelIds": ["STARRED"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["labelIds"][0], "STARRED");
}

#[tokio::test]
async fn upstream_errors_are_502_with_the_providers_status_and_body() {
    let mock = MockServer::start().await;
    let server = gmail_server(&mock).await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                json!({ "error": { "message": "Requested entity was not found." } }),
            ),
        )
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_message",
            json!({ "connection_id": "a-1", "id": "gone" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(error_code(&body), "upstream_error");
    assert_eq!(body["error"]["details"]["status"], 404);
    assert_eq!(
        body["error"]["details"]["body"]["error"]["message"],
        "Requested entity was not found."
    );
}

#[tokio::test]
async fn a_malformed_provider_answer_is_a_502() {
    let mock = MockServer::start().await;
    let server = gmail_server(&mock).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "emailAddress": 5 })))
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_profile",
            json!({ "connection_id": "a-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error_code(&body), "upstream_invalid_response");
}

#[tokio::test]
async fn bad_action_input_is_a_400_and_unknown_or_foreign_connections_are_refused() {
    let mock = MockServer::start().await;
    let server = gmail_server(&mock).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&mock)
        .await;
    for input in [
        json!({}),
        json!({ "connection_id": "a-1", "maxResults": "many" }),
        json!("not an object"),
    ] {
        let (status, body) = server
            .post("/v1/actions/gmail/list_messages", input.clone())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{input}: {body}");
        error_code(&body);
    }
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_message",
            json!({ "connection_id": "a-1" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a required input is missing: {body}"
    );
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_profile",
            json!({ "connection_id": "nobody" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connection_not_found");
    let (status, body) = server
        .post(
            "/v1/actions/onedrive/get_drive",
            json!({ "connection_id": "a-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "connector_mismatch");
}

#[tokio::test]
async fn onedrive_actions_decode_typed_output() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("onedrive", &mock.uri()).await;
    let (status, _) = server
        .post("/v1/connections", json!({ "connector": "onedrive", "connection_id": "od-1", "credentials": { "access_token": "od-token" } }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    Mock::given(method("GET"))
        .and(path("/me/drive"))
        .and(header("authorization", "Bearer od-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "drive-1", "driveType": "personal" })),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/actions/onedrive/get_drive",
            json!({ "connection_id": "od-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["driveType"], "personal");
}

#[tokio::test]
async fn the_request_envelope_returns_status_headers_and_body() {
    let mock = MockServer::start().await;
    let server = gmail_server(&mock).await;
    Mock::given(method("POST"))
        .and(path("/users/me/labels"))
        .and(query_param("fields", "id"))
        .and(header("x-trace", "t-1"))
        .and(body_json(json!({ "name": "Receipts" })))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("x-upstream", "1")
                .set_body_json(json!({ "error": "exists" })),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/connections/a-1/request",
            json!({
                "method": "POST",
                "path": "/users/me/labels",
                "query": { "fields": "id" },
                "headers": { "x-trace": "t-1" },
                "body": { "name": "Receipts" }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], 409);
    assert_eq!(body["headers"]["x-upstream"], "1");
    assert_eq!(body["body"]["error"], "exists");

    let (status, body) = server
        .post(
            "/v1/connections/a-1/request",
            json!({ "method": "GET", "path": "//evil.example/" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_input");
}

#[tokio::test]
async fn record_cassettes_writes_a_redacted_cassette_of_each_typed_action() {
    let mock = MockServer::start().await;
    let cassettes = tempfile::tempdir().unwrap();
    let server = crate::common::TestServer::start_with(crate::common::Options {
        settings: connector_server::state::Settings {
            record_cassettes: Some(cassettes.path().to_path_buf()),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("a-1", "access-secret-1", Some("rt"), in_an_hour())
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "emailAddress": "ada@example.com", "messagesTotal": 3, "threadsTotal": 2, "historyId": "7"
        })))
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_profile",
            json!({ "connection_id": "a-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let folder = cassettes.path().join("gmail");
    let (_, gmail) = connector_defs::BUILTIN
        .iter()
        .find(|(file, _)| *file == "gmail.yaml")
        .unwrap();
    let def = connector_defs::parse(gmail, "gmail.yaml").unwrap();
    let outcomes = connector_runtime::cassette::replay_dir(&def, &folder).unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(outcomes[0].passed(), "{outcomes:?}");
    assert!(
        outcomes[0].file.starts_with("get_profile-"),
        "{}",
        outcomes[0].file
    );
    let text = std::fs::read_to_string(folder.join(&outcomes[0].file)).unwrap();
    assert!(!text.contains("access-secret-1"), "{text}");
    assert!(text.contains("authorization: '[redacted]'"), "{text}");
}

#[tokio::test]
async fn the_typed_client_records_cassettes_that_replay() {
    use connector_server::registry::typed::gmail;
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels/Label_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "Label_1", "name": "Receipts" })),
        )
        .mount(&mock)
        .await;
    let cassettes = tempfile::tempdir().unwrap();
    let client = gmail::Client::new(connector_runtime::Auth::bearer("ya29.secret-token"))
        .with_base_url(mock.uri())
        .with_cassette_recorder(cassettes.path());
    let label = client
        .get_label(gmail::GetLabelRequest {
            user_id: "me".into(),
            id: "Label_1".into(),
        })
        .await
        .unwrap();
    assert_eq!(label.name, "Receipts");
    let folder = cassettes.path().join("gmail");
    let outcomes = connector_runtime::cassette::replay_dir(gmail::definition(), &folder).unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(outcomes[0].passed(), "{outcomes:?}");
    let text = std::fs::read_to_string(folder.join(&outcomes[0].file)).unwrap();
    assert!(!text.contains("ya29.secret-token"), "{text}");
}

#[tokio::test]
async fn a_binary_action_streams_the_providers_bytes_and_errors_stay_json() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("dropbox", &mock.uri()).await;
    let (status, _) = server
        .post("/v1/connections", json!({ "connector": "dropbox", "connection_id": "db-1", "credentials": { "access_token": "db-token" } }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // 1 MiB of bytes that are not UTF-8: nothing on the way may read them as text.
    let content: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8 | 0x80).collect();
    Mock::given(method("POST"))
        .and(path("/files/download"))
        .and(header("authorization", "Bearer db-token"))
        .and(header("dropbox-api-arg", r#"{"path":"/photo.raw"}"#))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/octet-stream")
                .insert_header("content-disposition", "attachment; filename=\"photo.raw\"")
                .set_body_bytes(content.clone()),
        )
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/files/download"))
        .and(header("dropbox-api-arg", r#"{"path":"/missing"}"#))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({ "error_summary": "path/not_found/..", "error": { ".tag": "path" } }),
        ))
        .mount(&mock)
        .await;

    let download = |file: &str| {
        server
            .request(reqwest::Method::POST, "/v1/actions/dropbox/download")
            .json(&json!({ "connection_id": "db-1", "Dropbox-API-Arg": { "path": file } }))
            .send()
    };
    let response = download("/photo.raw").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"photo.raw\""
    );
    assert_eq!(response.headers()["content-length"], "1048576");
    assert_eq!(response.bytes().await.unwrap().as_ref(), content.as_slice());

    let response = download("/missing").await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "upstream_error");
    assert_eq!(body["error"]["details"]["status"], 409);
}
