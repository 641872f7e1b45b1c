//! The typed `Client`: one async method per endpoint, one page stream per paginated endpoint,
//! each a thin call into `connector_runtime::RawClient`.

use connector_defs::ConnectorDef;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::EndpointTypes;

pub(crate) fn generate(def: &ConnectorDef, endpoints: &[EndpointTypes<'_>]) -> TokenStream {
    let display_name = def.display_name.as_deref().unwrap_or(&def.name);
    let client_doc = super::doc(&if endpoints.is_empty() {
        format!(
            "A client for {display_name}, whose definition has no endpoints: send requests with `raw().send(…)`."
        )
    } else {
        format!("A client for {display_name}: one method per endpoint of the definition.")
    });
    let methods = endpoints.iter().map(|endpoint| {
        let name = endpoint.name;
        let method = format_ident!("{}", name);
        let request = &endpoint.request;
        let response = &endpoint.response;
        let docs = endpoint.docs();
        let pages = (!endpoint.binary)
            .then_some(())
            .and(endpoint.endpoint.pagination.as_ref())
            .map(|_| {
                let pages_method = format_ident!("{}_pages", name);
                let pages_doc = super::doc(&format!(
                    "Every page of [`Client::{name}`], fetched as the stream is polled."
                ));
                quote! {
                    #pages_doc
                    #[inline]
                    pub fn #pages_method(
                        &self,
                        request: #request,
                    ) -> impl ::connector_runtime::__private::Stream<
                        Item = ::std::result::Result<#response, ::connector_runtime::Error>,
                    > + ::std::marker::Send + 'static {
                        self.raw.pages(#name, &request)
                    }
                }
            });
        // A binary body is not decoded: it streams to the caller.
        let call = if endpoint.binary {
            quote!(self.raw.download(#name, &request).await)
        } else {
            quote!(self.raw.call(#name, &request).await)
        };
        // `#[inline]`: a method is compiled (with the generic call it makes) only in a crate
        // that calls it, so a crate of connectors pays nothing for the methods it does not use.
        quote! {
            #docs
            #[inline]
            pub async fn #method(
                &self,
                request: #request,
            ) -> ::std::result::Result<#response, ::connector_runtime::Error> {
                #call
            }
            #pages
        }
    });
    quote! {
        #client_doc
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        pub struct Client {
            raw: ::connector_runtime::RawClient,
        }

        impl Client {
            /// A client that authenticates with `auth`, which must fit the definition's auth kind.
            pub fn new(auth: ::connector_runtime::Auth) -> Self {
                Client {
                    raw: ::connector_runtime::RawClient::new(DEFINITION.shared(), auth),
                }
            }

            /// Sends every request to `base_url` instead of the definition's (a sandbox, a mock).
            pub fn with_base_url(self, base_url: impl ::std::convert::Into<::std::string::String>) -> Self {
                Client { raw: self.raw.with_base_url(base_url) }
            }

            /// Uses this HTTP client (proxies, TLS settings, connection pool).
            pub fn with_http(self, http: ::connector_runtime::__private::reqwest::Client) -> Self {
                Client { raw: self.raw.with_http(http) }
            }

            /// Values for the definition's `{connection_config.NAME}` placeholders.
            pub fn with_connection_config<K, V>(self, config: impl ::std::iter::IntoIterator<Item = (K, V)>) -> Self
            where
                K: ::std::convert::Into<::std::string::String>,
                V: ::std::convert::Into<::std::string::String>,
            {
                Client {
                    raw: self.raw.with_connection_config(
                        ::std::iter::Iterator::map(::std::iter::IntoIterator::into_iter(config), |(key, value)| {
                            (::std::convert::Into::into(key), ::std::convert::Into::into(value))
                        }),
                    ),
                }
            }

            /// Writes a redacted cassette of every call to `dir/<connector>/` (see `RawClient::with_cassette_recorder`).
            pub fn with_cassette_recorder(self, dir: impl ::std::convert::Into<::std::path::PathBuf>) -> Self {
                Client { raw: self.raw.with_cassette_recorder(dir) }
            }

            /// The untyped client underneath, for endpoints by name and JSON inputs.
            pub fn raw(&self) -> &::connector_runtime::RawClient {
                &self.raw
            }

            #(#methods)*
        }
    }
}
