//! Format 1.1: a definition without endpoints (proxy-only), and connection_config fields with
//! `pattern`, `example` and `description`.

use connector_defs::ConnectorDef;

fn parse(source: &str) -> Result<ConnectorDef, Vec<String>> {
    connector_defs::parse(source, "mini.yaml").map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect()
    })
}

const SUBDOMAIN: &str = "name: mini
version: 1.0.0
base_url: https://{connection_config.subdomain}.example.com/api
auth: { kind: bearer }
connection_config:
  subdomain:
";

#[test]
fn a_definition_without_endpoints_is_valid() {
    let def = parse(
        "name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth: { kind: api_key, in: header, name: X-Key }\n",
    )
    .unwrap();
    assert!(def.endpoints.is_empty());
    // An empty map is the same definition, written out.
    let explicit = parse(
        "name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth: { kind: api_key, in: header, name: X-Key }\nendpoints: {}\n",
    )
    .unwrap();
    assert_eq!(def, explicit);
}

#[test]
fn a_definition_without_endpoints_is_still_validated() {
    assert_eq!(
        parse("name: mini\nversion: 1.0\nbase_url: https://api.example.com\nauth: { kind: oauth2, token_url: https://x.example/token }\n")
            .unwrap_err(),
        [
            "mini.yaml:2:10: `1.0` is not a semantic version\n  = help: write it as MAJOR.MINOR.PATCH, such as `1.0.0`",
            "mini.yaml:4:9: auth kind `oauth2` needs `authorization_url`\n  = help: add `authorization_url:` under `auth:`",
        ]
    );
}

#[test]
fn config_fields_keep_pattern_example_and_description() {
    let def = parse(&format!(
        "{SUBDOMAIN}    pattern: '[a-z0-9-]+'\n    example: acme\n    description: the part before .example.com\n"
    ))
    .unwrap();
    let subdomain = &def.connection_config["subdomain"];
    assert_eq!(subdomain.pattern.as_deref(), Some("[a-z0-9-]+"));
    assert_eq!(subdomain.example.as_deref(), Some("acme"));
    assert_eq!(
        subdomain.description.as_deref(),
        Some("the part before .example.com")
    );
}

#[test]
fn a_config_pattern_matches_the_whole_value() {
    let def = parse(&format!("{SUBDOMAIN}    pattern: '[a-z0-9-]+'\n")).unwrap();
    let subdomain = &def.connection_config["subdomain"];
    assert_eq!(subdomain.check("acme-2"), Ok(()));
    assert_eq!(
        subdomain.check("acme.evil.example"),
        Err("must match the pattern `[a-z0-9-]+`, got `acme.evil.example`".into())
    );
    assert!(subdomain.check("").is_err());
    // Without a pattern every value passes.
    let free = parse(&format!("{SUBDOMAIN}    description: any\n")).unwrap();
    assert_eq!(free.connection_config["subdomain"].check("a.b/c"), Ok(()));
}

#[test]
fn a_config_pattern_must_compile() {
    assert_eq!(
        parse(&format!("{SUBDOMAIN}    pattern: '([a-z]+'\n")).unwrap_err(),
        ["mini.yaml:7:14: pattern `([a-z]+` is not a valid regular expression: unclosed group"]
    );
}

#[test]
fn a_config_example_and_default_must_match_the_pattern() {
    assert_eq!(
        parse(&format!(
            "{SUBDOMAIN}    pattern: '[a-z]+'\n    example: Acme\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:8:14: example of connection_config `subdomain` must match the pattern `[a-z]+`, got `Acme`"
        ]
    );
    assert_eq!(
        parse(&format!(
            "{SUBDOMAIN}    required: false\n    pattern: '[a-z]+'\n    default: www1\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:9:14: default of connection_config `subdomain` must match the pattern `[a-z]+`, got `www1`"
        ]
    );
}

#[test]
fn a_setting_may_be_the_port() {
    let def = parse(
        "name: mini\nversion: 1.0.0\nbase_url: \"https://{connection_config.subdomain}.example.com:{connection_config.port}\"\nauth: { kind: bearer }\nconnection_config:\n  subdomain: {}\n  port: { pattern: \"[0-9]+\", example: \"13111\" }\n",
    )
    .unwrap();
    assert_eq!(def.connection_config.len(), 2);
}
