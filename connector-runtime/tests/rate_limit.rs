//! The definition's rate limit makes calls wait for their budget.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::object;
use connector_runtime::{Auth, RateLimiter, RawClient};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn yaml(name: &str, scope: &str) -> String {
    format!(
        r#"
name: {name}
version: 1.0.0
base_url: https://api.example.test
auth: {{ kind: none }}
rate_limit: {{ requests: 2, per_seconds: 1{scope} }}
endpoints:
  ping:
    method: GET
    path: /ping
"#
    )
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/ping"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn four_calls_at_two_per_second_take_a_second() {
    let server = server().await;
    let client = RawClient::new(common::def(&yaml("rate_sequential", "")), Auth::None)
        .with_base_url(server.uri());
    let started = Instant::now();
    for _ in 0..4 {
        client.execute("ping", object(json!({}))).await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(990),
        "took only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(1900), "took {elapsed:?}");
}

#[tokio::test]
async fn clients_of_one_connector_share_the_budget() {
    let server = server().await;
    let def = common::def(&yaml("rate_shared", ""));
    let clients: Vec<RawClient> = (0..4)
        .map(|_| RawClient::new(def.clone(), Auth::None).with_base_url(server.uri()))
        .collect();
    let started = Instant::now();
    let calls = clients
        .iter()
        .map(|client| client.execute("ping", object(json!({}))));
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "took only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connection_scope_gives_each_client_its_own_budget() {
    let server = server().await;
    let def = common::def(&yaml("rate_per_connection", ", scope: connection"));
    let started = Instant::now();
    for _ in 0..2 {
        // Two connections, two requests each: both fit in their own budgets at once.
        let client = RawClient::new(def.clone(), Auth::None).with_base_url(server.uri());
        client.execute("ping", object(json!({}))).await.unwrap();
        client.execute("ping", object(json!({}))).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "took {:?}",
        started.elapsed()
    );

    // A limiter passed in is shared by the clients given it.
    let limiter = Arc::new(RateLimiter::new(1, Duration::from_millis(500)));
    let started = Instant::now();
    for _ in 0..2 {
        let client = RawClient::new(def.clone(), Auth::None)
            .with_base_url(server.uri())
            .with_rate_limiter(limiter.clone());
        client.execute("ping", object(json!({}))).await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(490),
        "took only {:?}",
        started.elapsed()
    );
}
