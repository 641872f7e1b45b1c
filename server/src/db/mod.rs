//! The database: SQLite by default, PostgreSQL when DATABASE_URL says so.

pub mod entities;
pub mod migration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

/// Connects; SQLite files are created when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time: a small pool avoids lock contention between connections.
        options.max_connections(4);
    } else {
        options.max_connections(16);
    }
    Database::connect(options).await
}

/// Applies the migrations that have not run yet.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}
