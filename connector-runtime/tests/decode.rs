//! Typed responses: decoding, malformed bodies, empty bodies.

mod common;

use common::client;
use connector_runtime::{Auth, Error};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: decode_test
version: 1.0.0
base_url: https://api.example.test
auth: { kind: none }
endpoints:
  get_user:
    method: GET
    path: /users/{userId}
    params:
      userId: { in: path, type: string }
      maxResults: { in: query, type: integer }
  delete_user:
    method: DELETE
    path: /users/{userId}
    params:
      userId: { in: path, type: string }
"#;

/// A typed request as generated code writes it: Rust names, YAML names on the wire.
#[derive(Serialize)]
struct GetUserRequest {
    #[serde(rename = "userId")]
    user_id: String,
    #[serde(rename = "maxResults")]
    max_results: Option<i64>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    id: String,
    #[serde(rename = "displayName")]
    display_name: String,
    age: Option<u32>,
}

#[tokio::test]
async fn a_typed_response_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/u1"))
        .and(query_param("maxResults", "5"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "u1", "displayName": "Ada", "extra": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let request = GetUserRequest {
        user_id: "u1".into(),
        max_results: Some(5),
    };
    let user: User = client.call("get_user", &request).await.unwrap();
    assert_eq!(
        user,
        User {
            id: "u1".into(),
            display_name: "Ada".into(),
            age: None
        }
    );
}

#[tokio::test]
async fn a_malformed_response_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(path("/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 7})))
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let request = GetUserRequest {
        user_id: "u1".into(),
        max_results: None,
    };
    match client
        .call::<_, User>("get_user", &request)
        .await
        .unwrap_err()
    {
        Error::Decode { message, body } => {
            assert!(message.contains("invalid type"), "{message}");
            assert_eq!(body, r#"{"id":7}"#);
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(path("/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let error = client
        .call::<_, Value>("get_user", &json!({"userId": "u1"}))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn an_empty_body_decodes_as_null() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/users/u1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let () = client
        .call("delete_user", &json!({"userId": "u1"}))
        .await
        .unwrap();
    let value: Value = client
        .call("delete_user", &json!({"userId": "u1"}))
        .await
        .unwrap();
    assert_eq!(value, Value::Null);
}

/// Servers hold these futures across threads.
#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let client = connector_runtime::RawClient::new(common::def(YAML), Auth::None);
    assert_send(client.execute("get_user", serde_json::Map::new()));
    assert_send(client.call::<_, Value>("get_user", &json!({"userId": "u1"})));
    let def = common::def(
        "name: o\nversion: 1.0.0\nbase_url: https://a.test\nauth: { kind: oauth2, authorization_url: 'https://a.test/a', token_url: 'https://a.test/t' }\nendpoints: { me: { method: GET, path: /me } }\n",
    );
    let app = connector_runtime::oauth::OAuthApp::new(&def.auth, "id", "secret").unwrap();
    assert_send(app.refresh("r"));
    assert_send(app.exchange_code("c", None));
    assert_send(app.client_credentials(None));
}
