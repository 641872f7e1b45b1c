connector_runtime::connector!("fail/default_not_in_enum.yaml");

fn main() {}
