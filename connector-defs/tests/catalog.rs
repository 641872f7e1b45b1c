//! Every definition of the generated catalog (connector-defs/catalog/, written by catalog-gen)
//! parses and validates; a failure names the file, line and column.

use std::path::PathBuf;

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/catalog");

#[test]
fn every_catalog_definition_parses_and_validates() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CATALOG)
        .expect("the catalog folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    let errors: Vec<String> = files
        .iter()
        .filter_map(|file| connector_defs::load(file).err())
        .map(|error| error.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The typed built-ins replace their catalog rows.
    assert!(
        files.len() + connector_defs::BUILTIN.len() >= 850,
        "only {} catalog definitions",
        files.len()
    );
}

#[test]
fn catalog_names_are_their_file_names_and_no_built_in_is_shadowed() {
    for entry in std::fs::read_dir(CATALOG).unwrap() {
        let path = entry.unwrap().path();
        let def = connector_defs::load(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            path.file_stem().unwrap().to_str(),
            Some(def.name.as_str()),
            "{}",
            path.display()
        );
        assert!(
            !connector_defs::BUILTIN
                .iter()
                .any(|(file, _)| file.trim_end_matches(".yaml") == def.name),
            "{} shadows a built-in",
            def.name
        );
    }
}
