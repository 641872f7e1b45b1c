//! Pagination may read its cursor through nested response objects (`response_metadata.next_cursor`),
//! as the runtime does; a dotted path that leads nowhere is still reported.

const HEAD: &str = r##"name: chat
version: 1.0.0
base_url: https://api.example.com
auth: { kind: bearer }
schemas:
  ResponseMetadata:
    type: object
    properties:
      next_cursor: { type: string }
endpoints:
  list_channels:
    method: GET
    path: /channels
    params:
      cursor: { in: query, type: string }
"##;

fn problems(rest: &str) -> Vec<String> {
    match connector_defs::parse(&format!("{HEAD}{rest}"), "chat.yaml") {
        Ok(_) => Vec::new(),
        Err(error) => error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect(),
    }
}

#[test]
fn a_nested_cursor_field_is_accepted_inline_or_through_a_ref() {
    let inline = r#"    pagination: { kind: cursor, cursor_param: cursor, next_cursor: response_metadata.next_cursor, items: channels }
    response:
      type: object
      properties:
        channels: { type: array, items: { type: string } }
        response_metadata: { type: object, properties: { next_cursor: { type: string } } }
"#;
    assert_eq!(problems(inline), Vec::<String>::new());
    let through_ref = r##"    pagination: { kind: cursor, cursor_param: cursor, next_cursor: response_metadata.next_cursor }
    response:
      type: object
      properties:
        response_metadata: { $ref: "#/schemas/ResponseMetadata" }
"##;
    assert_eq!(problems(through_ref), Vec::<String>::new());
}

#[test]
fn a_dotted_field_that_leads_nowhere_is_reported() {
    let found = problems(
        r#"    pagination: { kind: cursor, cursor_param: cursor, next_cursor: response_metadata.next }
    response:
      type: object
      properties:
        response_metadata: { type: object, properties: { next_cursor: { type: string } } }
"#,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("pagination names response field `response_metadata.next`"),
        "{found:?}"
    );
}
