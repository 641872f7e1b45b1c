//! Connections from credentials of every auth kind, run-time definitions, listing, deletion,
//! and the error answers of bad input.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sea_orm::EntityTrait;
use serde_json::json;
use wiremock::matchers::{basic_auth, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    Options, SECRET_KEY, TestServer, error_code, in_an_hour, send, token_response,
};

/// A server with run-time definitions (CONNECTOR_DEFS_DIR) whose API is `mock`.
async fn server_with_runtime_defs(mock: &MockServer) -> (TestServer, tempfile::TempDir) {
    let defs = tempfile::tempdir().unwrap();
    let base = mock.uri();
    let files = [
        (
            "acme_keys.yaml",
            format!(
                "name: acme_keys\nversion: 1.0.0\nbase_url: {base}/api\nauth: {{ kind: api_key, in: header, name: X-Api-Key }}\nrate_limit: {{ requests: 2, per_seconds: 1 }}\nendpoints:\n  ping: {{ method: GET, path: /ping }}\n"
            ),
        ),
        (
            "acme_basic.yaml",
            format!(
                "name: acme_basic\nversion: 1.0.0\nbase_url: {base}/api\nauth: {{ kind: basic }}\nendpoints:\n  ping: {{ method: GET, path: /ping }}\n"
            ),
        ),
        (
            "acme_bearer.yaml",
            format!(
                "name: acme_bearer\nversion: 1.0.0\nbase_url: {base}/api\nauth: {{ kind: bearer }}\nendpoints:\n  ping: {{ method: GET, path: /ping }}\n"
            ),
        ),
        (
            "acme_machine.yaml",
            format!(
                "name: acme_machine\nversion: 2.1.0\nbase_url: {base}/api\nauth: {{ kind: oauth2_client_credentials, token_url: {base}/token, scopes: [read] }}\nendpoints:\n  ping: {{ method: GET, path: /ping }}\n"
            ),
        ),
        (
            "acme_slow.yaml",
            format!(
                "name: acme_slow\nversion: 1.0.0\nbase_url: {base}/slow\nauth: {{ kind: none }}\ntimeout_ms: 300\nretry: {{ max_attempts: 1 }}\nendpoints:\n  ping: {{ method: GET, path: /ping }}\n"
            ),
        ),
        ("not-yaml.txt", "ignored".to_owned()),
    ];
    for (file, text) in files {
        std::fs::write(defs.path().join(file), text).unwrap();
    }
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    (server, defs)
}

