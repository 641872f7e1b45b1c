//! The definition embedded in a `connector!` module.

use std::sync::{Arc, OnceLock};

use connector_defs::ConnectorDef;

/// A definition's YAML, embedded by `include_str!`, decoded on first use.
///
/// The macro validated these very bytes when it ran, so decoding cannot fail unless the
/// file changed between the macro reading it and `include_str!` reading it, which the next
/// build (triggered by that change) reports as a compile error.
#[doc(hidden)]
pub struct StaticDefinition {
    source: &'static str,
    file: &'static str,
    decoded: OnceLock<Arc<ConnectorDef>>,
}

impl StaticDefinition {
    pub const fn new(source: &'static str, file: &'static str) -> StaticDefinition {
        StaticDefinition {
            source,
            file,
            decoded: OnceLock::new(),
        }
    }

    pub fn get(&'static self) -> &'static ConnectorDef {
        self.shared_ref()
    }

    /// The definition for clients, which keep it alive by reference count.
    pub fn shared(&'static self) -> Arc<ConnectorDef> {
        Arc::clone(self.shared_ref())
    }

    fn shared_ref(&'static self) -> &'static Arc<ConnectorDef> {
        self.decoded
            .get_or_init(|| match connector_defs::parse(self.source, self.file) {
                Ok(def) => Arc::new(def),
                Err(error) => panic!(
                    "{error}\n(the definition changed after `connector!` validated it: rebuild)"
                ),
            })
    }
}
