//! `connector`: the Connector Platform server and its tools.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use connector_defs::AuthKind;
use connector_server::listen::ServeLimits;
use connector_server::registry::{self, Registry, Search};
use connector_server::state::Settings;
use connector_server::{Config, app, new_definition};
use serde_json::json;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "connector",
    version,
    about = "Typed, self-hostable API connectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (the default).
    Serve,
    /// Checks connector definitions; prints every problem with file:line:col.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Classifies the changes from OLD to NEW (major, minor, patch): one line per change, then
    /// the class alone. Exits 1 when NEW's version is not raised enough for them, 2 when a
    /// definition does not parse.
    Diff { old: PathBuf, new: PathBuf },
    /// Replays the cassettes of a definition: each request must be one the endpoint builds,
    /// each 2xx response body must conform to its response schema. One line per cassette, then
    /// a summary; exits 1 naming the failing files, 2 when the definition does not parse or
    /// the folder cannot be read.
    Test {
        definition: PathBuf,
        /// The folder of cassettes (`*.yaml`); by default `cassettes/<name>/` beside the
        /// definition's folder (connector-defs/connectors/x.yaml → connector-defs/cassettes/x/).
        #[arg(long, value_name = "DIR")]
        cassettes: Option<PathBuf>,
    },
    /// Prints the OpenAPI document.
    Openapi {
        /// YAML instead of JSON.
        #[arg(long)]
        yaml: bool,
    },
    /// Applies the database migrations and exits.
    Migrate,
    /// Lists the connectors the server offers (built-ins, the catalog, CONNECTOR_DEFS_DIR), one
    /// a line: name, auth kind, categories, display name. Needs no running server.
    Catalog {
        /// Only those whose name or display name holds TEXT, in any case.
        #[arg(long, value_name = "TEXT")]
        q: Option<String>,
        /// Only those of this auth kind (`oauth2`, `api_key`, `basic`…).
        #[arg(long, value_name = "KIND", value_parser = parse_auth_kind)]
        auth_kind: Option<AuthKind>,
        /// Only those in this category (`crm`, `storage`…).
        #[arg(long, value_name = "C")]
        category: Option<String>,
    },
    /// Writes NAME.yaml, a commented starting definition (proxy-ready, no endpoints).
    New {
        /// The connector's name: lowercase letters, digits and `_`, starting with a letter.
        name: String,
        #[arg(long, value_name = "KIND", default_value = "oauth2", value_parser = parse_auth_kind)]
        auth_kind: AuthKind,
        /// The folder to write NAME.yaml in; an existing file is never overwritten.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
}

/// `api_key` → the auth kind, as a definition spells it.
fn parse_auth_kind(text: &str) -> Result<AuthKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|error| error.to_string())
}

