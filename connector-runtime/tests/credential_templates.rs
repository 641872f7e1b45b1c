//! Named credential fields placed by `auth.headers` / `auth.query` templates, and `A || B`
//! alternatives in URLs and header values.

mod common;

use common::{def, object};
use connector_runtime::{Auth, Error, RawClient, RawRequest};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TEMPLATED: &str = r#"
name: templated
version: 1.0.0
base_url: https://api.example.test
connection_config:
  region: { required: false, default: eu }
auth:
  kind: api_key
  credentials: [api_key, account_id]
  headers:
    Authorization: "Token token={credentials.api_key}"
    X-Account: "{credentials.account_id}@{connection_config.region}"
  query:
    key: "{credentials.api_key}"
endpoints:
  me: { method: GET, path: /me }
"#;

async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
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
async fn templates_place_named_fields_in_headers_and_the_query() {
    let server = ok_server().await;
    let auth = Auth::fields([("api_key", "k-1"), ("account_id", "acct 7")]);
    let client = RawClient::new(def(TEMPLATED), auth).with_base_url(server.uri());
    client.execute("me", object(json!({}))).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.headers["authorization"], "Token token=k-1");
    assert_eq!(request.headers["x-account"], "acct 7@eu");
    assert_eq!(request.url.query(), Some("key=k-1"));
}

#[tokio::test]
async fn templates_apply_to_the_proxy_and_replace_a_parameter_of_the_same_name() {
    let server = ok_server().await;
    let auth = Auth::fields([("api_key", "k-1"), ("account_id", "a")]);
    let client = RawClient::new(def(TEMPLATED), auth)
        .with_base_url(server.uri())
        .with_connection_config([("region".to_owned(), "us".to_owned())]);
    let request = RawRequest {
        path: "/anything".into(),
        query: vec![("key".into(), "forged".into()), ("q".into(), "1".into())],
        ..RawRequest::default()
    };
    client.send(request).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.url.query(), Some("q=1&key=k-1"));
    assert_eq!(request.headers["x-account"], "a@us");
}

#[tokio::test]
async fn a_missing_field_is_an_auth_error_and_nothing_is_sent() {
    let server = ok_server().await;
    let client = RawClient::new(def(TEMPLATED), Auth::fields([("api_key", "k-1")]))
        .with_base_url(server.uri());
    let error = client.execute("me", object(json!({}))).await.unwrap_err();
    assert!(
        matches!(&error, Error::Auth(message) if message.contains("account_id")),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_shorthand_places_a_single_named_field_and_api_key_still_works() {
    let yaml = "name: short\nversion: 1.0.0\nbase_url: https://api.example.test\nauth: { kind: api_key, credentials: [secret_key], in: header, name: X-Key, prefix: 'Key ' }\nendpoints:\n  me: { method: GET, path: /me }\n";
    for auth in [Auth::api_key("s-1"), Auth::fields([("secret_key", "s-1")])] {
        let server = ok_server().await;
        let client = RawClient::new(def(yaml), auth).with_base_url(server.uri());
        client.execute("me", object(json!({}))).await.unwrap();
        assert_eq!(only_request(&server).await.headers["x-key"], "Key s-1");
    }
}

#[tokio::test]
async fn basic_builds_its_header_from_named_fields() {
    let yaml = "name: basic_named\nversion: 1.0.0\nbase_url: https://api.example.test\nauth: { kind: basic, credentials: [username] }\nendpoints:\n  me: { method: GET, path: /me }\n";
    let server = ok_server().await;
    let client = RawClient::new(def(yaml), Auth::fields([("username", "key-as-user")]))
        .with_base_url(server.uri());
    client.execute("me", object(json!({}))).await.unwrap();
    // base64("key-as-user:")
    assert_eq!(
        only_request(&server).await.headers["authorization"],
        "Basic a2V5LWFzLXVzZXI6"
    );
}

#[tokio::test]
async fn a_bearer_token_can_be_placed_by_a_template() {
    let yaml = "name: bearer_templated\nversion: 1.0.0\nbase_url: https://api.example.test\nauth: { kind: bearer, headers: { Authorization: 'token {credentials.token}' } }\nendpoints:\n  me: { method: GET, path: /me }\n";
    let server = ok_server().await;
    let client = RawClient::new(def(yaml), Auth::bearer("gh-1")).with_base_url(server.uri());
    client.execute("me", object(json!({}))).await.unwrap();
    assert_eq!(
        only_request(&server).await.headers["authorization"],
        "token gh-1"
    );
}

#[tokio::test]
async fn the_first_alternative_whose_settings_are_filled_is_used() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let yaml = format!(
        "name: alternatives\nversion: 1.0.0\nbase_url: 'http://{{connection_config.host}}/v1 || http://{host}/v1'\nconnection_config:\n  host: {{ required: false }}\n  team: {{ required: false }}\nauth: {{ kind: none }}\nheaders: {{ X-Team: 'team-{{connection_config.team}} || no-team' }}\nendpoints:\n  me: {{ method: GET, path: /me }}\n"
    );
    // Nothing given: the fallbacks.
    let client = RawClient::new(def(&yaml), Auth::None);
    client.execute("me", object(json!({}))).await.unwrap();
    // The settings given: the first alternatives.
    let client = client.with_connection_config([
        ("host".to_owned(), host.replace(':', "~")),
        ("team".to_owned(), "red".to_owned()),
    ]);
    assert_eq!(
        client.base_url(None).unwrap(),
        format!("http://{}/v1", host.replace(':', "~"))
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].headers["x-team"], "no-team");
    let client = client.with_connection_config([("team".to_owned(), "red".to_owned())]);
    client.execute("me", object(json!({}))).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[1].headers["x-team"], "team-red");
}
