//! `connector new`: a commented starting definition for an auth kind, which parses as it is.

use connector_defs::AuthKind;

/// Why `name` cannot name a connector, if it cannot.
pub fn check_name(name: &str) -> Result<(), String> {
    if connector_defs::naming::is_snake_identifier(name)
        && !connector_defs::naming::is_keyword(name)
    {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a connector name: use lowercase letters, digits and `_`, starting with a letter (and not a Rust keyword), such as `acme_crm`"
        ))
    }
}

/// The YAML of a proxy-ready definition named `name` (a valid name, see [`check_name`]).
pub fn starting_definition(name: &str, kind: AuthKind) -> String {
    let display_name = name
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ");
    let verify = if matches!(kind, AuthKind::ApiKey | AuthKind::Basic | AuthKind::Bearer) {
        VERIFY
    } else {
        ""
    };
    format!(
        "{HEAD}name: {name}\n\
         # Shown in the registry.\n\
         display_name: {display_name}\n\
         {BODY}{auth}{verify}{TAIL}",
        auth = auth(kind),
    )
}

const HEAD: &str = "\
# A connector definition; the format is described in docs/authoring.md.
# Check it:  connector validate FILE
# Use it:    put it in the folder named by CONNECTOR_DEFS_DIR and start the server; it then
#            works through OAuth, connections and the proxy (/v1/proxy/{connection_id}/...).
";

const BODY: &str = "\
# The definition's own version (semver): raise it when you change the file.
version: 0.1.0
description: What the provider's API is for.
docs_url: https://developer.example.com/docs
# For browsing the registry (GET /v1/connectors?category=...): lowercase names such as crm,
# storage, dev-tools.
categories: []
# Every proxied path is appended to it. It may hold a per-connection setting:
#   base_url: https://{connection_config.subdomain}.example.com/api
base_url: https://api.example.com
# Per-connection settings, passed in connection_config when a connection is created or an
# authorization starts, and used as {connection_config.NAME} in URLs and header values:
# connection_config:
#   subdomain:
#     description: The part before .example.com in your account's address.
#     pattern: \"[a-z0-9-]+\"
#     example: acme
# How requests are authenticated; what a connection holds follows from the kind.
";

const VERIFY: &str = "\
# A cheap request that needs a valid credential, sent when a connection is created: a 401 or
# 403 answer refuses the connection (400 invalid_credentials), a 2xx stores it.
# verify: { method: GET, path: /me }
";

const TAIL: &str = "\
# Headers sent with every request.
headers:
  Accept: application/json
# Retries with backoff (429 and 5xx by default); Retry-After is honoured.
retry: { max_attempts: 3 }
# Typed actions, compiled through connector! (docs/codegen.md). Without endpoints the
# connector is proxy-ready: OAuth, connections, the proxy and the envelope.
# endpoints:
#   get_me:
#     method: GET
#     path: /me
#     description: The connected account.
#     response:
#       type: object
#       properties:
#         id: { type: string }
";

fn auth(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Oauth2 => {
            "\
auth:
  kind: oauth2
  # Where the user grants access, and where codes and refresh tokens become tokens.
  authorization_url: https://example.com/oauth/authorize
  token_url: https://example.com/oauth/token
  # Asked for by default; an integration or an authorization may ask for others.
  scopes: [read]
  # PKCE (S256) is used unless `pkce: false`. Extra authorization URL parameters, such as
  # those a provider needs to issue a refresh token:
  # authorization_params: { access_type: offline, prompt: consent }
  # How the client authenticates at token_url: client_secret_post (the default),
  # client_secret_basic or none.
  # token_auth_method: client_secret_basic
"
        }
        AuthKind::Oauth2ClientCredentials => {
            "\
auth:
  kind: oauth2_client_credentials
  # Where the integration's client id and secret are exchanged for a token.
  token_url: https://example.com/oauth/token
  scopes: []
"
        }
        AuthKind::ApiKey => {
            "\
auth:
  kind: api_key
  # Where the key goes: `in: header` and the header's name, or `in: query` and the
  # parameter's name. A connection passes it as credentials.api_key.
  in: header
  name: X-Api-Key
  # Text put before the key (mind the space):
  # prefix: \"Token \"
"
        }
        AuthKind::Basic => {
            "\
auth:
  # Authorization: Basic base64(username:password), from the connection's credentials.
  kind: basic
"
        }
        AuthKind::Bearer => {
            "\
auth:
  # Authorization: Bearer <token>, from the connection's credentials.token.
  kind: bearer
"
        }
        AuthKind::None => {
            "\
auth:
  kind: none
"
        }
        AuthKind::JwtBearer => {
            "\
auth:
  # The RFC 7523 assertion grant (service accounts): the server signs a JWT (RS256) with the
  # connection's credentials.private_key (iss: credentials.issuer, optional sub:
  # credentials.subject) and posts it to token_url, again whenever the token expires.
  kind: jwt_bearer
  token_url: https://example.com/oauth/token
  scopes: [read]
  # The JWT's aud, when not the token URL:
  # audience: https://example.com/
"
        }
        AuthKind::AppJwt => {
            "\
auth:
  # An app's JWT (RS256, signed with the integration's private_key, iss = its client_id)
  # mints short-lived installation tokens at token_url (GitHub Apps).
  kind: app_jwt
  token_url: https://api.example.com/app/installations/{connection_config.installation_id}/access_tokens
connection_config:
  installation_id: { pattern: \"[0-9]+\", example: \"12345\", description: The app installation's id. }
"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_gives_a_definition_that_parses() {
        for kind in [
            AuthKind::Oauth2,
            AuthKind::Oauth2ClientCredentials,
            AuthKind::ApiKey,
            AuthKind::Basic,
            AuthKind::Bearer,
            AuthKind::None,
            AuthKind::JwtBearer,
            AuthKind::AppJwt,
        ] {
            let yaml = starting_definition("acme_crm", kind);
            let def = connector_defs::parse(&yaml, "acme_crm.yaml")
                .unwrap_or_else(|error| panic!("{kind:?}: {error}\n{yaml}"));
            assert_eq!(def.auth.kind, kind);
            assert_eq!(def.display_name.as_deref(), Some("Acme Crm"));
            assert!(def.endpoints.is_empty());
        }
    }

    #[test]
    fn names_are_snake_case_identifiers() {
        assert_eq!(check_name("acme_crm2"), Ok(()));
        for bad in ["", "Acme", "2fa", "acme-crm", "type", "acme crm"] {
            assert!(check_name(bad).unwrap_err().contains(&format!("`{bad}`")));
        }
    }
}
