connector_runtime::connector!("fail/undeclared_connection_config.yaml");

fn main() {}
