//! Two server processes sharing one database (the suite's SQLite file, or PostgreSQL when
//! TEST_DATABASE_URL is set) race to refresh the same expired token at a rotating provider:
//! exactly one token request reaches it, and the rotated refresh token is kept.

use std::time::Duration;

use reqwest::StatusCode;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SECRET_KEY, ServerProcess, TestServer, expired, in_an_hour, token_response};

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
    let first = ServerProcess::spawn(&server).await;
    let second = ServerProcess::spawn(&server).await;
    let http = reqwest::Client::new();
    let calls = (0..20).map(|i| {
        let url = if i % 2 == 0 { &first.url } else { &second.url };
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
    drop((first, second));
    let stored = server.state.store.read("shared").await.unwrap();
    assert_eq!(stored.connection.status, "active");
    assert_eq!(stored.version, 2, "one refresh, one write");
}

/// Another process's cached connection and integration (kept 600 s here) follow the changes
/// made through this one at once on PostgreSQL: an integration's new base URL, a deleted
/// connection, and a connection made again with a new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_processs_cache_follows_changes_at_once_on_postgresql() {
    let server = TestServer::start().await;
    if !server.database_url.starts_with("postgres") {
        eprintln!("skipped: the change feed is PostgreSQL's (set TEST_DATABASE_URL)");
        return;
    }
    let (first_upstream, second_upstream) = (MockServer::start().await, MockServer::start().await);
    for (upstream, name) in [(&first_upstream, "first"), (&second_upstream, "second")] {
        for token in ["one", "two"] {
            Mock::given(method("GET"))
                .and(path("/users/me/labels"))
                .and(header("authorization", format!("Bearer {token}").as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_string(format!("{name} {token}")))
                .mount(upstream)
                .await;
        }
    }
    server.integrate("gmail", &first_upstream.uri()).await;
    server
        .import_tokens("followed", "one", Some("rt"), in_an_hour())
        .await;
    let other = ServerProcess::spawn_with(&server, &[("CONNECTOR_CACHE_TTL_SECS", "600")]).await;
    let http = reqwest::Client::new();
    let through_other = || async {
        let response = http
            .get(format!("{}/v1/proxy/followed/users/me/labels", other.url))
            .bearer_auth(SECRET_KEY)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let answers = |expected: (StatusCode, &'static str)| {
        let through_other = &through_other;
        async move {
            let started = std::time::Instant::now();
            loop {
                let (status, body) = through_other().await;
                if status == expected.0 && (expected.1.is_empty() || body == expected.1) {
                    return started.elapsed();
                }
                assert!(
                    started.elapsed() < Duration::from_secs(3),
                    "still {status} {body}, expected {expected:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    answers((StatusCode::OK, "first one")).await;

    server.integrate("gmail", &second_upstream.uri()).await;
    answers((StatusCode::OK, "second one")).await;

    let (status, _) = server.delete("/v1/connections/followed").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    answers((StatusCode::NOT_FOUND, "")).await;

    server
        .import_tokens("followed", "two", Some("rt"), in_an_hour())
        .await;
    answers((StatusCode::OK, "second two")).await;
}
