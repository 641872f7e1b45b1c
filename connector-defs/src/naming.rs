//! How YAML names become Rust and OpenAPI names.
//!
//! Validation uses these to reject two names that would collide in generated code, and the
//! macro uses the same functions to generate it, so the two cannot disagree.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords that cannot be field or module names without `r#`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// `userId` → `user_id`, `Dropbox-API-Arg` → `dropbox_api_arg`, `@odata.nextLink` →
/// `odata_next_link`. A name that starts with a digit gets a leading `_`; a keyword stays as
/// it is and is written as a raw identifier by the generator (see [`is_keyword`]).
pub fn field_name(wire_name: &str) -> String {
    let snake = wire_name.to_snake_case();
    match snake.chars().next() {
        None => "_".to_string(),
        Some(first) if first.is_ascii_digit() => format!("_{snake}"),
        Some(_) => snake,
    }
}

/// `list_messages` → `ListMessages`; used for type names.
pub fn type_name(name: &str) -> String {
    let camel = name.to_upper_camel_case();
    match camel.chars().next() {
        None => "Value".to_string(),
        Some(first) if first.is_ascii_digit() => format!("V{camel}"),
        Some(_) => camel,
    }
}

/// Whether a snake_case name must be written `r#name`.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Connector and endpoint names: `[a-z][a-z0-9_]*`.
pub fn is_snake_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// `DriveItem`: an uppercase letter, then letters and digits (a named schema, a Rust type).
pub fn is_pascal_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('A'..='Z')) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// `gmail`, `list_messages` → `GmailListMessages`: the prefix of every schema name of an
/// endpoint in the OpenAPI document, unique across connectors.
pub fn schema_prefix(connector: &str, endpoint: &str) -> String {
    format!("{}{}", type_name(connector), type_name(endpoint))
}

/// `gmail`, `list_messages` → `gmail_list_messages`.
pub fn operation_id(connector: &str, endpoint: &str) -> String {
    format!("{connector}_{endpoint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_snake_case() {
        assert_eq!(field_name("userId"), "user_id");
        assert_eq!(field_name("maxResults"), "max_results");
        assert_eq!(field_name("Dropbox-API-Arg"), "dropbox_api_arg");
        assert_eq!(field_name("@odata.nextLink"), "odata_next_link");
        assert_eq!(field_name("$top"), "top");
        assert_eq!(field_name("2fa"), "_2fa");
        assert_eq!(field_name("type"), "type");
        assert!(is_keyword(&field_name("type")));
    }

    #[test]
    fn type_names_are_upper_camel_case() {
        assert_eq!(type_name("list_messages"), "ListMessages");
        assert_eq!(schema_prefix("gmail", "list_messages"), "GmailListMessages");
        assert_eq!(
            operation_id("gmail", "list_messages"),
            "gmail_list_messages"
        );
    }

    #[test]
    fn snake_identifiers() {
        assert!(is_snake_identifier("gmail_v2"));
        assert!(!is_snake_identifier("Gmail"));
        assert!(!is_snake_identifier("2gmail"));
        assert!(!is_snake_identifier("list-messages"));
        assert!(!is_snake_identifier(""));
    }
}
