//! The OAuth 2.0 authorization-code flow: `POST /v1/oauth/authorize` starts it, the
//! provider sends the user back to `GET /oauth/callback`, which exchanges the code (with the
//! PKCE verifier) and stores the tokens.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use connector_defs::AuthKind;
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::param::{Cookie, Query};
use poem_openapi::payload::{Html, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use sea_orm::ActiveValue::Set;
use serde_json::json;

use super::{Tag, check_connection_config, check_connection_id, check_url};
use crate::api::connections::new_connection_id;
use crate::crypto::hash_secret_key;
use crate::db::entities::{connection, oauth_session};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, SharedState};
use crate::store::{Secret, StoreError, config_pairs, status, with_kept_config};

#[derive(Debug, Clone, Object)]
pub struct AuthorizeRequest {
    pub connector: String,
    /// The connection to create, or to re-authorize (one in `needs_reauth`); generated when
    /// absent.
    pub connection_id: Option<String>,
    pub end_user_id: Option<String>,
    /// Replaces the integration's (or the definition's) scopes.
    pub scopes: Option<Vec<String>>,
    /// Values of the connector's `connection_config` fields; each must match the field's
    /// `pattern` (`GET /v1/connectors/{name}`), else 400 `invalid_input`.
    pub connection_config: Option<BTreeMap<String, String>>,
    /// Where the callback sends the user afterwards, with `connection_id` and `status`
    /// (`active` or `error`, then with `error`) in the query; without it the callback shows
    /// a small page.
    pub redirect_url: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct AuthorizeResponse {
    /// Send the user here.
    pub authorization_url: String,
    pub state: String,
    pub connection_id: String,
    /// The authorization must complete before this.
    pub expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum CallbackResponse {
    /// Back to the `redirect_url` given to authorize.
    #[oai(status = 302)]
    Redirect(#[oai(header = "Location")] String),
    /// The connection is ready (no redirect_url was given).
    #[oai(status = 200)]
    Done(Html<String>),
    /// The state is unknown, used or expired, or the provider refused.
    #[oai(status = 400)]
    Failed(Html<String>),
}

pub struct OAuthApi(pub SharedState);

#[OpenApi(tag = "Tag::Oauth")]
impl OAuthApi {
    /// Starts an authorization: the provider URL to send the user to, with a single-use state
    /// (valid 10 minutes) and a PKCE S256 challenge.
    #[oai(
        path = "/v1/oauth/authorize",
        method = "post",
        operation_id = "authorize"
    )]
    async fn authorize(
        &self,
        _key: SecretKey,
        input: StrictJson<AuthorizeRequest>,
    ) -> ApiResult<Json<AuthorizeResponse>> {
        let StrictJson(input) = input;
        start_authorization(&self.0, input, None).await.map(Json)
    }

    /// Where the provider sends the user back. Public: the single-use `state` authenticates it.
    #[oai(
        path = "/oauth/callback",
        method = "get",
        operation_id = "oauth_callback"
    )]
    async fn callback(
        &self,
        code: Query<Option<String>>,
        state: Query<Option<String>>,
        error: Query<Option<String>>,
        error_description: Query<Option<String>>,
        /// Set by the hosted connect page: an authorization it started completes in the
        /// same browser only.
        connect_browser: Cookie<Option<String>>,
    ) -> poem_openapi::payload::Response<CallbackResponse> {
        let outcome = callback_outcome(
            &self.0,
            Callback {
                code: code.0,
                state: state.0,
                error: error.0,
                error_description: error_description.0,
                browser: connect_browser.0,
            },
        )
        .await;
        with_page_headers(outcome)
    }
}

/// What the provider (and the browser) sent to the callback.
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// The connect page's browser cookie.
    browser: Option<String>,
}

