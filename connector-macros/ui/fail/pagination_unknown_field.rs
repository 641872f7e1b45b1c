connector_runtime::connector!("fail/pagination_unknown_field.yaml");

fn main() {}
