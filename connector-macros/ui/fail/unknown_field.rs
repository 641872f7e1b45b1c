connector_runtime::connector!("fail/unknown_field.yaml");

fn main() {}
