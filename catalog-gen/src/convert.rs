//! One facts row → one connector definition (as JSON, in the order it is written), or the
//! reason the row cannot be written in the format. What the definition cannot do that the
//! facts describe is kept as a limitation, listed in docs/catalog.md.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::facts::Row;
use crate::templates::{Template, rewrite, snake};

/// A row written as a definition.
#[derive(Debug, Clone)]
pub struct Provider {
    pub facts_name: String,
    pub name: String,
    pub display_name: String,
    pub definition: Value,
    /// What the definition cannot do that the facts describe, one sentence each.
    pub limitations: Vec<String>,
    /// Retry facts the format has no field for (`in_body`, `error_code`).
    pub unused_retry_facts: Vec<String>,
}

impl Provider {
    pub fn kind(&self) -> &str {
        self.definition["auth"]["kind"].as_str().unwrap_or_default()
    }

    pub fn categories(&self) -> Vec<&str> {
        self.definition["categories"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// The definition name of a facts name: `-` → `_`, a leading digit spelled out
/// (`1password-events` → `onepassword_events`, `8x8` → `eightx8`).
pub fn definition_name(facts_name: &str) -> String {
    const DIGITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let mut name = facts_name.replace(['-', '.'], "_").to_ascii_lowercase();
    if let Some(digit) = name.chars().next().and_then(|c| c.to_digit(10)) {
        name = format!("{}{}", DIGITS[digit as usize], &name[1..]);
    }
    // A Rust keyword cannot name a module (`box`).
    if connector_defs::naming::is_keyword(&name) {
        name.push_str("_api");
    }
    name
}

/// Patterns supplied for a setting's `format` when the facts give none.
fn format_pattern(format: &str) -> Option<&'static str> {
    match format {
        "hostname" => Some(HOSTNAME),
        "uuid" => {
            Some("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
        }
        "email" => Some(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
        "uri" => Some(r"https?://\S+"),
        _ => None,
    }
}

const HOSTNAME: &str =
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*";

/// Values tried, in order, as the example of a setting the facts give none (or a wrong one) for.
const EXAMPLES: &[&str] = &[
    "acme",
    "acme.example.com",
    "https://acme.example.com",
    "123e4567-e89b-12d3-a456-426614174000",
    "admin@acme.example.com",
    "12345",
    "1234567890",
    "0123456789abcdef0123456789abcdef",
    "ACME",
    "a1b2c3",
    "us",
    "US",
    "v1",
    "2024-01-01",
];

/// Writes `row` as a definition, or says why it cannot be.
pub fn convert(row: &Row) -> Result<Provider, String> {
    let facts_name = row.get("name").to_owned();
    let display_name = row.get("display_name").to_owned();
    let kind = match row.get("auth_mode") {
        "OAUTH2" => "oauth2",
        "OAUTH2_CC" => "oauth2_client_credentials",
        "API_KEY" => "api_key",
        "BASIC" => "basic",
        other => return Err(format!("auth mode `{other}` has no auth kind")),
    };
    let oauth = kind.starts_with("oauth2");
    let mut limitations = Vec::new();

    match row.get("token_auth") {
        "private_key_jwt" => {
            return Err(
                "the client authenticates at the token URL with a signed JWT (private_key_jwt)"
                    .into(),
            );
        }
        "custom" => return Err("the token request is custom to the provider".into()),
        _ => {}
    }
    let credential_fields: Vec<String> = row
        .get("credential_fields")
        .split(',')
        .filter(|field| !field.is_empty())
        .map(snake)
        .collect();
    if credential_fields
        .iter()
        .any(|field| field == "client_certificate")
    {
        return Err("each connection authenticates with a client certificate (mutual TLS)".into());
    }
    if credential_fields
        .iter()
        .any(|field| field == "client_private_key")
    {
        return Err("each connection signs its token requests with a private key".into());
    }

    let config_facts = row.object("connection_config")?;
    let declared: Vec<String> = config_facts.keys().map(|name| snake(name)).collect();

    // Every template, rewritten; `refs` gathers the settings they refer to, in order.
    let mut refs = References::default();
    let url = |column: &str| -> Result<Option<Template>, String> {
        match row.get(column) {
            "" => Ok(None),
            text => {
                let template =
                    rewrite(text, &declared).map_err(|reason| format!("{column}: {reason}"))?;
                if let Some(credential) = template.credentials.first() {
                    return Err(format!(
                        "its {column} holds the credential `{credential}`, which only headers and query parameters may"
                    ));
                }
                Ok(Some(template))
            }
        }
    };
    let mut authorization_url = if kind == "oauth2" {
        url("authorization_url")?
    } else {
        None
    };
    let mut token_url = if oauth { url("token_url")? } else { None };
    let mut base_url = url("base_url")?.ok_or("no base URL")?;
    if kind == "oauth2" && authorization_url.is_none() {
        return Err("the facts give no authorization URL".into());
    }
    if oauth && token_url.is_none() {
        return Err("the facts give no token URL".into());
    }
    if !row.get("refresh_url").is_empty() && row.get("refresh_url") != row.get("token_url") {
        limitations.push(format!(
            "refreshes go to the token URL; the facts name a separate refresh URL `{}`",
            row.get("refresh_url")
        ));
    }

    // Settings that open a URL stand for a whole origin: the token response's (kept from it)
    // for oauth2 when the field has a definition name already; otherwise asked as a host name.
    let mut kept = Vec::new();
    let mut hosts = Vec::new();
    let mut url_settings = Vec::new();
    for template in [
        authorization_url.as_ref(),
        token_url.as_ref(),
        Some(&base_url),
    ]
    .into_iter()
    .flatten()
    {
        refs.note(template);
        url_settings.extend(template.settings.iter().map(|(name, _)| name.clone()));
        for name in template.origin_settings() {
            let raw = format!("${{connectionConfig.{name}}}");
            let named_alike = ["authorization_url", "token_url", "base_url"]
                .iter()
                .any(|column| row.get(column).contains(&raw));
            if kind == "oauth2" && named_alike {
                if !kept.contains(&name) {
                    kept.push(name);
                }
            } else if !hosts.contains(&name) {
                hosts.push(name);
            }
        }
    }
    for template in [
        authorization_url.as_mut(),
        token_url.as_mut(),
        Some(&mut base_url),
    ]
    .into_iter()
    .flatten()
    {
        for alternative in &mut template.alternatives {
            if hosts
                .iter()
                .any(|name| alternative.starts_with(&format!("{{connection_config.{name}}}")))
            {
                alternative.insert_str(0, "https://");
            }
        }
    }
    for name in &hosts {
        limitations.push(format!(
            "the setting `{name}` is a host name (https only, no path), where the facts take a URL"
        ));
    }

    // Headers and query parameters: those placing a credential go under `auth`.
    let mut headers = Map::new();
    let mut auth_headers = Map::new();
    let mut auth_query = Map::new();
    let mut credentials_used: Vec<String> = Vec::new();
    for (column, is_query) in [("proxy_headers", false), ("proxy_query", true)] {
        for (name, value) in row.object(column)? {
            let value = text(&value);
            let template = match rewrite(&value, &declared) {
                Ok(template) => template,
                // A computed value that holds no credential (a request id) is left out; one
                // that does (a signature) leaves the row out.
                Err(_) if !holds_secret(&value) => {
                    limitations.push(format!(
                        "the {} `{name}` (`{value}`) is computed and not sent",
                        if is_query {
                            "query parameter"
                        } else {
                            "header"
                        }
                    ));
                    continue;
                }
                Err(reason) => {
                    let what = if is_query {
                        "query parameter"
                    } else {
                        "header"
                    };
                    return Err(format!("the {what} `{name}`: {reason}"));
                }
            };
            refs.note(&template);
            let value = Value::String(template.text());
            if is_query {
                auth_query.insert(name, value);
            } else if template.credentials.is_empty() {
                headers.insert(name, value);
            } else {
                auth_headers.insert(name, value);
            }
            for credential in template.credentials {
                if !credentials_used.contains(&credential) {
                    credentials_used.push(credential);
                }
            }
        }
    }

    // The OAuth parameters.
    let grant = match kind {
        "oauth2" => "authorization_code",
        _ => "client_credentials",
    };
    let mut authorization_params = Map::new();
    let mut token_params = Map::new();
    let mut refresh_params = Map::new();
    let mut scopes: Vec<String> = row
        .get("default_scopes")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if kind == "oauth2" {
        for (name, value) in row.object("authorization_params")? {
            let value = text(&value);
            match (name.as_str(), value.as_str()) {
                ("response_type", "code") => continue,
                ("scope", _) if scopes.is_empty() => {
                    scopes = value.split_whitespace().map(str::to_owned).collect();
                    continue;
                }
                _ => {}
            }
            match rewrite(&value, &declared) {
                Ok(template) if template.credentials.is_empty() => {
                    refs.note(&template);
                    authorization_params.insert(name, Value::String(template.text()));
                }
                _ => limitations.push(format!(
                    "the authorization parameter `{name}` (`{value}`) is computed and not sent"
                )),
            }
        }
    }
    if oauth {
        for (column, params, own_grant) in [
            ("token_params", &mut token_params, grant),
            ("refresh_params", &mut refresh_params, "refresh_token"),
        ] {
            if column == "refresh_params" && kind != "oauth2" {
                continue;
            }
            for (name, value) in row.object(column)? {
                let value = text(&value);
                if name == "grant_type" {
                    if value == own_grant {
                        continue;
                    }
                    // A client-credentials definition may name its own grant (Zoom's
                    // `account_credentials`); the code exchange and the refresh may not.
                    if kind != "oauth2_client_credentials" || column != "token_params" {
                        return Err(format!(
                            "the token request uses grant type `{value}`, which the runtime does not send"
                        ));
                    }
                    if value == "password" {
                        return Err(
                            "the token request uses the password grant: the user's username and password would be connection_config settings, which are not stored encrypted"
                                .into(),
                        );
                    }
                }
                let template = rewrite(&value, &declared)
                    .map_err(|reason| format!("{column} `{name}`: {reason}"))?;
                if !template.credentials.is_empty() {
                    return Err(format!("{column} `{name}` holds a credential"));
                }
                refs.note(&template);
                params.insert(name, Value::String(template.text()));
            }
        }
    }

    if refs.client_id {
        limitations.push(
            "the API wants the OAuth client id in a header: give it again as the connection setting `client_id`"
                .into(),
        );
    }

    // Credentials: what each kind's connection brings, and where templates put it.
    let credentials: Vec<String> = match kind {
        "api_key" | "basic" => {
            let mut fields = match (kind, credential_fields.is_empty()) {
                ("api_key", true) => vec!["api_key".to_owned()],
                ("basic", true) => vec!["username".to_owned(), "password".to_owned()],
                _ => credential_fields.clone(),
            };
            for credential in &credentials_used {
                if !fields.contains(credential) {
                    fields.push(credential.clone());
                }
            }
            fields
        }
        "oauth2_client_credentials" if credential_fields == ["client_id", "client_secret"] => {
            credential_fields.clone()
        }
        _ => Vec::new(),
    };
    if oauth {
        if let Some(other) = credentials_used.iter().find(|c| *c != "access_token") {
            return Err(format!(
                "its headers place the credential `{other}`, which an OAuth connection does not hold"
            ));
        }
        // The provider's extra token placements come on top of the usual bearer header.
        let templated = !auth_headers.is_empty() || !auth_query.is_empty();
        let has_authorization = auth_headers
            .keys()
            .any(|name| name.eq_ignore_ascii_case("authorization"));
        if templated && !has_authorization {
            auth_headers.insert(
                "authorization".into(),
                Value::String("Bearer {credentials.access_token}".into()),
            );
        }
    }
    if kind == "api_key" && auth_headers.is_empty() && auth_query.is_empty() {
        return Err("the facts do not say where the API key goes".into());
    }
    if kind == "basic"
        && !auth_headers.is_empty()
        && !auth_headers
            .keys()
            .any(|name| name.eq_ignore_ascii_case("authorization"))
    {
        limitations.push("its credential headers replace the `Authorization: Basic` header".into());
    }

    // Settings, declared ones first, each as the definition declares it.
    let mut connection_config = Map::new();
    let used = &refs.settings;
    let mut order: Vec<String> = declared
        .iter()
        .filter(|name| used.contains_key(*name))
        .cloned()
        .collect();
    order.extend(used.keys().filter(|name| !declared.contains(name)).cloned());
    for name in order {
        let facts = config_facts
            .iter()
            .find(|(raw, _)| snake(raw) == name)
            .and_then(|(_, value)| value.as_object());
        let role = if kept.contains(&name) {
            Role::Kept
        } else if hosts.contains(&name) {
            Role::Host
        } else if name == "client_id" && refs.client_id {
            Role::ClientId
        } else {
            Role::Plain
        };
        let usage = Usage {
            in_last: used.get(&name).copied().unwrap_or(true),
            in_url: url_settings.contains(&name),
        };
        let (field, setting_limitations) = setting(&name, facts, role, usage);
        limitations.extend(setting_limitations);
        connection_config.insert(name, Value::Object(field));
    }

    // The definition, in the order it is written.
    let mut auth = Map::new();
    auth.insert("kind".into(), json!(kind));
    let default_credentials: &[&str] = match kind {
        "api_key" => &["api_key"],
        "basic" => &["username", "password"],
        _ => &[],
    };
    if credentials
        .iter()
        .map(String::as_str)
        .ne(default_credentials.iter().copied())
    {
        auth.insert("credentials".into(), json!(credentials));
    }
    if let Some(template) = &authorization_url {
        auth.insert("authorization_url".into(), json!(template.text()));
    }
    if let Some(template) = &token_url {
        auth.insert("token_url".into(), json!(template.text()));
    }
    if oauth {
        if !scopes.is_empty() {
            auth.insert("scopes".into(), json!(scopes));
        }
        match row.get("scope_separator") {
            "" | " " => {}
            separator => {
                auth.insert("scope_separator".into(), json!(separator));
            }
        }
        if kind == "oauth2" && row.get("pkce_disabled") == "true" {
            auth.insert("pkce".into(), json!(false));
        }
        if !authorization_params.is_empty() {
            auth.insert(
                "authorization_params".into(),
                Value::Object(authorization_params),
            );
        }
        if matches!(row.get("token_auth"), "basic" | "header") {
            auth.insert("token_auth_method".into(), json!("client_secret_basic"));
        }
        if let encoding @ ("json" | "query") = row.get("body_format") {
            auth.insert("token_request_encoding".into(), json!(encoding));
        }
        if !token_params.is_empty() {
            auth.insert("token_params".into(), Value::Object(token_params));
        }
        if !refresh_params.is_empty() {
            auth.insert("refresh_params".into(), Value::Object(refresh_params));
        }
        if !kept.is_empty() {
            auth.insert("keep_from_token_response".into(), json!(kept));
        }
    }
    if !auth_headers.is_empty() {
        auth.insert("headers".into(), Value::Object(auth_headers));
    }
    if !auth_query.is_empty() {
        auth.insert("query".into(), Value::Object(auth_query));
    }

    let name = definition_name(&facts_name);
    let mut definition = Map::new();
    definition.insert("name".into(), json!(name));
    definition.insert("display_name".into(), json!(display_name));
    definition.insert("version".into(), json!("1.0.0"));
    definition.insert(
        "description".into(),
        json!(format!(
            "{display_name}: proxy-ready, {}.",
            kind_text(kind, &credentials)
        )),
    );
    let categories = categories(row.get("categories"));
    if !categories.is_empty() {
        definition.insert("categories".into(), json!(categories));
    }
    definition.insert("base_url".into(), json!(base_url.text()));
    if !connection_config.is_empty() {
        definition.insert("connection_config".into(), Value::Object(connection_config));
    }
    definition.insert("auth".into(), Value::Object(auth));
    if !headers.is_empty() {
        definition.insert("headers".into(), Value::Object(headers));
    }
    if matches!(kind, "api_key" | "basic") {
        match verify(row.get("verify")) {
            Ok(Some(verify)) => {
                definition.insert("verify".into(), verify);
            }
            Ok(None) => {}
            Err(limitation) => limitations.push(limitation),
        }
    }
    let (retry, unused_retry_facts) = retry(&row.object("retry")?);
    if let Some(retry) = retry {
        definition.insert("retry".into(), retry);
    }

    Ok(Provider {
        facts_name,
        name,
        display_name,
        definition: Value::Object(definition),
        limitations,
        unused_retry_facts,
    })
}

/// The settings a row's templates refer to, in order, each with whether it appears in a last
/// alternative (so that a caller must give it); and whether the OAuth client id is referred to.
#[derive(Default)]
struct References {
    settings: IndexMap<String, bool>,
    client_id: bool,
}

impl References {
    fn note(&mut self, template: &Template) {
        for (name, in_last) in &template.settings {
            *self.settings.entry(name.clone()).or_insert(false) |= *in_last;
        }
        self.client_id |= template.client_id;
    }
}

/// Where a setting is used.
#[derive(Clone, Copy)]
struct Usage {
    /// In a last alternative (or a template without any): a caller must give it.
    in_last: bool,
    /// In a URL, where only unreserved characters may be spliced.
    in_url: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// Given by the caller, spliced as the facts say.
    Plain,
    /// Filled from the token response (a whole origin).
    Kept,
    /// Opens a URL but is not in the token response: asked as a host name.
    Host,
    /// The OAuth client id, given again for a header.
    ClientId,
}

/// A setting as the definition declares it, with a limitation when a facts pattern cannot be
/// used.
fn setting(
    name: &str,
    facts: Option<&Map<String, Value>>,
    role: Role,
    usage: Usage,
) -> (Map<String, Value>, Vec<String>) {
    let fact = |key: &str| facts.and_then(|facts| facts.get(key)).map(text);
    let mut limitations = Vec::new();
    let mut description = Vec::new();
    match (fact("prefix"), fact("suffix")) {
        (Some(prefix), Some(suffix)) => {
            description.push(format!("The part between `{prefix}` and `{suffix}`."))
        }
        (Some(prefix), None) if role != Role::Host => {
            description.push(format!("The part after `{prefix}`."))
        }
        (None, Some(suffix)) => description.push(format!("The part before `{suffix}`.")),
        _ => {}
    }
    let mut pattern = match role {
        Role::Host => Some(HOSTNAME.to_owned()),
        _ => fact("pattern").map(|pattern| unanchored(&pattern)),
    };
    if let Some(bad) = pattern
        .as_ref()
        .filter(|pattern| compile(pattern).is_none())
    {
        limitations.push(format!(
            "the pattern of setting `{name}` (`{bad}`) uses syntax Rust's regex lacks and is not checked"
        ));
        pattern = None;
    }
    if pattern.is_none() {
        pattern = fact("format")
            .and_then(|format| format_pattern(&format))
            .map(str::to_owned);
    }
    match role {
        Role::Kept => description.push("Filled from the token response.".into()),
        Role::Host => description.push("The host name alone, such as `api.example.com`.".into()),
        Role::ClientId => {
            description.push("The OAuth app's client id, which the API wants in a header.".into())
        }
        Role::Plain => {}
    }
    let facts_example = fact("example").map(|example| match role {
        // A URL's host: `https://api.example.com/x` → `api.example.com`.
        Role::Host => example
            .split("://")
            .last()
            .unwrap_or_default()
            .split(['/', ':'])
            .next()
            .unwrap_or_default()
            .to_owned(),
        _ => example,
    });
    // Values spliced into a URL take unreserved characters only (no scheme, port or path).
    let spliced = usage.in_url && role != Role::Kept;
    let spliceable = |value: &str| {
        !spliced
            || value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    if let Some(example) = facts_example
        .as_deref()
        .filter(|example| !spliceable(example))
    {
        limitations.push(format!(
            "the setting `{name}` goes into a URL and takes letters, digits, `-`, `.`, `_` and `~` only (no scheme, port or path), where the facts' example is `{example}`"
        ));
    }
    let mut default = None;
    let mut example = None;
    for _ in 0..2 {
        let regex = pattern.as_deref().and_then(compile);
        let fits = |value: &str| {
            spliceable(value) && regex.as_ref().is_none_or(|regex| regex.is_match(value))
        };
        default = fact("default_value").filter(|value| !value.is_empty() && fits(value));
        example = facts_example
            .clone()
            .filter(|example| !example.is_empty() && fits(example))
            .or_else(|| default.clone())
            .or_else(|| match role {
                Role::Kept => Some("https://acme.example.com".to_owned()),
                _ => EXAMPLES
                    .iter()
                    .find(|example| fits(example))
                    .map(|example| (*example).to_owned()),
            });
        if example.is_some() {
            break;
        }
        // No URL-safe value fits the facts' pattern (it wants a scheme or a path): a host name.
        pattern = Some(HOSTNAME.to_owned());
    }
    // An empty default says the setting may be left out.
    let optional = facts
        .and_then(|facts| facts.get("optional"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || fact("default_value").is_some_and(|value| value.is_empty());
    let required = !optional && default.is_none() && usage.in_last && role != Role::Kept;

    let mut field = Map::new();
    if !description.is_empty() {
        field.insert("description".into(), json!(description.join(" ")));
    }
    if !required {
        field.insert("required".into(), json!(false));
    }
    if let Some(default) = default {
        field.insert("default".into(), json!(default));
    }
    if let Some(pattern) = pattern {
        field.insert("pattern".into(), json!(pattern));
    }
    if let Some(example) = example {
        field.insert("example".into(), json!(example));
    }
    (field, limitations)
}

/// A pattern without the `^…$` the format adds itself.
fn unanchored(pattern: &str) -> String {
    let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
    match pattern.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => rest.to_owned(),
        _ => pattern.to_owned(),
    }
}

/// The pattern as the format checks it (anchored), if Rust's regex takes it.
fn compile(pattern: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!("^(?:{pattern})$")).ok()
}

/// `METHOD /a [/b]` → `{method, path}` or `{method, paths}`; `Err` is the limitation of a row
/// whose paths all hold placeholders.
fn verify(facts: &str) -> Result<Option<Value>, String> {
    let mut words = facts.split_whitespace();
    let Some(method) = words.next() else {
        return Ok(None);
    };
    let paths: Vec<String> = words
        .filter(|path| !path.contains("${"))
        .map(|path| {
            if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            }
        })
        .collect();
    match paths.as_slice() {
        [] => Err(format!(
            "no verify request: its path (`{facts}`) holds a setting or the credential"
        )),
        [path] => Ok(Some(
            json!({"method": method.to_ascii_uppercase(), "path": path}),
        )),
        _ => Ok(Some(
            json!({"method": method.to_ascii_uppercase(), "paths": paths}),
        )),
    }
}

/// The retry hints (`after` when not the default `[retry-after]`, `at`, `remaining`), and the
/// names of the facts the format has no field for.
fn retry(facts: &Map<String, Value>) -> (Option<Value>, Vec<String>) {
    let headers = |key: &str| -> Vec<String> {
        match facts.get(key) {
            Some(Value::Array(list)) => list.iter().map(|h| text(h).to_ascii_lowercase()).collect(),
            Some(Value::String(one)) => vec![one.to_ascii_lowercase()],
            _ => Vec::new(),
        }
    };
    let mut retry = Map::new();
    let after = headers("after");
    if !after.is_empty() && after != ["retry-after"] {
        retry.insert("after".into(), json!(after));
    }
    let at = headers("at");
    if !at.is_empty() {
        retry.insert("at".into(), json!(at));
    }
    if let Some(remaining) = headers("remaining").first() {
        retry.insert("remaining".into(), json!(remaining));
    }
    let unused = facts
        .keys()
        .filter(|key| !matches!(key.as_str(), "after" | "at" | "remaining"))
        .cloned()
        .collect();
    ((!retry.is_empty()).then_some(Value::Object(retry)), unused)
}

/// The facts' categories as the format spells them: lower case, `[a-z][a-z0-9_-]*`, once each.
fn categories(facts: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for category in facts.split(',') {
        let category: String = category
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let category = category
            .trim_start_matches(|c: char| !c.is_ascii_lowercase())
            .to_owned();
        if !category.is_empty() && !out.contains(&category) {
            out.push(category);
        }
    }
    out
}

fn kind_text(kind: &str, credentials: &[String]) -> String {
    match kind {
        "oauth2" => "OAuth 2.0 authorization code".into(),
        "oauth2_client_credentials" if !credentials.is_empty() => {
            "OAuth 2.0 client credentials (each connection brings its own client)".into()
        }
        "oauth2_client_credentials" => "OAuth 2.0 client credentials".into(),
        "basic" => "basic credentials".into(),
        _ if credentials.len() > 1 => format!("API key ({})", credentials.join(", ")),
        _ => "API key".into(),
    }
}

/// Whether a facts template refers to a credential or the OAuth client's own id or secret.
fn holds_secret(template: &str) -> bool {
    [
        "credentials.",
        "${apiKey}",
        "${accessToken}",
        "${username}",
        "${password}",
        "${client",
    ]
    .iter()
    .any(|secret| template.contains(secret))
}

/// A facts value as text: strings as they are, booleans as `true`/`false`, numbers as written.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(definition_name("1password-events"), "onepassword_events");
        assert_eq!(definition_name("8x8"), "eightx8");
        assert_eq!(definition_name("google-mail"), "google_mail");
        assert_eq!(definition_name("box"), "box_api");
    }

    #[test]
    fn verify_requests() {
        assert_eq!(
            verify("GET me").unwrap(),
            Some(json!({"method": "GET", "path": "/me"}))
        );
        assert_eq!(
            verify("POST /a b").unwrap(),
            Some(json!({"method": "POST", "paths": ["/a", "/b"]}))
        );
        assert!(verify("GET /keys/${credentials.apiKey}").is_err());
        assert_eq!(verify("").unwrap(), None);
    }

    #[test]
    fn retry_hints() {
        let facts = json!({"after": ["Retry-After"], "at": ["x-ratelimit-reset"], "remaining": "x-ratelimit-remaining", "error_code": ["429"]});
        let (retry, unused) = retry(facts.as_object().unwrap());
        assert_eq!(
            retry,
            Some(json!({"at": ["x-ratelimit-reset"], "remaining": "x-ratelimit-remaining"}))
        );
        assert_eq!(unused, ["error_code"]);
    }

    #[test]
    fn categories_are_normalised() {
        assert_eq!(
            categories("CRM, Dev Tools,crm,,popular"),
            ["crm", "dev-tools", "popular"]
        );
    }

    #[test]
    fn patterns() {
        assert_eq!(unanchored("^[a-z]+$"), "[a-z]+");
        assert_eq!(unanchored(r"^a\$"), r"a\$");
        assert!(compile("(?!x)y").is_none());
    }
}

#[cfg(test)]
mod row_tests {
    use super::*;
    use crate::facts;

    /// Converts one row given as `column=value` pairs (the rest empty).
    fn convert_row(cells: &[(&str, &str)]) -> Result<Provider, String> {
        let header = facts::COLUMNS.join("\t");
        let line: Vec<&str> = facts::COLUMNS
            .iter()
            .map(|column| {
                cells
                    .iter()
                    .find(|(name, _)| name == column)
                    .map_or("", |(_, value)| value)
            })
            .collect();
        let rows = facts::read(&format!("{header}\n{}\n", line.join("\t"))).unwrap();
        convert(&rows[0])
    }

    #[test]
    fn an_api_key_row() {
        let provider = convert_row(&[
            ("name", "acme-desk"),
            ("display_name", "Acme Desk"),
            ("auth_mode", "API_KEY"),
            ("base_url", "https://${connectionConfig.subdomain}.acme.example"),
            ("categories", "Support,ticketing"),
            (
                "proxy_headers",
                r#"{"authorization":"Token token=${apiKey}","x-version":"${connectionConfig.version} || 2024-01-01"}"#,
            ),
            ("proxy_query", r#"{"account":"${connectionConfig.subdomain}"}"#),
            (
                "connection_config",
                r#"{"subdomain":{"pattern":"^[a-z]+$","prefix":"https://","suffix":".acme.example","type":"string"},"version":{"type":"string"}}"#,
            ),
            ("credential_fields", "apiKey"),
            ("verify", "GET me"),
            ("retry", r#"{"after":["x-retry-after"],"error_code":["429"]}"#),
        ])
        .unwrap();
        assert_eq!(provider.name, "acme_desk");
        assert_eq!(
            provider.definition,
            json!({
                "name": "acme_desk",
                "display_name": "Acme Desk",
                "version": "1.0.0",
                "description": "Acme Desk: proxy-ready, API key.",
                "categories": ["support", "ticketing"],
                "base_url": "https://{connection_config.subdomain}.acme.example",
                "connection_config": {
                    "subdomain": {
                        "description": "The part between `https://` and `.acme.example`.",
                        "pattern": "[a-z]+",
                        "example": "acme",
                    },
                    "version": { "required": false, "example": "acme" },
                },
                "auth": {
                    "kind": "api_key",
                    "headers": { "authorization": "Token token={credentials.api_key}" },
                    "query": { "account": "{connection_config.subdomain}" },
                },
                "headers": { "x-version": "{connection_config.version} || 2024-01-01" },
                "verify": { "method": "GET", "path": "/me" },
                "retry": { "after": ["x-retry-after"] },
            })
        );
        assert_eq!(provider.unused_retry_facts, ["error_code"]);
        assert!(provider.limitations.is_empty());
    }

    #[test]
    fn an_oauth2_row() {
        let provider = convert_row(&[
            ("name", "8x8"),
            ("display_name", "8x8"),
            ("auth_mode", "OAUTH2"),
            ("authorization_url", "https://id.example/authorize"),
            ("token_url", "https://id.example/token"),
            ("base_url", "${connectionConfig.api_domain}/api"),
            ("scope_separator", ","),
            ("default_scopes", "read write"),
            ("pkce_disabled", "true"),
            ("token_auth", "header"),
            (
                "authorization_params",
                r#"{"response_type":"code","prompt":"consent","force":true}"#,
            ),
            (
                "token_params",
                r#"{"grant_type":"authorization_code","audience":"${connectionConfig.tenant}"}"#,
            ),
            ("refresh_params", r#"{"grant_type":"refresh_token"}"#),
            ("proxy_headers", r#"{"x-token":"${accessToken}"}"#),
            ("body_format", "json"),
        ])
        .unwrap();
        assert_eq!(provider.name, "eightx8");
        assert_eq!(
            provider.definition["auth"],
            json!({
                "kind": "oauth2",
                "authorization_url": "https://id.example/authorize",
                "token_url": "https://id.example/token",
                "scopes": ["read", "write"],
                "scope_separator": ",",
                "pkce": false,
                "authorization_params": { "prompt": "consent", "force": "true" },
                "token_auth_method": "client_secret_basic",
                "token_request_encoding": "json",
                "token_params": { "audience": "{connection_config.tenant}" },
                "keep_from_token_response": ["api_domain"],
                "headers": {
                    "x-token": "{credentials.access_token}",
                    "authorization": "Bearer {credentials.access_token}",
                },
            })
        );
        assert_eq!(
            provider.definition["connection_config"]["api_domain"],
            json!({
                "description": "Filled from the token response.",
                "required": false,
                "example": "https://acme.example.com",
            })
        );
    }

    #[test]
    fn client_credentials_with_per_connection_clients_and_a_basic_row() {
        let cc = convert_row(&[
            ("name", "acme-cc"),
            ("display_name", "Acme"),
            ("auth_mode", "OAUTH2_CC"),
            ("token_url", "https://id.example/token"),
            ("base_url", "https://api.example"),
            ("token_params", r#"{"grant_type":"client_credentials"}"#),
            ("credential_fields", "client_id,client_secret"),
        ])
        .unwrap();
        assert_eq!(
            cc.definition["auth"],
            json!({
                "kind": "oauth2_client_credentials",
                "credentials": ["client_id", "client_secret"],
                "token_url": "https://id.example/token",
            })
        );
        let basic = convert_row(&[
            ("name", "acme-basic"),
            ("display_name", "Acme"),
            ("auth_mode", "BASIC"),
            ("base_url", "https://api.example"),
            ("credential_fields", "username,password"),
        ])
        .unwrap();
        assert_eq!(basic.definition["auth"], json!({ "kind": "basic" }));
        // No credential fields in the facts: the kind's own.
        let bare = convert_row(&[
            ("name", "acme-bare"),
            ("display_name", "Acme"),
            ("auth_mode", "BASIC"),
            ("base_url", "https://api.example"),
        ])
        .unwrap();
        assert_eq!(bare.definition["auth"], json!({ "kind": "basic" }));
    }

    #[test]
    fn a_client_credentials_row_may_name_its_grant() {
        let zoom = convert_row(&[
            ("name", "zoom-cc"),
            ("display_name", "Zoom"),
            ("auth_mode", "OAUTH2_CC"),
            ("token_url", "https://zoom.us/oauth/token"),
            ("base_url", "https://api.zoom.us"),
            ("token_auth", "basic"),
            (
                "token_params",
                r#"{"account_id":"${connectionConfig.accountId}","grant_type":"account_credentials"}"#,
            ),
            ("connection_config", r#"{"accountId":{"type":"string"}}"#),
        ])
        .unwrap();
        assert_eq!(
            zoom.definition["auth"]["token_params"],
            json!({
                "account_id": "{connection_config.account_id}",
                "grant_type": "account_credentials",
            })
        );
        assert_eq!(
            zoom.definition["auth"]["token_auth_method"],
            "client_secret_basic"
        );
    }

    #[test]
    fn rows_that_cannot_work_say_why() {
        let signed = convert_row(&[
            ("name", "signed"),
            ("auth_mode", "BASIC"),
            ("base_url", "https://api.example"),
            (
                "proxy_headers",
                r#"{"authorization":"${awsSigV4(${credentials.username}, ${credentials.password})}"}"#,
            ),
        ]);
        assert!(signed.unwrap_err().contains("computes its value"));
        let other_grant = convert_row(&[
            ("name", "pw"),
            ("auth_mode", "OAUTH2_CC"),
            ("token_url", "https://id.example/token"),
            ("base_url", "https://api.example"),
            ("token_params", r#"{"grant_type":"password"}"#),
        ]);
        assert!(other_grant.unwrap_err().contains("the password grant"));
        let refresh_grant = convert_row(&[
            ("name", "odd-refresh"),
            ("auth_mode", "OAUTH2"),
            ("authorization_url", "https://id.example/authorize"),
            ("token_url", "https://id.example/token"),
            ("base_url", "https://api.example"),
            ("refresh_params", r#"{"grant_type":"refresh_it"}"#),
        ]);
        assert!(
            refresh_grant
                .unwrap_err()
                .contains("grant type `refresh_it`")
        );
        let key_in_url = convert_row(&[
            ("name", "bot"),
            ("auth_mode", "API_KEY"),
            ("base_url", "https://api.example/bot${apiKey}"),
            ("credential_fields", "apiKey"),
        ]);
        assert!(
            key_in_url
                .unwrap_err()
                .contains("base_url holds the credential")
        );
        // A computed request id is left out, with a limitation.
        let random = convert_row(&[
            ("name", "random"),
            ("auth_mode", "API_KEY"),
            ("base_url", "https://api.example"),
            (
                "proxy_headers",
                r#"{"x-key":"${apiKey}","x-request-id":"${random}"}"#,
            ),
        ])
        .unwrap();
        assert_eq!(
            random.definition["auth"]["headers"],
            json!({ "x-key": "{credentials.api_key}" })
        );
        assert_eq!(random.limitations.len(), 1, "{:?}", random.limitations);
    }
}
