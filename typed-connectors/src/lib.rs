//! The typed built-in connectors: one `connector!` module per definition of
//! `connector-defs/connectors/`, the list of their definitions ([`TYPED`]) and their poem-openapi
//! `Api`s ([`TypedApis`], [`typed_apis`]), written from one list.
//!
//! A crate of their own, apart from the server, because they are most of the server's code by
//! volume: cargo compiles them while the server's own code is type-checked (pipelining), and
//! an edit to the server does not recompile sixteen connectors' generated types.

use connector_runtime::ConnectorDef;

/// The typed built-ins: each definition's `connector!` module, the list of their definitions
/// ([`TYPED`]) and their `Api`s ([`TypedApis`], [`typed_apis`]), written from one list.
macro_rules! typed_connectors {
    ($($module:ident => $path:literal,)*) => {
        $(connector_runtime::connector!($path);)*

        /// The compiled connectors, whose `Api`s the server mounts.
        pub const TYPED: &[fn() -> &'static ConnectorDef] = &[$($module::definition,)*];

        /// The typed actions of every built-in (poem-openapi takes tuples of up to 16 `Api`s).
        pub type TypedApis = ($($module::Api,)*);

        /// The `Api`s, running their calls through `actions`.
        pub fn typed_apis(actions: connector_runtime::openapi::Actions) -> TypedApis {
            ($($module::Api::new(actions.clone()),)*)
        }
    };
}

typed_connectors! {
    gmail => "../connector-defs/connectors/gmail.yaml",
    onedrive => "../connector-defs/connectors/onedrive.yaml",
    dropbox => "../connector-defs/connectors/dropbox.yaml",
    github => "../connector-defs/connectors/github.yaml",
    slack => "../connector-defs/connectors/slack.yaml",
    google_calendar => "../connector-defs/connectors/google_calendar.yaml",
    google_drive => "../connector-defs/connectors/google_drive.yaml",
    google_sheets => "../connector-defs/connectors/google_sheets.yaml",
    notion => "../connector-defs/connectors/notion.yaml",
    hubspot => "../connector-defs/connectors/hubspot.yaml",
    salesforce => "../connector-defs/connectors/salesforce.yaml",
    jira => "../connector-defs/connectors/jira.yaml",
    stripe => "../connector-defs/connectors/stripe.yaml",
    zendesk => "../connector-defs/connectors/zendesk.yaml",
    outlook => "../connector-defs/connectors/outlook.yaml",
    asana => "../connector-defs/connectors/asana.yaml",
}
