//! The `connector` server. The REST API lands with the server issue; until then the binary
//! only says so.

fn main() {
    eprintln!("connector: the server is not built yet; see the README");
    std::process::exit(2);
}
