connector_runtime::connector!("fail/bad_url.yaml");

fn main() {}
