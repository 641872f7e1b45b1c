//! Each auth kind puts the credential where the definition says.

mod common;

use common::{client, object};
use connector_runtime::{Auth, Error};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn yaml(auth: &str) -> String {
    format!(
        r#"
name: auth_test
version: 1.0.0
base_url: https://api.example.test/v1
auth: {auth}
endpoints:
  me:
    method: GET
    path: /me
"#
    )
}

async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> wiremock::Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

#[tokio::test]
async fn bearer_sends_an_authorization_header() {
    let server = ok_server().await;
    let client = client(&yaml("{ kind: bearer }"), Auth::bearer("t0k3n"), &server);
    let _: Value = client.call("me", &json!({})).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.headers["authorization"], "Bearer t0k3n");
}

#[tokio::test]
async fn oauth2_sends_the_access_token_as_bearer() {
    let server = ok_server().await;
    let auth = "{ kind: oauth2, authorization_url: 'https://id.example.test/auth', token_url: 'https://id.example.test/token' }";
    let client = client(&yaml(auth), Auth::bearer("access"), &server);
    client.execute("me", object(json!({}))).await.unwrap();
    assert_eq!(
        only_request(&server).await.headers["authorization"],
        "Bearer access"
    );
}

#[tokio::test]
async fn basic_sends_base64_credentials() {
    let server = ok_server().await;
    let client = client(
        &yaml("{ kind: basic }"),
        Auth::basic("aladdin", "opensesame"),
        &server,
    );
    client.execute("me", object(json!({}))).await.unwrap();
    assert_eq!(
        only_request(&server).await.headers["authorization"],
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l"
    );
}

#[tokio::test]
async fn api_key_in_a_header_with_its_prefix() {
    let server = MockServer::start().await;
    Mock::given(path("/me"))
        .and(header("x-api-key", "Token k-123"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let auth = "{ kind: api_key, in: header, name: X-Api-Key, prefix: 'Token ' }";
    let client = client(&yaml(auth), Auth::api_key("k-123"), &server);
    client.execute("me", object(json!({}))).await.unwrap();
    assert!(
        only_request(&server)
            .await
            .headers
            .get("authorization")
            .is_none()
    );
}

#[tokio::test]
async fn api_key_in_the_query() {
    let server = MockServer::start().await;
    Mock::given(path("/me"))
        .and(query_param("api_key", "k-123"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(
        &yaml("{ kind: api_key, in: query, name: api_key }"),
        Auth::api_key("k-123"),
        &server,
    );
    client.execute("me", object(json!({}))).await.unwrap();
}

#[tokio::test]
async fn none_sends_no_authorization() {
    let server = ok_server().await;
    let client = client(&yaml("{ kind: none }"), Auth::None, &server);
    client.execute("me", object(json!({}))).await.unwrap();
    assert!(
        only_request(&server)
            .await
            .headers
            .get("authorization")
            .is_none()
    );
}

#[tokio::test]
async fn a_credential_of_the_wrong_kind_is_an_auth_error() {
    let server = ok_server().await;
    let client = client(&yaml("{ kind: basic }"), Auth::bearer("t"), &server);
    let error = client.execute("me", object(json!({}))).await.unwrap_err();
    let Error::Auth(message) = &error else {
        panic!("expected Error::Auth, got {error:?}")
    };
    assert!(message.contains("basic"), "{message}");
    assert!(message.contains("Auth::Basic"), "{message}");

    let client = common::client(&yaml("{ kind: bearer }"), Auth::None, &server);
    let error = client.execute("me", object(json!({}))).await.unwrap_err();
    assert!(
        matches!(&error, Error::Auth(message) if message.contains("Auth::Bearer")),
        "{error:?}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[test]
fn debug_output_hides_secrets() {
    let shown = format!(
        "{:?} {:?} {:?}",
        Auth::bearer("s3cret-token"),
        Auth::basic("user@example.test", "s3cret-password"),
        Auth::api_key("s3cret-key")
    );
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!shown.contains("user@example.test"), "{shown}");
    assert!(
        shown.contains("Bearer") && shown.contains("<redacted>"),
        "{shown}"
    );

    let client = connector_runtime::RawClient::new(
        common::def(&yaml("{ kind: bearer }")),
        Auth::bearer("s3cret-token"),
    );
    let shown = format!("{client:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
}
