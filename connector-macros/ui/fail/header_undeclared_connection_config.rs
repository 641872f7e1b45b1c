connector_runtime::connector!("fail/header_undeclared_connection_config.yaml");

fn main() {}
