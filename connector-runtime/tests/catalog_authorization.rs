//! Every OAuth 2.0 (authorization code) definition of the catalog builds its authorization URL
//! with example settings: client_id, redirect_uri, state, response_type, the default scopes
//! joined by the separator, the authorization_params and PKCE unless turned off.

use std::collections::HashMap;

use connector_runtime::ConnectorDef;
use connector_runtime::oauth::OAuthApp;

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../connector-defs/catalog");
const REDIRECT: &str = "https://connector.example.test/oauth/callback";

fn catalog() -> Vec<(String, ConnectorDef)> {
    let mut defs: Vec<(String, ConnectorDef)> = std::fs::read_dir(CATALOG)
        .expect("the catalog folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let def = connector_defs::load(&path).unwrap_or_else(|error| panic!("{error}"));
            (path.display().to_string(), def)
        })
        .collect();
    defs.sort_by(|a, b| a.0.cmp(&b.0));
    defs
}

/// A template with every `{connection_config.x}` filled from `config`: the first alternative
/// of `A || B` whose settings are all given, else the last.
fn filled(template: &str, config: &HashMap<String, String>) -> String {
    let alternatives: Vec<&str> = template.split("||").map(str::trim).collect();
    let fill = |alternative: &str| -> Option<String> {
        let mut out = String::new();
        let mut rest = alternative;
        while let Some(open) = rest.find("{connection_config.") {
            out.push_str(&rest[..open]);
            let after = &rest[open + "{connection_config.".len()..];
            let close = after.find('}')?;
            out.push_str(config.get(&after[..close])?);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Some(out)
    };
    alternatives
        .iter()
        .find_map(|alternative| fill(alternative))
        .unwrap_or_else(|| alternatives.last().unwrap().to_string())
}

#[test]
fn every_oauth2_definition_builds_its_authorization_url() {
    let mut checked = 0;
    for (file, def) in catalog() {
        if def.auth.kind != connector_defs::AuthKind::Oauth2 {
            continue;
        }
        // Example values for the settings a caller gives (those kept from the token response
        // are filled by the provider later).
        let config: HashMap<String, String> = def
            .connection_config
            .iter()
            .filter(|(name, _)| !def.auth.keeps_from_token_response(name))
            .filter_map(|(name, field)| Some((name.clone(), field.example.clone()?)))
            .collect();
        let request = OAuthApp::for_connector(&def, "my-client", "my-secret")
            .unwrap_or_else(|error| panic!("{file}: {error}"))
            .with_redirect_url(REDIRECT)
            .with_connection_config(config.clone())
            .authorization_request(None)
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        let url = url::Url::parse(&request.url).unwrap_or_else(|error| panic!("{file}: {error}"));
        let expected_url = filled(def.auth.authorization_url.as_deref().unwrap(), &config);
        assert!(
            request
                .url
                .starts_with(expected_url.split('?').next().unwrap()),
            "{file}: {} does not start with {expected_url}",
            request.url
        );
        let query: HashMap<String, Vec<String>> =
            url.query_pairs()
                .fold(HashMap::new(), |mut query, (name, value)| {
                    query
                        .entry(name.into_owned())
                        .or_default()
                        .push(value.into_owned());
                    query
                });
        let one = |name: &str| -> Option<&str> {
            match query.get(name).map(Vec::as_slice) {
                None => None,
                Some([value]) => Some(value.as_str()),
                Some(values) => panic!("{file}: `{name}` is sent {} times", values.len()),
            }
        };
        assert_eq!(one("client_id"), Some("my-client"), "{file}");
        assert_eq!(one("redirect_uri"), Some(REDIRECT), "{file}");
        assert_eq!(one("state"), Some(request.state.as_str()), "{file}");
        let response_type = def
            .auth
            .authorization_params
            .get("response_type")
            .map_or("code", String::as_str);
        assert_eq!(one("response_type"), Some(response_type), "{file}");
        if def.auth.scopes.is_empty() {
            assert_eq!(one("scope"), None, "{file}");
        } else {
            let scope = def.auth.scopes.join(def.auth.scope_separator());
            assert_eq!(one("scope"), Some(scope.as_str()), "{file}");
        }
        for (name, value) in &def.auth.authorization_params {
            let value = filled(value, &config);
            assert_eq!(
                one(name),
                Some(value.as_str()),
                "{file}: authorization param `{name}`"
            );
        }
        assert_eq!(
            one("code_challenge").is_some(),
            def.auth.pkce(),
            "{file}: PKCE"
        );
        assert_eq!(request.pkce_verifier.is_some(), def.auth.pkce(), "{file}");
        if def.auth.pkce() {
            assert_eq!(one("code_challenge_method"), Some("S256"), "{file}");
        }
        checked += 1;
    }
    assert!(
        checked >= 300,
        "only {checked} OAuth 2.0 definitions in the catalog"
    );
}
