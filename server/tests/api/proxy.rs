//! The proxy: what arrives upstream, what never does, SSRF attempts, retries, streaming.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SECRET_KEY, TestServer, error_code, in_an_hour, token_response};

/// Matches a request none of whose headers holds the server's secret key or the named ones.
struct Without(&'static [&'static str]);

impl wiremock::Match for Without {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let leaks = request
            .headers
            .values()
            .any(|value| value.to_str().unwrap_or("").contains(SECRET_KEY));
        !leaks
            && self
                .0
                .iter()
                .all(|name| !request.headers.contains_key(*name))
    }
}

async fn server_with_connection(mock: &MockServer) -> TestServer {
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("p-1", "access-1", Some("rt"), in_an_hour())
        .await;
    server
}

#[tokio::test]
async fn path_query_headers_and_body_arrive_and_the_secret_key_does_not() {
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    Mock::given(method("POST"))
        .and(path("/users/me/messages/send"))
        .and(query_param("alt", "json"))
        .and(query_param("q", "a b&c"))
        .and(header("x-custom", "kept"))
        .and(header("authorization", "Bearer access-1"))
        .and(body_json(json!({ "raw": "SGVsbG8" })))
        .and(Without(&["proxy-authorization", "keep-alive"]))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-upstream", "yes")
                .set_body_json(json!({ "id": "m1" })),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let response = server
        .request(
            Method::POST,
            "/v1/proxy/p-1/users/me/messages/send?alt=json&q=a%20b%26c",
        )
        .header("x-custom", "kept")
        .header("proxy-authorization", "Basic c2VjcmV0")
        .header("keep-alive", "timeout=5")
        .json(&json!({ "raw": "SGVsbG8" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-upstream"], "yes");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({ "id": "m1" })
    );
}

/// Sends a request line as it is, without a client that would normalise the path.
async fn raw_status(server: &TestServer, target: &str) -> u16 {
    let address = server.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {SECRET_KEY}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn paths_that_leave_the_provider_host_are_rejected() {
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&mock)
        .await;
    for target in [
        "/v1/proxy/p-1//evil.example/x",
        "/v1/proxy/p-1/../../x",
        "/v1/proxy/p-1/a/%2e%2e/%2e%2e/x",
        "/v1/proxy/p-1/%2E%2E/x",
        "/v1/proxy/p-1/@evil.example/x",
        "/v1/proxy/p-1/https://evil.example/x",
        "/v1/proxy/p-1/a\\evil",
        "/v1/proxy/p-1/a%5cevil",
        "/v1/proxy/p-1/a/..%2f..%2fx",
        "/v1/proxy/p-1/%40evil.example",
        // Control characters, which a URL parser strips before resolving dot segments.
        "/v1/proxy/p-1/.%09./.%09./steal",
        "/v1/proxy/p-1/..%0A/x",
        "/v1/proxy/p-1/a%0d%0aX-Injected:%201",
    ] {
        assert_eq!(raw_status(&server, target).await, 400, "{target}");
    }
    // The common forms answer 400 with the error body.
    let (status, body) = server.get("/v1/proxy/p-1//evil.example/x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_input");
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_the_stated_wait() {
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&mock)
        .await;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", date.as_str()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "labels": [] })))
        .expect(1)
        .mount(&mock)
        .await;
    // The date is absolute and whole seconds: the second wait ends 2 to 3 s after `started`.
    let started = Instant::now();
    let (status, body) = server.get("/v1/proxy/p-1/users/me/labels").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "waited only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn status_503_retries_stop_at_max_attempts_and_post_is_not_retried() {
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .expect(3) // gmail.yaml: max_attempts 3
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1 + 3)
        .mount(&mock)
        .await;
    let response = server
        .request(Method::GET, "/v1/proxy/p-1/users/me/labels")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "down");
    let response = server
        .request(Method::POST, "/v1/proxy/p-1/users/me/labels")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a POST is sent once"
    );
    let response = server
        .request(Method::POST, "/v1/proxy/p-1/users/me/labels")
        .header("idempotency-key", "k-1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "with an Idempotency-Key it is retried"
    );
}

#[tokio::test]
async fn large_bodies_stream_both_ways() {
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    let upload: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let download: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 241) as u8).collect();
    Mock::given(method("PUT"))
        .and(path("/upload"))
        .and(wiremock::matchers::body_bytes(upload.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(download.clone()))
        .expect(1)
        .mount(&mock)
        .await;
    let response = server
        .request(Method::PUT, "/v1/proxy/p-1/upload")
        .header("content-type", "application/octet-stream")
        .body(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        download.as_slice()
    );
}

#[tokio::test]
async fn unknown_connections_are_404() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/v1/proxy/missing/users/me/profile").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connection_not_found");
}