/// Starts an authorization (`POST /v1/oauth/authorize`, the dashboard's reconnect, the
/// connect page); with `browser_hash`, its callback must come to that browser.
pub async fn start_authorization(
    state: &AppState,
    input: AuthorizeRequest,
    browser_hash: Option<String>,
) -> ApiResult<AuthorizeResponse> {
    {
        let entry = state.connector(&input.connector)?;
        if entry.def.auth.kind != AuthKind::Oauth2 {
            return Err(ApiError::bad_request(
                "not_oauth2",
                format!(
                    "connector `{}` uses `{}` auth; create its connections with POST /v1/connections",
                    entry.def.name,
                    entry.def.auth.kind.as_str()
                ),
            ));
        }
        let connection_id = match &input.connection_id {
            Some(id) => {
                let id = check_connection_id(id)?;
                match state.store.get(id).await {
                    Ok(existing) if existing.connector != entry.def.name => {
                        return Err(StoreError::Taken(id.to_owned()).into());
                    }
                    Ok(_) | Err(StoreError::NotFound(_)) => {}
                    Err(error) => return Err(error.into()),
                }
                id.to_owned()
            }
            None => new_connection_id(),
        };
        let config = check_connection_config(
            &entry.def,
            input.connection_config.clone().unwrap_or_default(),
        )?;
        if let Some(url) = &input.redirect_url {
            check_url("redirect_url", url)?;
        }
        let (app, _) = state.integrations.oauth_app(entry, config.clone()).await?;
        let request = app
            .authorization_request(input.scopes.as_deref())
            .map_err(|error| ApiError::bad_request("integration_invalid", error.to_string()))?;
        let now = Utc::now();
        let expires_at =
            now + chrono::Duration::from_std(state.settings.oauth_session_ttl).unwrap_or_default();
        let scopes = input.scopes.clone().unwrap_or_default();
        state
            .sessions
            .insert(oauth_session::ActiveModel {
                state_hash: Set(hash_secret_key(&request.state)),
                connector: Set(entry.def.name.clone()),
                connection_id: Set(connection_id.clone()),
                end_user_id: Set(input.end_user_id.clone()),
                scopes: Set(json!(scopes)),
                connection_config: Set(json!(config)),
                redirect_url: Set(input.redirect_url.clone()),
                pkce_verifier: Set(request.pkce_verifier.as_ref().map(|verifier| {
                    state
                        .cipher
                        .seal(verifier.as_bytes(), &session_aad(&request.state))
                })),
                expires_at: Set(expires_at),
                created_at: Set(now),
                browser_hash: Set(browser_hash),
            })
            .await?;
        Ok(AuthorizeResponse {
            authorization_url: request.url,
            state: request.state,
            connection_id,
            expires_at,
        })
    }
}

/// The URL carries the code and state: the page is not cached, framed or referred to, and
/// runs nothing.
fn with_page_headers(
    outcome: CallbackResponse,
) -> poem_openapi::payload::Response<CallbackResponse> {
    poem_openapi::payload::Response::new(outcome)
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        )
        .header("X-Frame-Options", "DENY")
        .header("Cache-Control", "no-store")
        .header("Referrer-Policy", "no-referrer")
        .header("X-Content-Type-Options", "nosniff")
}

async fn callback_outcome(app: &AppState, callback: Callback) -> CallbackResponse {
    let Callback {
        code,
        state,
        error,
        error_description,
        browser,
    } = callback;
    let Some(state_value) = state.filter(|state| !state.is_empty()) else {
        return page_failed("The request has no state.");
    };
    // Taking the session deletes it, so a state works once; a second use finds nothing.
    let state_hash = hash_secret_key(&state_value);
    let session = match app.sessions.take(&state_hash).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return page_failed(
                "This authorization link is unknown or was already used. Start again.",
            );
        }
        Err(_) => return page_failed("The server failed; see its log."),
    };
    if let Some(expected) = &session.browser_hash
        && browser.as_deref().map(hash_secret_key).as_ref() != Some(expected)
    {
        tracing::warn!(connection = %session.connection_id, "an authorization came back to another browser than the one that started it");
        return finish(
            &session,
            Err("this authorization was started in another browser; open the connect link in this browser and start again".into()),
        );
    }
    if session.expires_at < Utc::now() {
        return finish(
            &session,
            Err("the authorization expired; start again".into()),
        );
    }
    if let Some(error) = error {
        let description = error_description
            .map(|text| format!(": {text}"))
            .unwrap_or_default();
        return finish(
            &session,
            Err(format!("the provider answered `{error}`{description}")),
        );
    }
    let Some(code) = code else {
        return finish(&session, Err("the provider sent no code".into()));
    };
    let result = complete(app, &session, &state_value, &code).await;
    finish(&session, result)
}

