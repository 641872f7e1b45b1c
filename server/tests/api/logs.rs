//! `GET /v1/logs`: every proxy call, typed action, refresh and webhook delivery, recorded off
//! the request's path; filters, cursor pages, retention. Never a secret, a body or a query.

use std::time::{Duration, Instant};

use connector_server::call_log::{CallKind, CallRecord};
use connector_server::db::entities::{webhook_delivery, webhook_event};
use connector_server::deliveries::DeliverySettings;
use connector_server::state::Settings;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Options, TestServer, error_code, expired, in_an_hour};

/// The log's rows once `count` are there (rows are written in batches, moments after).
async fn logs_when(server: &TestServer, query: &str, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (status, body) = server.get(&format!("/v1/logs{query}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rows = body["data"].as_array().unwrap().clone();
        if rows.len() >= count {
            return rows;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{query}: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn the_log_needs_the_secret_key() {
    let server = TestServer::start().await;
    let response = server
        .http
        .get(format!("{}/v1/logs", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn proxy_calls_actions_refreshes_and_deliveries_are_recorded_without_secrets() {
    let provider = MockServer::start().await;
    // One 503, then 200: the proxy's GET is retried, and the row says 2 attempts.
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "emailAddress": "a@example.com", "messagesTotal": 1, "threadsTotal": 1, "historyId": "1"
        })))
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_grant" })))
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&provider)
        .await;
    let server = TestServer::start().await;
    server.integrate("gmail", &provider.uri()).await;
    let (status, _) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": format!("{}/hooks?token=hook-secret", provider.uri()), "events": ["connection.created"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    server
        .import_tokens("log-1", "access-secret", Some("rt"), in_an_hour())
        .await;
    server
        .import_tokens("log-2", "old-secret", Some("revoked-secret"), expired())
        .await;

    let (status, _) = server
        .get("/v1/proxy/log-1/users/me/labels?q=private-query")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server
        .post(
            "/v1/actions/gmail/get_profile",
            json!({ "connection_id": "log-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = server.get("/v1/proxy/log-2/users/me/labels").await;
    assert_eq!(status, StatusCode::CONFLICT, "the refresh is refused");

    let rows = logs_when(&server, "?limit=200", 5).await;
    let text = serde_json::to_string(&rows).unwrap();
    for secret in [
        "access-secret",
        "old-secret",
        "revoked-secret",
        "private-query",
        "hook-secret",
        "client-secret-1",
        "emailAddress",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let find = |kind: &str| {
        rows.iter()
            .find(|row| row["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} row in {text}"))
    };
    let proxy = find("proxy");
    assert_eq!(proxy["connection_id"], "log-1");
    assert_eq!(proxy["connector"], "gmail");
    assert_eq!(proxy["method"], "GET");
    assert_eq!(proxy["path"], "/users/me/labels");
    assert_eq!(proxy["status"], 200);
    assert_eq!(proxy["attempts"], 2);
    assert!(proxy["duration_ms"].as_i64().unwrap() >= 0);
    assert!(proxy["time"].as_str().unwrap().contains('T'));
    assert!(proxy.get("error").is_none_or(Value::is_null));

    let action = find("action");
    assert_eq!(action["connection_id"], "log-1");
    assert_eq!(action["path"], "/users/{userId}/profile", "{action}");
    assert_eq!(action["status"], 200);
    assert_eq!(action["attempts"], 1);

    let refresh = find("refresh");
    assert_eq!(refresh["connection_id"], "log-2");
    assert_eq!(refresh["method"], "POST");
    assert_eq!(refresh["path"], format!("{}/token", provider.uri()));
    assert!(
        refresh["error"].as_str().unwrap().contains("invalid_grant"),
        "{refresh}"
    );

    let delivery = find("webhook");
    assert_eq!(delivery["path"], format!("{}/hooks", provider.uri()));
    assert_eq!(delivery["status"], 204);
    assert_eq!(delivery["attempts"], 1);
    assert!(delivery["connection_id"].is_null());

    // Newest first.
    let ids: Vec<i64> = rows
        .iter()
        .map(|row| row["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");
}

#[tokio::test]
async fn filters_and_cursor_pages() {
    let provider = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&provider)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&provider)
        .await;
    let server = TestServer::start().await;
    server.integrate("gmail", &provider.uri()).await;
    server
        .import_tokens("page-a", "a", Some("rt"), in_an_hour())
        .await;
    server
        .import_tokens("page-b", "b", Some("rt"), in_an_hour())
        .await;
    for n in 0..3 {
        let (status, _) = server.get(&format!("/v1/proxy/page-a/items/{n}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = server
        .request(reqwest::Method::DELETE, "/v1/proxy/page-b/items/9")
        .send()
        .await
        .map(|response| (response.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    logs_when(&server, "", 4).await;

    let only_b = logs_when(&server, "?connection_id=page-b", 1).await;
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0]["status"], 404);
    let failed = logs_when(&server, "?failed=true", 1).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["connection_id"], "page-b");
    let (_, body) = server.get("/v1/logs?connector=slack").await;
    assert_eq!(body["data"], json!([]));
    assert!(body["next_cursor"].is_null());
    let (_, body) = server.get("/v1/logs?kind=refresh").await;
    assert_eq!(body["data"], json!([]));

    // Pages of one, through the cursor, give page-a's three calls newest first, once each.
    let mut paths = Vec::new();
    let mut query = "/v1/logs?connection_id=page-a&limit=1".to_owned();
    loop {
        let (status, body) = server.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["data"].as_array().unwrap().len() <= 1);
        paths.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["path"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                query = format!("/v1/logs?connection_id=page-a&limit=1&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(paths, ["/items/2", "/items/1", "/items/0"]);

    let (status, body) = server.get("/v1/logs?cursor=not-ours").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_cursor");
    let (status, body) = server.get("/v1/logs?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_input");
    let (status, _) = server.get("/v1/logs?kind=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rows_older_than_the_retention_are_pruned() {
    let server = TestServer::start_with(Options {
        settings: Settings {
            log_retention: Duration::from_secs(3600),
            // The deliveries stay as the test sets them.
            webhooks: DeliverySettings {
                deliver: false,
                ..DeliverySettings::default()
            },
            ..Settings::default()
        },
        ..Options::default()
    })
    .await;
    let record = |path: &str, age: chrono::Duration| CallRecord {
        at: chrono::Utc::now() - age,
        connection_id: Some("old".into()),
        connector: Some("gmail".into()),
        kind: CallKind::Proxy,
        method: "GET".into(),
        path: path.into(),
        status: Some(200),
        duration: Duration::from_millis(3),
        attempts: 1,
        error: None,
    };
    // Two webhook events past the retention, one delivered and one still pending: the first
    // goes, with its delivery; the second stays until it is settled.
    let (status, _) = server
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": "http://127.0.0.1:9/hooks", "events": ["connection.created"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    server
        .import_tokens("settled", "a", Some("rt"), in_an_hour())
        .await;
    server
        .import_tokens("pending", "b", Some("rt"), in_an_hour())
        .await;
    let deliveries = webhook_delivery::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 2);
    let old = chrono::Utc::now() - chrono::Duration::hours(2);
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::CreatedAt, Expr::value(old))
        .exec(&server.state.db)
        .await
        .unwrap();
    let settled_event = deliveries[0].event_id.clone();
    for delivery in deliveries {
        let settled = delivery.event_id == settled_event;
        let mut delivery: webhook_delivery::ActiveModel = delivery.into();
        delivery.status = Set(if settled { "delivered" } else { "pending" }.into());
        delivery.next_attempt_at = Set((!settled).then_some(old + chrono::Duration::days(30)));
        delivery.updated_at = Set(old);
        delivery.update(&server.state.db).await.unwrap();
    }
    let log = &server.state.call_log;
    log.record(record("/old", chrono::Duration::hours(2)));
    log.record(record("/recent", chrono::Duration::minutes(5)));
    logs_when(&server, "", 2).await;
    assert!(log.prune().await.unwrap() >= 1);
    let (_, body) = server.get("/v1/logs").await;
    let paths: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/recent"]);
    let events: Vec<String> = webhook_event::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.id)
        .collect();
    assert_eq!(events.len(), 1);
    assert_ne!(events[0], settled_event);
    let deliveries = webhook_delivery::Entity::find()
        .all(&server.state.db)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].event_id, events[0]);
}
