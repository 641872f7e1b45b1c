//! What `/metrics` exposes, in Prometheus's text format: the `metrics` facade records, the
//! Prometheus exporter renders (it serves nothing itself), and `metrics-process` adds the
//! process's figures at each scrape. The names, and where each is counted:
//!
//! - `connector_http_requests_total{route,status}`: every answer (`app`);
//! - `connector_provider_requests_total{connector,status}` and
//!   `connector_provider_request_duration_seconds{connector}`: every call to a provider
//!   through a connection, the proxy, the envelope and typed actions (`calls`);
//! - `connector_token_refreshes_total{connector,outcome}` (`refresh`);
//! - `connector_webhook_deliveries_total{outcome}` (`deliveries`);
//! - `connector_call_log_dropped_total`: rows the call log's writer could not keep up with
//!   (`call_log`).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "connector_http_requests_total";
pub const PROVIDER_REQUESTS: &str = "connector_provider_requests_total";
pub const PROVIDER_DURATION: &str = "connector_provider_request_duration_seconds";
pub const TOKEN_REFRESHES: &str = "connector_token_refreshes_total";
pub const WEBHOOK_DELIVERIES: &str = "connector_webhook_deliveries_total";
pub const CALL_LOG_DROPPED: &str = "connector_call_log_dropped_total";

/// Upper bounds of the provider duration histogram, in seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The recorder of this process, installed on first use (one per process: the facade's
/// recorder is global, and several servers in one test process share it).
struct Monitoring {
    handle: PrometheusHandle,
    process: metrics_process::Collector,
}

static MONITORING: OnceLock<Option<Monitoring>> = OnceLock::new();

fn monitoring() -> Option<&'static Monitoring> {
    MONITORING
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(PROVIDER_DURATION.into()), DURATION_BUCKETS)
                .expect("the buckets are not empty")
                .install_recorder()
                .map_err(|error| tracing::warn!(%error, "metrics are not recorded"))
                .ok()?;
            metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route and status.");
            metrics::describe_counter!(PROVIDER_REQUESTS, "Calls to providers through a connection, by connector and status (`error` when no answer came).");
            metrics::describe_histogram!(PROVIDER_DURATION, metrics::Unit::Seconds, "How long calls to providers took, retries included, to their answer's headers.");
            metrics::describe_counter!(TOKEN_REFRESHES, "Token refreshes, by connector and outcome (`refreshed`, `needs_reauth`, `error`).");
            metrics::describe_counter!(WEBHOOK_DELIVERIES, "Webhook delivery attempts, by outcome (`delivered`, `retrying`, `failed`).");
            metrics::describe_counter!(CALL_LOG_DROPPED, "Call log rows dropped because the writer fell behind.");
            let process = metrics_process::Collector::default();
            process.describe();
            Some(Monitoring { handle, process })
        })
        .as_ref()
}

/// Installs the recorder, so that what happens from start on is counted.
pub fn install() {
    monitoring();
}

/// The exposition: every metric recorded so far, and the process's figures now.
pub fn render() -> String {
    let Some(monitoring) = monitoring() else {
        return String::new();
    };
    monitoring.process.collect();
    monitoring.handle.run_upkeep();
    monitoring.handle.render()
}

/// Counts an answer to an HTTP request.
pub fn http_request(route: &'static str, status: poem::http::StatusCode) {
    metrics::counter!(HTTP_REQUESTS, "route" => route, "status" => status.as_str().to_owned())
        .increment(1);
}

/// Counts a call to a provider; `status` is `None` when no answer came.
pub fn provider_request(connector: &str, status: Option<u16>, elapsed: Duration) {
    let status = status.map_or_else(|| "error".to_owned(), |status| status.to_string());
    // One copy of the name for both series.
    let connector = metrics::SharedString::from(std::sync::Arc::<str>::from(connector));
    metrics::counter!(PROVIDER_REQUESTS, "connector" => connector.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(PROVIDER_DURATION, "connector" => connector).record(elapsed.as_secs_f64());
}

pub fn token_refresh(connector: &str, outcome: &'static str) {
    metrics::counter!(TOKEN_REFRESHES, "connector" => connector.to_owned(), "outcome" => outcome)
        .increment(1);
}

pub fn webhook_delivery(outcome: &'static str) {
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}

pub fn call_log_dropped() {
    metrics::counter!(CALL_LOG_DROPPED).increment(1);
}
