connector_runtime::connector!("fail/webhooks_matches_undeclared.yaml");

fn main() {}
