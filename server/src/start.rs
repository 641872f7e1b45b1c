//! Start-up: the database and its migrations, the encryption key, the secret keys, the
//! registry. What it prints goes to the person who started the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};

use crate::crypto::{Cipher, hash_secret_key, random_token};
use crate::db::entities::{api_key, connector};
use crate::listen::ServeLimits;
use crate::registry::Registry;
use crate::state::{AppState, Settings};

const NO_ENCRYPTION_KEY: &str = "set CONNECTOR_ENCRYPTION_KEY (a base64 key of 32 bytes: `openssl rand -base64 32`); every server process sharing this database needs the same one";

/// What `connector serve` reads (from the environment, see the CLI).
#[derive(Clone, Default)]
pub struct Config {
    /// DATABASE_URL; SQLite in `data_dir` when absent.
    pub database_url: Option<String>,
    /// Where the embedded default keeps its database and generated keys.
    pub data_dir: PathBuf,
    pub secret_key: Option<String>,
    pub encryption_key: Option<String>,
    pub defs_dir: Option<PathBuf>,
    pub settings: Settings,
    pub limits: ServeLimits,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("data_dir", &self.data_dir)
            .field("defs_dir", &self.defs_dir)
            .finish_non_exhaustive()
    }
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A server ready to serve, and what to tell its user.
pub struct Started {
    pub state: Arc<AppState>,
    pub notices: Vec<String>,
}

impl Config {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("connector.db").display()
            )
        })
    }
}

/// Connects, migrates, loads keys and definitions.
pub async fn start(config: &Config) -> Result<Started, String> {
    let mut notices = Vec::new();
    if let Some(key) = &config.secret_key {
        check_secret_key(key)?;
    }
    let began = std::time::Instant::now();
    let registry = Registry::load(config.defs_dir.as_deref())?;
    tracing::info!(
        definitions = registry.entries().count(),
        elapsed_ms = began.elapsed().as_millis() as u64,
        "definitions loaded (built-ins, catalog, CONNECTOR_DEFS_DIR)"
    );
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        create_private_dir(&config.data_dir)?;
    } else if config.encryption_key.is_none() {
        return Err(NO_ENCRYPTION_KEY.into());
    }
    let db = crate::db::connect(&url)
        .await
        .map_err(|error| format!("cannot open the database {}: {error}", redact_url(&url)))?;
    crate::db::migrate(&db)
        .await
        .map_err(|error| format!("migrations failed: {error}"))?;

    let cipher = match &config.encryption_key {
        Some(key) => Cipher::from_config(key).map_err(|error| error.to_string())?,
        None if db.get_database_backend() == DbBackend::Sqlite => {
            let file = config.data_dir.join("encryption.key");
            let (key, created) = read_or_create(&file, Cipher::generate_key)?;
            if created {
                notices.push(format!(
                    "Made an encryption key for stored secrets in {} (set CONNECTOR_ENCRYPTION_KEY to use your own; keep this file: without it the secrets cannot be read).",
                    file.display()
                ));
            }
            Cipher::from_config(&key).map_err(|error| format!("{}: {error}", file.display()))?
        }
        None => return Err(NO_ENCRYPTION_KEY.into()),
    };

    let state = AppState::new(db, cipher, registry, config.settings.clone());
    let now = Utc::now();
    if let Some(key) = &config.secret_key {
        // The configured key is the one key: a changed CONNECTOR_SECRET_KEY revokes the one
        // before it (and a generated one) as each process restarts.
        let replaced = replace_keys(&state, key).await?;
        if replaced > 0 {
            notices.push(format!(
                "CONNECTOR_SECRET_KEY replaced {replaced} earlier API secret key(s); they are no longer accepted."
            ));
        }
    } else if api_key::Entity::find()
        .count(&state.db)
        .await
        .map_err(|e| e.to_string())?
        == 0
    {
        let file = config.data_dir.join("secret-key");
        create_private_dir(&config.data_dir)?;
        let (key, _) = read_or_create(&file, generate_secret_key)?;
        store_key(&state, &key, "generated").await?;
        notices.push(format!(
            "Made a secret key for the API in {}: send it as `Authorization: Bearer $(cat {})` (or set CONNECTOR_SECRET_KEY to choose your own).",
            file.display(),
            file.display()
        ));
    }
    let hashes: Vec<String> = api_key::Entity::find()
        .all(&state.db)
        .await
        .map_err(|error| error.to_string())?
        .into_iter()
        .map(|row| row.key_hash)
        .collect();
    state.api_keys.write().unwrap().extend(hashes);

    record_registry(&state, now).await?;
    Ok(Started {
        state: Arc::new(state),
        notices,
    })
}

