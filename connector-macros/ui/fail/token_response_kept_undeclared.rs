connector_runtime::connector!("fail/token_response_kept_undeclared.yaml");

fn main() {}
