connector_runtime::connector!("fail/retry_hint_bad_header.yaml");

fn main() {}
