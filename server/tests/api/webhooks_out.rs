//! The platform's webhooks: endpoints, signed deliveries of `connection.*` events, retries on
//! the schedule, a manual retry, and a delivery cut by a kill -9 sent again by the next process.

use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{Options, ServerProcess, TestServer, error_code, in_an_hour};

/// A server whose deliverer retries after `schedule`.
async fn server_retrying(schedule: &str) -> TestServer {
    let mut options = Options::default();
    options.settings.webhooks.retry_schedule =
        connector_server::deliveries::parse_schedule(schedule).unwrap();
    TestServer::start_with(options).await
}

async fn endpoint(server: &TestServer, url: &str, events: Value) -> (String, String) {
    let (status, body) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": url, "events": events }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Waits until the receiver has had `count` requests.
async fn received(receiver: &MockServer, count: usize) -> Vec<Request> {
    let started = Instant::now();
    loop {
        let requests = receiver.received_requests().await.unwrap();
        if requests.len() >= count {
            return requests;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the receiver had {} requests, not {count}",
            requests.len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Checks a delivery's signature with the Standard Webhooks library, as a receiver would.
fn verified(request: &Request, secret: &str) -> Value {
    let mut headers = reqwest::header::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let value = request.headers.get(name).expect(name).to_str().unwrap();
        headers.insert(name, value.parse().unwrap());
    }
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&request.body, &headers)
        .expect("the signature verifies");
    serde_json::from_slice(&request.body).unwrap()
}

fn webhook_id(request: &Request) -> String {
    request.headers["webhook-id"].to_str().unwrap().to_owned()
}

async fn deliveries(server: &TestServer, query: &str) -> Vec<Value> {
    let (status, body) = server.get(&format!("/v1/webhook-deliveries{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Waits until the endpoint's only delivery is in `status`.
async fn delivery_in(server: &TestServer, endpoint_id: &str, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let found = deliveries(server, &format!("?endpoint_id={endpoint_id}")).await;
        if let [delivery] = found.as_slice()
            && delivery["status"] == status
        {
            return delivery.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not {status}: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn endpoints_are_made_listed_and_deleted_and_bad_ones_refused() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": "ftp://example.com/hook", "events": ["*"] }),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
    let (status, body) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": "https://example.com/hook", "events": ["connection.updated"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`connection.updated`"),
        "{body}"
    );

    let (id, secret) = endpoint(&server, "https://example.com/hook", json!(["*"])).await;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    assert!((24..=64).contains(&key.len()), "{} bytes", key.len());
    let (status, body) = server.get("/v1/webhook-endpoints").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"][0]["id"], id.as_str());
    assert_eq!(body["data"][0]["events"], json!(["*"]));
    assert!(body["data"][0].get("secret").is_none(), "{body}");
    let (status, _) = server.delete(&format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server.delete(&format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "webhook_endpoint_not_found")
    );
}

#[tokio::test]
async fn private_endpoints_are_refused_when_the_operator_forbids_them() {
    let mut options = Options::default();
    options.settings.webhooks.allow_private = false;
    let server = TestServer::start_with(options).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/hook",
        "http://10.0.0.8/hook",
    ] {
        let (status, body) = server
            .post(
                "/v1/webhook-endpoints",
                json!({ "url": url, "events": ["*"] }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
    }
}

#[tokio::test]
async fn connection_events_are_delivered_signed_to_the_endpoints_subscribed() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let server = server_retrying("1s").await;
    let (all, all_secret) =
        endpoint(&server, &format!("{}/all", receiver.uri()), json!(["*"])).await;
    let (deleted_only, deleted_secret) = endpoint(
        &server,
        &format!("{}/deleted", receiver.uri()),
        json!(["connection.deleted"]),
    )
    .await;
    server
        .import_tokens("w-1", "access", Some("refresh"), in_an_hour())
        .await;
    let (status, _) = server.delete("/v1/connections/w-1").await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let requests = received(&receiver, 3).await;
    let to = |route: &str| -> Vec<&Request> {
        requests.iter().filter(|r| r.url.path() == route).collect()
    };
    let mut all_events: Vec<Value> = to("/all")
        .iter()
        .map(|r| verified(r, &all_secret))
        .collect();
    // Deliveries run concurrently: they may arrive in either order.
    all_events.sort_by_key(|event| event["type"] != "connection.created");
    let types: Vec<&str> = all_events
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["connection.created", "connection.deleted"]);
    assert_eq!(
        all_events[0]["data"],
        json!({ "id": "w-1", "connector": "gmail", "end_user_id": "user-1", "status": "active" })
    );
    assert!(all_events[0]["timestamp"].as_str().unwrap().ends_with('Z'));
    let text = String::from_utf8_lossy(&to("/all")[0].body).into_owned();
    assert!(
        !text.contains("access") && !text.contains("refresh"),
        "{text}"
    );
    let deleted: Vec<Value> = to("/deleted")
        .iter()
        .map(|r| verified(r, &deleted_secret))
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["type"], "connection.deleted");
    // Both endpoints got the same event, with the same webhook-id.
    assert_eq!(webhook_id(to("/deleted")[0]), webhook_id(to("/all")[1]));

    let delivered = delivery_in(&server, &deleted_only, "delivered").await;
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(delivered["last_status"], 204);
    assert_eq!(delivered["type"], "connection.deleted");
    let all_deliveries = deliveries(&server, &format!("?endpoint_id={all}&status=delivered")).await;
    assert_eq!(all_deliveries.len(), 2);
}

/// A server that records events, and the real binary on its database, which sends them.
async fn binary_sending(env: &[(&str, &str)]) -> (TestServer, ServerProcess) {
    let mut options = Options::default();
    options.settings.webhooks.deliver = false;
    let server = TestServer::start_with(options).await;
    let binary = ServerProcess::spawn_with(&server, env).await;
    (server, binary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_on_the_schedule_until_it_recovers() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    // Then it hangs past the binary's 1 s timeout once, then recovers.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let (server, _binary) = binary_sending(&[
        ("CONNECTOR_WEBHOOK_RETRY_SCHEDULE", "300ms,300ms,300ms"),
        ("CONNECTOR_WEBHOOK_TIMEOUT_SECS", "1"),
    ])
    .await;
    let (id, secret) = endpoint(&server, &receiver.uri(), json!(["connection.created"])).await;
    server
        .import_tokens("w-2", "access", None, in_an_hour())
        .await;
    let delivered = delivery_in(&server, &id, "delivered").await;
    assert_eq!(delivered["attempts"], 3, "{delivered}");
    assert_eq!(delivered["last_status"], 200);
    let requests = received(&receiver, 3).await;
    let ids: Vec<String> = requests.iter().map(webhook_id).collect();
    assert_eq!(
        ids,
        vec![ids[0].clone(); 3],
        "the same webhook-id on every attempt"
    );
    assert_eq!(ids[0], delivered["event_id"].as_str().unwrap());
    for request in &requests {
        verified(request, &secret);
    }
}

#[tokio::test]
async fn a_delivery_fails_once_the_schedule_is_spent_and_a_manual_retry_sends_it_again() {
    // Nothing listens on this port: connections are refused.
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let server = server_retrying("200ms").await;
    let (id, _) = endpoint(&server, &format!("http://{refused}/hook"), json!(["*"])).await;
    server
        .import_tokens("w-3", "access", None, in_an_hour())
        .await;
    let failed = delivery_in(&server, &id, "failed").await;
    assert_eq!(failed["attempts"], 2, "{failed}");
    assert!(failed.get("last_status").is_none(), "{failed}");
    assert!(
        failed["last_error"].as_str().unwrap().len() > 10,
        "{failed}"
    );
    assert_eq!(
        deliveries(&server, "?status=failed").await.len(),
        1,
        "the status filter"
    );

    let (status, body) = server
        .post(
            &format!(
                "/v1/webhook-deliveries/{}/retry",
                failed["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    let again = delivery_in(&server, &id, "failed").await;
    assert_eq!(again["attempts"], 3, "one more attempt: {again}");
    assert_eq!(again["event_id"], failed["event_id"]);
    let (status, body) = server
        .post("/v1/webhook-deliveries/whd_missing/retry", json!({}))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "webhook_delivery_not_found")
    );
}

/// A process killed while its receiver holds a delivery never records the attempt; the next
/// process sends the delivery again, with the same webhook-id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_by_kill_9_is_sent_again_by_the_next_process() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    // This process records events but sends none: the spawned ones do.
    let env = [("CONNECTOR_WEBHOOK_RETRY_SCHEDULE", "1s")];
    let (server, first) = binary_sending(&env).await;
    let (id, secret) = endpoint(&server, &format!("{}/hook", receiver.uri()), json!(["*"])).await;
    server
        .import_tokens("w-4", "access", None, in_an_hour())
        .await;
    let held = received(&receiver, 1).await;
    first.kill().await;
    let pending = delivery_in(&server, &id, "pending").await;
    assert_eq!(pending["attempts"], 0, "the cut attempt was not recorded");

    let _second = ServerProcess::spawn_with(&server, &env).await;
    let delivered = delivery_in(&server, &id, "delivered").await;
    assert_eq!(delivered["attempts"], 1);
    let requests = received(&receiver, 2).await;
    assert_eq!(webhook_id(&requests[1]), webhook_id(&held[0]));
    assert_eq!(verified(&requests[1], &secret), verified(&held[0], &secret));
}

#[tokio::test]
async fn a_refused_refresh_token_sends_connection_needs_reauth() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_grant" })))
        .mount(&provider)
        .await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let server = TestServer::start().await;
    server.integrate("gmail", &provider.uri()).await;
    let (_, secret) = endpoint(&server, &receiver.uri(), json!(["connection.needs_reauth"])).await;
    server
        .import_tokens("w-5", "old", Some("revoked"), crate::common::expired())
        .await;
    let (status, body) = server.get("/v1/connections/w-5/token").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "needs_reauth")
    );
    let requests = received(&receiver, 1).await;
    let event = verified(&requests[0], &secret);
    assert_eq!(event["type"], "connection.needs_reauth");
    assert_eq!(event["data"]["id"], "w-5");
    assert_eq!(event["data"]["status"], "needs_reauth");
}

/// Several processes on PostgreSQL share the outbox: each delivery is attempted by one of
/// them (row locks that skip locked rows), so a receiver that answers 200 gets each event once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_send_each_delivery_once_on_postgresql() {
    let mut options = Options::default();
    options.settings.webhooks.deliver = false;
    let server = TestServer::start_with(options).await;
    if !server.database_url.starts_with("postgres") {
        eprintln!("skipped: several processes are a PostgreSQL set-up (set TEST_DATABASE_URL)");
        return;
    }
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(50)))
        .mount(&receiver)
        .await;
    let _first = ServerProcess::spawn(&server).await;
    let _second = ServerProcess::spawn(&server).await;
    endpoint(&server, &receiver.uri(), json!(["connection.created"])).await;
    for i in 0..20 {
        server
            .import_tokens(&format!("many-{i}"), "access", None, in_an_hour())
            .await;
    }
    received(&receiver, 20).await;
    // Time for any second attempt to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests = receiver.received_requests().await.unwrap();
    let mut ids: Vec<String> = requests.iter().map(webhook_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((requests.len(), ids.len()), (20, 20));
}
