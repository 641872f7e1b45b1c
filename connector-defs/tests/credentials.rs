//! Format 1.1: named credential fields, `auth.headers` / `auth.query` templates, `A || B`
//! alternatives, `verify.paths` and retry hints.

use connector_defs::{AuthKind, ConnectorDef};

fn parse(source: &str) -> Result<ConnectorDef, Vec<String>> {
    connector_defs::parse(source, "mini.yaml").map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect()
    })
}

const HEAD: &str = "name: mini
version: 1.0.0
base_url: https://api.example.com
";

#[test]
fn credential_fields_and_templates_are_kept() {
    let def = parse(&format!(
        "{HEAD}connection_config:\n  region: {{ required: false }}\nauth:\n  kind: api_key\n  credentials: [api_key, secret_key]\n  headers:\n    Authorization: 'Token token={{credentials.api_key}}'\n    X-Region: '{{connection_config.region}}'\n  query:\n    sig: '{{credentials.secret_key}}'\n"
    ))
    .unwrap();
    assert_eq!(def.auth.credential_fields(), ["api_key", "secret_key"]);
    assert_eq!(
        def.auth.headers["Authorization"],
        "Token token={credentials.api_key}"
    );
    assert_eq!(def.auth.query["sig"], "{credentials.secret_key}");
    assert!(def.auth.has_templates());
}

#[test]
fn each_kind_has_default_credential_fields() {
    let fields = |auth: &str| {
        parse(&format!("{HEAD}auth: {auth}\n"))
            .unwrap()
            .auth
            .credential_fields()
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fields("{ kind: api_key, in: header, name: X-Key }"),
        ["api_key"]
    );
    assert_eq!(fields("{ kind: basic }"), ["username", "password"]);
    assert_eq!(fields("{ kind: bearer }"), ["token"]);
    assert!(fields("{ kind: none }").is_empty());
    let own_client = parse(&format!(
        "{HEAD}auth: {{ kind: oauth2_client_credentials, token_url: 'https://x.com/token', credentials: [client_id, client_secret] }}\n"
    ))
    .unwrap();
    assert!(own_client.auth.per_connection_client());
    assert_eq!(own_client.auth.kind, AuthKind::Oauth2ClientCredentials);
}

#[test]
fn templates_may_use_the_implicit_token_of_bearer_and_oauth2() {
    parse(&format!(
        "{HEAD}auth: {{ kind: bearer, headers: {{ Authorization: 'token {{credentials.token}}' }} }}\n"
    ))
    .unwrap();
    parse(&format!(
        "{HEAD}auth: {{ kind: oauth2, authorization_url: 'https://x.com/a', token_url: 'https://x.com/t', query: {{ access_token: '{{credentials.access_token}}' }} }}\n"
    ))
    .unwrap();
}

