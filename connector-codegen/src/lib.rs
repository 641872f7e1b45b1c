//! The code `connector!("path.yaml")` expands to, as a library: the proc-macro
//! (connector-macros) reads the file and reports errors, and calls this crate; tests and tools
//! call it directly, as progenitor and typify split theirs.
//!
//! [`generate`] turns a valid definition into the module; [`placeholder`] is what stands in for
//! it beside the errors of an invalid one. The generated code names other crates only through
//! `::connector_runtime::__private`, so its user needs no dependency but connector-runtime.

mod api;
mod client;
#[cfg(test)]
mod tests;
mod types;

use connector_defs::{ConnectorDef, naming};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use self::types::TypeSpace;

/// What the expansion includes. A run-time option rather than a cargo feature: the macro
/// passes its own `openapi` feature (enabled by connector-runtime's), and tests choose freely.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Emit the poem-openapi `Api` (connector-runtime's `openapi` feature).
    pub openapi: bool,
}

/// Where the definition came from.
pub struct Source<'a> {
    /// The path as the user wrote it; names the file in errors and docs.
    pub written: &'a str,
    /// The absolute path, which `include_str!` tracks so that cargo rebuilds on change.
    pub absolute: &'a str,
}

/// The module for a valid definition.
pub fn generate(def: &ConnectorDef, source: &Source<'_>, options: Options) -> TokenStream {
    let module = format_ident!("{}", def.name);
    let mut types = TypeSpace::new(def, options.openapi);
    let endpoints: Vec<EndpointTypes> = def
        .endpoints
        .iter()
        .map(|(name, endpoint)| {
            let type_name = naming::type_name(name);
            EndpointTypes {
                name,
                endpoint,
                request: types.request(&type_name, endpoint),
                response: types.response(&type_name, endpoint),
                binary: endpoint
                    .response
                    .as_ref()
                    .is_some_and(|schema| schema.is_binary()),
                input: options
                    .openapi
                    .then(|| types.claim_ident(&format!("{type_name}Input"))),
            }
        })
        .collect();
    let client = client::generate(def, &endpoints);
    let api = options.openapi.then(|| api::generate(def, &endpoints));
    let type_items = types.into_items();
    let openapi_import = options.openapi.then(|| {
        quote!(
            use ::connector_runtime::__private::poem_openapi;
        )
    });

    let written = source.written;
    let absolute = source.absolute;
    let display_name = def.display_name.as_deref().unwrap_or(&def.name);
    let mut module_doc = format!("Typed client for {display_name}, generated from `{written}`.");
    if let Some(description) = &def.description {
        module_doc = format!("{module_doc}\n\n{description}");
    }
    let module_doc = doc(&module_doc);
    quote! {
        #module_doc
        #[allow(clippy::all, clippy::pedantic, missing_docs)]
        pub mod #module {
            // Derives of other crates may name prelude items; a `#![no_implicit_prelude]`
            // around the macro call must not break them.
            #[allow(unused_imports)]
            use ::connector_runtime::__private::std::prelude::rust_2021::*;
            #openapi_import

            /// The YAML this module was generated from; `include_str!` makes cargo rebuild
            /// the module when it changes.
            const SOURCE: &str = ::connector_runtime::__private::std::include_str!(#absolute);

            static DEFINITION: ::connector_runtime::__private::StaticDefinition =
                ::connector_runtime::__private::StaticDefinition::new(SOURCE, #written);

            /// The definition, validated when the macro ran and decoded once on first use.
            pub fn definition() -> &'static ::connector_runtime::ConnectorDef {
                DEFINITION.get()
            }

            #client
            #api
            #(#type_items)*
        }
    }
}

/// What stands in for the module of an invalid definition: a module of the name the definition
/// declares, holding nothing but `errors` (the definition's `compile_error!`s). rustc then
/// takes the module's missing items for the errors' doing, so code that uses the module (`use
/// gmail::Client`, `gmail::definition()`) fails with the definition's errors alone instead of a
/// cascade of unresolved names. When `module_name` is not a usable module name (that is one of
/// the errors then), the errors alone.
pub fn placeholder(module_name: &str, errors: TokenStream) -> TokenStream {
    if !naming::is_snake_identifier(module_name) || naming::is_keyword(module_name) {
        return errors;
    }
    let module = format_ident!("{module_name}");
    quote! {
        pub mod #module {
            #errors
        }
    }
}

/// An endpoint with the names of its generated types.
pub(crate) struct EndpointTypes<'a> {
    pub name: &'a str,
    pub endpoint: &'a connector_defs::Endpoint,
    pub request: syn::Ident,
    pub response: syn::Ident,
    /// The response is `format: binary`: a [`connector_runtime::Download`], streamed.
    pub binary: bool,
    /// The action body (`connection_id` and the request), when the `Api` is generated.
    pub input: Option<syn::Ident>,
}

impl EndpointTypes<'_> {
    /// The doc comment of the endpoint's method: its summary, then its description.
    pub fn docs(&self) -> TokenStream {
        let paragraphs: Vec<&str> = [&self.endpoint.summary, &self.endpoint.description]
            .into_iter()
            .filter_map(|text| text.as_deref())
            .collect();
        doc(&paragraphs.join("\n\n"))
    }
}

/// `#[doc]` attributes for `text`, one per line, spaced as `///` comments are.
pub(crate) fn doc(text: &str) -> TokenStream {
    text.trim_end()
        .lines()
        .map(|line| {
            let line = if line.is_empty() {
                String::new()
            } else {
                format!(" {line}")
            };
            quote!(#[doc = #line])
        })
        .collect()
}
