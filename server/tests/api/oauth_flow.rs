//! The authorization-code flow with PKCE: authorize, the provider's redirect to the callback,
//! the code exchange, and the ways a callback must fail.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use connector_server::state::Settings;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Options, TestServer, error_code, token_response};

/// Matches a token request whose `code_verifier` hashes (S256) to `challenge`.
struct PkceVerifierMatches {
    challenge: String,
}

impl wiremock::Match for PkceVerifierMatches {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        form.get("code_verifier").is_some_and(|verifier| {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == self.challenge
        })
    }
}

async fn authorize(server: &TestServer, body: Value) -> (Value, HashMap<String, String>) {
    let (status, started) = server.post("/v1/oauth/authorize", body).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let url = url::Url::parse(started["authorization_url"].as_str().unwrap()).unwrap();
    let query = url.query_pairs().into_owned().collect();
    (started, query)
}

async fn callback(server: &TestServer, query: &[(&str, &str)]) -> reqwest::Response {
    server
        .http
        .get(format!("{}/oauth/callback", server.url))
        .query(query)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://app.example.com/done?"),
        "{location}"
    );
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn the_code_flow_with_pkce_creates_a_connection() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;

    let (started, query) = authorize(
        &server,
        json!({ "connector": "gmail", "connection_id": "oauth-1", "end_user_id": "user-7", "redirect_url": "https://app.example.com/done" }),
    )
    .await;
    assert_eq!(started["connection_id"], "oauth-1");
    let state = started["state"].as_str().unwrap();
    assert!(
        started["authorization_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/authorize?", mock.uri()))
    );
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "client-1");
    assert_eq!(
        query["redirect_uri"],
        format!("{}/oauth/callback", server.url)
    );
    assert_eq!(query["state"], state);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(
        query["access_type"], "offline",
        "the definition's authorization_params"
    );
    assert!(
        query["scope"].contains("https://www.googleapis.com/auth/gmail"),
        "{}",
        query["scope"]
    );

    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(PkceVerifierMatches {
            challenge: query["code_challenge"].clone(),
        })
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_response("at-1", Some("rt-1"))),
        )
        .expect(1)
        .mount(&mock)
        .await;

    let response = callback(&server, &[("code", "the-code"), ("state", state)]).await;
    let back = location(&response);
    assert_eq!(back["connection_id"], "oauth-1");
    assert_eq!(back["status"], "active");

    let (status, connection) = server.get("/v1/connections/oauth-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(connection["status"], "active");
    assert_eq!(connection["connector"], "gmail");
    assert_eq!(connection["end_user_id"], "user-7");
    assert!(connection["expires_at"].is_string());
    assert!(
        !connection.to_string().contains("at-1"),
        "a connection never shows its tokens"
    );
    let (_, token) = server.get("/v1/connections/oauth-1/token").await;
    assert_eq!(token["access_token"], "at-1");

    // The state is single-use.
    let replay = callback(&server, &[("code", "the-code"), ("state", state)]).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(replay.text().await.unwrap().contains("already used"));
}

#[tokio::test]
async fn a_wrong_pkce_verifier_fails_the_exchange() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    let (started, _) = authorize(
        &server,
        json!({ "connector": "gmail", "redirect_url": "https://app.example.com/done" }),
    )
    .await;
    // The provider only accepts the verifier of another challenge.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(PkceVerifierMatches {
            challenge: "not-the-challenge".into(),
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("at-1", None)))
        .expect(0)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_grant", "error_description": "code_verifier mismatch" }),
        ))
        .mount(&mock)
        .await;
    let response = callback(
        &server,
        &[("code", "c"), ("state", started["state"].as_str().unwrap())],
    )
    .await;
    let back = location(&response);
    assert_eq!(back["status"], "error");
    assert!(back["error"].contains("invalid_grant"), "{}", back["error"]);
    let (status, _) = server
        .get(&format!(
            "/v1/connections/{}",
            started["connection_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a failed exchange creates nothing"
    );
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let mock = MockServer::start().await;
    let server = TestServer::start_with(Options {
        settings: Settings {
            oauth_session_ttl: Duration::from_millis(1),
            ..Settings::default()
        },
        ..Options::default()
    })
    .await;
    server.integrate("gmail", &mock.uri()).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("at", None)))
        .expect(0)
        .mount(&mock)
        .await;
    let (started, _) = authorize(
        &server,
        json!({ "connector": "gmail", "redirect_url": "https://app.example.com/done" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let response = callback(
        &server,
        &[("code", "c"), ("state", started["state"].as_str().unwrap())],
    )
    .await;
    let back = location(&response);
    assert_eq!(back["status"], "error");
    assert!(back["error"].contains("expired"), "{}", back["error"]);
}

#[tokio::test]
async fn callbacks_without_a_known_state_or_with_a_provider_error_fail() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;

    let unknown = callback(&server, &[("code", "c"), ("state", "forged")]).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let missing = callback(&server, &[("code", "c")]).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);

    let (started, _) = authorize(
        &server,
        json!({ "connector": "gmail", "redirect_url": "https://app.example.com/done" }),
    )
    .await;
    let denied = callback(
        &server,
        &[
            ("error", "access_denied"),
            ("state", started["state"].as_str().unwrap()),
        ],
    )
    .await;
    let back = location(&denied);
    assert_eq!(back["status"], "error");
    assert!(back["error"].contains("access_denied"));
}

