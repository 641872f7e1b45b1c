connector_runtime::connector!("fail/api_key_without_location.yaml");

fn main() {}
