//! OAuth 2.0 flows against a mock authorization server.

mod common;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use connector_runtime::Error;
use connector_runtime::oauth::{DEFAULT_MAX_TOKEN_RESPONSE_BYTES, OAuthApp, OAuthError};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn yaml(token_url: &str, extra: &str) -> String {
    format!(
        r#"
name: oauth_test
version: 1.0.0
base_url: https://api.example.test
auth:
  kind: oauth2
  authorization_url: https://id.example.test/authorize
  token_url: {token_url}
  scopes: [files.read, files.write]
  scope_separator: ","
  authorization_params: {{ access_type: offline, prompt: consent }}
{extra}
endpoints:
  me:
    method: GET
    path: /me
"#
    )
}

fn app(server: &MockServer, extra: &str) -> OAuthApp {
    let def = common::def(&yaml(&format!("{}/token", server.uri()), extra));
    OAuthApp::new(&def.auth, "my-client", "my-secret")
        .unwrap()
        .with_redirect_url("https://connector.example.test/oauth/callback")
}

fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn token_response() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "at-1",
        "refresh_token": "rt-1",
        "expires_in": 3600,
        "token_type": "bearer",
        "scope": "files.read,files.write",
        "account_id": "dbid:42",
    }))
}

#[tokio::test]
async fn the_authorization_url_carries_everything() {
    let server = MockServer::start().await;
    let request = app(&server, "").authorization_request(None).unwrap();
    let url = url::Url::parse(&request.url).unwrap();
    assert_eq!(url.host_str(), Some("id.example.test"));
    assert_eq!(url.path(), "/authorize");
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "my-client");
    assert_eq!(
        query["redirect_uri"],
        "https://connector.example.test/oauth/callback"
    );
    assert_eq!(query["scope"], "files.read,files.write");
    assert_eq!(query["state"], request.state);
    assert!(request.state.len() >= 16);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["access_type"], "offline");
    assert_eq!(query["prompt"], "consent");
    // The challenge is the S256 of the verifier we keep.
    let verifier = request
        .pkce_verifier
        .clone()
        .expect("PKCE is on by default");
    let expected = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
        &oauth2::PkceCodeVerifier::new(verifier),
    );
    assert_eq!(query["code_challenge"], expected.as_str());

    // Explicit scopes replace the definition's; each request has its own state.
    let other = app(&server, "")
        .authorization_request(Some(&["a".into(), "b".into()]))
        .unwrap();
    let query: HashMap<String, String> = url::Url::parse(&other.url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["scope"], "a,b");
    assert_ne!(other.state, request.state);
    assert!(!format!("{other:?}").contains(other.pkce_verifier.as_deref().unwrap()));
}

#[tokio::test]
async fn pkce_can_be_turned_off() {
    let server = MockServer::start().await;
    let request = app(&server, "  pkce: false")
        .authorization_request(None)
        .unwrap();
    assert!(request.pkce_verifier.is_none());
    assert!(!request.url.contains("code_challenge"));
}

#[tokio::test]
async fn an_authorization_params_response_type_replaces_code() {
    let server = MockServer::start().await;
    let def = common::def(&yaml(&format!("{}/token", server.uri()), "").replace(
        "{ access_type: offline, prompt: consent }",
        "{ response_type: code id_token, prompt: consent }",
    ));
    let request = OAuthApp::new(&def.auth, "my-client", "my-secret")
        .unwrap()
        .with_redirect_url("https://connector.example.test/oauth/callback")
        .authorization_request(None)
        .unwrap();
    let url = url::Url::parse(&request.url).unwrap();
    let types: Vec<String> = url
        .query_pairs()
        .filter(|(name, _)| name == "response_type")
        .map(|(_, value)| value.into_owned())
        .collect();
    assert_eq!(types, ["code id_token"]);
    assert!(request.url.contains("prompt=consent"));
}

