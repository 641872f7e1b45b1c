//! Format 1.1: `token_request_encoding`, placeholders in OAuth parameter values, and the JWT
//! kinds: the RFC 7523 assertion grant (`jwt_bearer`) and app JWTs minting installation tokens
//! (`app_jwt`). The mock token endpoints verify each JWT's RS256 signature with the test key's
//! public half and read its claims.

mod common;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use connector_runtime::jwt::SigningKey;
use connector_runtime::oauth::{OAuthApp, OAuthError, ServiceAccount};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PKCS8: &str = include_str!("fixtures/test-key.pkcs8.pem");
const PKCS1: &str = include_str!("fixtures/test-key.pkcs1.pem");
const PUBLIC: &str = include_str!("fixtures/test-key.pub.pem");

/// The claims of a JWT whose RS256 signature the test key's public half verifies, with its
/// header's `kid`; panics when the signature does not verify.
fn verified(jwt: &str) -> (HashMap<String, Value>, Option<String>) {
    let key = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<HashMap<String, Value>>(jwt, &key, &validation)
        .expect("the JWT is signed with the test key");
    (data.claims, data.header.kid)
}

fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn app(server: &MockServer, auth: &str) -> OAuthApp {
    let def = common::def(&format!(
        r#"
name: jwtish
version: 1.0.0
base_url: https://api.example.test
connection_config:
  installation_id: {{ required: false, pattern: '[0-9]+' }}
  tenant: {{ required: false, default: common }}
auth:
  token_url: {}/token
{auth}
"#,
        server.uri()
    ));
    OAuthApp::for_connector(&def, "app-42", "").unwrap()
}

fn account(pem: &str, subject: Option<&str>) -> ServiceAccount {
    ServiceAccount {
        issuer: "robot@project.iam.example.test".into(),
        subject: subject.map(str::to_owned),
        key: SigningKey::from_pem(pem)
            .unwrap()
            .with_key_id(Some("key-1".into())),
    }
}

async fn answer(server: &MockServer, status: u16, body: Value) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

#[tokio::test]
async fn a_service_account_assertion_is_signed_and_traded_for_a_token() {
    let server = MockServer::start().await;
    answer(
        &server,
        200,
        json!({"access_token": "ya29.minted", "token_type": "Bearer", "expires_in": 3599}),
    )
    .await;
    let app = app(
        &server,
        "  kind: jwt_bearer\n  scopes: [https://example.test/auth/drive, https://example.test/auth/gmail]",
    );
    let before = SystemTime::now();
    let tokens = app
        .jwt_bearer(&account(PKCS8, Some("user@example.test")), None)
        .await
        .unwrap();
    assert_eq!(tokens.access_token, "ya29.minted");
    assert!(tokens.expires_at.unwrap() > before + Duration::from_secs(3500));
    let sent = form(&requests(&server).await[0]);
    assert_eq!(
        sent["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let (claims, kid) = verified(&sent["assertion"]);
    assert_eq!(kid.as_deref(), Some("key-1"));
    assert_eq!(claims["iss"], "robot@project.iam.example.test");
    assert_eq!(claims["sub"], "user@example.test");
    assert_eq!(claims["aud"], format!("{}/token", server.uri()));
    assert_eq!(
        claims["scope"],
        "https://example.test/auth/drive https://example.test/auth/gmail"
    );
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap() - iat, 3600);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(iat) <= 5, "iat {iat}, now {now}");
}

#[tokio::test]
async fn a_pkcs1_key_signs_too_and_audience_subject_and_scopes_follow_the_call() {
    let server = MockServer::start().await;
    answer(
        &server,
        200,
        json!({"access_token": "t", "token_type": "Bearer"}),
    )
    .await;
    let app = app(
        &server,
        "  kind: jwt_bearer\n  audience: https://oauth2.example.test/token\n  scopes: [a]\n  scope_separator: ','",
    );
    app.jwt_bearer(
        &account(PKCS1, None),
        Some(&["x".to_owned(), "y".to_owned()]),
    )
    .await
    .unwrap();
    let (claims, _) = verified(&form(&requests(&server).await[0])["assertion"]);
    assert_eq!(claims["aud"], "https://oauth2.example.test/token");
    assert_eq!(claims["scope"], "x,y");
    assert!(!claims.contains_key("sub"));
}

