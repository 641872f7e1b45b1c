//! Named schemas, `$ref`, `oneOf` unions and binary bodies: accepted when they fit, reported
//! at their line and column when they do not, and compared by `connector diff` as the wire
//! contract they stand for.

use connector_defs::diff::{ChangeClass, class_of, diff};

const HEAD: &str = "name: files
version: 1.0.0
base_url: https://api.example.com/v1
auth: { kind: bearer }
";

fn problems(rest: &str) -> Vec<String> {
    match connector_defs::parse(&format!("{HEAD}{rest}"), "files.yaml") {
        Ok(_) => Vec::new(),
        Err(error) => error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect(),
    }
}

const GOOD: &str = r##"schemas:
  Folder:
    type: object
    required: [".tag", id]
    properties:
      .tag: { type: string }
      id: { type: string }
      children: { type: array, items: { $ref: "#/schemas/Metadata" } }
  File:
    type: object
    properties:
      .tag: { type: string }
      id: { type: string }
      size: { type: integer }
  Metadata:
    oneOf:
      - $ref: "#/schemas/File"
      - $ref: "#/schemas/Folder"
    discriminator:
      propertyName: .tag
      mapping: { file: "#/schemas/File", folder: "#/schemas/Folder" }
endpoints:
  get_metadata:
    method: POST
    path: /files/get_metadata
    params:
      path: { in: body, type: string, required: true }
    response: { $ref: "#/schemas/Metadata" }
  download:
    method: POST
    path: /files/download
    response: { type: string, format: binary }
"##;

#[test]
fn named_schemas_refs_and_unions_are_accepted() {
    assert_eq!(problems(GOOD), Vec::<String>::new());
    let def = connector_defs::parse(&format!("{HEAD}{GOOD}"), "files.yaml").unwrap();
    let response = def.endpoints["get_metadata"].response.as_ref().unwrap();
    assert_eq!(response.ref_name(), Some("Metadata"));
    let metadata = def.resolve(response);
    let discriminator = metadata.discriminator.as_ref().unwrap();
    let values: Vec<&str> = discriminator
        .values(&metadata.one_of)
        .map(|(value, _)| value)
        .collect();
    assert_eq!(values, ["file", "folder"]);
    assert!(
        def.endpoints["download"]
            .response
            .as_ref()
            .unwrap()
            .is_binary()
    );
}

#[test]
fn a_dangling_ref_is_reported_where_it_is_written() {
    let found = problems(
        r##"schemas:
  DriveItem: { type: object, properties: { id: { type: string } } }
endpoints:
  get_item:
    method: GET
    path: /items
    response: { $ref: "#/schemas/DriveItme" }
  list_items:
    method: GET
    path: /items
    response: { type: array, items: { $ref: "#/definitions/DriveItem" } }
"##,
    );
    assert_eq!(
        found,
        [
            "files.yaml:11:23: no schema named `DriveItme`\n  = help: did you mean `#/schemas/DriveItem`?",
            "files.yaml:15:45: `#/definitions/DriveItem` is not a reference to a named schema\n  = help: write `#/schemas/NAME`, NAME a key of the top-level `schemas:`",
        ]
    );
    let found = problems(
        r##"endpoints:
  get_item:
    method: GET
    path: /items
    response: { $ref: "#/schemas/Missing" }
"##,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("files.yaml:9:23: no schema named `Missing`"),
        "{found:?}"
    );
    assert!(found[0].contains("define it under a top-level `schemas:` map"));
}

#[test]
fn refs_are_checked_inside_parameters_too() {
    let found = problems(
        r##"endpoints:
  create:
    method: POST
    path: /items
    params:
      item: { in: body, type: object, properties: { parent: { $ref: "#/schemas/Parent" } } }
"##,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("no schema named `Parent`"), "{found:?}");
}

#[test]
fn schema_names_are_pascal_case_and_not_aliases() {
    let found = problems(
        r##"schemas:
  drive_item: { type: object, properties: { id: { type: string } } }
  Item: { $ref: "#/schemas/drive_item" }
"##,
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("files.yaml:6:3: invalid schema name `drive_item`"));
    assert!(found[0].contains("`DriveItem`"));
    assert!(found[1].contains("schema `Item` is only a pointer to another schema"));
}

#[test]
fn a_ref_stands_alone() {
    let found = problems(
        r##"schemas:
  Item: { type: object, properties: { id: { type: string } } }
endpoints:
  get_item:
    method: GET
    path: /items
    response: { $ref: "#/schemas/Item", type: object, description: fine }
"##,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("`type` cannot stand beside `$ref`"),
        "{found:?}"
    );
}

#[test]
fn unions_need_a_discriminator_and_named_object_alternatives() {
    let found = problems(
        r##"schemas:
  File: { type: object, properties: { id: { type: string } } }
  Name: { type: string }
  NoTag:
    oneOf: [{ $ref: "#/schemas/File" }]
  Inline:
    oneOf: [{ type: object, properties: { id: { type: string } } }]
    discriminator: { propertyName: type }
  Scalar:
    oneOf: [{ $ref: "#/schemas/Name" }]
    discriminator: { propertyName: type, mapping: { x: "#/schemas/File" } }
"##,
    );
    let joined = found.join("\n");
    assert!(
        joined.contains("`oneOf` needs a `discriminator`"),
        "{joined}"
    );
    assert!(
        joined.contains("each `oneOf` alternative is a `$ref` to a named schema"),
        "{joined}"
    );
    assert!(
        joined.contains("alternative `Name` is not an object schema with properties"),
        "{joined}"
    );
    assert!(
        joined.contains("`#/schemas/File` is not one of the `oneOf` alternatives"),
        "{joined}"
    );
}

#[test]
fn binary_is_a_string_format() {
    let found = problems(
        r##"endpoints:
  download:
    method: GET
    path: /content
    response: { type: object, format: binary }
"##,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`format: binary` applies to `type: string`"));
}

