connector_runtime::connector!("fail/pagination_unknown_param.yaml");

fn main() {}
