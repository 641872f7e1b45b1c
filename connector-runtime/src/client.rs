//! [`RawClient`]: executes the endpoints of a definition from JSON inputs.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use connector_defs::{ConnectorDef, Endpoint, RateLimitScope, RetryDef};
use futures_core::Stream;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HOST, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tracing::Instrument as _;
use url::Url;

use crate::cassette::{CassetteRecorder, Exchange};
use crate::pagination::{Next, Page, Paginator};
use crate::request::{self, Prepared};
use crate::transport::{Failure, PassthroughHttp, StreamedResponse, Transport};
use crate::{Auth, Download, Error, RateLimiter, body, headers};

/// Timeout of a request when the definition sets no `timeout_ms`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(30_000);

/// Largest provider body read into memory when the client is given no other limit (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Request headers [`RawClient::send`] never passes upstream besides the hop-by-hop ones: the
/// caller's own credential, and those the HTTP client sets itself.
static DROPPED_HEADERS: [HeaderName; 3] = [AUTHORIZATION, HOST, CONTENT_LENGTH];

/// A successful (2xx) response, body read in full.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    /// Decodes the body as JSON; an empty body decodes as `null`, so that `()`,
    /// `Option<T>` and `serde_json::Value` accept a 204.
    pub fn json<O: DeserializeOwned>(&self) -> Result<O, Error> {
        let result = if self.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_value(Value::Null)
        } else {
            serde_json::from_slice(&self.body)
        };
        result.map_err(|error| Error::Decode {
            message: error.to_string(),
            body: String::from_utf8_lossy(&self.body).into_owned(),
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request given by path rather than by endpoint, for an authenticated passthrough (proxy).
///
/// See [`RawClient::send`].
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub method: Method,
    /// Appended to the connector's base URL; must start with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

/// Executes any endpoint of a definition from JSON inputs.
///
/// It places every parameter where the definition says, injects the credential, applies the
/// definition's timeout, retry policy and rate limit, and walks pages. Cloning is cheap; clones
/// share the HTTP connection pool and the rate limiter.
#[derive(Clone)]
pub struct RawClient {
    def: Arc<ConnectorDef>,
    auth: Arc<Auth>,
    http: reqwest::Client,
    /// Sends the streamed passthrough ([`RawClient::send_streaming`]).
    passthrough_http: PassthroughHttp,
    base_url: Option<Arc<str>>,
    config: Arc<HashMap<String, String>>,
    limiter: Option<Arc<RateLimiter>>,
    max_response_bytes: usize,
    /// Until when the provider's budget is spent (a response said `remaining: 0` with a
    /// reset time); shared by clones.
    held_until: Arc<Mutex<Option<Instant>>>,
    /// Writes a cassette of every endpoint call when set.
    recorder: Option<Arc<CassetteRecorder>>,
    /// What every passthrough request starts from, made on the first one; shared by clones
    /// and made again by the builder methods that change it.
    passthrough: Arc<OnceLock<Passthrough>>,
}

/// The part of a passthrough request that depends on the client only: the base URL, parsed
/// once, and the definition's headers with the credential placed. A proxy serving many
/// requests of one connection parses and renders them once, not on every request.
struct Passthrough {
    /// The base URL, its credential query parameters included.
    base: Url,
    /// The base URL's path without its final `/`: request paths are appended to it.
    base_path: String,
    /// Query parameters the credential adds (replacing the caller's of the same name).
    auth_query: Vec<(String, String)>,
    /// The definition's headers: the caller's of the same name win. Pairs, not a map: a
    /// server keeps one of these per connection, and a map's table is ten times larger.
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The headers that carry the credential: they win over the caller's.
    credential: Vec<(HeaderName, HeaderValue)>,
}

/// The HTTP client shared by every `RawClient` that was not given one.
fn default_http() -> reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .user_agent(concat!("connector-runtime/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the default HTTP client builds")
    })
    .clone()
}

/// The passthrough client shared by every `RawClient` that was not given one.
fn default_passthrough_http() -> PassthroughHttp {
    static HTTP: OnceLock<PassthroughHttp> = OnceLock::new();
    HTTP.get_or_init(|| {
        PassthroughHttp::new(
            concat!("connector-runtime/", env!("CARGO_PKG_VERSION")),
            Duration::from_secs(10),
            None,
        )
    })
    .clone()
}