#[tokio::test]
async fn without_a_redirect_url_the_callback_shows_a_page() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("at", Some("rt"))))
        .mount(&mock)
        .await;
    let (started, _) = authorize(
        &server,
        json!({ "connector": "gmail", "connection_id": "page-1" }),
    )
    .await;
    let response = callback(
        &server,
        &[("code", "c"), ("state", started["state"].as_str().unwrap())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("page-1"));
}

#[tokio::test]
async fn authorize_refuses_what_it_cannot_do() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post("/v1/oauth/authorize", json!({ "connector": "nope" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connector_not_found");
    // No integration stored and none in the environment.
    let (status, body) = server
        .post("/v1/oauth/authorize", json!({ "connector": "onedrive" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "integration_missing");
    let (status, body) = server
        .post(
            "/v1/oauth/authorize",
            json!({ "connector": "gmail", "redirect_url": "not a url" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = server
        .post(
            "/v1/oauth/authorize",
            json!({ "connector": "gmail", "connection_id": "bad id!" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_input");
}

/// Item 7: `{connection_config.x}` placeholders in the authorization and token URLs are filled
/// with the connection's values (a tenant), with the same checks as base URLs.
#[tokio::test]
async fn connection_config_placeholders_fill_the_oauth_urls() {
    let mock = MockServer::start().await;
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(
        defs.path().join("tenanted.yaml"),
        "name: tenanted\nversion: 1.0.0\nbase_url: https://api.example.com/{connection_config.tenant}\n\
         auth:\n  kind: oauth2\n  authorization_url: https://login.example.com/{connection_config.tenant}/oauth2/authorize\n  token_url: https://login.example.com/{connection_config.tenant}/oauth2/token\n\
         connection_config:\n  tenant: { required: true, description: the directory (tenant) id }\n\
         endpoints:\n  me: { method: GET, path: /me }\n",
    )
    .unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let (status, body) = server
        .put(
            "/v1/integrations/tenanted",
            json!({
                "client_id": "client-1",
                "client_secret": "secret-1",
                "token_url": format!("{}/{{connection_config.tenant}}/oauth2/token", mock.uri()),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Mock::given(method("POST"))
        .and(path("/contoso/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("at", Some("rt"))))
        .expect(1)
        .mount(&mock)
        .await;
    let (started, _) = authorize(
        &server,
        json!({ "connector": "tenanted", "connection_id": "t-1", "connection_config": { "tenant": "contoso" } }),
    )
    .await;
    let url = started["authorization_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://login.example.com/contoso/oauth2/authorize?"),
        "{url}"
    );
    let response = callback(
        &server,
        &[("code", "c"), ("state", started["state"].as_str().unwrap())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, connection) = server.get("/v1/connections/t-1").await;
    assert_eq!(status, StatusCode::OK, "{connection}");
    assert_eq!(connection["status"], "active");

    // A value that would change the host or climb the path is refused before any request.
    for tenant in ["evil.example/", "..", "a@b"] {
        let (status, body) = server
            .post(
                "/v1/oauth/authorize",
                json!({ "connector": "tenanted", "connection_config": { "tenant": tenant } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tenant}: {body}");
    }
}

/// The callback URL carries the code and state: whatever it answers is not cached, framed,
/// or referred to.
fn assert_page_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn every_callback_outcome_sends_the_page_headers() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;

    let unknown = callback(&server, &[("code", "c"), ("state", "unknown")]).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_page_headers(&unknown);

    let (started, _) = authorize(
        &server,
        json!({ "connector": "gmail", "redirect_url": "https://app.example.com/done" }),
    )
    .await;
    let state = started["state"].as_str().unwrap();
    let redirect = callback(&server, &[("state", state), ("error", "access_denied")]).await;
    assert_eq!(location(&redirect)["status"], "error");
    assert_page_headers(&redirect);

    let (started, _) = authorize(&server, json!({ "connector": "gmail" })).await;
    let state = started["state"].as_str().unwrap();
    let page = callback(&server, &[("state", state), ("error", "access_denied")]).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert_page_headers(&page);
}

/// Format 1.1: a `connection_config` value is checked against its `pattern` before an
/// authorization starts; a mismatch is a 400 naming the field, and no session is stored.
#[tokio::test]
async fn an_authorization_with_a_connection_config_off_its_pattern_is_refused() {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(
        defs.path().join("desk.yaml"),
        "name: desk\nversion: 1.0.0\nbase_url: https://{connection_config.subdomain}.desk.example/api\n\
         auth:\n  kind: oauth2\n  authorization_url: https://{connection_config.subdomain}.desk.example/oauth/authorize\n  token_url: https://{connection_config.subdomain}.desk.example/oauth/token\n\
         connection_config:\n  subdomain: { pattern: '[a-z0-9-]+', example: acme }\n",
    )
    .unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let (status, body) = server
        .put(
            "/v1/integrations/desk",
            json!({ "client_id": "client-1", "client_secret": "secret-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for subdomain in ["evil.example/x", "Acme", ""] {
        let (status, body) = server
            .post(
                "/v1/oauth/authorize",
                json!({ "connector": "desk", "connection_config": { "subdomain": subdomain } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{subdomain}: {body}");
        assert_eq!(error_code(&body), "invalid_input");
        assert_eq!(
            body["error"]["details"]["field"],
            "connection_config.subdomain"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("connection_config.subdomain") && message.contains("`[a-z0-9-]+`"),
            "{message}"
        );
    }
    let sessions = connector_server::db::entities::oauth_session::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert!(sessions.is_empty(), "{sessions:?}");

    let (_, query) = authorize(
        &server,
        json!({ "connector": "desk", "connection_config": { "subdomain": "acme-2" } }),
    )
    .await;
    assert_eq!(query["client_id"], "client-1");
    let sessions = connector_server::db::entities::oauth_session::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
}

/// A server loading one test definition, `{name}.yaml`, with an integration for it.
async fn server_with_def(name: &str, yaml: &str) -> (TestServer, tempfile::TempDir) {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(defs.path().join(format!("{name}.yaml")), yaml).unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let (status, body) = server
        .put(
            &format!("/v1/integrations/{name}"),
            json!({ "client_id": "client-1", "client_secret": "secret-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (server, defs)
}

/// Authorizes connection `id` of `connector` through the callback; the token endpoint
/// answers as the test mounted it.
async fn connect(server: &TestServer, connector: &str, id: &str) {
    let (started, _) = authorize(
        server,
        json!({ "connector": connector, "connection_id": id }),
    )
    .await;
    let response = callback(
        server,
        &[("code", "c"), ("state", started["state"].as_str().unwrap())],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    let (status, connection) = server.get(&format!("/v1/connections/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{connection}");
    assert_eq!(connection["status"], "active", "{connection}");
}

/// Format 1.1, Slack: the user's token is in `authed_user`, and the proxy sends it.
#[tokio::test]
async fn a_token_nested_in_the_response_is_the_one_the_proxy_sends() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_def(
        "slackish",
        &format!(
            "name: slackish\nversion: 1.0.0\nbase_url: {0}/api\n\
             auth:\n  kind: oauth2\n  authorization_url: https://slack.example/oauth/v2/authorize\n  token_url: {0}/oauth.v2.access\n  access_token_path: authed_user.access_token\n",
            mock.uri()
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/oauth.v2.access"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "ok": true, "authed_user": { "id": "U1", "access_token": "xoxp-user-1" } }),
        ))
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/auth.test"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer xoxp-user-1",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .expect(1)
        .mount(&mock)
        .await;
    connect(&server, "slackish", "s-1").await;
    let (status, body) = server.get("/v1/proxy/s-1/auth.test").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Format 1.1, Salesforce: `instance_url` from the token response is kept into
/// connection_config and becomes the proxy's base URL; a caller cannot set it.
#[tokio::test]
async fn a_kept_instance_url_becomes_the_base_url() {
    let login = MockServer::start().await;
    let instance = MockServer::start().await;
    let (server, _defs) = server_with_def(
        "forceish",
        &format!(
            "name: forceish\nversion: 1.0.0\nbase_url: '{{connection_config.instance_url}}/services/data'\n\
             connection_config:\n  instance_url: {{ description: the org's own host }}\n\
             auth:\n  kind: oauth2\n  authorization_url: https://login.force.example/services/oauth2/authorize\n  token_url: {0}/services/oauth2/token\n  keep_from_token_response: [instance_url]\n",
            login.uri()
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "00D-token", "token_type": "Bearer", "instance_url": instance.uri(),
        })))
        .expect(1)
        .mount(&login)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v60.0/limits"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer 00D-token",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&instance)
        .await;
    connect(&server, "forceish", "sf-1").await;
    let (_, connection) = server.get("/v1/connections/sf-1").await;
    assert_eq!(
        connection["connection_config"]["instance_url"],
        instance.uri(),
        "{connection}"
    );
    let (status, body) = server.get("/v1/proxy/sf-1/v60.0/limits").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, connector) = server.get("/v1/connectors/forceish").await;
    assert_eq!(
        connector["connection_config"]["instance_url"]["required"], false,
        "{connector}"
    );

    // The origin comes from the provider only.
    let (status, body) = server
        .post(
            "/v1/oauth/authorize",
            json!({ "connector": "forceish", "connection_config": { "instance_url": "https://evil.example" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_input");
    assert_eq!(
        body["error"]["details"]["field"],
        "connection_config.instance_url"
    );
}

/// Format 1.1, Notion: the client authenticates with HTTP Basic at the token URL, and the
/// definition's token_params go with the code.
#[tokio::test]
async fn basic_client_auth_and_token_params_reach_the_token_endpoint() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_def(
        "notionish",
        &format!(
            "name: notionish\nversion: 1.0.0\nbase_url: {0}/v1\n\
             auth:\n  kind: oauth2\n  authorization_url: https://api.notion.example/v1/oauth/authorize\n  token_url: {0}/v1/oauth/token\n  pkce: false\n  token_auth_method: client_secret_basic\n  token_params: {{ audience: workspace }}\n",
            mock.uri()
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        // base64("client-1:secret-1")
        .and(wiremock::matchers::header(
            "authorization",
            "Basic Y2xpZW50LTE6c2VjcmV0LTE=",
        ))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("audience=workspace"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "access_token": "secret_notion", "token_type": "bearer", "workspace_id": "w1" }),
        ))
        .expect(1)
        .mount(&mock)
        .await;
    connect(&server, "notionish", "n-1").await;
    let sent = &mock.received_requests().await.unwrap()[0];
    let form: HashMap<String, String> = url::form_urlencoded::parse(&sent.body)
        .into_owned()
        .collect();
    assert!(!form.contains_key("client_secret"), "{form:?}");
}

/// A refresh whose answer carries a kept field again moves the connection there.
#[tokio::test]
async fn a_refresh_that_sends_the_instance_url_again_updates_it() {
    let login = MockServer::start().await;
    let (first, second) = (MockServer::start().await, MockServer::start().await);
    let (server, _defs) = server_with_def(
        "forceish",
        &format!(
            "name: forceish\nversion: 1.0.0\nbase_url: '{{connection_config.instance_url}}/services/data'\n\
             connection_config:\n  instance_url: {{}}\n\
             auth:\n  kind: oauth2\n  authorization_url: https://login.force.example/authorize\n  token_url: {0}/token\n  keep_from_token_response: [instance_url]\n",
            login.uri()
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at-1", "token_type": "Bearer", "expires_in": 1,
            "refresh_token": "rt-1", "instance_url": first.uri(),
        })))
        .mount(&login)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at-2", "token_type": "Bearer", "expires_in": 3600,
            "instance_url": second.uri(),
        })))
        .expect(1)
        .mount(&login)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/limits"))
        .and(wiremock::matchers::header("authorization", "Bearer at-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&second)
        .await;
    connect(&server, "forceish", "sf-2").await;
    // The access token is within its refresh margin (half its one-second lifetime).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, body) = server.get("/v1/proxy/sf-2/limits").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, connection) = server.get("/v1/connections/sf-2").await;
    assert_eq!(
        connection["connection_config"]["instance_url"],
        second.uri(),
        "{connection}"
    );
    assert!(first.received_requests().await.unwrap().is_empty());
}
