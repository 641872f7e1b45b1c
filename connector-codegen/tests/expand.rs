//! `connector-expand`: the module a definition expands to, printed by the same code as the
//! macro; a broken definition's errors with file:line:col. Built with `--features cli`.
#![cfg(feature = "cli")]

use std::process::Command;

fn expand(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_connector-expand"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_definition_expands_to_its_module() {
    let dropbox = format!("{}/dropbox.yaml", connector_defs::CONNECTORS_DIR);
    let (code, stdout, stderr) = expand(&[&dropbox]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("///"), "{stdout}");
    assert!(stdout.contains("pub mod dropbox {"));
    assert!(stdout.contains("pub enum Metadata {"));
    assert!(stdout.contains("pub struct Api {"));

    let (code, stdout, _) = expand(&[&dropbox, "--no-openapi"]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("pub struct Api {"));
    assert!(!stdout.contains("poem_openapi"));
}

#[test]
fn a_broken_definition_is_reported_at_its_line() {
    let dir = std::env::temp_dir().join(format!("connector-expand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.yaml");
    std::fs::write(
        &file,
        "name: broken\nversion: 1.0.0\nbase_url: https://x.example\nauth: { kind: bearer }\nendpoints:\n  get:\n    method: GET\n    path: /x\n    response: { $ref: \"#/schemas/Nope\" }\n",
    )
    .unwrap();
    let (code, stdout, stderr) = expand(&[file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("broken.yaml:9:23: no schema named `Nope`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
