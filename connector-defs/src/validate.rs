//! Semantic rules: what serde cannot check field by field.
//!
//! Each rule reports at the node it concerns, found through the [`SourceMap`]. The macro and
//! the run-time loader both call [`validate`], so a definition accepted by one is accepted by
//! the other.

use std::collections::{BTreeSet, HashMap};

use crate::error::Diagnostic;
use crate::model::*;
use crate::naming;
use crate::source_map::SourceMap;
use crate::template::{self, Piece};

pub(crate) fn validate(def: &ConnectorDef, map: &SourceMap) -> Vec<Diagnostic> {
    let mut check = Checker {
        map,
        diagnostics: Vec::new(),
        schemas: &def.schemas,
    };
    for duplicate in map.duplicate_keys() {
        check.diagnostics.push(
            Diagnostic::new(
                duplicate.second,
                format!("duplicate key `{}`", duplicate.key),
            )
            .with_help(format!(
                "it is first defined at line {}, column {}; remove one of them",
                duplicate.first.line, duplicate.first.column
            )),
        );
    }
    check.connector(def);
    check.diagnostics
}

struct Checker<'a> {
    map: &'a SourceMap,
    diagnostics: Vec<Diagnostic>,
    /// The named schemas that `$ref`s point to.
    schemas: &'a indexmap::IndexMap<String, Schema>,
}

