//! `GET /metrics`: Prometheus's text format behind the secret key, with the HTTP, provider,
//! refresh and webhook counters and the process's figures. The recorder is the process's, so
//! other tests running beside this one add to the counts: values are checked as at least.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TestServer, error_code, expired, in_an_hour};

/// The value of the sample `name{labels}` (labels as Prometheus writes them, in order).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

async fn scrape(server: &TestServer) -> String {
    let response = server
        .request(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_need_the_secret_key() {
    let server = TestServer::start().await;
    let response = server
        .http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "unauthorized");
    let response = server
        .http
        .get(format!("{}/metrics", server.url))
        .bearer_auth("sk_wrong_0123456789abcdef0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn requests_provider_calls_refreshes_and_deliveries_are_counted() {
    let provider = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_grant" })))
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&provider)
        .await;
    let server = TestServer::start().await;
    server.integrate("gmail", &provider.uri()).await;
    let (status, _) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": format!("{}/hooks", provider.uri()), "events": ["connection.created"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    server
        .import_tokens("m-1", "access", Some("rt"), in_an_hour())
        .await;
    server
        .import_tokens("m-2", "old", Some("revoked"), expired())
        .await;
    let (status, _) = server.get("/v1/proxy/m-1/users/me/labels").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.get("/v1/connections/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get("/v1/connections/m-2/token").await;
    assert_eq!(status, StatusCode::CONFLICT);

    let started = Instant::now();
    let exposition = loop {
        let exposition = scrape(&server).await;
        if sample(
            &exposition,
            "connector_webhook_deliveries_total{outcome=\"delivered\"}",
        )
        .is_some()
        {
            break exposition;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{exposition}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for series in [
        "connector_http_requests_total{route=\"/v1/proxy/{connection_id}/{path}\",status=\"200\"}",
        "connector_http_requests_total{route=\"get_connection\",status=\"404\"}",
        "connector_http_requests_total{route=\"create_connection\",status=\"201\"}",
        "connector_provider_requests_total{connector=\"gmail\",status=\"200\"}",
        "connector_provider_request_duration_seconds_count{connector=\"gmail\"}",
        "connector_token_refreshes_total{connector=\"gmail\",outcome=\"needs_reauth\"}",
    ] {
        let value = sample(&exposition, series);
        assert!(
            value.is_some_and(|value| value >= 1.0),
            "{series} in:\n{exposition}"
        );
    }
    assert!(
        exposition.contains(
            "connector_provider_request_duration_seconds_bucket{connector=\"gmail\",le=\"0.005\"}"
        ),
        "a histogram with the documented buckets"
    );
    assert!(exposition.contains("# TYPE connector_http_requests_total counter"));
    assert!(
        sample(&exposition, "process_resident_memory_bytes").is_some_and(|bytes| bytes > 1e6),
        "process metrics"
    );
}
