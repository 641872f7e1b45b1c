//! The `connector` server: REST API (poem + poem-openapi), persistence (sea-orm), OAuth 2.0
//! flows, token refresh, the authenticated proxy and the typed actions of the compiled
//! connectors.

pub mod api;
pub mod app;
pub mod cache;
pub mod call_log;
pub mod calls;
pub mod changes;
pub mod connect_sessions;
pub mod crypto;
pub mod db;
pub mod deliveries;
pub mod error;
pub mod events;
pub mod inbound;
pub mod integrations;
pub mod listen;
pub mod logins;
pub mod mcp;
pub mod monitoring;
pub mod new_definition;
pub mod pages;
pub mod proxy;
pub mod refresh;
pub mod registry;
pub mod sessions;
pub mod start;
pub mod state;
pub mod store;
pub mod subscriptions;

pub use start::{Config, Started, start};
