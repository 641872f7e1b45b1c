connector_runtime::connector!("fail/default_wrong_type.yaml");

fn main() {}
