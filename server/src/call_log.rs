//! The call log: one row per provider call made through a connection (the proxy, the request
//! envelope, typed actions), per token refresh and per webhook delivery attempt. Never a
//! secret, a body or a query string.
//!
//! Recording stays off the caller's path: [`CallLog::record`] hands the row to a bounded
//! channel, and one task per process ([`CallLog::run`]) writes whatever has arrived as one
//! batch. A writer that falls a whole channel behind drops rows, and counts them
//! (`connector_call_log_dropped_total`), rather than slow the calls it records.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::sqlx;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::mpsc;

use crate::db::entities::{call_log, webhook_delivery, webhook_event};

/// Rows waiting for the writer, at most.
const CHANNEL: usize = 65_536;
/// Rows written in one statement, at most (SQLite allows 32,766 bound values: 10 a row).
const BATCH: usize = 1_000;
/// Rows are gathered this long before they are written: one wake-up and one write a second,
/// whatever the rate of calls.
const GATHER: Duration = Duration::from_secs(1);
/// How often rows older than the retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// An error kept in the log, at most, in characters.
const MAX_ERROR: usize = 500;

/// What made the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// The proxy or the request envelope.
    Proxy,
    /// A typed action.
    Action,
    /// A token refresh (or a new client-credentials or JWT token).
    Refresh,
    /// A webhook delivery attempt.
    Webhook,
}

impl CallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Proxy => "proxy",
            CallKind::Action => "action",
            CallKind::Refresh => "refresh",
            CallKind::Webhook => "webhook",
        }
    }

    pub fn parse(kind: &str) -> Option<CallKind> {
        ALL_KINDS.into_iter().find(|known| known.as_str() == kind)
    }
}

pub const ALL_KINDS: [CallKind; 4] = [
    CallKind::Proxy,
    CallKind::Action,
    CallKind::Refresh,
    CallKind::Webhook,
];

/// One call, as recorded.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub at: DateTime<Utc>,
    pub connection_id: Option<String>,
    pub connector: Option<String>,
    pub kind: CallKind,
    pub method: String,
    /// Without its query string.
    pub path: String,
    /// `None` when no answer came.
    pub status: Option<u16>,
    pub duration: Duration,
    pub attempts: u32,
    pub error: Option<String>,
}

fn truncate(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR) {
        Some((end, _)) => format!("{}…", &error[..end]),
        None => error.to_owned(),
    }
}

/// One multi-row `INSERT` through sqlx, below sea-orm: at thousands of rows a second, building
/// the statement through sea-query (a value object per field, cloned twice) cost as much CPU
/// as SQLite's own work (docs/performance.md). One body for both backends; a macro because
/// sqlx's argument lifetimes do not let a function be generic over the database here.
macro_rules! insert_for {
    ($name:ident, $database:ty) => {
        async fn $name(
            pool: &sqlx::Pool<$database>,
            rows: impl Iterator<Item = CallRecord>,
        ) -> Result<(), sqlx::Error> {
            let mut builder = sqlx::QueryBuilder::<$database>::new(
                "INSERT INTO call_log (at, connection_id, connector, kind, method, path, status, duration_ms, attempts, error) ",
            );
            builder.push_values(rows, |mut row, record| {
                row.push_bind(record.at)
                    .push_bind(record.connection_id)
                    .push_bind(record.connector)
                    .push_bind(record.kind.as_str())
                    .push_bind(record.method)
                    .push_bind(record.path)
                    .push_bind(record.status.map(i32::from))
                    .push_bind(i64::try_from(record.duration.as_millis()).unwrap_or(i64::MAX))
                    .push_bind(i32::try_from(record.attempts).unwrap_or(i32::MAX))
                    .push_bind(record.error.map(|error| truncate(&error)));
            });
            builder.build().execute(pool).await.map(drop)
        }
    };
}

insert_for!(insert_sqlite, sqlx::Sqlite);
insert_for!(insert_postgres, sqlx::Postgres);

