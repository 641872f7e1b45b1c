connector_runtime::connector!("fail/duplicate_category.yaml");

fn main() {}
