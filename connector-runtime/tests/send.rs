//! `RawClient::send`: the authenticated passthrough a proxy uses.

mod common;

use bytes::Bytes;
use common::client;
use connector_runtime::{Auth, Error, RawClient, RawRequest};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: send_test
version: 1.0.0
base_url: https://api.example.test/v1
auth: { kind: bearer }
headers: { Accept: application/json }
retry: { max_attempts: 2, initial_backoff_ms: 1 }
endpoints:
  me: { method: GET, path: /me }
"#;

#[tokio::test]
async fn passes_through_with_the_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/things/a%20b"))
        .and(query_param("q", "x y"))
        .and(header("authorization", "Bearer real"))
        .and(header("accept", "text/plain"))
        .and(body_string("payload"))
        .respond_with(ResponseTemplate::new(404).set_body_string("missing"))
        .expect(1)
        .mount(&server)
        .await;
    let client = RawClient::new(common::def(YAML), Auth::bearer("real"))
        .with_base_url(format!("{}/v1", server.uri()));
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("Bearer caller-secret"),
    );
    headers.insert("accept", HeaderValue::from_static("text/plain"));
    headers.insert("connection", HeaderValue::from_static("x-custom"));
    headers.insert("x-custom", HeaderValue::from_static("dropped"));
    headers.insert("x-other", HeaderValue::from_static("kept"));
    let response = client
        .send(RawRequest {
            method: Method::POST,
            path: "/things/a%20b".into(),
            query: vec![("q".into(), "x y".into())],
            headers,
            body: Some(Bytes::from_static(b"payload")),
        })
        .await
        .unwrap();
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(sent.headers["x-other"], "kept");
    // `x-custom` was named by the caller's `Connection` header: it stays on the caller's hop.
    assert!(sent.headers.get("x-custom").is_none(), "{:?}", sent.headers);
    assert_ne!(
        sent.headers.get("connection").map(|v| v.as_bytes()),
        Some(&b"x-custom"[..])
    );
    // Any status comes back as it is.
    assert_eq!(response.status, 404);
    assert_eq!(response.text(), "missing");
}

#[tokio::test]
async fn post_is_retried_only_with_an_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1 + 2)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let post = |key: Option<&'static str>| {
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            headers.insert("idempotency-key", HeaderValue::from_static(key));
        }
        RawRequest {
            method: Method::POST,
            path: "/x".into(),
            headers,
            ..RawRequest::default()
        }
    };
    assert_eq!(client.send(post(None)).await.unwrap().status, 503);
    assert_eq!(client.send(post(Some("k1"))).await.unwrap().status, 503);
}

#[tokio::test]
async fn paths_that_leave_the_host_are_rejected() {
    let server = MockServer::start().await;
    let client = client(YAML, Auth::bearer("t"), &server);
    for bad in [
        "https://evil.test/x",
        "//evil.test/x",
        "/a/../../etc",
        "/%2e%2e/x",
        "/x@evil.test",
        "relative",
        "/a\\b",
        // The URL parser drops tab, CR and LF: these would climb above the base path.
        "/.\t./.\t./steal",
        "/..\n/x",
        "/a/..\r",
        "/a/%0A/b",
        "/a/%7f",
        "/a/\u{0}",
        // It also trims the spaces that end a URL.
        "/a/.. ",
        "/a/%2E%2e/b",
    ] {
        let request = RawRequest {
            method: Method::GET,
            path: bad.into(),
            ..RawRequest::default()
        };
        let error = client.send(request).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{bad}: {error:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_api_key_in_the_query_replaces_the_callers() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/x"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let yaml = YAML.replace(
        "{ kind: bearer }",
        "{ kind: api_key, in: query, name: key }",
    );
    let client = RawClient::new(common::def(&yaml), Auth::api_key("ours"))
        .with_base_url(format!("{}/v1", server.uri()));
    let request = RawRequest {
        method: Method::GET,
        path: "/x".into(),
        query: vec![("key".into(), "theirs".into()), ("a".into(), "1".into())],
        ..RawRequest::default()
    };
    client.send(request).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.query(), Some("a=1&key=ours"));
}

#[tokio::test]
async fn headers_named_by_connection_stay_on_their_hop_both_ways() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("connection", "X-Internal")
                .insert_header("x-internal", "1")
                .insert_header("set-cookie", "session=provider")
                .insert_header("x-visible", "yes")
                .set_body_string("ok"),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let request = || {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("X-Secret"));
        headers.insert("x-secret", HeaderValue::from_static("1"));
        RawRequest {
            method: Method::GET,
            path: "/x".into(),
            headers,
            ..RawRequest::default()
        }
    };
    let check = |headers: &HeaderMap| {
        assert_eq!(
            headers.get("x-visible").map(|v| v.as_bytes()),
            Some(&b"yes"[..]),
            "{headers:?}"
        );
        for dropped in ["connection", "x-internal", "set-cookie"] {
            assert!(headers.get(dropped).is_none(), "{dropped}: {headers:?}");
        }
    };

    let whole = client.send(request()).await.unwrap();
    check(&whole.headers);
    let streamed = client.send_streaming(request(), None).await.unwrap();
    check(streamed.headers());
    assert_eq!(streamed.text().await.unwrap(), "ok");

    for sent in server.received_requests().await.unwrap() {
        assert!(sent.headers.get("x-secret").is_none(), "{:?}", sent.headers);
    }
}
