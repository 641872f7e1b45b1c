//! Cassettes: replay against a definition (what `connector test` runs), and recording of
//! real exchanges, redacted.

use std::sync::Arc;

use connector_runtime::cassette::{Cassette, replay, replay_dir};
use connector_runtime::{Auth, ConnectorDef, RawClient};
use serde_json::{Map, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEF: &str = r##"
name: tracker
version: 1.0.0
base_url: https://api.tracker.test/v2
auth: { kind: api_key, in: header, name: X-Api-Key }
headers: { X-Api-Version: "2024-01-01" }
schemas:
  Issue:
    type: object
    required: [id, title]
    properties:
      id: { type: integer }
      title: { type: string }
      state: { type: string, enum: [open, closed] }
endpoints:
  list_issues:
    method: GET
    path: /repos/{owner}/{repo}/issues
    params:
      owner: { in: path, type: string }
      repo: { in: path, type: string }
      state: { in: query, type: string, default: open }
      per_page: { in: query, type: integer }
      labels: { in: query, type: array }
    response: { type: array, items: { $ref: "#/schemas/Issue" } }
  create_issue:
    method: POST
    path: /repos/{owner}/{repo}/issues
    params:
      owner: { in: path, type: string }
      repo: { in: path, type: string }
      title: { in: body, type: string, required: true }
      body: { in: body, type: string }
    response: { $ref: "#/schemas/Issue" }
  download_attachment:
    method: GET
    path: /attachments/{id}
    params:
      id: { in: path, type: string }
    response: { type: string, format: binary }
  login:
    method: POST
    path: /session
    body_encoding: form
    params:
      username: { in: body, type: string, required: true }
      remember: { in: body, type: boolean }
"##;

fn def() -> ConnectorDef {
    connector_defs::parse(DEF, "tracker.yaml").unwrap()
}

fn problems(cassette: &str) -> Vec<String> {
    replay(&def(), &Cassette::parse(cassette, "c.yaml").unwrap())
}

const LIST: &str = r#"
endpoint: list_issues
request:
  method: GET
  path: /repos/octo%20cat/hello/issues
  query: { state: open, per_page: "2", labels: [bug, ui] }
  headers: { X-Api-Version: "2024-01-01", X-Api-Key: "[redacted]" }
response:
  status: 200
  headers: { content-type: application/json }
  body:
    - { id: 1, title: Found a bug, state: open, extra: ignored }
    - { id: 2, title: Another, state: closed }
"#;

#[test]
fn a_faithful_cassette_replays() {
    assert_eq!(problems(LIST), Vec::<String>::new());
    let create = r#"
endpoint: create_issue
request:
  method: POST
  path: /repos/octocat/hello/issues
  headers: { Content-Type: application/json }
  body: { title: Found a bug, body: It crashes }
response:
  status: 201
  body: { id: 3, title: Found a bug }
"#;
    assert_eq!(problems(create), Vec::<String>::new());
    let form = r#"
endpoint: login
request:
  method: POST
  path: /session
  body: { username: ada, remember: "true" }
response: { status: 204 }
"#;
    assert_eq!(problems(form), Vec::<String>::new());
}

#[test]
fn what_the_endpoint_would_not_send_fails() {
    let undeclared = LIST.replace("per_page: \"2\"", "per_page: \"2\", sort: created");
    assert_eq!(
        problems(&undeclared),
        ["query parameter `sort` is not declared by the endpoint"]
    );
    let wrong_type = LIST.replace("per_page: \"2\"", "per_page: two");
    assert_eq!(
        problems(&wrong_type),
        ["query parameter `per_page`: `two` is not an integer"]
    );
    // The default `state=open` is always sent.
    let missing_default = LIST.replace("state: open, ", "");
    assert_eq!(
        problems(&missing_default),
        [
            "query: the endpoint builds `labels=bug&labels=ui&per_page=2&state=open`, the cassette says `labels=bug&labels=ui&per_page=2`"
        ]
    );
    let wrong_header = LIST.replace("\"2024-01-01\"", "\"2023-01-01\"");
    assert_eq!(
        problems(&wrong_header),
        ["header `X-Api-Version`: the endpoint sends `2024-01-01`, the cassette says `2023-01-01`"]
    );
    let leaked = LIST.replace("\"[redacted]\"", "sk_live_123");
    assert_eq!(
        problems(&leaked),
        ["header `X-Api-Key` carries a credential; write it as \"[redacted]\""]
    );
    let wrong_path = LIST.replace("/repos/octo%20cat/hello/issues", "/repos/octocat/issues");
    assert_eq!(
        problems(&wrong_path),
        [
            "path: `/repos/octocat/issues` does not match the endpoint's template `/repos/{owner}/{repo}/issues`"
        ]
    );
    let wrong_method = LIST.replace("method: GET", "method: POST");
    assert_eq!(
        problems(&wrong_method),
        ["method: the endpoint is GET, the cassette says POST"]
    );
    let unknown = LIST.replace("endpoint: list_issues", "endpoint: list_isues");
    assert_eq!(
        problems(&unknown),
        ["connector `tracker` has no endpoint `list_isues`; did you mean `list_issues`?"]
    );
    let missing_required = r#"
endpoint: create_issue
request: { method: POST, path: /repos/o/r/issues, body: { body: text } }
response: { status: 201, body: { id: 3, title: t } }
"#;
    assert_eq!(
        problems(missing_required),
        ["invalid input: endpoint `create_issue` of connector `tracker` needs parameter `title`"]
    );
}

#[test]
fn a_2xx_body_must_conform_and_others_are_not_checked() {
    let bad = LIST
        .replace("state: closed", "state: merged")
        .replace("id: 1, ", "");
    assert_eq!(
        problems(&bad),
        [
            "response body at `/0`: required property `id` is missing",
            r#"response body at `/1/state`: "merged" is not one of "open", "closed""#,
        ]
    );
    let not_found = LIST
        .replace("status: 200", "status: 404")
        .replace("- { id: 1, title: Found a bug, state: open, extra: ignored }\n    - { id: 2, title: Another, state: closed }", "{ message: Not Found }");
    assert_eq!(problems(&not_found), Vec::<String>::new());
}

#[test]
fn a_malformed_cassette_is_reported_at_its_line_and_column() {
    let error = Cassette::parse("endpoint: x\nrequest:\n  methd: GET\n", "bad.yaml").unwrap_err();
    assert_eq!(error.location.map(|(line, _)| line), Some(3));
    assert!(error.to_string().starts_with("bad.yaml:3:"), "{error}");
    assert!(
        error.to_string().contains("unknown field `methd`"),
        "{error}"
    );
}

#[test]
fn replay_dir_checks_file_names_and_reports_each_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list_issues.yaml"), LIST).unwrap();
    std::fs::write(dir.path().join("create-x.yaml"), LIST).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "endpoint: [").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a cassette").unwrap();
    let outcomes = replay_dir(&def(), dir.path()).unwrap();
    let files: Vec<(&str, bool)> = outcomes
        .iter()
        .map(|outcome| (outcome.file.as_str(), outcome.passed()))
        .collect();
    assert_eq!(
        files,
        [
            ("broken.yaml", false),
            ("create-x.yaml", false),
            ("list_issues.yaml", true)
        ]
    );
    assert!(outcomes[1].problems[0].contains("`list_issues.yaml` or `list_issues-<label>.yaml`"));
    assert_eq!(
        connector_runtime::cassette::uncovered(&def(), &outcomes),
        ["create_issue", "download_attachment", "login"]
    );
}

