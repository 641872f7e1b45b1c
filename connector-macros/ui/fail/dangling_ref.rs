connector_runtime::connector!("fail/dangling_ref.yaml");

fn main() {}
