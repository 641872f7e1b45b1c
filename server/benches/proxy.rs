//! What the proxy costs: the same GET straight to a loopback upstream and through
//! `/v1/proxy/...` (secret-key check, cached connection lookup, credential injection,
//! streamed response), with throughput, latency percentiles and the process's memory.
//!
//! ```sh
//! cargo bench -p server --bench proxy                    # 20000 requests, 32 at a time
//! cargo bench -p server --bench proxy -- 50000 64        # requests, concurrency
//! ```
//!
//! The server runs in this process on a temporary SQLite database; figures are for this
//! machine only. docs/performance.md records a run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_server::state::Settings;
use connector_server::{Config, start};
use futures_util::StreamExt as _;
use poem::{EndpointExt as _, Route, handler};

const SECRET_KEY: &str = "sk_bench_0123456789abcdef0123456789";

#[handler]
fn upstream_answer() -> poem::Response {
    // About the size of a Gmail message list page.
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| {
        let messages: Vec<String> = (0..20)
            .map(|i| format!(r#"{{"id":"m{i:016}","threadId":"t{i:016}"}}"#))
            .collect();
        format!(
            r#"{{"messages":[{}],"resultSizeEstimate":20}}"#,
            messages.join(",")
        )
    });
    poem::Response::builder()
        .content_type("application/json")
        .body(body.clone())
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let requests: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(requests, concurrency));
}

async fn run(requests: usize, concurrency: usize) {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_url = format!("http://{}", upstream.local_addr().unwrap());
    let acceptor = poem::listener::TcpAcceptor::from_tokio(upstream).unwrap();
    tokio::spawn(
        poem::Server::new_with_acceptor(acceptor)
            .run(Route::new().at("/*", upstream_answer).boxed()),
    );

    let data = tempfile::tempdir().unwrap();
    // A connector of its own: the built-ins carry their providers' rate limits (Gmail's 250
    // requests a second), which would measure the limiter, not the proxy.
    let defs = data.path().join("defs");
    std::fs::create_dir(&defs).unwrap();
    std::fs::write(
        defs.join("bench.yaml"),
        format!("name: bench\nversion: 1.0.0\nbase_url: {upstream_url}\nauth: {{ kind: bearer }}\nendpoints:\n  list: {{ method: GET, path: /users/me/messages }}\n"),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_url = format!("http://{}", listener.local_addr().unwrap());
    let config = Config {
        database_url: Some(format!(
            "sqlite://{}?mode=rwc",
            data.path().join("bench.db").display()
        )),
        data_dir: data.path().to_path_buf(),
        secret_key: Some(SECRET_KEY.into()),
        encryption_key: Some(connector_server::crypto::Cipher::generate_key()),
        defs_dir: Some(defs),
        settings: Settings {
            public_url: server_url.clone(),
            ..Settings::default()
        },
        limits: Default::default(),
    };
    let started = start(&config).await.expect("the server starts");
    tokio::spawn(connector_server::app::serve(
        started.state,
        listener,
        Default::default(),
    ));

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let status = http
        .post(format!("{server_url}/v1/connections"))
        .bearer_auth(SECRET_KEY)
        .json(&serde_json::json!({ "connector": "bench", "connection_id": "bench", "credentials": { "token": "token" } }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "setup failed: {status}");

    println!("{requests} GET requests, {concurrency} at a time, 1.1 KB JSON answers, loopback");
    println!("memory before: {}", rss());
    let direct = measure(
        &http,
        &format!("{upstream_url}/users/me/messages"),
        None,
        requests,
        concurrency,
    )
    .await;
    let proxied = measure(
        &http,
        &format!("{server_url}/v1/proxy/bench/users/me/messages"),
        Some(SECRET_KEY),
        requests,
        concurrency,
    )
    .await;
    print_line("direct to upstream", &direct);
    print_line("through the proxy", &proxied);
    println!(
        "proxy overhead: p50 +{:.0} µs, p99 +{:.0} µs",
        micros(percentile(&proxied.latencies, 0.50)) - micros(percentile(&direct.latencies, 0.50)),
        micros(percentile(&proxied.latencies, 0.99)) - micros(percentile(&direct.latencies, 0.99)),
    );
    println!("memory after: {}", rss());
}

struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn measure(
    http: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    requests: usize,
    concurrency: usize,
) -> Run {
    // Warm the pools and the connection cache first.
    for _ in 0..concurrency {
        send(http, url, key).await;
    }
    let url: Arc<str> = url.into();
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..requests)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let sent = Instant::now();
                send(&http, &url, key).await;
                sent.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    Run { elapsed, latencies }
}

async fn send(http: &reqwest::Client, url: &str, key: Option<&str>) {
    let mut request = http.get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("the request is answered");
    assert!(response.status().is_success(), "{}", response.status());
    response.bytes().await.unwrap();
}

fn percentile(sorted: &[Duration], quantile: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * quantile).round() as usize]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn print_line(label: &str, run: &Run) {
    println!(
        "{label:>20}: {:>8.0} req/s   p50 {:>6.0} µs   p99 {:>6.0} µs",
        run.latencies.len() as f64 / run.elapsed.as_secs_f64(),
        micros(percentile(&run.latencies, 0.50)),
        micros(percentile(&run.latencies, 0.99)),
    );
}

/// Resident memory of this process (server, upstream and load generator together).
fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .map(|line| line["VmRSS:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}
