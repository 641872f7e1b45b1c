//! Parameter bounds (`minimum`, `maximum`, `min_length`, `max_length`, `pattern`, `enum`):
//! accepted when they fit, reported at their line and column when they do not.

const HEAD: &str = "name: mini
version: 1.0.0
base_url: https://api.example.com/v1
auth: { kind: bearer }
endpoints:
  list_items:
    method: GET
    path: /items
    params:
";

fn problems(params: &str) -> Vec<String> {
    match connector_defs::parse(&format!("{HEAD}{params}"), "mini.yaml") {
        Ok(_) => Vec::new(),
        Err(error) => error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect(),
    }
}

#[test]
fn bounds_that_fit_are_kept() {
    let params = "      limit: { in: query, type: integer, minimum: 1, maximum: 500, default: 100 }
      ratio: { in: query, type: number, minimum: 0.5 }
      q: { in: query, type: string, min_length: 1, max_length: 64, pattern: '^[a-z]+$' }
      order: { in: query, type: string, enum: [asc, desc] }
";
    assert_eq!(problems(params), Vec::<String>::new());
    let def = connector_defs::parse(&format!("{HEAD}{params}"), "mini.yaml").unwrap();
    let limit = &def.endpoints["list_items"].params["limit"];
    assert_eq!(limit.bounds().minimum, Some(1.0));
    assert_eq!(limit.bounds().maximum, Some(500.0));
    let q = &def.endpoints["list_items"].params["q"];
    assert_eq!(q.pattern.as_deref(), Some("^[a-z]+$"));
    assert_eq!((q.min_length, q.max_length), (Some(1), Some(64)));
}

#[test]
fn a_bound_must_fit_the_type() {
    assert_eq!(
        problems(
            "      q: { in: query, type: string, minimum: 1 }
      limit: { in: query, type: integer, maximum: 2.5, max_length: 3 }
"
        ),
        [
            "mini.yaml:10:37: `minimum` applies to integer and number parameters, not to `string`",
            "mini.yaml:11:51: maximum 2.5 of integer parameter `limit` is not an integer",
            "mini.yaml:11:56: `max_length` applies to string parameters, not to `integer`",
        ]
    );
}

#[test]
fn minimum_cannot_exceed_maximum() {
    assert_eq!(
        problems(
            "      limit: { in: query, type: integer, minimum: 10, maximum: 5 }
      q: { in: query, type: string, min_length: 4, max_length: 3 }
"
        ),
        [
            "mini.yaml:10:51: minimum 10 is larger than maximum 5\n  = help: no value of `limit` could be sent; swap them or fix one",
            "mini.yaml:11:49: min_length 4 is larger than max_length 3\n  = help: no value of `q` could be sent; swap them or fix one",
        ]
    );
}

#[test]
fn a_pattern_must_compile() {
    assert_eq!(
        problems("      q: { in: query, type: string, pattern: '([a-z]+' }\n"),
        ["mini.yaml:10:46: pattern `([a-z]+` is not a valid regular expression: unclosed group"]
    );
}

#[test]
fn a_default_must_be_within_the_bounds() {
    assert_eq!(
        problems(
            "      limit: { in: query, type: integer, minimum: 1, default: 0 }
      q: { in: query, type: string, pattern: '^[a-z]+$', default: 'A' }
"
        ),
        [
            "mini.yaml:10:63: default 0 of `limit` must be at least 1, got 0",
            "mini.yaml:11:67: default \"A\" of `q` must match the pattern `^[a-z]+$`",
        ]
    );
}
