//! Format 1.1: `{connection_config.NAME}` in header values, `categories` and `verify`.

use connector_defs::{ConnectorDef, HttpMethod};

fn parse(source: &str) -> Result<ConnectorDef, Vec<String>> {
    connector_defs::parse(source, "mini.yaml").map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect()
    })
}

const API_KEY: &str = "name: mini
version: 1.0.0
base_url: https://api.example.com
auth: { kind: api_key, in: header, name: X-Key }
";

#[test]
fn header_values_may_name_declared_settings() {
    let def = parse(&format!(
        "{API_KEY}connection_config:\n  account: {{}}\nheaders: {{ X-Account: 'acct {{connection_config.account}}', X-Json: '{{\"a\": 1}}' }}\nendpoints:\n  me: {{ method: GET, path: /me, headers: {{ X-Again: '{{connection_config.account}}' }} }}\n"
    ))
    .unwrap();
    assert_eq!(def.headers["X-Account"], "acct {connection_config.account}");
}

#[test]
fn a_header_value_naming_an_undeclared_setting_is_an_error() {
    assert_eq!(
        parse(&format!(
            "{API_KEY}headers:\n  X-Account: '{{connection_config.account}}'\nendpoints:\n  me:\n    method: GET\n    path: /me\n    headers: {{ X-Team: 'team {{connection_config.team' }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:6:14: `{connection_config.account}` names no connection_config setting `account`\n  = help: declare it under `connection_config:` as `account: { description: … }`",
            "mini.yaml:11:24: unclosed `{connection_config.` in `team {connection_config.team`",
        ]
    );
}

#[test]
fn categories_are_kept() {
    let def = parse(&format!(
        "{API_KEY}categories: [crm, dev-tools, file_storage]\n"
    ))
    .unwrap();
    assert_eq!(def.categories, ["crm", "dev-tools", "file_storage"]);
    assert!(parse(API_KEY).unwrap().categories.is_empty());
}

#[test]
fn categories_are_lowercase_names_listed_once() {
    assert_eq!(
        parse(&format!("{API_KEY}categories: [crm, '', Dev Tools, crm]\n")).unwrap_err(),
        [
            "mini.yaml:5:19: invalid category ``\n  = help: use lowercase letters, digits, `-` and `_`, starting with a letter, such as `dev-tools`",
            "mini.yaml:5:23: invalid category `Dev Tools`\n  = help: use lowercase letters, digits, `-` and `_`, starting with a letter, such as `dev-tools`",
            "mini.yaml:5:34: category `crm` is listed twice\n  = help: remove one of them",
        ]
    );
}

#[test]
fn verify_is_kept() {
    let def = parse(&format!("{API_KEY}verify: {{ method: GET, path: /me }}\n")).unwrap();
    let verify = def.verify.unwrap();
    assert_eq!(verify.method, HttpMethod::Get);
    assert_eq!(verify.paths().collect::<Vec<_>>(), ["/me"]);
}

#[test]
fn verify_needs_a_path_under_the_base_url() {
    for (path, message) in [
        (
            "me",
            "verify path `me` must start with a single `/`\n  = help: it is appended to the base URL",
        ),
        (
            "//evil.example/me",
            "verify path `//evil.example/me` must start with a single `/`\n  = help: it is appended to the base URL",
        ),
        (
            "/users/{id}",
            "verify path `/users/{id}` cannot hold placeholders or a fragment",
        ),
    ] {
        assert_eq!(
            parse(&format!(
                "{API_KEY}verify:\n  method: GET\n  path: '{path}'\n"
            ))
            .unwrap_err(),
            [format!("mini.yaml:7:9: {message}")],
            "{path}"
        );
    }
}

#[test]
fn verify_applies_to_typed_in_credentials_only() {
    assert_eq!(
        parse("name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth: { kind: oauth2, authorization_url: https://x.example/a, token_url: https://x.example/t }\nverify: { method: GET, path: /me }\n")
            .unwrap_err(),
        ["mini.yaml:5:1: `verify` does not apply to auth kind `oauth2`\n  = help: only api_key, basic and bearer credentials are checked when a connection is created"]
    );
    for kind in ["basic", "bearer"] {
        parse(&format!("name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth: {{ kind: {kind} }}\nverify: {{ method: POST, path: /auth/check }}\n")).unwrap();
    }
}

#[test]
fn unknown_verify_fields_are_refused() {
    let errors = parse(&format!(
        "{API_KEY}verify: {{ method: GET, path: /me, status: 200 }}\n"
    ))
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("mini.yaml:5:"), "{errors:?}");
    assert!(errors[0].contains("unknown field `status`"), "{errors:?}");
}
