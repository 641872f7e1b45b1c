//! Two server processes sharing one database (the suite's SQLite file, or PostgreSQL when
//! TEST_DATABASE_URL is set) race to refresh the same expired token at a rotating provider:
//! exactly one token request reaches it, and the rotated refresh token is kept.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SECRET_KEY, TestServer, expired, token_response};

struct Process(tokio::process::Child, String);

async fn spawn(server: &TestServer) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector"))
        .arg("serve")
        .env("CONNECTOR_BIND", &bind)
        .env("DATABASE_URL", &server.database_url)
        .env("CONNECTOR_ENCRYPTION_KEY", &server.encryption_key)
        .env("CONNECTOR_SECRET_KEY", SECRET_KEY)
        .env("CONNECTOR_CACHE_TTL_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the connector binary starts");
    let url = format!("http://{bind}");
    for _ in 0..200 {
        if reqwest::get(format!("{url}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Process(child, url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the second process did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_race_a_refresh_and_make_one_token_request() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("shared", "old", Some("rt"), expired())
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_response("new", Some("rt-2")))
                .set_delay(Duration::from_millis(300)),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&mock)
        .await;
    // A second request with the old refresh token would be refused, as rotating providers
    // do; the process that sent it must not overwrite the winner's tokens with needs_reauth.
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({ "error": "invalid_grant" })),
        )
        .expect(0)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .and(header("authorization", "Bearer new"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(20)
        .mount(&mock)
        .await;
    let first = spawn(&server).await;
    let second = spawn(&server).await;
    let http = reqwest::Client::new();
    let calls = (0..20).map(|i| {
        let url = if i % 2 == 0 { &first.1 } else { &second.1 };
        let request = http
            .get(format!("{url}/v1/proxy/shared/users/me/labels"))
            .bearer_auth(SECRET_KEY);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert!(
        statuses.iter().all(|status| *status == StatusCode::OK),
        "{statuses:?}"
    );
    drop((first.0, second.0));
    let stored = server.state.store.read("shared").await.unwrap();
    assert_eq!(stored.connection.status, "active");
    assert_eq!(stored.version, 2, "one refresh, one write");
}
