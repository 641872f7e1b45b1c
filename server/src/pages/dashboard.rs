//! `/dashboard`: the operators' pages. Log in with the secret key; the browser then holds a
//! random session id in an HttpOnly, SameSite=Strict cookie (`logins`). Every write is a form
//! POST that carries the session's CSRF token and comes from this server's origin.

use std::sync::Arc;

use askama::Template;
use chrono::Utc;
use poem::http::StatusCode;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Form, Path, Query};
use poem::{Endpoint, Request, Response, Route, get, handler, post};
use serde::Deserialize;

use super::{message, page, same_origin, secure_cookies, see_other};
use crate::api::connections::delete_connection;
use crate::api::integrations::{IntegrationInput, put_integration};
use crate::api::oauth::{AuthorizeRequest, start_authorization};
use crate::api::webhooks::create_endpoint;
use crate::api::{decode_cursor, encode_cursor};
use crate::call_log::{CallKind, Health, LogFilter};
use crate::crypto::hash_secret_key;
use crate::logins::{LOGIN_TTL, Login};
use crate::registry::Search;
use crate::state::AppState;
use crate::store::ConnectionFilter;
use crate::subscriptions::DeliveryFilter;

const COOKIE: &str = "connector_session";
const PAGE: u64 = 50;

pub fn routes() -> impl Endpoint {
    Route::new()
        .at("/", get(overview))
        .at("/login", get(login_page).post(sign_in))
        .at("/logout", post(sign_out))
        .at("/connectors", get(connectors))
        .at("/integrations", get(integrations).post(save_integration))
        .at("/connections", get(connections))
        .at("/connections/:id/delete", post(remove_connection))
        .at("/connections/:id/reconnect", post(reconnect))
        .at("/logs", get(logs))
        .at("/webhooks", get(webhooks).post(add_endpoint))
        .at("/webhooks/:id/delete", post(remove_endpoint))
        .at("/deliveries/:id/retry", post(retry_delivery))
}

/// What every page of the dashboard shows around its content.
struct Frame {
    nav: &'static str,
    csrf_token: String,
    notice: Option<String>,
    error: Option<String>,
}

impl Frame {
    fn new(nav: &'static str, login: &Login, notice: Option<String>) -> Frame {
        Frame {
            nav,
            csrf_token: login.csrf_token.clone(),
            notice,
            error: None,
        }
    }
}

/// The login of the request's cookie, or the answer to give instead: the login page.
async fn signed_in(state: &AppState, jar: &CookieJar) -> Result<Login, Response> {
    let Some(cookie) = jar.get(COOKIE) else {
        return Err(see_other("/dashboard/login"));
    };
    match state.logins.find(cookie.value_str()).await {
        Ok(Some(login)) => Ok(login),
        Ok(None) => Err(see_other("/dashboard/login")),
        Err(error) => Err(failed(error)),
    }
}

/// The login of a write: signed in, from this server's origin, with the session's CSRF token;
/// a 403 page otherwise.
async fn writer(
    state: &AppState,
    request: &Request,
    jar: &CookieJar,
    csrf_token: &str,
) -> Result<Login, Response> {
    if !same_origin(request.headers(), &state.settings.public_url) {
        tracing::warn!("a dashboard write from another origin was refused");
        return Err(forbidden("The request did not come from this dashboard."));
    }
    let login = signed_in(state, jar).await?;
    // Compared as hashes: the time taken tells nothing about the token.
    if hash_secret_key(csrf_token) != hash_secret_key(&login.csrf_token) {
        tracing::warn!("a dashboard write without its CSRF token was refused");
        return Err(forbidden(
            "The form is stale or forged (its CSRF token is missing or wrong). Reload the page.",
        ));
    }
    Ok(login)
}

fn forbidden(text: &str) -> Response {
    message(StatusCode::FORBIDDEN, "Refused", text)
}

fn failed(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "a dashboard page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server failed",
        "See the server's log.",
    )
}

/// `location` with a notice for the next page to show.
fn with_notice(location: &str, notice: &str) -> Response {
    see_other(&link(location, &[("notice", notice)]))
}

/// `path` with a query of `pairs`, encoded.
fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

