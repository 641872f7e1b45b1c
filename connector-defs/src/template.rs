//! Templates: URLs, header values and auth placements holding `{connection_config.NAME}` and
//! `{credentials.NAME}` placeholders, with `A || B` alternatives.
//!
//! The validator and the run-time renderer both read templates through [`alternatives`] and
//! [`pieces`], so they agree on what a template holds.

/// One part of a template alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text (other braces included: JSON in a header is common).
    Text(&'a str),
    /// `{connection_config.NAME}`: a per-connection setting.
    Config(&'a str),
    /// `{credentials.NAME}`: a credential field of the connection.
    Credential(&'a str),
}

const CONFIG: &str = "{connection_config.";
const CREDENTIAL: &str = "{credentials.";

/// The alternatives of `A || B || C`, in order, each trimmed; a template without `||` is its
/// own single alternative, untouched. The renderer takes the first whose
/// `{connection_config.x}` placeholders are all filled, the last one otherwise.
pub fn alternatives(template: &str) -> impl Iterator<Item = &str> {
    let several = template.contains("||");
    template.split("||").map(move |alternative| {
        if several {
            alternative.trim()
        } else {
            alternative
        }
    })
}

/// The pieces of one alternative; `Err` names the placeholder left unclosed.
pub fn pieces(alternative: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut found = Vec::new();
    let mut rest = alternative;
    loop {
        let next = [(CONFIG, true), (CREDENTIAL, false)]
            .into_iter()
            .filter_map(|(opening, config)| rest.find(opening).map(|at| (at, opening, config)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, opening, config)) = next else {
            break;
        };
        if at > 0 {
            found.push(Piece::Text(&rest[..at]));
        }
        let after = &rest[at + opening.len()..];
        let Some(close) = after.find('}') else {
            return Err(format!("unclosed `{opening}` in `{alternative}`"));
        };
        let name = &after[..close];
        found.push(if config {
            Piece::Config(name)
        } else {
            Piece::Credential(name)
        });
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        found.push(Piece::Text(rest));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_split_and_trim_only_when_there_are_several() {
        assert_eq!(alternatives("Token ").collect::<Vec<_>>(), ["Token "]);
        assert_eq!(
            alternatives("https://{connection_config.host} || https://api.x.com")
                .collect::<Vec<_>>(),
            ["https://{connection_config.host}", "https://api.x.com"]
        );
    }

    #[test]
    fn pieces_find_both_kinds_of_placeholder() {
        assert_eq!(
            pieces("Token token={credentials.api_key}, {\"a\": 1} {connection_config.org}")
                .unwrap(),
            [
                Piece::Text("Token token="),
                Piece::Credential("api_key"),
                Piece::Text(", {\"a\": 1} "),
                Piece::Config("org"),
            ]
        );
        assert!(pieces("x {credentials.key").is_err());
    }
}
