//! Snapshot tests of the expansion of the built-in connectors. Review a change with
//! `cargo insta review` (or accept with `INSTA_UPDATE=always`).

use quote::quote;

use super::{Options, Source, generate, placeholder};

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

/// Format 1.1: a definition without endpoints is still a module, with a Client and an Api
/// that have no endpoint methods and no operations.
#[test]
fn proxy_only() {
    let yaml = "name: proxy_only
version: 1.0.0
base_url: https://{connection_config.subdomain}.example.com/api
auth: { kind: api_key, in: header, name: X-Api-Key }
connection_config:
  subdomain: { pattern: '[a-z0-9-]+', example: acme }
";
    let def =
        connector_defs::parse(yaml, "proxy_only.yaml").unwrap_or_else(|error| panic!("{error}"));
    let source = Source {
        written: "proxy_only.yaml",
        absolute: "/proxy_only.yaml",
    };
    let tokens = generate(&def, &source, Options { openapi: true });
    let file = syn::parse2(tokens).expect("the expansion is a Rust file");
    insta::assert_snapshot!(prettyplease::unparse(&file));
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

#[test]
fn placeholder_wraps_the_errors_in_the_named_module() {
    let errors = quote!(::core::compile_error!("gmail.yaml:4:13: wrong"););
    let code = placeholder("gmail", errors.clone()).to_string();
    assert_eq!(
        code,
        quote!(
            pub mod gmail {
                ::core::compile_error!("gmail.yaml:4:13: wrong");
            }
        )
        .to_string()
    );
    // Not a module name: the errors alone (the invalid name is one of them).
    assert_eq!(
        placeholder("My-API", errors.clone()).to_string(),
        errors.to_string()
    );
    assert_eq!(
        placeholder("type", errors.clone()).to_string(),
        errors.to_string()
    );
}

/// Every built-in expands to valid Rust (the three above are snapshotted; the others are
/// compiled by the server).
#[test]
fn every_builtin_expands() {
    for (file, _) in connector_defs::BUILTIN {
        let _ = expand_builtin(file);
    }
}
