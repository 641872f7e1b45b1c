//! The committed JSON Schema is what the model generates. Regenerate it with
//! `UPDATE_SCHEMA=1 cargo test -p connector-defs --test json_schema`.

use std::path::Path;

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/connector.schema.json");
    let fresh = serde_json::to_string_pretty(&connector_defs::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `UPDATE_SCHEMA=1 cargo test -p connector-defs --test json_schema` and commit it",
        path.display()
    );
}

#[test]
fn schema_describes_the_format() {
    let schema = connector_defs::json_schema();
    let required = schema["required"].as_array().unwrap();
    for field in ["name", "version", "base_url", "auth"] {
        assert!(required.iter().any(|r| r == field), "{field} is required");
    }
    // Format 1.1: a definition without endpoints is proxy-only.
    assert!(!required.iter().any(|r| r == "endpoints"));
    assert_eq!(schema["additionalProperties"], false);
    let defs = schema["$defs"].as_object().unwrap();
    assert!(defs.contains_key("Endpoint") && defs.contains_key("AuthDef"));
}
