connector_runtime::connector!("fail/bounds_out_of_order.yaml");

fn main() {}
