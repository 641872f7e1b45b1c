//! Buffered provider bodies are read up to a limit; the streamed passthrough has none.

mod common;

use std::time::Duration;

use connector_runtime::openapi::{ActionError, ActionStatus};
use connector_runtime::{Auth, DEFAULT_MAX_RESPONSE_BYTES, Error, RawClient, RawRequest};
use futures_util::StreamExt as _;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: size_test
version: 1.0.0
base_url: https://api.example.test
auth: { kind: none }
endpoints:
  list:
    method: GET
    path: /items
    pagination: { kind: cursor, cursor_param: cursor, next_cursor: next }
    params:
      cursor: { in: query, type: string }
"#;

fn request() -> RawRequest {
    RawRequest {
        method: Method::GET,
        path: "/items".into(),
        ..RawRequest::default()
    }
}

fn assert_too_large(result: Result<impl std::fmt::Debug, Error>, limit: usize) {
    match result {
        Err(Error::ResponseTooLarge { limit: reported }) => assert_eq!(reported, limit),
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_announced_above_the_limit_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("\"{}\"", "x".repeat(98))))
        .mount(&server)
        .await;
    let client = common::client(YAML, Auth::None, &server).with_max_response_bytes(99);
    let input = common::object(json!({}));
    assert_too_large(client.execute("list", input.clone()).await, 99);
    assert_too_large(client.call::<_, Value>("list", &input).await, 99);
    let mut pages = Box::pin(client.pages::<_, Value>("list", &input));
    assert_too_large(pages.next().await.unwrap(), 99);
    assert!(pages.next().await.is_none());
    assert_too_large(client.send(request()).await, 99);

    // A body of exactly the limit is read.
    let client = client.with_max_response_bytes(100);
    assert_eq!(client.execute("list", input).await.unwrap().body.len(), 100);
    // The streamed passthrough reads any size.
    let client = client.with_max_response_bytes(1);
    let streamed = client.send_streaming(request(), None).await.unwrap();
    assert_eq!(streamed.bytes().await.unwrap().len(), 100);
}

/// A provider that answers every request with a chunked body that never ends.
async fn endless_provider() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = [0; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                // Until the client hangs up.
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let url = endless_provider().await;
    let limit = 1024 * 1024;
    let client = RawClient::new(common::def(YAML), Auth::None)
        .with_base_url(url)
        .with_max_response_bytes(limit);
    let within = Duration::from_secs(10);
    let execute = client.execute("list", common::object(json!({})));
    assert_too_large(tokio::time::timeout(within, execute).await.unwrap(), limit);
    let send = client.send(request());
    assert_too_large(tokio::time::timeout(within, send).await.unwrap(), limit);
}

#[test]
fn too_large_is_a_502_response_too_large() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 16 * 1024 * 1024);
    let error = ActionError::from(Error::ResponseTooLarge { limit: 10 });
    assert_eq!(error.status, ActionStatus::BadGateway);
    assert_eq!(error.code(), "response_too_large");
    assert!(error.body.error.message.contains("10 bytes"), "{error:?}");
}
