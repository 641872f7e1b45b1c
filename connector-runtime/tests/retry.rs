//! Retries: 429 always, 5xx and failures before a response for idempotent endpoints,
//! Retry-After honoured and bounded, attempts bounded.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::{client, object};
use connector_runtime::{Auth, Error, RawClient};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: retry_test
version: 1.0.0
base_url: https://api.example.test
auth: { kind: none }
retry: { max_attempts: 3, on_status: [429, 500, 502, 503, 504], initial_backoff_ms: 10, max_backoff_ms: 5000 }
endpoints:
  list:
    method: GET
    path: /items
  create:
    method: POST
    path: /items
  create_idempotent:
    method: POST
    path: /items
    idempotent: true
"#;

async fn mount_then_ok(
    server: &MockServer,
    http_method: &str,
    first: ResponseTemplate,
    times: u64,
) {
    Mock::given(method(http_method))
        .and(path("/items"))
        .respond_with(first)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
    Mock::given(method(http_method))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_retried_after_the_wait() {
    let server = MockServer::start().await;
    mount_then_ok(
        &server,
        "GET",
        ResponseTemplate::new(429).insert_header("Retry-After", "2"),
        1,
    )
    .await;
    let client = client(YAML, Auth::None, &server);
    let started = Instant::now();
    let response = client.execute("list", object(json!({}))).await.unwrap();
    assert_eq!(response.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let server = MockServer::start().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    mount_then_ok(
        &server,
        "GET",
        ResponseTemplate::new(503).insert_header("Retry-After", date.as_str()),
        1,
    )
    .await;
    let client = client(YAML, Auth::None, &server);
    let started = Instant::now();
    client.execute("list", object(json!({}))).await.unwrap();
    // The date has a one-second resolution: the wait is between 1 and 2 seconds.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_503_is_retried_up_to_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .expect(3)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let error = client.execute("list", object(json!({}))).await.unwrap_err();
    match error {
        Error::Upstream { status, body, .. } => {
            assert_eq!(status, 503);
            assert_eq!(body, "busy");
        }
        other => panic!("expected Upstream, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_idempotent_post_is_not_retried_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let error = client
        .execute("create", object(json!({})))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503), "{error:?}");
}

#[tokio::test]
async fn an_idempotent_post_is_retried_on_503() {
    let server = MockServer::start().await;
    mount_then_ok(&server, "POST", ResponseTemplate::new(503), 2).await;
    let client = client(YAML, Auth::None, &server);
    client
        .execute("create_idempotent", object(json!({})))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_non_idempotent_post_is_retried_on_429() {
    let server = MockServer::start().await;
    mount_then_ok(&server, "POST", ResponseTemplate::new(429), 1).await;
    let client = client(YAML, Auth::None, &server);
    client.execute("create", object(json!({}))).await.unwrap();
}

#[tokio::test]
async fn a_429_that_persists_is_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_string("slow down"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    match client.execute("list", object(json!({}))).await.unwrap_err() {
        Error::RateLimited { retry_after, body } => {
            assert_eq!(retry_after, Some(Duration::ZERO));
            assert_eq!(body, "slow down");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_beyond_max_backoff_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let started = Instant::now();
    match client.execute("list", object(json!({}))).await.unwrap_err() {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(60)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "not_found"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let error = client.execute("list", object(json!({}))).await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.body(), Some(r#"{"error":"not_found"}"#));
    assert!(
        !error.to_string().contains("not_found"),
        "Display leaves the body out: {error}"
    );
}

#[tokio::test]
async fn connection_errors_end_as_transport_errors() {
    // A port nothing listens on: bind, take the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = RawClient::new(common::def(YAML), Auth::None)
        .with_base_url(format!("http://127.0.0.1:{port}"));
    let error = client.execute("list", object(json!({}))).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
}

/// A server that resets the first connection once it has read the request, and answers 200 on
/// the later ones; it counts the connections it accepts.
async fn reset_then_ok() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            tokio::spawn(async move {
                let mut request = [0; 4096];
                let _ = socket.read(&mut request).await;
                if first {
                    // SO_LINGER 0: closing sends a reset.
                    socket.set_zero_linger().unwrap();
                    drop(socket);
                } else {
                    let answer =
                        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                    let _ = socket.write_all(answer.as_bytes()).await;
                }
            });
        }
    });
    (format!("http://{address}"), accepted)
}

#[tokio::test]
async fn a_reset_before_the_response_is_retried_when_idempotent() {
    let (url, accepted) = reset_then_ok().await;
    let client = RawClient::new(common::def(YAML), Auth::None).with_base_url(url);
    let response = client.execute("list", object(json!({}))).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_reset_before_the_response_is_not_retried_for_a_post() {
    let (url, accepted) = reset_then_ok().await;
    let client = RawClient::new(common::def(YAML), Auth::None).with_base_url(url);
    let error = client
        .execute("create", object(json!({})))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

const HINTED: &str = r#"
name: hinted_retry
version: 1.0.0
base_url: https://api.example.test
auth: { kind: none }
retry:
  max_attempts: 3
  initial_backoff_ms: 10
  max_backoff_ms: 5000
  after: [retry-after, x-ratelimit-retry-after]
  at: [x-ratelimit-reset]
  remaining: x-ratelimit-remaining
endpoints:
  list: { method: GET, path: /items }
"#;

fn took_at_least(started: Instant, wait: Duration) {
    assert!(
        started.elapsed() >= wait,
        "waited only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_named_retry_after_header_sets_the_wait() {
    let server = MockServer::start().await;
    mount_then_ok(
        &server,
        "GET",
        ResponseTemplate::new(429).insert_header("X-RateLimit-Retry-After", "1"),
        1,
    )
    .await;
    let client = client(HINTED, Auth::None, &server);
    let started = Instant::now();
    client.execute("list", object(json!({}))).await.unwrap();
    took_at_least(started, Duration::from_secs(1));
}

#[tokio::test]
async fn a_reset_time_sets_the_wait_in_seconds_from_now_or_as_an_epoch() {
    let in_two_seconds = || {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 2
    };
    for form in ["seconds from now", "epoch seconds", "epoch milliseconds"] {
        let reset = match form {
            "seconds from now" => "1".to_owned(),
            "epoch seconds" => in_two_seconds().to_string(),
            _ => (in_two_seconds() * 1000).to_string(),
        };
        let server = MockServer::start().await;
        mount_then_ok(
            &server,
            "GET",
            ResponseTemplate::new(503).insert_header("X-RateLimit-Reset", reset.as_str()),
            1,
        )
        .await;
        let client = client(HINTED, Auth::None, &server);
        let started = Instant::now();
        client.execute("list", object(json!({}))).await.unwrap();
        // An epoch in whole seconds may be up to a second closer than it reads.
        took_at_least(started, Duration::from_millis(800));
    }
}

#[tokio::test]
async fn a_reset_beyond_the_ceiling_gives_the_error_at_once_with_its_wait() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(429).insert_header("X-RateLimit-Reset", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(HINTED, Auth::None, &server);
    let started = Instant::now();
    match client.execute("list", object(json!({}))).await.unwrap_err() {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_spent_budget_holds_the_next_request_until_the_reset() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", "1")
                .set_body_json(json!([])),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client(HINTED, Auth::None, &server);
    let started = Instant::now();
    client.execute("list", object(json!({}))).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(900));
    // A clone shares the hold.
    client
        .clone()
        .execute("list", object(json!({})))
        .await
        .unwrap();
    took_at_least(started, Duration::from_secs(1));
}

#[tokio::test]
async fn a_budget_left_holds_nothing() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Remaining", "5")
                .insert_header("X-RateLimit-Reset", "30")
                .set_body_json(json!([])),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client(HINTED, Auth::None, &server);
    let started = Instant::now();
    client.execute("list", object(json!({}))).await.unwrap();
    client.execute("list", object(json!({}))).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
}