#[derive(Deserialize, Default)]
struct Notice {
    notice: Option<String>,
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

// ---- login ----

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    error: Option<String>,
    hours: u64,
}

#[handler]
async fn login_page() -> Response {
    page(
        StatusCode::OK,
        &LoginPage {
            error: None,
            hours: LOGIN_TTL.as_secs() / 3600,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    secret_key: String,
}

#[handler]
async fn sign_in(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(request.headers(), &state.settings.public_url) {
        return forbidden("The request did not come from this dashboard.");
    }
    if !state.accepts_key(form.secret_key.trim()) {
        tracing::warn!("a dashboard login with a wrong secret key was refused");
        // The form again, with the error: a 200, as a page to fill in (a 4xx document is a
        // console error in browsers).
        return page(
            StatusCode::OK,
            &LoginPage {
                error: Some("That is not a secret key of this server.".into()),
                hours: LOGIN_TTL.as_secs() / 3600,
            },
        );
    }
    let login = match state.logins.start().await {
        Ok(login) => login,
        Err(error) => return failed(error),
    };
    let mut cookie = Cookie::new_with_str(COOKIE, login.cookie);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_secure(secure_cookies(&state.settings.public_url));
    cookie.set_path("/dashboard");
    cookie.set_max_age(LOGIN_TTL);
    jar.add(cookie);
    tracing::info!("dashboard login");
    see_other("/dashboard")
}

#[handler]
async fn sign_out(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let login = match writer(state, request, jar, &form.csrf_token).await {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    if let Err(error) = state.logins.end(&login.cookie).await {
        return failed(error);
    }
    let mut cookie = Cookie::named(COOKIE);
    cookie.set_path("/dashboard");
    jar.remove(cookie.name());
    see_other("/dashboard/login")
}

// ---- overview ----

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    frame: Frame,
    health: Health,
    error_rate: String,
    connectors: usize,
}

#[handler]
async fn overview(Data(state): Data<&Arc<AppState>>, jar: &CookieJar) -> Response {
    let login = match signed_in(state, jar).await {
        Ok(login) => login,
        Err(answer) => return answer,
    };
    let health = match state
        .call_log
        .health(Utc::now() - chrono::Duration::hours(1))
        .await
    {
        Ok(health) => health,
        Err(error) => return failed(error),
    };
    let error_rate = match health.calls {
        0 => "–".to_owned(),
        calls => format!("{:.1}%", 100.0 * health.failed_calls as f64 / calls as f64),
    };
    let frame = Frame::new("Overview", &login, None);
    page(
        StatusCode::OK,
        &OverviewPage {
            frame,
            health,
            error_rate,
            connectors: state.registry.entries().count(),
        },
    )
}

// ---- connectors ----

struct ConnectorRow {
    name: String,
    display_name: String,
    auth_kind: &'static str,
    categories: String,
    typed: bool,
    source: String,
}

#[derive(Template)]
#[template(path = "dashboard/connectors.html")]
struct ConnectorsPage {
    frame: Frame,
    q: String,
    auth_kind: String,
    category: String,
    auth_kinds: Vec<&'static str>,
    rows: Vec<ConnectorRow>,
    next: Option<String>,
}

impl ConnectorsPage {
    fn is_auth_kind(&self, kind: &str) -> bool {
        self.auth_kind == kind
    }
}

#[derive(Deserialize, Default)]
struct ConnectorQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    auth_kind: String,
    #[serde(default)]
    category: String,
    cursor: Option<String>,
}

#[handler]
async fn connectors(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Query(query): Query<ConnectorQuery>,
) -> Response {
    let login = match signed_in(state, jar).await {
        Ok(login) => login,
        Err(answer) => return answer,
    };
    let auth_kinds: Vec<&'static str> = connector_defs::AuthKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    let auth_kind = connector_defs::AuthKind::ALL
        .iter()
        .copied()
        .find(|kind| kind.as_str() == query.auth_kind);
    let search = Search {
        text: Some(query.q.clone()).filter(|text| !text.trim().is_empty()),
        auth_kind,
        category: Some(query.category.clone()).filter(|category| !category.trim().is_empty()),
    };
    let after = decode_cursor(query.cursor.as_deref()).ok().flatten();
    let mut rows: Vec<ConnectorRow> = state
        .registry
        .search(&search, after.as_deref())
        .take(PAGE as usize + 1)
        .map(|entry| ConnectorRow {
            name: entry.def.name.clone(),
            display_name: entry.def.display_name.clone().unwrap_or_default(),
            auth_kind: entry.def.auth.kind.as_str(),
            categories: entry.def.categories.join(", "),
            typed: entry.typed,
            source: entry.source.clone(),
        })
        .collect();
    let next = (rows.len() > PAGE as usize).then(|| {
        rows.truncate(PAGE as usize);
        let last = rows.last().map(|row| row.name.as_str()).unwrap_or_default();
        link(
            "/dashboard/connectors",
            &[
                ("q", &query.q),
                ("auth_kind", &query.auth_kind),
                ("category", &query.category),
                ("cursor", &encode_cursor(last)),
            ],
        )
    });
    let frame = Frame::new("Connectors", &login, None);
    page(
        StatusCode::OK,
        &ConnectorsPage {
            frame,
            q: query.q,
            auth_kind: query.auth_kind,
            category: query.category,
            auth_kinds,
            rows,
            next,
        },
    )
}

// ---- integrations ----

struct IntegrationRow {
    connector: String,
    client_id: String,
    base_url: String,
    has_webhook_secret: bool,
    updated_at: String,
}

#[derive(Default)]
struct IntegrationFormValues {
    connector: String,
    client_id: String,
    base_url: String,
}

#[derive(Template)]
#[template(path = "dashboard/integrations.html")]
struct IntegrationsPage {
    frame: Frame,
    rows: Vec<IntegrationRow>,
    editing: bool,
    form: IntegrationFormValues,
}

#[derive(Deserialize, Default)]
struct IntegrationQuery {
    connector: Option<String>,
    notice: Option<String>,
}

async fn integrations_page(
    state: &AppState,
    login: &Login,
    connector: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let stored = match state.integrations.list_stored().await {
        Ok(stored) => stored,
        Err(error) => return failed(error),
    };
    let mut rows = Vec::new();
    for (name, updated_at) in stored {
        if let Ok(Some(integration)) = state.integrations.get(&name).await {
            rows.push(IntegrationRow {
                connector: name,
                client_id: integration.client_id.clone(),
                base_url: integration.base_url.clone().unwrap_or_default(),
                has_webhook_secret: integration.webhook_secret.is_some(),
                updated_at: updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            });
        }
    }
    let mut form = IntegrationFormValues::default();
    let mut editing = false;
    if let Some(connector) = connector.filter(|name| !name.is_empty()) {
        if let Ok(Some(integration)) = state.integrations.get(&connector).await {
            editing = true;
            form.client_id = integration.client_id.clone();
            form.base_url = integration.base_url.clone().unwrap_or_default();
        }
        form.connector = connector;
    }
    let mut frame = Frame::new("Integrations", login, notice);
    frame.error = error;
    page(
        StatusCode::OK,
        &IntegrationsPage {
            frame,
            rows,
            editing,
            form,
        },
    )
}

#[handler]
async fn integrations(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Query(query): Query<IntegrationQuery>,
) -> Response {
    match signed_in(state, jar).await {
        Ok(login) => integrations_page(state, &login, query.connector, query.notice, None).await,
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
struct IntegrationForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    connector: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    base_url: String,
}

#[handler]
async fn save_integration(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Form(form): Form<IntegrationForm>,
) -> Response {
    let login = match writer(state, request, jar, &form.csrf_token).await {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    let connector = form.connector.trim().to_owned();
    // Secrets are never shown: left empty, the stored ones stay; the URLs kept are the
    // stored ones but for the base URL the form edits.
    let existing = state.integrations.get(&connector).await.ok().flatten();
    let keep = |given: String, stored: Option<String>| {
        Some(given)
            .filter(|value| !value.is_empty())
            .or(stored)
            .filter(|value| !value.is_empty())
    };
    let input = IntegrationInput {
        client_id: Some(form.client_id.trim().to_owned()).filter(|id| !id.is_empty()),
        client_secret: keep(
            form.client_secret,
            existing.as_ref().map(|stored| stored.client_secret.clone()),
        ),
        scopes: existing.as_ref().and_then(|stored| stored.scopes.clone()),
        base_url: Some(form.base_url.trim().to_owned()).filter(|url| !url.is_empty()),
        authorization_url: existing
            .as_ref()
            .and_then(|stored| stored.authorization_url.clone()),
        token_url: existing
            .as_ref()
            .and_then(|stored| stored.token_url.clone()),
        private_key: existing
            .as_ref()
            .and_then(|stored| stored.private_key.clone()),
        webhook_secret: keep(
            form.webhook_secret,
            existing
                .as_ref()
                .and_then(|stored| stored.webhook_secret.clone()),
        ),
    };
    match put_integration(state, &connector, input).await {
        Ok(()) => with_notice(
            "/dashboard/integrations",
            &format!("The integration of {connector} is saved."),
        ),
        Err(error) => {
            integrations_page(
                state,
                &login,
                Some(connector),
                None,
                Some(error.message().to_owned()),
            )
            .await
        }
    }
}

// ---- connections ----

struct ConnectionRow {
    id: String,
    connector: String,
    end_user_id: String,
    status: String,
    last_error: String,
    scopes: String,
    expires_at: String,
    reconnectable: bool,
}

#[derive(Template)]
#[template(path = "dashboard/connections.html")]
struct ConnectionsPage {
    frame: Frame,
    connector: String,
    end_user_id: String,
    rows: Vec<ConnectionRow>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct ConnectionQuery {
    #[serde(default)]
    connector: String,
    #[serde(default)]
    end_user_id: String,
    cursor: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[handler]
async fn connections(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Query(query): Query<ConnectionQuery>,
) -> Response {
    let login = match signed_in(state, jar).await {
        Ok(login) => login,
        Err(answer) => return answer,
    };
    let filter = ConnectionFilter {
        connector: Some(query.connector.clone()).filter(|value| !value.is_empty()),
        end_user_id: Some(query.end_user_id.clone()).filter(|value| !value.is_empty()),
        after: decode_cursor(query.cursor.as_deref()).ok().flatten(),
    };
    let mut models = match state.store.list(&filter, PAGE + 1).await {
        Ok(models) => models,
        Err(error) => return failed(error),
    };
    let next = (models.len() > PAGE as usize).then(|| {
        models.truncate(PAGE as usize);
        let last = models.last().map(|row| row.id.as_str()).unwrap_or_default();
        link(
            "/dashboard/connections",
            &[
                ("connector", &query.connector),
                ("end_user_id", &query.end_user_id),
                ("cursor", &encode_cursor(last)),
            ],
        )
    });
    let rows = models
        .into_iter()
        .map(|row| {
            let scopes: Vec<String> = serde_json::from_value(row.scopes).unwrap_or_default();
            ConnectionRow {
                reconnectable: state
                    .registry
                    .get(&row.connector)
                    .is_some_and(|entry| entry.def.auth.kind == connector_defs::AuthKind::Oauth2),
                id: row.id,
                connector: row.connector,
                end_user_id: row.end_user_id.unwrap_or_default(),
                status: row.status,
                last_error: row.last_error.unwrap_or_default(),
                scopes: scopes.join(" "),
                expires_at: row
                    .expires_at
                    .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut frame = Frame::new("Connections", &login, query.notice);
    frame.error = query.error;
    page(
        StatusCode::OK,
        &ConnectionsPage {
            frame,
            connector: query.connector,
            end_user_id: query.end_user_id,
            rows,
            next,
        },
    )
}

#[handler]
async fn remove_connection(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = writer(state, request, jar, &form.csrf_token).await {
        return refused;
    }
    match delete_connection(state, &id).await {
        Ok(()) => with_notice(
            "/dashboard/connections",
            &format!("Connection {id} is deleted."),
        ),
        Err(error) => with_error("/dashboard/connections", error.message()),
    }
}

fn with_error(location: &str, error: &str) -> Response {
    see_other(&link(location, &[("error", error)]))
}

/// Sends the operator through the provider's consent again for an OAuth connection (one in
/// `needs_reauth`, say); the callback comes back to this page.
#[handler]
async fn reconnect(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = writer(state, request, jar, &form.csrf_token).await {
        return refused;
    }
    let connection = match state.store.get(&id).await {
        Ok(connection) => connection,
        Err(error) => {
            return with_error(
                "/dashboard/connections",
                crate::error::ApiError::from(error).message(),
            );
        }
    };
    let config = serde_json::from_value(connection.connection_config).unwrap_or_default();
    let input = AuthorizeRequest {
        connector: connection.connector,
        connection_id: Some(connection.id),
        end_user_id: connection.end_user_id,
        scopes: None,
        connection_config: Some(config),
        redirect_url: Some(format!(
            "{}/dashboard/connections",
            state.settings.public_url.trim_end_matches('/')
        )),
    };
    match start_authorization(state, input, None).await {
        Ok(started) => see_other(&started.authorization_url),
        Err(error) => with_error("/dashboard/connections", error.message()),
    }
}

// ---- logs ----

struct LogRow {
    time: String,
    kind: &'static str,
    connection_id: String,
    connector: String,
    method: String,
    path: String,
    status: String,
    duration_ms: i64,
    attempts: i32,
    error: String,
}

#[derive(Deserialize, Default)]
struct LogQuery {
    #[serde(default)]
    connection_id: String,
    #[serde(default)]
    connector: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    failed: String,
    cursor: Option<String>,
}

struct LogFilterValues {
    connection_id: String,
    connector: String,
    kind: String,
    failed: bool,
}

#[derive(Template)]
#[template(path = "dashboard/logs.html")]
struct LogsPage {
    frame: Frame,
    filter: LogFilterValues,
    kinds: Vec<&'static str>,
    rows: Vec<LogRow>,
    next: Option<String>,
}

impl LogsPage {
    fn is_kind(&self, kind: &str) -> bool {
        self.filter.kind == kind
    }
}

#[handler]
async fn logs(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Query(query): Query<LogQuery>,
) -> Response {
    let login = match signed_in(state, jar).await {
        Ok(login) => login,
        Err(answer) => return answer,
    };
    let failed_only = query.failed == "true";
    let filter = LogFilter {
        connection_id: Some(query.connection_id.clone()).filter(|value| !value.is_empty()),
        connector: Some(query.connector.clone()).filter(|value| !value.is_empty()),
        kind: CallKind::parse(&query.kind),
        failed_only,
    };
    let before = decode_cursor(query.cursor.as_deref())
        .ok()
        .flatten()
        .and_then(|key| key.parse().ok());
    let (models, next_id) = match state.call_log.list(&filter, PAGE, before).await {
        Ok(page) => page,
        Err(error) => return failed(error),
    };
    let next = next_id.map(|id| {
        link(
            "/dashboard/logs",
            &[
                ("connection_id", &query.connection_id),
                ("connector", &query.connector),
                ("kind", &query.kind),
                ("failed", &query.failed),
                ("cursor", &encode_cursor(&id.to_string())),
            ],
        )
    });
    let rows = models
        .into_iter()
        .map(|row| LogRow {
            time: row.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            kind: CallKind::parse(&row.kind).map_or("?", CallKind::as_str),
            connection_id: row.connection_id.unwrap_or_default(),
            connector: row.connector.unwrap_or_default(),
            method: row.method,
            path: row.path,
            status: row
                .status
                .map(|status| status.to_string())
                .unwrap_or_default(),
            duration_ms: row.duration_ms,
            attempts: row.attempts,
            error: row.error.unwrap_or_default(),
        })
        .collect();
    let frame = Frame::new("Logs", &login, None);
    page(
        StatusCode::OK,
        &LogsPage {
            frame,
            filter: LogFilterValues {
                connection_id: query.connection_id,
                connector: query.connector,
                kind: query.kind,
                failed: failed_only,
            },
            kinds: crate::call_log::ALL_KINDS
                .iter()
                .map(|kind| kind.as_str())
                .collect(),
            rows,
            next,
        },
    )
}

// ---- webhooks ----

struct EndpointRow {
    id: String,
    url: String,
    events: String,
    created_at: String,
}

struct DeliveryRow {
    id: String,
    endpoint_id: String,
    kind: String,
    status: String,
    attempts: i32,
    last_status: String,
    last_error: String,
    next_attempt_at: String,
}

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    frame: Frame,
    new_secret: Option<String>,
    endpoints: Vec<EndpointRow>,
    deliveries: Vec<DeliveryRow>,
}

async fn webhooks_page(
    state: &AppState,
    login: &Login,
    notice: Option<String>,
    error: Option<String>,
    new_secret: Option<String>,
) -> Response {
    let endpoints = match state.subscriptions.list().await {
        Ok(endpoints) => endpoints,
        Err(error) => return failed(error),
    };
    let deliveries = match state
        .subscriptions
        .deliveries(&DeliveryFilter::default(), PAGE)
        .await
    {
        Ok(deliveries) => deliveries,
        Err(error) => return failed(error),
    };
    let when = |at: chrono::DateTime<Utc>| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let endpoints = endpoints
        .into_iter()
        .map(|endpoint| EndpointRow {
            events: serde_json::from_value::<Vec<String>>(endpoint.events)
                .unwrap_or_default()
                .join(", "),
            id: endpoint.id,
            url: endpoint.url,
            created_at: when(endpoint.created_at),
        })
        .collect();
    let deliveries = deliveries
        .into_iter()
        .map(|delivery| DeliveryRow {
            id: delivery.id,
            endpoint_id: delivery.endpoint_id,
            kind: delivery.r#type,
            status: delivery.status,
            attempts: delivery.attempts,
            last_status: delivery
                .last_status
                .map(|status| status.to_string())
                .unwrap_or_default(),
            last_error: delivery.last_error.unwrap_or_default(),
            next_attempt_at: delivery.next_attempt_at.map(when).unwrap_or_default(),
        })
        .collect();
    let mut frame = Frame::new("Webhooks", login, notice);
    frame.error = error;
    page(
        StatusCode::OK,
        &WebhooksPage {
            frame,
            new_secret,
            endpoints,
            deliveries,
        },
    )
}

#[handler]
async fn webhooks(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Query(query): Query<Notice>,
) -> Response {
    match signed_in(state, jar).await {
        Ok(login) => webhooks_page(state, &login, query.notice, None, None).await,
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
struct EndpointForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: String,
}

#[handler]
async fn add_endpoint(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Form(form): Form<EndpointForm>,
) -> Response {
    let login = match writer(state, request, jar, &form.csrf_token).await {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    let events: Vec<String> = form
        .events
        .split(',')
        .map(|event| event.trim().to_owned())
        .filter(|event| !event.is_empty())
        .collect();
    match create_endpoint(state, form.url.trim(), &events).await {
        // The secret is shown on this answer only, not through a redirect's URL.
        Ok(made) => {
            webhooks_page(
                state,
                &login,
                Some(format!("Endpoint {} is added.", made.row.id)),
                None,
                made.secret,
            )
            .await
        }
        Err(error) => {
            webhooks_page(state, &login, None, Some(error.message().to_owned()), None).await
        }
    }
}

#[handler]
async fn remove_endpoint(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = writer(state, request, jar, &form.csrf_token).await {
        return refused;
    }
    match state.subscriptions.delete(&id).await {
        Ok(true) => with_notice("/dashboard/webhooks", &format!("Endpoint {id} is deleted.")),
        Ok(false) => with_notice("/dashboard/webhooks", &format!("Endpoint {id} was gone.")),
        Err(error) => failed(error),
    }
}

#[handler]
async fn retry_delivery(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = writer(state, request, jar, &form.csrf_token).await {
        return refused;
    }
    match state.subscriptions.retry(&id).await {
        Ok(Some(_)) => with_notice(
            "/dashboard/webhooks",
            &format!("Delivery {id} is sent again."),
        ),
        Ok(None) => with_notice("/dashboard/webhooks", &format!("Delivery {id} is gone.")),
        Err(error) => failed(error),
    }
}
