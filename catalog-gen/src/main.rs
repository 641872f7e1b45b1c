//! `cargo run -p catalog-gen` writes the catalog (connector-defs/catalog/*.yaml) and
//! docs/catalog.md; `cargo run -p catalog-gen -- --check` writes nothing and fails, naming the
//! files, when the committed ones differ from what it would write.

use std::process::ExitCode;

use catalog_gen::{CATALOG_DIR, drift, generate, stale, workspace_root};

fn main() -> ExitCode {
    let check = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            eprintln!("usage: catalog-gen [--check]");
            return ExitCode::from(2);
        }
    };
    let root = workspace_root();
    let (files, problems) = match generate(&root) {
        Ok(generated) => (generated.files, generated.problems),
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    // Definitions the format rejects are written all the same, to be looked at.
    for problem in &problems {
        eprintln!("{problem}");
    }
    let invalid = if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{} generated definitions do not validate", problems.len());
        ExitCode::FAILURE
    };
    if check {
        let differ = drift(&root, &files);
        if differ.is_empty() {
            println!("the catalog is up to date ({} files)", files.len());
            return invalid;
        }
        eprintln!(
            "these files differ from what catalog-gen writes (run `cargo run -p catalog-gen`):"
        );
        for path in differ {
            eprintln!("  {path}");
        }
        return ExitCode::FAILURE;
    }
    let written = std::fs::create_dir_all(root.join(CATALOG_DIR))
        .and_then(|()| {
            stale(&root, &files)
                .iter()
                .try_for_each(|path| std::fs::remove_file(root.join(path)))
        })
        .and_then(|()| {
            files
                .iter()
                .try_for_each(|(path, text)| std::fs::write(root.join(path), text))
        });
    match written {
        Ok(()) => {
            println!("wrote {} files", files.len());
            invalid
        }
        Err(error) => {
            eprintln!("cannot write the catalog: {error}");
            ExitCode::FAILURE
        }
    }
}