impl Checker<'_> {
    /// Reports at the key naming the node at `path`.
    fn at_key(&mut self, path: &[&str], message: impl Into<String>) -> &mut Diagnostic {
        let position = self.map.key(path);
        self.diagnostics.push(Diagnostic::new(position, message));
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Reports at the value of the node at `path`.
    fn at_value(&mut self, path: &[&str], message: impl Into<String>) -> &mut Diagnostic {
        let position = self.map.value(path);
        self.diagnostics.push(Diagnostic::new(position, message));
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn connector(&mut self, def: &ConnectorDef) {
        if !naming::is_snake_identifier(&def.name) || naming::is_keyword(&def.name) {
            self.at_value(&["name"], format!("invalid connector name `{}`", def.name))
                .help = Some("use lowercase letters, digits and `_`, starting with a letter (it becomes a Rust module name)".into());
        }
        if semver::Version::parse(&def.version).is_err() {
            self.at_value(
                &["version"],
                format!("`{}` is not a semantic version", def.version),
            )
            .help = Some("write it as MAJOR.MINOR.PATCH, such as `1.0.0`".into());
        }
        if let Some(docs_url) = &def.docs_url {
            self.url(&["docs_url"], docs_url, def);
        }
        self.url(&["base_url"], &def.base_url, def);
        for (name, field) in &def.connection_config {
            if !naming::is_snake_identifier(name) {
                self.at_key(
                    &["connection_config", name],
                    format!("invalid connection_config name `{name}`"),
                )
                .help =
                    Some("use lowercase letters, digits and `_`, starting with a letter".into());
            }
            if field.required && field.default.is_some() {
                self.at_key(
                    &["connection_config", name, "default"],
                    "a required setting cannot have a default",
                )
                .help = Some("remove `default`, or set `required: false`".into());
            }
            self.config_pattern(name, field);
        }
        for name in def.headers.keys() {
            self.header_name(&["headers", name], name);
        }
        for (name, value) in &def.headers {
            self.header_value(&["headers", name], value, def);
        }
        self.auth(def);
        self.named_schemas(def);
        if let Some(retry) = &def.retry {
            if retry.max_attempts == 0 {
                self.at_value(
                    &["retry", "max_attempts"],
                    "max_attempts must be at least 1 (the first attempt counts)",
                );
            }
            for (index, status) in retry.on_status.iter().enumerate() {
                if !(100..=599).contains(status) {
                    self.at_value(
                        &["retry", "on_status", &index.to_string()],
                        format!("{status} is not an HTTP status"),
                    );
                }
            }
            let hints = retry
                .after
                .iter()
                .enumerate()
                .map(|(index, name)| (vec!["after".to_owned(), index.to_string()], name))
                .chain(
                    retry
                        .at
                        .iter()
                        .enumerate()
                        .map(|(index, name)| (vec!["at".to_owned(), index.to_string()], name)),
                )
                .chain(
                    retry
                        .remaining
                        .iter()
                        .map(|name| (vec!["remaining".to_owned()], name)),
                );
            for (at, name) in hints {
                if !is_header_name(name) {
                    let mut path = vec!["retry"];
                    path.extend(at.iter().map(String::as_str));
                    self.at_value(&path, format!("`{name}` is not a valid HTTP header name"))
                        .help = Some(
                        "retry hints name response headers, such as `x-ratelimit-reset`".into(),
                    );
                }
            }
            if retry.initial_backoff_ms > retry.max_backoff_ms {
                self.at_value(
                    &["retry", "initial_backoff_ms"],
                    "initial_backoff_ms is larger than max_backoff_ms",
                );
            }
        }
        if let Some(rate_limit) = &def.rate_limit {
            if rate_limit.requests == 0 {
                self.at_value(&["rate_limit", "requests"], "requests must be at least 1");
            }
            if rate_limit.per_seconds == 0 {
                self.at_value(
                    &["rate_limit", "per_seconds"],
                    "per_seconds must be at least 1",
                );
            }
        }
        if def.timeout_ms == Some(0) {
            self.at_value(&["timeout_ms"], "timeout_ms must be at least 1");
        }
        let mut type_names: HashMap<String, &str> = HashMap::new();
        for (name, endpoint) in &def.endpoints {
            if !naming::is_snake_identifier(name) || naming::is_keyword(name) {
                self.at_key(&["endpoints", name], format!("invalid endpoint name `{name}`"))
                    .help = Some("use lowercase letters, digits and `_`, starting with a letter (it becomes a Rust method name)".into());
            } else if let Some(other) = type_names.insert(naming::type_name(name), name) {
                self.at_key(
                    &["endpoints", name],
                    format!("endpoint `{name}` would generate the same type names as `{other}`"),
                )
                .help = Some("rename one of them".into());
            }
            self.endpoint(def, name, endpoint);
        }
        self.categories(def);
        self.verify(def);
        self.webhooks(def);
    }

    /// `webhooks`: the signature fields the scheme takes, valid header names and JSON
    /// pointers, and a connection matched on a declared connection_config setting.
    fn webhooks(&mut self, def: &ConnectorDef) {
        let Some(webhooks) = &def.webhooks else {
            return;
        };
        let signature = &webhooks.signature;
        let scheme = signature.scheme;
        let hmac = scheme == SignatureScheme::HmacSha256;
        let takes_header = matches!(
            scheme,
            SignatureScheme::HmacSha256 | SignatureScheme::Stripe | SignatureScheme::Slack
        );
        // `encoding` has a default, so whether it is written is read from the document.
        let encoding_written = self.map.contains(&["webhooks", "signature", "encoding"]);
        // (field, present, allowed for this scheme, required for this scheme)
        let fields = [
            ("header", signature.header.is_some(), takes_header, hmac),
            ("prefix", signature.prefix.is_some(), hmac, false),
            ("encoding", encoding_written, hmac, false),
        ];
        for (field, present, allowed, required) in fields {
            if present && !allowed {
                self.at_key(
                    &["webhooks", "signature", field],
                    format!(
                        "`{field}` does not apply to signature scheme `{}`",
                        scheme.as_str()
                    ),
                )
                .help = Some(format!("remove `{field}`, or change `scheme`"));
            } else if !present && required {
                self.at_key(
                    &["webhooks", "signature", "scheme"],
                    format!("signature scheme `{}` needs `{field}`", scheme.as_str()),
                )
                .help = Some(format!(
                    "add `{field}:` under `signature:`, the header that carries the signature, such as `X-Hub-Signature-256`"
                ));
            }
        }
        if let Some(header) = &signature.header
            && takes_header
        {
            self.webhook_header(&["webhooks", "signature", "header"], header);
        }
        if let Some(event_type) = &webhooks.event_type {
            self.webhook_value("event_type", event_type);
        }
        let Some(connection) = &webhooks.connection else {
            return;
        };
        self.webhook_value("connection", &connection.value);
        let setting = &connection.matches;
        if def.connection_config.contains_key(setting) {
            return;
        }
        let at = ["webhooks", "connection", "matches"];
        if def.connection_config.is_empty() {
            self.at_value(
                &at,
                format!("`matches` names connection_config setting `{setting}`, but the definition declares no connection_config"),
            )
            .help = Some(format!(
                "declare it under `connection_config:` as `{setting}: {{ description: … }}`, or leave `connection` out"
            ));
            return;
        }
        let declared: Vec<&str> = def.connection_config.keys().map(String::as_str).collect();
        self.at_value(
            &at,
            format!("`matches` names no connection_config setting `{setting}`"),
        )
        .help = Some(
            match crate::suggest::closest(setting, declared.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "the settings are: {}; declare `{setting}` under `connection_config:`",
                    declared.join(", ")
                ),
            },
        );
    }

    /// `event_type` or `connection`: a valid header name, or a JSON pointer into the body.
    fn webhook_value(&mut self, field: &str, value: &WebhookValue) {
        match value {
            WebhookValue::Header(name) => {
                self.webhook_header(&["webhooks", field, "header"], name);
            }
            WebhookValue::Body(pointer) => {
                let at = ["webhooks", field, "body"];
                if !pointer.starts_with('/') {
                    self.at_value(
                        &at,
                        format!("`{pointer}` is not a JSON pointer: it must start with `/`"),
                    )
                    .help = Some(
                        "write the path of the field in the JSON body, such as `/installation/id`"
                            .into(),
                    );
                } else if !escapes_are_valid(pointer) {
                    self.at_value(
                        &at,
                        format!(
                            "`{pointer}` is not a JSON pointer: `~` must be followed by `0` or `1`"
                        ),
                    )
                    .help = Some("write `~0` for a `~` and `~1` for a `/` inside a key".into());
                }
            }
        }
    }

    fn webhook_header(&mut self, path: &[&str], name: &str) {
        if !is_header_name(name) {
            self.at_value(path, format!("`{name}` is not a valid HTTP header name"));
        }
    }

    /// Categories are lowercase names (`crm`, `dev-tools`), each listed once.
    fn categories(&mut self, def: &ConnectorDef) {
        let mut seen = BTreeSet::new();
        for (index, category) in def.categories.iter().enumerate() {
            let path = ["categories", &index.to_string()];
            let well_formed = category.starts_with(|c: char| c.is_ascii_lowercase())
                && category
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c));
            if !well_formed {
                self.at_value(&path, format!("invalid category `{category}`"))
                    .help = Some(
                    "use lowercase letters, digits, `-` and `_`, starting with a letter, such as `dev-tools`".into(),
                );
            } else if !seen.insert(category.as_str()) {
                self.at_value(&path, format!("category `{category}` is listed twice"))
                    .help = Some("remove one of them".into());
            }
        }
    }

    /// `verify` checks a credential the user typed in: only kinds that take one, and a plain
    /// path under the base URL.
    fn verify(&mut self, def: &ConnectorDef) {
        let Some(verify) = &def.verify else {
            return;
        };
        let kind = def.auth.kind;
        if !matches!(kind, AuthKind::ApiKey | AuthKind::Basic | AuthKind::Bearer) {
            self.at_key(
                &["verify"],
                format!("`verify` does not apply to auth kind `{}`", kind.as_str()),
            )
            .help = Some(
                "only api_key, basic and bearer credentials are checked when a connection is created"
                    .into(),
            );
        }
        match (&verify.path, verify.paths.is_empty()) {
            (Some(_), false) => {
                self.at_key(&["verify", "paths"], "give `path` or `paths`, not both")
                    .help = Some("put every path under `paths`".into());
            }
            (None, true) => {
                self.at_key(&["verify"], "`verify` needs `path` or `paths`")
                    .help = Some("add `path: /me` (appended to the base URL)".into());
            }
            _ => {}
        }
        let mut located: Vec<(Vec<String>, &str)> = Vec::new();
        if let Some(path) = &verify.path {
            located.push((vec!["verify".into(), "path".into()], path.as_str()));
        }
        for (index, path) in verify.paths.iter().enumerate() {
            located.push((
                vec!["verify".into(), "paths".into(), index.to_string()],
                path.as_str(),
            ));
        }
        for (at, path) in located {
            let at: Vec<&str> = at.iter().map(String::as_str).collect();
            if !path.starts_with('/') || path.starts_with("//") {
                self.at_value(
                    &at,
                    format!("verify path `{path}` must start with a single `/`"),
                )
                .help = Some("it is appended to the base URL".into());
            } else if path.contains(['{', '}', '#']) {
                self.at_value(
                    &at,
                    format!("verify path `{path}` cannot hold placeholders or a fragment"),
                );
            }
        }
    }

    /// A connection_config `pattern` compiles, and the `default` and `example` match it.
    fn config_pattern(&mut self, name: &str, field: &ConfigField) {
        let Some(pattern) = &field.pattern else {
            return;
        };
        if let Err(message) = crate::bounds::compile_anchored(pattern) {
            self.at_value(&["connection_config", name, "pattern"], message);
            return;
        }
        for (key, value) in [("default", &field.default), ("example", &field.example)] {
            if let Some(value) = value
                && let Err(reason) = field.check(value)
            {
                self.at_value(
                    &["connection_config", name, key],
                    format!("{key} of connection_config `{name}` {reason}"),
                );
            }
        }
    }

    /// A URL that may hold `{connection_config.NAME}` placeholders, and `A || B`
    /// alternatives (each a URL).
    fn url(&mut self, path: &[&str], url: &str, def: &ConnectorDef) {
        for alternative in template::alternatives(url) {
            if !self.url_alternative(path, alternative, def) {
                return;
            }
        }
    }

    /// One alternative of a URL; answers whether it is valid.
    fn url_alternative(&mut self, path: &[&str], url: &str, def: &ConnectorDef) -> bool {
        let unclosed = || format!("unclosed `{{` in `{url}`");
        let Ok(pieces) = template::pieces(url) else {
            self.at_value(path, unclosed());
            return false;
        };
        let mut concrete = String::with_capacity(url.len());
        for (index, piece) in pieces.into_iter().enumerate() {
            let placeholder = match piece {
                Piece::Text(text) => match text.find('{') {
                    None => {
                        concrete.push_str(text);
                        continue;
                    }
                    Some(open) => match text[open..].find('}') {
                        None => {
                            self.at_value(path, unclosed());
                            return false;
                        }
                        Some(close) => text[open + 1..open + close].to_owned(),
                    },
                },
                // A setting kept from the token response may be the whole origin.
                Piece::Config(name) if index == 0 && def.auth.keeps_from_token_response(name) => {
                    concrete.push_str("https://placeholder");
                    continue;
                }
                Piece::Config(name) if def.connection_config.contains_key(name) => {
                    // After the host's `:`, a setting is the port (Unipile's `:{port}`).
                    let port = concrete.ends_with(':') && !concrete.ends_with("://");
                    concrete.push_str(if port { "1" } else { "placeholder" });
                    continue;
                }
                Piece::Config(name) => {
                    self.undeclared_config(path, name, def);
                    return false;
                }
                Piece::Credential(name) => format!("credentials.{name}"),
            };
            self.at_value(
                path,
                format!("unknown placeholder `{{{placeholder}}}` in `{url}`"),
            )
            .help = Some("URLs may only hold `{connection_config.NAME}` placeholders".into());
            return false;
        }
        match url::Url::parse(&concrete) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() =>
            {
                true
            }
            Ok(parsed) => {
                self.at_value(
                    path,
                    format!(
                        "`{url}` is not an http or https URL (scheme `{}`)",
                        parsed.scheme()
                    ),
                );
                false
            }
            Err(error) => {
                self.at_value(path, format!("`{url}` is not a valid URL: {error}"));
                false
            }
        }
    }

    /// A header value's `{connection_config.NAME}` placeholders name declared settings. Other
    /// braces are literal text (JSON in a header is common).
    fn header_value(&mut self, path: &[&str], value: &str, def: &ConnectorDef) {
        self.template(path, value, def, None);
    }

    /// A header or query value with `A || B` alternatives: each `{connection_config.NAME}`
    /// names a declared setting, each `{credentials.NAME}` one of `credentials` (`None`:
    /// credentials are not allowed here).
    fn template(
        &mut self,
        path: &[&str],
        value: &str,
        def: &ConnectorDef,
        credentials: Option<&[&str]>,
    ) {
        for alternative in template::alternatives(value) {
            let pieces = match template::pieces(alternative) {
                Ok(pieces) => pieces,
                Err(message) => {
                    self.at_value(path, message);
                    return;
                }
            };
            for piece in pieces {
                match (piece, credentials) {
                    (Piece::Text(_), _) => {}
                    (Piece::Config(name), _) => {
                        if !def.connection_config.contains_key(name) {
                            self.undeclared_config(path, name, def);
                        }
                    }
                    (Piece::Credential(name), None) => {
                        self.at_value(
                            path,
                            format!("`{{credentials.{name}}}` cannot be used here"),
                        )
                        .help = Some(
                            "credentials are placed by `auth.headers` and `auth.query`".into(),
                        );
                    }
                    (Piece::Credential(name), Some(known)) if !known.contains(&name) => {
                        let kind = def.auth.kind.as_str();
                        let help = match crate::suggest::closest(name, known.iter().copied()) {
                            Some(close) => format!("did you mean `{{credentials.{close}}}`?"),
                            None if known.is_empty() => {
                                format!("auth kind `{kind}` has no credential fields here")
                            }
                            None => format!(
                                "the credential fields are: {}; declare others under `auth.credentials`",
                                known.join(", ")
                            ),
                        };
                        self.at_value(
                            path,
                            format!("`{{credentials.{name}}}` names no credential field `{name}`"),
                        )
                        .help = Some(help);
                    }
                    (Piece::Credential(_), Some(_)) => {}
                }
            }
        }
    }

    fn undeclared_config(&mut self, path: &[&str], name: &str, def: &ConnectorDef) {
        let close = crate::suggest::closest(name, def.connection_config.keys().map(String::as_str));
        self.at_value(
            path,
            format!("`{{connection_config.{name}}}` names no connection_config setting `{name}`"),
        )
        .help = Some(match close {
            Some(close) => format!("did you mean `{{connection_config.{close}}}`?"),
            None => {
                format!("declare it under `connection_config:` as `{name}: {{ description: … }}`")
            }
        });
    }

    fn header_name(&mut self, path: &[&str], name: &str) {
        if !is_header_name(name) {
            self.at_key(path, format!("`{name}` is not a valid HTTP header name"));
        }
    }

    fn auth(&mut self, def: &ConnectorDef) {
        let auth = &def.auth;
        let kind = auth.kind;
        // (field, present, allowed for this kind, required for this kind)
        let oauth2 = kind == AuthKind::Oauth2;
        let any_oauth2 = kind.is_oauth2();
        let jwt_bearer = kind == AuthKind::JwtBearer;
        let scoped = any_oauth2 || jwt_bearer;
        let token = kind.has_token_url();
        let api_key = kind == AuthKind::ApiKey;
        // The `in`/`name` shorthand is needed unless templates place the key.
        let shorthand = api_key && !auth.has_templates();
        let named_credentials = matches!(
            kind,
            AuthKind::ApiKey | AuthKind::Basic | AuthKind::Oauth2ClientCredentials
        );
        let credential = kind != AuthKind::None;
        let fields: [(&str, bool, bool, bool); 19] = [
            (
                "authorization_url",
                auth.authorization_url.is_some(),
                oauth2,
                oauth2,
            ),
            ("token_url", auth.token_url.is_some(), token, token),
            (
                "token_request_encoding",
                auth.token_request_encoding.is_some(),
                token,
                false,
            ),
            ("audience", auth.audience.is_some(), jwt_bearer, false),
            ("scopes", !auth.scopes.is_empty(), scoped, false),
            (
                "scope_separator",
                auth.scope_separator.is_some(),
                scoped,
                false,
            ),
            ("pkce", auth.pkce.is_some(), oauth2, false),
            (
                "authorization_params",
                !auth.authorization_params.is_empty(),
                oauth2,
                false,
            ),
            (
                "token_auth_method",
                auth.token_auth_method.is_some(),
                any_oauth2,
                false,
            ),
            ("token_params", !auth.token_params.is_empty(), token, false),
            (
                "refresh_params",
                !auth.refresh_params.is_empty(),
                oauth2,
                false,
            ),
            (
                "access_token_path",
                auth.access_token_path.is_some(),
                token,
                false,
            ),
            (
                "keep_from_token_response",
                !auth.keep_from_token_response.is_empty(),
                oauth2,
                false,
            ),
            ("in", auth.location.is_some(), api_key, shorthand),
            ("name", auth.name.is_some(), api_key, shorthand),
            ("prefix", auth.prefix.is_some(), api_key, false),
            (
                "credentials",
                !auth.credentials.is_empty(),
                named_credentials,
                false,
            ),
            ("headers", !auth.headers.is_empty(), credential, false),
            ("query", !auth.query.is_empty(), credential, false),
        ];
        for (field, present, allowed, required) in fields {
            if present && !allowed {
                self.at_key(
                    &["auth", field],
                    format!("`{field}` does not apply to auth kind `{}`", kind.as_str()),
                )
                .help = Some(format!("remove `{field}`, or change `kind`"));
            } else if !present && required {
                self.at_key(
                    &["auth", "kind"],
                    format!("auth kind `{}` needs `{field}`", kind.as_str()),
                )
                .help = Some(format!("add `{field}:` under `auth:`"));
            }
        }
        for (field, url) in [
            ("authorization_url", &auth.authorization_url),
            ("token_url", &auth.token_url),
        ] {
            if let Some(url) = url {
                self.url(&["auth", field], url, def);
            }
        }
        if let Some(audience) = &auth.audience
            && audience.trim().is_empty()
        {
            self.at_value(&["auth", "audience"], "`audience` cannot be empty")
                .help = Some("remove it to use the token URL".into());
        }
        // Parameter values take `{connection_config.NAME}` placeholders as header values do.
        for (field, params) in [
            ("authorization_params", &auth.authorization_params),
            ("token_params", &auth.token_params),
            ("refresh_params", &auth.refresh_params),
        ] {
            for (name, value) in params {
                self.header_value(&["auth", field, name], value, def);
            }
        }
        // The runtime names the grant of every other request itself; a second `grant_type`
        // would be sent next to it. (Fields the kind has not were reported above.)
        for (field, params, applies, own_grant) in [
            (
                "token_params",
                &auth.token_params,
                token,
                kind == AuthKind::Oauth2ClientCredentials,
            ),
            ("refresh_params", &auth.refresh_params, oauth2, false),
        ] {
            if applies && !own_grant && params.contains_key("grant_type") {
                self.at_key(
                    &["auth", field, "grant_type"],
                    format!(
                        "`grant_type` in `{field}` does not apply to auth kind `{}`",
                        kind.as_str()
                    ),
                )
                .help = Some(
                    "remove it: only oauth2_client_credentials may name its grant, in `token_params`"
                        .into(),
                );
            }
        }
        if let Some(name) = &auth.name
            && auth.location == Some(KeyLocation::Header)
        {
            self.header_name(&["auth", "name"], name);
        }
        self.token_response_paths(def);
        self.credentials(def);
        self.placements(def);
    }

    /// `auth.credentials`: snake_case names, each once, that the kind can use.
    fn credentials(&mut self, def: &ConnectorDef) {
        let auth = &def.auth;
        let mut seen = BTreeSet::new();
        for (index, name) in auth.credentials.iter().enumerate() {
            let at = ["auth", "credentials", &index.to_string()];
            if !naming::is_snake_identifier(name) {
                self.at_value(&at, format!("invalid credential field name `{name}`"))
                    .help = Some(
                    "use lowercase letters, digits and `_`, starting with a letter, such as `api_key`"
                        .into(),
                );
            } else if !seen.insert(name.as_str()) {
                self.at_value(&at, format!("credential field `{name}` is listed twice"))
                    .help = Some("remove one of them".into());
            } else if auth.kind == AuthKind::Oauth2ClientCredentials
                && !matches!(name.as_str(), "client_id" | "client_secret")
            {
                self.at_value(
                    &at,
                    format!("`{name}` is not a client credential"),
                )
                .help = Some(
                    "oauth2_client_credentials connections may bring only `client_id` and `client_secret`"
                        .into(),
                );
            }
        }
        if auth.credentials.is_empty() || auth.has_templates() {
            return;
        }
        let declared = |field: &str| auth.credentials.iter().any(|name| name == field);
        let place = "place the credential fields with `auth.headers` or `auth.query`";
        let problem = match auth.kind {
            AuthKind::Oauth2ClientCredentials if !declared("client_id") => Some((
                "oauth2_client_credentials `credentials` must include `client_id`".to_owned(),
                "list `client_id` (and `client_secret`)",
            )),
            AuthKind::Basic if !declared("username") => Some((
                "basic auth without templates sends `username` and `password`, and `username` is not declared".to_owned(),
                place,
            )),
            AuthKind::ApiKey if auth.credentials.len() > 1 => Some((
                format!(
                    "the `in`/`name` shorthand places one credential, and {} are declared",
                    auth.credentials.len()
                ),
                place,
            )),
            _ => None,
        };
        if let Some((message, help)) = problem {
            self.at_key(&["auth", "credentials"], message).help = Some(help.into());
        }
    }

    /// `auth.headers` and `auth.query`: valid names, templates naming known fields and
    /// settings, and not both forms of api_key placement.
    fn placements(&mut self, def: &ConnectorDef) {
        let auth = &def.auth;
        if !auth.has_templates() {
            return;
        }
        if auth.kind == AuthKind::ApiKey {
            for (field, present) in [
                ("in", auth.location.is_some()),
                ("name", auth.name.is_some()),
                ("prefix", auth.prefix.is_some()),
            ] {
                if present {
                    self.at_key(
                        &["auth", field],
                        format!("`{field}` cannot be combined with `auth.headers` or `auth.query`"),
                    )
                    .help = Some(
                        "`in`/`name`/`prefix` is a shorthand for one template: keep one form"
                            .into(),
                    );
                }
            }
        }
        let known = auth.template_credentials();
        for (name, value) in &auth.headers {
            self.header_name(&["auth", "headers", name], name);
            self.template(&["auth", "headers", name], value, def, Some(&known));
        }
        for (name, value) in &auth.query {
            if name.is_empty() {
                self.at_key(&["auth", "query", name], "a query parameter needs a name");
            }
            self.template(&["auth", "query", name], value, def, Some(&known));
        }
    }

    /// `access_token_path` and `keep_from_token_response`: dotted paths without empty
    /// segments; each kept field lands in a declared connection_config setting.
    fn token_response_paths(&mut self, def: &ConnectorDef) {
        let auth = &def.auth;
        if let Some(path) = &auth.access_token_path {
            self.token_response_path(&["auth", "access_token_path"], path);
        }
        for (index, (name, path)) in auth.kept_from_token_response().enumerate() {
            let at = ["auth", "keep_from_token_response", &index.to_string()];
            if !self.token_response_path(&at, path) {
                continue;
            }
            if !def.connection_config.contains_key(name) {
                self.at_value(
                    &at,
                    format!("kept token-response field `{path}` names no connection_config setting `{name}`"),
                )
                .help = Some(format!(
                    "declare it under `connection_config:` as `{name}: {{ description: … }}`"
                ));
            }
        }
    }

    /// Reports a dotted path with an empty segment; answers whether it is well formed.
    fn token_response_path(&mut self, at: &[&str], path: &str) -> bool {
        if path.split('.').any(str::is_empty) {
            self.at_value(
                at,
                format!("`{path}` is not a dotted path of token-response fields"),
            )
            .help = Some(
                "write field names separated by single dots, such as `authed_user.access_token`"
                    .into(),
            );
            return false;
        }
        true
    }

    fn endpoint(&mut self, def: &ConnectorDef, name: &str, endpoint: &Endpoint) {
        if let Some(base_url) = &endpoint.base_url {
            self.url(&["endpoints", name, "base_url"], base_url, def);
        }
        let path_field = ["endpoints", name, "path"];
        let placeholders = match placeholders(&endpoint.path) {
            Ok(placeholders) => placeholders,
            Err(message) => {
                self.at_value(&path_field, message);
                BTreeSet::new()
            }
        };
        if !endpoint.path.starts_with('/') {
            self.at_value(
                &path_field,
                format!("path `{}` must start with `/`", endpoint.path),
            );
        }
        for placeholder in &placeholders {
            match endpoint.params.get(*placeholder) {
                Some(param) if param.location == ParamLocation::Path => {}
                Some(param) => {
                    self.at_value(
                        &["endpoints", name, "params", placeholder, "in"],
                        format!("`{placeholder}` appears in the path as `{{{placeholder}}}` but is declared `in: {}`", param.location.as_str()),
                    )
                    .help = Some("path placeholders must be `in: path` parameters".into());
                }
                None => {
                    self.at_value(&path_field, format!("path placeholder `{{{placeholder}}}` has no path parameter `{placeholder}`"))
                        .help = Some(format!("declare it under `params:` as `{placeholder}: {{ in: path, type: string }}`"));
                }
            }
        }
        let mut field_names: HashMap<String, &str> = HashMap::new();
        let mut body_params = Vec::new();
        for (param_name, param) in &endpoint.params {
            let param_path = ["endpoints", name, "params", param_name.as_str()];
            if param.location == ParamLocation::Path && !placeholders.contains(param_name.as_str())
            {
                self.at_key(
                    &param_path,
                    format!(
                        "path parameter `{param_name}` does not appear in path `{}`",
                        endpoint.path
                    ),
                )
                .help = Some(format!(
                    "add `{{{param_name}}}` to the path, or change `in`"
                ));
            }
            if let Some(other) = field_names.insert(naming::field_name(param_name), param_name) {
                self.at_key(
                    &param_path,
                    format!(
                        "parameters `{other}` and `{param_name}` would both be the Rust field `{}`",
                        naming::field_name(param_name)
                    ),
                )
                .help = Some("rename one of them".into());
            }
            match param.location {
                ParamLocation::Header => self.header_name(&param_path, param_name),
                ParamLocation::Path if matches!(param.ty, ParamType::Object | ParamType::Array) => {
                    self.at_value(&[&param_path[..], &["type"]].concat(), format!("path parameter `{param_name}` must be a string, integer, number or boolean"));
                }
                ParamLocation::Body => body_params.push((param_name, param)),
                _ => {}
            }
            self.schema_shape(&param_path, &param.schema(), param.ty);
            let bounds_valid = self.bounds(&param_path, param_name, param);
            if let Some(default) = &param.default {
                let default_path = [&param_path[..], &["default"]].concat();
                if !param.ty.accepts(default) {
                    self.at_value(
                        &default_path,
                        format!(
                            "default {default} of `{param_name}` is not of type `{}`",
                            param.ty.as_str()
                        ),
                    );
                } else if param
                    .enum_values
                    .as_ref()
                    .is_some_and(|values| !values.contains(default))
                {
                    self.at_value(
                        &default_path,
                        format!(
                            "default {default} of `{param_name}` is not one of its enum values"
                        ),
                    );
                } else if bounds_valid && let Err(problem) = param.bounds().check(default) {
                    self.at_value(
                        &default_path,
                        format!("default {default} of `{param_name}` {problem}"),
                    );
                }
            }
            if param.required && param.default.is_some() {
                self.at_key(
                    &[&param_path[..], &["default"]].concat(),
                    format!("parameter `{param_name}` is required and has a default"),
                )
                .help = Some(
                    "a default makes it optional: remove `required: true` or the default".into(),
                );
            }
            if param.reference.is_some() {
                self.param_reference(&param_path, param);
            }
            for (field, property) in &param.properties {
                self.schema(
                    &[&param_path[..], &["properties", field]].concat(),
                    property,
                );
            }
            if let Some(items) = &param.items {
                self.schema(&[&param_path[..], &["items"]].concat(), items);
            }
            if let Some(unknown) = param
                .required_properties
                .iter()
                .find(|field| !param.properties.contains_key(*field))
            {
                self.at_value(&[&param_path[..], &["required_properties"]].concat(), format!("required property `{unknown}` is not among the properties of `{param_name}`"));
            }
        }
        if !body_params.is_empty() && matches!(endpoint.method, HttpMethod::Get | HttpMethod::Head)
        {
            let (first, _) = body_params[0];
            self.at_key(
                &["endpoints", name, "params", first],
                format!(
                    "{} endpoints cannot take body parameters",
                    endpoint.method.as_str()
                ),
            )
            .help = Some("use `in: query`, or another method".into());
        }
        match endpoint.body_encoding {
            BodyEncoding::Raw => {
                let strings = body_params
                    .iter()
                    .filter(|(_, param)| param.ty == ParamType::String)
                    .count();
                if body_params.len() != 1 || strings != 1 {
                    self.at_value(
                        &["endpoints", name, "body_encoding"],
                        "a `raw` body needs exactly one `in: body` parameter, of type string",
                    );
                }
            }
            BodyEncoding::Form => {
                for (param_name, param) in &body_params {
                    if param.ty == ParamType::Object {
                        self.at_value(
                            &["endpoints", name, "params", param_name, "type"],
                            "a form body cannot hold objects",
                        )
                        .help = Some("use `body_encoding: json`".into());
                    }
                }
            }
            BodyEncoding::Json => {}
        }
        if endpoint.content_type.is_some() && endpoint.body_encoding != BodyEncoding::Raw {
            self.at_key(
                &["endpoints", name, "content_type"],
                "`content_type` applies to `body_encoding: raw` only",
            );
        }
        for header in endpoint.headers.keys() {
            self.header_name(&["endpoints", name, "headers", header], header);
        }
        for (header, value) in &endpoint.headers {
            self.header_value(&["endpoints", name, "headers", header], value, def);
        }
        if let Some(response) = &endpoint.response {
            self.schema(&["endpoints", name, "response"], response);
        }
        if let Some(pagination) = &endpoint.pagination {
            self.pagination(name, endpoint, pagination);
        }
    }

    /// The named schemas: PascalCase names (they become Rust types), each a schema of its own
    /// rather than an alias of another.
    fn named_schemas(&mut self, def: &ConnectorDef) {
        for (name, schema) in &def.schemas {
            let path = ["schemas", name.as_str()];
            if !naming::is_pascal_identifier(name) {
                self.at_key(&path, format!("invalid schema name `{name}`"))
                    .help = Some(format!(
                    "use PascalCase letters and digits, such as `{}`: the name becomes a Rust type and an OpenAPI component",
                    naming::type_name(&naming::field_name(name))
                ));
            }
            if schema.reference.is_some() {
                self.at_key(
                    &[&path[..], &["$ref"]].concat(),
                    format!("schema `{name}` is only a pointer to another schema"),
                )
                .help = Some(
                    "refer to the other schema directly where `{name}` is used"
                        .replace("{name}", name),
                );
            }
            self.schema(&path, schema);
        }
    }

    /// A schema and everything below it.
    fn schema(&mut self, path: &[&str], schema: &Schema) {
        if schema.reference.is_some() {
            self.reference(path, schema);
            return;
        }
        if !schema.one_of.is_empty() || schema.discriminator.is_some() {
            self.union(path, schema);
        }
        if schema.format.as_deref() == Some("binary") && schema.ty != Some(ParamType::String) {
            self.at_value(
                &[path, &["format"]].concat(),
                "`format: binary` applies to `type: string`",
            );
        }
        if let Some(ty) = schema.ty {
            self.schema_shape(path, schema, ty);
        } else if !schema.properties.is_empty() || schema.items.is_some() {
            self.at_key(path, "a schema with `properties` or `items` needs a `type`");
        }
        for (field, property) in &schema.properties {
            self.schema(&[path, &["properties", field]].concat(), property);
        }
        if let Some(items) = &schema.items {
            self.schema(&[path, &["items"]].concat(), items);
        }
        if let Some(unknown) = schema
            .required
            .iter()
            .find(|field| !schema.properties.contains_key(*field))
        {
            self.at_value(
                &[path, &["required"]].concat(),
                format!("required property `{unknown}` is not among the properties"),
            );
        }
    }

    /// `$ref: "#/schemas/NAME"`: NAME exists; beside it only `description` and `nullable`.
    fn reference(&mut self, path: &[&str], schema: &Schema) {
        let reference = schema.reference.as_deref().unwrap_or_default();
        let ref_path = [path, &["$ref"]].concat();
        match reference.strip_prefix(SCHEMA_REF_PREFIX) {
            None => {
                self.at_value(
                    &ref_path,
                    format!("`{reference}` is not a reference to a named schema"),
                )
                .help = Some(format!(
                    "write `{SCHEMA_REF_PREFIX}NAME`, NAME a key of the top-level `schemas:`"
                ));
            }
            Some(name) if !self.schemas.contains_key(name) => {
                let known = self.schemas.keys().map(String::as_str);
                let help = match crate::suggest::closest(name, known) {
                    Some(close) => format!("did you mean `{SCHEMA_REF_PREFIX}{close}`?"),
                    None if self.schemas.is_empty() => {
                        "define it under a top-level `schemas:` map".to_owned()
                    }
                    None => format!(
                        "the named schemas are: {}",
                        self.schemas.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                self.at_value(&ref_path, format!("no schema named `{name}`"))
                    .help = Some(help);
            }
            Some(_) => {}
        }
        let Schema {
            ty,
            properties,
            required,
            items,
            enum_values,
            format,
            one_of,
            discriminator,
            description: _,
            nullable: _,
            reference: _,
        } = schema;
        let extra = [
            ("type", ty.is_some()),
            ("properties", !properties.is_empty()),
            ("required", !required.is_empty()),
            ("items", items.is_some()),
            ("enum", enum_values.is_some()),
            ("format", format.is_some()),
            ("oneOf", !one_of.is_empty()),
            ("discriminator", discriminator.is_some()),
        ];
        self.beside_reference(
            path,
            &extra,
            "only `description` and `nullable` may; change the named schema instead",
        );
    }

    /// Reports each field of `fields` that is present (`true`) beside a `$ref`.
    fn beside_reference(&mut self, path: &[&str], fields: &[(&str, bool)], help: &str) {
        for (field, _) in fields.iter().filter(|(_, present)| *present) {
            self.at_key(
                &[path, &[field]].concat(),
                format!("`{field}` cannot stand beside `$ref`"),
            )
            .help = Some(help.to_owned());
        }
    }

    /// A parameter's `$ref`: an existing named schema of the parameter's `type`, standing for
    /// `properties`/`items`, which may not be written beside it.
    fn param_reference(&mut self, path: &[&str], param: &Param) {
        let schema = param.schema();
        self.reference(path, &schema);
        let extra = [
            ("properties", !param.properties.is_empty()),
            ("required_properties", !param.required_properties.is_empty()),
            ("items", param.items.is_some()),
            ("enum", param.enum_values.is_some()),
        ];
        self.beside_reference(
            path,
            &extra,
            "the named schema describes the parameter; change it instead",
        );
        let target = schema.referenced(self.schemas);
        if let Some(target) = target
            && target.ty.is_some_and(|ty| ty != param.ty)
        {
            self.at_value(
                &[path, &["type"]].concat(),
                format!(
                    "the parameter is `{}` but `{}` is `{}`",
                    param.ty.as_str(),
                    schema.ref_name().unwrap_or_default(),
                    target.ty.map_or("any", ParamType::as_str)
                ),
            );
        }
    }

    /// `oneOf` with a `discriminator`: each alternative a `$ref` to a named object schema,
    /// each `mapping` target one of the alternatives.
    fn union(&mut self, path: &[&str], schema: &Schema) {
        let Some(discriminator) = &schema.discriminator else {
            self.at_key(&[path, &["oneOf"]].concat(), "`oneOf` needs a `discriminator`")
                .help = Some("name the property that tells the alternatives apart: `discriminator: { propertyName: type }`".into());
            return;
        };
        if schema.one_of.is_empty() {
            self.at_key(
                &[path, &["discriminator"]].concat(),
                "`discriminator` applies to `oneOf`",
            );
            return;
        }
        if schema.ty.is_some_and(|ty| ty != ParamType::Object)
            || !schema.properties.is_empty()
            || schema.items.is_some()
        {
            self.at_key(
                &[path, &["oneOf"]].concat(),
                "a `oneOf` takes no `properties`, `items` or type other than `object`",
            );
        }
        let mut values = BTreeSet::new();
        for (index, alternative) in schema.one_of.iter().enumerate() {
            let index = index.to_string();
            let alternative_path = [path, &["oneOf", &index]].concat();
            let target = alternative.referenced(self.schemas);
            if alternative.reference.is_none() {
                self.at_key(&alternative_path, "each `oneOf` alternative is a `$ref` to a named schema")
                    .help = Some("move the alternative under `schemas:` and refer to it: it becomes a named Rust type".into());
                continue;
            }
            self.schema(&alternative_path, alternative);
            if let Some(target) = target
                && (target.ty != Some(ParamType::Object) || target.properties.is_empty())
            {
                self.at_value(
                    &[&alternative_path[..], &["$ref"]].concat(),
                    format!(
                        "alternative `{}` is not an object schema with properties",
                        alternative.ref_name().unwrap_or_default()
                    ),
                );
            }
        }
        for (value, _) in discriminator.values(&schema.one_of) {
            if !values.insert(value.to_owned()) {
                self.at_key(
                    &[path, &["discriminator"]].concat(),
                    format!("two alternatives have the discriminator value `{value}`"),
                );
            }
        }
        for (value, target) in &discriminator.mapping {
            let listed = schema
                .one_of
                .iter()
                .any(|alternative| alternative.reference.as_deref() == Some(target.as_str()));
            if !listed {
                self.at_value(
                    &[path, &["discriminator", "mapping", value]].concat(),
                    format!("`{target}` is not one of the `oneOf` alternatives"),
                );
            }
        }
    }

    /// Fields that only some types allow, and values that must match the type.
    fn schema_shape(&mut self, path: &[&str], schema: &Schema, ty: ParamType) {
        if schema.items.is_some() && ty != ParamType::Array {
            self.at_key(
                &[path, &["items"]].concat(),
                format!("`items` applies to arrays, not to `{}`", ty.as_str()),
            );
        }
        if !schema.properties.is_empty() && ty != ParamType::Object {
            self.at_key(
                &[path, &["properties"]].concat(),
                format!("`properties` applies to objects, not to `{}`", ty.as_str()),
            );
        }
        if let Some(values) = &schema.enum_values {
            if matches!(ty, ParamType::Object | ParamType::Array) {
                self.at_key(
                    &[path, &["enum"]].concat(),
                    format!("`enum` applies to scalars, not to `{}`", ty.as_str()),
                );
            }
            for (index, value) in values.iter().enumerate() {
                if !ty.accepts(value) {
                    self.at_value(
                        &[path, &["enum", &index.to_string()]].concat(),
                        format!("enum value {value} is not of type `{}`", ty.as_str()),
                    );
                }
            }
            if values.is_empty() {
                self.at_value(
                    &[path, &["enum"]].concat(),
                    "`enum` needs at least one value",
                );
            }
        }
    }

    /// `minimum`, `maximum`, `min_length`, `max_length` and `pattern`: each fits the type and
    /// the pairs are in order. Whether the bounds can check a default.
    fn bounds(&mut self, path: &[&str], param_name: &str, param: &Param) -> bool {
        let before = self.diagnostics.len();
        let ty = param.ty;
        let numeric = matches!(ty, ParamType::Integer | ParamType::Number);
        for (field, value) in [("minimum", &param.minimum), ("maximum", &param.maximum)] {
            let Some(value) = value else { continue };
            let field_path = [path, &[field]].concat();
            if !numeric {
                self.at_key(
                    &field_path,
                    format!(
                        "`{field}` applies to integer and number parameters, not to `{}`",
                        ty.as_str()
                    ),
                );
            } else if ty == ParamType::Integer && !(value.is_i64() || value.is_u64()) {
                self.at_value(
                    &field_path,
                    format!(
                        "{field} {value} of integer parameter `{param_name}` is not an integer"
                    ),
                );
            }
        }
        for (field, present) in [
            ("min_length", param.min_length.is_some()),
            ("max_length", param.max_length.is_some()),
            ("pattern", param.pattern.is_some()),
        ] {
            if present && ty != ParamType::String {
                self.at_key(
                    &[path, &[field]].concat(),
                    format!(
                        "`{field}` applies to string parameters, not to `{}`",
                        ty.as_str()
                    ),
                );
            }
        }
        let range = param.bounds();
        let pairs = [
            ("minimum", "maximum", range.minimum, range.maximum),
            (
                "min_length",
                "max_length",
                range.min_length.map(|n| n as f64),
                range.max_length.map(|n| n as f64),
            ),
        ];
        for (low_field, high_field, low, high) in pairs {
            if let (Some(low), Some(high)) = (low, high)
                && low > high
            {
                self.at_value(
                    &[path, &[low_field]].concat(),
                    format!("{low_field} {low} is larger than {high_field} {high}"),
                )
                .help = Some(format!(
                    "no value of `{param_name}` could be sent; swap them or fix one"
                ));
            }
        }
        if let Some(pattern) = &param.pattern
            && let Err(message) = crate::bounds::compile(pattern)
        {
            self.at_value(&[path, &["pattern"]].concat(), message);
        }
        self.diagnostics.len() == before
    }

    fn pagination(&mut self, name: &str, endpoint: &Endpoint, pagination: &PaginationDef) {
        let base = ["endpoints", name, "pagination"];
        let kind = pagination.kind;
        let fields: [(&str, &Option<String>, bool); 6] = [
            (
                "cursor_param",
                &pagination.cursor_param,
                kind == PaginationKind::Cursor,
            ),
            (
                "next_cursor",
                &pagination.next_cursor,
                kind == PaginationKind::Cursor,
            ),
            (
                "next_url",
                &pagination.next_url,
                kind == PaginationKind::NextUrl,
            ),
            (
                "offset_param",
                &pagination.offset_param,
                kind == PaginationKind::Offset,
            ),
            (
                "page_param",
                &pagination.page_param,
                kind == PaginationKind::Page,
            ),
            (
                "limit_param",
                &pagination.limit_param,
                kind == PaginationKind::Offset,
            ),
        ];
        for (field, value, needed) in fields {
            let optional = field == "limit_param" && kind == PaginationKind::Page;
            match (value, needed || optional) {
                (Some(_), false) => {
                    self.at_key(
                        &[&base[..], &[field]].concat(),
                        format!(
                            "`{field}` does not apply to pagination kind `{}`",
                            kind.as_str()
                        ),
                    )
                    .help = Some(format!("remove `{field}`, or change `kind`"));
                }
                (None, true) if needed => {
                    self.at_key(
                        &[&base[..], &["kind"]].concat(),
                        format!("pagination kind `{}` needs `{field}`", kind.as_str()),
                    )
                    .help = Some(format!("add `{field}:` under `pagination:`"));
                }
                _ => {}
            }
        }
        if pagination.start_page.is_some() && kind != PaginationKind::Page {
            self.at_key(
                &[&base[..], &["start_page"]].concat(),
                format!(
                    "`start_page` does not apply to pagination kind `{}`",
                    kind.as_str()
                ),
            );
        }
        // Parameters the paginator sets must exist, outside the path.
        for (field, param) in [
            ("cursor_param", &pagination.cursor_param),
            ("offset_param", &pagination.offset_param),
            ("page_param", &pagination.page_param),
            ("limit_param", &pagination.limit_param),
        ] {
            let Some(param) = param else { continue };
            match endpoint.params.get(param) {
                None => {
                    self.at_value(&[&base[..], &[field]].concat(), format!("pagination names parameter `{param}`, which endpoint `{name}` does not declare"))
                        .help = Some(format!("declare `{param}` under `params:`, or fix the name"));
                }
                Some(declared)
                    if !matches!(
                        declared.location,
                        ParamLocation::Query | ParamLocation::Body
                    ) =>
                {
                    self.at_value(
                        &[&base[..], &[field]].concat(),
                        format!("pagination parameter `{param}` must be `in: query` or `in: body`"),
                    );
                }
                Some(_) => {}
            }
        }
        // Response fields it reads must exist when the response is described.
        let Some(response) = &endpoint.response else {
            return;
        };
        for (field, response_field) in [
            ("items", &pagination.items),
            ("next_cursor", &pagination.next_cursor),
            ("next_url", &pagination.next_url),
        ] {
            let Some(response_field) = response_field else {
                continue;
            };
            if !self.has_field(response, response_field) {
                self.at_value(&[&base[..], &[field]].concat(), format!("pagination names response field `{response_field}`, which the response schema does not have"))
                    .help = Some(format!("add `{response_field}` to the response's `properties`, or fix the name"));
            }
        }
    }
}

impl Checker<'_> {
    /// Whether the paginator finds `field` in a response of `schema`, as it looks for it: the
    /// property of that exact name (`@odata.nextLink`), else a dotted path (`paging.next.after`)
    /// through properties, `$ref`s and, by index, array items. A schema without properties
    /// (free JSON) holds any field.
    fn has_field(&self, schema: &Schema, field: &str) -> bool {
        let schema = schema.resolve_in(self.schemas);
        if schema.properties.is_empty() && schema.items.is_none() {
            return true;
        }
        if schema.properties.contains_key(field) {
            return true;
        }
        let (head, rest) = field.split_once('.').unwrap_or((field, ""));
        let next = match (&schema.items, schema.properties.get(head)) {
            (_, Some(property)) => property,
            (Some(items), None) if head.parse::<i64>().is_ok() => items,
            _ => return false,
        };
        rest.is_empty() || self.has_field(next, rest)
    }
}

/// The `{name}` placeholders of an endpoint path.
fn placeholders(path: &str) -> Result<BTreeSet<&str>, String> {
    let mut found = BTreeSet::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("unclosed `{{` in path `{path}`"));
        };
        let name = &rest[open + 1..open + close];
        if name.is_empty() || name.contains('{') {
            return Err(format!("malformed placeholder in path `{path}`"));
        }
        found.insert(name);
        rest = &rest[open + close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched `}}` in path `{path}`"));
    }
    Ok(found)
}

/// Whether `name` is an HTTP header name (an RFC 9110 token).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether every `~` of a JSON pointer starts an escape, `~0` or `~1` (RFC 6901).
fn escapes_are_valid(pointer: &str) -> bool {
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return false;
        }
    }
    true
}