#[tokio::test]
async fn exchange_code_posts_the_code_and_verifier() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(token_response())
        .expect(1)
        .mount(&server)
        .await;
    let app = app(&server, "");
    let tokens = app
        .exchange_code("the-code", Some("the-verifier"))
        .await
        .unwrap();
    assert_eq!(tokens.access_token, "at-1");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(
        tokens.scopes,
        Some(vec!["files.read".to_owned(), "files.write".to_owned()])
    );
    assert_eq!(tokens.extra["account_id"], "dbid:42");
    let expires_at = tokens.expires_at.expect("expires_in was sent");
    let lifetime = expires_at.duration_since(SystemTime::now()).unwrap();
    assert!(lifetime > Duration::from_secs(3590) && lifetime <= Duration::from_secs(3600));
    assert!(!tokens.expires_within(Duration::from_secs(300)));
    let shown = format!("{tokens:?}");
    assert!(
        !shown.contains("at-1") && !shown.contains("rt-1") && !shown.contains("dbid"),
        "{shown}"
    );

    let requests = server.received_requests().await.unwrap();
    let sent = form(&requests[0]);
    assert_eq!(sent["code"], "the-code");
    assert_eq!(sent["code_verifier"], "the-verifier");
    assert_eq!(
        sent["redirect_uri"],
        "https://connector.example.test/oauth/callback"
    );
    // client_secret_post (the default): the client's credentials are in the body.
    assert_eq!(sent["client_id"], "my-client");
    assert_eq!(sent["client_secret"], "my-secret");
    assert!(requests[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn client_secret_basic_authenticates_with_a_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        // base64("my-client:my-secret")
        .and(header(
            "authorization",
            "Basic bXktY2xpZW50Om15LXNlY3JldA==",
        ))
        .respond_with(token_response())
        .expect(1)
        .mount(&server)
        .await;
    let app = app(&server, "  token_auth_method: client_secret_basic");
    app.exchange_code("the-code", None).await.unwrap();
    let sent = form(&server.received_requests().await.unwrap()[0]);
    assert!(!sent.contains_key("client_secret"));
    assert!(!sent.contains_key("code_verifier"));
}

#[tokio::test]
async fn refresh_returns_the_rotated_refresh_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=rt-old"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at-2", "refresh_token": "rt-new", "expires_in": 60, "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=rt-kept"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "at-3", "token_type": "Bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let app = app(&server, "");
    let tokens = app.refresh("rt-old").await.unwrap();
    assert_eq!(tokens.access_token, "at-2");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-new"));
    assert!(tokens.expires_within(Duration::from_secs(300)));
    assert_eq!(
        form(&server.received_requests().await.unwrap()[0])["grant_type"],
        "refresh_token"
    );

    // A provider that does not rotate: the old refresh token stays.
    let tokens = app.refresh("rt-kept").await.unwrap();
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-kept"));
    assert_eq!(tokens.expires_at, None);
}

#[tokio::test]
async fn invalid_grant_is_told_apart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant", "error_description": "Token has been expired or revoked."
        })))
        .mount(&server)
        .await;
    let error = app(&server, "").refresh("rt-revoked").await.unwrap_err();
    match &error {
        OAuthError::InvalidGrant { description } => {
            assert_eq!(
                description.as_deref(),
                Some("Token has been expired or revoked.")
            )
        }
        other => panic!("expected InvalidGrant, got {other:?}"),
    }
    let error: Error = error.into();
    assert!(
        matches!(&error, Error::Auth(message) if message.contains("invalid_grant")),
        "{error:?}"
    );
}

