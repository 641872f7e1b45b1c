//! CI: every cassette of every typed built-in replays, and every endpoint has one.

use std::path::Path;

use connector_runtime::cassette::{replay_dir, uncovered};

/// Whether a typed built-in without a cassette folder fails (true) or is skipped with a notice
/// (false, while the cassettes of new connectors are being written).
const STRICT: bool = true;

#[test]
fn every_cassette_of_every_typed_builtin_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../connector-defs/cassettes");
    let mut failures = Vec::new();
    for (file, source) in connector_defs::BUILTIN {
        let def = connector_defs::parse(source, file).unwrap_or_else(|error| panic!("{error}"));
        if def.endpoints.is_empty() {
            continue;
        }
        let dir = root.join(&def.name);
        if !dir.is_dir() {
            let message = format!(
                "{}: no cassette folder at connector-defs/cassettes/{}/",
                def.name, def.name
            );
            if STRICT {
                failures.push(message);
            } else {
                eprintln!("skipped {message}");
            }
            continue;
        }
        let outcomes =
            replay_dir(&def, &dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for outcome in outcomes.iter().filter(|outcome| !outcome.passed()) {
            failures.push(format!(
                "connector-defs/cassettes/{}/{}: {}",
                def.name,
                outcome.file,
                outcome.problems.join("; ")
            ));
        }
        let missing = uncovered(&def, &outcomes);
        if !missing.is_empty() {
            failures.push(format!(
                "{}: no cassette for endpoint(s) {}",
                def.name,
                missing.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "failing cassettes:\n{}",
        failures.join("\n")
    );
}
