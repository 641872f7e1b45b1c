//! Parameters arrive where the definition declares them.

mod common;

use common::{client, object};
use connector_runtime::{Auth, Error, RawClient};
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: params_test
version: 1.0.0
base_url: https://api.example.test
auth: { kind: none }
headers: { Accept: application/json, X-Connector: yes }
endpoints:
  get_file:
    method: GET
    path: /files/{name}/meta
    headers: { X-Endpoint: files }
    params:
      name: { in: path, type: string }
      ids: { in: query, type: array, items: { type: integer } }
      fields: { in: query, type: string, default: "id,name" }
      verbose: { in: query, type: boolean }
      X-Trace: { in: header, type: string }
      Dropbox-API-Arg: { in: header, type: object }
  search:
    method: GET
    path: /drive/search(q='{q}')
    params:
      q: { in: path, type: string }
  create:
    method: POST
    path: /items
    params:
      title: { in: body, type: string, required: true }
      tags: { in: body, type: array }
      meta: { in: body, type: object }
      count: { in: body, type: integer, default: 1 }
      dry_run: { in: query, type: boolean }
  create_form:
    method: POST
    path: /form
    body_encoding: form
    params:
      grant: { in: body, type: string, required: true }
      scope: { in: body, type: array }
      note: { in: body, type: string }
  upload:
    method: PUT
    path: /upload/{name}
    body_encoding: raw
    content_type: text/csv
    params:
      name: { in: path, type: string }
      content: { in: body, type: string, required: true }
  upload_default_type:
    method: PUT
    path: /blob
    body_encoding: raw
    params:
      content: { in: body, type: string }
  ping:
    method: POST
    path: /ping
    params:
      note: { in: body, type: string }
  list:
    method: GET
    path: /list
    params:
      maxResults: { in: query, type: integer, minimum: 1, maximum: 500 }
      ratio: { in: query, type: number, minimum: 0.5, maximum: 1 }
      q: { in: query, type: string, min_length: 2, max_length: 5, pattern: "^[a-z]+$" }
      format: { in: query, type: string, enum: [full, raw] }
      page: { in: query, type: integer, enum: [1, 2] }
"#;

async fn server_ok() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> wiremock::Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

#[tokio::test]
async fn path_query_and_header_params() {
    let server = server_ok().await;
    let client = client(YAML, Auth::None, &server);
    let input = json!({
        "name": "a/b c",
        "ids": [1, 2, 3],
        "verbose": true,
        "X-Trace": "t-1",
        "Dropbox-API-Arg": {"path": "/Café/😀.txt"},
    });
    client.execute("get_file", object(input)).await.unwrap();
    let request = only_request(&server).await;
    // One path segment: the slash and the space are encoded.
    assert_eq!(request.url.path(), "/files/a%2Fb%20c/meta");
    assert_eq!(
        request.url.query(),
        Some("ids=1&ids=2&ids=3&fields=id%2Cname&verbose=true")
    );
    assert_eq!(request.headers["x-trace"], "t-1");
    assert_eq!(
        request.headers["dropbox-api-arg"],
        r#"{"path":"/Caf\u00e9/\ud83d\ude00.txt"}"#
    );
    assert_eq!(request.headers["accept"], "application/json");
    assert_eq!(request.headers["x-connector"], "yes");
    assert_eq!(request.headers["x-endpoint"], "files");
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn the_base_path_is_kept() {
    let server = server_ok().await;
    let client = RawClient::new(common::def(YAML), Auth::None)
        .with_base_url(format!("{}/gmail/v1/", server.uri()));
    client
        .execute("get_file", object(json!({"name": "x"})))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/gmail/v1/files/x/meta"
    );
}

#[tokio::test]
async fn a_path_value_inside_a_segment() {
    let server = server_ok().await;
    let client = client(YAML, Auth::None, &server);
    client
        .execute("search", object(json!({"q": "annual report"})))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/drive/search(q='annual%20report')"
    );
}

#[tokio::test]
async fn json_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/items"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"title": "Hello", "tags": ["a", "b"], "meta": {"k": [1, 2]}, "count": 1}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "n1"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let input =
        json!({"title": "Hello", "tags": ["a", "b"], "meta": {"k": [1, 2]}, "dry_run": null});
    let created: serde_json::Value = client.call("create", &input).await.unwrap();
    assert_eq!(created, json!({"id": "n1"}));
}

#[tokio::test]
async fn no_body_without_body_params() {
    let server = server_ok().await;
    let client = client(YAML, Auth::None, &server);
    client.execute("ping", object(json!({}))).await.unwrap();
    let request = only_request(&server).await;
    assert!(request.body.is_empty());
    assert!(request.headers.get("content-type").is_none());
}

#[tokio::test]
async fn form_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/form"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(
            "grant=code&scope=read&scope=write+all&note=caf%C3%A9+%26+co",
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    let input = json!({"grant": "code", "scope": ["read", "write all"], "note": "café & co"});
    client.execute("create_form", object(input)).await.unwrap();
}