#[derive(Args)]
struct ServerArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "CONNECTOR_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    bind: String,
    /// sqlite://… or postgres://…; SQLite in the data folder when absent.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Folder of the embedded default: database, generated keys.
    #[arg(
        long,
        env = "CONNECTOR_DATA_DIR",
        default_value = "connector-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Where browsers reach this server (the OAuth redirect URI is {public_url}/oauth/callback).
    #[arg(long, env = "CONNECTOR_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// The API secret key (`Authorization: Bearer …`); one is generated when absent.
    #[arg(
        long,
        env = "CONNECTOR_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    secret_key: Option<String>,
    /// Base64 AES-256 keys, comma-separated, the first sealing; generated for SQLite when absent.
    #[arg(
        long,
        env = "CONNECTOR_ENCRYPTION_KEY",
        hide_env_values = true,
        global = true
    )]
    encryption_key: Option<String>,
    /// Folder of connector definitions loaded at start (besides the built-ins).
    #[arg(long, env = "CONNECTOR_DEFS_DIR", global = true)]
    defs_dir: Option<PathBuf>,
    /// Seconds a connection or integration read from the database serves before it is read
    /// again, unless it changes first (0: no cache).
    #[arg(
        long,
        env = "CONNECTOR_CACHE_TTL_SECS",
        default_value_t = 300,
        global = true
    )]
    cache_ttl_secs: u64,
    /// Seconds a client has to send a request's headers (also ends an idle HTTP/1.1 connection).
    #[arg(
        long,
        env = "CONNECTOR_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    header_read_timeout_secs: u64,
    /// Seconds a connection with no request in flight stays open.
    #[arg(
        long,
        env = "CONNECTOR_IDLE_TIMEOUT_SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    idle_timeout_secs: u64,
    /// Seconds of silence before an HTTP/2 connection is pinged, and for the answer.
    #[arg(
        long,
        env = "CONNECTOR_KEEP_ALIVE_SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    keep_alive_secs: u64,
    /// Connections open at once; more wait until one closes.
    #[arg(
        long,
        env = "CONNECTOR_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    max_connections: u32,
    /// Threads serving HTTP connections; by default one per core.
    #[arg(
        long,
        env = "CONNECTOR_WORKERS",
        value_parser = clap::value_parser!(u16).range(1..),
        global = true
    )]
    workers: Option<u16>,
    /// Largest provider answer read whole, in bytes (typed actions, the request envelope);
    /// above it, 502 `response_too_large`. The streamed proxy has no such limit.
    #[arg(
        long,
        env = "CONNECTOR_MAX_PROVIDER_BODY_BYTES",
        default_value_t = connector_runtime::DEFAULT_MAX_RESPONSE_BYTES,
        value_parser = parse_byte_count,
        global = true
    )]
    max_provider_body_bytes: usize,
    /// Largest token endpoint answer read, in bytes.
    #[arg(
        long,
        env = "CONNECTOR_MAX_TOKEN_RESPONSE_BYTES",
        default_value_t = connector_runtime::oauth::DEFAULT_MAX_TOKEN_RESPONSE_BYTES,
        value_parser = parse_byte_count,
        global = true
    )]
    max_token_response_bytes: usize,
    /// Writes a redacted cassette of every typed action's exchange with the provider to
    /// DIR/<connector>/<endpoint>-<label>.yaml, for `connector test` (docs/testing.md).
    #[arg(
        long,
        env = "CONNECTOR_RECORD_CASSETTES",
        value_name = "DIR",
        global = true
    )]
    record_cassettes: Option<PathBuf>,
    /// The waits before each retry of a webhook delivery, e.g. "5s,30s,2m"; after the last,
    /// the delivery is `failed`.
    #[arg(
        long,
        env = "CONNECTOR_WEBHOOK_RETRY_SCHEDULE",
        default_value = connector_server::deliveries::DEFAULT_SCHEDULE,
        value_parser = connector_server::deliveries::parse_schedule,
        global = true
    )]
    webhook_retry_schedule: std::vec::Vec<Duration>,
    /// Seconds a webhook endpoint has to answer a delivery.
    #[arg(
        long,
        env = "CONNECTOR_WEBHOOK_TIMEOUT_SECS",
        default_value_t = 15,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    webhook_timeout_secs: u64,
    /// Whether webhook endpoints may be on loopback, private or link-local addresses
    /// (false: refused when created, and when a name resolves to one at delivery).
    #[arg(
        long,
        env = "CONNECTOR_WEBHOOK_ALLOW_PRIVATE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    webhook_allow_private: bool,
    /// Whether this process sends webhook deliveries; one that does not still records events
    /// for the processes that do.
    #[arg(
        long,
        env = "CONNECTOR_WEBHOOK_DELIVERER",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    webhook_deliverer: bool,
    /// How long the call log (GET /v1/logs), and settled webhook events and deliveries, are
    /// kept, e.g. "7days", "12h".
    #[arg(
        long,
        env = "CONNECTOR_LOG_RETENTION",
        default_value = "7days",
        value_parser = parse_retention,
        global = true
    )]
    log_retention: Duration,
    /// `Host` values `/mcp` answers, comma-separated (`host` or `host:port`), against DNS
    /// rebinding; the public URL's host and the loopback names are always allowed.
    #[arg(
        long,
        env = "CONNECTOR_MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        global = true
    )]
    mcp_allowed_hosts: Vec<String>,
    /// Browser origins besides the server's own that may call `/mcp`, comma-separated
    /// (`https://agent.example.com`).
    #[arg(
        long,
        env = "CONNECTOR_MCP_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    mcp_allowed_origins: Vec<String>,
    /// How the process writes its lines: `text`, or `json` (one JSON object a line, on stdout
    /// and stderr, the start-up banner included).
    #[arg(
        long,
        env = "CONNECTOR_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,
}