/// A URL as the log keeps it: without its query, fragment and user information (which may
/// carry secrets).
pub fn without_query(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let host = match rest[..authority_end].rfind('@') {
                Some(at) => &rest[at + 1..],
                None => rest,
            };
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

/// Which rows a listing shows.
#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    pub connection_id: Option<String>,
    pub connector: Option<String>,
    pub kind: Option<CallKind>,
    /// Only failures: an error (no answer, a refused refresh…), or a status of 400 or more.
    pub failed_only: bool,
}

/// Calls of a period, for health at a glance.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// Provider calls (proxy and actions).
    pub calls: u64,
    /// Of those, the failed ones (an error, or a status of 400 or more).
    pub failed_calls: u64,
    /// Token refreshes that failed.
    pub failed_refreshes: u64,
    /// Webhook delivery attempts that failed.
    pub failed_deliveries: u64,
}

pub struct CallLog {
    db: DatabaseConnection,
    sender: mpsc::Sender<CallRecord>,
    /// Held by the writer while it runs, then by [`CallLog::flush`].
    receiver: tokio::sync::Mutex<mpsc::Receiver<CallRecord>>,
    retention: Duration,
}

impl CallLog {
    pub fn new(db: DatabaseConnection, retention: Duration) -> CallLog {
        let (sender, receiver) = mpsc::channel(CHANNEL);
        CallLog {
            db,
            sender,
            receiver: tokio::sync::Mutex::new(receiver),
            retention,
        }
    }

    /// Queues a row for the writer; never waits.
    pub fn record(&self, record: CallRecord) {
        if self.sender.try_send(record).is_err() {
            crate::monitoring::call_log_dropped();
        }
    }

