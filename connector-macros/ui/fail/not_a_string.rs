connector_runtime::connector!(gmail);

fn main() {}
