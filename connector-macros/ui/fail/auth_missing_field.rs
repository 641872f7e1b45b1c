connector_runtime::connector!("fail/auth_missing_field.yaml");

fn main() {}
