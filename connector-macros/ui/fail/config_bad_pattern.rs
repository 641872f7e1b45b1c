connector_runtime::connector!("fail/config_bad_pattern.yaml");

fn main() {}
