//! `/connect/{token}`: the hosted connect page, where one end user of a platform user's app
//! picks a connector and connects their account. The first browser to open the link is bound
//! to it by a cookie of its own (`connect_browser`); only that browser may post its forms, and
//! an authorization started here must come back to it (`api::oauth`), so a forwarded link, or
//! a forwarded provider consent link, cannot attach someone else's account.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use connector_defs::AuthKind;
use poem::http::StatusCode;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Form, Path, Query};
use poem::{Endpoint, Request, Response, Route, get, handler};
use serde::Deserialize;

use super::{message, page, same_origin, secure_cookies, see_other};
use crate::api::connections::{CreateConnection, create_connection};
use crate::api::oauth::{AuthorizeRequest, start_authorization};
use crate::connect_sessions::{CONNECT_TTL, allows};
use crate::crypto::{hash_secret_key, random_token};
use crate::db::entities::connect_session;
use crate::registry::{Entry, Search};
use crate::state::AppState;

/// The browser's own random id; the callback reads it too, so its path is `/`, and it is Lax
/// so that the provider's redirect back (a top-level navigation) carries it.
pub const BROWSER_COOKIE: &str = "connect_browser";
/// Connectors listed at once when the session allows them all.
const CHOICES: usize = 60;

pub fn routes() -> impl Endpoint {
    Route::new()
        .at("/:token", get(pick))
        .at("/:token/:connector", get(form).post(connect))
}

/// The session of the link, bound to this browser, or the page to show instead.
async fn session_of(
    state: &AppState,
    jar: &CookieJar,
    token: &str,
) -> Result<(connect_session::Model, String), Response> {
    let session = match state.connect_sessions.find(token).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return Err(message(
                StatusCode::NOT_FOUND,
                "This link has expired",
                "Connect links work for a short while. Go back to the application that sent you here and start again.",
            ));
        }
        Err(error) => return Err(failed(error)),
    };
    let browser = match jar.get(BROWSER_COOKIE) {
        Some(cookie) => cookie.value_str().to_owned(),
        None => {
            let browser = random_token(24);
            let mut cookie = Cookie::new_with_str(BROWSER_COOKIE, &browser);
            cookie.set_http_only(true);
            cookie.set_same_site(SameSite::Lax);
            cookie.set_secure(secure_cookies(&state.settings.public_url));
            cookie.set_path("/");
            cookie.set_max_age(CONNECT_TTL);
            jar.add(cookie);
            browser
        }
    };
    let browser_hash = hash_secret_key(&browser);
    match state.connect_sessions.bind(&session, &browser_hash).await {
        Ok(true) => Ok((session, browser_hash)),
        Ok(false) => Err(message(
            StatusCode::FORBIDDEN,
            "This link was opened in another browser",
            "A connect link works in the browser that opened it first. Ask the application that sent you here for a new one.",
        )),
        Err(error) => Err(failed(error)),
    }
}

fn failed(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "a connect page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Try again in a moment.",
    )
}

fn display_name(entry: &Entry) -> String {
    entry
        .def
        .display_name
        .clone()
        .unwrap_or_else(|| entry.def.name.clone())
}

// ---- picking a connector ----

struct Choice {
    name: String,
    display_name: String,
}

#[derive(Template)]
#[template(path = "connect/pick.html")]
struct PickPage {
    error: Option<String>,
    base: String,
    q: String,
    searchable: bool,
    choices: Vec<Choice>,
}

#[derive(Deserialize, Default)]
struct PickQuery {
    #[serde(default)]
    q: String,
}