fn def(rest: &str) -> connector_defs::ConnectorDef {
    connector_defs::parse(&format!("{HEAD}{rest}"), "files.yaml").unwrap()
}

#[test]
fn moving_a_schema_under_schemas_changes_nothing_on_the_wire() {
    let inline = def(r##"endpoints:
  get_item:
    method: GET
    path: /items
    response: { type: object, properties: { id: { type: string } } }
"##);
    let named = def(r##"schemas:
  Item: { type: object, properties: { id: { type: string } } }
endpoints:
  get_item:
    method: GET
    path: /items
    response: { $ref: "#/schemas/Item" }
"##);
    assert_eq!(diff(&inline, &named), []);
}

#[test]
fn a_named_schema_changed_is_classified_where_it_is_used() {
    let old = def(GOOD);
    let new = def(&GOOD.replace(
        "      size: { type: integer }\n",
        "      size: { type: integer }\n      rev: { type: string }\n",
    ));
    let changes = diff(&old, &new);
    assert_eq!(class_of(&changes), ChangeClass::Minor, "{changes:?}");
    let removed = def(&GOOD.replace("      size: { type: integer }\n", ""));
    assert_eq!(class_of(&diff(&old, &removed)), ChangeClass::Major);
}

#[test]
fn a_union_alternative_added_to_an_output_is_major() {
    let old = def(GOOD);
    let new = def(&GOOD
        .replace(
            "  Metadata:\n",
            "  Deleted:\n    type: object\n    properties: { id: { type: string } }\n  Metadata:\n",
        )
        .replace(
            "      - $ref: \"#/schemas/Folder\"\n",
            "      - $ref: \"#/schemas/Folder\"\n      - $ref: \"#/schemas/Deleted\"\n",
        )
        .replace(
            "folder: \"#/schemas/Folder\" }",
            "folder: \"#/schemas/Folder\", deleted: \"#/schemas/Deleted\" }",
        ));
    let changes = diff(&old, &new);
    assert!(
        changes
            .iter()
            .any(|change| change.what.contains("alternative")
                && change.what.contains("<deleted> added")),
        "{changes:?}"
    );
    assert_eq!(class_of(&changes), ChangeClass::Major);
}

#[test]
fn recursive_schemas_are_compared_once() {
    // Folder → children → Metadata → Folder: the comparison ends.
    assert_eq!(diff(&def(GOOD), &def(GOOD)), []);
}

const PAGED: &str = r##"schemas:
  Contact:
    type: object
    properties:
      id: { type: string }
endpoints:
  list_contacts:
    method: GET
    path: /contacts
    params:
      after: { in: query, type: string }
      starting_after: { in: query, type: string }
    pagination: { kind: cursor, cursor_param: after, next_cursor: NEXT, items: ITEMS }
    response:
      type: object
      properties:
        results: { type: array, items: { $ref: "#/schemas/Contact" } }
        paging:
          type: object
          properties:
            next: { type: object, properties: { after: { type: string } } }
        extra: { type: object }
"##;

fn paged(next: &str, items: &str) -> Vec<String> {
    problems(&PAGED.replace("NEXT", next).replace("ITEMS", items))
}

#[test]
fn pagination_fields_may_be_dotted_paths_through_refs_and_array_items() {
    assert_eq!(paged("paging.next.after", "results"), Vec::<String>::new());
    // The last item's id (Stripe), through `items` and the named schema.
    assert_eq!(paged("results.-1.id", "results"), Vec::<String>::new());
    // Below a free object anything goes.
    assert_eq!(paged("extra.cursor", "results"), Vec::<String>::new());
    let missing = paged("paging.next.cursor", "results");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("pagination names response field `paging.next.cursor`"),
        "{missing:?}"
    );
    assert_eq!(paged("results.last.id", "results").len(), 1);
    assert_eq!(paged("results.-1.name", "results").len(), 1);
    assert_eq!(paged("paging.next.after", "data").len(), 1);
}

#[test]
fn a_parameter_may_be_a_named_schema() {
    let rest = r##"schemas:
  EventDateTime: { type: object, properties: { dateTime: { type: string }, timeZone: { type: string } } }
endpoints:
  create_event:
    method: POST
    path: /events
    params:
      start: { in: body, type: object, required: true, $ref: "#/schemas/EventDateTime" }
"##;
    assert_eq!(problems(rest), Vec::<String>::new());
    let def = def(rest);
    let start = &def.endpoints["create_event"].params["start"];
    assert_eq!(start.schema().ref_name(), Some("EventDateTime"));

    let found = problems(
        r##"schemas:
  Tags: { type: array, items: { type: string } }
endpoints:
  create_event:
    method: POST
    path: /events
    params:
      start: { in: body, type: object, $ref: "#/schemas/Tags", properties: { a: { type: string } } }
      end: { in: body, type: object, $ref: "#/schemas/Missing" }
"##,
    );
    let joined = found.join("\n");
    assert!(
        joined.contains("`properties` cannot stand beside `$ref`"),
        "{joined}"
    );
    assert!(
        joined.contains("the parameter is `object` but `Tags` is `array`"),
        "{joined}"
    );
    assert!(joined.contains("no schema named `Missing`"), "{joined}");
}
