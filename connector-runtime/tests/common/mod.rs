//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use connector_runtime::{Auth, ConnectorDef, RawClient};
use wiremock::MockServer;

/// Parses and validates an inline definition.
pub fn def(yaml: &str) -> Arc<ConnectorDef> {
    match connector_defs::parse(yaml, "test.yaml") {
        Ok(def) => Arc::new(def),
        Err(error) => panic!("invalid test definition:\n{error}"),
    }
}

/// A client for `yaml` pointed at `server`.
pub fn client(yaml: &str, auth: Auth, server: &MockServer) -> RawClient {
    RawClient::new(def(yaml), auth).with_base_url(server.uri())
}

/// A JSON object from a `json!` literal.
pub fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}
