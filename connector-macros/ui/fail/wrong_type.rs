connector_runtime::connector!("fail/wrong_type.yaml");

fn main() {}
