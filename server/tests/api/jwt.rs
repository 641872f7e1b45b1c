//! The JWT kinds end to end: a `jwt_bearer` service account and an `app_jwt` installation.
//! The mock token endpoints verify each JWT's RS256 signature with the test key's public half
//! and check its claims; a JWT signed or claimed wrongly is refused, and the test fails.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{Options, ServerProcess, TestServer, error_code};

const PKCS8: &str = include_str!("../../../connector-runtime/tests/fixtures/test-key.pkcs8.pem");
const PKCS1: &str = include_str!("../../../connector-runtime/tests/fixtures/test-key.pkcs1.pem");
const PUBLIC: &str = include_str!("../../../connector-runtime/tests/fixtures/test-key.pub.pem");

/// The claims of `jwt` if the test key signed it (RS256) and it has not expired.
fn verified(jwt: &str) -> Option<HashMap<String, Value>> {
    let key = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<HashMap<String, Value>>(jwt, &key, &validation)
        .ok()
        .map(|data| data.claims)
}

fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// A server loading one test definition, `{name}.yaml`.
async fn server_with_def(name: &str, yaml: &str) -> (TestServer, tempfile::TempDir) {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(defs.path().join(format!("{name}.yaml")), yaml).unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    (server, defs)
}

/// Google's token endpoint: checks the assertion, then answers token `ya29.{n}` for the n-th
/// request, the first living `first_lifetime` seconds and the others an hour.
struct ServiceAccountTokens {
    audience: String,
    minted: Arc<AtomicUsize>,
    first_lifetime: u64,
}

impl Respond for ServiceAccountTokens {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let sent = form(request);
        let claims = sent
            .get("assertion")
            .and_then(|assertion| verified(assertion));
        let valid = sent.get("grant_type").map(String::as_str)
            == Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
            && claims.as_ref().is_some_and(|claims| {
                claims["iss"] == "robot@project.iam.example.test"
                    && claims["sub"] == "admin@example.test"
                    && claims["aud"] == self.audience.as_str()
                    && claims["scope"] == "drive.readonly gmail.readonly"
                    && claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap() == 3600
            });
        if !valid {
            return ResponseTemplate::new(400).set_body_json(
                json!({ "error": "invalid_grant", "error_description": format!("bad assertion: {claims:?}") }),
            );
        }
        let n = self.minted.fetch_add(1, Ordering::SeqCst) + 1;
        let lifetime = if n == 1 { self.first_lifetime } else { 3600 };
        ResponseTemplate::new(200)
            .set_body_json(json!({ "access_token": format!("ya29.{n}"), "token_type": "Bearer", "expires_in": lifetime }))
            .set_delay(Duration::from_millis(100))
    }
}

fn service_account_def(mock: &MockServer) -> String {
    format!(
        "name: googleish\nversion: 1.0.0\nbase_url: {0}/api\n\
         auth:\n  kind: jwt_bearer\n  token_url: {0}/token\n  scopes: [drive.readonly, gmail.readonly]\n",
        mock.uri()
    )
}

async fn create_service_account(
    server: &TestServer,
    id: &str,
    private_key: &str,
) -> (StatusCode, Value) {
    server
        .post(
            "/v1/connections",
            json!({
                "connector": "googleish",
                "connection_id": id,
                "credentials": {
                    "issuer": "robot@project.iam.example.test",
                    "private_key": private_key,
                    "subject": "admin@example.test",
                    "key_id": "key-1",
                },
            }),
        )
        .await
}

#[tokio::test]
async fn a_service_account_mints_its_token_and_mints_again_once_when_it_expires() {
    let mock = MockServer::start().await;
    let minted = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ServiceAccountTokens {
            audience: format!("{}/token", mock.uri()),
            minted: minted.clone(),
            first_lifetime: 3,
        })
        .mount(&mock)
        .await;
    for (token, times) in [("ya29.1", 1), ("ya29.2", 8)] {
        Mock::given(method("GET"))
            .and(path("/api/drive/v3/files"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "files": [] })))
            .expect(times)
            .mount(&mock)
            .await;
    }
    let (server, _defs) = server_with_def("googleish", &service_account_def(&mock)).await;

    let (status, connection) = create_service_account(&server, "sa-1", PKCS8).await;
    assert_eq!(status, StatusCode::CREATED, "{connection}");
    assert_eq!(connection["status"], "active");
    assert!(connection["expires_at"].is_string(), "{connection}");
    assert!(!connection.to_string().contains("PRIVATE KEY"));
    let (status, body) = server.get("/v1/proxy/sa-1/drive/v3/files").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The first token lives 3 s; once it is near its end, a burst mints once.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let calls = (0..8).map(|_| {
        let request = server.request(reqwest::Method::GET, "/v1/proxy/sa-1/drive/v3/files");
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert!(
        statuses.iter().all(|status| *status == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(minted.load(Ordering::SeqCst), 2);
    let (status, token) = server.get("/v1/connections/sa-1/token").await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "ya29.2");
}

#[tokio::test]
async fn a_refused_assertion_at_a_mint_asks_for_new_credentials() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ServiceAccountTokens {
            audience: format!("{}/token", mock.uri()),
            minted: Arc::default(),
            first_lifetime: 3600,
        })
        .up_to_n_times(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_grant", "error_description": "Invalid JWT Signature." }),
        ))
        .mount(&mock)
        .await;
    let (server, _defs) = server_with_def("googleish", &service_account_def(&mock)).await;
    let (status, body) = create_service_account(&server, "sa-2", PKCS1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server.post("/v1/connections/sa-2/refresh", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "needs_reauth");
    let (_, connection) = server.get("/v1/connections/sa-2").await;
    assert_eq!(connection["status"], "needs_reauth", "{connection}");
}

