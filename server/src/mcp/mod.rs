//! `/mcp`: the typed actions as Model Context Protocol tools, over the Streamable HTTP
//! transport of the official Rust SDK (`rmcp`), mounted in poem through its tower
//! compatibility.
//!
//! Before rmcp sees a request, [`admit`] checks the secret key (401 with
//! `WWW-Authenticate`), the `Origin`, and the scope in the query: `?connection_id=` (404 when
//! unknown) narrows the list to that connection's connector and takes `connection_id` out of
//! the inputs; `?tools=a,b` (400 for a name not in the list) narrows it further. rmcp checks
//! the `Host` against the allowed hosts. The server is stateless (JSON answers, no session):
//! any process serves any request.
//!
//! `tools/call` sends the arguments to `POST /v1/actions/{connector}/{endpoint}` in process,
//! through the same poem-openapi operation as the REST API: the same input checks, refresh,
//! retries, rate limits, call log and metrics.

mod tools;

use std::sync::{Arc, OnceLock};

use poem::endpoint::{BoxEndpoint, TowerCompatExt as _};
use poem::http::{HeaderMap, StatusCode, header};
use poem::{Endpoint, EndpointExt as _, IntoResponse as _, Request, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;

use self::tools::Catalog;
use crate::error::ApiError;
use crate::state::AppState;

/// What a request's query asked for, checked: set on the request for the handler.
#[derive(Debug, Clone, Default)]
struct Scope {
    /// The connection of `?connection_id=`, and its connector.
    connection: Option<(String, String)>,
    /// The names of `?tools=`.
    tools: Option<Vec<String>>,
}

/// The tools and the in-process route to the actions, made on first use (the document of
/// every typed connector is large: an idle server does not hold it).
struct Mcp {
    state: Arc<AppState>,
    made: OnceLock<Made>,
}

/// The tools, and the API service their document came from, which runs their calls.
struct Made {
    catalog: Catalog,
    actions: BoxEndpoint<'static>,
}

impl Mcp {
    fn made(&self) -> &Made {
        self.made.get_or_init(|| {
            let service = crate::api::service(self.state.clone());
            let document: Value =
                serde_json::from_str(&service.spec()).expect("poem-openapi writes JSON");
            Made {
                catalog: Catalog::from_document(&document),
                actions: service.boxed(),
            }
        })
    }

    fn catalog(&self) -> &Catalog {
        &self.made().catalog
    }

    fn actions(&self) -> &BoxEndpoint<'static> {
        &self.made().actions
    }

    /// The tools a scope lists.
    fn listed<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a tools::ActionTool> {
        let connector = scope
            .connection
            .as_ref()
            .map(|(_, connector)| connector.as_str());
        self.catalog().of(connector).filter(move |tool| {
            scope
                .tools
                .as_ref()
                .is_none_or(|names| names.contains(&tool.name))
        })
    }
}

/// `/mcp`: the gate, then rmcp's Streamable HTTP service.
pub fn endpoint(state: Arc<AppState>) -> impl Endpoint {
    let mcp = Arc::new(Mcp {
        state: state.clone(),
        made: OnceLock::new(),
    });
    let handler = mcp.clone();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed_hosts(&state.settings))
        .with_legacy_session_mode(false)
        .with_json_response(true);
    let service = StreamableHttpService::new(
        move || {
            Ok(Tools {
                mcp: handler.clone(),
            })
        },
        Arc::new(NeverSessionManager::default()),
        config,
    );
    // The gate: see the module's documentation.
    service.compat().around(move |inner, mut request: Request| {
        let mcp = mcp.clone();
        async move {
            match admit(&mcp, &request).await {
                Ok(scope) => {
                    request.extensions_mut().insert(scope);
                    Ok(inner.call(request).await?.into_response())
                }
                Err(refused) => Ok(refused),
            }
        }
    })
}

/// The `Host` values `/mcp` answers, against DNS rebinding: the machine's own names, the
/// public URL's host, and CONNECTOR_MCP_ALLOWED_HOSTS.
fn allowed_hosts(settings: &crate::state::Settings) -> Vec<String> {
    let public = url::Url::parse(&settings.public_url).ok().and_then(|url| {
        url.host_str()
            .map(|host| host.trim_matches(['[', ']']).to_owned())
    });
    ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(str::to_owned)
        .chain(public)
        .chain(settings.mcp_allowed_hosts.iter().cloned())
        .collect()
}

