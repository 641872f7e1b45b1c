connector_runtime::connector!("fail/verify_on_oauth2.yaml");

fn main() {}
