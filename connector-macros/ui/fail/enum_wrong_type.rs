connector_runtime::connector!("fail/enum_wrong_type.yaml");

fn main() {}
