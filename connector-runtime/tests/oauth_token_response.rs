//! Format 1.1, OAuth: extra token and refresh parameters, public clients, an access token
//! nested in the token response, and token-response fields kept into connection_config.

mod common;

use std::collections::HashMap;

use connector_runtime::oauth::{OAuthApp, OAuthError};
use connector_runtime::{Auth, RawClient};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn app(server: &MockServer, auth: &str) -> OAuthApp {
    let def = common::def(&format!(
        r#"
name: quirky
version: 1.0.0
base_url: https://api.example.test
connection_config:
  instance_url: {{ required: false, description: "the org's host, from the token response" }}
auth:
  kind: oauth2
  authorization_url: https://id.example.test/authorize
  token_url: {}/token
{auth}
"#,
        server.uri()
    ));
    OAuthApp::for_connector(&def, "my-client", "my-secret")
        .unwrap()
        .with_redirect_url("https://connector.example.test/oauth/callback")
}

fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

async fn token_endpoint(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn sent(server: &MockServer) -> Vec<HashMap<String, String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(form)
        .collect()
}

#[tokio::test]
async fn token_params_go_with_the_code_and_refresh_params_with_a_refresh() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        json!({"access_token": "at", "token_type": "Bearer"}),
    )
    .await;
    let app = app(
        &server,
        "  token_params: { audience: api.example.test }\n  refresh_params: { scope: offline }",
    );
    app.exchange_code("the-code", None).await.unwrap();
    app.refresh("rt").await.unwrap();
    let sent = sent(&server).await;
    assert_eq!(sent[0]["grant_type"], "authorization_code");
    assert_eq!(sent[0]["audience"], "api.example.test");
    assert!(!sent[0].contains_key("scope"));
    assert_eq!(sent[1]["grant_type"], "refresh_token");
    assert_eq!(sent[1]["scope"], "offline");
    assert!(!sent[1].contains_key("audience"));
}

#[tokio::test]
async fn token_auth_method_none_sends_the_client_id_and_no_secret() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        json!({"access_token": "at", "token_type": "Bearer"}),
    )
    .await;
    app(&server, "  token_auth_method: none")
        .exchange_code("the-code", None)
        .await
        .unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    assert!(!request.headers.contains_key("authorization"));
    let sent = form(request);
    assert_eq!(sent["client_id"], "my-client");
    assert!(!sent.contains_key("client_secret"));
}

#[tokio::test]
async fn client_secret_basic_with_token_params() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        // base64("my-client:my-secret")
        .and(header(
            "authorization",
            "Basic bXktY2xpZW50Om15LXNlY3JldA==",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "at", "token_type": "bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    app(
        &server,
        "  token_auth_method: client_secret_basic\n  token_params: { owner: user }",
    )
    .exchange_code("the-code", None)
    .await
    .unwrap();
    assert_eq!(sent(&server).await[0]["owner"], "user");
}

#[tokio::test]
async fn the_access_token_is_read_at_its_path_with_its_neighbours() {
    let server = MockServer::start().await;
    // Slack: the bot token at the top, the user's token in authed_user.
    token_endpoint(
        &server,
        json!({
            "ok": true,
            "access_token": "xoxb-bot",
            "token_type": "bot",
            "team": {"id": "T1"},
            "authed_user": {
                "id": "U1",
                "access_token": "xoxp-user",
                "refresh_token": "xoxe-refresh",
                "expires_in": 43200,
                "token_type": "user"
            }
        }),
    )
    .await;
    let tokens = app(&server, "  access_token_path: authed_user.access_token")
        .exchange_code("the-code", None)
        .await
        .unwrap();
    assert_eq!(tokens.access_token, "xoxp-user");
    assert_eq!(tokens.refresh_token.as_deref(), Some("xoxe-refresh"));
    assert_eq!(tokens.token_type, "user");
    assert!(tokens.expires_at.is_some());
    assert_eq!(tokens.extra["team"]["id"], "T1");
}

#[tokio::test]
async fn a_nested_token_without_a_type_is_a_bearer_token() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        json!({"ok": true, "authed_user": {"access_token": "xoxp-1"}}),
    )
    .await;
    let tokens = app(&server, "  access_token_path: authed_user.access_token")
        .exchange_code("the-code", None)
        .await
        .unwrap();
    assert_eq!(tokens.access_token, "xoxp-1");
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.expires_at, None);
}

#[tokio::test]
async fn no_token_at_the_path_is_an_error_and_an_error_field_the_provider_s() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ok": true, "authed_user": {}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    token_endpoint(&server, json!({"ok": false, "error": "invalid_code"})).await;
    let app = app(&server, "  access_token_path: authed_user.access_token");
    let error = app.exchange_code("the-code", None).await.unwrap_err();
    assert!(
        matches!(&error, OAuthError::InvalidResponse(message) if message == "no access token at `authed_user.access_token`"),
        "{error:?}"
    );
    // Slack says what went wrong with a 200 and `ok: false`.
    let error = app.exchange_code("the-code", None).await.unwrap_err();
    assert!(
        matches!(&error, OAuthError::Provider { code, .. } if code == "invalid_code"),
        "{error:?}"
    );
}

#[tokio::test]
async fn kept_fields_come_back_for_connection_config_and_an_origin_fills_the_base_url() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        json!({
            "access_token": "at", "token_type": "Bearer",
            "instance_url": "https://acme.my.example.test",
            "team": {"id": 42},
        }),
    )
    .await;
    let tokens = app(&server, "  keep_from_token_response: [instance_url]")
        .exchange_code("the-code", None)
        .await
        .unwrap();
    assert_eq!(
        tokens.connection_config,
        [(
            "instance_url".to_owned(),
            "https://acme.my.example.test".to_owned()
        )]
        .into()
    );

    let def = common::def(
        "name: quirky\nversion: 1.0.0\nbase_url: '{connection_config.instance_url}/services/data'\n\
         connection_config:\n  instance_url: {}\n\
         auth:\n  kind: oauth2\n  authorization_url: https://id.example.test/a\n  token_url: https://id.example.test/t\n  keep_from_token_response: [instance_url]\n",
    );
    let client = |value: &str| {
        RawClient::new(def.clone(), Auth::bearer("at"))
            .with_connection_config([("instance_url".to_owned(), value.to_owned())])
    };
    assert_eq!(
        client("https://acme.my.example.test")
            .base_url(None)
            .unwrap(),
        "https://acme.my.example.test/services/data"
    );
    assert_eq!(
        client("http://127.0.0.1:8080/").base_url(None).unwrap(),
        "http://127.0.0.1:8080/services/data"
    );
    // Nothing but a scheme, a host and a port.
    for bad in [
        "acme.my.example.test",
        "https://evil.example/x",
        "https://user@evil.example",
        "https://evil.example?x",
        "https://evil.example#x",
        "ftp://evil.example",
        "https://evil.example\n",
    ] {
        let error = client(bad).base_url(None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("must be an http or https origin"),
            "{bad}: {error}"
        );
    }
}
