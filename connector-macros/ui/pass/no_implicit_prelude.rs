//! The expansion names everything by absolute path.

#![no_implicit_prelude]

mod connectors {
    ::connector_runtime::connector!("connectors/gmail.yaml");
    ::connector_runtime::connector!("pass/every_param.yaml");
}

fn main() {
    let _client = connectors::gmail::Client::new(::connector_runtime::Auth::bearer("token"));
    let _request = <connectors::every_param::SearchRequest as ::std::default::Default>::default();
}
