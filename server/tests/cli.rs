//! The `connector` binary's tools: `validate`, `openapi`, `migrate`, `catalog`, `new`, `diff`, `test`.

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
    assert!(stdout.contains("gmail.yaml: ok (gmail 1.1.0"), "{stdout}");

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

fn fixtures() -> String {
    format!("{}/tests/fixtures/catalog", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `connector ARGS` with the fixtures as CONNECTOR_DEFS_DIR; (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let output = connector()
        .args(args)
        .env("CONNECTOR_DEFS_DIR", fixtures())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn catalog_lists_providers_one_a_line_without_a_server() {
    let (ok, stdout, stderr) = run(&["catalog"]);
    assert!(ok, "{stderr}");
    let gmail = stdout
        .lines()
        .find(|line| line.starts_with("gmail "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let columns: Vec<&str> = gmail.split_whitespace().collect();
    assert_eq!(
        columns,
        ["gmail", "oauth2", "popular,productivity", "Gmail"]
    );
    assert!(
        stdout.lines().any(|line| line.starts_with("acme_crm ")),
        "{stdout}"
    );

    let (ok, stdout, _) = run(&["catalog", "--q", "ZETA", "--auth-kind", "oauth2"]);
    assert!(ok);
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [["zeta_files", "oauth2", "storage", "Zeta", "Drive"]]
    );

    let (ok, stdout, _) = run(&["catalog", "--q", "helpdesk", "--category", "ticketing"]);
    assert!(ok);
    assert!(stdout.starts_with("helpdesk  basic"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let (ok, stdout, stderr) = run(&["catalog", "--q", "no such provider"]);
    assert!(ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("no connector matches"), "{stderr}");

    let (ok, _, stderr) = run(&["catalog", "--auth-kind", "carrier_pigeon"]);
    assert!(!ok);
    assert!(
        stderr.contains("unknown variant `carrier_pigeon`, expected one of")
            && stderr.contains("`api_key`"),
        "{stderr}"
    );
}

#[test]
fn new_writes_a_starting_definition_that_parses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (ok, stdout, stderr) = run(&["new", "acme_desk", "--auth-kind", "api_key", "--out", out]);
    assert!(ok, "{stderr}");
    let file = dir.path().join("acme_desk.yaml");
    assert!(
        stdout.starts_with(&format!("wrote {}", file.display())),
        "{stdout}"
    );
    let def = connector_defs::load(&file).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(def.name, "acme_desk");
    assert_eq!(def.auth.kind, connector_defs::AuthKind::ApiKey);
    assert!(def.endpoints.is_empty());
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("# verify: { method: GET, path: /me }"),
        "{written}"
    );

    // oauth2 by default.
    let (ok, _, stderr) = run(&["new", "acme_oauth", "--out", out]);
    assert!(ok, "{stderr}");
    let def = connector_defs::load(&dir.path().join("acme_oauth.yaml")).unwrap();
    assert_eq!(def.auth.kind, connector_defs::AuthKind::Oauth2);
}

#[test]
fn new_refuses_to_overwrite_and_refuses_bad_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let file = dir.path().join("acme.yaml");
    std::fs::write(&file, "mine").unwrap();
    let (ok, _, stderr) = run(&["new", "acme", "--out", out]);
    assert!(!ok);
    assert!(
        stderr.contains("acme.yaml exists; it is left as it is"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");

    for (name, message) in [
        ("Acme-CRM", "`Acme-CRM` is not a connector name"),
        ("type", "`type` is not a connector name"),
        ("gmail", "`gmail` is a built-in connector"),
    ] {
        let (ok, _, stderr) = run(&["new", name, "--out", out]);
        assert!(!ok, "{name}");
        assert!(stderr.contains(message), "{name}: {stderr}");
    }
    let (ok, _, stderr) = run(&["new", "acme_x", "--out", &format!("{out}/missing")]);
    assert!(!ok);
    assert!(stderr.contains("cannot create"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// Runs `connector diff` on gmail.yaml and a copy edited by `edit`; (exit code, stdout, stderr).
fn diff_gmail(edit: impl Fn(String) -> String) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("gmail.yaml");
    std::fs::write(
        &new,
        edit(std::fs::read_to_string(defs("gmail.yaml")).unwrap()),
    )
    .unwrap();
    let output = connector()
        .args(["diff", &defs("gmail.yaml"), new.to_str().unwrap()])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// gmail.yaml with `version: 1.1.0` replaced by `version`, and `list_labels` removed or not.
fn gmail_edit(version: &'static str, remove_list_labels: bool) -> impl Fn(String) -> String {
    move |source| {
        let source = source.replacen("version: 1.1.0", &format!("version: {version}"), 1);
        if remove_list_labels {
            assert!(source.contains("  list_labels:"));
            source.replacen("  list_labels:", "  list_all_labels:", 1)
        } else {
            source
        }
    }
}

#[test]
fn diff_prints_each_change_then_the_class_and_accepts_a_large_enough_bump() {
    let (code, stdout, stderr) = diff_gmail(gmail_edit("2.0.0", true));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "major: endpoint list_labels removed\nminor: endpoint list_all_labels added\nmajor\n"
    );

    let (code, stdout, stderr) = diff_gmail(gmail_edit("1.1.0", false));
    assert_eq!((code, stdout.as_str()), (0, "patch\n"), "{stderr}");

    let (code, stdout, _) = diff_gmail(|source| {
        gmail_edit("1.1.1", false)(source).replacen(
            "    description: Get",
            "    summary: Hi\n    description: Get",
            1,
        )
    });
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().last(), Some("patch"));
}

#[test]
fn diff_exits_1_when_the_version_is_not_raised_enough() {
    let (code, stdout, stderr) = diff_gmail(gmail_edit("1.2.0", true));
    assert_eq!(code, 1);
    assert_eq!(stdout.lines().last(), Some("major"), "{stdout}");
    assert!(
        stderr.contains("version 1.1.0 → 1.2.0 is a minor bump; the changes are major"),
        "{stderr}"
    );

    // A version going down, even without changes.
    let (code, stdout, _) = diff_gmail(gmail_edit("0.9.0", false));
    assert_eq!((code, stdout.as_str()), (1, "patch\n"));
}

#[test]
fn diff_exits_2_on_a_definition_that_does_not_parse() {
    let (code, stdout, stderr) =
        diff_gmail(|source| source.replacen("kind: oauth2", "kind: oauth3", 1));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("gmail.yaml:"), "{stderr}");
    assert!(stderr.contains("oauth3"), "{stderr}");
}

/// `git ARGS` in `dir`, which must succeed.
fn git(dir: &std::path::Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn check_versions_compares_changed_definitions_with_the_previous_commit() {
    // A repository holding the script and two definitions, in the project's layout.
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::copy(
        format!("{}/../scripts/check-versions", env!("CARGO_MANIFEST_DIR")),
        root.join("scripts/check-versions"),
    )
    .unwrap();
    let connectors = root.join("connector-defs/connectors");
    std::fs::create_dir_all(&connectors).unwrap();
    let gmail = std::fs::read_to_string(defs("gmail.yaml")).unwrap();
    let dropbox = std::fs::read_to_string(defs("dropbox.yaml")).unwrap();
    std::fs::write(connectors.join("gmail.yaml"), &gmail).unwrap();
    std::fs::write(connectors.join("dropbox.yaml"), &dropbox).unwrap();
    git(root, &["init", "--quiet"]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "first"]);
    let check = || {
        let output = Command::new("bash")
            .arg(root.join("scripts/check-versions"))
            .current_dir(root)
            .env("CONNECTOR_BIN", env!("CARGO_BIN_EXE_connector"))
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };

    // The first commit has nothing before it.
    let (code, stdout, stderr) = check();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("no previous commit"), "{stdout}");

    // gmail loses an endpoint with a minor bump; dropbox only gains a summary, unbumped; a new
    // definition is skipped.
    let gmail_v2 = gmail
        .replacen("version: 1.1.0", "version: 1.2.0", 1)
        .replacen("  list_labels:", "  list_all_labels:", 1);
    std::fs::write(connectors.join("gmail.yaml"), &gmail_v2).unwrap();
    std::fs::write(
        connectors.join("dropbox.yaml"),
        dropbox.replacen(
            "    path: /users/get_current_account\n",
            "    path: /users/get_current_account\n    summary: Hi\n",
            1,
        ),
    )
    .unwrap();
    std::fs::write(
        connectors.join("gmail_copy.yaml"),
        gmail.replacen("name: gmail", "name: gmail_copy", 1),
    )
    .unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "second"]);
    let (code, stdout, stderr) = check();
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("== connector-defs/connectors/gmail.yaml (against HEAD~1)\nmajor: endpoint list_labels removed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("== connector-defs/connectors/dropbox.yaml (against HEAD~1)\npatch: get_current_account.summary changed\npatch\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("gmail_copy"), "{stdout}");
    assert!(
        stderr.contains("2 of 2 changed definitions need a higher version")
            && stderr.contains("  connector-defs/connectors/dropbox.yaml\n")
            && stderr.contains("  connector-defs/connectors/gmail.yaml\n"),
        "{stderr}"
    );

    // Raised enough, in the working tree (uncommitted edits are checked too).
    std::fs::write(
        connectors.join("gmail.yaml"),
        gmail_v2.replacen("version: 1.2.0", "version: 2.0.0", 1),
    )
    .unwrap();
    std::fs::write(
        connectors.join("dropbox.yaml"),
        dropbox.replacen("version: 2.0.0", "version: 2.0.1", 1),
    )
    .unwrap();
    let (code, stdout, stderr) = check();
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("check-versions: 2 changed definitions checked against HEAD~1, every version is raised enough\n"),
        "{stdout}"
    );
}

/// Runs `connector test ARGS`; (exit code, stdout, stderr).
fn test_command(args: &[&str]) -> (i32, String, String) {
    let output = connector().arg("test").args(args).output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn test_replays_the_builtin_cassettes_from_the_default_folder() {
    let (code, stdout, stderr) = test_command(&[&defs("gmail.yaml")]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("ok  get_profile.yaml\n"), "{stdout}");
    assert!(
        stdout.contains("ok  get_message-not_found.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains(" 0 failed\n"), "{stdout}");
    assert!(!stdout.contains("no cassette for"), "{stdout}");
}

#[test]
fn test_names_the_failing_cassette_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cassettes = format!(
        "{}/../connector-defs/cassettes/gmail",
        env!("CARGO_MANIFEST_DIR")
    );
    let good = std::fs::read_to_string(format!("{cassettes}/get_profile.yaml")).unwrap();
    std::fs::write(dir.path().join("get_profile.yaml"), &good).unwrap();
    let bad = good
        .replace(
            "path: /users/me/profile",
            "path: /users/me/profile\n  query: { fields: all }",
        )
        .replace("messagesTotal: 12045", "messagesTotal: many");
    std::fs::write(dir.path().join("get_profile-bad.yaml"), bad).unwrap();
    let (code, stdout, stderr) = test_command(&[
        &defs("gmail.yaml"),
        "--cassettes",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("ok  get_profile.yaml\n"), "{stdout}");
    assert!(
        stdout.contains("FAIL get_profile-bad.yaml: query parameter `fields` is not declared by the endpoint; response body at `/messagesTotal`: expected an integer, got the string \"many\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("no cassette for: list_messages,"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    assert!(
        stderr.contains("failing cassettes: get_profile-bad.yaml"),
        "{stderr}"
    );
}

#[test]
fn test_exits_2_when_the_definition_or_the_folder_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let (code, _, stderr) = test_command(&[
        &defs("gmail.yaml"),
        "--cassettes",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read the cassettes in"), "{stderr}");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "name: bad\n").unwrap();
    let (code, _, stderr) = test_command(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad.yaml:"), "{stderr}");
}

/// With CONNECTOR_LOG_FORMAT=json every line `connector serve` writes, on stdout and stderr,
/// the banner and a fatal error included, is one JSON object.
#[test]
fn json_log_format_writes_only_json_lines() {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let mut child = connector()
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env_remove("CONNECTOR_SECRET_KEY")
        .env("CONNECTOR_DATA_DIR", dir.path().join("data"))
        .env("CONNECTOR_BIND", "127.0.0.1:0")
        .env("CONNECTOR_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    let banner: serde_json::Value = serde_json::from_str(&banner).expect("the banner is JSON");
    assert_eq!(banner["message"], "Connector Platform listening");
    let notices = banner["notices"].as_array().unwrap();
    assert!(
        notices
            .iter()
            .any(|notice| notice.as_str().unwrap().contains("secret key for the API")),
        "{banner}"
    );
    let address = banner["address"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // SIGTERM: the server stops gracefully and says so in its log.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let lines: Vec<&str> = rest.lines().chain(stderr.lines()).collect();
    assert!(
        lines.iter().any(|line| line.contains("\"request\"")),
        "the request line is logged: {stderr}"
    );
    for line in lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            parsed["level"].is_string() && parsed["timestamp"].is_string(),
            "{line}"
        );
    }

    // A fatal error at start is a JSON line too.
    let output = connector()
        .arg("serve")
        .env("CONNECTOR_LOG_FORMAT", "json")
        .env("CONNECTOR_SECRET_KEY", "short")
        .env("CONNECTOR_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line: serde_json::Value = serde_json::from_str(stderr.trim()).expect("one JSON line");
    assert_eq!(line["level"], "ERROR");
}
