connector_runtime::connector!("fail/default_out_of_bounds.yaml");

fn main() {}