/// How the process writes its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// `tracing`'s text lines; colours only when the stream is a terminal.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// A size of at least one byte.
fn parse_byte_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(bytes) if bytes >= 1 => Ok(bytes),
        _ => Err(format!("`{text}` is not a number of bytes (1 or more)")),
    }
}

impl ServerArgs {
    fn config(&self) -> Config {
        let settings = Settings {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.bind)),
            cache_ttl: Duration::from_secs(self.cache_ttl_secs),
            max_provider_body_bytes: self.max_provider_body_bytes,
            max_token_response_bytes: self.max_token_response_bytes,
            record_cassettes: self
                .record_cassettes
                .clone()
                .filter(|dir| !dir.as_os_str().is_empty()),
            webhooks: connector_server::deliveries::DeliverySettings {
                retry_schedule: self.webhook_retry_schedule.clone(),
                timeout: Duration::from_secs(self.webhook_timeout_secs),
                allow_private: self.webhook_allow_private,
                deliver: self.webhook_deliverer,
            },
            log_retention: self.log_retention,
            mcp_allowed_hosts: trimmed(&self.mcp_allowed_hosts),
            mcp_allowed_origins: trimmed(&self.mcp_allowed_origins),
            ..Settings::default()
        };
        Config {
            database_url: self.database_url.clone().filter(|url| !url.is_empty()),
            data_dir: self.data_dir.clone(),
            secret_key: self.secret_key.clone().filter(|key| !key.is_empty()),
            encryption_key: self.encryption_key.clone().filter(|key| !key.is_empty()),
            defs_dir: self.defs_dir.clone(),
            settings,
            limits: ServeLimits {
                header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs),
                keep_alive: Duration::from_secs(self.keep_alive_secs),
                max_connections: self.max_connections as usize,
                workers: self
                    .workers
                    .map_or(ServeLimits::default().workers, usize::from),
            },
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.server.log_format;
    init_logging(format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Diff { old, new } => return diff(&old, &new),
        Command::Test {
            definition,
            cassettes,
        } => return test_cassettes(&definition, cassettes.as_deref()),
        Command::Serve => runtime.block_on(serve(&cli.server)),
        Command::Validate { files } => validate(&files),
        Command::Openapi { yaml } => {
            let spec = app::offline_document();
            print(&if yaml {
                app::spec_yaml(&spec)
            } else {
                app::spec_json(&spec)
            })
        }
        Command::Migrate => runtime.block_on(migrate(&cli.server)),
        Command::Catalog {
            q,
            auth_kind,
            category,
        } => catalog(
            &cli.server,
            &Search {
                text: q,
                auth_kind,
                category,
            },
        ),
        Command::New {
            name,
            auth_kind,
            out,
        } => write_new_definition(&name, auth_kind, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            match format {
                LogFormat::Text => eprintln!("connector: {message}"),
                LogFormat::Json => eprintln!("{}", json_line("ERROR", &message, json!({}))),
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr);
    match format {
        // Colours for a person at a terminal; a log file or collector gets plain text.
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}

/// A line in the shape of the `json` log lines: time, level, target, message, then `fields`.
fn json_line(level: &str, message: &str, fields: serde_json::Value) -> serde_json::Value {
    let mut line = json!({
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": level,
        "target": "connector",
        "message": message,
    });
    if let (Some(line), serde_json::Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    line
}

/// What `connector serve` prints once it listens.
struct Banner {
    address: String,
    database: String,
    notices: Vec<String>,
    cassettes: Option<String>,
    redirect_uri: String,
}

impl Banner {
    fn print(&self, format: LogFormat) {
        let Banner {
            address,
            database,
            notices,
            cassettes,
            redirect_uri,
        } = self;
        if format == LogFormat::Json {
            let fields = json!({
                "address": address,
                "database": database,
                "notices": notices,
                "recording_cassettes_to": cassettes,
                "api_docs": format!("{address}/docs"),
                "openapi": format!("{address}/openapi.json"),
                "oauth_redirect_uri": redirect_uri,
            });
            println!(
                "{}",
                json_line("INFO", "Connector Platform listening", fields)
            );
            return;
        }
        println!("Connector Platform listening on {address}");
        println!("  database: {database}");
        for notice in notices {
            println!("  {notice}");
        }
        if let Some(dir) = cassettes {
            // Recorded bodies hold users' data: say so loudly at start.
            println!(
                "  recording a cassette of every typed action to {dir} (for connector authors, not production)"
            );
        }
        println!("  API docs: {address}/docs   OpenAPI: {address}/openapi.json");
        println!("  OAuth redirect URI to register with providers: {redirect_uri}");
    }
}

async fn serve(args: &ServerArgs) -> Result<(), String> {
    let config = args.config();
    let started = connector_server::start(&config).await?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.bind))?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    Banner {
        address: format!("http://{address}"),
        database: connector_server::start::redact_url(&config.database_url()),
        notices: started.notices.clone(),
        cassettes: config
            .settings
            .record_cassettes
            .as_ref()
            .map(|dir| dir.display().to_string()),
        redirect_uri: started.state.redirect_url().to_owned(),
    }
    .print(args.log_format);
    release_startup_memory();
    connector_server::app::serve(started.state, listener, config.limits.clone())
        .await
        .map_err(|error| format!("server error: {error}"))
}

/// Writes `text` to stdout. `connector openapi | head` closes the pipe early; that is not an
/// error.
fn print(text: &str) -> Result<(), String> {
    use std::io::Write as _;
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {error}"))
        }
        _ => Ok(()),
    }
}

