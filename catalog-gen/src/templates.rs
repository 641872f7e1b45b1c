//! The facts' `${…}` placeholders rewritten into the definition format's `{…}` ones.
//!
//! `${connectionConfig.subdomain}` → `{connection_config.subdomain}`, `${apiKey}` →
//! `{credentials.api_key}`, `${accessToken}` → `{credentials.access_token}`, `${username}` and
//! `${credentials.username}` → `{credentials.username}`; another bare `${name}` is a setting when
//! the row declares one of that name, else a credential field. `A || B` stays as it is: the
//! format takes the first alternative whose settings are all filled.

use heck::ToSnakeCase;

/// A facts name (`instanceUrl`, `accounts-server`, `installation.uuid`) as a definition name.
pub fn snake(name: &str) -> String {
    name.replace(['.', '-'], "_").to_snake_case()
}

/// A template once rewritten, with what it refers to.
#[derive(Debug, Default)]
pub struct Template {
    /// The alternatives, each in the format's syntax.
    pub alternatives: Vec<String>,
    /// Settings referred to, with whether each appears in the last alternative (the fallback).
    pub settings: Vec<(String, bool)>,
    /// Credential fields referred to (`api_key`, `access_token`, `username`…).
    pub credentials: Vec<String>,
    /// Whether the OAuth client id is referred to (`${clientId}`): it becomes the setting
    /// `client_id`, given again with each connection.
    pub client_id: bool,
}

impl Template {
    /// The template in the format's syntax: alternatives joined by ` || `.
    pub fn text(&self) -> String {
        self.alternatives.join(" || ")
    }

    /// The settings that open an alternative, standing for a whole origin
    /// (`${connectionConfig.instance_url}/api`).
    pub fn origin_settings(&self) -> Vec<String> {
        self.alternatives
            .iter()
            .filter_map(|alternative| {
                let rest = alternative.strip_prefix("{connection_config.")?;
                Some(rest[..rest.find('}')?].to_owned())
            })
            .collect()
    }
}

/// Rewrites `template`; `declared` holds the row's settings (their definition names). `Err`
/// says why the template cannot be written in the format (a computed value, the client secret).
pub fn rewrite(template: &str, declared: &[String]) -> Result<Template, String> {
    let mut out = Template::default();
    let alternatives: Vec<&str> = template.split("||").map(str::trim).collect();
    let last = alternatives.len() - 1;
    for (index, alternative) in alternatives.into_iter().enumerate() {
        let mut text = String::with_capacity(alternative.len());
        let mut rest = alternative;
        while let Some(open) = rest.find("${") {
            text.push_str(&rest[..open]);
            let inner = &rest[open + 2..];
            let close = matching_brace(inner)
                .ok_or_else(|| format!("`{template}` has an unclosed placeholder"))?;
            let content = &inner[..close];
            let placeholder = placeholder(content, declared)?;
            match placeholder {
                Placeholder::Setting(name) => {
                    text.push_str(&format!("{{connection_config.{name}}}"));
                    match out.settings.iter_mut().find(|(known, _)| *known == name) {
                        Some((_, in_last)) => *in_last |= index == last,
                        None => out.settings.push((name, index == last)),
                    }
                }
                Placeholder::Credential(name) => {
                    text.push_str(&format!("{{credentials.{name}}}"));
                    if !out.credentials.contains(&name) {
                        out.credentials.push(name);
                    }
                }
                Placeholder::ClientId => {
                    out.client_id = true;
                    text.push_str("{connection_config.client_id}");
                    if !out.settings.iter().any(|(known, _)| known == "client_id") {
                        out.settings.push(("client_id".into(), index == last));
                    }
                }
            }
            rest = &inner[close + 1..];
        }
        text.push_str(rest);
        out.alternatives.push(text);
    }
    Ok(out)
}

enum Placeholder {
    Setting(String),
    Credential(String),
    ClientId,
}

