connector_runtime::connector!("fail/several_errors.yaml");

fn main() {}
