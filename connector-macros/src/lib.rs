//! `connector!("path.yaml")`: a typed Rust module from a connector definition.
//!
//! Use it through `connector_runtime::connector!`, which also provides everything the
//! generated code needs; the generation itself lives in `codegen`.

use proc_macro::TokenStream;

mod codegen;

/// Generates a typed module from the connector definition at the given path, relative to
/// `CARGO_MANIFEST_DIR`. See connector-runtime for the shape of the module.
#[proc_macro]
pub fn connector(input: TokenStream) -> TokenStream {
    let options = codegen::Options {
        openapi: cfg!(feature = "openapi"),
    };
    codegen::expand(input.into(), options).into()
}