#[tokio::test]
async fn recording_writes_a_redacted_cassette_that_replays() {
    const KEY: &str = "sk_live_a1b2c3d4e5";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/repos/octocat/hello/issues"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "session=abc")
                // A provider echoing the key must not leak it into the cassette.
                .set_body_json(json!([{"id": 1, "title": format!("key {KEY}"), "state": "open"}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/repos/octocat/hello/issues"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"message": "Validation Failed"})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let client = RawClient::new(Arc::new(def()), Auth::api_key(KEY))
        .with_base_url(format!("{}/v2", server.uri()))
        .with_cassette_recorder(dir.path());
    let input =
        json!({"owner": "octocat", "repo": "hello", "per_page": 2, "labels": ["bug", "ui"]});
    let Ok(serde_json::Value::Object(input)) = serde_json::from_value::<serde_json::Value>(input)
    else {
        unreachable!()
    };
    client.execute("list_issues", input).await.unwrap();
    let mut input = Map::new();
    input.insert("owner".into(), json!("octocat"));
    input.insert("repo".into(), json!("hello"));
    input.insert("title".into(), json!(format!("uses {KEY}")));
    assert!(client.execute("create_issue", input).await.is_err());

    let folder = dir.path().join("tracker");
    let outcomes = replay_dir(&def(), &folder).unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    for outcome in &outcomes {
        assert!(outcome.passed(), "{outcome:?}");
        let text = std::fs::read_to_string(folder.join(&outcome.file)).unwrap();
        assert!(!text.contains(KEY), "{text}");
        assert!(!text.contains("session=abc"), "{text}");
        assert!(text.contains("x-api-key: '[redacted]'"), "{text}");
    }
    let create = outcomes
        .iter()
        .find(|outcome| outcome.endpoint.as_deref() == Some("create_issue"))
        .unwrap();
    assert!(create.file.starts_with("create_issue-"), "{}", create.file);
    let cassette = Cassette::load(&folder.join(&create.file)).unwrap();
    assert_eq!(cassette.response.status, 422);
    assert_eq!(
        cassette.request.body,
        Some(json!({"title": "uses [redacted]"}))
    );
}

#[tokio::test]
async fn a_cassette_that_cannot_be_written_does_not_fail_the_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let blocker = tempfile::NamedTempFile::new().unwrap();
    // A file where the folder should be.
    let client = RawClient::new(Arc::new(def()), Auth::api_key("k"))
        .with_base_url(server.uri())
        .with_cassette_recorder(blocker.path());
    let mut input = Map::new();
    input.insert("owner".into(), json!("o"));
    input.insert("repo".into(), json!("r"));
    let response = client.execute("list_issues", input).await.unwrap();
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn a_download_is_recorded_without_its_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/attachments/a1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(vec![0x89, b'P', b'N', b'G', 0, 1, 2]),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let client = RawClient::new(Arc::new(def()), Auth::api_key("k"))
        .with_base_url(format!("{}/v2", server.uri()))
        .with_cassette_recorder(dir.path());
    let download = client
        .download("download_attachment", &json!({"id": "a1"}))
        .await
        .unwrap();
    assert_eq!(download.content_type(), Some("image/png"));
    assert_eq!(download.bytes().await.unwrap().len(), 7);

    let outcomes = replay_dir(&def(), &dir.path().join("tracker")).unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(outcomes[0].passed(), "{outcomes:?}");
    let cassette = Cassette::load(&dir.path().join("tracker").join(&outcomes[0].file)).unwrap();
    assert_eq!(cassette.response.status, 200);
    assert_eq!(
        cassette.response.body,
        Some(json!("[binary body, not recorded]"))
    );
}
