//! The change feed: what other processes sharing the database change reaches this process's
//! caches at once, so that cached connections and integrations can serve until they change
//! instead of for a short time to live.
//!
//! On PostgreSQL, triggers announce every committed change to a connection, its credential or
//! an integration with `NOTIFY` (`db::migration::ChangeNotifications`), and each process
//! `LISTEN`s. Notifications sent while the listening connection was down are lost, so every
//! (re)connection begins by forgetting everything cached. SQLite has no such channel: there,
//! writes through this process invalidate at once, and another process's changes show when an
//! entry's time to live ends (several processes are a PostgreSQL set-up; docs/operations.md).

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbBackend;
use sea_orm::sqlx::postgres::PgListener;

use crate::db::migration::CHANGES_CHANNEL;
use crate::state::AppState;

/// How long to wait before listening again after the database refused.
const RETRY: Duration = Duration::from_secs(1);

/// Follows the changes for as long as it runs (until the server stops and drops it). Returns
/// at once on SQLite.
pub async fn follow(state: Arc<AppState>) {
    if state.backend() != DbBackend::Postgres {
        return;
    }
    let pool = state.db.get_postgres_connection_pool().clone();
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other processes' changes; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANGES_CHANNEL).await {
            tracing::warn!(%error, "cannot listen for other processes' changes; retrying");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        state.forget_everything();
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => apply(&state, notification.payload()),
                // The connection dropped and the next call reconnects: what was notified in
                // between is lost.
                Ok(None) => state.forget_everything(),
                Err(error) => {
                    tracing::warn!(%error, "lost the change feed; listening again");
                    state.forget_everything();
                    tokio::time::sleep(RETRY).await;
                    break;
                }
            }
        }
    }
}

/// Drops what a notification (`table:key`) names.
fn apply(state: &AppState, payload: &str) {
    match payload.split_once(':') {
        Some(("connections" | "credentials", id)) => state.forget_connection(id),
        Some(("integrations", connector)) => state.integrations.forget(connector),
        _ => tracing::warn!(payload, "an unknown change notification; ignored"),
    }
}
