connector_runtime::connector!("fail/app_jwt_with_audience.yaml");

fn main() {}
