//! The server over real HTTP, against in-process mock providers (wiremock). One binary, one
//! module per feature. Runs on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set (each
//! test then gets a database of its own).

mod common;

mod actions;
mod auth;
mod catalog;
mod connect;
mod connections;
mod credentials;
mod jwt;
mod logs;
mod metrics;
mod oauth_flow;
mod proxy;
mod refresh;
mod registry;
mod shared_schemas;
mod spec;
mod strict_input;
mod two_processes;
mod webhooks_in;
mod webhooks_out;
mod wire;
