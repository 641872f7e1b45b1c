connector_runtime::connector!("fail/auth_forbidden_field.yaml");

fn main() {}