/// What `${content}` stands for; `Err` for a computed value (`now`, `random`, `base64(…)`,
/// `method`, `host`, `path`…) or the client secret, which the format cannot place.
fn placeholder(content: &str, declared: &[String]) -> Result<Placeholder, String> {
    const COMPUTED: &[&str] = &["now", "random", "method", "host", "path", "params"];
    if content == "clientSecret" {
        return Err(
            "`${clientSecret}`: the OAuth client secret cannot be placed in a request".into(),
        );
    }
    if content.contains(['(', ':', '$', ' ', '+']) || COMPUTED.contains(&content) {
        // Named by its function alone: `${awsSigV4(…)}`, `${now:…}`.
        let function = match content.find(['(', ':']) {
            Some(at) => format!(
                "{}{}…{}",
                &content[..at],
                &content[at..=at],
                if content[at..].starts_with('(') {
                    ")"
                } else {
                    ""
                }
            ),
            None => content.to_owned(),
        };
        return Err(format!(
            "`${{{function}}}` computes its value, which the format cannot"
        ));
    }
    if let Some(name) = content.strip_prefix("connectionConfig.") {
        return Ok(Placeholder::Setting(snake(name)));
    }
    if let Some(name) = content.strip_prefix("credentials.") {
        return Ok(Placeholder::Credential(snake(name)));
    }
    if content == "clientId" {
        return Ok(Placeholder::ClientId);
    }
    let name = snake(content);
    // The facts' own credential names are credentials even where a setting is named alike.
    let credential = matches!(content, "apiKey" | "accessToken" | "username" | "password");
    if declared.contains(&name) && !credential {
        Ok(Placeholder::Setting(name))
    } else {
        Ok(Placeholder::Credential(name))
    }
}

/// The index of the `}` closing a placeholder whose `${` was just consumed, nested ones included.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(index),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case() {
        assert_eq!(snake("instanceUrl"), "instance_url");
        assert_eq!(snake("apiKey"), "api_key");
        assert_eq!(snake("secretKey"), "secret_key");
        assert_eq!(snake("accounts-server"), "accounts_server");
        assert_eq!(snake("installation.uuid"), "installation_uuid");
        assert_eq!(snake("ACCESS_URL"), "access_url");
    }

    #[test]
    fn placeholders_are_rewritten() {
        let declared = vec!["subdomain".to_owned(), "api_subdomain".to_owned()];
        let template = rewrite(
            "https://${connectionConfig.subdomain}.x.com/${apiSubdomain}?k=${apiKey}&t=${accessToken}&u=${credentials.username}&p=${password}",
            &declared,
        )
        .unwrap();
        assert_eq!(
            template.text(),
            "https://{connection_config.subdomain}.x.com/{connection_config.api_subdomain}?k={credentials.api_key}&t={credentials.access_token}&u={credentials.username}&p={credentials.password}"
        );
        assert_eq!(
            template.settings,
            vec![("subdomain".into(), true), ("api_subdomain".into(), true)]
        );
        assert_eq!(
            template.credentials,
            ["api_key", "access_token", "username", "password"]
        );
    }

    #[test]
    fn alternatives_mark_the_settings_of_the_fallback() {
        let template = rewrite(
            "https://${connectionConfig.hostname} || https://${connectionConfig.subdomain}.okta.com",
            &[],
        )
        .unwrap();
        assert_eq!(
            template.text(),
            "https://{connection_config.hostname} || https://{connection_config.subdomain}.okta.com"
        );
        assert_eq!(
            template.settings,
            vec![("hostname".into(), false), ("subdomain".into(), true)]
        );
        let origin = rewrite("${connectionConfig.api_domain}/api || https://x.com", &[]).unwrap();
        assert_eq!(origin.origin_settings(), ["api_domain"]);
    }

    #[test]
    fn computed_values_are_refused() {
        for template in [
            "${now:YYYYMMDDTHHmmss[Z]}",
            "Basic ${base64(${credentials.username}:${credentials.password})}",
            "${random}",
            "${clientId}:${clientSecret}",
            "${awsSigV4(${credentials.username}, ${credentials.password}, us-east-1, iam)}",
        ] {
            assert!(rewrite(template, &[]).is_err(), "{template}");
        }
        let client_id = rewrite("${clientId}", &[]).unwrap();
        assert!(client_id.client_id);
        assert_eq!(client_id.text(), "{connection_config.client_id}");
    }
}
