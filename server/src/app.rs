//! The HTTP application: the OpenAPI routes, the proxy, the spec and Swagger UI, `/healthz`,
//! the secret-key check on `/v1`, body limits and the JSON error body everywhere.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use poem::endpoint::make_sync;
use poem::web::{LocalAddr, RemoteAddr, WithContentType};
use poem::{
    Addr, Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response, Result, Route, get,
};

use connector_runtime::openapi::ActionStatus;

use crate::api;
use crate::error::{ApiError, render_any_error};
use crate::listen::{Handler, Peer, ResponseBody, ServeLimits};
use crate::monitoring;
use crate::pages;
use crate::proxy;
use crate::state::AppState;

/// The OpenAPI document the server serves: what poem-openapi generates from the types, plus
/// what it cannot express: the proxy route, the 415 of operations that take a body, and links
/// from the operations that create things to those that use their ids (for stateful
/// clients and fuzzers). Operations marked `x-internal` are documented for people and skipped
/// by openapi-generator.
pub fn document(state: Arc<AppState>) -> serde_json::Value {
    let service = api::service(state);
    complete(&service.spec())
}

fn complete(generated: &str) -> serde_json::Value {
    let mut spec: serde_json::Value =
        serde_json::from_str(generated).expect("poem-openapi writes JSON");
    spec["paths"]["/v1/proxy/{connection_id}/{path}"] = proxy::path_item();
    spec["paths"]["/webhooks/{connector}"] = api::incoming::path_item();
    // The callback is the browser's route, not an SDK call: documented, but not generated.
    spec["paths"]["/oauth/callback"]["get"]["x-internal"] = serde_json::Value::Bool(true);
    if let Some(tags) = spec["tags"].as_array_mut() {
        tags.push(serde_json::json!({
            "name": "proxy",
            "description": "Authenticated passthrough to the provider's API."
        }));
    }
    document_unsupported_media_type(&mut spec);
    add_links(&mut spec);
    spec
}

/// poem-openapi answers 415 when a body comes without `Content-Type: application/json`; typed
/// actions read their body themselves and answer 400 instead.
fn document_unsupported_media_type(spec: &mut serde_json::Value) {
    let Some(paths) = spec["paths"].as_object_mut() else {
        return;
    };
    let checked = paths
        .iter_mut()
        .filter(|(path, _)| !path.starts_with("/v1/actions/"))
        .filter_map(|(_, item)| item.as_object_mut());
    for operation in checked {
        for operation in operation.values_mut() {
            if operation.get("requestBody").is_some() {
                operation["responses"]["415"] = serde_json::json!({
                    "description": "The body is not sent as `Content-Type: application/json`.",
                    "content": { "application/json; charset=utf-8": {
                        "schema": { "$ref": "#/components/schemas/ErrorBody" }
                    } }
                });
            }
        }
    }
}

/// From an operation's answer to the operations under a path prefix that take the id it
/// made: (path, method, status, target prefix, target parameter, runtime expression).
const LINKS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "/v1/connections",
        "post",
        "201",
        "/v1/connections/{id}",
        "id",
        "$response.body#/id",
    ),
    (
        "/v1/connections",
        "post",
        "201",
        "/v1/proxy/{connection_id}/",
        "connection_id",
        "$response.body#/id",
    ),
    (
        "/v1/integrations/{connector}",
        "put",
        "200",
        "/v1/integrations/{connector}",
        "connector",
        "$request.path.connector",
    ),
    (
        "/v1/integrations/{connector}",
        "put",
        "200",
        "/v1/connectors/{name}",
        "name",
        "$request.path.connector",
    ),
];

