//! The poem-openapi `Api`: `POST /v1/actions/{connector}/{endpoint}` for every endpoint, whose
//! body is `connection_id` plus the endpoint's inputs and whose 200 is the typed output.
//! Running the call (finding the connection, its credential) is the server's business,
//! reached through `connector_runtime::openapi::Actions`. A definition without endpoints gets
//! an `Api` without operations, which mounts and adds nothing to the document.

use connector_defs::{ConnectorDef, naming};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::EndpointTypes;

pub(crate) fn generate(def: &ConnectorDef, endpoints: &[EndpointTypes<'_>]) -> TokenStream {
    let connector = &def.name;
    let tag_variant = format_ident!("{}", naming::type_name(connector));
    let display_name = def.display_name.as_deref().unwrap_or(connector);
    let tag_doc = super::doc(&match &def.description {
        Some(description) => format!("{display_name}: {description}"),
        None => format!("Typed actions of the {display_name} connector."),
    });
    let tag_path = format!("ApiTag::{tag_variant}");
    let api_doc = super::doc(&if endpoints.is_empty() {
        format!(
            "{display_name} has no endpoints, so this `Api` has no operations: mounting it adds nothing."
        )
    } else {
        format!("The typed actions of {display_name}: `POST /v1/actions/{connector}/{{endpoint}}`.")
    });

    let mut operations = Vec::new();
    let mut inputs = Vec::new();
    for endpoint in endpoints {
        let name = endpoint.name;
        let method = format_ident!("{}", name);
        let request = &endpoint.request;
        let response = &endpoint.response;
        let input = endpoint
            .input
            .as_ref()
            .expect("inputs are named when the Api is generated");
        let path = format!("/v1/actions/{connector}/{name}");
        let operation_id = naming::operation_id(connector, name);
        let docs = endpoint.docs();
        let input_schema = format!("{}{input}", naming::type_name(connector));
        let input_doc = super::doc(&format!(
            "Body of `POST {path}`: the connection and the inputs of `{name}`."
        ));
        // A binary action streams the provider's bytes through instead of typed JSON.
        let (answer, run) = if endpoint.binary {
            (
                quote!(::connector_runtime::openapi::DownloadResponse),
                quote!(download),
            )
        } else {
            (
                quote!(::connector_runtime::openapi::ActionResponse<#response>),
                quote!(run),
            )
        };
        operations.push(quote! {
            #docs
            #[oai(path = #path, method = "post", operation_id = #operation_id, tag = #tag_path)]
            async fn #method(
                &self,
                _secret_key: ::connector_runtime::openapi::SecretKey,
                input: ::connector_runtime::openapi::StrictJson<#input>,
            ) -> #answer {
                let ::connector_runtime::openapi::StrictJson(input) = input;
                self.actions
                    .#run(DEFINITION.shared(), #name, &input.connection_id, &input.request)
                    .await
            }
        });
        inputs.push(quote! {
            #input_doc
            #[derive(::std::fmt::Debug, ::std::clone::Clone, poem_openapi::Object)]
            #[oai(rename = #input_schema)]
            pub struct #input {
                /// The connection whose credentials the call uses.
                pub connection_id: ::std::string::String,
                #[oai(flatten)]
                pub request: #request,
            }
        });
    }

    // Operations name the tag and read `actions`; without any, both would draw dead-code
    // warnings in the user's crate.
    let unused = operations.is_empty().then(|| quote!(#[allow(dead_code)]));
    let tag = (!operations.is_empty()).then(|| {
        quote! {
            #[derive(poem_openapi::Tags)]
            enum ApiTag {
                #tag_doc
                #[oai(rename = #connector)]
                #tag_variant,
            }
        }
    });
    quote! {
        #tag

        #api_doc
        #[derive(::std::clone::Clone)]
        pub struct Api {
            #unused
            actions: ::connector_runtime::openapi::Actions,
        }

        impl Api {
            /// The endpoints, running calls through `actions`.
            pub fn new(actions: ::connector_runtime::openapi::Actions) -> Self {
                Api { actions }
            }
        }

        #[poem_openapi::OpenApi]
        impl Api {
            #(#operations)*
        }

        #(#inputs)*
    }
}
