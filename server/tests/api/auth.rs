//! Every /v1 route needs the secret key; the public routes do not.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{TestServer, error_code, send};

#[tokio::test]
async fn every_v1_route_without_a_valid_key_is_401() {
    let server = TestServer::start().await;
    let (_, spec) = send(server.http.get(format!("{}/openapi.json", server.url))).await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        let concrete = path.replace("{connector}", "gmail").replace(['{', '}'], "");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = format!("{}{concrete}", server.url);
            for request in [
                server.http.request(method.clone(), &url),
                server
                    .http
                    .request(method.clone(), &url)
                    .bearer_auth("sk_wrong"),
                server
                    .http
                    .request(method.clone(), &url)
                    .header("Authorization", "Basic c2s6"),
            ] {
                let (status, body) = send(request.json(&serde_json::json!({}))).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
                assert_eq!(error_code(&body), "unauthorized");
                checked += 1;
            }
        }
    }
    assert!(checked >= 3 * 20, "only {checked} requests checked");
}

#[tokio::test]
async fn health_spec_and_docs_are_public() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/openapi.json", "/openapi.yaml", "/docs"] {
        let response = server
            .http
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let (_, health): (_, Value) = send(server.http.get(format!("{}/healthz", server.url))).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_error_body() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    let (status, body) = send(server.request(Method::PATCH, "/v1/connectors")).await;
    assert!(status.is_client_error(), "{status}");
    error_code(&body);
}

#[tokio::test]
async fn a_changed_secret_key_revokes_the_one_before() {
    let data = tempfile::tempdir().unwrap();
    let config = |key: Option<&str>| connector_server::Config {
        database_url: Some(format!(
            "sqlite://{}?mode=rwc",
            data.path().join("keys.db").display()
        )),
        data_dir: data.path().to_path_buf(),
        secret_key: key.map(str::to_owned),
        encryption_key: Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into()),
        ..Default::default()
    };
    // First start without a key: one is generated into the data folder.
    let first = connector_server::start(&config(None)).await.unwrap();
    let generated = std::fs::read_to_string(data.path().join("secret-key")).unwrap();
    assert!(first.state.accepts_key(generated.trim()));

    let second = connector_server::start(&config(Some("sk_chosen_one_0123456789abcdefghijk")))
        .await
        .unwrap();
    assert!(
        second
            .state
            .accepts_key("sk_chosen_one_0123456789abcdefghijk")
    );
    assert!(
        !second.state.accepts_key(generated.trim()),
        "the generated key is revoked"
    );
    assert!(
        second
            .notices
            .iter()
            .any(|notice| notice.contains("replaced 1")),
        "{:?}",
        second.notices
    );

    let third = connector_server::start(&config(Some("sk_chosen_two_0123456789abcdefghijk")))
        .await
        .unwrap();
    assert!(
        !third
            .state
            .accepts_key("sk_chosen_one_0123456789abcdefghijk"),
        "the previous key is revoked"
    );
    // A start without the variable keeps what is stored and generates nothing.
    let fourth = connector_server::start(&config(None)).await.unwrap();
    assert!(
        fourth
            .state
            .accepts_key("sk_chosen_two_0123456789abcdefghijk")
    );
    assert!(!fourth.state.accepts_key(generated.trim()));
}
