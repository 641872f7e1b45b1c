//! A real server on a loopback port, its own database, and helpers to call it.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use connector_server::state::{AppState, Settings};
use connector_server::{Config, start};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

pub const SECRET_KEY: &str = "sk_test_0123456789abcdef0123456789";

pub struct TestServer {
    pub url: String,
    pub state: Arc<AppState>,
    pub http: reqwest::Client,
    /// The encryption key (a second process must share it).
    pub encryption_key: String,
    pub database_url: String,
    _data: tempfile::TempDir,
}

#[derive(Default)]
pub struct Options {
    pub settings: Settings,
    pub defs_dir: Option<PathBuf>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> TestServer {
        let data = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let database_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => fresh_postgres_database(&admin).await,
            _ => format!(
                "sqlite://{}?mode=rwc",
                data.path().join("test.db").display()
            ),
        };
        let encryption_key = connector_server::crypto::Cipher::generate_key();
        let config = Config {
            database_url: Some(database_url.clone()),
            data_dir: data.path().to_path_buf(),
            secret_key: Some(SECRET_KEY.into()),
            encryption_key: Some(encryption_key.clone()),
            defs_dir: options.defs_dir,
            settings: Settings {
                public_url: url.clone(),
                ..options.settings
            },
            limits: Default::default(),
        };
        let started = start(&config).await.expect("the server starts");
        let state = started.state.clone();
        tokio::spawn(connector_server::app::serve(
            started.state,
            listener,
            Default::default(),
        ));
        TestServer {
            url,
            state,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            encryption_key,
            database_url,
            _data: data,
        }
    }

    /// A request with the secret key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(SECRET_KEY)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.request(Method::PUT, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        send(self.request(Method::DELETE, path)).await
    }

    /// The text of a public route (no secret key).
    pub async fn public_text(&self, path: &str) -> String {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.text().await.unwrap()
    }

    /// Points a connector's OAuth app and API at a mock provider.
    pub async fn integrate(&self, connector: &str, mock: &str) {
        let (status, body) = self
            .put(
                &format!("/v1/integrations/{connector}"),
                json!({
                    "client_id": "client-1",
                    "client_secret": "client-secret-1",
                    "base_url": mock,
                    "authorization_url": format!("{mock}/authorize"),
                    "token_url": format!("{mock}/token"),
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A gmail connection from imported tokens.
    pub async fn import_tokens(
        &self,
        id: &str,
        access: &str,
        refresh: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Value {
        let (status, body) = self
            .post(
                "/v1/connections",
                json!({
                    "connector": "gmail",
                    "connection_id": id,
                    "end_user_id": "user-1",
                    "credentials": { "access_token": access, "refresh_token": refresh, "expires_at": expires_at },
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }
}

/// The `connector` binary serving the same database as a [`TestServer`] (a second process).
pub struct ServerProcess {
    child: tokio::process::Child,
    pub url: String,
}

impl ServerProcess {
    /// SIGKILL: the process ends at once, with whatever it was doing.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    pub async fn spawn(server: &TestServer) -> ServerProcess {
        ServerProcess::spawn_with(server, &[]).await
    }

    /// [`ServerProcess::spawn`] with more environment (`CONNECTOR_DEFS_DIR`, integrations).
    pub async fn spawn_with(server: &TestServer, env: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector"))
            .arg("serve")
            .env("CONNECTOR_BIND", &bind)
            .env("DATABASE_URL", &server.database_url)
            .env("CONNECTOR_ENCRYPTION_KEY", &server.encryption_key)
            .env("CONNECTOR_SECRET_KEY", SECRET_KEY)
            .env("CONNECTOR_CACHE_TTL_SECS", "0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the connector binary starts");
        let url = format!("http://{bind}");
        for _ in 0..200 {
            if reqwest::get(format!("{url}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return ServerProcess { child, url };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the connector process did not start");
    }
}

/// The raw answer to a POST whose headers announce a JSON body of `length` bytes, of which
/// none are sent (`extra` holds more header lines, each ending in CRLF). A body over the
/// limit is refused from its Content-Length; a client still writing it when the server
/// answers and closes may see a broken pipe instead of the answer, hence a raw socket.
pub async fn announce_oversized(base_url: &str, path: &str, length: usize, extra: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server answers without waiting for the body")
    .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts the error body's shape and returns its code.
pub fn error_code(body: &Value) -> &str {
    let error = &body["error"];
    assert!(error["message"].is_string(), "not an error body: {body}");
    error["code"].as_str().expect("an error code")
}

pub fn in_an_hour() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(1)
}

pub fn expired() -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(1)
}

/// A token endpoint answer.
pub fn token_response(access: &str, refresh: Option<&str>) -> Value {
    let mut body = json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600 });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// Creates a database of its own on the PostgreSQL server of `admin_url`.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    use sea_orm::ConnectionTrait;
    let name = format!(
        "connector_test_{}",
        connector_server::crypto::random_token(9)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let admin = connector_server::db::connect(admin_url)
        .await
        .expect("TEST_DATABASE_URL connects");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a test database can be created");
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}