/// Rows per statement of [`record_registry`]: 6 parameters each, well under SQLite's limit.
const REGISTRY_ROWS_PER_INSERT: usize = 500;

/// Writes what the registry holds (name, version, hash, source) to the `connectors` table: a
/// few multi-row upserts in one transaction, since the catalog has hundreds of entries.
async fn record_registry(state: &AppState, now: chrono::DateTime<Utc>) -> Result<(), String> {
    let rows: Vec<connector::ActiveModel> = state
        .registry
        .entries()
        .map(|entry| connector::ActiveModel {
            name: Set(entry.def.name.clone()),
            version: Set(entry.def.version.clone()),
            content_hash: Set(entry.content_hash.clone()),
            source: Set(entry.source.clone()),
            typed: Set(entry.typed),
            updated_at: Set(now),
        })
        .collect();
    let transaction = state.db.begin().await.map_err(|error| error.to_string())?;
    for chunk in rows.chunks(REGISTRY_ROWS_PER_INSERT) {
        connector::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(connector::Column::Name)
                    .update_columns([
                        connector::Column::Version,
                        connector::Column::ContentHash,
                        connector::Column::Source,
                        connector::Column::Typed,
                        connector::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&transaction)
            .await
            .map_err(|error| error.to_string())?;
    }
    transaction
        .commit()
        .await
        .map_err(|error| error.to_string())
}

/// Shortest CONNECTOR_SECRET_KEY accepted, and how many different characters it needs: a key
/// is stored as a plain SHA-256 hash, which only a long random key makes safe.
const SECRET_KEY_MIN_CHARS: usize = 32;
const SECRET_KEY_MIN_DISTINCT: usize = 8;

fn generate_secret_key() -> String {
    format!("sk_{}", random_token(24))
}

/// Refuses a guessable CONNECTOR_SECRET_KEY (short, or a few characters repeated).
fn check_secret_key(key: &str) -> Result<(), String> {
    let distinct: std::collections::HashSet<char> = key.chars().collect();
    if key.chars().count() < SECRET_KEY_MIN_CHARS || distinct.len() < SECRET_KEY_MIN_DISTINCT {
        return Err(format!(
            "CONNECTOR_SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_CHARS} characters, \
             {SECRET_KEY_MIN_DISTINCT} of them different, such as `sk_$(openssl rand -hex 24)`"
        ));
    }
    Ok(())
}

/// Makes `key` the only stored API key; answers how many others it removed.
async fn replace_keys(state: &AppState, key: &str) -> Result<u64, String> {
    let hash = hash_secret_key(key);
    let removed = api_key::Entity::delete_many()
        .filter(api_key::Column::KeyHash.ne(hash))
        .exec(&state.db)
        .await
        .map_err(|error| error.to_string())?
        .rows_affected;
    store_key(state, key, "CONNECTOR_SECRET_KEY").await?;
    Ok(removed)
}

async fn store_key(state: &AppState, key: &str, name: &str) -> Result<(), String> {
    api_key::Entity::insert(api_key::ActiveModel {
        key_hash: Set(hash_secret_key(key)),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(api_key::Column::KeyHash)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(&state.db)
    .await
    .map(|_| ())
    .map_err(|error| error.to_string())
}

/// Creates the data folder readable by its owner only (it holds the database and keys).
fn create_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt as _;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))
}

/// The file's content, or a new value written to it readable by its owner only.
fn read_or_create(file: &Path, make: impl FnOnce() -> String) -> Result<(String, bool), String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok((text.trim().to_owned(), false)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let value = make();
            let mut handle = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file)
                .map_err(|error| format!("cannot create {}: {error}", file.display()))?;
            writeln!(handle, "{value}")
                .map_err(|error| format!("cannot write {}: {error}", file.display()))?;
            Ok((value, true))
        }
        Err(error) => Err(format!("cannot read {}: {error}", file.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_keys_pass_and_guessable_ones_do_not() {
        for _ in 0..100 {
            let key = generate_secret_key();
            assert_eq!(check_secret_key(&key), Ok(()), "{key}");
        }
        assert_eq!(
            check_secret_key("sk_test_0123456789abcdef0123456789"),
            Ok(())
        );
        for weak in ["a", "sk_short", &"a".repeat(64), &"abcdefg".repeat(8)] {
            let error = check_secret_key(weak).unwrap_err();
            assert!(error.contains("CONNECTOR_SECRET_KEY"), "{error}");
        }
    }
}
