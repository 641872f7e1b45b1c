connector_runtime::connector!("fail/bad_pattern.yaml");

fn main() {}