/// A known connection needs no database read. On PostgreSQL even a write behind the server's
/// back reaches its cache (the change feed's triggers see every writer); on SQLite it does not.
#[tokio::test]
async fn a_known_connection_is_served_from_the_cache() {
    use sea_orm::EntityTrait;
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&mock)
        .await;
    let (status, _) = server.get("/v1/proxy/p-1/users/me/labels").await;
    assert_eq!(status, StatusCode::OK);
    connector_server::db::entities::credential::Entity::delete_by_id("p-1")
        .exec(&server.state.db)
        .await
        .unwrap();
    if server.database_url.starts_with("postgres") {
        let started = Instant::now();
        loop {
            let (status, body) = server.get("/v1/proxy/p-1/users/me/labels").await;
            if status == StatusCode::NOT_FOUND {
                assert_eq!(error_code(&body), "connection_not_found");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(3), "still {status}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    } else {
        let (status, _) = server.get("/v1/proxy/p-1/users/me/labels").await;
        assert_eq!(status, StatusCode::OK, "served from the cache");
        assert_eq!(mock.received_requests().await.unwrap().len(), 2);
    }
    // A change made through the API is seen at once.
    let (status, body) = server.delete("/v1/connections/p-1").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = server.get("/v1/proxy/p-1/users/me/labels").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The proxy keeps each connection's client, with its base URL and credential prepared, while
/// the connection and its integration stay as they are: a new base URL or a new token is used
/// from the next request on.
#[tokio::test]
async fn a_changed_integration_or_token_is_used_at_once() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    let server = server_with_connection(&first).await;
    for (mock, token) in [(&first, "Bearer access-1"), (&second, "Bearer access-1")] {
        Mock::given(header("authorization", token))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(mock)
            .await;
    }
    let (status, _) = server.get("/v1/proxy/p-1/users/me/labels").await;
    assert_eq!(status, StatusCode::OK);
    server.integrate("gmail", &second.uri()).await;
    let (status, _) = server.get("/v1/proxy/p-1/users/me/labels").await;
    assert_eq!(status, StatusCode::OK, "the new base URL");
    second.reset().await;
    Mock::given(header("authorization", "Bearer access-2"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&second)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_response("access-2", Some("rt-2"))),
        )
        .expect(1)
        .mount(&second)
        .await;
    let (status, body) = server.post("/v1/connections/p-1/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = server.get("/v1/proxy/p-1/users/me/labels").await;
    assert_eq!(status, StatusCode::OK, "the new token");
}

/// Headers named by `Connection` are hop-by-hop in both directions, and the provider's cookies
/// are the server's business, not the caller's.
#[tokio::test]
async fn connection_named_headers_and_provider_cookies_are_dropped() {
    let mock = MockServer::start().await;
    let server = server_with_connection(&mock).await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .and(Without(&["x-secret"]))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "session=provider-secret; HttpOnly")
                .insert_header("connection", "x-internal")
                .insert_header("x-internal", "upstream-only")
                .insert_header("x-kept", "yes")
                .set_body_json(json!({ "labels": [] })),
        )
        .expect(2)
        .mount(&mock)
        .await;
    let response = server
        .request(Method::GET, "/v1/proxy/p-1/users/me/labels")
        .header("connection", "x-secret")
        .header("x-secret", "caller-only")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-kept"], "yes");
    for name in ["set-cookie", "x-internal"] {
        assert!(!response.headers().contains_key(name), "{name} came back");
    }
    // The request envelope drops them too.
    let (status, body) = server
        .post(
            "/v1/connections/p-1/request",
            json!({ "method": "GET", "path": "/users/me/labels", "headers": { "connection": "x-secret", "x-secret": "1" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["headers"]["x-kept"], "yes");
    assert!(body["headers"].get("set-cookie").is_none(), "{body}");
    assert!(body["headers"].get("x-internal").is_none(), "{body}");
}

/// The streamed proxy has no size limit (bodies pass in constant memory), while the same
/// answer read whole through the envelope is over the limit.
#[tokio::test]
async fn the_envelope_caps_provider_bodies_and_the_proxy_streams_them() {
    let mock = MockServer::start().await;
    let server = TestServer::start_with(crate::common::Options {
        settings: connector_server::state::Settings {
            max_provider_body_bytes: 1024 * 1024,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("p-1", "access-1", Some("rt"), in_an_hour())
        .await;
    let large: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 239) as u8).collect();
    Mock::given(method("GET"))
        .and(path("/large"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(large.clone()))
        .mount(&mock)
        .await;
    let (status, body) = server
        .post(
            "/v1/connections/p-1/request",
            json!({ "method": "GET", "path": "/large" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(error_code(&body), "response_too_large");
    let response = server
        .request(Method::GET, "/v1/proxy/p-1/large")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().len(), large.len());
}
