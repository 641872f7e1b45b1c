//! Refresh under contention: N concurrent calls on one expired token, at a token endpoint that
//! takes 200 ms and rotates refresh tokens. Prints the token requests the provider saw (the
//! target is exactly one per round) and the callers' wait (p50, p99, max).
//!
//! The calls are `GET /v1/connections/{id}/token`, which wait for the refresh and call nothing
//! else upstream, so the wait is the coordination's alone (a proxied call adds its own hop,
//! and hundreds of them at once overflow the mock provider's listen backlog).
//!
//! ```sh
//! cargo bench -p server --bench refresh                  # 200 calls a round, 5 rounds
//! cargo bench -p server --bench refresh -- 500 3         # calls, rounds
//! BENCH_DATABASE_URL=postgres://… cargo bench -p server --bench refresh
//! ```
//!
//! It runs the real `connector` binary: one process on SQLite, then, when
//! `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`) names a PostgreSQL server, two processes
//! sharing a fresh database there, the calls split between them. docs/performance.md
//! records a run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The server suite's helpers (a fresh PostgreSQL database).
#[path = "../tests/api/common.rs"]
#[allow(dead_code)]
mod common;

const SECRET_KEY: &str = "sk_bench_refresh_0123456789abcdef0123456789";
const TOKEN_DELAY: Duration = Duration::from_millis(200);

fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let data = tempfile::tempdir().unwrap();
        let sqlite = format!(
            "sqlite://{}?mode=rwc",
            data.path().join("bench.db").display()
        );
        run("SQLite, 1 process", &sqlite, 1, calls, rounds).await;
        let postgres = std::env::var("BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("TEST_DATABASE_URL"))
            .ok()
            .filter(|url| !url.is_empty());
        match postgres {
            Some(admin) => {
                let url = common::fresh_postgres_database(&admin).await;
                run("PostgreSQL, 2 processes", &url, 2, calls, rounds).await;
            }
            None => {
                println!("PostgreSQL, 2 processes: skipped (set BENCH_DATABASE_URL=postgres://…)")
            }
        }
    });
}

async fn run(label: &str, database_url: &str, processes: usize, calls: usize, rounds: usize) {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({
                    "access_token": "fresh", "refresh_token": "rotated",
                    "token_type": "Bearer", "expires_in": 3600
                }))
                .set_delay(TOKEN_DELAY),
        )
        .mount(&provider)
        .await;

    let encryption_key = connector_server::crypto::Cipher::generate_key();
    let mut servers = Vec::new();
    for _ in 0..processes {
        servers.push(Process::spawn(database_url, &encryption_key, &provider.uri()).await);
    }
    let http = reqwest::Client::new();
    let mut token_requests = Vec::new();
    let mut waits = Vec::new();
    for round in 0..rounds {
        let id = format!("bench-{round}");
        let created = http
            .post(format!("{}/v1/connections", servers[0].url))
            .bearer_auth(SECRET_KEY)
            .json(&json!({
                "connector": "gmail",
                "connection_id": id,
                "credentials": {
                    "access_token": "stale", "refresh_token": "rt",
                    "expires_at": chrono::Utc::now() - chrono::Duration::minutes(1),
                },
            }))
            .send()
            .await
            .unwrap();
        assert!(
            created.status().is_success(),
            "{}",
            created.text().await.unwrap()
        );
        let before = token_count(&provider).await;
        let first = waits.len();
        let requests = (0..calls).map(|i| {
            let url = format!(
                "{}/v1/connections/{id}/token",
                servers[i % servers.len()].url
            );
            let request = http.get(url).bearer_auth(SECRET_KEY);
            async move {
                let started = Instant::now();
                let status = request.send().await.map(|r| r.status().as_u16());
                (status, started.elapsed())
            }
        });
        for (status, wait) in futures_util::future::join_all(requests).await {
            assert_eq!(status.ok(), Some(200), "a call failed");
            waits.push(wait);
        }
        token_requests.push(token_count(&provider).await - before);
        let mut round_waits = waits[first..].to_vec();
        round_waits.sort();
        println!(
            "  {label}, round {}: {} token request(s), wait p50 {:.0?} p99 {:.0?}",
            round + 1,
            token_requests[round],
            round_waits[round_waits.len() / 2],
            round_waits[(round_waits.len() - 1) * 99 / 100],
        );
    }
    waits.sort();
    let percentile = |p: f64| waits[((waits.len() - 1) as f64 * p) as usize];
    println!(
        "{label}: {calls} concurrent calls on one expired token × {rounds} rounds; token requests per round {token_requests:?}; wait p50 {:.0?} p99 {:.0?} max {:.0?} (token endpoint {TOKEN_DELAY:?})",
        percentile(0.50),
        percentile(0.99),
        waits.last().unwrap(),
    );
}

async fn token_count(provider: &MockServer) -> usize {
    provider
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|request| request.url.path() == "/token")
        .count()
}

struct Process {
    _child: tokio::process::Child,
    url: String,
}

impl Process {
    async fn spawn(database_url: &str, encryption_key: &str, provider: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector"))
            .arg("serve")
            .env("CONNECTOR_BIND", &bind)
            .env("DATABASE_URL", database_url)
            .env("CONNECTOR_ENCRYPTION_KEY", encryption_key)
            .env("CONNECTOR_SECRET_KEY", SECRET_KEY)
            .env("GMAIL_CLIENT_ID", "bench-client")
            .env("GMAIL_CLIENT_SECRET", "bench-secret")
            .env("GMAIL_BASE_URL", provider)
            .env("GMAIL_TOKEN_URL", format!("{provider}/token"))
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
                return Process { _child: child, url };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the connector process did not start");
    }
}
