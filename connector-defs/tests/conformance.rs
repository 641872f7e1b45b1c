//! `conformance::check`: a value against a definition's schema, with refs, `required`, types,
//! `enum`, `nullable`, discriminated `oneOf` and binary bodies.

use connector_defs::conformance::check;
use serde_json::{Value, json};

const DEF: &str = r##"name: files
version: 1.0.0
base_url: https://api.example.com/v1
auth: { kind: bearer }
schemas:
  Folder:
    type: object
    required: [".tag", id]
    properties:
      .tag: { type: string }
      id: { type: string }
      children: { type: array, items: { $ref: "#/schemas/Metadata" } }
  File:
    type: object
    required: [id]
    properties:
      .tag: { type: string }
      id: { type: string }
      size: { type: integer }
      kind: { type: string, enum: [doc, image] }
      owner: { $ref: "#/schemas/Owner", nullable: true }
  Owner:
    type: object
    properties:
      name: { type: string }
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
    response: { $ref: "#/schemas/Metadata" }
  download:
    method: POST
    path: /files/download
    response: { type: string, format: binary }
"##;

fn mismatches(endpoint: &str, value: Value) -> Vec<String> {
    let def = connector_defs::parse(DEF, "files.yaml").unwrap();
    let schema = def.endpoints[endpoint].response.as_ref().unwrap();
    check(&def, schema, &value)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_conforming_value_has_no_mismatch() {
    let value = json!({
        ".tag": "folder", "id": "id:1", "extra": "providers add fields",
        "children": [
            {".tag": "file", "id": "id:2", "size": 3, "kind": "doc", "owner": null},
            {".tag": "folder", "id": "id:3", "children": []},
        ],
    });
    assert_eq!(mismatches("get_metadata", value), Vec::<String>::new());
}

#[test]
fn the_discriminator_chooses_the_alternative() {
    // Valid as a File, but the tag says Folder, which requires nothing more here but `id`.
    assert_eq!(
        mismatches("get_metadata", json!({".tag": "folder"})),
        ["at `/`: required property `id` is missing"]
    );
    assert_eq!(
        mismatches("get_metadata", json!({".tag": "link", "id": "x"})),
        [r#"at `/`: the discriminator `.tag` is "link", not one of file, folder"#]
    );
    assert_eq!(
        mismatches("get_metadata", json!({"id": "x"})),
        ["at `/`: the discriminator `.tag` is missing"]
    );
}

#[test]
fn types_enums_and_nullable_are_checked_with_their_path() {
    let value = json!({
        ".tag": "folder", "id": "id:1",
        "children": [
            {".tag": "file", "id": 7, "size": 1.5, "kind": "video", "owner": {"name": null}},
        ],
    });
    assert_eq!(
        mismatches("get_metadata", value),
        [
            "at `/children/0/id`: expected a string, got the integer 7",
            "at `/children/0/size`: expected an integer, got the number 1.5",
            r#"at `/children/0/kind`: "video" is not one of "doc", "image""#,
            "at `/children/0/owner/name`: null where the schema does not allow it (not `nullable`)",
        ]
    );
    assert_eq!(
        mismatches("get_metadata", Value::Null),
        ["at `/`: null where the schema does not allow it (not `nullable`)"]
    );
}

#[test]
fn a_binary_body_is_any_text() {
    assert_eq!(
        mismatches("download", json!("%PDF-1.4 …")),
        Vec::<String>::new()
    );
}
