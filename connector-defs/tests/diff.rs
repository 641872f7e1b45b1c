//! The classifier of changes between two versions of a definition (`connector_defs::diff`):
//! one test per rule, on small definitions edited one line at a time.

use connector_defs::diff::{self, ChangeClass, VersionBump};

const BASE: &str = "name: mini
version: 1.0.0
description: Mail.
base_url: https://api.example.com
connection_config:
  region: { required: false, default: eu }
auth: { kind: api_key, in: header, name: X-Key }
endpoints:
  list_messages:
    method: GET
    path: /messages
    description: Lists messages.
    params:
      q: { in: query, type: string }
      limit: { in: query, type: integer, minimum: 1, maximum: 100 }
      format: { in: query, type: string, enum: [full, raw] }
    response:
      type: object
      required: [messages]
      properties:
        messages:
          type: array
          items:
            type: object
            properties:
              id: { type: string }
              labels: { type: array, items: { type: string } }
        nextPageToken: { type: string }
  send_message:
    method: POST
    path: /messages
    params:
      message:
        in: body
        type: object
        properties: { to: { type: string }, subject: { type: string } }
        required_properties: [to]
";

fn parse(source: &str) -> connector_defs::ConnectorDef {
    connector_defs::parse(source, "mini.yaml").unwrap_or_else(|error| panic!("{error}\n{source}"))
}

/// BASE with each `(from, to)` replaced once.
fn edited(edits: &[(&str, &str)]) -> String {
    let mut source = BASE.to_owned();
    for (from, to) in edits {
        assert!(source.contains(from), "`{from}` is not in BASE");
        source = source.replacen(from, to, 1);
    }
    source
}

/// The change lines from BASE to BASE edited.
fn changes(edits: &[(&str, &str)]) -> Vec<String> {
    diff::diff(&parse(BASE), &parse(&edited(edits)))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn no_change_is_an_empty_list_of_class_patch() {
    let changes = diff::diff(&parse(BASE), &parse(BASE));
    assert!(changes.is_empty());
    assert_eq!(diff::class_of(&changes), ChangeClass::Patch);
}

#[test]
fn descriptions_and_summaries_are_patch() {
    assert_eq!(
        changes(&[
            ("description: Mail.", "description: Email."),
            (
                "description: Lists messages.",
                "summary: List\n    description: Lists mail."
            ),
            (
                "id: { type: string }",
                "id: { type: string, description: The id. }"
            ),
        ]),
        [
            "patch: description changed",
            "patch: list_messages.summary changed",
            "patch: list_messages.description changed",
            "patch: list_messages.response.messages[].id.description changed",
        ]
    );
}

#[test]
fn an_endpoint_removed_is_major_and_one_added_minor() {
    assert_eq!(
        changes(&[(
            "  send_message:\n    method: POST",
            "  send_mail:\n    method: POST"
        )]),
        [
            "major: endpoint send_message removed",
            "minor: endpoint send_mail added"
        ]
    );
}

#[test]
fn a_parameter_removed_is_major() {
    assert_eq!(
        changes(&[("      q: { in: query, type: string }\n", "")]),
        ["major: parameter list_messages.params.q removed"]
    );
}

#[test]
fn an_optional_parameter_added_is_minor_and_a_required_one_major() {
    assert_eq!(
        changes(&[(
            "      q: { in: query, type: string }\n",
            "      q: { in: query, type: string }\n      pageToken: { in: query, type: string }\n      userId: { in: query, type: string, required: true }\n"
        )]),
        [
            "minor: parameter list_messages.params.pageToken added (optional)",
            "major: parameter list_messages.params.userId added (required)",
        ]
    );
}

#[test]
fn a_parameter_made_required_is_major_and_made_optional_minor() {
    assert_eq!(
        changes(&[(
            "q: { in: query, type: string }",
            "q: { in: query, type: string, required: true }"
        )]),
        ["major: parameter list_messages.params.q made required"]
    );
    let required = edited(&[(
        "q: { in: query, type: string }",
        "q: { in: query, type: string, required: true }",
    )]);
    let lines: Vec<String> = diff::diff(&parse(&required), &parse(BASE))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        ["minor: parameter list_messages.params.q made optional"]
    );
}

#[test]
fn a_parameter_moved_or_retyped_is_major() {
    assert_eq!(
        changes(&[(
            "q: { in: query, type: string }",
            "q: { in: header, type: integer }"
        )]),
        [
            "major: parameter list_messages.params.q moved from query to header",
            "major: list_messages.params.q: type string → integer",
        ]
    );
}

#[test]
fn a_default_changed_is_major() {
    assert_eq!(
        changes(&[(
            "q: { in: query, type: string }",
            "q: { in: query, type: string, default: x }"
        )]),
        ["major: list_messages.params.q.default added"]
    );
}

#[test]
fn stricter_bounds_are_major_and_looser_ones_minor() {
    assert_eq!(
        changes(&[("minimum: 1, maximum: 100", "minimum: 5, maximum: 500")]),
        [
            "major: list_messages.params.limit.minimum 1 → 5",
            "minor: list_messages.params.limit.maximum 100 → 500",
        ]
    );
    assert_eq!(
        changes(&[(
            "q: { in: query, type: string }",
            "q: { in: query, type: string, pattern: '^a' }"
        )]),
        ["major: list_messages.params.q.pattern added"]
    );
}

