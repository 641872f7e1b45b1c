//! The database: SQLite by default, PostgreSQL when DATABASE_URL says so.

pub mod entities;
pub mod migration;

use std::path::{Path, PathBuf};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

/// Connects; SQLite files are created when missing (readable by their owner only).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(file) = sqlite_file_to_create(url) {
        create_private_file(&file)
            .map_err(|error| DbErr::Custom(format!("cannot create {}: {error}", file.display())))?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time: a small pool avoids lock contention between connections.
        options.max_connections(4);
        // Write-ahead logging: readers do not block the writer nor it them, which matters when
        // many requests read while a refresh writes, and when several processes share the
        // file. Without it a write waits, in SQLite's busy-handler steps, for readers to finish.
        // `synchronous` stays FULL: a committed rotated refresh token survives a power loss.
        options.map_sqlx_sqlite_opts(|sqlite| {
            sqlite.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
        });
    } else {
        options.max_connections(16);
    }
    Database::connect(options).await
}

/// A transaction that writes. On SQLite it takes the write lock at its first statement, as
/// `BEGIN IMMEDIATE` would: a deferred transaction that reads, then writes after another
/// connection committed, fails at once with SQLITE_BUSY_SNAPSHOT, which no busy timeout
/// retries; one that holds the lock from the start waits its turn instead. (sea-orm begins
/// deferred transactions only, hence a write that changes nothing.)
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE credentials SET version = version WHERE 0")
            .await?;
    }
    Ok(txn)
}

/// Applies the migrations that have not run yet.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}

/// The file of an SQLite URL that lets it be created (`?mode=rwc`); None for other URLs,
/// in-memory databases, and paths with percent-escapes (left to SQLite).
fn sqlite_file_to_create(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let creates = query.split('&').any(|pair| pair == "mode=rwc");
    let plain_file = !path.is_empty() && path != ":memory:" && !path.contains('%');
    (creates && plain_file).then(|| PathBuf::from(path))
}

/// Creates an empty file with mode 0600 unless it exists. SQLite gives its journal files the
/// database file's mode, so they are private too; without this they would follow the umask.
fn create_private_file(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
    {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file_to_create() {
        let cases = [
            ("sqlite://data/c.db?mode=rwc", Some("data/c.db")),
            (
                "sqlite:///tmp/c.db?cache=shared&mode=rwc",
                Some("/tmp/c.db"),
            ),
            ("sqlite:c.db?mode=rwc", Some("c.db")),
            ("sqlite://c.db", None),
            ("sqlite::memory:", None),
            ("sqlite://:memory:?mode=rwc", None),
            ("postgres://db/connector", None),
        ];
        for (url, file) in cases {
            assert_eq!(sqlite_file_to_create(url), file.map(PathBuf::from), "{url}");
        }
    }
}
