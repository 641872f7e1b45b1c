//! The expansion of `connector!("path.yaml")`.
//!
//! [`expand`] reads and validates the definition, reporting every problem on the path literal
//! with the YAML's file:line:col; [`generate`] turns a valid definition into the module. The
//! generated code names other crates only through `::connector_runtime::__private`, so its user
//! needs no dependency but connector-runtime.

mod api;
mod client;
#[cfg(test)]
mod tests;
mod types;

use std::path::Path;

use connector_defs::{ConnectorDef, naming};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::LitStr;

use self::types::TypeSpace;

/// What the expansion includes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Emit the poem-openapi `Api` (connector-runtime's `openapi` feature).
    pub openapi: bool,
}

/// Where the definition came from.
pub(crate) struct Source<'a> {
    /// The path as the user wrote it; names the file in errors and docs.
    pub written: &'a str,
    /// The absolute path, which `include_str!` tracks so that cargo rebuilds on change.
    pub absolute: &'a str,
}

pub(crate) fn expand(input: TokenStream, options: Options) -> TokenStream {
    match expand_or_error(input, options) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn expand_or_error(input: TokenStream, options: Options) -> syn::Result<TokenStream> {
    let literal: LitStr = syn::parse2(input).map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected the path of a connector definition, such as `connector!(\"connectors/gmail.yaml\")`",
        )
    })?;
    let written = literal.value();
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let absolute = Path::new(&manifest_dir).join(&written);
    let yaml = std::fs::read_to_string(&absolute).map_err(|error| {
        syn::Error::new(
            literal.span(),
            format!("cannot read connector definition `{written}`: {error}\n  = help: the path is relative to CARGO_MANIFEST_DIR, the folder of the crate's Cargo.toml"),
        )
    })?;
    let def = connector_defs::parse(&yaml, &written).map_err(|error| {
        let mut diagnostics = error
            .diagnostics
            .iter()
            .map(|diagnostic| syn::Error::new(literal.span(), error.render(diagnostic)));
        let mut combined = diagnostics
            .next()
            .expect("an error has at least one diagnostic");
        diagnostics.for_each(|more| combined.combine(more));
        combined
    })?;
    let absolute = absolute.to_string_lossy();
    Ok(generate(
        &def,
        &Source {
            written: &written,
            absolute: &absolute,
        },
        options,
    ))
}

/// The module for a valid definition.
pub(crate) fn generate(def: &ConnectorDef, source: &Source<'_>, options: Options) -> TokenStream {
    let module = format_ident!("{}", def.name);
    let mut types = TypeSpace::new(&def.name, options.openapi);
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

/// An endpoint with the names of its generated types.
pub(crate) struct EndpointTypes<'a> {
    pub name: &'a str,
    pub endpoint: &'a connector_defs::Endpoint,
    pub request: syn::Ident,
    pub response: syn::Ident,
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
