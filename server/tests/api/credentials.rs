//! Named credential fields: placed by the definition's templates through the proxy, checked
//! when a connection is created, a connection's own OAuth client, verify with several paths.

use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Options, TestServer, error_code, token_response};

/// A server loading `definitions` (file name, YAML) from a CONNECTOR_DEFS_DIR.
async fn server_with(definitions: &[(&str, String)]) -> (TestServer, tempfile::TempDir) {
    let defs = tempfile::tempdir().unwrap();
    for (file, text) in definitions {
        std::fs::write(defs.path().join(file), text).unwrap();
    }
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    (server, defs)
}

fn templated(base: &str) -> (&'static str, String) {
    (
        "acme_templated.yaml",
        format!(
            "name: acme_templated\nversion: 1.0.0\nbase_url: {base}/api\n\
             connection_config:\n  region: {{ required: false, default: eu }}\n\
             auth:\n  kind: api_key\n  credentials: [api_key, account_id]\n  headers:\n    \
             Authorization: 'Token token={{credentials.api_key}}'\n  query:\n    \
             account: '{{credentials.account_id}}-{{connection_config.region}}'\n"
        ),
    )
}

#[tokio::test]
async fn templates_place_named_credentials_through_the_proxy() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with(&[templated(&mock.uri())]).await;
    Mock::given(method("GET"))
        .and(path("/api/things"))
        .and(header("authorization", "Token token=key-1"))
        .and(query_param("account", "acct-7-eu"))
        .and(query_param("q", "x"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .expect(1)
        .mount(&mock)
        .await;
    let (status, created) = server
        .post(
            "/v1/connections",
            json!({
                "connector": "acme_templated",
                "connection_id": "t-1",
                "credentials": { "api_key": "key-1", "account_id": "acct-7" },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains("key-1"), "{created}");
    let (status, body) = server.get("/v1/proxy/t-1/things?q=x").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "ok": true }));

    let (_, connector) = server.get("/v1/connectors/acme_templated").await;
    assert_eq!(
        connector["credential_fields"],
        json!(["api_key", "account_id"])
    );
    let (_, list) = server.get("/v1/connectors?q=gmail").await;
    let gmail = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|connector| connector["name"] == "gmail")
        .unwrap();
    assert_eq!(gmail["credential_fields"], json!([]));
}

#[tokio::test]
async fn missing_and_unknown_credential_fields_are_400s_naming_them() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with(&[templated(&mock.uri())]).await;
    let (status, body) = server
        .post(
            "/v1/connections",
            json!({ "connector": "acme_templated", "credentials": { "api_key": "key-1" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_input");
    assert_eq!(body["error"]["details"]["field"], "credentials.account_id");

    let (status, body) = server
        .post(
            "/v1/connections",
            json!({ "connector": "acme_templated", "credentials": { "api_key": "k", "acount_id": "a" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_input");
    assert_eq!(body["error"]["details"]["field"], "credentials.acount_id");
    assert_eq!(body["error"]["details"]["suggestion"], "account_id");
    let (_, list) = server.get("/v1/connections").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn a_connection_with_its_own_client_fetches_every_token_with_it() {
    let mock = MockServer::start().await;
    let base = mock.uri();
    let (server, _defs) = server_with(&[(
        "acme_tenant_app.yaml",
        format!(
            "name: acme_tenant_app\nversion: 1.0.0\nbase_url: {base}/api\n\
             auth: {{ kind: oauth2_client_credentials, token_url: {base}/token, credentials: [client_id, client_secret] }}\n"
        ),
    )])
    .await;
    // No integration: the connection brings the client.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=own-client"))
        .and(body_string_contains("client_secret=own-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("own-token", None)))
        .expect(2)
        .mount(&mock)
        .await;
    Mock::given(path("/api/me"))
        .and(header("authorization", "Bearer own-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "me": 1 })))
        .expect(1)
        .mount(&mock)
        .await;
    let (_, connector) = server.get("/v1/connectors/acme_tenant_app").await;
    assert_eq!(
        connector["credential_fields"],
        json!(["client_id", "client_secret"])
    );
    let (status, body) = server
        .post(
            "/v1/connections",
            json!({ "connector": "acme_tenant_app", "connection_id": "own", "credentials": { "client_id": "own-client" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["details"]["field"],
        "credentials.client_secret"
    );
    let (status, created) = server
        .post(
            "/v1/connections",
            json!({
                "connector": "acme_tenant_app",
                "connection_id": "own",
                "credentials": { "client_id": "own-client", "client_secret": "own-secret" },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // The next token comes from the connection's own client too.
    let (status, body) = server.post("/v1/connections/own/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server.get("/v1/proxy/own/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn verified_by_two_paths(base: &str) -> (&'static str, String) {
    (
        "acme_two_checks.yaml",
        format!(
            "name: acme_two_checks\nversion: 1.0.0\nbase_url: {base}/api\n\
             auth: {{ kind: bearer }}\n\
             verify: {{ method: GET, paths: [/v2/me, /v1/me] }}\n"
        ),
    )
}

async fn create_checked(server: &TestServer) -> (StatusCode, serde_json::Value) {
    server
        .post(
            "/v1/connections",
            json!({ "connector": "acme_two_checks", "connection_id": "two", "credentials": { "token": "tok" } }),
        )
        .await
}

#[tokio::test]
async fn verify_tries_its_paths_in_order_until_one_decides() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with(&[verified_by_two_paths(&mock.uri())]).await;
    Mock::given(path("/api/v2/me"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&mock)
        .await;
    Mock::given(path("/api/v1/me"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .mount(&mock)
        .await;
    let (status, body) = create_checked(&server).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_credentials");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("GET /v1/me"),
        "{body}"
    );
    let (status, _) = server.get("/v1/connections/two").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    Mock::given(path("/api/v1/me"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&mock)
        .await;
    let (status, body) = create_checked(&server).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn verify_that_no_path_decides_is_a_502() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with(&[verified_by_two_paths(&mock.uri())]).await;
    Mock::given(path("/api/v2/me"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(path("/api/v1/me"))
        .respond_with(ResponseTemplate::new(410))
        .expect(1)
        .mount(&mock)
        .await;
    let (status, body) = create_checked(&server).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(error_code(&body), "verification_failed");
    assert_eq!(body["error"]["details"]["status"], 410);
}
