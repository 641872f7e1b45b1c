connector_runtime::connector!("fail/unknown_auth_kind.yaml");

fn main() {}