/// One line per connector `search` keeps, in aligned columns.
fn catalog(args: &ServerArgs, search: &Search) -> Result<(), String> {
    let registry = Registry::load(args.defs_dir.as_deref())?;
    let rows: Vec<[String; 4]> = registry
        .search(search, None)
        .map(|entry| {
            let def = &entry.def;
            [
                def.name.clone(),
                def.auth.kind.as_str().to_owned(),
                def.categories.join(","),
                def.display_name.clone().unwrap_or_else(|| def.name.clone()),
            ]
        })
        .collect();
    let widths: [usize; 3] =
        std::array::from_fn(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0));
    let mut text = String::new();
    for [name, kind, categories, display_name] in &rows {
        let line = format!(
            "{name:w0$}  {kind:w1$}  {categories:w2$}  {display_name}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
        text.push_str(&line);
        text.push('\n');
    }
    if rows.is_empty() {
        eprintln!("no connector matches");
    }
    print(&text)
}

/// Writes `{out}/{name}.yaml` unless it exists.
fn write_new_definition(name: &str, kind: AuthKind, out: &Path) -> Result<(), String> {
    use std::io::Write as _;
    new_definition::check_name(name)?;
    if registry::TYPED
        .iter()
        .any(|definition| definition().name == name)
    {
        return Err(format!(
            "`{name}` is a built-in connector with typed actions, which CONNECTOR_DEFS_DIR cannot replace; choose another name"
        ));
    }
    let path = out.join(format!("{name}.yaml"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => format!(
                "{} exists; it is left as it is (remove it, or pass another --out)",
                path.display()
            ),
            _ => format!("cannot create {}: {error}", path.display()),
        })?;
    file.write_all(new_definition::starting_definition(name, kind).as_bytes())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    println!(
        "wrote {}: a starting {} definition; check it with `connector validate {}`",
        path.display(),
        kind.as_str(),
        path.display()
    );
    if registry::catalog::FILES
        .iter()
        .any(|(file, _)| *file == format!("{name}.yaml"))
    {
        println!("  from CONNECTOR_DEFS_DIR it replaces the catalog's `{name}`");
    }
    Ok(())
}

/// `connector diff`: its exit code says whether the version bump is enough (0) or not (1), or
/// that a definition does not parse (2).
fn diff(old: &Path, new: &Path) -> ExitCode {
    use connector_defs::diff::{self, VersionBump};
    let (old_def, new_def) = match (connector_defs::load(old), connector_defs::load(new)) {
        (Ok(old_def), Ok(new_def)) => (old_def, new_def),
        (old_result, new_result) => {
            for error in [old_result.err(), new_result.err()].into_iter().flatten() {
                eprintln!("{error}");
            }
            return ExitCode::from(2);
        }
    };
    let changes = diff::diff(&old_def, &new_def);
    let class = diff::class_of(&changes);
    let mut text: String = changes.iter().map(|change| format!("{change}\n")).collect();
    text.push_str(class.as_str());
    text.push('\n');
    if let Err(message) = print(&text) {
        eprintln!("connector: {message}");
        return ExitCode::FAILURE;
    }
    let bump = match VersionBump::between(&old_def.version, &new_def.version) {
        Ok(bump) => bump,
        Err(message) => {
            eprintln!("connector: {message}");
            return ExitCode::from(2);
        }
    };
    if bump.allows(&changes) {
        return ExitCode::SUCCESS;
    }
    let needed = match changes.is_empty() {
        true => "no change needs a new version, but a lower one is never allowed".to_owned(),
        false => format!("the changes are {class}, which needs a {class} bump"),
    };
    eprintln!(
        "connector: version {} → {} is {}; {needed}",
        old_def.version,
        new_def.version,
        bump.as_str()
    );
    ExitCode::FAILURE
}

