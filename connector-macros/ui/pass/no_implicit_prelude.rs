//! The expansion names everything by absolute path, with endpoints and without (a proxy-only
//! definition still gives a module: its definition, a Client, an Api without operations).

#![no_implicit_prelude]

mod connectors {
    ::connector_runtime::connector!("connectors/gmail.yaml");
    ::connector_runtime::connector!("pass/every_param.yaml");
    ::connector_runtime::connector!("pass/proxy_only.yaml");
}

fn mountable<T: ::connector_runtime::__private::poem_openapi::OpenApi>(_: T) {}

fn main() {
    let _client = connectors::gmail::Client::new(::connector_runtime::Auth::bearer("token"));
    let _request = <connectors::every_param::SearchRequest as ::std::default::Default>::default();
    let _proxy_only = connectors::proxy_only::Client::new(::connector_runtime::Auth::api_key("key"))
        .with_connection_config([("subdomain", "acme")]);
    let _ = |actions: ::connector_runtime::openapi::Actions| {
        mountable(connectors::proxy_only::Api::new(actions))
    };
    ::std::assert!(connectors::proxy_only::definition().endpoints.is_empty());
}