#[handler]
async fn pick(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path(token): Path<String>,
    Query(query): Query<PickQuery>,
) -> Response {
    let (session, _) = match session_of(state, jar, &token).await {
        Ok(bound) => bound,
        Err(answer) => return answer,
    };
    let choice = |entry: &Entry| Choice {
        name: entry.def.name.clone(),
        display_name: display_name(entry),
    };
    let searchable = session.allowed_connectors.is_none();
    let choices = match &session.allowed_connectors {
        Some(_) => state
            .registry
            .entries()
            .filter(|entry| allows(&session, &entry.def.name))
            .map(choice)
            .collect(),
        None => {
            let search = Search {
                text: Some(query.q.clone()).filter(|text| !text.trim().is_empty()),
                ..Search::default()
            };
            state
                .registry
                .search(&search, None)
                .take(CHOICES)
                .map(choice)
                .collect()
        }
    };
    page(
        StatusCode::OK,
        &PickPage {
            error: None,
            base: format!("/connect/{token}"),
            q: query.q,
            searchable,
            choices,
        },
    )
}

// ---- one connector's form ----

struct Field {
    name: String,
    label: String,
    value: String,
    required: bool,
    secret: bool,
}

#[derive(Template)]
#[template(path = "connect/form.html")]
struct FormPage {
    error: Option<String>,
    display_name: String,
    action: String,
    back: String,
    supported: bool,
    oauth: bool,
    config_fields: Vec<Field>,
    credential_fields: Vec<Field>,
}

/// How an end user connects a connector here: OAuth, or credentials typed in.
fn supported(kind: AuthKind) -> bool {
    matches!(
        kind,
        AuthKind::Oauth2 | AuthKind::ApiKey | AuthKind::Basic | AuthKind::Bearer
    )
}

/// A field's label from its name: `api_key` → "API key".
fn label(name: &str) -> String {
    let words: Vec<String> = name
        .split('_')
        .enumerate()
        .map(|(index, word)| match word {
            "api" | "id" | "url" => word.to_uppercase(),
            _ if index == 0 => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
            _ => word.to_owned(),
        })
        .collect();
    words.join(" ")
}

fn form_page(
    entry: &Entry,
    token: &str,
    given: &BTreeMap<String, String>,
    error: Option<String>,
) -> FormPage {
    let def = &entry.def;
    let oauth = def.auth.kind == AuthKind::Oauth2;
    let config_fields = def
        .connection_config
        .iter()
        .filter(|(name, _)| !def.auth.keeps_from_token_response(name))
        .map(|(name, field)| Field {
            name: name.clone(),
            label: field.description.clone().unwrap_or_else(|| label(name)),
            value: given
                .get(&format!("config.{name}"))
                .cloned()
                .or_else(|| field.default.clone())
                .unwrap_or_default(),
            required: field.required && field.default.is_none(),
            secret: false,
        })
        .collect();
    let credential_fields = if oauth {
        Vec::new()
    } else {
        def.auth
            .credential_fields()
            .into_iter()
            .map(|name| Field {
                name: name.to_owned(),
                label: label(name),
                value: String::new(),
                // A basic password may be empty (an API key sent as the username).
                required: !(def.auth.kind == AuthKind::Basic && name == "password"),
                secret: !matches!(name, "username" | "email"),
            })
            .collect()
    };
    FormPage {
        error,
        display_name: display_name(entry),
        action: format!("/connect/{token}/{}", def.name),
        back: format!("/connect/{token}"),
        supported: supported(def.auth.kind),
        oauth,
        config_fields,
        credential_fields,
    }
}

/// The connector of the path, when the session allows it.
fn allowed_entry<'a>(
    state: &'a AppState,
    session: &connect_session::Model,
    connector: &str,
) -> Option<&'a Entry> {
    state
        .registry
        .get(connector)
        .filter(|_| allows(session, connector))
}

fn not_available() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not available",
        "This connector cannot be connected with this link.",
    )
}

#[handler]
async fn form(
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path((token, connector)): Path<(String, String)>,
) -> Response {
    let (session, _) = match session_of(state, jar, &token).await {
        Ok(bound) => bound,
        Err(answer) => return answer,
    };
    match allowed_entry(state, &session, &connector) {
        Some(entry) => page(
            StatusCode::OK,
            &form_page(entry, &token, &BTreeMap::new(), None),
        ),
        None => not_available(),
    }
}

