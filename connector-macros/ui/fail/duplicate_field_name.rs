connector_runtime::connector!("fail/duplicate_field_name.yaml");

fn main() {}
