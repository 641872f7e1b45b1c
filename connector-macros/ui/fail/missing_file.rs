connector_runtime::connector!("fail/does_not_exist.yaml");

fn main() {}
