//! Embeds the catalog: every `connector-defs/catalog/*.yaml` becomes one `include_str!` entry of
//! `$OUT_DIR/catalog.rs`, which `registry.rs` includes.
//!
//! Nothing is parsed here. The registry's test parses and validates every file (failing with
//! file:line:col), and so does every start. Validating here would need connector-defs as a
//! build-dependency, which Cargo compiles a second time (with its YAML, regex and schema
//! dependencies) for the build-script profile: a cost on every clean release build.

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let defs = manifest_dir.join("../connector-defs");
    let catalog = defs.join("catalog");
    let files = match std::fs::read_dir(&catalog) {
        Ok(listing) => {
            // Cargo scans a watched folder for added, removed and changed files.
            println!("cargo::rerun-if-changed={}", catalog.display());
            let mut files: Vec<PathBuf> = listing
                .map(|entry| entry.expect("the catalog folder can be listed").path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
                .collect();
            files.sort();
            files
        }
        // No catalog yet: watch for the folder to appear.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            println!("cargo::rerun-if-changed={}", defs.display());
            Vec::new()
        }
        Err(error) => panic!("cannot read {}: {error}", catalog.display()),
    };
    let mut table = String::from(
        "/// `(file name, YAML)` of every catalog definition, sorted by file name.\n\
         pub const FILES: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let name = path
            .file_name()
            .unwrap()
            .to_str()
            .expect("a UTF-8 file name");
        let path = path.canonicalize().unwrap();
        table.push_str(&format!("    ({name:?}, include_str!({path:?})),\n"));
    }
    table.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalog.rs");
    std::fs::write(&out, table).expect("OUT_DIR is writable");
}
