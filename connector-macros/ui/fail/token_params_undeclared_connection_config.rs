connector_runtime::connector!("fail/token_params_undeclared_connection_config.yaml");

fn main() {}
