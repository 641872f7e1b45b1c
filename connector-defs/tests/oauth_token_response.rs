//! Format 1.1, OAuth: `token_params`, `refresh_params`, `token_auth_method: none`,
//! `access_token_path` and `keep_from_token_response`.

use connector_defs::{ConnectorDef, TokenAuthMethod};

fn parse(source: &str) -> Result<ConnectorDef, Vec<String>> {
    connector_defs::parse(source, "mini.yaml").map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect()
    })
}

const SALESFORCE_LIKE: &str = "name: mini
version: 1.0.0
base_url: '{connection_config.instance_url}/services/data'
connection_config:
  instance_url: { description: the org's own host }
auth:
  kind: oauth2
  authorization_url: https://login.example.com/authorize
  token_url: https://login.example.com/token
";

#[test]
fn the_oauth_fields_are_read() {
    let def = parse(&format!(
        "{SALESFORCE_LIKE}  token_auth_method: none\n  token_params: {{ audience: api }}\n  refresh_params: {{ scope: offline }}\n  access_token_path: authed_user.access_token\n  keep_from_token_response: [instance_url]\n"
    ))
    .unwrap();
    let auth = &def.auth;
    assert_eq!(auth.token_auth_method, Some(TokenAuthMethod::None));
    assert_eq!(auth.token_params["audience"], "api");
    assert_eq!(auth.refresh_params["scope"], "offline");
    assert_eq!(
        auth.access_token_path.as_deref(),
        Some("authed_user.access_token")
    );
    assert_eq!(
        auth.kept_from_token_response().collect::<Vec<_>>(),
        [("instance_url", "instance_url")]
    );
}

#[test]
fn a_kept_field_is_stored_under_its_last_segment() {
    let def = parse(
        "name: mini\nversion: 1.0.0\nbase_url: https://api.example.com/{connection_config.id}\nconnection_config:\n  id: {}\nauth:\n  kind: oauth2\n  authorization_url: https://x.example/a\n  token_url: https://x.example/t\n  keep_from_token_response: [team.id]\n",
    )
    .unwrap();
    assert_eq!(
        def.auth.kept_from_token_response().collect::<Vec<_>>(),
        [("id", "team.id")]
    );
}

#[test]
fn only_a_kept_setting_may_be_the_whole_origin() {
    // Without `keep_from_token_response` the value would be a user's, so it may not hold
    // the scheme and host.
    assert_eq!(
        parse(SALESFORCE_LIKE).unwrap_err(),
        [
            "mini.yaml:3:11: `{connection_config.instance_url}/services/data` is not a valid URL: relative URL without a base"
        ]
    );
    parse(&format!(
        "{SALESFORCE_LIKE}  keep_from_token_response: [instance_url]\n"
    ))
    .unwrap();
}

#[test]
fn malformed_paths_and_undeclared_kept_fields_are_reported() {
    assert_eq!(
        parse(&format!(
            "{SALESFORCE_LIKE}  access_token_path: authed_user..access_token\n  keep_from_token_response: [instance_url, '', signature]\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:10:22: `authed_user..access_token` is not a dotted path of token-response fields\n  = help: write field names separated by single dots, such as `authed_user.access_token`",
            "mini.yaml:11:44: `` is not a dotted path of token-response fields\n  = help: write field names separated by single dots, such as `authed_user.access_token`",
            "mini.yaml:11:48: kept token-response field `signature` names no connection_config setting `signature`\n  = help: declare it under `connection_config:` as `signature: { description: … }`",
        ]
    );
}

#[test]
fn the_new_fields_apply_to_oauth2_only() {
    assert_eq!(
        parse("name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth:\n  kind: bearer\n  token_params: { audience: api }\n  access_token_path: data.token\n").unwrap_err(),
        [
            "mini.yaml:6:3: `token_params` does not apply to auth kind `bearer`\n  = help: remove `token_params`, or change `kind`",
            "mini.yaml:7:3: `access_token_path` does not apply to auth kind `bearer`\n  = help: remove `access_token_path`, or change `kind`",
        ]
    );
    // Refreshes and kept fields belong to the authorization-code flow.
    assert_eq!(
        parse("name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nauth:\n  kind: oauth2_client_credentials\n  token_url: https://x.example/t\n  refresh_params: { a: b }\n").unwrap_err(),
        ["mini.yaml:7:3: `refresh_params` does not apply to auth kind `oauth2_client_credentials`\n  = help: remove `refresh_params`, or change `kind`"]
    );
}

#[test]
fn only_client_credentials_may_name_its_grant() {
    let zoom = parse("name: mini\nversion: 1.0.0\nbase_url: https://api.example.com\nconnection_config:\n  account_id: {}\nauth:\n  kind: oauth2_client_credentials\n  token_url: https://x.example/t\n  token_params: { grant_type: account_credentials, account_id: '{connection_config.account_id}' }\n").unwrap();
    assert_eq!(zoom.auth.token_params["grant_type"], "account_credentials");
    // The code exchange and the refresh send their own grant.
    assert_eq!(
        parse(&format!(
            "{SALESFORCE_LIKE}  keep_from_token_response: [instance_url]\n  token_params: {{ grant_type: password }}\n  refresh_params: {{ grant_type: refresh_token }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:11:19: `grant_type` in `token_params` does not apply to auth kind `oauth2`\n  = help: remove it: only oauth2_client_credentials may name its grant, in `token_params`",
            "mini.yaml:12:21: `grant_type` in `refresh_params` does not apply to auth kind `oauth2`\n  = help: remove it: only oauth2_client_credentials may name its grant, in `token_params`",
        ]
    );
}
