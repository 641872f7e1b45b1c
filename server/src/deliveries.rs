//! Sends the outbox (`events`): each pending delivery whose time has come is POSTed to its
//! endpoint, signed per the Standard Webhooks specification, and rescheduled on the retry
//! schedule until it succeeds or the schedule runs out.
//!
//! Every process runs a deliverer. On PostgreSQL an attempt holds its delivery's row lock
//! (`FOR UPDATE SKIP LOCKED`) from the moment it is taken to the moment its outcome is
//! written, so that processes never make the same attempt twice; a process killed mid-attempt
//! drops its lock with its connection, and the delivery is taken again. SQLite serves one
//! process, whose deliverer keeps the ids it is sending. Receivers see at-least-once delivery
//! and deduplicate by `webhook-id`.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use tokio::sync::Semaphore;

use crate::call_log::{CallKind, CallLog, CallRecord};
use crate::crypto::Cipher;
use crate::db::entities::{webhook_delivery, webhook_endpoint, webhook_event};
use crate::events::{RECORDED, status};

/// How often the outbox is read when nothing wakes the deliverer.
const POLL: Duration = Duration::from_secs(1);
/// Attempts in flight at once per process (each holds a database connection on PostgreSQL).
const CONCURRENT: usize = 4;
/// Deliveries taken per read of the outbox.
const BATCH: u64 = 32;
/// What is kept of an answer or error to show in `last_error`.
const ERROR_CHARS: usize = 300;

/// How deliveries are made (CONNECTOR_WEBHOOK_*).
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// The wait before each retry; after the last, the delivery is `failed`.
    pub retry_schedule: Vec<Duration>,
    /// How long an endpoint has to answer.
    pub timeout: Duration,
    /// Whether endpoints may be on loopback, private or link-local addresses.
    pub allow_private: bool,
    /// Whether this process sends deliveries (processes that do not still record events).
    pub deliver: bool,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            retry_schedule: parse_schedule(DEFAULT_SCHEDULE).expect("the default parses"),
            timeout: Duration::from_secs(15),
            allow_private: true,
            deliver: true,
        }
    }
}

pub const DEFAULT_SCHEDULE: &str = "5s,30s,2m,10m,1h,6h,24h";

/// `"5s,30s,2m"`: durations in humantime's notation, separated by commas.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            humantime::parse_duration(part)
                .map_err(|error| format!("`{part}` in the retry schedule: {error}"))
        })
        .collect()
}

/// Signs a body for an endpoint's secret (`whsec_<base64>`): the `webhook-signature` value.
pub fn sign(secret: &str, event_id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    standardwebhooks::Webhook::new(secret)
        .and_then(|webhook| webhook.sign(event_id, timestamp, body.as_bytes()))
        .map_err(|error| error.to_string())
}

/// Binds a sealed endpoint secret to its endpoint.
pub fn endpoint_secret_aad(endpoint_id: &str) -> String {
    format!("webhook-endpoint:{endpoint_id}")
}

/// Whether an address is one `allow_private: false` forbids: loopback, private, link-local
/// (cloud metadata services live there), shared, unspecified, multicast.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
            }
        },
    }
}

