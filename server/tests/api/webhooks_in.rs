//! Providers' webhooks into the real binary: a signed delivery for each scheme is accepted,
//! tied to its connection and forwarded as `webhook.received`; a bad signature, a replayed or
//! future timestamp, a missing secret are 401s that store nothing; the handshakes of Slack and
//! Microsoft Graph are answered.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Options, ServerProcess, TestServer, error_code};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A definition whose webhooks are signed by `signature` (YAML flow mapping).
fn definition(name: &str, webhooks: &str) -> String {
    format!(
        "name: {name}\nversion: 1.0.0\nbase_url: https://{name}.example.com\n\
         connection_config:\n  account_id: {{ required: false }}\n\
         auth: {{ kind: api_key, in: header, name: X-Api-Key }}\nwebhooks:\n{webhooks}\n"
    )
}

struct Setup {
    server: TestServer,
    binary: ServerProcess,
    receiver: MockServer,
    http: reqwest::Client,
    _defs: tempfile::TempDir,
}

async fn setup() -> Setup {
    let defs = tempfile::tempdir().unwrap();
    let files = [
        (
            "hooks_hmac",
            "  signature: { scheme: hmac_sha256, header: X-Hub-Signature-256, prefix: \"sha256=\" }\n  \
             event_type: { header: X-GitHub-Event }\n  \
             connection: { body: /installation/id, matches: account_id }",
        ),
        (
            "hooks_stripe",
            "  signature: { scheme: stripe }\n  event_type: { body: /type }\n  \
             connection: { body: /account, matches: account_id }",
        ),
        (
            "hooks_slack",
            "  signature: { scheme: slack }\n  event_type: { body: /event/type }\n  \
             connection: { body: /team_id, matches: account_id }",
        ),
        (
            "hooks_std",
            "  signature: { scheme: standard_webhooks }\n  event_type: { body: /type }",
        ),
        (
            "hooks_none",
            "  signature: { scheme: none }\n  event_type: { body: /kind }",
        ),
    ];
    for (name, webhooks) in files {
        std::fs::write(
            defs.path().join(format!("{name}.yaml")),
            definition(name, webhooks),
        )
        .unwrap();
    }
    std::fs::write(
        defs.path().join("hooks_absent.yaml"),
        "name: hooks_absent\nversion: 1.0.0\nbase_url: https://a.example.com\nauth: { kind: api_key, in: header, name: X-Api-Key }\n",
    )
    .unwrap();
    let mut options = Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    };
    // The binary sends the deliveries.
    options.settings.webhooks.deliver = false;
    let server = TestServer::start_with(options).await;
    let defs_dir = defs.path().display().to_string();
    let binary = ServerProcess::spawn_with(&server, &[("CONNECTOR_DEFS_DIR", &defs_dir)]).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let (status, body) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": receiver.uri(), "events": ["webhook.received"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for name in ["hooks_hmac", "hooks_stripe", "hooks_slack", "hooks_std"] {
        let (status, body) = server
            .put(
                &format!("/v1/integrations/{name}"),
                json!({ "webhook_secret": SECRET }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["has_webhook_secret"], true);
        assert!(!body.to_string().contains(SECRET), "{body}");
    }
    for (connector, id, account) in [
        ("hooks_hmac", "gh-42", "42"),
        ("hooks_hmac", "gh-7", "7"),
        ("hooks_stripe", "st-1", "acct_1"),
        ("hooks_slack", "sl-1", "T123"),
    ] {
        let (status, body) = server
            .post(
                "/v1/connections",
                json!({
                    "connector": connector,
                    "connection_id": id,
                    "connection_config": { "account_id": account },
                    "credentials": { "api_key": "k" },
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    Setup {
        server,
        binary,
        receiver,
        http: reqwest::Client::new(),
        _defs: defs,
    }
}

impl Setup {
    async fn post(
        &self,
        connector: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}/webhooks/{connector}", self.binary.url))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        crate::common::send(request).await
    }

    /// A delivery to `hooks_slack`, signed now as Slack signs.
    async fn post_slack(&self, body: &str) -> (StatusCode, Value) {
        let stamp = now().to_string();
        let signed = hmac_hex(
            SECRET.as_bytes(),
            &[b"v0:", stamp.as_bytes(), b":", body.as_bytes()],
        );
        let headers = [
            ("X-Slack-Request-Timestamp", stamp),
            ("X-Slack-Signature", format!("v0={signed}")),
        ];
        self.post("hooks_slack", &headers, body).await
    }

    /// The `webhook.received` events forwarded so far.
    async fn forwarded(&self, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let received = self.receiver.received_requests().await.unwrap();
            let events: Vec<Value> = received
                .iter()
                .map(|request| serde_json::from_slice::<Value>(&request.body).unwrap())
                .filter(|event| event["type"] == "webhook.received")
                .collect();
            if events.len() >= count {
                return events;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "{events:?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn stored_events(&self) -> usize {
        let (_, body) = self.server.get("/v1/webhook-deliveries?limit=200").await;
        body["data"].as_array().unwrap().len()
    }
}

/// A delivery to refuse: connector, headers, body, and what the error message says.
type Refused<'a> = (&'a str, Vec<(&'a str, String)>, &'a str, &'a str);

fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_of_every_scheme_are_accepted_tied_and_forwarded() {
    let setup = setup().await;

    // hmac_sha256 (GitHub's form): a JSON number matches the setting "42".
    let body = r#"{"action":"opened","installation":{"id":42}}"#;
    let signature = format!("sha256={}", hmac_hex(SECRET.as_bytes(), &[body.as_bytes()]));
    let (status, answer) = setup
        .post(
            "hooks_hmac",
            &[
                ("X-Hub-Signature-256", signature),
                ("X-GitHub-Event", "issues".into()),
            ],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["connection_ids"], json!(["gh-42"]));
    let event_id = answer["event_id"].as_str().unwrap().to_owned();

    // stripe: keyed with the whole whsec_ string, t within 300 s.
    let body = r#"{"type":"charge.succeeded","account":"acct_1"}"#;
    let t = now();
    let signed = hmac_hex(
        SECRET.as_bytes(),
        &[t.to_string().as_bytes(), b".", body.as_bytes()],
    );
    let (status, answer) = setup
        .post(
            "hooks_stripe",
            &[("Stripe-Signature", format!("t={t},v1={signed}"))],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["connection_ids"], json!(["st-1"]));

    // slack
    let body = r#"{"type":"event_callback","team_id":"T123","event":{"type":"message"}}"#;
    let (status, answer) = setup.post_slack(body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["connection_ids"], json!(["sl-1"]));

    // standard_webhooks, signed by the specification's own library.
    let body = r#"{"type":"invoice.paid"}"#;
    let t = now();
    let signature = standardwebhooks::Webhook::new(SECRET)
        .unwrap()
        .sign("msg_1", t, body.as_bytes())
        .unwrap();
    let (status, answer) = setup
        .post(
            "hooks_std",
            &[
                ("webhook-id", "msg_1".into()),
                ("webhook-timestamp", t.to_string()),
                ("webhook-signature", signature),
            ],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Without a `connection:` rule it is accepted and forwarded with no connection.
    assert_eq!(answer["connection_ids"], json!([]));

    // none
    let (status, _) = setup.post("hooks_none", &[], r#"{"kind":"ping"}"#).await;
    assert_eq!(status, StatusCode::OK);

    let events = setup.forwarded(5).await;
    let github = events
        .iter()
        .find(|event| event["data"]["connector"] == "hooks_hmac")
        .unwrap();
    assert_eq!(
        github["data"],
        json!({
            "connector": "hooks_hmac",
            "connection_ids": ["gh-42"],
            "event_type": "issues",
            "payload": { "action": "opened", "installation": { "id": 42 } },
        })
    );
    let types: Vec<&str> = events
        .iter()
        .map(|event| event["data"]["event_type"].as_str().unwrap())
        .collect();
    for expected in [
        "issues",
        "charge.succeeded",
        "message",
        "invoice.paid",
        "ping",
    ] {
        assert!(types.contains(&expected), "{types:?}");
    }
    let delivered = setup
        .receiver
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|request| request.headers["webhook-id"] == event_id.as_str())
        .count();
    assert_eq!(delivered, 1, "forwarded with the event's id as webhook-id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_replays_and_missing_secrets_are_401_and_store_nothing() {
    let setup = setup().await;
    let before = setup.stored_events().await;
    let body = r#"{"installation":{"id":42}}"#;
    let wrong = format!("sha256={}", hmac_hex(b"not the secret", &[body.as_bytes()]));
    let tampered_body = r#"{"installation":{"id":7}}"#;
    let right_for_other_body =
        format!("sha256={}", hmac_hex(SECRET.as_bytes(), &[body.as_bytes()]));
    let stale = now() - 301;
    let stale_signed = hmac_hex(
        SECRET.as_bytes(),
        &[stale.to_string().as_bytes(), b".", body.as_bytes()],
    );
    let future = now() + 600;
    let future_signed = hmac_hex(
        SECRET.as_bytes(),
        &[b"v0:", future.to_string().as_bytes(), b":", body.as_bytes()],
    );
    let cases: Vec<Refused> = vec![
        (
            "hooks_hmac",
            vec![("X-Hub-Signature-256", wrong)],
            body,
            "does not match",
        ),
        (
            "hooks_hmac",
            vec![("X-Hub-Signature-256", right_for_other_body)],
            tampered_body,
            "does not match",
        ),
        (
            "hooks_hmac",
            vec![],
            body,
            "`X-Hub-Signature-256` header is missing",
        ),
        (
            "hooks_hmac",
            vec![("X-Hub-Signature-256", "sha256=zz".into())],
            body,
            "not in the expected form",
        ),
        (
            "hooks_stripe",
            vec![("Stripe-Signature", format!("t={stale},v1={stale_signed}"))],
            body,
            "from the server's clock",
        ),
        (
            "hooks_slack",
            vec![
                ("X-Slack-Request-Timestamp", future.to_string()),
                ("X-Slack-Signature", format!("v0={future_signed}")),
            ],
            body,
            "from the server's clock",
        ),
        (
            "hooks_std",
            vec![
                ("webhook-id", "m".into()),
                ("webhook-timestamp", now().to_string()),
                ("webhook-signature", "v1,AAAA".into()),
            ],
            body,
            "does not match",
        ),
    ];
    for (connector, headers, body, message) in cases {
        let (status, answer) = setup.post(connector, &headers, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{connector}: {answer}");
        assert_eq!(error_code(&answer), "invalid_signature");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{connector}: {answer}"
        );
    }
    // No secret set for the connector: nothing can be checked, so nothing is accepted.
    let (status, _) = setup.server.delete("/v1/integrations/hooks_stripe").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let t = now();
    let signed = hmac_hex(
        SECRET.as_bytes(),
        &[t.to_string().as_bytes(), b".", body.as_bytes()],
    );
    let started = Instant::now();
    loop {
        // The binary's cached integration follows the deletion (at once on PostgreSQL; its
        // cache TTL is 0 here on SQLite).
        let (status, answer) = setup
            .post(
                "hooks_stripe",
                &[("Stripe-Signature", format!("t={t},v1={signed}"))],
                body,
            )
            .await;
        if status == StatusCode::UNAUTHORIZED {
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("PUT /v1/integrations/hooks_stripe"),
                "{answer}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{status} {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        setup.stored_events().await,
        before,
        "nothing stored or forwarded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_unknown_connectors_and_oversized_bodies() {
    let setup = setup().await;
    // Slack's url_verification is signed like any delivery and answered with the challenge.
    let body = r#"{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#;
    let (status, answer) = setup.post_slack(body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({ "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" })
    );
    // Microsoft Graph's validationToken is echoed as plain text.
    let response = setup
        .http
        .post(format!(
            "{}/webhooks/hooks_none?validationToken=Validation%3A+token+1",
            setup.binary.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.text().await.unwrap(), "Validation: token 1");
    assert_eq!(setup.stored_events().await, 0, "handshakes store nothing");

    let (status, answer) = setup.post("nope", &[], "{}").await;
    assert_eq!(
        (status, error_code(&answer)),
        (StatusCode::NOT_FOUND, "connector_not_found")
    );
    let (status, answer) = setup.post("hooks_absent", &[], "{}").await;
    assert_eq!(
        (status, error_code(&answer)),
        (StatusCode::NOT_FOUND, "webhooks_not_declared")
    );
    // A body announced larger than the limit is refused from its Content-Length, before it
    // is sent: over a raw socket, since a client still writing the body when the server
    // answers and closes may see a broken pipe instead of the answer.
    let answer = crate::common::announce_oversized(
        &setup.binary.url,
        "/webhooks/hooks_none",
        3 * 1024 * 1024,
        "",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}
