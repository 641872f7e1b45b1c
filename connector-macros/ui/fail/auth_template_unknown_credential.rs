connector_runtime::connector!("fail/auth_template_unknown_credential.yaml");

fn main() {}
