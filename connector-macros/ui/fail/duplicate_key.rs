connector_runtime::connector!("fail/duplicate_key.yaml");

fn main() {}
