//! The connectors the server knows: the built-ins compiled through `connector!` (typed actions)
//! and the definitions loaded from `CONNECTOR_DEFS_DIR` at start (OAuth, connections and the
//! proxy only), validated by the same `connector_defs::parse` as the macro.

use std::path::Path;
use std::sync::Arc;

use connector_runtime::ConnectorDef;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

connector_runtime::connector!("../connector-defs/connectors/gmail.yaml");
connector_runtime::connector!("../connector-defs/connectors/onedrive.yaml");
connector_runtime::connector!("../connector-defs/connectors/dropbox.yaml");

/// The compiled connectors, whose `Api`s the server mounts.
pub const TYPED: &[fn() -> &'static ConnectorDef] =
    &[gmail::definition, onedrive::definition, dropbox::definition];

/// One definition and where it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    pub def: Arc<ConnectorDef>,
    /// Whether typed actions exist (compiled through `connector!`).
    pub typed: bool,
    /// `builtin`, or the file it was loaded from.
    pub source: String,
    /// SHA-256 of the YAML, hex.
    pub content_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: IndexMap<String, Entry>,
}

impl Registry {
    /// The built-ins, then every `*.yaml` / `*.yml` of `defs_dir` (sorted by file name).
    pub fn load(defs_dir: Option<&Path>) -> Result<Registry, String> {
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
                    source: "builtin".into(),
                    content_hash: hash(yaml),
                },
            );
        }
        let Some(dir) = defs_dir else {
            return Ok(registry);
        };
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
            if let Some(existing) = registry.entries.get(&def.name) {
                return Err(format!(
                    "{}: connector `{}` is already defined by {}; give it another `name`",
                    path.display(),
                    def.name,
                    existing.source
                ));
            }
            registry.entries.insert(
                def.name.clone(),
                Entry {
                    def: Arc::new(def),
                    typed: false,
                    source: path.display().to_string(),
                    content_hash: hash(&yaml),
                },
            );
        }
        Ok(registry)
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }
}

fn hash(yaml: &str) -> String {
    hex::encode(Sha256::digest(yaml.as_bytes()))
}