#[test]
fn unknown_placeholders_in_templates_are_errors_with_a_suggestion() {
    assert_eq!(
        parse(&format!(
            "{HEAD}connection_config:\n  region: {{}}\nauth:\n  kind: api_key\n  headers:\n    Authorization: 'Token {{credentials.apikey}}'\n    X-Region: '{{connection_config.regoin}}'\n  query:\n    other: '{{credentials.password}}'\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:9:20: `{credentials.apikey}` names no credential field `apikey`\n  = help: did you mean `{credentials.api_key}`?",
            "mini.yaml:10:15: `{connection_config.regoin}` names no connection_config setting `regoin`\n  = help: did you mean `{connection_config.region}`?",
            "mini.yaml:12:12: `{credentials.password}` names no credential field `password`\n  = help: the credential fields are: api_key; declare others under `auth.credentials`",
        ]
    );
}

#[test]
fn credentials_only_go_in_auth_templates() {
    assert_eq!(
        parse(&format!(
            "{HEAD}auth: {{ kind: bearer }}\nheaders: {{ X-Token: '{{credentials.token}}' }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:5:21: `{credentials.token}` cannot be used here\n  = help: credentials are placed by `auth.headers` and `auth.query`"
        ]
    );
}

#[test]
fn the_shorthand_and_templates_do_not_mix() {
    assert_eq!(
        parse(&format!(
            "{HEAD}auth: {{ kind: api_key, in: header, name: X-Key, headers: {{ X-Key: '{{credentials.api_key}}' }} }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:4:24: `in` cannot be combined with `auth.headers` or `auth.query`\n  = help: `in`/`name`/`prefix` is a shorthand for one template: keep one form",
            "mini.yaml:4:36: `name` cannot be combined with `auth.headers` or `auth.query`\n  = help: `in`/`name`/`prefix` is a shorthand for one template: keep one form",
        ]
    );
}

#[test]
fn credentials_are_checked_per_kind() {
    let errors = |auth: &str| parse(&format!("{HEAD}auth: {auth}\n")).unwrap_err();
    assert_eq!(
        errors("{ kind: bearer, credentials: [token] }"),
        [
            "mini.yaml:4:23: `credentials` does not apply to auth kind `bearer`\n  = help: remove `credentials`, or change `kind`"
        ]
    );
    assert_eq!(
        errors("{ kind: api_key, in: query, name: key, credentials: [Api-Key, key, key] }"),
        [
            "mini.yaml:4:46: the `in`/`name` shorthand places one credential, and 3 are declared\n  = help: place the credential fields with `auth.headers` or `auth.query`",
            "mini.yaml:4:60: invalid credential field name `Api-Key`\n  = help: use lowercase letters, digits and `_`, starting with a letter, such as `api_key`",
            "mini.yaml:4:74: credential field `key` is listed twice\n  = help: remove one of them",
        ]
    );
    assert_eq!(
        errors(
            "{ kind: oauth2_client_credentials, token_url: 'https://x.com/t', credentials: [client_secret, tenant] }"
        ),
        [
            "mini.yaml:4:72: oauth2_client_credentials `credentials` must include `client_id`\n  = help: list `client_id` (and `client_secret`)",
            "mini.yaml:4:101: `tenant` is not a client credential\n  = help: oauth2_client_credentials connections may bring only `client_id` and `client_secret`",
        ]
    );
    assert_eq!(
        errors("{ kind: basic, credentials: [api_key] }"),
        [
            "mini.yaml:4:22: basic auth without templates sends `username` and `password`, and `username` is not declared\n  = help: place the credential fields with `auth.headers` or `auth.query`"
        ]
    );
    // A key sent as the Basic username, with an empty password.
    parse(&format!(
        "{HEAD}auth: {{ kind: basic, credentials: [username] }}\n"
    ))
    .unwrap();
}

#[test]
fn alternatives_are_validated_one_by_one() {
    let def = parse(
        "name: mini\nversion: 1.0.0\nbase_url: 'https://{connection_config.subdomain}.example.com || https://api.example.com'\nconnection_config:\n  subdomain: { required: false }\nauth: { kind: bearer }\nheaders: { X-Org: '{connection_config.subdomain} || none' }\n",
    )
    .unwrap();
    assert!(def.base_url.contains("||"));
    assert_eq!(
        parse(
            "name: mini\nversion: 1.0.0\nbase_url: 'https://api.example.com || {connection_config.host}/v1'\nauth: { kind: bearer }\n"
        )
        .unwrap_err(),
        ["mini.yaml:3:11: `{connection_config.host}` names no connection_config setting `host`\n  = help: declare it under `connection_config:` as `host: { description: … }`"]
    );
    assert_eq!(
        parse("name: mini\nversion: 1.0.0\nbase_url: 'https://api.example.com || ftp://x'\nauth: { kind: bearer }\n")
            .unwrap_err(),
        ["mini.yaml:3:11: `ftp://x` is not an http or https URL (scheme `ftp`)"]
    );
}

#[test]
fn verify_takes_one_path_or_several() {
    let def = parse(&format!(
        "{HEAD}auth: {{ kind: bearer }}\nverify: {{ method: GET, paths: [/me, /v2/me] }}\n"
    ))
    .unwrap();
    let verify = def.verify.unwrap();
    assert_eq!(verify.paths().collect::<Vec<_>>(), ["/me", "/v2/me"]);
    assert_eq!(
        parse(&format!(
            "{HEAD}auth: {{ kind: bearer }}\nverify: {{ method: GET, path: /me, paths: [me] }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:5:35: give `path` or `paths`, not both\n  = help: put every path under `paths`",
            "mini.yaml:5:43: verify path `me` must start with a single `/`\n  = help: it is appended to the base URL",
        ]
    );
    assert_eq!(
        parse(&format!(
            "{HEAD}auth: {{ kind: bearer }}\nverify: {{ method: GET }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:5:1: `verify` needs `path` or `paths`\n  = help: add `path: /me` (appended to the base URL)"
        ]
    );
}

#[test]
fn retry_hints_name_headers() {
    let def = parse(&format!(
        "{HEAD}auth: {{ kind: bearer }}\nretry: {{ at: [x-ratelimit-reset], remaining: x-ratelimit-remaining }}\n"
    ))
    .unwrap();
    let retry = def.retry.unwrap();
    assert_eq!(retry.after, ["retry-after"]);
    assert_eq!(retry.at, ["x-ratelimit-reset"]);
    assert_eq!(retry.remaining.as_deref(), Some("x-ratelimit-remaining"));
    assert_eq!(
        parse(&format!(
            "{HEAD}auth: {{ kind: bearer }}\nretry: {{ after: ['retry after'], remaining: '' }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:5:18: `retry after` is not a valid HTTP header name\n  = help: retry hints name response headers, such as `x-ratelimit-reset`",
            "mini.yaml:5:45: `` is not a valid HTTP header name\n  = help: retry hints name response headers, such as `x-ratelimit-reset`",
        ]
    );
}
