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

#[test]
fn a_weak_secret_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = connector()
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("CONNECTOR_DATA_DIR", dir.path())
        .env("CONNECTOR_BIND", "127.0.0.1:0")
        .env("CONNECTOR_SECRET_KEY", "a")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("connector: CONNECTOR_SECRET_KEY is too weak"),
        "{stderr}"
    );
}

#[test]
fn an_sqlite_file_outside_the_data_folder_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elsewhere.db");
    let output = connector()
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", file.display()),
        )
        .env("CONNECTOR_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[test]
fn logs_written_to_a_file_have_no_colour_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let output = connector()
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("CONNECTOR_DATA_DIR", dir.path().join("data"))
        .env("RUST_LOG", "debug")
        .stderr(std::fs::File::create(&log).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success());
    let written = std::fs::read(&log).unwrap();
    assert!(!written.is_empty(), "nothing was logged");
    assert!(
        !written.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&written)
    );
}
