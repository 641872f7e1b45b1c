connector_runtime::connector!("fail/bad_version.yaml");

fn main() {}