#[tokio::test]
async fn a_service_account_key_that_is_not_a_key_is_refused_and_nothing_is_stored() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_def("googleish", &service_account_def(&mock)).await;
    for bad in ["not a key", PUBLIC] {
        let (status, body) = create_service_account(&server, "sa-3", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&body), "invalid_input");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("credentials.private_key: "),
            "{body}"
        );
    }
    let (status, body) = server
        .post(
            "/v1/connections",
            json!({ "connector": "googleish", "credentials": { "private_key": PKCS8 } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("credentials.issuer"), "{body}");
    let (status, _) = server.get("/v1/connections/sa-3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(mock.received_requests().await.unwrap().is_empty());
}

/// GitHub's installation token endpoint: checks the app JWT, then answers token `ghs_{n}`,
/// the first expiring in `first_lifetime` seconds and the others in an hour.
struct InstallationTokens {
    minted: Arc<AtomicUsize>,
    first_lifetime: i64,
}

impl Respond for InstallationTokens {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let claims = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "))
            .and_then(verified);
        let valid = request.headers.get("accept").and_then(|v| v.to_str().ok())
            == Some("application/vnd.github+json")
            && claims.as_ref().is_some_and(|claims| {
                claims["iss"] == "app-42"
                    && claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap() == 600
            });
        if !valid {
            return ResponseTemplate::new(401)
                .set_body_json(json!({ "message": format!("bad app JWT: {claims:?}") }));
        }
        let n = self.minted.fetch_add(1, Ordering::SeqCst) + 1;
        let lifetime = if n == 1 { self.first_lifetime } else { 3600 };
        let expires_at = (chrono::Utc::now() + chrono::Duration::seconds(lifetime))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        ResponseTemplate::new(201).set_body_json(json!({
            "token": format!("ghs_{n}"),
            "expires_at": expires_at,
            "permissions": { "contents": "read" },
        }))
    }
}

fn installation_def(mock: &MockServer) -> String {
    format!(
        "name: githubish\nversion: 1.0.0\nbase_url: {0}/api\n\
         connection_config:\n  installation_id: {{ required: true, pattern: '[0-9]+' }}\n\
         auth:\n  kind: app_jwt\n  token_url: {0}/app/installations/{{connection_config.installation_id}}/access_tokens\n",
        mock.uri()
    )
}

#[tokio::test]
async fn an_app_installation_mints_its_token_with_the_integration_key_and_again_after_expires_at() {
    let mock = MockServer::start().await;
    let minted = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/app/installations/977/access_tokens"))
        .respond_with(InstallationTokens {
            minted: minted.clone(),
            first_lifetime: 3,
        })
        .mount(&mock)
        .await;
    for token in ["ghs_1", "ghs_2"] {
        Mock::given(method("GET"))
            .and(path("/api/repos/o/r"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": 1 })))
            .expect(1)
            .mount(&mock)
            .await;
    }
    let (server, _defs) = server_with_def("githubish", &installation_def(&mock)).await;
    let (status, body) = server
        .put(
            "/v1/integrations/githubish",
            json!({ "client_id": "app-42", "private_key": PKCS1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.to_string().contains("PRIVATE KEY"), "{body}");
    let (_, body) = server.get("/v1/integrations/githubish").await;
    assert!(!body.to_string().contains("PRIVATE KEY"), "{body}");

    let (status, connection) = server
        .post(
            "/v1/connections",
            json!({ "connector": "githubish", "connection_id": "gh-1", "connection_config": { "installation_id": "977" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connection}");
    assert!(connection["expires_at"].is_string(), "{connection}");
    let (status, body) = server.get("/v1/proxy/gh-1/repos/o/r").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, body) = server.get("/v1/proxy/gh-1/repos/o/r").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(minted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_app_integration_needs_a_usable_key_and_an_installation_id() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_def("githubish", &installation_def(&mock)).await;
    for input in [
        json!({ "client_id": "app-42", "private_key": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n" }),
        json!({ "client_id": "app-42", "private_key": PUBLIC }),
        json!({ "client_id": "app-42" }),
        json!({ "private_key": PKCS8 }),
    ] {
        let (status, body) = server.put("/v1/integrations/githubish", input).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&body), "invalid_input");
        assert!(body.to_string().contains("private_key"), "{body}");
    }
    let (status, _) = server.get("/v1/integrations/githubish").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = server
        .put(
            "/v1/integrations/githubish",
            json!({ "client_id": "app-42", "private_key": PKCS8 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .post(
            "/v1/connections",
            json!({ "connector": "githubish", "connection_config": { "installation_id": "../x" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_input");
    assert!(mock.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_app_integration_from_the_environment_without_a_key_is_an_invalid_integration() {
    let mock = MockServer::start().await;
    let (server, defs) = server_with_def("githubish", &installation_def(&mock)).await;
    // `GITHUBISH_CLIENT_ID` alone: an integration, but no key to sign the app JWT with.
    let process = ServerProcess::spawn_with(
        &server,
        &[
            ("CONNECTOR_DEFS_DIR", defs.path().to_str().unwrap()),
            ("GITHUBISH_CLIENT_ID", "app-42"),
        ],
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/connections", process.url))
        .bearer_auth(crate::common::SECRET_KEY)
        .json(
            &json!({ "connector": "githubish", "connection_config": { "installation_id": "977" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "integration_invalid", "{body}");
    assert!(body.to_string().contains("private_key"), "{body}");
    assert!(mock.received_requests().await.unwrap().is_empty());
}
