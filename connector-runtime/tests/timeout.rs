//! The definition's timeout_ms bounds each request.

mod common;

use std::time::{Duration, Instant};

use common::{client, object};
use connector_runtime::{Auth, Error};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: timeout_test
version: 1.0.0
base_url: https://api.example.test
auth: { kind: none }
timeout_ms: 200
retry: { max_attempts: 1 }
endpoints:
  slow:
    method: GET
    path: /slow
"#;

#[tokio::test]
async fn a_slow_provider_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let started = Instant::now();
    let error = client.execute("slow", object(json!({}))).await.unwrap_err();
    assert!(matches!(error, Error::Timeout), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
