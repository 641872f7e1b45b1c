//! The catalog generator: the provider facts table (`catalog-gen/facts/providers-facts.tsv`)
//! with the hand corrections of `connector-defs/catalog-overrides.yaml` → one definition per
//! provider in `connector-defs/catalog/` and the list `docs/catalog.md`.
//!
//! [`generate`] computes every output file; the binary writes them (`cargo run -p catalog-gen`)
//! or compares them with the committed ones (`-- --check`).

mod convert;
mod docs;
mod facts;
mod overrides;
mod templates;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use convert::{Provider, definition_name};

/// Where the inputs and outputs sit, relative to the workspace root.
pub const FACTS: &str = "catalog-gen/facts/providers-facts.tsv";
pub const OVERRIDES: &str = "connector-defs/catalog-overrides.yaml";
pub const CATALOG_DIR: &str = "connector-defs/catalog";
pub const CATALOG_DOC: &str = "docs/catalog.md";

/// A row left out, with why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub facts_name: String,
    pub reason: String,
}

/// Every provider written and every row left out.
#[derive(Debug)]
pub struct Catalog {
    pub providers: Vec<Provider>,
    pub skipped: Vec<Skipped>,
    pub rows: usize,
    /// Rows whose facts describe pagination (which definitions without endpoints do not use).
    pub rows_with_pagination: usize,
}

/// The workspace root (this crate's parent folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("catalog-gen sits in the workspace")
        .to_path_buf()
}

/// Converts the facts with the overrides. `builtin` names the typed built-in definitions, which
/// win over a catalog row of the same name.
pub fn build(facts_text: &str, overrides_text: &str, builtin: &[&str]) -> Result<Catalog, String> {
    let rows = facts::read(facts_text)?;
    let mut overrides =
        overrides::parse(overrides_text).map_err(|error| format!("{OVERRIDES}: {error}"))?;
    let mut catalog = Catalog {
        providers: Vec::new(),
        skipped: Vec::new(),
        rows: rows.len(),
        rows_with_pagination: rows
            .iter()
            .filter(|row| !row.get("paginate").is_empty())
            .count(),
    };
    for mut row in rows {
        let facts_name = row.get("name").to_owned();
        let correction = overrides.shift_remove(&facts_name).unwrap_or_default();
        let skip = |reason: String| Skipped {
            facts_name: facts_name.clone(),
            reason,
        };
        if let Some(reason) = correction.skip {
            catalog.skipped.push(skip(reason));
            continue;
        }
        let name = definition_name(&facts_name);
        if builtin.contains(&name.as_str()) {
            catalog.skipped.push(skip(format!(
                "the built-in typed definition `{name}` (connector-defs/connectors/) wins"
            )));
            continue;
        }
        for (column, value) in correction.facts {
            row.set(&column, value);
        }
        match convert::convert(&row) {
            Ok(mut provider) => {
                if let serde_json::Value::Object(definition) = &mut provider.definition {
                    overrides::merge(definition, &correction.definition);
                }
                provider.limitations.extend(correction.limitations);
                catalog.providers.push(provider);
            }
            Err(reason) => catalog.skipped.push(skip(reason)),
        }
    }
    if let Some(stale) = overrides.keys().next() {
        return Err(format!(
            "{OVERRIDES}: `{stale}` is not a row of the facts table"
        ));
    }
    let mut names = std::collections::HashSet::new();
    if let Some(twice) = catalog
        .providers
        .iter()
        .find(|p| !names.insert(p.name.clone()))
    {
        return Err(format!("two rows make the definition `{}`", twice.name));
    }
    Ok(catalog)
}

/// Every output file (path relative to the workspace root → text), and what
/// `connector_defs::parse` says of each definition it rejects (file:line:col).
pub struct Generated {
    pub files: BTreeMap<PathBuf, String>,
    pub problems: Vec<String>,
}

/// Computes every output file from the facts and the overrides under `root`.
pub fn generate(root: &Path) -> Result<Generated, String> {
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|error| format!("{path}: {error}"))
    };
    let builtin: Vec<&str> = connector_defs::BUILTIN
        .iter()
        .map(|(file, _)| file.trim_end_matches(".yaml"))
        .collect();
    let catalog = build(&read(FACTS)?, &read(OVERRIDES)?, &builtin)?;
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    for provider in &catalog.providers {
        let path = format!("{CATALOG_DIR}/{}.yaml", provider.name);
        let text = yaml::document(
            &[
                "yaml-language-server: $schema=../schema/connector.schema.json",
                &format!(
                    "Generated by catalog-gen from the facts row `{}`: edit {OVERRIDES}, not this file.",
                    provider.facts_name
                ),
            ],
            &provider.definition,
        );
        if let Err(error) = connector_defs::parse(&text, &path) {
            problems.push(error.to_string());
        }
        files.insert(PathBuf::from(path), text);
    }
    files.insert(PathBuf::from(CATALOG_DOC), docs::catalog_md(&catalog));
    Ok(Generated { files, problems })
}

/// Definitions in the catalog folder that `files` (from [`generate`]) no longer holds.
pub fn stale(root: &Path, files: &BTreeMap<PathBuf, String>) -> BTreeSet<PathBuf> {
    std::fs::read_dir(root.join(CATALOG_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| PathBuf::from(CATALOG_DIR).join(entry.file_name()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .filter(|path| !files.contains_key(path))
        .collect()
}

/// The committed files that differ from `files`, and the stale ones, for `--check`.
pub fn drift(root: &Path, files: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut differ: Vec<String> = files
        .iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(root.join(path)).ok().as_ref() != Some(*text)
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    differ.extend(
        stale(root, files)
            .iter()
            .map(|path| format!("{} (no longer generated)", path.display())),
    );
    differ
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&str]) -> String {
        let mut text = facts::COLUMNS.join("\t");
        for name in rows {
            let mut cells = vec![""; facts::COLUMNS.len()];
            cells[0] = name;
            cells[1] = name;
            cells[2] = "API_KEY";
            cells[6] = "https://api.example";
            cells[15] = r#"{"x-key":"${apiKey}"}"#;
            text.push('\n');
            text.push_str(&cells.join("\t"));
        }
        text
    }

    #[test]
    fn overrides_skip_correct_and_merge_and_built_ins_win() {
        let overrides = "gone:\n  skip: \"not wanted\"\nfixed:\n  facts: { base_url: \"https://fixed.example\" }\n  limitation: \"a note\"\n  headers: { x-extra: \"1\" }\n";
        let catalog = build(
            &table(&["dropbox", "gone", "fixed"]),
            overrides,
            &["dropbox"],
        )
        .unwrap();
        let skipped: Vec<(&str, &str)> = catalog
            .skipped
            .iter()
            .map(|skipped| (skipped.facts_name.as_str(), skipped.reason.as_str()))
            .collect();
        assert_eq!(skipped[0].0, "dropbox");
        assert!(skipped[0].1.contains("built-in"));
        assert_eq!(skipped[1], ("gone", "not wanted"));
        let fixed = &catalog.providers[0];
        assert_eq!(fixed.definition["base_url"], "https://fixed.example");
        assert_eq!(fixed.definition["headers"]["x-extra"], "1");
        assert_eq!(fixed.limitations, ["a note"]);

        let stale = build(&table(&["fixed"]), "nowhere:\n  skip: x\n", &[]).unwrap_err();
        assert!(stale.contains("`nowhere` is not a row"), "{stale}");
    }
}
