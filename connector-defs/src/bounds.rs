//! The values a parameter allows besides its type, checked one way wherever a value is
//! checked: a definition's default, the run-time inputs, a server's action bodies.

use serde_json::Value;

/// `enum`, `minimum`, `maximum`, `min_length`, `max_length` and `pattern` of one value.
/// Each bound applies to the values of its kind (numbers, strings) and ignores the others:
/// the type is checked separately.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bounds<'a> {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// In characters (Unicode scalar values), as JSON Schema counts them.
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// Unanchored: the value must contain a match.
    pub pattern: Option<&'a str>,
    pub allowed: Option<&'a [Value]>,
}

impl Bounds<'_> {
    /// `Err` says which bound `value` breaks, as the end of a sentence naming the value:
    /// "must be at least 1, got -5".
    pub fn check(&self, value: &Value) -> Result<(), String> {
        if let Some(allowed) = self.allowed
            && !allowed.contains(value)
        {
            let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Err(format!(
                "must be one of {}, got {value}",
                allowed.join(", ")
            ));
        }
        if let Some(number) = value.as_f64() {
            if let Some(minimum) = self.minimum
                && number < minimum
            {
                return Err(format!("must be at least {minimum}, got {value}"));
            }
            if let Some(maximum) = self.maximum
                && number > maximum
            {
                return Err(format!("must be at most {maximum}, got {value}"));
            }
        }
        if let Some(text) = value.as_str() {
            let length = text.chars().count() as u64;
            if let Some(min_length) = self.min_length
                && length < min_length
            {
                return Err(format!(
                    "must have at least {min_length} characters, got {length}"
                ));
            }
            if let Some(max_length) = self.max_length
                && length > max_length
            {
                return Err(format!(
                    "must have at most {max_length} characters, got {length}"
                ));
            }
            if let Some(pattern) = self.pattern {
                let regex = compile(pattern)?;
                if !regex.is_match(text) {
                    return Err(format!("must match the pattern `{pattern}`"));
                }
            }
        }
        Ok(())
    }
}

/// A `pattern`, or why it is not a regular expression (the last line of the parser's report,
/// such as "unclosed group").
pub fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|error| {
        let report = error.to_string();
        let reason = report.lines().last().unwrap_or_default();
        let reason = reason.strip_prefix("error: ").unwrap_or(reason);
        format!("pattern `{pattern}` is not a valid regular expression: {reason}")
    })
}

/// A `pattern` that must match a whole value: `^(?:pattern)$`. The pattern is compiled alone
/// first, so that text such as `a)|(b` cannot escape the group and the error names it as written.
pub fn compile_anchored(pattern: &str) -> Result<regex::Regex, String> {
    compile(pattern)?;
    compile(&format!("^(?:{pattern})$"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_bound_names_what_it_wants() {
        let numbers = Bounds {
            minimum: Some(1.0),
            maximum: Some(500.0),
            ..Bounds::default()
        };
        assert_eq!(numbers.check(&json!(1)), Ok(()));
        assert_eq!(numbers.check(&json!(500)), Ok(()));
        assert_eq!(
            numbers.check(&json!(-5)),
            Err("must be at least 1, got -5".into())
        );
        assert_eq!(
            numbers.check(&json!(500.5)),
            Err("must be at most 500, got 500.5".into())
        );
        let text = Bounds {
            min_length: Some(2),
            max_length: Some(3),
            pattern: Some("^[a-zé]+$"),
            ..Bounds::default()
        };
        assert_eq!(text.check(&json!("éé")), Ok(()));
        assert_eq!(
            text.check(&json!("a")),
            Err("must have at least 2 characters, got 1".into())
        );
        assert_eq!(
            text.check(&json!("abcd")),
            Err("must have at most 3 characters, got 4".into())
        );
        assert_eq!(
            text.check(&json!("A1")),
            Err("must match the pattern `^[a-zé]+$`".into())
        );
        let allowed = [json!("full"), json!("raw")];
        let choice = Bounds {
            allowed: Some(&allowed),
            ..Bounds::default()
        };
        assert_eq!(
            choice.check(&json!("ful")),
            Err(r#"must be one of "full", "raw", got "ful""#.into())
        );
    }

    #[test]
    fn a_bad_pattern_says_why() {
        assert_eq!(
            compile("(a").unwrap_err(),
            "pattern `(a` is not a valid regular expression: unclosed group"
        );
    }

    #[test]
    fn an_anchored_pattern_matches_whole_values_only() {
        let subdomain = compile_anchored("[a-z]+|[0-9]+").unwrap();
        assert!(subdomain.is_match("acme"));
        assert!(subdomain.is_match("42"));
        assert!(!subdomain.is_match("acme.evil.example"));
        assert!(!subdomain.is_match("42x"));
        assert_eq!(
            compile_anchored("a)|(b").unwrap_err(),
            "pattern `a)|(b` is not a valid regular expression: unopened group"
        );
    }
}