#[derive(Template)]
#[template(path = "connect/done.html")]
struct DonePage {
    error: Option<String>,
    display_name: String,
    connection_id: String,
}

/// Connects: credentials are checked with the provider and stored; OAuth goes to the
/// provider's consent with the state bound to this browser.
#[handler]
async fn connect(
    request: &Request,
    Data(state): Data<&Arc<AppState>>,
    jar: &CookieJar,
    Path((token, connector)): Path<(String, String)>,
    Form(given): Form<BTreeMap<String, String>>,
) -> Response {
    if !same_origin(request.headers(), &state.settings.public_url) {
        tracing::warn!("a connect form from another origin was refused");
        return message(
            StatusCode::FORBIDDEN,
            "Refused",
            "The request did not come from this page.",
        );
    }
    // A browser without the link's cookie is refused here: it did not open the link first.
    if jar.get(BROWSER_COOKIE).is_none() {
        return message(
            StatusCode::FORBIDDEN,
            "Refused",
            "Open the connect link in this browser first.",
        );
    }
    let (session, browser_hash) = match session_of(state, jar, &token).await {
        Ok(bound) => bound,
        Err(answer) => return answer,
    };
    let Some(entry) = allowed_entry(state, &session, &connector) else {
        return not_available();
    };
    if !supported(entry.def.auth.kind) {
        return page(
            StatusCode::BAD_REQUEST,
            &form_page(entry, &token, &given, None),
        );
    }
    let config: BTreeMap<String, String> = given
        .iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("config.")?;
            (!value.trim().is_empty()).then(|| (name.to_owned(), value.trim().to_owned()))
        })
        .collect();
    if entry.def.auth.kind == AuthKind::Oauth2 {
        let input = AuthorizeRequest {
            connector: entry.def.name.clone(),
            connection_id: None,
            end_user_id: Some(session.end_user_id.clone()),
            scopes: None,
            connection_config: Some(config),
            redirect_url: session.redirect_url.clone(),
        };
        return match start_authorization(state, input, Some(browser_hash)).await {
            Ok(started) => see_other(&started.authorization_url),
            Err(error) => page(
                StatusCode::OK,
                &form_page(entry, &token, &given, Some(error.message().to_owned())),
            ),
        };
    }
    let credentials = given
        .iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("credential.")?;
            Some((name.to_owned(), Some(value.clone())))
        })
        .collect();
    let input = CreateConnection {
        connector: entry.def.name.clone(),
        connection_id: None,
        end_user_id: Some(session.end_user_id.clone()),
        metadata: None,
        connection_config: Some(config),
        scopes: None,
        credentials: Some(credentials),
    };
    match create_connection(state, input).await {
        Ok(connection) => {
            tracing::info!(connection = %connection.id, connector = %connection.connector, "connected through the connect page");
            match session
                .redirect_url
                .as_deref()
                .and_then(|url| url::Url::parse(url).ok())
            {
                Some(mut url) => {
                    url.query_pairs_mut()
                        .append_pair("connection_id", &connection.id)
                        .append_pair("status", "active");
                    see_other(url.as_str())
                }
                None => page(
                    StatusCode::OK,
                    &DonePage {
                        error: None,
                        display_name: display_name(entry),
                        connection_id: connection.id,
                    },
                ),
            }
        }
        // The form again, with the error (a 200: a 4xx document is a console error).
        Err(error) => page(
            StatusCode::OK,
            &form_page(entry, &token, &given, Some(error.message().to_owned())),
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_read_as_words() {
        assert_eq!(super::label("api_key"), "API key");
        assert_eq!(super::label("client_id"), "Client ID");
        assert_eq!(super::label("subdomain"), "Subdomain");
    }
}