impl RawClient {
    /// A client for `def` that authenticates with `auth`.
    ///
    /// With a `rate_limit` of `scope: connector` (the default), the client takes the
    /// process-wide limiter of the connector ([`RateLimiter::shared`]), so every client of that
    /// connector shares one budget. With `scope: connection`, it gets a limiter of its own,
    /// shared with its clones only; pass the connection's limiter with
    /// [`RawClient::with_rate_limiter`] to share it across clients.
    pub fn new(def: Arc<ConnectorDef>, auth: Auth) -> Self {
        let limiter = def.rate_limit.as_ref().map(|limit| match limit.scope {
            RateLimitScope::Connector => RateLimiter::shared(&def.name, limit),
            RateLimitScope::Connection => Arc::new(RateLimiter::from_def(limit)),
        });
        RawClient {
            def,
            auth: Arc::new(auth),
            http: default_http(),
            passthrough_http: default_passthrough_http(),
            base_url: None,
            config: Arc::default(),
            limiter,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            held_until: Arc::default(),
            recorder: None,
            passthrough: Arc::default(),
        }
    }

    /// Sends every request to `url` instead of the definition's base URL. This overrides the
    /// base URL of *every* endpoint, including endpoints that declare their own `base_url`
    /// (such as Dropbox's content host), which is how tests and sandboxes point a client at a
    /// mock server. `{connection_config.NAME}` placeholders in it are filled as usual.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into().into());
        self.passthrough = Arc::default();
        self
    }

    /// Uses this HTTP client (proxies, TLS settings, a shared pool…). The definition's
    /// `timeout_ms` still applies to each request.
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Uses this client for the streamed passthrough ([`RawClient::send_streaming`]).
    pub fn with_passthrough_http(mut self, http: PassthroughHttp) -> Self {
        self.passthrough_http = http;
        self
    }

    /// The values of the `{connection_config.NAME}` placeholders in base URLs (tenant,
    /// subdomain…) and header values. Declared defaults apply to missing ones; a missing
    /// required one makes calls fail with [`Error::InvalidInput`]. Values in URLs may only hold
    /// letters, digits, `-`, `.`, `_` and `~`, and may not be `.` or `..`; values in headers
    /// may hold anything but control characters.
    pub fn with_connection_config(
        mut self,
        config: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        self.config = Arc::new(config.into_iter().collect());
        self.passthrough = Arc::default();
        self
    }

    /// Uses this limiter instead of the one the definition implies (for instance the
    /// per-connection limiter a server keeps for `scope: connection`).
    pub fn with_rate_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The largest provider body read into memory (by [`RawClient::execute`], `call`, `pages`
    /// and [`RawClient::send`]; default [`DEFAULT_MAX_RESPONSE_BYTES`]). A larger one fails
    /// with [`Error::ResponseTooLarge`] as soon as it passes the limit, unread beyond it.
    /// [`RawClient::send_streaming`] has no limit.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Writes a cassette of every endpoint call ([`RawClient::execute`], `call` and each page of
    /// `pages`, whatever the status) to `dir/<connector>/<endpoint>-<unique label>.yaml`,
    /// with the credential redacted wherever it appears and the headers that carry it written
    /// as `[redacted]` (see [`crate::cassette`]). A file that cannot be written is logged and
    /// the call goes on. Passthrough requests ([`RawClient::send`]) are not recorded.
    pub fn with_cassette_recorder(mut self, dir: impl Into<PathBuf>) -> Self {
        self.recorder = Some(Arc::new(CassetteRecorder::new(dir)));
        self
    }

    /// Replaces the credential (after a token refresh, say).
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = Arc::new(auth);
        self.passthrough = Arc::default();
        self
    }

    pub fn definition(&self) -> &ConnectorDef {
        &self.def
    }

    /// The definition, shared.
    pub fn definition_arc(&self) -> &Arc<ConnectorDef> {
        &self.def
    }

    /// The base URL requests to `endpoint` go to (any endpoint's when `None`), with the
    /// client's override and connection config applied.
    pub fn base_url(&self, endpoint: Option<&str>) -> Result<String, Error> {
        let endpoint = endpoint.map(|name| self.endpoint(name)).transpose()?;
        self.resolve_base(endpoint)
    }

    fn resolve_base(&self, endpoint: Option<&Endpoint>) -> Result<String, Error> {
        let template = match (&self.base_url, endpoint.and_then(|e| e.base_url.as_deref())) {
            (Some(base), _) => base,
            (None, Some(base)) => base,
            (None, None) => self.def.base_url.as_str(),
        };
        request::fill_url(
            template,
            &self.def.connection_config,
            &self.config,
            |name| self.def.auth.keeps_from_token_response(name),
        )
    }

    fn endpoint(&self, name: &str) -> Result<&Endpoint, Error> {
        self.def.endpoints.get(name).ok_or_else(|| {
            Error::InvalidInput(format!(
                "connector `{}` has no endpoint `{name}`",
                self.def.name
            ))
        })
    }

    /// Builds the request of endpoint `name`; `url` replaces base URL + path + query.
    fn prepare(
        &self,
        name: &str,
        input: &Map<String, Value>,
        url: Option<Url>,
    ) -> Result<Prepared, Error> {
        let endpoint = self.endpoint(name)?;
        let base = self.resolve_base(Some(endpoint))?;
        let mut prepared =
            request::prepare(&self.def, &base, name, endpoint, input, &self.config, url)?;
        self.auth.apply(
            &self.def,
            &self.config,
            &mut prepared.url,
            &mut prepared.headers,
        )?;
        Ok(prepared)
    }

    /// Executes endpoint `endpoint` with inputs keyed by the parameters' YAML names.
    ///
    /// Returns the 2xx response; any other status, once retries are exhausted, is an error
    /// ([`Error::Upstream`], or [`Error::RateLimited`] for 429).
    pub async fn execute(
        &self,
        endpoint: &str,
        input: Map<String, Value>,
    ) -> Result<RawResponse, Error> {
        let prepared = self.prepare(endpoint, &input, None)?;
        let response = self.run(endpoint, &prepared, Transfer::Whole).await?;
        let response = self.read(response, true).await?;
        self.record(endpoint, &prepared, &response);
        self.unless_success(response)
    }

    /// Writes the exchange's cassette when recording.
    fn record(&self, endpoint: &str, prepared: &Prepared, response: &RawResponse) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        let base_url = self.base_url(Some(endpoint)).unwrap_or_default();
        recorder.record(&Exchange {
            def: &self.def,
            endpoint,
            base_url: &base_url,
            request: prepared,
            status: response.status,
            headers: &response.headers,
            body: &response.body,
            secrets: &self.auth.secret_values(),
        });
    }

    /// Executes `endpoint` with a typed input and decodes a typed output.
    ///
    /// `input` must serialise to a JSON object keyed by the parameters' YAML names (or to
    /// `null`/`()` for no input). An empty response body decodes as JSON `null`, so `()` or
    /// `serde_json::Value` suit a 204.
    pub async fn call<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        endpoint: &str,
        input: &I,
    ) -> Result<O, Error> {
        let input = to_object(input)?;
        self.execute(endpoint, input).await?.json()
    }

    /// Executes a binary endpoint (`format: binary` response): the 2xx answer comes back
    /// unread, its bytes streamed as they are read. Errors as [`RawClient::execute`]; the
    /// definition's timeout covers the wait for the response's headers.
    pub async fn download<I: Serialize + ?Sized>(
        &self,
        endpoint: &str,
        input: &I,
    ) -> Result<Download, Error> {
        self.download_object(endpoint, to_object(input)?).await
    }

    /// [`RawClient::download`] with inputs keyed by the parameters' YAML names.
    pub async fn download_object(
        &self,
        endpoint: &str,
        input: Map<String, Value>,
    ) -> Result<Download, Error> {
        let prepared = self.prepare(endpoint, &input, None)?;
        let response = self
            .run(endpoint, &prepared, Transfer::Streamed(None))
            .await?;
        if response.status().is_success() {
            if self.recorder.is_some() {
                // The bytes stream to the caller unread: the cassette holds a note in their place.
                let note = RawResponse {
                    status: response.status().as_u16(),
                    headers: response.headers().clone(),
                    body: Bytes::from_static(BINARY_NOT_RECORDED.as_bytes()),
                };
                self.record(endpoint, &prepared, &note);
            }
            return Ok(Download::new(response));
        }
        // Not a 2xx: read the (small) error body into the error.
        let response = self.read(response, true).await?;
        self.record(endpoint, &prepared, &response);
        Err(match self.unless_success(response) {
            Err(error) => error,
            Ok(response) => Error::Upstream {
                status: response.status,
                body: response.text(),
                headers: response.headers,
            },
        })
    }

    /// The pages of `endpoint`, fetched one at a time as the stream is polled.
    ///
    /// Follows the endpoint's `pagination`: `cursor` sends back the response's cursor and
    /// stops when it is missing or empty; `offset` and `page` advance by the number of items
    /// (or by one page) and stop on an empty items array; `link_header` and `next_url` follow
    /// the next page's URL (only on the same host as the first request: credentials are
    /// never sent elsewhere) and stop when there is none. Without pagination the stream holds
    /// one page. The first error ends the stream.
    pub fn pages<I: Serialize, O: DeserializeOwned + Send + 'static>(
        &self,
        endpoint: &str,
        input: &I,
    ) -> impl Stream<Item = Result<O, Error>> + Send + 'static + use<I, O> {
        let client = self.clone();
        let endpoint = endpoint.to_owned();
        let input = to_object(input);
        async_stream::try_stream! {
            let mut input = input?;
            let mut paginator = client
                .def
                .endpoints
                .get(&endpoint)
                .and_then(|found| Paginator::new(found, &input));
            let mut url = None;
            loop {
                let prepared = client.prepare(&endpoint, &input, url.take())?;
                let response = client.run(&endpoint, &prepared, Transfer::Whole).await?;
                let response = client.read(response, true).await?;
                client.record(&endpoint, &prepared, &response);
                let response = client.unless_success(response)?;
                let page: O = response.json()?;
                let next = match &mut paginator {
                    Some(paginator) => paginator.next(
                        &Page {
                            body: &response.json().unwrap_or(Value::Null),
                            headers: &response.headers,
                            url: &prepared.url,
                        },
                        &input,
                    ),
                    None => Ok(Next::Stop),
                };
                yield page;
                match next? {
                    Next::Stop => break,
                    Next::Input(next) => input = next,
                    Next::Url(next) => url = Some(next),
                }
            }
        }
    }

    /// Sends a request given by path (an authenticated passthrough): base URL + `path`,
    /// the connector's headers where the request has none of the same name, the credential
    /// (the request's own `Authorization`, the hop-by-hop headers and those its `Connection`
    /// header names are dropped, and an API key replaces one of the same name), the timeout,
    /// rate limit and retries (5xx and failures before a response only for idempotent
    /// methods, or with an `Idempotency-Key` header). Unlike [`RawClient::execute`] it returns
    /// the final response whatever its status, without its hop-by-hop headers, those the
    /// provider's `Connection` header names, and `Set-Cookie`.
    ///
    /// `path` must start with `/` and may not hold control characters (raw or
    /// percent-encoded), `.` or `..` segments, `//` at its start, `@`, `\\`, or a scheme: the
    /// request always goes to the connector's host.
    pub async fn send(&self, request: RawRequest) -> Result<RawResponse, Error> {
        let prepared = self.prepare_passthrough(request)?;
        let response = self.run("(proxy)", &prepared, Transfer::Whole).await?;
        let mut response = self.read(response, true).await?;
        headers::strip_response(&mut response.headers);
        Ok(response)
    }

    /// [`RawClient::send`] with the bodies streamed both ways: `body`, when given, is sent
    /// as it arrives (and replaces `request.body`), and the response comes back unread.
    ///
    /// A streamed body can be sent once only, so a request with one gets a single attempt;
    /// give small bodies as `request.body` to keep them retryable. The definition's timeout
    /// covers the wait for the response's headers, not the transfer of its body, which may
    /// take as long as it takes (cut only by the HTTP client's own read timeout, if it has one).
    pub async fn send_streaming(
        &self,
        request: RawRequest,
        body: Option<reqwest::Body>,
    ) -> Result<StreamedResponse, Error> {
        let prepared = self.prepare_passthrough(request)?;
        let transfer = Transfer::Streamed(body);
        let mut response = match self.passthrough_http.direct() {
            Some(direct) => {
                StreamedResponse::new(self.run_on(direct, "(proxy)", &prepared, transfer).await?)
            }
            None => StreamedResponse::from_reqwest(self.run("(proxy)", &prepared, transfer).await?),
        };
        headers::strip_response(response.headers_mut());
        Ok(response)
    }

    fn prepare_passthrough(&self, request: RawRequest) -> Result<Prepared, Error> {
        let RawRequest {
            method,
            path,
            query,
            mut headers,
            body,
        } = request;
        check_relative_path(&path)?;
        let passthrough = match self.passthrough.get() {
            Some(made) => made,
            None => {
                let made = self.make_passthrough()?;
                self.passthrough.get_or_init(|| made)
            }
        };
        // The path goes after the base path; setting it cannot change the host.
        let mut url = passthrough.base.clone();
        url.set_path(&format!("{}{path}", passthrough.base_path));
        if !query.is_empty() || !passthrough.auth_query.is_empty() {
            let credential = |name: &str| passthrough.auth_query.iter().any(|(own, _)| own == name);
            let mut pairs = url.query_pairs_mut();
            pairs.clear();
            for (name, value) in &query {
                if !credential(name) {
                    pairs.append_pair(name, value);
                }
            }
            pairs.extend_pairs(&passthrough.auth_query);
        }
        headers::strip_hop_by_hop(&mut headers);
        for name in &DROPPED_HEADERS {
            headers.remove(name);
        }
        // The caller's headers, then the definition's where the caller sent none of that name,
        // then the credential's over both.
        for (name, value) in &passthrough.headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        for (name, value) in &passthrough.credential {
            headers.insert(name.clone(), value.clone());
        }
        let idempotent = !matches!(method, Method::POST | Method::PATCH)
            || headers.contains_key("idempotency-key");
        Ok(Prepared {
            method,
            url,
            headers,
            body,
            idempotent,
        })
    }

    /// The base URL and headers every passthrough request starts from.
    fn make_passthrough(&self) -> Result<Passthrough, Error> {
        let base = self.resolve_base(None)?;
        let mut url = request::parse_url(&base)?;
        let base_path = url.path().trim_end_matches('/').to_owned();
        let headers = request::static_headers(&self.def, None, &self.config)?;
        let mut credential = HeaderMap::new();
        self.auth
            .apply(&self.def, &self.config, &mut url, &mut credential)?;
        let auth_query = url.query_pairs().into_owned().collect();
        let pairs = |map: HeaderMap| -> Vec<(HeaderName, HeaderValue)> {
            map.iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        };
        Ok(Passthrough {
            base: url,
            base_path,
            auth_query,
            headers: pairs(headers),
            credential: pairs(credential),
        })
    }

    /// Sends a prepared request with the definition's timeout, rate limit and retries, through
    /// reqwest (endpoint calls, buffered passthrough).
    async fn run(
        &self,
        endpoint: &str,
        prepared: &Prepared,
        transfer: Transfer,
    ) -> Result<reqwest::Response, Error> {
        self.run_on(&self.http, endpoint, prepared, transfer).await
    }

    /// Sends a prepared request through `transport` with the definition's timeout, rate limit
    /// and retries.
    ///
    /// The answer is the final response, unread, whatever its status: the last attempt's, or
    /// the first that is not retried.
    async fn run_on<T: Transport>(
        &self,
        transport: &T,
        endpoint: &str,
        prepared: &Prepared,
        transfer: Transfer,
    ) -> Result<T::Response, Error> {
        let span = tracing::debug_span!(
            "connector_request",
            connector = %self.def.name,
            endpoint = %endpoint,
            method = %prepared.method,
        );
        self.run_inner(transport, prepared, transfer)
            .instrument(span)
            .await
    }

    async fn run_inner<T: Transport>(
        &self,
        transport: &T,
        prepared: &Prepared,
        transfer: Transfer,
    ) -> Result<T::Response, Error> {
        let retry = self.retry_policy();
        let (mut streamed, whole) = match transfer {
            Transfer::Whole => (None, true),
            Transfer::Streamed(body) => (body, false),
        };
        let max_attempts = if streamed.is_some() {
            1
        } else {
            retry.max_attempts.max(1)
        };
        let max_backoff = Duration::from_millis(retry.max_backoff_ms);
        let timeout = self
            .def
            .timeout_ms
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= max_attempts;
            self.wait_for_reset().await;
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            let started = Instant::now();
            crate::attempts::count();
            // A streamed response is timed up to its headers; a whole one, to its end.
            let send = transport.send(prepared, streamed.take(), whole.then_some(timeout));
            let sent = match tokio::time::timeout(timeout, send).await {
                Ok(sent) => sent,
                Err(_) => return Err(Error::Timeout),
            };
            let response = match sent {
                Ok(response) => response,
                Err(Failure::NoResponse(error)) if prepared.idempotent && !last => {
                    // No response came: the connection failed, was reset or closed early.
                    tracing::debug!(attempt, error = %error, "request failed; retrying");
                    tokio::time::sleep(backoff(retry, attempt)).await;
                    continue;
                }
                Err(Failure::NoResponse(error) | Failure::Final(error)) => {
                    tracing::debug!(attempt, error = %error, "request failed");
                    return Err(error);
                }
            };
            let status = T::status(&response);
            self.hold_if_spent(T::headers(&response), retry);
            tracing::debug!(
                attempt,
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "response"
            );
            if status.is_success() {
                return Ok(response);
            }
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || (retry.on_status.contains(&status.as_u16()) && prepared.idempotent);
            if !retryable || last {
                return Ok(response);
            }
            let wait = match retry_hint(T::headers(&response), retry) {
                Some(wait) if wait > max_backoff => {
                    tracing::debug!(
                        attempt,
                        retry_after_ms = wait.as_millis() as u64,
                        "the retry hint exceeds max_backoff_ms; giving up"
                    );
                    return Ok(response);
                }
                Some(wait) => wait,
                None => backoff(retry, attempt),
            };
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
            drop(response);
            tokio::time::sleep(wait).await;
        }
    }

    /// The definition's retry policy, else the default one (borrowed: no copy per request).
    fn retry_policy(&self) -> &RetryDef {
        static DEFAULT: LazyLock<RetryDef> = LazyLock::new(RetryDef::default);
        self.def.retry.as_ref().unwrap_or(&DEFAULT)
    }

    /// Waits while the provider's budget is spent (see [`RawClient::hold_if_spent`]).
    async fn wait_for_reset(&self) {
        let until = *self.held_until.lock().expect("the hold is never poisoned");
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tracing::debug!(
                    wait_ms = (until - now).as_millis() as u64,
                    "the budget is spent; waiting for its reset"
                );
                tokio::time::sleep(until - now).await;
            }
        }
    }

    /// A response whose `remaining` header says 0 with a reset time (`at`) holds this
    /// client's next requests until the reset, for at most `max_backoff_ms`.
    fn hold_if_spent(&self, headers: &HeaderMap, retry: &RetryDef) {
        let Some(remaining) = &retry.remaining else {
            return;
        };
        let spent = header_text(headers, remaining)
            .and_then(|value| value.parse::<f64>().ok())
            .is_some_and(|left| left <= 0.0);
        if !spent {
            return;
        }
        let Some(reset) = retry.at.iter().find_map(|name| reset_in(headers, name)) else {
            return;
        };
        let wait = reset.min(Duration::from_millis(retry.max_backoff_ms));
        *self.held_until.lock().expect("the hold is never poisoned") = Some(Instant::now() + wait);
    }

    /// Reads a response, up to the client's size limit; unless `ok`, a non-2xx status becomes
    /// an error.
    async fn read(&self, response: reqwest::Response, ok: bool) -> Result<RawResponse, Error> {
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.max_response_bytes;
        let body = body::read_capped(response, limit)
            .await
            .map_err(|error| Error::from_read(error, limit))?;
        let response = RawResponse {
            status: status.as_u16(),
            headers,
            body,
        };
        if ok {
            Ok(response)
        } else {
            self.unless_success(response)
        }
    }

    /// A response outside 2xx as the error it stands for.
    fn unless_success(&self, response: RawResponse) -> Result<RawResponse, Error> {
        let RawResponse {
            status,
            headers,
            body,
        } = response;
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        if status.is_success() {
            return Ok(RawResponse {
                status: status.as_u16(),
                headers,
                body,
            });
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        if status == StatusCode::TOO_MANY_REQUESTS {
            Err(Error::RateLimited {
                retry_after: retry_hint(&headers, self.retry_policy()),
                body: text,
            })
        } else {
            Err(Error::Upstream {
                status: status.as_u16(),
                body: text,
                headers,
            })
        }
    }
}

