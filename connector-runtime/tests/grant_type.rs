//! A client-credentials app naming its own grant with `token_params: { grant_type: … }`
//! (Zoom's Server-to-Server OAuth, SAP Ariba's `openapi_2lo`).

mod common;

use base64::Engine as _;
use connector_runtime::oauth::{OAuthApp, OAuthError};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn app(server: &MockServer, auth: &str) -> OAuthApp {
    let def = common::def(&format!(
        "name: grant_test\nversion: 1.0.0\nbase_url: https://api.example.test\nconnection_config:\n  account_id: {{}}\nauth:\n  kind: oauth2_client_credentials\n  token_url: {}/oauth/token\n{auth}\n",
        server.uri()
    ));
    OAuthApp::for_connector(&def, "zoom-client", "zoom secret")
        .unwrap()
        .with_connection_config([("account_id".to_owned(), "acc-123".to_owned())])
}

#[tokio::test]
async fn zoom_account_credentials_replace_the_client_credentials_grant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "zoom-token", "token_type": "bearer", "expires_in": 3599,
            "scope": "user:read:admin", "api_url": "https://api.zoom.us",
        })))
        .expect(2)
        .mount(&server)
        .await;
    let app = app(
        &server,
        "  token_auth_method: client_secret_basic\n  token_params:\n    grant_type: account_credentials\n    account_id: '{connection_config.account_id}'",
    );
    let tokens = app.client_credentials(None).await.unwrap();
    assert_eq!(tokens.access_token, "zoom-token");
    assert!(tokens.expires_at.is_some());
    // When the token expires, the same request fetches the next one.
    app.client_credentials(None).await.unwrap();

    let expected_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("zoom-client:zoom+secret")
    );
    for sent in server.received_requests().await.unwrap() {
        assert_eq!(
            std::str::from_utf8(&sent.body).unwrap(),
            "grant_type=account_credentials&account_id=acc-123"
        );
        assert_eq!(sent.headers["authorization"], expected_basic.as_str());
        assert_eq!(
            sent.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
    }
}

#[tokio::test]
async fn a_named_grant_keeps_body_client_auth_encoding_and_error_mapping() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client", "error_description": "unknown client",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let app = app(
        &server,
        "  scopes: [read]\n  token_request_encoding: json\n  token_params: { grant_type: openapi_2lo }",
    );
    let error = app.client_credentials(None).await.unwrap_err();
    assert!(
        matches!(&error, OAuthError::Provider { code, .. } if code == "invalid_client"),
        "{error:?}"
    );
    let sent = &server.received_requests().await.unwrap()[0];
    assert!(sent.headers.get("authorization").is_none());
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(
        body,
        json!({
            "grant_type": "openapi_2lo", "scope": "read",
            "client_id": "zoom-client", "client_secret": "zoom secret",
        })
    );
}
