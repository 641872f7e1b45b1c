//! `ANY /v1/proxy/{connection_id}/{path}`: an authenticated passthrough to the connector's
//! base URL, bodies streamed both ways.
//!
//! The runtime's `send_streaming` pins the host, drops the caller's `Authorization` and the
//! hop-by-hop headers (both ways, with those a `Connection` header names) and the provider's
//! `Set-Cookie`, injects the credential and retries. A request body whose length is
//! known and at most `max_buffered_proxy_body` is buffered, so it can be retried and resent
//! after a token refresh; a larger or chunked one streams through in a single attempt.

use std::sync::Mutex;

use connector_runtime::RawRequest;
use poem::http::HeaderMap;
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Request, Response, handler};

use crate::calls;
use crate::error::ApiError;
use crate::state::SharedState;

#[handler]
pub async fn proxy(
    request: &Request,
    Path((connection_id, _)): Path<(String, String)>,
    body: Body,
    Data(state): Data<&SharedState>,
) -> Response {
    match forward(state, request, &connection_id, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn forward(
    state: &SharedState,
    request: &Request,
    connection_id: &str,
    body: Body,
) -> Result<Response, ApiError> {
    // The path as the caller sent it, still percent-encoded: everything after
    // `/v1/proxy/{connection_id}`. The router's decoded copy would hide `%2e%2e`.
    let raw = request.uri().path();
    let path = format!("/{}", raw.splitn(5, '/').nth(4).unwrap_or(""));
    let query = request
        .uri()
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let length = request
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let (buffered, streamed) = match length {
        Some(0) => (None, None),
        Some(length) if length <= state.settings.max_buffered_proxy_body => {
            let bytes = body.into_bytes().await.map_err(|error| {
                ApiError::bad_request("invalid_request", format!("cannot read the body: {error}"))
            })?;
            (Some(bytes), None)
        }
        None if !has_body(request.headers()) => (None, None),
        _ => {
            let stream = body.into_bytes_stream();
            (None, Some(reqwest::Body::wrap_stream(stream)))
        }
    };
    let retryable = streamed.is_none();
    let streamed = Mutex::new(streamed);
    let outgoing = RawRequest {
        method: request.method().clone(),
        path,
        query,
        headers: request.headers().clone(),
        body: buffered,
    };
    let upstream = calls::with_connection(state, connection_id, None, retryable, |client| {
        let outgoing = outgoing.clone();
        let streamed = streamed.lock().unwrap().take();
        async move { client.send_streaming(outgoing, streamed).await }
    })
    .await?;

    // The runtime already dropped the hop-by-hop headers and the provider's cookies.
    let (status, headers, body) = upstream.into_parts();
    let mut response = Response::builder().status(status).body(Body::from(body));
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
