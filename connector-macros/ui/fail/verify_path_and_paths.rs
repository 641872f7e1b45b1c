connector_runtime::connector!("fail/verify_path_and_paths.yaml");

fn main() {}