    /// Writes queued rows as they come, and prunes old ones every hour, until aborted. One per
    /// process; a second call returns at once.
    pub async fn run(self: std::sync::Arc<Self>) {
        let Ok(mut receiver) = self.receiver.try_lock() else {
            return;
        };
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                received = receiver.recv_many(&mut batch, BATCH) => {
                    if received == 0 {
                        return;
                    }
                    // Sleeping, not waiting on the channel: a record then wakes nothing, where
                    // a waiting receiver would be woken (across threads) by every call.
                    tokio::time::sleep(GATHER).await;
                    loop {
                        while batch.len() < BATCH {
                            match receiver.try_recv() {
                                Ok(record) => batch.push(record),
                                Err(_) => break,
                            }
                        }
                        let full = batch.len() == BATCH;
                        self.write(&mut batch).await;
                        if !full {
                            break;
                        }
                    }
                }
                _ = prune.tick() => {
                    if let Err(error) = self.prune().await {
                        tracing::warn!(%error, "cannot prune the call log");
                    }
                }
            }
        }
    }

    /// Writes what is queued now (at shutdown, after the writer was stopped).
    pub async fn flush(&self) {
        let mut batch = Vec::new();
        {
            let mut receiver = self.receiver.lock().await;
            while let Ok(record) = receiver.try_recv() {
                batch.push(record);
            }
        }
        self.write(&mut batch).await;
    }

    async fn write(&self, batch: &mut Vec<CallRecord>) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len();
        let rows = batch.drain(..);
        let written = match &self.db {
            DatabaseConnection::SqlxSqlitePoolConnection(_) => {
                insert_sqlite(self.db.get_sqlite_connection_pool(), rows).await
            }
            DatabaseConnection::SqlxPostgresPoolConnection(_) => {
                insert_postgres(self.db.get_postgres_connection_pool(), rows).await
            }
            _ => Ok(()),
        };
        if let Err(error) = written {
            tracing::warn!(%error, rows = count, "cannot write to the call log; the rows are lost");
        }
    }

    /// Deletes log rows older than the retention, and the webhook events (with their
    /// deliveries) whose deliveries are all settled and older than it.
    pub async fn prune(&self) -> Result<u64, DbErr> {
        let cutoff = Utc::now()
            - chrono::Duration::from_std(self.retention).unwrap_or(chrono::Duration::MAX);
        let mut deleted = call_log::Entity::delete_many()
            .filter(call_log::Column::At.lt(cutoff))
            .exec(&self.db)
            .await?
            .rows_affected;
        let unsettled = Query::select()
            .column(webhook_delivery::Column::EventId)
            .from(webhook_delivery::Entity)
            .and_where(
                Expr::col(webhook_delivery::Column::Status)
                    .eq(crate::events::status::PENDING)
                    .or(Expr::col(webhook_delivery::Column::UpdatedAt).gte(cutoff)),
            )
            .to_owned();
        let old_events = Query::select()
            .column(webhook_event::Column::Id)
            .from(webhook_event::Entity)
            .and_where(Expr::col(webhook_event::Column::CreatedAt).lt(cutoff))
            .and_where(Expr::col(webhook_event::Column::Id).not_in_subquery(unsettled))
            .to_owned();
        deleted += webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::EventId.in_subquery(old_events.clone()))
            .exec(&self.db)
            .await?
            .rows_affected;
        deleted += webhook_event::Entity::delete_many()
            .filter(webhook_event::Column::Id.in_subquery(old_events))
            .exec(&self.db)
            .await?
            .rows_affected;
        if deleted > 0 {
            tracing::info!(rows = deleted, "pruned the call log and webhook history");
        }
        Ok(deleted)
    }

    /// Newest first, from just before `before` (a previous page's last id), `limit` rows
    /// at most; the next page starts after the last one when there may be more.
    pub async fn list(
        &self,
        filter: &LogFilter,
        limit: u64,
        before: Option<i64>,
    ) -> Result<(Vec<call_log::Model>, Option<i64>), DbErr> {
        let mut query = call_log::Entity::find()
            .order_by_desc(call_log::Column::Id)
            .limit(limit + 1);
        if let Some(before) = before {
            query = query.filter(call_log::Column::Id.lt(before));
        }
        if let Some(connection_id) = &filter.connection_id {
            query = query.filter(call_log::Column::ConnectionId.eq(connection_id));
        }
        if let Some(connector) = &filter.connector {
            query = query.filter(call_log::Column::Connector.eq(connector));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(call_log::Column::Kind.eq(kind.as_str()));
        }
        if filter.failed_only {
            query = query.filter(failed());
        }
        let mut rows = query.all(&self.db).await?;
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|row| row.id)
        } else {
            None
        };
        Ok((rows, next))
    }

    /// The calls since `since`, counted.
    pub async fn health(&self, since: DateTime<Utc>) -> Result<Health, DbErr> {
        let count = |kinds: &[CallKind], failed_only: bool| {
            let mut query = call_log::Entity::find()
                .filter(call_log::Column::At.gte(since))
                .filter(call_log::Column::Kind.is_in(kinds.iter().map(|kind| kind.as_str())));
            if failed_only {
                query = query.filter(failed());
            }
            query.count(&self.db)
        };
        let provider = [CallKind::Proxy, CallKind::Action];
        Ok(Health {
            calls: count(&provider, false).await?,
            failed_calls: count(&provider, true).await?,
            failed_refreshes: count(&[CallKind::Refresh], true).await?,
            failed_deliveries: count(&[CallKind::Webhook], true).await?,
        })
    }
}

/// A failed call: one with an error (no answer, a refused refresh…) or a status of 400 or more.
fn failed() -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(call_log::Column::Error.is_not_null())
        .add(call_log::Column::Status.gte(400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_query_and_credentials() {
        assert_eq!(
            without_query("https://user:pw@hooks.example.com/in?token=x#frag"),
            "https://hooks.example.com/in"
        );
        assert_eq!(
            without_query("https://{subdomain}.zendesk.com/oauth/tokens"),
            "https://{subdomain}.zendesk.com/oauth/tokens"
        );
        assert_eq!(
            without_query("https://example.com?a=@b"),
            "https://example.com"
        );
        assert_eq!(without_query("/path?q=1"), "/path");
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR + 10);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
