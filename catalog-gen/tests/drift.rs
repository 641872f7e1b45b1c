//! The committed catalog (connector-defs/catalog/, docs/catalog.md) is what the generator
//! writes from the facts and the overrides, and it covers at least 850 of the 874 rows.

use catalog_gen::{drift, generate, workspace_root};

#[test]
fn the_committed_catalog_is_what_the_generator_writes() {
    let root = workspace_root();
    let generated = generate(&root).unwrap_or_else(|error| panic!("{error}"));
    assert!(
        generated.problems.is_empty(),
        "{}",
        generated.problems.join("\n")
    );
    let files = generated.files;
    let differ = drift(&root, &files);
    assert!(
        differ.is_empty(),
        "run `cargo run -p catalog-gen`; these files differ:\n{}",
        differ.join("\n")
    );
    let definitions = files
        .keys()
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"));
    // The typed built-ins replace their catalog rows: together, the facts' providers.
    assert!(definitions.count() + connector_defs::BUILTIN.len() >= 850);
}
