connector_runtime::connector!("fail/token_request_encoding_unknown.yaml");

fn main() {}
