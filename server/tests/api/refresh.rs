//! Token refresh: before expiry, after a 401, with and without rotation, one at a time, and
//! `invalid_grant` turning the connection to `needs_reauth`.

use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    SECRET_KEY, ServerProcess, TestServer, error_code, expired, in_an_hour, token_response,
};

fn profile() -> serde_json::Value {
    json!({ "emailAddress": "a@example.com", "messagesTotal": 3, "threadsTotal": 2, "historyId": "9" })
}

/// The provider's profile route, expecting `times` calls made with `access_token`.
async fn serve_profile(mock: &MockServer, access_token: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path("/users/me/profile"))
        .and(header(
            "authorization",
            format!("Bearer {access_token}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(profile()))
        .expect(times)
        .mount(mock)
        .await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_before_use_and_a_rotated_refresh_token_is_kept() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-1", "old", Some("rt-1"), expired())
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_response("new-1", Some("rt-2"))),
        )
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=rt-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("new-2", None)))
        .expect(2) // the forced refresh, then POST /refresh: without rotation rt-2 stays
        .mount(&mock)
        .await;

    let (status, token) = server.get("/v1/connections/r-1/token").await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "new-1");
    assert!(token["expires_at"].is_string());

    // The rotated refresh token (rt-2) is the one used next; without rotation it stays.
    let (_, token) = server
        .get("/v1/connections/r-1/token?force_refresh=true")
        .await;
    assert_eq!(token["access_token"], "new-2");
    let (status, connection) = server.post("/v1/connections/r-1/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{connection}");
    assert_eq!(connection["status"], "active");
}

#[tokio::test]
async fn a_valid_token_is_not_refreshed() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-2", "fresh", Some("rt"), in_an_hour())
        .await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&mock)
        .await;
    let (_, token) = server.get("/v1/connections/r-2/token").await;
    assert_eq!(token["access_token"], "fresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_calls_on_an_expired_token_make_one_token_request() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-3", "old", Some("rt"), expired())
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_response("new", None))
                .set_delay(std::time::Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&mock)
        .await;
    serve_profile(&mock, "new", 20).await;
    let calls = (0..20).map(|_| {
        let request = server.request(reqwest::Method::GET, "/v1/proxy/r-3/users/me/profile");
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert!(
        statuses.iter().all(|status| *status == StatusCode::OK),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_upstream_401_refreshes_once_and_retries() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-4", "revoked", Some("rt"), in_an_hour())
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("renewed", None)))
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer revoked"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({ "error": { "code": 401 } })))
        .expect(1)
        .mount(&mock)
        .await;
    serve_profile(&mock, "renewed", 1).await;
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_profile",
            json!({ "connection_id": "r-4" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["emailAddress"], "a@example.com");
}

#[tokio::test]
async fn invalid_grant_marks_the_connection_needs_reauth() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-5", "old", Some("revoked-refresh"), expired())
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_grant", "error_description": "Token has been revoked." }),
        ))
        .expect(1)
        .mount(&mock)
        .await;
    // Nothing reaches the API once the connection needs re-authorization.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&mock)
        .await;

    let (status, body) = server.get("/v1/connections/r-5/token").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "needs_reauth");
    let (_, connection) = server.get("/v1/connections/r-5").await;
    assert_eq!(connection["status"], "needs_reauth");
    assert!(
        connection["last_error"]
            .as_str()
            .unwrap()
            .contains("invalid_grant")
    );

    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_profile",
            json!({ "connection_id": "r-5" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "needs_reauth");
    let (status, body) = server.get("/v1/proxy/r-5/users/me/profile").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "needs_reauth");
    let (status, _) = server.post("/v1/connections/r-5/refresh", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn refresh_needs_an_oauth_connection() {
    let server = TestServer::start().await;
    let (status, body) = server.post("/v1/connections/none/refresh", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connection_not_found");
}

/// Item 1 of the hardening issue: an HTTP/2 client that gives up while the `connector`
/// binary refreshes must not cancel the refresh between the provider's rotation and the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_outlives_an_http2_client_that_disconnects() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-h2", "old", Some("rt-1"), expired())
        .await;
    rotating_token_endpoint(&mock, std::time::Duration::from_millis(600)).await;
    serve_profile(&mock, "new", 1).await;
    let process = ServerProcess::spawn(&server).await;

    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let call = h2
        .get(format!("{}/v1/proxy/r-h2/users/me/profile", process.url))
        .bearer_auth(SECRET_KEY)
        .send();
    // The client gives up (its stream is reset) while the token request is in flight.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(200), call)
            .await
            .is_err()
    );
    drop(h2);
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;

    // The rotated tokens were stored: the next call uses them without another token request.
    let response = reqwest::Client::new()
        .get(format!("{}/v1/proxy/r-h2/users/me/profile", process.url))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = server.state.store.read("r-h2").await.unwrap();
    assert_eq!(stored.connection.status, "active");
    match &stored.secret {
        connector_server::store::Secret::Oauth2 { refresh_token, .. } => {
            assert_eq!(refresh_token.as_deref(), Some("rt-2"));
        }
        other => panic!("not OAuth tokens: {other:?}"),
    }
}