async fn create(server: &TestServer, body: serde_json::Value) -> serde_json::Value {
    let (status, created) = server.post("/v1/connections", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

#[tokio::test]
async fn each_auth_kind_puts_its_credential_where_the_definition_says() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_runtime_defs(&mock).await;
    Mock::given(path("/api/ping"))
        .and(header("x-api-key", "key-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("keys"))
        .mount(&mock)
        .await;
    Mock::given(path("/api/ping"))
        .and(basic_auth("ann", "pw"))
        .respond_with(ResponseTemplate::new(200).set_body_string("basic"))
        .mount(&mock)
        .await;
    Mock::given(path("/api/ping"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("bearer"))
        .mount(&mock)
        .await;
    Mock::given(path("/api/ping"))
        .and(header("authorization", "Bearer machine-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("machine"))
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("machine-1", None)))
        .expect(1)
        .mount(&mock)
        .await;
    let (status, _) = server
        .put(
            "/v1/integrations/acme_machine",
            json!({ "client_id": "m", "client_secret": "s" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    create(&server, json!({ "connector": "acme_keys", "connection_id": "k", "credentials": { "api_key": "key-1" } })).await;
    create(&server, json!({ "connector": "acme_basic", "connection_id": "b", "credentials": { "username": "ann", "password": "pw" } })).await;
    create(&server, json!({ "connector": "acme_bearer", "connection_id": "t", "credentials": { "token": "tok-1" } })).await;
    let machine = create(
        &server,
        json!({ "connector": "acme_machine", "connection_id": "m" }),
    )
    .await;
    assert!(
        machine["expires_at"].is_string(),
        "the client-credentials token was fetched now"
    );

    for (id, expected) in [
        ("k", "keys"),
        ("b", "basic"),
        ("t", "bearer"),
        ("m", "machine"),
    ] {
        let (status, body) = server.get(&format!("/v1/proxy/{id}/ping")).await;
        assert_eq!(status, StatusCode::OK, "{id}");
        assert_eq!(body, expected);
    }
}

#[tokio::test]
async fn run_time_definitions_are_listed_untyped() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_runtime_defs(&mock).await;
    let (status, list) = server.get("/v1/connectors?q=acme").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "acme_basic",
            "acme_bearer",
            "acme_keys",
            "acme_machine",
            "acme_slow"
        ]
    );
    let (_, machine) = server.get("/v1/connectors/acme_machine").await;
    assert_eq!(machine["typed"], false);
    assert_eq!(machine["version"], "2.1.0");
    assert_eq!(machine["auth_kind"], "oauth2_client_credentials");
    let (_, gmail) = server.get("/v1/connectors/gmail").await;
    assert_eq!(gmail["typed"], true);
    assert_eq!(gmail["source"], "builtin");
    assert!(
        gmail["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "list_messages" && e["paginated"] == true)
    );
    let (status, body) = server.get("/v1/connectors/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connector_not_found");
}

#[tokio::test]
async fn an_invalid_run_time_definition_stops_the_start_with_its_location() {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(defs.path().join("bad.yaml"), "name: bad\nversion: 1.0.0\nbase_url: https://x.example\nauth: { kind: bearer }\nendpoints:\n  get:\n    method: GET\n    path: /items/{id}\n").unwrap();
    let config = connector_server::Config {
        database_url: Some("sqlite::memory:".into()),
        defs_dir: Some(defs.path().to_path_buf()),
        ..Default::default()
    };
    let error = connector_server::start(&config)
        .await
        .err()
        .expect("the start fails");
    assert!(error.contains("bad.yaml:8:"), "{error}");
    assert!(error.contains("{id}"), "{error}");
}

#[tokio::test]
async fn the_connectors_rate_limit_is_enforced() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_runtime_defs(&mock).await;
    Mock::given(path("/api/ping"))
        .respond_with(ResponseTemplate::new(200))
        .expect(4)
        .mount(&mock)
        .await;
    create(&server, json!({ "connector": "acme_keys", "connection_id": "rl", "credentials": { "api_key": "k" } })).await;
    let started = Instant::now();
    for _ in 0..4 {
        let (status, _) = server.get("/v1/proxy/rl/ping").await;
        assert_eq!(status, StatusCode::OK);
    }
    // 2 requests a second: the 3rd waits for the next window.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_are_listed_by_page_and_filter_got_and_deleted() {
    let server = TestServer::start().await;
    for i in 0..5 {
        let user = if i % 2 == 0 { "even" } else { "odd" };
        create(
            &server,
            json!({ "connector": "gmail", "connection_id": format!("c-{i}"), "end_user_id": user, "metadata": { "i": i }, "credentials": { "access_token": "secret-access", "refresh_token": "secret-refresh", "expires_at": in_an_hour() } }),
        )
        .await;
    }
    let (_, first) = server.get("/v1/connections?limit=2").await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = server
        .get(&format!("/v1/connections?limit=2&cursor={cursor}"))
        .await;
    let (_, third) = server
        .get(&format!(
            "/v1/connections?limit=2&cursor={}",
            second["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(third["data"].as_array().unwrap().len(), 1);
    assert!(third.get("next_cursor").is_none());
    let ids: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|page| {
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(ids, ["c-0", "c-1", "c-2", "c-3", "c-4"]);

    let (_, odd) = server
        .get("/v1/connections?end_user_id=odd&connector=gmail")
        .await;
    assert_eq!(odd["data"].as_array().unwrap().len(), 2);
    let (_, none) = server.get("/v1/connections?connector=dropbox").await;
    assert!(none["data"].as_array().unwrap().is_empty());

    let (status, one) = server.get("/v1/connections/c-3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["metadata"]["i"], 3);
    assert_eq!(one["end_user_id"], "odd");
    assert!(
        !one.to_string().contains("secret-"),
        "no secrets in a connection"
    );

    // Secrets are sealed at rest.
    let stored = connector_server::db::entities::credential::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
    assert!(
        stored
            .iter()
            .all(|row| !row.sealed.contains("secret-") && row.version == 1)
    );

    let (status, _) = server.delete("/v1/connections/c-3").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server.get("/v1/connections/c-3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connection_not_found");
    let (status, _) = server.delete("/v1/connections/c-3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let stored = connector_server::db::entities::credential::Entity::find_by_id("c-3")
        .one(&server.state.db)
        .await
        .unwrap();
    assert!(stored.is_none(), "its secrets are gone");

    for query in ["limit=0", "limit=500", "cursor=%%%"] {
        let (status, body) = server.get(&format!("/v1/connections?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        error_code(&body);
    }
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_the_error_body() {
    let server = TestServer::start().await;
    create(&server, json!({ "connector": "gmail", "connection_id": "dup", "credentials": { "access_token": "a" } })).await;
    let cases = [
        (
            json!({ "connector": "gmail", "connection_id": "dup", "credentials": { "access_token": "a" } }),
            StatusCode::CONFLICT,
            "connection_exists",
        ),
        (
            json!({ "connector": "nope", "credentials": { "token": "a" } }),
            StatusCode::NOT_FOUND,
            "connector_not_found",
        ),
        (
            json!({ "connector": "gmail" }),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            json!({ "connector": "gmail", "connection_id": "has space", "credentials": { "access_token": "a" } }),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            json!({ "connector": "gmail", "connection_config": { "tenant": "x" }, "credentials": { "access_token": "a" } }),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            json!({ "connector": ["gmail"] }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (input, status, code) in cases {
        let (got, body) = server.post("/v1/connections", input.clone()).await;
        assert_eq!(got, status, "{input}: {body}");
        assert_eq!(error_code(&body), code, "{input}");
    }
    let (status, body) = send(
        server
            .request(Method::POST, "/v1/connections")
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_request");
    let answer = crate::common::announce_oversized(
        &server.url,
        "/v1/connections",
        3 * 1024 * 1024,
        &format!("Authorization: Bearer {SECRET_KEY}\r\n"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    let (status, body) = server.get("/v1/connections/dup/token").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .put(
            "/v1/integrations/gmail",
            json!({ "client_id": "", "client_secret": "s" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_input");
    let (status, body) = server
        .put(
            "/v1/integrations/gmail",
            json!({ "client_id": "c", "client_secret": "s", "token_url": "ftp://x" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_input");
}

#[tokio::test]
async fn integrations_are_stored_without_showing_the_secret() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/v1/integrations/dropbox").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "integration_not_found");
    let (status, body) = server
        .put("/v1/integrations/dropbox", json!({ "client_id": "app-key", "client_secret": "app-secret", "scopes": ["files.metadata.read"] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, got) = server.get("/v1/integrations/dropbox").await;
    assert_eq!(got["client_id"], "app-key");
    assert_eq!(got["source"], "api");
    assert_eq!(got["scopes"][0], "files.metadata.read");
    assert!(!got.to_string().contains("app-secret"));
    let stored = connector_server::db::entities::integration::Entity::find_by_id("dropbox")
        .one(&server.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.client_secret.contains("app-secret"),
        "sealed at rest"
    );
    let (status, _) = server.delete("/v1/integrations/dropbox").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.get("/v1/integrations/dropbox").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = SECRET_KEY;
}

#[tokio::test]
async fn a_provider_that_hangs_is_a_504() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_runtime_defs(&mock).await;
    Mock::given(path("/slow/ping"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&mock)
        .await;
    create(
        &server,
        json!({ "connector": "acme_slow", "connection_id": "slow" }),
    )
    .await;
    let started = Instant::now();
    let (status, body) = server.get("/v1/proxy/slow/ping").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(error_code(&body), "upstream_timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// Format 1.1: a run-time definition without endpoints (proxy-only) whose base URL takes a
/// `subdomain` constrained by a pattern, served from `mock`.
async fn server_with_proxy_only_def(mock: &MockServer) -> (TestServer, tempfile::TempDir) {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(
        defs.path().join("acme_proxy.yaml"),
        format!(
            "name: acme_proxy\nversion: 1.0.0\nbase_url: {}/{{connection_config.subdomain}}/api\n\
             auth: {{ kind: api_key, in: header, name: X-Api-Key }}\n\
             connection_config:\n  subdomain:\n    pattern: '[a-z][a-z0-9-]*'\n    example: acme\n    description: the account's name\n",
            mock.uri()
        ),
    )
    .unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    (server, defs)
}

#[tokio::test]
async fn a_run_time_definition_without_endpoints_is_listed_and_proxied() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_proxy_only_def(&mock).await;
    let (status, connector) = server.get("/v1/connectors/acme_proxy").await;
    assert_eq!(status, StatusCode::OK, "{connector}");
    assert_eq!(connector["endpoints"], json!([]));
    assert_eq!(connector["typed"], false);
    assert_eq!(
        connector["connection_config"],
        json!({ "subdomain": { "required": true, "pattern": "[a-z][a-z0-9-]*", "example": "acme", "description": "the account's name" } })
    );

    Mock::given(path("/acme/api/tickets"))
        .and(header("x-api-key", "key-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("tickets"))
        .expect(1)
        .mount(&mock)
        .await;
    create(
        &server,
        json!({ "connector": "acme_proxy", "connection_id": "p", "connection_config": { "subdomain": "acme" }, "credentials": { "api_key": "key-1" } }),
    )
    .await;
    let (status, body) = send(server.request(Method::GET, "/v1/proxy/p/tickets")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "tickets");
}

#[tokio::test]
async fn a_connection_config_value_off_its_pattern_is_refused_and_nothing_is_stored() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_proxy_only_def(&mock).await;
    for subdomain in ["Acme", "acme/../other", "acme.evil.example", ""] {
        let (status, body) = server
            .post(
                "/v1/connections",
                json!({ "connector": "acme_proxy", "connection_id": "p", "connection_config": { "subdomain": subdomain }, "credentials": { "api_key": "key-1" } }),
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
            message.contains("connection_config.subdomain")
                && message.contains("`[a-z][a-z0-9-]*`"),
            "{message}"
        );
    }
    let (status, _) = server.get("/v1/connections/p").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let stored = connector_server::db::entities::connection::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert!(stored.is_empty());
}

/// Format 1.1: an api_key definition with `verify`, a connection_config value in a header,
/// and categories, served from `mock`.
async fn server_with_verified_def(mock: &MockServer) -> (TestServer, tempfile::TempDir) {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(
        defs.path().join("acme_verified.yaml"),
        format!(
            "name: acme_verified\nversion: 1.0.0\nbase_url: {}/api\n\
             auth: {{ kind: api_key, in: header, name: X-Api-Key }}\n\
             connection_config:\n  account: {{ description: the account id }}\n\
             headers: {{ X-Account: 'acct-{{connection_config.account}}' }}\n\
             categories: [crm, dev-tools]\n\
             verify: {{ method: GET, path: /me }}\n",
            mock.uri()
        ),
    )
    .unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    (server, defs)
}

fn verified_connection(api_key: &str) -> serde_json::Value {
    json!({
        "connector": "acme_verified",
        "connection_id": "v",
        "connection_config": { "account": "42" },
        "credentials": { "api_key": api_key },
    })
}

async fn nothing_is_stored(server: &TestServer) {
    let (status, _) = server.get("/v1/connections/v").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let stored = connector_server::db::entities::connection::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert!(stored.is_empty());
}

#[tokio::test]
async fn verify_accepts_a_credential_the_provider_accepts() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_verified_def(&mock).await;
    // The check carries the credential and the headers where the definition puts them.
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(header("x-api-key", "good-key"))
        .and(header("x-account", "acct-42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": 1 })))
        .expect(1)
        .mount(&mock)
        .await;
    let created = create(&server, verified_connection("good-key")).await;
    assert_eq!(created["id"], "v");
    let (status, _) = server.get("/v1/connections/v").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn verify_refuses_a_credential_the_provider_refuses_and_stores_nothing() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_verified_def(&mock).await;
    for refusal in [401, 403] {
        mock.reset().await;
        Mock::given(path("/api/me"))
            .and(header("x-api-key", "bad-key"))
            .respond_with(ResponseTemplate::new(refusal))
            .expect(1)
            .mount(&mock)
            .await;
        let (status, body) = server
            .post("/v1/connections", verified_connection("bad-key"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&body), "invalid_credentials");
        assert_eq!(body["error"]["details"]["status"], refusal);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&refusal.to_string()) && message.contains("GET /me"),
            "{message}"
        );
        nothing_is_stored(&server).await;
    }
}

#[tokio::test]
async fn verify_that_cannot_decide_is_a_502_and_stores_nothing() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_verified_def(&mock).await;
    Mock::given(path("/api/me"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&mock)
        .await;
    let (status, body) = server
        .post("/v1/connections", verified_connection("some-key"))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(error_code(&body), "verification_failed");
    assert_eq!(body["error"]["details"]["status"], 404);
    nothing_is_stored(&server).await;
}

#[tokio::test]
async fn connectors_show_their_categories() {
    let mock = MockServer::start().await;
    let (server, _defs) = server_with_verified_def(&mock).await;
    let (status, connector) = server.get("/v1/connectors/acme_verified").await;
    assert_eq!(status, StatusCode::OK, "{connector}");
    assert_eq!(connector["categories"], json!(["crm", "dev-tools"]));
    let (_, list) = server.get("/v1/connectors?q=gmail").await;
    let gmail = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|connector| connector["name"] == "gmail")
        .unwrap();
    assert_eq!(gmail["categories"], json!(["popular", "productivity"]));
}

/// Deletes read the connection before they write: with another writer committing all the
/// while (the call log, the deliverer), none may fail (on SQLite a deferred transaction
/// would, with SQLITE_BUSY_SNAPSHOT).
#[tokio::test]
async fn deletes_succeed_while_another_writer_commits() {
    use connector_server::db::entities::call_log;
    use sea_orm::ActiveValue::{NotSet, Set};

    let server = TestServer::start().await;
    for n in 0..30 {
        server
            .import_tokens(&format!("busy-{n}"), "a", Some("r"), in_an_hour())
            .await;
    }
    let db = server.state.db.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let stop = stop.clone();
        async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                call_log::Entity::insert(call_log::ActiveModel {
                    id: NotSet,
                    at: Set(chrono::Utc::now()),
                    connection_id: Set(None),
                    connector: Set(None),
                    kind: Set("proxy".into()),
                    method: Set("GET".into()),
                    path: Set("/".into()),
                    status: Set(Some(200)),
                    duration_ms: Set(1),
                    attempts: Set(1),
                    error: Set(None),
                })
                .exec_without_returning(&db)
                .await
                .unwrap();
            }
        }
    });
    let deletes = (0..30).map(|n| {
        let server = &server;
        async move { server.delete(&format!("/v1/connections/busy-{n}")).await }
    });
    let answers = futures_util::future::join_all(deletes).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    for (status, body) in answers {
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
}