#[tokio::test]
async fn other_provider_errors_and_bad_responses() {
    let server = MockServer::start().await;
    Mock::given(body_string_contains("code=bad-client"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    Mock::given(body_string_contains("code=garbage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "nope"})))
        .mount(&server)
        .await;
    let app = app(&server, "");
    let error = app.exchange_code("bad-client", None).await.unwrap_err();
    assert!(
        matches!(&error, OAuthError::Provider { code, .. } if code == "invalid_client"),
        "{error:?}"
    );
    let error = app.exchange_code("garbage", None).await.unwrap_err();
    assert!(
        matches!(&error, OAuthError::InvalidResponse(_)),
        "{error:?}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let offline = app
        .clone()
        .with_token_url(format!("http://127.0.0.1:{port}/token"));
    let error = offline.exchange_code("x", None).await.unwrap_err();
    assert!(matches!(&error, OAuthError::Transport(_)), "{error:?}");
}

#[tokio::test]
async fn client_credentials_works() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "app-token", "expires_in": 7200, "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let def = common::def(&format!(
        r#"
name: cc_test
version: 1.0.0
base_url: https://api.example.test
auth:
  kind: oauth2_client_credentials
  token_url: {}/oauth/token
  scopes: [read, write]
endpoints:
  me: {{ method: GET, path: /me }}
"#,
        server.uri()
    ));
    let app = OAuthApp::new(&def.auth, "svc", "svc-secret").unwrap();
    let tokens = app.client_credentials(None).await.unwrap();
    assert_eq!(tokens.access_token, "app-token");
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.auth(), connector_runtime::Auth::bearer("app-token"));
    let sent = form(&server.received_requests().await.unwrap()[0]);
    assert_eq!(sent["scope"], "read write");
    assert_eq!(sent["client_id"], "svc");

    let error = app.authorization_request(None).unwrap_err();
    assert!(matches!(error, OAuthError::Config(_)), "{error:?}");
}

#[test]
fn only_oauth_kinds_have_an_app() {
    let def = common::def(
        "name: x\nversion: 1.0.0\nbase_url: https://a.test\nauth: { kind: bearer }\nendpoints: { me: { method: GET, path: /me } }\n",
    );
    assert!(matches!(
        OAuthApp::new(&def.auth, "id", "secret"),
        Err(OAuthError::Config(_))
    ));
    let app_debug = format!(
        "{:?}",
        OAuthApp::new(
            &common::def(&yaml("https://id.example.test/token", "")).auth,
            "id",
            "top-secret"
        )
        .unwrap()
    );
    assert!(!app_debug.contains("top-secret"), "{app_debug}");
}

#[tokio::test]
async fn a_token_response_above_the_limit_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "a".repeat(2 * 1024 * 1024),
            "token_type": "bearer",
        })))
        .mount(&server)
        .await;
    match app(&server, "").exchange_code("code", None).await {
        Err(OAuthError::ResponseTooLarge { limit }) => {
            assert_eq!(limit, DEFAULT_MAX_TOKEN_RESPONSE_BYTES);
            assert_eq!(limit, 1024 * 1024);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    let error = Error::from(app(&server, "").refresh("rt").await.unwrap_err());
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
    // The limit is a setting.
    let tokens = app(&server, "")
        .with_max_response_bytes(3 * 1024 * 1024)
        .exchange_code("code", None)
        .await
        .unwrap();
    assert_eq!(tokens.access_token.len(), 2 * 1024 * 1024);
}

fn tenant_def(server: &MockServer) -> connector_runtime::ConnectorDef {
    let yaml = format!(
        r#"
name: tenant_oauth
version: 1.0.0
base_url: https://api.example.test
connection_config:
  tenant: {{ description: The directory id }}
  region: {{ required: false, default: eu }}
auth:
  kind: oauth2
  authorization_url: https://login.example.test/{{connection_config.tenant}}/{{connection_config.region}}/authorize
  token_url: {}/{{connection_config.tenant}}/token
endpoints:
  me: {{ method: GET, path: /me }}
"#,
        server.uri()
    );
    (*common::def(&yaml)).clone()
}

fn tenant_app(def: &connector_runtime::ConnectorDef, tenant: Option<&str>) -> OAuthApp {
    OAuthApp::for_connector(def, "id", "secret")
        .unwrap()
        .with_redirect_url("https://connector.example.test/oauth/callback")
        .with_connection_config(tenant.map(|tenant| ("tenant".to_owned(), tenant.to_owned())))
}

#[tokio::test]
async fn connection_config_fills_the_oauth_urls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/acme/token"))
        .respond_with(token_response())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/override/acme/token"))
        .respond_with(token_response())
        .expect(1)
        .mount(&server)
        .await;
    let def = tenant_def(&server);
    let app = tenant_app(&def, Some("acme"));
    let request = app.authorization_request(None).unwrap();
    let url = url::Url::parse(&request.url).unwrap();
    // The region's declared default fills its placeholder.
    assert_eq!(url.path(), "/acme/eu/authorize");
    app.exchange_code("code", None).await.unwrap();

    // Overrides may hold placeholders too.
    let app = app
        .with_authorization_url("https://login.example.test/{connection_config.tenant}/auth")
        .with_token_url(format!(
            "{}/override/{{connection_config.tenant}}/token",
            server.uri()
        ));
    let request = app.authorization_request(None).unwrap();
    assert_eq!(url::Url::parse(&request.url).unwrap().path(), "/acme/auth");
    app.exchange_code("code", None).await.unwrap();
}

#[tokio::test]
async fn bad_or_missing_connection_config_in_oauth_urls_is_refused() {
    let server = MockServer::start().await;
    let def = tenant_def(&server);
    for tenant in [Some("evil.com/"), Some(".."), Some("."), Some("a@b"), None] {
        let app = tenant_app(&def, tenant);
        let error = app.authorization_request(None).unwrap_err();
        assert!(
            matches!(&error, OAuthError::Config(message) if message.contains("`tenant`")),
            "{tenant:?}: {error:?}"
        );
        let error = app.exchange_code("code", None).await.unwrap_err();
        assert!(
            matches!(error, OAuthError::Config(_)),
            "{tenant:?}: {error:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
