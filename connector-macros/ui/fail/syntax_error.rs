connector_runtime::connector!("fail/syntax_error.yaml");

fn main() {}
