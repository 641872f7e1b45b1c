connector_runtime::connector!("fail/token_response_bad_path.yaml");

fn main() {}