/// The host of `url` when it is an IP address literal (which no resolver sees).
pub fn address_literal(url: &str) -> Option<IpAddr> {
    match url::Url::parse(url).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Resolves names for webhook deliveries, refusing any that lead to a private address (so a
/// name cannot be pointed at one after the endpoint was accepted).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(private) = addresses.iter().find(|address| is_private(address.ip())) {
                return Err(format!(
                    "`{host}` resolves to {}, a private address, and CONNECTOR_WEBHOOK_ALLOW_PRIVATE is false",
                    private.ip()
                )
                .into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Sends the deliveries that are due.
pub struct Deliverer {
    db: DatabaseConnection,
    cipher: Cipher,
    http: reqwest::Client,
    settings: DeliverySettings,
    /// Deliveries being attempted by this process.
    in_flight: Mutex<HashSet<String>>,
    permits: Arc<Semaphore>,
    call_log: Arc<CallLog>,
}

/// What an attempt came to.
struct Outcome {
    delivered: bool,
    status: Option<u16>,
    error: Option<String>,
    /// Where it was sent, once the endpoint was found.
    url: Option<String>,
}

impl Deliverer {
    pub fn new(
        db: DatabaseConnection,
        cipher: Cipher,
        settings: DeliverySettings,
        call_log: Arc<CallLog>,
    ) -> Deliverer {
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent(concat!(
                "connector-platform-webhooks/",
                env!("CARGO_PKG_VERSION")
            ));
        if !settings.allow_private {
            http = http.dns_resolver(Arc::new(PublicOnly));
        }
        Deliverer {
            db,
            cipher,
            http: http.build().expect("the webhook client builds"),
            settings,
            in_flight: Mutex::new(HashSet::new()),
            permits: Arc::new(Semaphore::new(CONCURRENT)),
            call_log,
        }
    }

    /// Sends what is due, now and whenever an event is committed or the poll interval
    /// passes, for as long as it runs.
    pub async fn run(self: Arc<Self>) {
        if !self.settings.deliver {
            return;
        }
        loop {
            let recorded = RECORDED.notified();
            tokio::pin!(recorded);
            recorded.as_mut().enable();
            match self.due().await {
                Ok(ids) => {
                    for id in ids {
                        if self.in_flight.lock().unwrap().insert(id.clone()) {
                            let this = self.clone();
                            tokio::spawn(async move {
                                let _permit = this.permits.clone().acquire_owned().await;
                                if let Err(error) = this.attempt(&id).await {
                                    tracing::warn!(delivery = %id, %error, "a webhook delivery could not be recorded");
                                }
                                this.in_flight.lock().unwrap().remove(&id);
                            });
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read the webhook outbox"),
            }
            tokio::select! {
                () = recorded => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// The pending deliveries whose time has come, oldest first.
    async fn due(&self) -> Result<Vec<String>, DbErr> {
        Ok(webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(status::PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(Utc::now()))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(BATCH)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect())
    }

    /// One attempt of one delivery, unless another process has it or it is no longer due.
    async fn attempt(&self, id: &str) -> Result<(), DbErr> {
        let due = webhook_delivery::Entity::find_by_id(id)
            .filter(webhook_delivery::Column::Status.eq(status::PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(Utc::now()));
        if self.db.get_database_backend() == DbBackend::Postgres {
            let txn = self.db.begin().await?;
            let Some(row) = due
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .one(&txn)
                .await?
            else {
                return Ok(());
            };
            let outcome = self.send_logged(&row).await?;
            self.record(row, outcome).update(&txn).await?;
            txn.commit().await
        } else {
            let Some(row) = due.one(&self.db).await? else {
                return Ok(());
            };
            let outcome = self.send_logged(&row).await?;
            self.record(row, outcome).update(&self.db).await.map(drop)
        }
    }

    /// [`Deliverer::send`], recorded in the call log.
    async fn send_logged(&self, row: &webhook_delivery::Model) -> Result<Outcome, DbErr> {
        let at = Utc::now();
        let started = std::time::Instant::now();
        let outcome = self.send(row).await?;
        self.call_log.record(CallRecord {
            at,
            connection_id: None,
            connector: None,
            kind: CallKind::Webhook,
            method: "POST".into(),
            path: outcome.url.as_deref().map_or_else(
                || format!("(endpoint {})", row.endpoint_id),
                crate::call_log::without_query,
            ),
            status: outcome.status,
            duration: started.elapsed(),
            attempts: u32::try_from(row.attempts + 1).unwrap_or(u32::MAX),
            error: outcome.error.clone(),
        });
        Ok(outcome)
    }

    /// POSTs the event to the endpoint.
    async fn send(&self, row: &webhook_delivery::Model) -> Result<Outcome, DbErr> {
        let failed = |error: String| Outcome {
            delivered: false,
            status: None,
            error: Some(error),
            url: None,
        };
        let Some(endpoint) = webhook_endpoint::Entity::find_by_id(&row.endpoint_id)
            .one(&self.db)
            .await?
        else {
            return Ok(failed("the endpoint was deleted".into()));
        };
        let Some(event) = webhook_event::Entity::find_by_id(&row.event_id)
            .one(&self.db)
            .await?
        else {
            return Ok(failed("the event is gone".into()));
        };
        let secret = match self
            .cipher
            .open(&endpoint.secret, &endpoint_secret_aad(&endpoint.id))
        {
            Ok(secret) => String::from_utf8_lossy(&secret).into_owned(),
            Err(error) => return Ok(failed(format!("the endpoint's secret: {error}"))),
        };
        if !self.settings.allow_private
            && let Some(ip) = address_literal(&endpoint.url)
            && is_private(ip)
        {
            return Ok(failed(format!(
                "{ip} is a private address, and CONNECTOR_WEBHOOK_ALLOW_PRIVATE is false"
            )));
        }
        let timestamp = Utc::now().timestamp();
        let signature = match sign(&secret, &event.id, timestamp, &event.body) {
            Ok(signature) => signature,
            Err(error) => return Ok(failed(format!("cannot sign: {error}"))),
        };
        let sent = self
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(event.body)
            .send()
            .await;
        let url = Some(endpoint.url);
        Ok(match sent {
            Ok(response) if response.status().is_success() => Outcome {
                delivered: true,
                status: Some(response.status().as_u16()),
                error: None,
                url,
            },
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                Outcome {
                    delivered: false,
                    status: Some(status.as_u16()),
                    error: Some(truncate(&format!("the endpoint answered {status}: {body}"))),
                    url,
                }
            }
            Err(error) => Outcome {
                url,
                ..failed(truncate(&describe(&error)))
            },
        })
    }

    /// The delivery after an attempt: delivered, rescheduled, or failed once the schedule
    /// is spent.
    fn record(
        &self,
        row: webhook_delivery::Model,
        outcome: Outcome,
    ) -> webhook_delivery::ActiveModel {
        let now = Utc::now();
        let attempts = row.attempts + 1;
        let retry = self
            .settings
            .retry_schedule
            .get(usize::try_from(attempts - 1).unwrap_or(usize::MAX))
            .copied();
        let (status, next_attempt_at) = match (outcome.delivered, retry) {
            (true, _) => (status::DELIVERED, None),
            (false, Some(wait)) => (
                status::PENDING,
                Some(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)),
            ),
            (false, None) => (status::FAILED, None),
        };
        crate::monitoring::webhook_delivery(match status {
            status::DELIVERED => "delivered",
            status::PENDING => "retrying",
            _ => "failed",
        });
        tracing::info!(
            delivery = %row.id,
            event = %row.event_id,
            endpoint = %row.endpoint_id,
            attempts,
            status,
            "webhook delivery attempted"
        );
        let mut active: webhook_delivery::ActiveModel = row.into();
        active.attempts = Set(attempts);
        active.status = Set(status.to_owned());
        active.next_attempt_at = Set(next_attempt_at);
        active.last_status = Set(outcome.status.map(i32::from));
        active.last_error = Set(outcome.error);
        active.updated_at = Set(now);
        active
    }
}

/// A transport error with its causes (reqwest's own message omits them).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "the endpoint did not answer in time".to_owned();
    }
    connector_runtime::error_chain(error)
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_parses_and_a_bad_one_is_named() {
        assert_eq!(
            parse_schedule(DEFAULT_SCHEDULE).unwrap(),
            [5, 30, 120, 600, 3600, 21600, 86400].map(Duration::from_secs)
        );
        assert_eq!(parse_schedule("1s, 500ms").unwrap().len(), 2);
        let error = parse_schedule("5s,soon").unwrap_err();
        assert!(error.contains("`soon`"), "{error}");
    }

    #[test]
    fn private_addresses_are_told_apart() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:4700::1111", "100.128.0.1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn the_delivery_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve as _;
        let refused = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(refused.to_string().contains("private address"), "{refused}");
    }

    #[test]
    fn signatures_verify_with_the_standard_webhooks_library() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signature = sign(secret, "evt_1", 1_700_000_000, r#"{"a":1}"#).unwrap();
        assert!(signature.starts_with("v1,"));
        let expected = standardwebhooks::Webhook::new(secret)
            .unwrap()
            .sign("evt_1", 1_700_000_000, br#"{"a":1}"#)
            .unwrap();
        assert_eq!(signature, expected);
    }
}
