//! `GET /v1/logs`: the call log, newest first.

use chrono::{DateTime, Utc};
use connector_runtime::openapi::SecretKey;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::{Tag, decode_cursor, encode_cursor, page_limit};
use crate::call_log::{self, LogFilter};
use crate::db::entities::call_log as call_log_row;
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

pub struct LogsApi(pub SharedState);

/// What made a call.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum CallKind {
    /// The proxy or the request envelope.
    Proxy,
    /// A typed action.
    Action,
    /// A token refresh.
    Refresh,
    /// A webhook delivery attempt.
    Webhook,
}

impl From<call_log::CallKind> for CallKind {
    fn from(kind: call_log::CallKind) -> CallKind {
        match kind {
            call_log::CallKind::Proxy => CallKind::Proxy,
            call_log::CallKind::Action => CallKind::Action,
            call_log::CallKind::Refresh => CallKind::Refresh,
            call_log::CallKind::Webhook => CallKind::Webhook,
        }
    }
}

impl From<CallKind> for call_log::CallKind {
    fn from(kind: CallKind) -> call_log::CallKind {
        match kind {
            CallKind::Proxy => call_log::CallKind::Proxy,
            CallKind::Action => call_log::CallKind::Action,
            CallKind::Refresh => call_log::CallKind::Refresh,
            CallKind::Webhook => call_log::CallKind::Webhook,
        }
    }
}

/// One call: a provider call through a connection, a token refresh or a webhook delivery
/// attempt. Never a secret, a body or a query string.
#[derive(Object, Debug, Clone)]
pub struct LogEntry {
    pub id: String,
    /// When the call started.
    pub time: DateTime<Utc>,
    pub connection_id: Option<String>,
    pub connector: Option<String>,
    pub kind: CallKind,
    pub method: String,
    /// The provider path (proxy), the endpoint's path template (action), or the URL called
    /// (refresh, webhook); never its query.
    pub path: String,
    /// The answer's HTTP status; absent when none came (or, for refreshes, is not kept).
    pub status: Option<u16>,
    pub duration_ms: i64,
    /// Requests sent, retries included.
    pub attempts: i32,
    /// Why the call failed, when it did.
    pub error: Option<String>,
}

impl From<&call_log_row::Model> for LogEntry {
    fn from(row: &call_log_row::Model) -> LogEntry {
        LogEntry {
            id: row.id.to_string(),
            time: row.at,
            connection_id: row.connection_id.clone(),
            connector: row.connector.clone(),
            kind: call_log::CallKind::parse(&row.kind)
                .unwrap_or(call_log::CallKind::Proxy)
                .into(),
            method: row.method.clone(),
            path: row.path.clone(),
            status: row.status.and_then(|status| u16::try_from(status).ok()),
            duration_ms: row.duration_ms,
            attempts: row.attempts,
            error: row.error.clone(),
        }
    }
}

#[derive(Object, Debug)]
pub struct LogPage {
    pub data: Vec<LogEntry>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[OpenApi(tag = "Tag::Logs")]
impl LogsApi {
    /// The call log, newest first: every provider call through a connection (proxy, request
    /// envelope, typed actions), token refresh and webhook delivery attempt, kept for
    /// CONNECTOR_LOG_RETENTION. Rows appear within moments of the call: they are written in
    /// batches off the request's path.
    #[oai(path = "/v1/logs", method = "get", operation_id = "list_logs")]
    // poem-openapi takes each query parameter as an argument.
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        _key: SecretKey,
        connection_id: Query<Option<String>>,
        connector: Query<Option<String>>,
        kind: Query<Option<CallKind>>,
        /// Only failed calls: an error, or a status of 400 or more.
        failed: Query<Option<bool>>,
        /// How many, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<LogPage>> {
        let limit = page_limit(limit.0)?;
        let before = decode_cursor(cursor.0.as_deref())?
            .map(|key| {
                key.parse::<i64>().map_err(|_| {
                    ApiError::bad_request("invalid_cursor", "cursor is not one this server gave")
                })
            })
            .transpose()?;
        let filter = LogFilter {
            connection_id: connection_id.0,
            connector: connector.0,
            kind: kind.0.map(call_log::CallKind::from),
            failed_only: failed.0.unwrap_or(false),
        };
        let (rows, next) = self
            .0
            .call_log
            .list(&filter, limit as u64, before)
            .await
            .map_err(ApiError::internal)?;
        Ok(Json(LogPage {
            data: rows.iter().map(LogEntry::from).collect(),
            next_cursor: next.map(|id| encode_cursor(&id.to_string())),
        }))
    }
}
