//! `POST /v1/connections/{id}/request`: one provider request through a connection, as JSON —
//! what the proxy does, for clients that prefer one JSON call.

use std::collections::BTreeMap;

use connector_runtime::RawRequest;
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use serde_json::Value;

use super::Tag;
use crate::call_log::CallKind;
use crate::calls::{self, CallSummary};
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HttpMethod {
    #[oai(rename = "GET")]
    Get,
    #[oai(rename = "POST")]
    Post,
    #[oai(rename = "PUT")]
    Put,
    #[oai(rename = "PATCH")]
    Patch,
    #[oai(rename = "DELETE")]
    Delete,
    #[oai(rename = "HEAD")]
    Head,
}

impl From<HttpMethod> for reqwest::Method {
    fn from(method: HttpMethod) -> reqwest::Method {
        match method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
            HttpMethod::Head => reqwest::Method::HEAD,
        }
    }
}

/// A provider request through a connection, as JSON: what the proxy does, for clients that
/// prefer one JSON call.
#[derive(Debug, Clone, Object)]
pub struct EnvelopeRequest {
    pub method: HttpMethod,
    /// Appended to the connector's base URL; starts with `/`.
    pub path: String,
    pub query: Option<BTreeMap<String, String>>,
    pub headers: Option<BTreeMap<String, String>>,
    /// Sent as JSON, or as it is when a string goes with a non-JSON `Content-Type`.
    pub body: Option<Value>,
}

/// The provider's answer, whatever its status.
#[derive(Debug, Clone, Object)]
pub struct EnvelopeResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    /// JSON when the provider answered JSON, else the body as text.
    pub body: Value,
}

pub struct EnvelopeApi(pub SharedState);

#[OpenApi(tag = "Tag::Connections")]
impl EnvelopeApi {
    /// Sends one request to the provider with the connection's credential, as JSON.
    #[oai(
        path = "/v1/connections/:id/request",
        method = "post",
        operation_id = "connection_request"
    )]
    async fn request(
        &self,
        _key: SecretKey,
        id: Path<String>,
        input: StrictJson<EnvelopeRequest>,
    ) -> ApiResult<Json<EnvelopeResponse>> {
        let StrictJson(input) = input;
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in input.headers.iter().flatten() {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ApiError::bad_request("invalid_input", format!("`{name}` is not a header name"))
            })?;
            let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                ApiError::bad_request(
                    "invalid_input",
                    format!("the value of header `{name}` is not valid"),
                )
            })?;
            headers.insert(name, value);
        }
        let body = match input.body {
            None | Some(Value::Null) => None,
            Some(Value::String(text))
                if headers.get("content-type").is_some_and(|ct| !is_json(ct)) =>
            {
                Some(text.into_bytes())
            }
            Some(value) => {
                headers.entry(reqwest::header::CONTENT_TYPE).or_insert(
                    reqwest::header::HeaderValue::from_static("application/json"),
                );
                Some(serde_json::to_vec(&value).expect("JSON serialises"))
            }
        };
        let request = RawRequest {
            method: input.method.into(),
            path: input.path,
            query: input.query.unwrap_or_default().into_iter().collect(),
            headers,
            body: body.map(Into::into),
        };
        let summary = CallSummary {
            kind: CallKind::Proxy,
            method: request.method.as_str(),
            path: &request.path,
        };
        let response = calls::with_connection(&self.0, &id, None, true, summary, |client| {
            let request = request.clone();
            async move { client.send(request).await }
        })
        .await?;
        let body = serde_json::from_slice(&response.body)
            .unwrap_or_else(|_| Value::String(response.text()));
        Ok(Json(EnvelopeResponse {
            status: response.status,
            headers: response
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body,
        }))
    }
}

fn is_json(content_type: &reqwest::header::HeaderValue) -> bool {
    content_type.to_str().is_ok_and(|ct| ct.contains("json"))
}
