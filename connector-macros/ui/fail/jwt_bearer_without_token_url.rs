connector_runtime::connector!("fail/jwt_bearer_without_token_url.yaml");

fn main() {}