/// The checks made before rmcp's, and the request's scope; or the answer that refuses it.
async fn admit(mcp: &Mcp, request: &Request) -> Result<Scope, Response> {
    let state = &mcp.state;
    if let Err(refused) = crate::api::require_secret_key(state, request.headers()) {
        let mut response = refused.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("Bearer"),
        );
        return Err(response);
    }
    if !origin_allowed(request.headers(), state) {
        let mut response = ApiError::bad_request(
            "origin_not_allowed",
            "the request's Origin is not this server's, nor one of CONNECTOR_MCP_ALLOWED_ORIGINS",
        )
        .into_response();
        response.set_status(StatusCode::FORBIDDEN);
        return Err(response);
    }
    let mut scope = Scope::default();
    let query = request.uri().query().unwrap_or_default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "connection_id" => {
                let connection = state
                    .store
                    .get(&value)
                    .await
                    .map_err(|error| ApiError::from(error).into_response())?;
                scope.connection = Some((connection.id, connection.connector));
            }
            "tools" => {
                scope.tools = Some(
                    value
                        .split(',')
                        .map(|name| name.trim().to_owned())
                        .filter(|name| !name.is_empty())
                        .collect(),
                );
            }
            _ => {}
        }
    }
    if let Some(names) = &scope.tools {
        let connector = scope
            .connection
            .as_ref()
            .map(|(_, connector)| connector.as_str());
        let known: Vec<&str> = mcp
            .catalog()
            .of(connector)
            .map(|tool| tool.name.as_str())
            .collect();
        if let Some(unknown) = names.iter().find(|name| !known.contains(&name.as_str())) {
            let whose = connector.map_or_else(
                || "no typed action".to_owned(),
                |connector| format!("`{connector}` has no typed action"),
            );
            return Err(ApiError::bad_request(
                "unknown_tool",
                format!("tools: {whose} named `{unknown}`"),
            )
            .into_response());
        }
    }
    Ok(scope)
}

/// An `Origin`, when a browser sent one, must be this server's (public URL, or the host the
/// request was sent to) or one of CONNECTOR_MCP_ALLOWED_ORIGINS; agents send none.
fn origin_allowed(headers: &HeaderMap, state: &AppState) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return true;
    };
    state
        .settings
        .mcp_allowed_origins
        .iter()
        .any(|allowed| allowed.trim_end_matches('/') == origin)
        || crate::pages::same_origin(headers, &state.settings.public_url)
}

/// rmcp's handler: made for each request (stateless), over the shared [`Mcp`].
struct Tools {
    mcp: Arc<Mcp>,
}

fn scope_of(context: &RequestContext<RoleServer>) -> Scope {
    context
        .extensions
        .get::<poem::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Scope>())
        .cloned()
        .unwrap_or_default()
}

impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "connector-platform",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
            .with_instructions(
                "Typed actions on end users' accounts at third-party APIs. Each tool is `{connector}_{action}`; pass the `connection_id` of the account unless the URL names it.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let scope = scope_of(&context);
        let scoped = scope.connection.is_some();
        let tools = self
            .mcp
            .listed(&scope)
            .map(|tool| tool.tool(scoped))
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let scope = scope_of(&context);
        let Some(tool) = self
            .mcp
            .listed(&scope)
            .find(|tool| tool.name == request.name)
            .cloned()
        else {
            return Err(McpError::invalid_params(
                format!("no tool named `{}` here", request.name),
                None,
            ));
        };
        let mut arguments = request.arguments.unwrap_or_default();
        if let Some((connection_id, _)) = &scope.connection {
            arguments.insert("connection_id".into(), Value::String(connection_id.clone()));
        }
        let authorization = context
            .extensions
            .get::<poem::http::request::Parts>()
            .and_then(|parts| parts.headers.get(header::AUTHORIZATION).cloned());
        let (status, body) = self.run(&tool, authorization, &arguments).await;
        Ok(if status.is_success() {
            let content = tools::structured(body, tool.wraps_result);
            CallToolResult::structured(content).into()
        } else {
            CallToolResult::error(vec![ContentBlock::text(failure(&tool, status, &body))]).into()
        })
    }
}

impl Tools {
    /// `POST /v1/actions/{connector}/{endpoint}` in process: its status and JSON answer.
    async fn run(
        &self,
        tool: &tools::ActionTool,
        authorization: Option<poem::http::HeaderValue>,
        arguments: &serde_json::Map<String, Value>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder()
            .method(poem::http::Method::POST)
            .uri_str(format!("/v1/actions/{}/{}", tool.connector, tool.endpoint))
            .content_type("application/json");
        if let Some(authorization) = authorization {
            builder = builder.header(header::AUTHORIZATION, authorization);
        }
        let request = builder.body(serde_json::to_vec(arguments).unwrap_or_default());
        let response = self.mcp.actions().get_response(request).await;
        let status = response.status();
        let body = response.into_body().into_bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, body)
    }
}

/// A failed action, for the agent: the error's message, with the provider's status when the
/// provider refused (`404 Not Found`).
fn failure(tool: &tools::ActionTool, status: StatusCode, body: &Value) -> String {
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or("the action failed");
    let code = error["code"].as_str().unwrap_or("error");
    match error["details"]["status"]
        .as_u64()
        .and_then(|status| StatusCode::from_u16(u16::try_from(status).ok()?).ok())
    {
        Some(provider) => format!("{} answered {provider}: {message} ({code})", tool.connector),
        None => format!("{message} ({code}, HTTP {status})"),
    }
}
