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
