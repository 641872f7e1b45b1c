//! `ANY /v1/proxy/{connection_id}/{path}`: an authenticated passthrough to the connector's
//! base URL, bodies streamed both ways.
//!
//! The runtime's `send_streaming` pins the host, drops the caller's `Authorization` and the
//! hop-by-hop headers (both ways, with those a `Connection` header names) and the provider's
//! `Set-Cookie`, injects the credential and retries. A request body whose length is
//! known and at most `max_buffered_proxy_body` is buffered, so it can be retried and resent
//! after a token refresh; a larger or chunked one streams through in a single attempt.

use std::borrow::Cow;
use std::sync::Mutex;

use connector_runtime::RawRequest;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use poem::IntoResponse as _;
use poem::http::HeaderMap;

use crate::call_log::CallKind;
use crate::calls::{self, CallSummary};
use crate::error::ApiError;
use crate::listen::ResponseBody;
use crate::state::AppState;

/// The prefix of the proxy's paths.
const PREFIX: &str = "/v1/proxy/";

/// The connection id of a proxy path, `/v1/proxy/{connection_id}/{path}` (percent-decoded);
/// `None` for any other path.
pub fn connection_of(path: &str) -> Option<Cow<'_, str>> {
    let (id, _) = path.strip_prefix(PREFIX)?.split_once('/')?;
    if id.is_empty() {
        return None;
    }
    percent_encoding::percent_decode_str(id).decode_utf8().ok()
}

/// Answers a request on a proxy path, whose secret key was checked.
///
/// Served with hyper's request and response as they are, not through poem's router and
/// extractors: this is the path of every untyped call, and each layer there boxed and moved
/// its future and copied the path (docs/performance.md, issue 11).
pub async fn serve(
    state: &AppState,
    connection_id: &str,
    request: hyper::Request<Incoming>,
) -> hyper::Response<ResponseBody> {
    match forward(state, connection_id, request).await {
        Ok(response) => response,
        Err(error) => hyper::Response::from(error.into_response()),
    }
}

async fn forward(
    state: &AppState,
    connection_id: &str,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ResponseBody>, ApiError> {
    let (parts, body) = request.into_parts();
    // The path as the caller sent it, still percent-encoded: everything after
    // `/v1/proxy/{connection_id}`. A decoded copy would hide `%2e%2e`.
    let raw = parts.uri.path();
    let path = format!("/{}", raw.splitn(5, '/').nth(4).unwrap_or(""));
    let query = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let length = parts
        .headers
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let (buffered, streamed) = match length {
        Some(0) => (None, None),
        Some(length) if length <= state.settings.max_buffered_proxy_body => {
            let bytes = body.collect().await.map_err(|error| {
                ApiError::bad_request("invalid_request", format!("cannot read the body: {error}"))
            })?;
            (Some(bytes.to_bytes()), None)
        }
        None if !has_body(&parts.headers) => (None, None),
        _ => {
            let stream = http_body_util::BodyDataStream::new(body);
            (None, Some(reqwest::Body::wrap_stream(stream)))
        }
    };
    let retryable = streamed.is_none();
    let streamed = Mutex::new(streamed);
    let outgoing = RawRequest {
        method: parts.method,
        path,
        query,
        headers: parts.headers,
        body: buffered,
    };
    let summary = CallSummary {
        kind: CallKind::Proxy,
        method: outgoing.method.as_str(),
        path: &outgoing.path,
    };
    let upstream =
        calls::with_connection(state, connection_id, None, retryable, summary, |client| {
            let outgoing = outgoing.clone();
            let streamed = streamed.lock().unwrap().take();
            async move { client.send_streaming(outgoing, streamed).await }
        })
        .await?;

    // The runtime already dropped the hop-by-hop headers and the provider's cookies.
    let (status, headers, body) = upstream.into_parts();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// Whether a request without Content-Length has a body (chunked).
fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(poem::http::header::TRANSFER_ENCODING)
}

/// The proxy's entry in the OpenAPI document. poem-openapi cannot route a path that ends in
/// a wildcard, so the route is a plain poem one and its documentation is written here.
pub fn path_item() -> serde_json::Value {
    let operation = |method: &str| {
        serde_json::json!({
            "tags": ["proxy"],
            "operationId": format!("proxy_{method}"),
            "summary": "Authenticated passthrough to the provider",
            "description": "Sends the request to the connector's base URL + `path`, with the query, headers and body as given, the connection's credential injected (your `Authorization` header never goes upstream; hop-by-hop headers are dropped), retries with backoff on 429 and 5xx (idempotent methods, or with an `Idempotency-Key`), and streams the provider's response back as it is. A path that leaves the provider's host (a scheme, `//host`, `@`, `..`) is a 400.",
            "parameters": [
                { "name": "connection_id", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "path", "in": "path", "required": true, "description": "The provider path, slashes included.", "schema": { "type": "string" } }
            ],
            "responses": {
                "200": { "description": "The provider's response, whatever its status." },
                "400": { "description": "The path leaves the provider's host.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } },
                "401": { "description": "The secret key is missing or wrong.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } },
                "404": { "description": "No such connection.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } },
                "409": { "description": "The connection needs re-authorization.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } },
                "502": { "description": "The provider could not be reached.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } }
            },
            "security": [ { "secret_key": [] } ],
            // Generated SDKs leave it out: a path parameter cannot carry slashes through
            // them, and the request envelope does the same job in JSON.
            "x-internal": true
        })
    };
    serde_json::json!({
        "get": operation("get"),
        "post": operation("post"),
        "put": operation("put"),
        "patch": operation("patch"),
        "delete": operation("delete"),
    })
}