/// The body a recorded binary response's cassette holds: its bytes are streamed, not kept.
const BINARY_NOT_RECORDED: &str = "[binary body, not recorded]";

/// How [`RawClient::run`] treats the bodies.
enum Transfer {
    /// The caller reads the response in full; the timeout covers all of it.
    Whole,
    /// The response streams to the caller and the timeout covers the wait for its headers.
    /// A request body given here streams too, and allows a single attempt.
    Streamed(Option<reqwest::Body>),
}

/// Exponential backoff with full jitter: a random wait up to `initial × 2^(attempt-1)`,
/// capped at `max_backoff_ms`.
fn backoff(retry: &RetryDef, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(32);
    let ceiling = retry
        .initial_backoff_ms
        .saturating_mul(1u64 << exponent)
        .min(retry.max_backoff_ms);
    Duration::from_millis(fastrand::u64(0..=ceiling))
}

/// How long the response's retry hints say to wait: the first `after` header present (seconds,
/// or an HTTP date), else the first `at` header (a reset time).
pub(crate) fn retry_hint(headers: &HeaderMap, retry: &RetryDef) -> Option<Duration> {
    retry
        .after
        .iter()
        .find_map(|name| wait_after(headers, name))
        .or_else(|| retry.at.iter().find_map(|name| reset_in(headers, name)))
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    Some(headers.get(name)?.to_str().ok()?.trim())
}