#[tokio::test]
async fn a_refused_assertion_is_invalid_grant() {
    let server = MockServer::start().await;
    answer(
        &server,
        400,
        json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
    )
    .await;
    let app = app(&server, "  kind: jwt_bearer");
    let error = app
        .jwt_bearer(&account(PKCS8, None), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OAuthError::InvalidGrant { description: Some(text) } if text == "Invalid JWT Signature."),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_app_jwt_mints_an_installation_token_that_expires_at_its_time() {
    let server = MockServer::start().await;
    let expires_at = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Mock::given(method("POST"))
        .and(path("/app/installations/977/access_tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"token": "ghs_minted", "expires_at": expires_at, "permissions": {"contents": "read"}}),
        ))
        .mount(&server)
        .await;
    let def = common::def(&format!(
        "name: appish\nversion: 1.0.0\nbase_url: https://api.example.test\nconnection_config:\n  installation_id: {{ required: true }}\nauth:\n  kind: app_jwt\n  token_url: {}/app/installations/{{connection_config.installation_id}}/access_tokens\n",
        server.uri()
    ));
    let app = OAuthApp::for_connector(&def, "app-42", "")
        .unwrap()
        .with_connection_config([("installation_id".to_owned(), "977".to_owned())]);
    let tokens = app
        .app_token(&SigningKey::from_pem(PKCS8).unwrap())
        .await
        .unwrap();
    assert_eq!(tokens.access_token, "ghs_minted");
    assert_eq!(tokens.token_type, "Bearer");
    let lifetime = tokens
        .expires_at
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(lifetime > Duration::from_secs(3590), "{lifetime:?}");
    let request = &requests(&server).await[0];
    assert_eq!(request.headers["accept"], "application/vnd.github+json");
    let bearer = request.headers["authorization"].to_str().unwrap();
    let (claims, kid) = verified(bearer.strip_prefix("Bearer ").unwrap());
    assert_eq!(kid, None);
    assert_eq!(claims["iss"], "app-42");
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 600);
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn an_app_jwt_refused_with_401_is_invalid_grant() {
    let server = MockServer::start().await;
    answer(
        &server,
        401,
        json!({"message": "A JSON web token could not be decoded"}),
    )
    .await;
    let app = app(&server, "  kind: app_jwt");
    let error = app
        .app_token(&SigningKey::from_pem(PKCS8).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OAuthError::InvalidGrant { description: Some(text) } if text.contains("could not be decoded")),
        "{error:?}"
    );
}

#[test]
fn a_key_that_is_not_an_rsa_pem_is_refused() {
    for bad in [
        "",
        "not a key",
        PUBLIC,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ] {
        let error = SigningKey::from_pem(bad).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("not a usable RSA private key")
        );
    }
}

#[tokio::test]
async fn token_requests_may_be_json_or_query_encoded() {
    let server = MockServer::start().await;
    answer(
        &server,
        200,
        json!({"access_token": "t", "token_type": "Bearer"}),
    )
    .await;
    let json_app = app(
        &server,
        "  kind: oauth2_client_credentials\n  token_request_encoding: json\n  token_params: { tenant: '{connection_config.tenant}' }",
    );
    json_app
        .client_credentials(Some(&["read".into()]))
        .await
        .unwrap();
    let query_app = app(
        &server,
        "  kind: oauth2_client_credentials\n  token_request_encoding: query\n  token_auth_method: client_secret_basic",
    )
    .with_connection_config([("tenant".to_owned(), "contoso".to_owned())]);
    query_app.client_credentials(None).await.unwrap();
    let sent = requests(&server).await;
    assert_eq!(sent[0].headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body,
        json!({"grant_type": "client_credentials", "client_id": "app-42", "scope": "read", "tenant": "common"})
    );
    assert!(sent[1].body.is_empty());
    assert!(sent[1].headers.get("content-type").is_none());
    let query: HashMap<String, String> = sent[1].url.query_pairs().into_owned().collect();
    assert_eq!(query["grant_type"], "client_credentials");
    // A public client's id goes with the parameters, even under client_secret_basic.
    assert_eq!(query["client_id"], "app-42");
}

#[tokio::test]
async fn parameter_values_take_connection_config() {
    let server = MockServer::start().await;
    answer(
        &server,
        200,
        json!({"access_token": "t", "token_type": "Bearer"}),
    )
    .await;
    let app = app(
        &server,
        "  kind: oauth2\n  authorization_url: https://id.example.test/authorize\n  authorization_params: { domain_hint: '{connection_config.tenant}.example.test' }\n  token_params: { resource: 'https://{connection_config.tenant}.example.test' }\n  refresh_params: { tenant: '{connection_config.tenant}' }",
    )
    .with_redirect_url("https://connector.example.test/oauth/callback")
    .with_connection_config([("tenant".to_owned(), "contoso & co".to_owned())]);
    let request = app.authorization_request(None).unwrap();
    let url = url::Url::parse(&request.url).unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["domain_hint"], "contoso & co.example.test");
    app.exchange_code("c", request.pkce_verifier.as_deref())
        .await
        .unwrap();
    app.refresh("rt").await.unwrap();
    let sent = requests(&server).await;
    assert_eq!(
        form(&sent[0])["resource"],
        "https://contoso & co.example.test"
    );
    assert_eq!(form(&sent[1])["tenant"], "contoso & co");
}
