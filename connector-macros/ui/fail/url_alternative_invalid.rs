connector_runtime::connector!("fail/url_alternative_invalid.yaml");

fn main() {}
