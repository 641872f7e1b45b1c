//! `connector!("path.yaml")`: a typed Rust module from a connector definition.
//!
//! Use it through `connector_runtime::connector!`; the generation itself lives in
//! [`codegen`], which the snapshot tests call directly.

use proc_macro::TokenStream;

mod codegen;

#[proc_macro]
pub fn connector(input: TokenStream) -> TokenStream {
    codegen::expand(input.into()).into()
}
