//! The `connector` binary over raw sockets: body limits on every protocol, slow and idle
//! clients, the bound on open connections.

use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::common::SECRET_KEY;

/// A `connector serve` process on a loopback port, with its own SQLite data folder.
struct Binary {
    address: String,
    child: Child,
    _data: tempfile::TempDir,
}

impl Binary {
    async fn start(env: &[(&str, &str)]) -> Binary {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_connector"))
            .env_remove("DATABASE_URL")
            .env("CONNECTOR_BIND", "127.0.0.1:0")
            .env("CONNECTOR_DATA_DIR", data.path())
            .env("CONNECTOR_SECRET_KEY", SECRET_KEY)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines.next_line().await.unwrap().expect("the server starts");
            if let Some(url) = line.strip_prefix("Connector Platform listening on http://") {
                break url.to_owned();
            }
        };
        // Keep reading stdout so that the server never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Binary {
            address,
            child,
            _data: data,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(&self.address).await.unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::StatusCode {
        reqwest::Client::new()
            .get(format!("http://{}{path}", self.address))
            .bearer_auth(SECRET_KEY)
            .send()
            .await
            .unwrap()
            .status()
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

/// SIGTERM: the serving threads stop taking connections, the requests in flight finish (their
/// provider calls included), and the process exits.
#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_the_process_exits() {
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let provider = MockServer::start().await;
    Mock::given(wiremock::matchers::path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("done")
                .set_delay(Duration::from_millis(1500)),
        )
        .mount(&provider)
        .await;
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(
        defs.path().join("slowpoke.yaml"),
        format!(
            "name: slowpoke\nversion: 1.0.0\nbase_url: {}\nauth: {{ kind: bearer }}\nendpoints:\n  slow: {{ method: GET, path: /slow }}\n",
            provider.uri()
        ),
    )
    .unwrap();
    let mut server = Binary::start(&[("CONNECTOR_DEFS_DIR", defs.path().to_str().unwrap())]).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("http://{}/v1/connections", server.address))
        .bearer_auth(SECRET_KEY)
        .json(&serde_json::json!({ "connector": "slowpoke", "connection_id": "s-1", "credentials": { "token": "t" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let in_flight = tokio::spawn({
        let url = format!("http://{}/v1/proxy/s-1/slow", server.address);
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(SECRET_KEY)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    });
    // In flight: the provider has the request and answers in 1.5 s.
    while provider.received_requests().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = server.child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    let (status, body) = in_flight.await.unwrap();
    assert_eq!((status.as_u16(), body.as_str()), (200, "done"));
    let exited = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("the process exits once its requests are done")
        .unwrap();
    assert!(exited.success(), "{exited:?}");
}

/// Reads one response to a request without a body ("Content-Length" framed); its status.
async fn read_response(socket: &mut TcpStream) -> u16 {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = socket.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before a whole response");
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|value| value.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return head[9..12].parse().unwrap();
            }
        }
    }
}

/// How long until the server closes the socket (reads are discarded); None when it did not
/// within `within`.
async fn closed_after(socket: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// A JSON connection whose metadata makes it `size` bytes, in 64 KiB chunks.
fn huge_connection(size: usize) -> impl Iterator<Item = Bytes> {
    let head = r#"{"connector":"gmail","connection_id":"huge","credentials":{"access_token":"a"},"metadata":{"huge":""#;
    let tail = r#""}}"#;
    let filler = size - head.len() - tail.len();
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    std::iter::once(Bytes::from_static(head.as_bytes()))
        .chain(std::iter::repeat_n(chunk, filler / (64 * 1024)))
        .chain(std::iter::once(Bytes::from(vec![
            b'x';
            filler % (64 * 1024)
        ])))
        .chain(std::iter::once(Bytes::from_static(tail.as_bytes())))
}

#[tokio::test]
async fn http2_bodies_without_a_length_answer_413_and_are_not_stored() {
    let server = Binary::start(&[]).await;
    let socket = server.connect().await;
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(socket))
            .await
            .unwrap();
    tokio::spawn(connection);
    let frames = futures_util::stream::iter(
        huge_connection(50 * 1024 * 1024).map(|chunk| Ok::<_, std::io::Error>(Frame::data(chunk))),
    );
    let request = hyper::Request::post(format!("http://{}/v1/connections", server.address))
        .header("authorization", format!("Bearer {SECRET_KEY}"))
        .header("content-type", "application/json")
        .body(StreamBody::new(frames))
        .unwrap();
    assert!(request.headers().get("content-length").is_none());
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(response.status(), 413);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert_eq!(server.get("/v1/connections/huge").await, 404);
}

#[tokio::test]
async fn http1_chunked_bodies_answer_413_and_are_not_stored() {
    let server = Binary::start(&[]).await;
    let socket = server.connect().await;
    let (mut reader, mut writer) = socket.into_split();
    let head = format!(
        "POST /v1/connections HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {SECRET_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    // The server may stop reading (and close) before the body is sent: write errors are fine.
    tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for chunk in huge_connection(50 * 1024 * 1024) {
            writer
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            writer.write_all(&chunk).await?;
            writer.write_all(b"\r\n").await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut received)).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
    // The rest of the body is not read: the client is told the connection ends here.
    assert!(
        text.to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{text}"
    );
    assert_eq!(server.get("/v1/connections/huge").await, 404);
}

#[tokio::test]
async fn a_partial_request_is_closed_within_the_header_read_timeout() {
    let server = Binary::start(&[
        ("CONNECTOR_HEADER_READ_TIMEOUT_SECS", "1"),
        ("CONNECTOR_IDLE_TIMEOUT_SECS", "30"),
    ])
    .await;
    // Half the headers; and two bytes, too few to tell HTTP/1.1 from HTTP/2.
    let mut half_headers = server.connect().await;
    half_headers
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        .await
        .unwrap();
    let mut two_bytes = server.connect().await;
    two_bytes.write_all(b"GE").await.unwrap();
    for socket in [&mut half_headers, &mut two_bytes] {
        let closed = closed_after(socket, Duration::from_secs(5)).await;
        assert!(
            closed.is_some(),
            "the slow client is still connected after 5 s"
        );
    }
    // A prompt client is served.
    let mut prompt = server.connect().await;
    prompt.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut prompt).await, 200);
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = Binary::start(&[
        ("CONNECTOR_HEADER_READ_TIMEOUT_SECS", "10"),
        ("CONNECTOR_IDLE_TIMEOUT_SECS", "1"),
    ])
    .await;
    let mut http1 = server.connect().await;
    http1.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut http1).await, 200);
    let closed = closed_after(&mut http1, Duration::from_secs(5)).await;
    assert!(
        closed.is_some_and(|after| after >= Duration::from_millis(800)),
        "{closed:?}"
    );

    // HTTP/2 too: the client's connection ends once the server closes it.
    let socket = server.connect().await;
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(socket))
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    let request = hyper::Request::get(format!("http://{}/healthz", server.address))
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), connection).await;
    assert!(ended.is_ok(), "the idle HTTP/2 connection is still open");
}

#[tokio::test]
async fn connections_over_the_bound_wait_until_one_closes() {
    let server = Binary::start(&[
        ("CONNECTOR_MAX_CONNECTIONS", "2"),
        ("CONNECTOR_HEADER_READ_TIMEOUT_SECS", "30"),
        ("CONNECTOR_IDLE_TIMEOUT_SECS", "30"),
    ])
    .await;
    let mut first = server.connect().await;
    first.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut first).await, 200);
    let mut second = server.connect().await;
    second.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut second).await, 200);

    let mut third = server.connect().await;
    third.write_all(HEALTHZ).await.unwrap();
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_secs(1), third.peek(&mut byte)).await;
    assert!(early.is_err(), "the third connection was served at once");
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(5), read_response(&mut third)).await;
    assert_eq!(status.ok(), Some(200));
}
