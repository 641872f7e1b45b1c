//! How a prepared request reaches the provider: reqwest for endpoint calls, hyper's pooled
//! client for the streamed passthrough. One retry loop ([`crate::RawClient`]) drives both.
//!
//! The passthrough is the path every proxied request takes. Under load, reqwest's layers cost
//! about a tenth of the proxy's CPU (its redirect policy parses each URL again, host name
//! normalisation included, even when redirects are off; URL to URI conversions; boxed bodies
//! with per-request timers), so the passthrough sends with hyper-util's client directly: the
//! same pool reqwest wraps, without the layers (docs/performance.md).

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use http_body_util::combinators::BoxBody;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT};

use crate::Error;
use crate::request::Prepared;

/// Why a send gave no response.
pub(crate) enum Failure {
    /// None came: the connection was refused, reset or closed early. An idempotent request
    /// may be sent again.
    NoResponse(Error),
    /// A timeout, or a request that could not be built: not sent again.
    Final(Error),
}

/// A way to send a prepared request and get its response's head.
pub(crate) trait Transport: Sync {
    type Response: Send;

    fn status(response: &Self::Response) -> StatusCode;

    fn headers(response: &Self::Response) -> &HeaderMap;

    /// Sends `prepared`, with `body` instead of its own when given (a stream, sent once);
    /// `whole`: the timeout of the whole exchange, body included.
    fn send(
        &self,
        prepared: &Prepared,
        body: Option<reqwest::Body>,
        whole: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Response, Failure>> + Send;
}

impl Transport for reqwest::Client {
    type Response = reqwest::Response;

    fn status(response: &reqwest::Response) -> StatusCode {
        response.status()
    }

    fn headers(response: &reqwest::Response) -> &HeaderMap {
        response.headers()
    }

    async fn send(
        &self,
        prepared: &Prepared,
        body: Option<reqwest::Body>,
        whole: Option<Duration>,
    ) -> Result<reqwest::Response, Failure> {
        let mut outgoing = reqwest::Request::new(prepared.method.clone(), prepared.url.clone());
        *outgoing.headers_mut() = prepared.headers.clone();
        *outgoing.timeout_mut() = whole;
        *outgoing.body_mut() = body.or_else(|| prepared.body.clone().map(Into::into));
        self.execute(outgoing).await.map_err(|error| {
            // No response came unless it timed out or could not be built.
            if error.is_timeout() || error.is_builder() {
                Failure::Final(Error::from_reqwest(error))
            } else {
                Failure::NoResponse(Error::from_reqwest(error))
            }
        })
    }
}

/// The body of a passthrough response, as it arrives (each frame within the read timeout).
pub type PassthroughBody = BoxBody<Bytes, std::io::Error>;

/// The HTTP/1.1 client of the streamed passthrough ([`crate::RawClient::send_streaming`]):
/// hyper-util's pooled client over rustls with the web PKI roots, the connection and read
/// timeouts of [`PassthroughHttp::new`], and the `User-Agent` and `Accept: */*` that reqwest
/// would add. Cloning is cheap; clones share the pool.
///
/// When the environment names an egress proxy (`HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY`, any
/// case), it holds no client: the passthrough then sends with the `RawClient`'s reqwest client
/// ([`crate::RawClient::with_http`]), which honours them as every other provider call does.
#[derive(Clone)]
pub struct PassthroughHttp(Option<Direct>);

/// hyper-util's client, without reqwest's layers.
#[derive(Clone)]
pub(crate) struct Direct {
    client: HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, reqwest::Body>,
    read_timeout: Option<Duration>,
    user_agent: HeaderValue,
}

impl PassthroughHttp {
    /// `connect_timeout` bounds opening a connection; `read_timeout`, when set, cuts a response
    /// body whose next bytes take longer than that to come.
    pub fn new(
        user_agent: &'static str,
        connect_timeout: Duration,
        read_timeout: Option<Duration>,
    ) -> PassthroughHttp {
        let egress_proxy = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]
            .iter()
            .any(|name| {
                [name.to_string(), name.to_lowercase()]
                    .iter()
                    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
            });
        if egress_proxy {
            return PassthroughHttp(None);
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        PassthroughHttp(Some(Direct {
            client,
            read_timeout,
            user_agent: HeaderValue::from_static(user_agent),
        }))
    }

    /// The client to send with; `None`: send with reqwest (an egress proxy is configured).
    pub(crate) fn direct(&self) -> Option<&Direct> {
        self.0.as_ref()
    }
}

impl Transport for Direct {
    type Response = http::Response<PassthroughBody>;

    fn status(response: &Self::Response) -> StatusCode {
        response.status()
    }

    fn headers(response: &Self::Response) -> &HeaderMap {
        response.headers()
    }

    async fn send(
        &self,
        prepared: &Prepared,
        body: Option<reqwest::Body>,
        whole: Option<Duration>,
    ) -> Result<Self::Response, Failure> {
        let invalid = |error: http::Error| {
            Failure::Final(Error::InvalidInput(format!(
                "the request cannot be sent: {error}"
            )))
        };
        let uri: http::Uri = prepared
            .url
            .as_str()
            .parse()
            .map_err(|error: http::uri::InvalidUri| invalid(error.into()))?;
        let body = body
            .or_else(|| prepared.body.clone().map(Into::into))
            .unwrap_or_else(|| reqwest::Body::from(Bytes::new()));
        let mut outgoing = http::Request::builder()
            .method(prepared.method.clone())
            .uri(uri)
            .body(body)
            .map_err(invalid)?;
        let headers = outgoing.headers_mut();
        *headers = prepared.headers.clone();
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.user_agent.clone());
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let sent = self.client.request(outgoing);
        let response = match whole {
            Some(limit) => match tokio::time::timeout(limit, sent).await {
                Ok(sent) => sent,
                Err(_) => return Err(Failure::Final(Error::Timeout)),
            },
            None => sent.await,
        }
        // hyper's errors carry no URL.
        .map_err(|error| Failure::NoResponse(Error::transport(&error)))?;
        Ok(response.map(|body| match self.read_timeout {
            Some(limit) => tower_http::timeout::TimeoutBody::new(limit, body)
                .map_err(std::io::Error::other)
                .boxed(),
            None => body.map_err(std::io::Error::other).boxed(),
        }))
    }
}

/// A passthrough response: status and headers read, the body not yet.
#[derive(Debug)]
pub struct StreamedResponse(http::Response<PassthroughBody>);

impl StreamedResponse {
    pub(crate) fn new(response: http::Response<PassthroughBody>) -> StreamedResponse {
        StreamedResponse(response)
    }

    /// A response reqwest sent (through an egress proxy), body unread.
    pub(crate) fn from_reqwest(response: reqwest::Response) -> StreamedResponse {
        StreamedResponse(
            http::Response::from(response).map(|body| body.map_err(std::io::Error::other).boxed()),
        )
    }

    pub fn status(&self) -> StatusCode {
        self.0.status()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.0.headers()
    }

    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.0.headers_mut()
    }

    /// The status, the headers and the body to stream.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, PassthroughBody) {
        let (parts, body) = self.0.into_parts();
        (parts.status, parts.headers, body)
    }

    /// The whole body (for tests and small answers; a proxy streams [`Self::into_parts`]).
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let (_, _, body) = self.into_parts();
        body.collect()
            .await
            .map(|collected| collected.to_bytes())
            .map_err(|error| Error::transport(&error))
    }

    /// The whole body as text (lossy UTF-8).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
