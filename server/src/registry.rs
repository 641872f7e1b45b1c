//! The connectors the server knows: the built-ins compiled through `connector!` (typed actions),
//! the catalog embedded in the binary, and the definitions loaded from `CONNECTOR_DEFS_DIR` at
//! start. The last two work through OAuth, connections and the proxy only, and are validated by
//! the same `connector_defs::parse` as the macro.

use std::path::Path;
use std::sync::Arc;

use connector_defs::AuthKind;
use connector_runtime::ConnectorDef;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

/// The typed built-ins, compiled in their own crate (see its docs for why).
pub use typed_connectors::{self as typed, TYPED, TypedApis, typed_apis};

/// The catalog: every `connector-defs/catalog/*.yaml`, embedded by the build script.
pub mod catalog {
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

    /// How a catalog file is named in errors: the path from the repository's root.
    pub fn path(file: &str) -> String {
        format!("connector-defs/catalog/{file}")
    }
}

/// `Entry::source` of a compiled built-in.
pub const BUILTIN: &str = "builtin";
/// `Entry::source` of a catalog definition.
pub const CATALOG: &str = "catalog";

/// One definition and where it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    pub def: Arc<ConnectorDef>,
    /// Whether typed actions exist (compiled through `connector!`).
    pub typed: bool,
    /// [`BUILTIN`], [`CATALOG`], or the file it was loaded from.
    pub source: String,
    /// SHA-256 of the YAML, hex.
    pub content_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: IndexMap<String, Entry>,
}

/// Which entries a search keeps; `None` keeps all.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// A case-insensitive part of the name or the display name.
    pub text: Option<String>,
    pub auth_kind: Option<AuthKind>,
    /// One of the entry's categories, exactly.
    pub category: Option<String>,
}

impl Search {
    fn keeps(&self, def: &ConnectorDef) -> bool {
        let text = self.text.as_deref().map(str::to_lowercase);
        let names_hold = |text: &str| {
            def.name.to_lowercase().contains(text)
                || def
                    .display_name
                    .as_deref()
                    .is_some_and(|display| display.to_lowercase().contains(text))
        };
        text.as_deref().is_none_or(names_hold)
            && self.auth_kind.is_none_or(|kind| def.auth.kind == kind)
            && self
                .category
                .as_deref()
                .is_none_or(|category| def.categories.iter().any(|c| c == category))
    }
}

impl Registry {
    /// The built-ins, the embedded catalog, then `defs_dir`: see [`Registry::assemble`].
    pub fn load(defs_dir: Option<&Path>) -> Result<Registry, String> {
        Registry::assemble(catalog::FILES, defs_dir)
    }

    /// The typed built-ins; then the catalog (`(file name, YAML)`), less the names a built-in
    /// owns; then every `*.yaml` / `*.yml` of `defs_dir` (sorted by file name), which may
    /// replace a catalog entry but not a built-in. Entries are kept in name order.
    pub fn assemble(
        catalog_files: &[(&str, &str)],
        defs_dir: Option<&Path>,
    ) -> Result<Registry, String> {
        let mut registry = Registry::default();
        for definition in TYPED {
            let def = definition();
            let yaml = connector_defs::BUILTIN
                .iter()
                .find(|(file, _)| file.trim_end_matches(".yaml") == def.name)
                .map_or("", |(_, yaml)| *yaml);
            registry.entries.insert(
                def.name.clone(),
                Entry {
                    def: Arc::new(def.clone()),
                    typed: true,
                    source: BUILTIN.into(),
                    content_hash: hash(yaml),
                },
            );
        }
        for (file, yaml) in catalog_files {
            let path = catalog::path(file);
            let def = connector_defs::parse(yaml, &path).map_err(|error| error.to_string())?;
            match registry.entries.get(&def.name) {
                // The typed built-in is the richer definition of the same provider.
                Some(existing) if existing.typed => continue,
                Some(_) => {
                    return Err(format!(
                        "{path}: connector `{}` is defined twice in the catalog",
                        def.name
                    ));
                }
                None => {}
            }
            registry.entries.insert(
                def.name.clone(),
                Entry {
                    def: Arc::new(def),
                    typed: false,
                    source: CATALOG.into(),
                    content_hash: hash(yaml),
                },
            );
        }
        if let Some(dir) = defs_dir {
            registry.load_dir(dir)?;
        }
        registry.entries.sort_unstable_keys();
        Ok(registry)
    }