/// `connector test`: 0 when every cassette replays, 1 when one does not (or there are
/// none), 2 when the definition does not parse or the folder cannot be read.
fn test_cassettes(definition: &Path, cassettes: Option<&Path>) -> ExitCode {
    use connector_runtime::cassette;
    let def = match connector_defs::load(definition) {
        Ok(def) => def,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let dir = match cassettes {
        Some(dir) => dir.to_owned(),
        None => default_cassette_dir(definition, &def.name),
    };
    let outcomes = match cassette::replay_dir(&def, &dir) {
        Ok(outcomes) => outcomes,
        Err(error) => {
            eprintln!(
                "connector: cannot read the cassettes in {}: {error}",
                dir.display()
            );
            return ExitCode::from(2);
        }
    };
    let mut text = String::new();
    for outcome in &outcomes {
        if outcome.passed() {
            text.push_str(&format!("ok  {}\n", outcome.file));
        } else {
            text.push_str(&format!(
                "FAIL {}: {}\n",
                outcome.file,
                outcome.problems.join("; ")
            ));
        }
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|outcome| !outcome.passed())
        .map(|outcome| outcome.file.as_str())
        .collect();
    let uncovered = cassette::uncovered(&def, &outcomes);
    if !uncovered.is_empty() {
        text.push_str(&format!("no cassette for: {}\n", uncovered.join(", ")));
    }
    text.push_str(&format!(
        "{} cassettes of {} in {}: {} passed, {} failed\n",
        outcomes.len(),
        def.name,
        dir.display(),
        outcomes.len() - failed.len(),
        failed.len()
    ));
    if let Err(message) = print(&text) {
        eprintln!("connector: {message}");
        return ExitCode::FAILURE;
    }
    if outcomes.is_empty() {
        eprintln!("connector: no cassette (*.yaml) in {}", dir.display());
        return ExitCode::FAILURE;
    }
    if !failed.is_empty() {
        eprintln!("connector: failing cassettes: {}", failed.join(", "));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `cassettes/<name>/` beside the definition's folder: connector-defs/connectors/x.yaml →
/// connector-defs/cassettes/x/.
fn default_cassette_dir(definition: &Path, name: &str) -> PathBuf {
    let folder = definition.parent().unwrap_or(Path::new(""));
    let root = folder.parent().unwrap_or(Path::new(""));
    root.join("cassettes").join(name)
}

fn validate(files: &[PathBuf]) -> Result<(), String> {
    let mut failed = 0;
    for file in files {
        match connector_defs::load(file) {
            Ok(def) => println!(
                "{}: ok ({} {}, {} endpoints)",
                file.display(),
                def.name,
                def.version,
                def.endpoints.len()
            ),
            Err(error) => {
                eprintln!("{error}");
                failed += 1;
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} of {} definitions are invalid", files.len())),
    }
}

async fn migrate(args: &ServerArgs) -> Result<(), String> {
    let config = args.config();
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|error| error.to_string())?;
    }
    let db = connector_server::db::connect(&url)
        .await
        .map_err(|error| error.to_string())?;
    connector_server::db::migrate(&db)
        .await
        .map_err(|error| error.to_string())?;
    println!(
        "migrations applied to {}",
        connector_server::start::redact_url(&url)
    );
    Ok(())
}

/// Gives the memory freed after start-up (the catalog's parse, the migrations) back to the
/// system: glibc keeps freed heap pages otherwise, about 1.2 MB of an idle server's 24 MB.
fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A retention such as "7days" or "12h": at least a minute.
fn parse_retention(text: &str) -> Result<Duration, String> {
    let retention = humantime::parse_duration(text).map_err(|error| error.to_string())?;
    if retention < Duration::from_secs(60) {
        return Err("the retention must be at least a minute".into());
    }
    Ok(retention)
}

/// The non-empty values of a comma-separated setting, trimmed.
fn trimmed(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .collect()
}