/// A wait in seconds (`2`, `1.5`) or an HTTP date.
fn wait_after(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let value = header_text(headers, name)?;
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    until(httpdate::parse_http_date(value).ok()?)
}

/// A reset time: epoch milliseconds, epoch seconds, seconds from now when too small to be a
/// date (before 2001), or an HTTP date.
fn reset_in(headers: &HeaderMap, name: &str) -> Option<Duration> {
    /// 2001-09-09 in epoch seconds, and the same in milliseconds.
    const EPOCH_SECONDS: f64 = 1e9;
    const EPOCH_MILLISECONDS: f64 = 1e12;
    let value = header_text(headers, name)?;
    let Ok(number) = value.parse::<f64>() else {
        return until(httpdate::parse_http_date(value).ok()?);
    };
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    if number < EPOCH_SECONDS {
        return Duration::try_from_secs_f64(number).ok();
    }
    let seconds = if number >= EPOCH_MILLISECONDS {
        number / 1000.0
    } else {
        number
    };
    until(SystemTime::UNIX_EPOCH + Duration::try_from_secs_f64(seconds).ok()?)
}

/// The time left until `moment` (zero once past).
fn until(moment: SystemTime) -> Option<Duration> {
    Some(
        moment
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Serialises an input to the JSON object `execute` takes.
pub(crate) fn to_object<I: Serialize + ?Sized>(input: &I) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(input) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Error::InvalidInput(format!(
            "the input must serialise to a JSON object keyed by parameter names, not {other}"
        ))),
        Err(error) => Err(Error::InvalidInput(format!(
            "the input cannot be serialised: {error}"
        ))),
    }
}

