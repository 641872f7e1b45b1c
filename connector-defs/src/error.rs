//! Errors in a definition, each with the file, line and column it concerns.

use std::fmt;

use crate::source_map::Position;

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub position: Position,
    pub message: String,
    /// What to do about it, when there is something better to say than the message.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(position: Position, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            position,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Everything wrong with one definition file, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// The file as the caller named it (a path, or `<inline>`).
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl DefinitionError {
    pub fn new(file: impl Into<String>, mut diagnostics: Vec<Diagnostic>) -> DefinitionError {
        diagnostics.sort_by_key(|diagnostic| diagnostic.position);
        DefinitionError {
            file: file.into(),
            diagnostics,
        }
    }

    /// One line per diagnostic: `file:line:col: message`, with its help on the next line.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let Position { line, column } = diagnostic.position;
        let mut text = format!("{}:{line}:{column}: {}", self.file, diagnostic.message);
        if let Some(help) = &diagnostic.help {
            text.push_str("\n  = help: ");
            text.push_str(help);
        }
        text
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&self.render(diagnostic))?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionError {}

/// Turns a serde_norway error into a diagnostic, moving its location out of the message.
pub(crate) fn from_serde_norway(error: &serde_norway::Error) -> Diagnostic {
    let position = error
        .location()
        .map(|location| Position {
            line: location.line(),
            column: location.column(),
        })
        .unwrap_or(Position::START);
    let text = error.to_string();
    // serde_norway appends " at line L column C" to the message; the position is shown up front.
    let suffix = format!(" at line {} column {}", position.line, position.column);
    let message = match text.find(&suffix) {
        Some(at) => format!("{}{}", &text[..at], &text[at + suffix.len()..]),
        None => text,
    };
    Diagnostic::new(position, message)
}
