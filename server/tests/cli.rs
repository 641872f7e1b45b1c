//! The `connector` binary's tools: `validate`, `openapi`, `migrate`.

use std::process::Command;

fn connector() -> Command {
    Command::new(env!("CARGO_BIN_EXE_connector"))
}

fn defs(file: &str) -> String {
    format!(
        "{}/../connector-defs/connectors/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn validate_accepts_the_builtins_and_locates_problems() {
    let output = connector()
        .args(["validate", &defs("gmail.yaml"), &defs("dropbox.yaml")])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("gmail.yaml: ok (gmail 1.0.0"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "name: bad\nversion: 1.0.0\nbase_url: https://x.example\nauth: { kind: api_key }\nendpoints: {}\n").unwrap();
    let output = connector()
        .args(["validate", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:4:"), "{stderr}");
    assert!(
        stderr.contains("1 of 1 definitions are invalid"),
        "{stderr}"
    );
}

#[test]
fn openapi_prints_the_committed_document() {
    let root = format!("{}/../openapi", env!("CARGO_MANIFEST_DIR"));
    let json = connector().arg("openapi").output().unwrap();
    assert!(json.status.success());
    assert_eq!(
        String::from_utf8(json.stdout).unwrap(),
        std::fs::read_to_string(format!("{root}/openapi.json")).unwrap()
    );
    let yaml = connector().args(["openapi", "--yaml"]).output().unwrap();
    assert_eq!(
        String::from_utf8(yaml.stdout).unwrap(),
        std::fs::read_to_string(format!("{root}/openapi.yaml")).unwrap()
    );
}

#[test]
fn migrate_creates_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let output = connector()
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("CONNECTOR_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("connector.db").exists());
}