fn check_relative_path(path: &str) -> Result<(), Error> {
    if request::has_control(path) {
        return Err(Error::InvalidInput(format!(
            "path `{}` holds a control character (raw or percent-encoded)",
            path.escape_debug()
        )));
    }
    // Checked as written and once decoded: a provider that decodes `%2f` or `%5c` before
    // resolving `..` must not be led out of the base path either.
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let escapes = |path: &str| {
        path.starts_with("//")
            || path.contains('@')
            || path.contains('\\')
            || path.contains("://")
            // The URL parser trims the spaces that end a URL, and the path ends it.
            || path
                .trim_end_matches(' ')
                .split(['/', '\\', '?', '#'])
                .any(request::is_dot_segment)
    };
    if !path.starts_with('/') || escapes(path) || escapes(&decoded) {
        Err(Error::InvalidInput(format!(
            "path `{path}` must start with `/` and stay on the connector's host (no scheme, `//`, `@`, `\\` or `..`)"
        )))
    } else {
        Ok(())
    }
}

impl fmt::Debug for RawClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawClient")
            .field("connector", &self.def.name)
            .field("auth", &self.auth)
            .field("base_url", &self.base_url)
            .field("connection_config", &self.config)
            .field("rate_limiter", &self.limiter)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("held_until", &self.held_until)
            .field("cassette_recorder", &self.recorder)
            .finish_non_exhaustive()
    }
}
