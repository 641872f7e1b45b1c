//! Snapshot tests of the expansion of the built-in connectors. Review a change with
//! `cargo insta review` (or accept with `INSTA_UPDATE=always`).

use super::{Options, Source, generate};

fn expand_builtin(file: &str) -> String {
    let (_, yaml) = connector_defs::BUILTIN
        .iter()
        .find(|(name, _)| *name == file)
        .expect("a built-in definition");
    let def = connector_defs::parse(yaml, file).unwrap_or_else(|error| panic!("{error}"));
    let source = Source {
        written: &format!("connectors/{file}"),
        // A fixed absolute path keeps snapshots independent of the checkout's location.
        absolute: &format!("/connectors/{file}"),
    };
    let tokens = generate(&def, &source, Options { openapi: true });
    let file = syn::parse2(tokens).expect("the expansion is a Rust file");
    prettyplease::unparse(&file)
}

#[test]
fn gmail() {
    insta::assert_snapshot!(expand_builtin("gmail.yaml"));
}

#[test]
fn onedrive() {
    insta::assert_snapshot!(expand_builtin("onedrive.yaml"));
}

#[test]
fn dropbox() {
    insta::assert_snapshot!(expand_builtin("dropbox.yaml"));
}

#[test]
fn without_openapi_there_is_no_api() {
    let (_, yaml) = connector_defs::BUILTIN[0];
    let def = connector_defs::parse(yaml, "gmail.yaml").unwrap();
    let source = Source {
        written: "gmail.yaml",
        absolute: "/gmail.yaml",
    };
    let code = generate(&def, &source, Options { openapi: false }).to_string();
    assert!(!code.contains("poem_openapi"), "{code}");
    assert!(code.contains("pub struct Client"));
}