/// Exchanges the code and stores the connection; the error is for the user's eyes.
async fn complete(
    state: &AppState,
    session: &oauth_session::Model,
    state_value: &str,
    code: &str,
) -> Result<(), String> {
    let entry = state
        .connector(&session.connector)
        .map_err(|_| "the connector is no longer loaded".to_owned())?;
    let (app, integration) = state
        .integrations
        .oauth_app(entry, config_pairs(&session.connection_config))
        .await
        .map_err(|error| ApiError::from(error).message().to_owned())?;
    let verifier = match &session.pkce_verifier {
        Some(sealed) => Some(
            state
                .cipher
                .open(sealed, &session_aad(state_value))
                .map_err(|error| {
                    tracing::error!(%error, "cannot open a PKCE verifier");
                    "the server failed; see its log".to_owned()
                })
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())?,
        ),
        None => None,
    };
    let tokens = app
        .exchange_code(code, verifier.as_deref())
        .await
        .map_err(|error| format!("the code exchange failed: {error}"))?;
    let id = &session.connection_id;
    let secret = Secret::Oauth2 {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        token_type: tokens.token_type.clone(),
        client: None,
    };
    let granted = tokens.scopes.clone().unwrap_or_else(|| {
        let asked: Vec<String> = serde_json::from_value(session.scopes.clone()).unwrap_or_default();
        match (asked.is_empty(), &integration.scopes) {
            (false, _) => asked,
            (true, Some(configured)) => configured.clone(),
            (true, None) => entry.def.auth.scopes.clone(),
        }
    });
    let now = Utc::now();
    let row = connection::Model {
        id: id.clone(),
        connector: session.connector.clone(),
        end_user_id: session.end_user_id.clone(),
        status: status::ACTIVE.into(),
        scopes: json!(granted),
        expires_at: tokens.expires_at.map(DateTime::<Utc>::from),
        metadata: json!({}),
        connection_config: with_kept_config(&session.connection_config, &tokens.connection_config),
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    match state.store.save_authorization(row, &secret).await {
        Ok(()) => {}
        Err(StoreError::Taken(_)) => {
            return Err(format!("connection id `{id}` was taken meanwhile"));
        }
        Err(error) => {
            tracing::error!(%error, "cannot store a connection");
            return Err("the server failed; see its log".to_owned());
        }
    }
    state.forget_connection(id);
    tracing::info!(connection = %id, connector = %session.connector, "authorization completed");
    Ok(())
}

/// Binds a sealed PKCE verifier to its state.
fn session_aad(state: &str) -> String {
    format!("oauth_session:{}", hash_secret_key(state))
}

fn finish(session: &oauth_session::Model, result: Result<(), String>) -> CallbackResponse {
    if let Some(redirect) = &session.redirect_url
        && let Ok(mut url) = url::Url::parse(redirect)
    {
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("connection_id", &session.connection_id);
            match &result {
                Ok(()) => query.append_pair("status", "active"),
                Err(error) => query
                    .append_pair("status", "error")
                    .append_pair("error", error),
            };
        }
        return CallbackResponse::Redirect(url.into());
    }
    match result {
        Ok(()) => CallbackResponse::Done(Html(page(
            "Connected",
            &format!(
                "Connection <code>{}</code> is ready. You can close this window.",
                html_escape::encode_text(&session.connection_id)
            ),
        ))),
        Err(error) => page_failed(&error),
    }
}

fn page_failed(message: &str) -> CallbackResponse {
    CallbackResponse::Failed(Html(page(
        "Authorization failed",
        &html_escape::encode_text(message),
    )))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{body}</p></body></html>"
    )
}
