//! The catalog (connector-defs/catalog/) through the server: every API-key and basic
//! definition places its credential where its templates say, on a mock upstream reached
//! through the proxy, and turns a 401 of its `verify` request into 400 invalid_credentials; the
//! quirky OAuth providers (Slack, Salesforce, Zendesk, Notion) complete a real exchange.

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{Options, TestServer, error_code};

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../connector-defs/catalog");

/// A credential value that the mock upstream refuses with 401.
const BAD: &str = "BADCRED";

/// One server with the whole catalog: built in when the registry embeds it, else loaded from
/// the catalog folder (CONNECTOR_DEFS_DIR).
async fn catalog_server() -> TestServer {
    let server = TestServer::start().await;
    let (status, _) = server.get("/v1/connectors/zendesk").await;
    if status == StatusCode::OK {
        return server;
    }
    TestServer::start_with(Options {
        defs_dir: Some(PathBuf::from(CATALOG)),
        ..Options::default()
    })
    .await
}

/// Every catalog definition, as JSON (the YAML's own field names).
fn definitions() -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CATALOG)
        .expect("the catalog folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let def = connector_defs::load(file).unwrap_or_else(|error| panic!("{error}"));
            serde_json::to_value(def).unwrap()
        })
        .collect()
}

/// The first alternative of `A || B` whose `{connection_config.x}` are all in `config`, filled;
/// `{credentials.x}` filled from `credentials`.
fn render(
    template: &str,
    config: &HashMap<String, String>,
    credentials: &HashMap<String, String>,
) -> String {
    let alternatives: Vec<&str> = template.split("||").map(str::trim).collect();
    let fill = |alternative: &str, fallback: bool| -> Option<String> {
        let mut out = String::new();
        let mut rest = alternative;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}')?;
            let placeholder = &after[..close];
            if let Some(name) = placeholder.strip_prefix("connection_config.") {
                match config.get(name) {
                    Some(value) => out.push_str(value),
                    None if fallback => {}
                    None => return None,
                }
            } else if let Some(name) = placeholder.strip_prefix("credentials.") {
                out.push_str(&credentials[name]);
            } else {
                out.push_str(&rest[open..open + close + 2]);
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Some(out)
    };
    let last = alternatives.len() - 1;
    alternatives
        .iter()
        .enumerate()
        .find_map(|(index, alternative)| fill(alternative, index == last))
        .unwrap()
}

/// Refuses the requests that carry [`BAD`] anywhere: a header, the query, or a Basic
/// credential.
struct CarriesBadCredential;

impl wiremock::Match for CarriesBadCredential {
    fn matches(&self, request: &Request) -> bool {
        request.url.as_str().contains(BAD)
            || request.headers.values().any(|value| {
                let value = value.to_str().unwrap_or_default();
                value.contains(BAD)
                    || value.strip_prefix("Basic ").is_some_and(|encoded| {
                        STANDARD
                            .decode(encoded)
                            .is_ok_and(|decoded| String::from_utf8_lossy(&decoded).contains(BAD))
                    })
            })
    }
}

struct Case {
    name: String,
    /// The credential fields and the values sent.
    credentials: HashMap<String, String>,
    config: HashMap<String, String>,
    auth: Value,
    verify: bool,
}

/// Connects `case` (through `verify` when it has one), calls the proxy, and when it has
/// `verify`, tries a bad credential. Returns the problems found.
async fn exercise(server: &TestServer, upstream: &str, case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &case.name;
    let (status, body) = server
        .put(
            &format!("/v1/integrations/{name}"),
            json!({ "base_url": format!("{upstream}/{name}") }),
        )
        .await;
    if status != StatusCode::OK {
        return vec![format!("{name}: PUT integration {status} {body}")];
    }
    let connect = |id: String, credentials: &HashMap<String, String>| {
        server.post(
            "/v1/connections",
            json!({
                "connector": name,
                "connection_id": id,
                "connection_config": case.config,
                "credentials": credentials,
            }),
        )
    };
    let (status, body) = connect(format!("{name}-ok"), &case.credentials).await;
    if status != StatusCode::CREATED {
        return vec![format!("{name}: POST connection {status} {body}")];
    }
    let (status, body) = server.get(&format!("/v1/proxy/{name}-ok/probe")).await;
    if status != StatusCode::OK {
        problems.push(format!("{name}: proxy {status} {body}"));
    }
    if case.verify {
        let bad: HashMap<String, String> = case
            .credentials
            .keys()
            .map(|field| (field.clone(), format!("{BAD}-{field}")))
            .collect();
        let (status, body) = connect(format!("{name}-bad"), &bad).await;
        if status != StatusCode::BAD_REQUEST || error_code(&body) != "invalid_credentials" {
            problems.push(format!("{name}: a refused verify gave {status} {body}"));
        }
    }
    problems
}