    fn load_dir(&mut self, dir: &Path) -> Result<(), String> {
        let listing = std::fs::read_dir(dir)
            .map_err(|error| format!("CONNECTOR_DEFS_DIR `{}`: {error}", dir.display()))?;
        let mut files: Vec<_> = listing
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                matches!(
                    path.extension().and_then(|ext| ext.to_str()),
                    Some("yaml" | "yml")
                )
            })
            .collect();
        files.sort();
        for path in files {
            let yaml = std::fs::read_to_string(&path)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            let def = connector_defs::parse(&yaml, &path.display().to_string())
                .map_err(|error| error.to_string())?;
            match self.entries.get(&def.name) {
                Some(existing) if existing.source == CATALOG => tracing::info!(
                    connector = %def.name,
                    file = %path.display(),
                    "CONNECTOR_DEFS_DIR replaces the catalog's definition"
                ),
                Some(existing) => {
                    return Err(format!(
                        "{}: connector `{}` is already defined by {}; give it another `name`",
                        path.display(),
                        def.name,
                        existing.source
                    ));
                }
                None => {}
            }
            self.entries.insert(
                def.name.clone(),
                Entry {
                    def: Arc::new(def),
                    typed: false,
                    source: path.display().to_string(),
                    content_hash: hash(&yaml),
                },
            );
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Every entry, in name order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The entries `search` keeps whose name sorts after `after`, in name order.
    pub fn search<'a>(
        &'a self,
        search: &'a Search,
        after: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Entry> {
        self.entries
            .values()
            .filter(move |entry| after.is_none_or(|after| entry.def.name.as_str() > after))
            .filter(move |entry| search.keeps(&entry.def))
    }
}