/// A refresh whose only caller was cancelled still completes, and leaves no entry behind
/// (refresh-lock entries leaked when a refresh was cancelled).
#[tokio::test]
async fn a_cancelled_caller_leaves_no_refresh_behind() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-cancel", "old", Some("rt-1"), expired())
        .await;
    rotating_token_endpoint(&mock, std::time::Duration::from_millis(300)).await;
    let refresher = server.state.refresher.clone();
    let caller = tokio::spawn(async move { refresher.refresh("r-cancel", None).await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(server.state.refresher.in_flight(), 1);
    caller.abort();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(server.state.refresher.in_flight(), 0);
    assert_eq!(
        server.state.store.read("r-cancel").await.unwrap().version,
        2
    );
}

/// A token endpoint that rotates `rt-1` once, after `delay`, and refuses any later exchange
/// as a rotating provider refuses a refresh token it already took.
async fn rotating_token_endpoint(mock: &MockServer, delay: std::time::Duration) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_response("new", Some("rt-2")))
                .set_delay(delay),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_grant" })))
        .expect(0)
        .mount(mock)
        .await;
}

/// Item 8: a token that lives 2 minutes is not refreshed on every call under the 5-minute
/// margin; the margin shrinks to half its lifetime.
#[tokio::test]
async fn a_short_lived_token_is_not_refreshed_on_every_call() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens(
            "r-short",
            "short",
            Some("rt"),
            chrono::Utc::now() + chrono::Duration::seconds(120),
        )
        .await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "again", "token_type": "Bearer", "expires_in": 120
        })))
        .expect(0)
        .mount(&mock)
        .await;
    serve_profile(&mock, "short", 5).await;
    for _ in 0..5 {
        let response = server
            .request(reqwest::Method::GET, "/v1/proxy/r-short/users/me/profile")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// Item 2: refreshes waiting on slow token endpoints hold no database connection, so the
/// routes that read the database answer at once meanwhile (PostgreSQL's pool has 16).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_routes_answer_while_many_token_requests_hang() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    const CONNECTIONS: usize = 24;
    for i in 0..CONNECTIONS {
        server
            .import_tokens(&format!("slow-{i}"), "old", Some("rt"), expired())
            .await;
    }
    let hang = std::time::Duration::from_secs(4);
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_response("new", None))
                .set_delay(hang),
        )
        .expect(CONNECTIONS as u64)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_json(profile()))
        .mount(&mock)
        .await;
    let calls: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let request = server.request(
                reqwest::Method::GET,
                &format!("/v1/proxy/slow-{i}/users/me/profile"),
            );
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let (status, list) = server.get("/v1/connections?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() < hang / 2,
        "database routes waited {:?} behind token requests",
        started.elapsed()
    );
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
}

/// Item 6: a token endpoint's answer is read up to 1 MiB; a larger one is a 502
/// `response_too_large`, and nothing of it is stored.
#[tokio::test]
async fn an_oversized_token_answer_is_refused_and_nothing_is_stored() {
    let mock = MockServer::start().await;
    let server = TestServer::start().await;
    server.integrate("gmail", &mock.uri()).await;
    server
        .import_tokens("r-big", "old", Some("rt"), expired())
        .await;
    let huge = "x".repeat(2 * 1024 * 1024);
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": huge, "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&mock)
        .await;
    let (status, body) = server
        .post("/v1/connections/r-big/refresh", json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(error_code(&body), "response_too_large");
    let stored = server.state.store.read("r-big").await.unwrap();
    assert_eq!(stored.version, 1, "nothing was written over the old tokens");
    assert_eq!(stored.connection.status, "error");
}
