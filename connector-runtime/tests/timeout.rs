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

/// A provider that answers its headers at once and then trickles `chunks` body chunks,
/// `gap` apart (chunked transfer encoding), to every connection.
async fn trickling_provider(chunks: usize, gap: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
                socket.write_all(head.as_bytes()).await.unwrap();
                for _ in 0..chunks {
                    tokio::time::sleep(gap).await;
                    socket.write_all(b"5\r\nchunk\r\n").await.unwrap();
                }
                socket.write_all(b"0\r\n\r\n").await.unwrap();
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_streamed_response_may_take_longer_than_the_timeout_but_a_whole_one_may_not() {
    // 6 chunks 100 ms apart: the body takes 600 ms, three times timeout_ms.
    let provider = trickling_provider(6, Duration::from_millis(100)).await;
    let client =
        connector_runtime::RawClient::new(common::def(YAML), Auth::None).with_base_url(provider);
    let request = || connector_runtime::RawRequest {
        method: reqwest::Method::GET,
        path: "/download".into(),
        ..Default::default()
    };

    let streamed = client
        .send_streaming(request(), None)
        .await
        .expect("the headers come in time");
    let body = streamed
        .bytes()
        .await
        .expect("the body is not cut by timeout_ms");
    assert_eq!(body.as_ref(), "chunk".repeat(6).as_bytes());

    let error = client.send(request()).await.unwrap_err();
    assert!(matches!(error, Error::Timeout), "{error:?}");
}

#[tokio::test]
async fn a_streamed_body_that_stalls_longer_than_the_read_timeout_is_cut() {
    // Chunks 100 ms apart: within a 1 s read timeout, past a 30 ms one.
    let provider = trickling_provider(3, Duration::from_millis(100)).await;
    let request = || connector_runtime::RawRequest {
        method: reqwest::Method::GET,
        path: "/download".into(),
        ..Default::default()
    };
    let client = |read_timeout: Duration| {
        connector_runtime::RawClient::new(common::def(YAML), Auth::None)
            .with_base_url(provider.clone())
            .with_passthrough_http(connector_runtime::PassthroughHttp::new(
                "timeout-test",
                Duration::from_secs(1),
                Some(read_timeout),
            ))
    };

    let patient = client(Duration::from_secs(1));
    let body = patient.send_streaming(request(), None).await.unwrap();
    assert_eq!(
        body.bytes().await.unwrap().as_ref(),
        "chunk".repeat(3).as_bytes()
    );

    let hasty = client(Duration::from_millis(30));
    let streamed = hasty
        .send_streaming(request(), None)
        .await
        .expect("the headers come at once");
    let error = streamed.bytes().await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
}