#[test]
fn enum_values_removed_from_an_input_are_major_and_added_minor() {
    assert_eq!(
        changes(&[("enum: [full, raw]", "enum: [full, minimal]")]),
        [
            "major: list_messages.params.format: enum value raw removed",
            "minor: list_messages.params.format: enum value minimal added",
        ]
    );
}

#[test]
fn enum_values_added_to_an_output_are_major_and_removed_minor() {
    assert_eq!(
        changes(&[("id: { type: string }", "id: { type: string, enum: [a] }")]),
        ["minor: list_messages.response.messages[].id: enum added"]
    );
    let with_enum = edited(&[("id: { type: string }", "id: { type: string, enum: [a] }")]);
    let more = with_enum.replace("enum: [a]", "enum: [a, b]");
    let lines: Vec<String> = diff::diff(&parse(&with_enum), &parse(&more))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        ["major: list_messages.response.messages[].id: enum value b added"]
    );
}

#[test]
fn nested_response_properties_are_compared_by_path() {
    assert_eq!(
        changes(&[
            (
                "              id: { type: string }\n",
                "              threadId: { type: string }\n"
            ),
            (
                "labels: { type: array, items: { type: string } }",
                "labels: { type: array, items: { type: integer } }"
            ),
        ]),
        [
            "major: property list_messages.response.messages[].id removed",
            "major: list_messages.response.messages[].labels[]: type string → integer",
            "minor: property list_messages.response.messages[].threadId added",
        ]
    );
}

#[test]
fn a_response_property_made_optional_is_major_and_made_required_minor() {
    assert_eq!(
        changes(&[("required: [messages]", "required: [nextPageToken]")]),
        [
            "major: property list_messages.response.messages made optional",
            "minor: property list_messages.response.nextPageToken made required",
        ]
    );
}

#[test]
fn a_response_made_nullable_is_major() {
    assert_eq!(
        changes(&[(
            "nextPageToken: { type: string }",
            "nextPageToken: { type: string, nullable: true }"
        )]),
        ["major: list_messages.response.nextPageToken made nullable"]
    );
}

#[test]
fn a_response_schema_added_or_removed_is_major() {
    let source = edited(&[(
        "    method: POST\n",
        "    method: POST\n    response: { type: object }\n",
    )]);
    let lines: Vec<String> = diff::diff(&parse(BASE), &parse(&source))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(lines, ["major: send_message.response schema added"]);
}

#[test]
fn body_properties_follow_the_input_rules() {
    assert_eq!(
        changes(&[(
            "properties: { to: { type: string }, subject: { type: string } }\n        required_properties: [to]",
            "properties: { to: { type: string }, subject: { type: string }, cc: { type: string }, bcc: { type: string } }\n        required_properties: [to, subject, bcc]"
        )]),
        [
            "major: property send_message.params.message.subject made required",
            "minor: property send_message.params.message.cc added",
            "major: property send_message.params.message.bcc added (required)",
        ]
    );
}

#[test]
fn an_endpoint_method_or_path_changed_is_major() {
    assert_eq!(
        changes(&[(
            "    method: POST\n    path: /messages",
            "    method: PUT\n    path: /messages/send"
        )]),
        [
            "major: send_message.method POST → PUT",
            "major: send_message.path /messages → /messages/send",
        ]
    );
}

#[test]
fn pagination_added_is_minor_and_changed_major() {
    let paginated = edited(&[(
        "      format: { in: query, type: string, enum: [full, raw] }\n",
        "      format: { in: query, type: string, enum: [full, raw] }\n      pageToken: { in: query, type: string }\n    pagination: { kind: cursor, cursor_param: pageToken, next_cursor: nextPageToken, items: messages }\n",
    )]);
    let lines: Vec<String> = diff::diff(&parse(BASE), &parse(&paginated))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "minor: parameter list_messages.params.pageToken added (optional)",
            "minor: list_messages.pagination added",
        ]
    );
    let renamed = paginated.replace("next_cursor: nextPageToken", "next_cursor: next");
    let lines: Vec<String> = diff::diff(
        &parse(&paginated),
        &parse(&renamed.replace("nextPageToken: { type", "next: { type")),
    )
    .iter()
    .map(ToString::to_string)
    .collect();
    assert!(
        lines.contains(
            &"major: list_messages.pagination.next_cursor nextPageToken → next".to_owned()
        ),
        "{lines:?}"
    );
}

#[test]
fn the_name_base_url_auth_and_headers_are_major() {
    assert_eq!(
        changes(&[
            ("name: mini", "name: maxi"),
            (
                "base_url: https://api.example.com",
                "base_url: https://api.example.com/v2"
            ),
            (
                "auth: { kind: api_key, in: header, name: X-Key }",
                "auth: { kind: bearer }\nheaders: { Api-Version: '2' }"
            ),
        ]),
        [
            "major: name mini → maxi",
            "major: base_url https://api.example.com → https://api.example.com/v2",
            "major: auth.kind api_key → bearer",
            "major: auth.in removed",
            "major: auth.name removed",
            "major: headers.Api-Version added",
        ]
    );
}

