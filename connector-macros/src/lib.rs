//! `connector!("path.yaml")`: a typed Rust module from a connector definition.
//!
//! Use it through `connector_runtime::connector!`, which also provides everything the
//! generated code needs. This crate only reads the file and turns the definition's problems
//! into compile errors; the code itself comes from connector-codegen.

use std::path::Path;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use syn::LitStr;

/// Generates a typed module from the connector definition at the given path, relative to
/// `CARGO_MANIFEST_DIR`. See connector-runtime for the shape of the module.
#[proc_macro]
pub fn connector(input: TokenStream) -> TokenStream {
    let options = connector_codegen::Options {
        openapi: cfg!(feature = "openapi"),
    };
    expand(input.into(), options).into()
}

fn expand(input: TokenStream2, options: connector_codegen::Options) -> TokenStream2 {
    let literal: LitStr = match syn::parse2(input) {
        Ok(literal) => literal,
        Err(error) => {
            return syn::Error::new(
                error.span(),
                "expected the path of a connector definition, such as `connector!(\"connectors/gmail.yaml\")`",
            )
            .to_compile_error();
        }
    };
    let written = literal.value();
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let absolute = Path::new(&manifest_dir).join(&written);
    let yaml = match std::fs::read_to_string(&absolute) {
        Ok(yaml) => yaml,
        Err(error) => {
            return syn::Error::new(
                literal.span(),
                format!("cannot read connector definition `{written}`: {error}\n  = help: the path is relative to CARGO_MANIFEST_DIR, the folder of the crate's Cargo.toml"),
            )
            .to_compile_error();
        }
    };
    match connector_defs::parse(&yaml, &written) {
        Ok(def) => connector_codegen::generate(
            &def,
            &connector_codegen::Source {
                written: &written,
                absolute: &absolute.to_string_lossy(),
            },
            options,
        ),
        Err(error) => {
            let errors: TokenStream2 = error
                .diagnostics
                .iter()
                .map(|diagnostic| {
                    syn::Error::new(literal.span(), error.render(diagnostic)).to_compile_error()
                })
                .collect();
            match connector_defs::declared_name(&yaml) {
                Some(name) => connector_codegen::placeholder(&name, errors),
                None => errors,
            }
        }
    }
}
