connector_runtime::connector!("fail/invalid_connector_name.yaml");

fn main() {}