#[test]
fn settings_removed_or_required_are_major_and_optional_ones_added_minor() {
    assert_eq!(
        changes(&[(
            "  region: { required: false, default: eu }\n",
            "  tenant: { required: false }\n  account: {}\n"
        )]),
        [
            "major: setting connection_config.region removed",
            "minor: setting connection_config.tenant added (optional)",
            "major: setting connection_config.account added (required)",
        ]
    );
    assert_eq!(
        changes(&[(
            "region: { required: false, default: eu }",
            "region: { required: false, default: us, pattern: '[a-z]+' }"
        )]),
        [
            "major: connection_config.region.default eu → us",
            "major: connection_config.region.pattern added",
        ]
    );
}

#[test]
fn retries_and_categories_are_patch_and_verify_minor() {
    assert_eq!(
        changes(&[(
            "auth: { kind: api_key, in: header, name: X-Key }",
            "auth: { kind: api_key, in: header, name: X-Key }\nretry: { max_attempts: 5 }\ntimeout_ms: 1000\ncategories: [email]\nverify: { method: GET, path: /me }"
        )]),
        [
            "patch: retry added",
            "patch: timeout_ms added",
            "patch: categories added",
            "minor: verify added",
        ]
    );
}

#[test]
fn webhooks_added_are_minor_and_changed_or_removed_major() {
    let auth = "auth: { kind: api_key, in: header, name: X-Key }";
    let with = |block: &str| format!("{auth}\nwebhooks:\n{block}");
    let signed = with("  signature: { scheme: hmac_sha256, header: X-Sig }\n");
    assert_eq!(changes(&[(auth, &signed)]), ["minor: webhooks added"]);
    let lines = |old: &str, new: &str| -> Vec<String> {
        diff::diff(
            &parse(&edited(&[(auth, old)])),
            &parse(&edited(&[(auth, new)])),
        )
        .iter()
        .map(ToString::to_string)
        .collect()
    };
    assert_eq!(lines(&signed, auth), ["major: webhooks removed"]);
    assert_eq!(
        lines(
            &signed,
            &with(
                "  signature: { scheme: hmac_sha256, header: X-Sig, encoding: base64 }\n  event_type: { body: /type }\n  connection: { header: X-Region, matches: region }\n"
            ),
        ),
        [
            "major: webhooks.signature.encoding added",
            "major: webhooks.event_type added",
            "major: webhooks.connection added",
        ]
    );
    assert_eq!(
        lines(&signed, &with("  signature: { scheme: stripe }\n")),
        [
            "major: webhooks.signature.scheme hmac_sha256 → stripe",
            "major: webhooks.signature.header removed",
        ]
    );
}

#[test]
fn the_class_is_the_largest_change() {
    let changes = diff::diff(
        &parse(BASE),
        &parse(&edited(&[
            ("description: Mail.", "description: Email."),
            ("      q: { in: query, type: string }\n", ""),
        ])),
    );
    assert_eq!(diff::class_of(&changes), ChangeClass::Major);
}

#[test]
fn a_bump_must_be_at_least_the_class_of_the_changes() {
    let bump = |old, new| VersionBump::between(old, new).unwrap();
    assert_eq!(bump("1.2.0", "2.0.0"), VersionBump::Major);
    assert_eq!(bump("1.2.0", "1.3.0"), VersionBump::Minor);
    assert_eq!(bump("0.1.0", "0.2.0"), VersionBump::Minor);
    assert_eq!(bump("1.2.0", "1.2.1"), VersionBump::Patch);
    assert_eq!(bump("1.2.0-rc.1", "1.2.0"), VersionBump::Patch);
    assert_eq!(bump("1.2.0", "1.2.0"), VersionBump::Same);
    assert_eq!(bump("1.2.0", "1.1.9"), VersionBump::Down);
    assert!(
        VersionBump::between("1.2", "1.3.0")
            .unwrap_err()
            .contains("`1.2` is not a semantic version")
    );

    let major = diff::diff(
        &parse(BASE),
        &parse(&edited(&[("      q: { in: query, type: string }\n", "")])),
    );
    let patch = diff::diff(
        &parse(BASE),
        &parse(&edited(&[("description: Mail.", "description: Email.")])),
    );
    assert!(!VersionBump::Minor.allows(&major));
    assert!(VersionBump::Major.allows(&major));
    assert!(!VersionBump::Same.allows(&patch));
    assert!(VersionBump::Patch.allows(&patch));
    assert!(VersionBump::Same.allows(&[]));
    assert!(!VersionBump::Down.allows(&[]));
}

#[test]
fn every_builtin_compared_with_itself_has_no_change() {
    for (file, source) in connector_defs::BUILTIN {
        let def = connector_defs::parse(source, file).unwrap();
        assert_eq!(diff::diff(&def, &def), [], "{file}");
    }
}