/// What the upstream must have received on `/{name}/probe`.
fn check_placement(case: &Case, probe: &Request) -> Vec<String> {
    let name = &case.name;
    let mut problems = Vec::new();
    let headers = case.auth["headers"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let query = case.auth["query"].as_object().cloned().unwrap_or_default();
    let received_query: HashMap<String, String> = probe.url.query_pairs().into_owned().collect();
    for (header, template) in &headers {
        let expected = render(template.as_str().unwrap(), &case.config, &case.credentials);
        let got = probe
            .headers
            .get(header.as_str())
            .map(|v| v.to_str().unwrap_or_default());
        if got != Some(expected.as_str()) {
            problems.push(format!(
                "{name}: header `{header}` is {got:?}, not {expected:?}"
            ));
        }
    }
    for (param, template) in &query {
        let expected = render(template.as_str().unwrap(), &case.config, &case.credentials);
        if received_query.get(param) != Some(&expected) {
            problems.push(format!(
                "{name}: query `{param}` is {:?}, not {expected:?}",
                received_query.get(param)
            ));
        }
    }
    if headers.is_empty() && query.is_empty() && case.auth["kind"] == "basic" {
        let expected = format!(
            "Basic {}",
            STANDARD.encode(format!(
                "{}:{}",
                case.credentials["username"], case.credentials["password"]
            ))
        );
        let got = probe
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap_or_default());
        if got != Some(expected.as_str()) {
            problems.push(format!(
                "{name}: authorization is {got:?}, not {expected:?}"
            ));
        }
    }
    problems
}

