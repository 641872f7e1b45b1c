connector_runtime::connector!("fail/union_without_discriminator.yaml");

fn main() {}
