//! Provider calls on behalf of a connection, shared by the proxy, the request envelope and
//! the typed actions: a usable token, the connection's client, one retry after a 401, and
//! each call counted (`monitoring`) and logged (`call_log`).

use std::future::Future;
use std::sync::Arc;

use connector_defs::RateLimitScope;
use connector_runtime::{Auth, Error, RawClient};

use crate::call_log::{CallKind, CallRecord};
use crate::error::{ApiError, ApiResult};
use crate::integrations::Integration;
use crate::monitoring;
use crate::registry::Entry;
use crate::state::AppState;
use crate::state::CachedClient;
use crate::store::{Loaded, config_pairs};

/// A provider's answer to a call that got one.
pub trait Answered {
    fn status(&self) -> u16;
}

impl Answered for connector_runtime::RawResponse {
    fn status(&self) -> u16 {
        self.status
    }
}

impl Answered for connector_runtime::StreamedResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

impl Answered for connector_runtime::Download {
    fn status(&self) -> u16 {
        // A download is answered only when 2xx; other statuses are errors.
        200
    }
}

/// What a call came to, as far as deciding on a refresh and logging it go.
pub trait Answer {
    /// The provider's HTTP status; `None` when no answer came.
    fn status(&self) -> Option<u16>;

    /// Whether the provider refused the credential (HTTP 401).
    fn unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// Why the call failed, when it did not get an answer to pass on.
    fn error(&self) -> Option<String>;
}

impl<T: Answered> Answer for Result<T, Error> {
    fn status(&self) -> Option<u16> {
        match self {
            Ok(response) => Some(response.status()),
            Err(error) => error.status(),
        }
    }

    fn error(&self) -> Option<String> {
        self.as_ref().err().map(ToString::to_string)
    }
}

/// What a call is, for the call log.
#[derive(Debug, Clone, Copy)]
pub struct CallSummary<'a> {
    pub kind: CallKind,
    pub method: &'a str,
    /// Without its query string.
    pub path: &'a str,
}

/// The connection's connector; with `expected`, a connection of another connector is a 409.
pub fn entry_of<'a>(
    state: &'a AppState,
    loaded: &Loaded,
    expected: Option<&str>,
) -> ApiResult<&'a Entry> {
    let connector = &loaded.connection.connector;
    if let Some(expected) = expected
        && expected != connector
    {
        return Err(ApiError::conflict(
            "connector_mismatch",
            format!(
                "connection `{}` belongs to `{connector}`, not `{expected}`",
                loaded.connection.id
            ),
        ));
    }
    state.connector(connector).map_err(|_| {
        ApiError::conflict(
            "connector_unavailable",
            format!(
                "connection `{}` uses connector `{connector}`, which this server has not loaded",
                loaded.connection.id
            ),
        )
    })
}

/// Runs `call` with a client for the connection. When the provider answers 401 and the
/// credential is an OAuth 2.0 token, refreshes it (unless someone already did) and runs
/// `call` once more; `retryable: false` (a streamed body) gives the 401 back instead.
pub async fn with_connection<T, F, Fut>(
    state: &AppState,
    connection_id: &str,
    expected_connector: Option<&str>,
    retryable: bool,
    summary: CallSummary<'_>,
    call: F,
) -> ApiResult<T>
where
    F: Fn(RawClient) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
    T: Answered,
{
    let loaded = state.refresher.usable(connection_id).await?;
    let entry = entry_of(state, &loaded, expected_connector)?;
    let client = client_for(state, entry, &loaded).await?;
    let answer = measured(state, connection_id, &entry.def.name, summary, call(client)).await;
    if !(retryable && answer.unauthorized() && loaded.secret.is_renewable()) {
        return answer.map_err(ApiError::from);
    }
    tracing::info!(connection = %connection_id, "the provider answered 401; refreshing the token once");
    let refreshed = state
        .refresher
        .refresh(connection_id, Some(loaded.version))
        .await?;
    let client = client_for(state, entry, &refreshed).await?;
    measured(state, connection_id, &entry.def.name, summary, call(client))
        .await
        .map_err(ApiError::from)
}

