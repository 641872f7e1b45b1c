connector_runtime::connector!("fail/path_param_not_in_path.yaml");

fn main() {}
