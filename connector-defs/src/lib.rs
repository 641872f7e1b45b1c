//! The connector definition format, version 1.
//!
//! A definition is a YAML file describing one third-party API. [`parse`] turns its text into a
//! [`ConnectorDef`] and runs every semantic check; each problem comes back as a [`Diagnostic`]
//! with the line and column it concerns. The `connector!` macro and the server's run-time
//! loader both go through [`parse`], so they accept exactly the same definitions.

mod bounds;
pub mod conformance;
pub mod diff;
mod error;
pub mod model;
pub mod naming;
mod source_map;
pub mod suggest;
pub mod template;
mod validate;

use std::path::Path;

pub use bounds::Bounds;
pub use error::{DefinitionError, Diagnostic};
pub use model::*;
pub use source_map::Position;

/// Parses and validates a definition. `file` is only used to name it in errors.
pub fn parse(source: &str, file: &str) -> Result<ConnectorDef, DefinitionError> {
    let def: ConnectorDef = serde_norway::from_str(source)
        .map_err(|error| DefinitionError::new(file, vec![error::from_serde_norway(&error)]))?;
    let map = source_map::SourceMap::build(source);
    let diagnostics = validate::validate(&def, &map);
    if diagnostics.is_empty() {
        Ok(def)
    } else {
        Err(DefinitionError::new(file, diagnostics))
    }
}

/// The top-level `name` the YAML declares, read as far as it parses, whether or not the
/// definition is valid: the macro names the placeholder module it emits beside the errors of
/// an invalid one.
pub fn declared_name(source: &str) -> Option<String> {
    source_map::top_level_scalar(source, "name")
}

/// Reads, parses and validates the definition at `path`.
pub fn load(path: &Path) -> Result<ConnectorDef, DefinitionError> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|error| {
        DefinitionError::new(
            file.clone(),
            vec![Diagnostic::new(
                Position::START,
                format!("cannot read the definition: {error}"),
            )],
        )
    })?;
    parse(&source, &file)
}

/// The JSON Schema of the format, for editors (yaml-language-server) and tooling.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ConnectorDef)).expect("a schema is JSON")
}

/// The built-in catalog: `(file name, YAML source)` of each definition in `connectors/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("gmail.yaml", include_str!("../connectors/gmail.yaml")),
    ("onedrive.yaml", include_str!("../connectors/onedrive.yaml")),
    ("dropbox.yaml", include_str!("../connectors/dropbox.yaml")),
    (
        "google_drive.yaml",
        include_str!("../connectors/google_drive.yaml"),
    ),
    (
        "google_calendar.yaml",
        include_str!("../connectors/google_calendar.yaml"),
    ),
    (
        "google_sheets.yaml",
        include_str!("../connectors/google_sheets.yaml"),
    ),
    ("outlook.yaml", include_str!("../connectors/outlook.yaml")),
    ("hubspot.yaml", include_str!("../connectors/hubspot.yaml")),
    (
        "salesforce.yaml",
        include_str!("../connectors/salesforce.yaml"),
    ),
    ("jira.yaml", include_str!("../connectors/jira.yaml")),
    ("stripe.yaml", include_str!("../connectors/stripe.yaml")),
    ("zendesk.yaml", include_str!("../connectors/zendesk.yaml")),
    ("github.yaml", include_str!("../connectors/github.yaml")),
    ("slack.yaml", include_str!("../connectors/slack.yaml")),
    ("notion.yaml", include_str!("../connectors/notion.yaml")),
    ("asana.yaml", include_str!("../connectors/asana.yaml")),
];

/// The folder holding the built-in definitions, for `connector!` paths and tools.
pub const CONNECTORS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/connectors");
