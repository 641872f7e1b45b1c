//! Format 1.1: `token_request_encoding`, placeholders in OAuth parameter values, and the JWT
//! kinds `jwt_bearer` and `app_jwt`.

use connector_defs::{AuthKind, ConnectorDef, TokenRequestEncoding};

fn parse(source: &str) -> Result<ConnectorDef, Vec<String>> {
    connector_defs::parse(source, "mini.yaml").map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect()
    })
}

const HEAD: &str = "name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\n";

#[test]
fn a_service_account_definition_parses() {
    let def = parse(&format!(
        "{HEAD}auth:\n  kind: jwt_bearer\n  token_url: https://oauth2.example.com/token\n  scopes: [a, b]\n  audience: https://oauth2.example.com/\n  token_request_encoding: json\n"
    ))
    .unwrap();
    assert_eq!(def.auth.kind, AuthKind::JwtBearer);
    assert!(def.auth.kind.has_token_url());
    assert!(!def.auth.kind.is_oauth2());
    assert_eq!(
        def.auth.token_request_encoding(),
        TokenRequestEncoding::Json
    );
    assert_eq!(
        def.auth.audience.as_deref(),
        Some("https://oauth2.example.com/")
    );
    assert_eq!(def.auth.token_path(), None);
}

#[test]
fn an_installation_definition_reads_the_token_field_by_default() {
    let def = parse(&format!(
        "{HEAD}connection_config:\n  installation_id: {{ required: true, pattern: '[0-9]+' }}\nauth:\n  kind: app_jwt\n  token_url: https://api.example.com/app/installations/{{connection_config.installation_id}}/access_tokens\n"
    ))
    .unwrap();
    assert_eq!(def.auth.kind, AuthKind::AppJwt);
    assert_eq!(def.auth.token_path(), Some("token"));
    assert_eq!(
        def.auth.token_request_encoding(),
        TokenRequestEncoding::Form
    );
}

#[test]
fn the_jwt_kinds_need_a_token_url_and_take_only_their_fields() {
    assert_eq!(
        parse(&format!(
            "{HEAD}auth:\n  kind: jwt_bearer\n  authorization_url: https://example.com/authorize\n  token_auth_method: client_secret_basic\n  audience: ''\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:5:3: auth kind `jwt_bearer` needs `token_url`\n  = help: add `token_url:` under `auth:`",
            "mini.yaml:6:3: `authorization_url` does not apply to auth kind `jwt_bearer`\n  = help: remove `authorization_url`, or change `kind`",
            "mini.yaml:7:3: `token_auth_method` does not apply to auth kind `jwt_bearer`\n  = help: remove `token_auth_method`, or change `kind`",
            "mini.yaml:8:13: `audience` cannot be empty\n  = help: remove it to use the token URL",
        ]
    );
    assert_eq!(
        parse(&format!(
            "{HEAD}auth:\n  kind: app_jwt\n  token_url: https://api.example.com/t\n  scopes: [repo]\n  audience: x\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:7:3: `scopes` does not apply to auth kind `app_jwt`\n  = help: remove `scopes`, or change `kind`",
            "mini.yaml:8:3: `audience` does not apply to auth kind `app_jwt`\n  = help: remove `audience`, or change `kind`",
        ]
    );
}

#[test]
fn token_request_encoding_is_for_token_kinds_and_one_of_three() {
    assert_eq!(
        parse(&format!(
            "{HEAD}auth: {{ kind: bearer, token_request_encoding: json }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:4:23: `token_request_encoding` does not apply to auth kind `bearer`\n  = help: remove `token_request_encoding`, or change `kind`"
        ]
    );
    let error = parse(&format!(
        "{HEAD}auth: {{ kind: oauth2_client_credentials, token_url: 'https://e.com/t', token_request_encoding: xml }}\n"
    ))
    .unwrap_err();
    assert!(error[0].starts_with("mini.yaml:4:"), "{error:?}");
    assert!(error[0].contains("xml"), "{error:?}");
}

#[test]
fn parameter_values_name_declared_settings() {
    let def = parse(&format!(
        "{HEAD}connection_config:\n  tenant: {{}}\nauth:\n  kind: oauth2\n  authorization_url: https://e.com/a\n  token_url: https://e.com/t\n  authorization_params: {{ domain: '{{connection_config.tenant}}.example.com' }}\n  token_params: {{ tenant: '{{connection_config.tenant}}' }}\n  refresh_params: {{ tenant: '{{connection_config.tenant}}' }}\n"
    ))
    .unwrap();
    assert_eq!(
        def.auth.token_params["tenant"],
        "{connection_config.tenant}"
    );
    assert_eq!(
        parse(&format!(
            "{HEAD}auth:\n  kind: oauth2_client_credentials\n  token_url: https://e.com/t\n  token_params: {{ tenant: '{{connection_config.tenant}}' }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:7:27: `{connection_config.tenant}` names no connection_config setting `tenant`\n  = help: declare it under `connection_config:` as `tenant: { description: … }`"
        ]
    );
}