#[tokio::test]
async fn every_api_key_and_basic_definition_places_its_credential() {
    let upstream = MockServer::start().await;
    Mock::given(CarriesBadCredential)
        .respond_with(ResponseTemplate::new(401))
        .with_priority(1)
        .mount(&upstream)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .mount(&upstream)
        .await;
    let server = catalog_server().await;

    let cases: Vec<Case> = definitions()
        .into_iter()
        .filter(|def| matches!(def["auth"]["kind"].as_str(), Some("api_key" | "basic")))
        .map(|def| {
            let name = def["name"].as_str().unwrap().to_owned();
            let auth = def["auth"].clone();
            let fields: Vec<String> = match auth["credentials"].as_array() {
                Some(fields) => fields
                    .iter()
                    .map(|f| f.as_str().unwrap().to_owned())
                    .collect(),
                None if auth["kind"] == "basic" => vec!["username".into(), "password".into()],
                None => vec!["api_key".into()],
            };
            let credentials = fields
                .iter()
                .map(|field| (field.clone(), format!("{field}-of-{name}")))
                .collect();
            let config = def["connection_config"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(setting, field)| {
                    Some((setting.clone(), field["example"].as_str()?.to_owned()))
                })
                .collect();
            Case {
                name,
                credentials,
                config,
                auth,
                verify: def.get("verify").is_some(),
            }
        })
        .collect();
    assert!(
        cases.len() >= 400,
        "only {} API-key and basic definitions",
        cases.len()
    );

    let upstream_uri = upstream.uri();
    let mut problems: Vec<String> = futures_util::stream::iter(&cases)
        .map(|case| exercise(&server, &upstream_uri, case))
        .buffer_unordered(16)
        .flat_map(futures_util::stream::iter)
        .collect()
        .await;
    let received = upstream.received_requests().await.unwrap();
    for case in &cases {
        let probe_path = format!("/{}/probe", case.name);
        match received
            .iter()
            .find(|request| request.url.path() == probe_path)
        {
            Some(probe) => problems.extend(check_placement(case, probe)),
            None => problems.push(format!("{}: no request reached {probe_path}", case.name)),
        }
    }
    problems.sort();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// An integration pointing the catalog definition `name` at `mock` (token URL and API).
async fn integrate(server: &TestServer, name: &str, token_url: &str, base_url: &str) {
    let (status, body) = server
        .put(
            &format!("/v1/integrations/{name}"),
            json!({
                "client_id": "client-1",
                "client_secret": "secret-1",
                "token_url": token_url,
                "base_url": base_url,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Authorizes `id` of `connector` and comes back through the callback; returns the
/// authorization URL's query.
async fn authorize_and_callback(
    server: &TestServer,
    connector: &str,
    id: &str,
    config: Value,
) -> (String, HashMap<String, String>) {
    let (status, started) = server
        .post(
            "/v1/oauth/authorize",
            json!({ "connector": connector, "connection_id": id, "connection_config": config }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let url = started["authorization_url"].as_str().unwrap().to_owned();
    let query: HashMap<String, String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let response = server
        .http
        .get(format!("{}/oauth/callback", server.url))
        .query(&[
            ("code", "the-code"),
            ("state", started["state"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    let (status, connection) = server.get(&format!("/v1/connections/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{connection}");
    assert_eq!(connection["status"], "active", "{connection}");
    (url, query)
}

#[tokio::test]
async fn the_quirky_oauth_providers_complete_an_exchange() {
    let server = catalog_server().await;

    // Slack: the user token sits in `authed_user`; scopes are joined by commas; no PKCE.
    let slack = MockServer::start().await;
    integrate(
        &server,
        "slack",
        &format!("{}/api/oauth.v2.access", slack.uri()),
        &format!("{}/api", slack.uri()),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/oauth.v2.access"))
        .and(body_string_contains("code=the-code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "ok": true, "authed_user": { "id": "U1", "access_token": "xoxp-user-1" } }),
        ))
        .expect(1)
        .mount(&slack)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/auth.test"))
        .and(header("authorization", "Bearer xoxp-user-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .expect(1)
        .mount(&slack)
        .await;
    let (url, query) = authorize_and_callback(&server, "slack", "slack-1", json!({})).await;
    assert!(
        url.starts_with("https://slack.com/oauth/v2/authorize?"),
        "{url}"
    );
    assert!(!query.contains_key("code_challenge"), "{url}");
    let (status, body) = server.get("/v1/proxy/slack-1/auth.test").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Salesforce: `instance_url` from the token response becomes the base URL.
    let login = MockServer::start().await;
    let instance = MockServer::start().await;
    let (status, body) = server
        .put(
            "/v1/integrations/salesforce",
            json!({ "client_id": "client-1", "client_secret": "secret-1", "token_url": format!("{}/services/oauth2/token", login.uri()) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "00D-token", "token_type": "Bearer", "instance_url": instance.uri(),
        })))
        .expect(1)
        .mount(&login)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v60.0/limits"))
        .and(header("authorization", "Bearer 00D-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&instance)
        .await;
    let (url, _) = authorize_and_callback(&server, "salesforce", "sf-1", json!({})).await;
    assert!(
        url.starts_with("https://login.salesforce.com/services/oauth2/authorize?"),
        "{url}"
    );
    let (_, connection) = server.get("/v1/connections/sf-1").await;
    assert_eq!(
        connection["connection_config"]["instance_url"],
        instance.uri(),
        "{connection}"
    );
    let (status, body) = server
        .get("/v1/proxy/sf-1/services/data/v60.0/limits")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Zendesk: the subdomain goes into the authorization URL, the token URL and the API URL.
    let zendesk = MockServer::start().await;
    integrate(
        &server,
        "zendesk",
        &format!(
            "{}/{{connection_config.subdomain}}/oauth/tokens",
            zendesk.uri()
        ),
        &format!("{}/{{connection_config.subdomain}}", zendesk.uri()),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/acme/oauth/tokens"))
        .and(body_string_contains("expires_in=1800"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "access_token": "zd-token", "token_type": "bearer", "refresh_token": "zd-refresh", "expires_in": 1800 }),
        ))
        .expect(1)
        .mount(&zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/acme/api/v2/users/me.json"))
        .and(header("authorization", "Bearer zd-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&zendesk)
        .await;
    let (url, _) =
        authorize_and_callback(&server, "zendesk", "zd-1", json!({ "subdomain": "acme" })).await;
    assert!(
        url.starts_with("https://acme.zendesk.com/oauth/authorizations/new?"),
        "{url}"
    );
    let (status, body) = server.get("/v1/proxy/zd-1/api/v2/users/me.json").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Notion: HTTP Basic client authentication at the token URL; `owner=user` asked for.
    let notion = MockServer::start().await;
    integrate(
        &server,
        "notion",
        &format!("{}/v1/oauth/token", notion.uri()),
        &notion.uri(),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        // base64("client-1:secret-1")
        .and(header("authorization", "Basic Y2xpZW50LTE6c2VjcmV0LTE="))
        .and(body_string_contains("the-code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "access_token": "secret_notion", "token_type": "bearer", "workspace_id": "w1" }),
        ))
        .expect(1)
        .mount(&notion)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .and(header("authorization", "Bearer secret_notion"))
        .and(header("notion-version", "2022-06-28"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&notion)
        .await;
    let (_, query) = authorize_and_callback(&server, "notion", "notion-1", json!({})).await;
    assert_eq!(query["owner"], "user");
    assert_eq!(query["response_type"], "code");
    let sent = &notion.received_requests().await.unwrap()[0];
    assert!(
        !String::from_utf8_lossy(&sent.body).contains("secret-1"),
        "the secret went in the body"
    );
    let (status, body) = server.get("/v1/proxy/notion-1/v1/users/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