fn add_links(spec: &mut serde_json::Value) {
    for &(path, method, status, prefix, parameter, expression) in LINKS {
        let targets: Vec<(String, serde_json::Value)> = spec["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(target, _)| target.starts_with(prefix))
            .flat_map(|(_, item)| item.as_object().into_iter().flatten())
            .filter(|(target_method, _)| !(prefix == path && *target_method == method))
            .filter_map(|(_, operation)| operation["operationId"].as_str())
            .map(|id| {
                let link = serde_json::json!({
                    "operationId": id,
                    "parameters": { parameter: expression },
                });
                (id.to_owned(), link)
            })
            .collect();
        let response = &mut spec["paths"][path][method]["responses"][status];
        for (id, link) in targets {
            response["links"][id] = link;
        }
    }
}

/// The spec as the server serves it at /openapi.json (and as `connector openapi` prints it).
pub fn spec_json(spec: &serde_json::Value) -> String {
    let mut json = serde_json::to_string_pretty(spec).expect("a JSON value serialises");
    json.push('\n');
    json
}

pub fn spec_yaml(spec: &serde_json::Value) -> String {
    serde_norway::to_string(spec).expect("a JSON value serialises as YAML")
}

/// The OpenAPI document as `/openapi.json`, `/openapi.yaml` and `/docs` serve it.
struct Documents {
    json: Bytes,
    yaml: Bytes,
    swagger: Bytes,
}

impl Documents {
    fn render(state: &Arc<AppState>) -> Documents {
        let service = api::service(state.clone());
        let generated = service.spec();
        let spec = complete(&generated);
        let json = spec_json(&spec);
        let swagger = service.swagger_ui_html().replacen(&generated, &json, 1);
        Documents {
            yaml: Bytes::from(spec_yaml(&spec)),
            json: Bytes::from(json),
            swagger: Bytes::from(swagger),
        }
    }
}

/// The server's requests: those on the proxy's paths go straight to the proxy, the others
/// to poem's [`routes`].
pub struct Application<E> {
    state: Arc<AppState>,
    routes: E,
}

impl Application<()> {
    pub fn new(state: Arc<AppState>) -> Application<impl Endpoint> {
        Application {
            routes: routes(state.clone()),
            state,
        }
    }
}

impl<E: Endpoint + 'static> Handler for Application<E> {
    /// Every request's log line and `connector_http_requests_total` count are made here, for
    /// the proxy's paths and poem's alike.
    async fn handle(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
        peer: Peer,
    ) -> hyper::Response<ResponseBody> {
        let logged = RequestLog::start(request.method(), request.uri());
        let (route, response) = match proxy::connection_of(request.uri().path()) {
            Some(connection_id) => {
                let connection_id = connection_id.into_owned();
                let response = match api::require_secret_key(&self.state, request.headers()) {
                    Ok(()) => proxy::serve(&self.state, &connection_id, request).await,
                    Err(error) => hyper::Response::from(error.into_response()),
                };
                ("/v1/proxy/{connection_id}/{path}", response)
            }
            None => {
                let route = fixed_route(request.uri().path());
                let request = poem::Request::from((
                    request,
                    LocalAddr(Addr::SocketAddr(peer.local)),
                    RemoteAddr(Addr::SocketAddr(peer.remote)),
                    poem::http::uri::Scheme::HTTP,
                ));
                let response = self.routes.get_response(request).await;
                // poem-openapi names each operation's answer; the other routes are few and
                // fixed.
                let route = response
                    .data::<poem_openapi::OperationId>()
                    .map_or(route, |operation| operation.0);
                (route, hyper::Response::from(response))
            }
        };
        if let Some(logged) = logged {
            logged.finish(response.status());
        }
        monitoring::http_request(route, response.status());
        response
    }
}

/// The `route` label of a request poem answers outside the OpenAPI operations: its path when
/// it is one of the fixed routes, else `other` (unknown paths must not make new labels).
fn fixed_route(path: &str) -> &'static str {
    const FIXED: &[&str] = &[
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/openapi.yaml",
        "/docs",
        "/oauth/callback",
    ];
    match FIXED.iter().find(|fixed| **fixed == path) {
        Some(fixed) => fixed,
        None if path.starts_with("/webhooks/") => "/webhooks/{connector}",
        None if path == "/dashboard" || path.starts_with("/dashboard/") => "/dashboard",
        None if path.starts_with("/connect/") => "/connect/{token}",
        None if path.starts_with("/assets/") => "/assets",
        None if path == "/mcp" => "/mcp",
        None => "other",
    }
}

/// Every route of the server answered by poem.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    let service = api::service(state.clone());
    let max_body = state.settings.max_body_bytes;
    // Rendered on first request, not at start: with sixteen typed connectors each rendering is
    // about 1 MB, and making them (a parse of the whole document) would otherwise stay in the
    // memory of every idle server.
    let documents = Arc::new(OnceLock::<Documents>::new());
    let documents_state = state.clone();
    let document = move |pick: fn(&Documents) -> &Bytes| {
        let documents = documents.clone();
        let state = documents_state.clone();
        move || pick(documents.get_or_init(|| Documents::render(&state))).clone()
    };
    let json = document(|documents| &documents.json);
    let yaml = document(|documents| &documents.yaml);
    let swagger = document(|documents| &documents.swagger);
    let json_endpoint = make_sync(move |_| json().with_content_type("application/json"));
    let yaml_endpoint = make_sync(move |_| -> WithContentType<Bytes> {
        yaml().with_content_type("application/yaml")
    });
    let swagger_endpoint =
        make_sync(move |_| swagger().with_content_type("text/html; charset=utf-8"));
    // The proxy's paths are answered before poem (`Application`).
    Route::new()
        .nest(
            "/",
            service
                .with(BodyLimit(max_body))
                .with(RequireSecretKey(state.clone())),
        )
        .at("/openapi.json", get(json_endpoint))
        .at("/openapi.yaml", get(yaml_endpoint))
        .at("/docs", get(swagger_endpoint))
        .at("/healthz", get(healthz))
        .at("/metrics", get(metrics))
        .at(
            "/webhooks/:connector",
            poem::post(api::incoming::receive).with(BodyLimit(max_body)),
        )
        .nest("/dashboard", pages::dashboard().with(BodyLimit(max_body)))
        .nest("/connect", pages::connect().with(BodyLimit(max_body)))
        .nest("/assets", pages::assets())
        .at("/mcp", crate::mcp::endpoint(state.clone()))
        .data(state)
        .catch_all_error(render_any_error)
}