/// Runs a provider call, counts it (`monitoring::provider_request`) and logs it.
async fn measured<A: Answer>(
    state: &AppState,
    connection_id: &str,
    connector: &str,
    summary: CallSummary<'_>,
    call: impl Future<Output = A>,
) -> A {
    let at = chrono::Utc::now();
    let started = std::time::Instant::now();
    let (answer, attempts) = connector_runtime::attempts::counted(call).await;
    let duration = started.elapsed();
    let status = answer.status();
    monitoring::provider_request(connector, status, duration);
    state.call_log.record(CallRecord {
        at,
        connection_id: Some(connection_id.to_owned()),
        connector: Some(connector.to_owned()),
        kind: summary.kind,
        method: summary.method.to_owned(),
        path: summary.path.to_owned(),
        status,
        duration,
        attempts,
        error: answer.error(),
    });
    answer
}

/// A client for one connection: its credential, the integration's base URL override, its
/// connection_config, and the connector's (or the connection's) rate limiter.
///
/// Made once per stored state of the connection and of its integration, and kept while both
/// stay the same objects in their caches: a proxied request of a known connection then
/// places its credential from what the client prepared on the first one.
pub async fn client_for(
    state: &AppState,
    entry: &Entry,
    loaded: &Arc<Loaded>,
) -> ApiResult<RawClient> {
    let integration = state.integrations.get(&entry.def.name).await?;
    let id = &loaded.connection.id;
    if let Some(cached) = state.clients.get(id)
        && cached.serves(loaded, integration.as_ref())
    {
        // The calling thread's HTTP client: its pool's connections live on this thread.
        return Ok(cached
            .client
            .clone()
            .with_http(state.http())
            .with_passthrough_http(state.passthrough_http()));
    }
    let client = build_client(
        state,
        entry,
        id,
        integration.as_deref(),
        loaded.secret.auth(),
        config_pairs(&loaded.connection.connection_config),
    );
    state.clients.put(
        id.clone(),
        Arc::new(CachedClient {
            loaded: loaded.clone(),
            integration,
            client: client.clone(),
        }),
    );
    Ok(client)
}

/// [`client_for`] from its pieces, for a connection that may not be stored yet (`verify`
/// checks a new connection's credential before it is).
pub async fn connection_client(
    state: &AppState,
    entry: &Entry,
    connection_id: &str,
    auth: Auth,
    config: impl IntoIterator<Item = (String, String)>,
) -> ApiResult<RawClient> {
    let integration = state.integrations.get(&entry.def.name).await?;
    Ok(build_client(
        state,
        entry,
        connection_id,
        integration.as_deref(),
        auth,
        config,
    ))
}

fn build_client(
    state: &AppState,
    entry: &Entry,
    connection_id: &str,
    integration: Option<&Integration>,
    auth: Auth,
    config: impl IntoIterator<Item = (String, String)>,
) -> RawClient {
    let mut client = RawClient::new(entry.def.clone(), auth)
        .with_http(state.http())
        .with_passthrough_http(state.passthrough_http())
        .with_connection_config(config)
        .with_max_response_bytes(state.settings.max_provider_body_bytes);
    // Only endpoint calls (the typed actions) are recorded, not the proxy.
    if let Some(dir) = &state.settings.record_cassettes {
        client = client.with_cassette_recorder(dir.clone());
    }
    if let Some(base_url) = integration.and_then(|integration| integration.base_url.clone()) {
        client = client.with_base_url(base_url);
    }
    if let Some(limit) = entry
        .def
        .rate_limit
        .as_ref()
        .filter(|limit| limit.scope == RateLimitScope::Connection)
    {
        client = client.with_rate_limiter(state.connection_limiter(connection_id, limit));
    }
    client
}
