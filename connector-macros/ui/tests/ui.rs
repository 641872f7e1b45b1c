//! trybuild cases of `connector!`: `pass/` must compile, `fail/` must fail with the exact
//! `.stderr` beside each case. Regenerate those with `TRYBUILD=overwrite`.
//!
//! Macro paths are relative to CARGO_MANIFEST_DIR, which for trybuild is its own project
//! folder under the target directory; links there to `pass/`, `fail/` and the built-in
//! catalog let the cases name their YAML as `fail/x.yaml` or `connectors/gmail.yaml`.

use std::path::{Path, PathBuf};

#[test]
fn ui() {
    link_fixtures();
    let cases = trybuild::TestCases::new();
    cases.pass("pass/*.rs");
    cases.compile_fail("fail/*.rs");
}

fn link_fixtures() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = target_dir()
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&project).unwrap();
    let links = [
        ("pass", crate_dir.join("pass")),
        ("fail", crate_dir.join("fail")),
        (
            "connectors",
            crate_dir.join("../../connector-defs/connectors"),
        ),
    ];
    for (name, target) in links {
        let link = project.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(target.canonicalize().unwrap(), &link).unwrap();
    }
}

/// The target directory: this test runs from `<target>/<profile>/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}