/// 200 when the server can reach its database, 503 when it cannot (for load balancers and
/// orchestrators).
#[poem::handler]
async fn healthz(poem::web::Data(state): poem::web::Data<&Arc<AppState>>) -> Response {
    match state.db.ping().await {
        Ok(()) => {
            poem::web::Json(serde_json::json!({ "status": "ok", "database": "ok" })).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "health check: the database does not answer");
            poem::web::Json(
                serde_json::json!({ "status": "unavailable", "database": "unreachable" }),
            )
            .with_status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
            .into_response()
        }
    }
}

/// The Prometheus exposition, behind the secret key like `/v1`.
#[poem::handler]
async fn metrics(
    request: &Request,
    poem::web::Data(state): poem::web::Data<&Arc<AppState>>,
) -> Response {
    if let Err(refused) = api::require_secret_key(state, request.headers()) {
        return refused.into_response();
    }
    monitoring::render()
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        .into_response()
}

/// A request's log line (method, path, status, duration), written when it is answered;
/// nothing is kept below `info`. Never the query string, which carries OAuth codes and states
/// on the callback and anything a caller put there.
struct RequestLog {
    method: poem::http::Method,
    path: String,
    started: std::time::Instant,
}

impl RequestLog {
    fn start(method: &poem::http::Method, uri: &poem::http::Uri) -> Option<RequestLog> {
        tracing::enabled!(tracing::Level::INFO).then(|| RequestLog {
            method: method.clone(),
            path: uri.path().to_owned(),
            started: std::time::Instant::now(),
        })
    }

    fn finish(self, status: poem::http::StatusCode) {
        tracing::info!(
            method = %self.method,
            path = %self.path,
            status = status.as_u16(),
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "request"
        );
    }
}

/// 413 for a body over the limit: at once when its Content-Length says so (hyper holds a body
/// to its Content-Length), else (HTTP/1.1 chunked, HTTP/2 without the header) read up to one
/// byte past the limit and stopped there.
struct BodyLimit(usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            limit: self.0,
        }
    }
}

struct BodyLimitEndpoint<E> {
    inner: E,
    limit: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> Result<Response> {
        let too_large = || {
            let mut response = ApiError::new(
                ActionStatus::PayloadTooLarge,
                "payload_too_large",
                format!("the body is larger than {} bytes", self.limit),
            )
            .into_response();
            // The rest of the body is not read, so the connection cannot carry another request:
            // say so, or a client may send its next request on it and see it closed.
            response.headers_mut().insert(
                poem::http::header::CONNECTION,
                poem::http::HeaderValue::from_static("close"),
            );
            response
        };
        let length = request
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        match length {
            Some(length) if length > self.limit => return Ok(too_large()),
            Some(_) => {}
            None => {
                use futures_util::TryStreamExt as _;
                let mut stream = request.take_body().into_bytes_stream();
                let mut buffer = Vec::new();
                while let Some(chunk) = stream.try_next().await.map_err(poem::error::BadRequest)? {
                    if buffer.len() + chunk.len() > self.limit {
                        return Ok(too_large());
                    }
                    buffer.extend_from_slice(&chunk);
                }
                request.set_body(buffer);
            }
        }
        Ok(self.inner.call(request).await?.into_response())
    }
}

/// 401 for a `/v1` request without a valid `Authorization: Bearer <secret key>`.
struct RequireSecretKey(Arc<AppState>);

impl<E: Endpoint> Middleware<E> for RequireSecretKey {
    type Output = RequireSecretKeyEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequireSecretKeyEndpoint {
            inner,
            state: self.0.clone(),
        }
    }
}

struct RequireSecretKeyEndpoint<E> {
    inner: E,
    state: Arc<AppState>,
}

impl<E: Endpoint> Endpoint for RequireSecretKeyEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Response> {
        if request.uri().path().starts_with("/v1/")
            && let Err(refused) = api::require_secret_key(&self.state, request.headers())
        {
            return Ok(refused.into_response());
        }
        let response = self.inner.call(request).await?.into_response();
        Ok(response)
    }
}

/// The document without a running server (`connector openapi`, the spec test): it depends
/// on the compiled types only.
pub fn offline_document() -> serde_json::Value {
    let state = AppState::new(
        sea_orm::DatabaseConnection::Disconnected,
        crate::crypto::Cipher::from_config(&crate::crypto::Cipher::generate_key())
            .expect("a generated key is valid"),
        crate::registry::Registry::load(None).expect("the built-ins load"),
        crate::state::Settings::default(),
    );
    document(Arc::new(state))
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    limits: ServeLimits,
) -> std::io::Result<()> {
    monitoring::install();
    let changes = tokio::spawn(crate::changes::follow(state.clone()));
    let deliveries = tokio::spawn(state.deliverer.clone().run());
    let call_log = tokio::spawn(state.call_log.clone().run());
    let served = crate::listen::serve(
        Application::new(state.clone()),
        listener,
        limits,
        shutdown_signal(),
    )
    .await;
    changes.abort();
    deliveries.abort();
    call_log.abort();
    let _ = call_log.await;
    // What the last requests recorded.
    state.call_log.flush().await;
    served
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
