connector_runtime::connector!("fail/path_placeholder_without_param.yaml");

fn main() {}