#[tokio::test]
async fn raw_body_with_its_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/upload/report.csv"))
        .and(header("content-type", "text/csv"))
        .and(body_string("a,b\n1,2\n"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/blob"))
        .and(header("content-type", "application/octet-stream"))
        .and(body_string("bytes"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::None, &server);
    client
        .execute(
            "upload",
            object(json!({"name": "report.csv", "content": "a,b\n1,2\n"})),
        )
        .await
        .unwrap();
    client
        .execute("upload_default_type", object(json!({"content": "bytes"})))
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_inputs_are_rejected_before_sending() {
    let server = server_ok().await;
    let client = client(YAML, Auth::None, &server);
    let cases = [
        ("nope", json!({}), "no endpoint `nope`"),
        ("get_file", json!({}), "needs parameter `name`"),
        (
            "get_file",
            json!({"name": "x", "colour": "red"}),
            "no parameter `colour`",
        ),
        (
            "get_file",
            json!({"name": "x", "verbose": "yes"}),
            "must be of type boolean",
        ),
        (
            "get_file",
            json!({"name": "x", "X-Trace": "a\nb"}),
            "cannot go in an HTTP header",
        ),
        ("get_file", json!({"name": ".."}), "`.` or `..`"),
        // Tab, CR and LF vanish in the URL parser; other controls may be decoded upstream.
        ("get_file", json!({"name": ".\t."}), "control characters"),
        ("get_file", json!({"name": "..\n"}), "control characters"),
        ("get_file", json!({"name": "a%0Ab"}), "control characters"),
        ("get_file", json!({"name": "a\u{7f}"}), "control characters"),
        ("get_file", json!({"name": "%2E%2e"}), "`.` or `..`"),
        ("get_file", json!({"name": ""}), "cannot be empty"),
        ("create", json!({"tags": []}), "needs parameter `title`"),
    ];
    for (endpoint, input, expected) in cases {
        match client.execute(endpoint, object(input.clone())).await {
            Err(Error::InvalidInput(message)) => {
                assert!(message.contains(expected), "{endpoint} {input}: {message}")
            }
            other => panic!("{endpoint} {input}: expected InvalidInput, got {other:?}"),
        }
    }
    let error = client
        .call::<_, ()>("create", &json!(["not", "an", "object"]))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn bounds_are_checked_before_sending() {
    let server = server_ok().await;
    let client = client(YAML, Auth::None, &server);
    let cases = [
        (
            json!({"maxResults": -5}),
            "parameter `maxResults` of endpoint `list` must be at least 1, got -5",
        ),
        (
            json!({"maxResults": 501}),
            "parameter `maxResults` of endpoint `list` must be at most 500, got 501",
        ),
        (
            json!({"ratio": 0.25}),
            "parameter `ratio` of endpoint `list` must be at least 0.5, got 0.25",
        ),
        (
            json!({"q": "a"}),
            "parameter `q` of endpoint `list` must have at least 2 characters, got 1",
        ),
        (
            json!({"q": "abcdef"}),
            "parameter `q` of endpoint `list` must have at most 5 characters, got 6",
        ),
        (
            json!({"q": "ABC"}),
            "parameter `q` of endpoint `list` must match the pattern `^[a-z]+$`",
        ),
        (
            json!({"format": "ful"}),
            r#"parameter `format` of endpoint `list` must be one of "full", "raw", got "ful""#,
        ),
        (
            json!({"page": 3}),
            "parameter `page` of endpoint `list` must be one of 1, 2, got 3",
        ),
    ];
    for (input, expected) in cases {
        match client.execute("list", object(input.clone())).await {
            Err(Error::InvalidInput(message)) => assert_eq!(message, expected, "{input}"),
            other => panic!("{input}: expected InvalidInput, got {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    let within = json!({"maxResults": 500, "ratio": 1, "q": "abc", "format": "raw", "page": 2});
    client.execute("list", object(within)).await.unwrap();
    assert_eq!(
        only_request(&server).await.url.query(),
        Some("maxResults=500&ratio=1&q=abc&format=raw&page=2")
    );
}

#[tokio::test]
async fn an_unknown_parameter_suggests_the_closest_name() {
    let server = server_ok().await;
    let client = client(YAML, Auth::None, &server);
    let error = client
        .execute("list", object(json!({"maxResult": 5})))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: endpoint `list` of connector `params_test` has no parameter `maxResult`; did you mean `maxResults`?"
    );
    let error = client
        .execute("list", object(json!({"zzz": 5})))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("has no parameter `zzz` (it has: maxResults, ratio, q, format, page)"),
        "{error}"
    );
}

const TENANT_YAML: &str = r#"
name: tenant_test
version: 1.0.0
base_url: https://{connection_config.subdomain}.example.test/api/{connection_config.version}
connection_config:
  subdomain: { description: The account's subdomain }
  version: { required: false, default: v2 }
auth: { kind: none }
endpoints:
  me:
    method: GET
    path: /me
"#;

#[tokio::test]
async fn connection_config_fills_the_base_url() {
    let server = server_ok().await;
    // The override may hold placeholders too; defaults apply.
    let client = RawClient::new(common::def(TENANT_YAML), Auth::None)
        .with_base_url(format!(
            "{}/{{connection_config.subdomain}}/{{connection_config.version}}",
            server.uri()
        ))
        .with_connection_config([("subdomain".to_owned(), "acme".to_owned())]);
    client.execute("me", object(json!({}))).await.unwrap();
    assert_eq!(only_request(&server).await.url.path(), "/acme/v2/me");
    assert_eq!(
        client
            .clone()
            .with_base_url("https://x.test")
            .base_url(Some("me"))
            .unwrap(),
        "https://x.test"
    );

    let plain = RawClient::new(common::def(TENANT_YAML), Auth::None).with_connection_config([
        ("subdomain".to_owned(), "acme".to_owned()),
        ("version".to_owned(), "v3".to_owned()),
    ]);
    assert_eq!(
        plain.base_url(None).unwrap(),
        "https://acme.example.test/api/v3"
    );

    let missing = RawClient::new(common::def(TENANT_YAML), Auth::None);
    let error = missing.execute("me", object(json!({}))).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(m) if m.contains("subdomain")),
        "{error:?}"
    );

    let hostile = RawClient::new(common::def(TENANT_YAML), Auth::None)
        .with_connection_config([("subdomain".to_owned(), "evil.test/".to_owned())]);
    let error = hostile.base_url(None).unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
}

#[tokio::test]
async fn a_dot_segment_in_connection_config_is_refused() {
    let server = server_ok().await;
    for value in [".", ".."] {
        // `{connection_config.version}` is a path segment of the base URL.
        let client = RawClient::new(common::def(TENANT_YAML), Auth::None)
            .with_base_url(format!(
                "{}/api/{{connection_config.version}}",
                server.uri()
            ))
            .with_connection_config([
                ("subdomain".to_owned(), "acme".to_owned()),
                ("version".to_owned(), value.to_owned()),
            ]);
        let error = client.execute("me", object(json!({}))).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput(m) if m.contains("`version`")),
            "{value}: {error:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

const ENDPOINT_BASE_YAML: &str = r#"
name: endpoint_base_test
version: 1.0.0
base_url: https://api.example.test/2
auth: { kind: none }
endpoints:
  upload:
    method: POST
    path: /files/upload
    base_url: https://content.example.test/2
"#;

#[tokio::test]
async fn the_override_replaces_endpoint_base_urls_too() {
    let server = server_ok().await;
    let client = RawClient::new(common::def(ENDPOINT_BASE_YAML), Auth::None);
    assert_eq!(
        client.base_url(Some("upload")).unwrap(),
        "https://content.example.test/2"
    );
    let client = client.with_base_url(server.uri());
    client.execute("upload", object(json!({}))).await.unwrap();
    assert_eq!(only_request(&server).await.url.path(), "/files/upload");
}

const HEADER_CONFIG_YAML: &str = r#"
name: header_config_test
version: 1.0.0
base_url: https://api.example.test
connection_config:
  account: { description: The account id }
  team: { required: false, default: core }
auth: { kind: none }
headers: { X-Account: "acct {connection_config.account}" }
endpoints:
  me:
    method: GET
    path: /me
    headers: { X-Team: "{connection_config.team}" }
"#;

#[tokio::test]
async fn connection_config_fills_header_values() {
    let server = server_ok().await;
    let client = common::client(HEADER_CONFIG_YAML, Auth::None, &server)
        .with_connection_config([("account".to_owned(), "Acme Corp/42".to_owned())]);
    client.execute("me", object(json!({}))).await.unwrap();
    let request = only_request(&server).await;
    // A header value may hold what a URL may not (spaces, `/`); the default fills `team`.
    assert_eq!(request.headers["x-account"], "acct Acme Corp/42");
    assert_eq!(request.headers["x-team"], "core");

    // The proxy path sends the connector's headers, filled the same way.
    let server = server_ok().await;
    let client = common::client(HEADER_CONFIG_YAML, Auth::None, &server)
        .with_connection_config([("account".to_owned(), "7".to_owned())]);
    client
        .send(connector_runtime::RawRequest {
            method: reqwest::Method::GET,
            path: "/anything".into(),
            query: Vec::new(),
            headers: Default::default(),
            body: None,
        })
        .await
        .unwrap();
    assert_eq!(only_request(&server).await.headers["x-account"], "acct 7");
}

#[tokio::test]
async fn a_header_value_from_connection_config_cannot_hold_a_line_break() {
    let server = server_ok().await;
    for value in ["a\r\nX-Injected: 1", "a\nb", "tab\there"] {
        let client = common::client(HEADER_CONFIG_YAML, Auth::None, &server)
            .with_connection_config([("account".to_owned(), value.to_owned())]);
        let error = client.execute("me", object(json!({}))).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput(m) if m.contains("`account`") && m.contains("control")),
            "{value:?}: {error:?}"
        );
    }
    let missing = common::client(HEADER_CONFIG_YAML, Auth::None, &server);
    let error = missing.execute("me", object(json!({}))).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(m) if m.contains("`account` is required")),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