fn hash(yaml: &str) -> String {
    hex::encode(Sha256::digest(yaml.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixtures stand in for catalog files.
    const FIXTURES: &[(&str, &str)] = &[
        (
            "acme_crm.yaml",
            include_str!("../tests/fixtures/catalog/acme_crm.yaml"),
        ),
        (
            "helpdesk.yaml",
            include_str!("../tests/fixtures/catalog/helpdesk.yaml"),
        ),
        (
            "zeta_files.yaml",
            include_str!("../tests/fixtures/catalog/zeta_files.yaml"),
        ),
    ];

    fn names<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<&'a str> {
        entries.map(|entry| entry.def.name.as_str()).collect()
    }

    /// The build's catalog gate: every embedded file parses and validates (a failure names
    /// its file:line:col), no two share a name, and each is in the registry unless a typed
    /// built-in owns its name.
    #[test]
    fn every_catalog_definition_is_valid_and_listed() {
        let registry = Registry::load(None).unwrap_or_else(|error| panic!("{error}"));
        for (file, yaml) in catalog::FILES {
            let def = connector_defs::parse(yaml, &catalog::path(file)).unwrap();
            let entry = registry.get(&def.name).unwrap();
            assert!(
                entry.source == CATALOG || entry.typed,
                "{file}: {}",
                entry.source
            );
        }
        let catalog = registry.entries().filter(|e| e.source == CATALOG).count();
        let typed = registry.entries().filter(|e| e.typed).count();
        assert_eq!(typed, TYPED.len());
        assert!(catalog <= catalog::FILES.len() && catalog + typed >= catalog::FILES.len());
    }

    #[test]
    fn entries_are_the_builtins_and_the_catalog_in_name_order() {
        let registry = Registry::assemble(FIXTURES, None).unwrap();
        let mut expected: Vec<&str> = TYPED.iter().map(|def| def().name.as_str()).collect();
        expected.extend(["acme_crm", "helpdesk", "zeta_files"]);
        expected.sort();
        assert_eq!(names(registry.entries()), expected);
        let acme = registry.get("acme_crm").unwrap();
        assert_eq!((acme.source.as_str(), acme.typed), (CATALOG, false));
        assert_eq!(acme.content_hash, hash(FIXTURES[0].1));
        assert_eq!(registry.get("gmail").unwrap().source, BUILTIN);
    }

    #[test]
    fn a_catalog_entry_named_like_a_builtin_is_skipped() {
        let gmail =
            "name: gmail\nversion: 9.0.0\nbase_url: https://x.example\nauth: { kind: bearer }\n";
        let registry = Registry::assemble(&[("gmail.yaml", gmail)], None).unwrap();
        let entry = registry.get("gmail").unwrap();
        assert!(entry.typed);
        assert_eq!(entry.def.version, typed::gmail::definition().version);
    }

    #[test]
    fn an_invalid_catalog_file_is_located() {
        let broken =
            "name: broken\nversion: 1.0.0\nbase_url: https://x.example\nauth: { kind: nope }\n";
        let error = Registry::assemble(&[("broken.yaml", broken)], None).unwrap_err();
        assert!(
            error.starts_with("connector-defs/catalog/broken.yaml:4:"),
            "{error}"
        );
        let twice =
            Registry::assemble(&[FIXTURES[0], ("again.yaml", FIXTURES[0].1)], None).unwrap_err();
        assert!(
            twice.contains("again.yaml: connector `acme_crm` is defined twice"),
            "{twice}"
        );
    }

    #[test]
    fn the_defs_dir_replaces_a_catalog_entry_but_not_a_builtin() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("acme.yaml");
        std::fs::write(
            &own,
            FIXTURES[0].1.replace("version: 1.0.0", "version: 2.0.0"),
        )
        .unwrap();
        let registry = Registry::assemble(FIXTURES, Some(dir.path())).unwrap();
        let acme = registry.get("acme_crm").unwrap();
        assert_eq!(acme.def.version, "2.0.0");
        assert_eq!(acme.source, own.display().to_string());

        std::fs::write(
            dir.path().join("mail.yaml"),
            "name: gmail\nversion: 1.0.0\nbase_url: https://x.example\nauth: { kind: bearer }\n",
        )
        .unwrap();
        let error = Registry::assemble(FIXTURES, Some(dir.path())).unwrap_err();
        assert!(
            error.ends_with(
                "connector `gmail` is already defined by builtin; give it another `name`"
            ),
            "{error}"
        );
    }

    #[test]
    fn search_filters_by_text_auth_kind_and_category_after_a_name() {
        let registry = Registry::assemble(FIXTURES, None).unwrap();
        let found = |search: Search, after: Option<&str>| {
            names(registry.search(&search, after))
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let text = |text: &str| Search {
            text: Some(text.into()),
            ..Search::default()
        };
        // The display name counts too, in any case.
        assert_eq!(
            found(text("DRIVE"), None),
            ["google_drive", "onedrive", "zeta_files"]
        );
        assert_eq!(found(text("helpd"), None), ["helpdesk"]);
        assert_eq!(found(text("nothing"), None), Vec::<String>::new());
        // The typed built-ins are searched too; the filters below are checked on the fixtures.
        let fixtures_found = |search: Search, after: Option<&str>| {
            let typed: Vec<&str> = TYPED.iter().map(|def| def().name.as_str()).collect();
            found(search, after)
                .into_iter()
                .filter(|name| !typed.contains(&name.as_str()))
                .collect::<Vec<_>>()
        };
        let crm = Search {
            category: Some("crm".into()),
            ..Search::default()
        };
        assert_eq!(fixtures_found(crm.clone(), None), ["acme_crm", "helpdesk"]);
        assert_eq!(fixtures_found(crm, Some("acme_crm")), ["helpdesk"]);
        let oauth2 = Search {
            auth_kind: Some(AuthKind::Oauth2),
            ..Search::default()
        };
        assert_eq!(fixtures_found(oauth2.clone(), Some("f")), ["zeta_files"]);
        assert!(found(oauth2, Some("f")).contains(&"gmail".to_owned()));
        // Categories match whole.
        let partial = Search {
            category: Some("cr".into()),
            ..Search::default()
        };
        assert!(found(partial, None).is_empty());
    }
}
