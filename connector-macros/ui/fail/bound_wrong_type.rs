connector_runtime::connector!("fail/bound_wrong_type.yaml");

fn main() {}
