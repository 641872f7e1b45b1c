//! Holds the trybuild cases of `connector!` (see `tests/ui.rs`); no code of its own.
