connector_runtime::connector!("fail/auth_credentials_wrong_kind.yaml");

fn main() {}
