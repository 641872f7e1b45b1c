connector_runtime::connector!("fail/pagination_missing_field.yaml");

fn main() {}
