//! Where each node of a YAML document starts.
//!
//! serde_norway reports locations for its own errors (syntax, unknown fields, wrong types) but
//! exposes none for values that deserialised fine. Semantic validation needs them, so the
//! document is walked once more with saphyr-parser's event parser, which gives every event a
//! span, and each node is recorded under its path (`endpoints.list_messages.path`).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span};

/// A 1-based line and column in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };
}

#[derive(Debug, Clone, Copy)]
struct NodeLocation {
    /// Where the mapping key naming this node starts; `None` for sequence items and the root.
    key: Option<Position>,
    value: Position,
}

/// A key of the mapping found twice, with both positions.
#[derive(Debug, Clone)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Position,
    pub second: Position,
}

/// Positions of the nodes of one YAML document, by path.
#[derive(Debug, Default)]
pub struct SourceMap {
    nodes: HashMap<Vec<String>, NodeLocation>,
    duplicates: Vec<DuplicateKey>,
}

enum Frame {
    Mapping {
        path: Vec<String>,
        seen: HashMap<String, Position>,
        /// The key just read, waiting for its value.
        pending_key: Option<(String, Position)>,
    },
    Sequence {
        path: Vec<String>,
        next_index: usize,
    },
}

impl SourceMap {
    /// Walks `source`. A document the event parser rejects yields an empty map: serde_norway
    /// has then already reported the syntax error with its location.
    pub fn build(source: &str) -> SourceMap {
        let mut map = SourceMap::default();
        let mut stack: Vec<Frame> = Vec::new();
        for event in Parser::new_from_str(source) {
            let Ok((event, span)) = event else { break };
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Mapping {
                        pending_key: pending_key @ None,
                        seen,
                        ..
                    }) = stack.last_mut()
                    {
                        // A scalar in key position: remember it until its value arrives.
                        let position = position(span);
                        if let Some(first) = seen.insert(value.to_string(), position) {
                            map.duplicates.push(DuplicateKey {
                                key: value.to_string(),
                                first,
                                second: position,
                            });
                        }
                        *pending_key = Some((value.to_string(), position));
                    } else {
                        map.record_child(&mut stack, span);
                    }
                }
                Event::Alias(_) => {
                    map.record_child(&mut stack, span);
                }
                Event::MappingStart(..) => {
                    let path = map.record_child(&mut stack, span);
                    stack.push(Frame::Mapping {
                        path,
                        seen: HashMap::new(),
                        pending_key: None,
                    });
                }
                Event::SequenceStart(..) => {
                    let path = map.record_child(&mut stack, span);
                    stack.push(Frame::Sequence {
                        path,
                        next_index: 0,
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        map
    }

    /// Records a value node under its parent and returns its path.
    fn record_child(&mut self, stack: &mut [Frame], span: Span) -> Vec<String> {
        let value = position(span);
        let (path, key) = match stack.last_mut() {
            None => (Vec::new(), None),
            Some(Frame::Mapping {
                path, pending_key, ..
            }) => match pending_key.take() {
                Some((key, key_position)) => (child(path, key), Some(key_position)),
                // A complex (non-scalar) key: not addressable by path.
                None => return Vec::new(),
            },
            Some(Frame::Sequence { path, next_index }) => {
                *next_index += 1;
                (child(path, (*next_index - 1).to_string()), None)
            }
        };
        self.nodes.insert(path.clone(), NodeLocation { key, value });
        path
    }

    /// Where the node at `path` is named: its key, else its value, else the nearest ancestor.
    pub fn key(&self, path: &[&str]) -> Position {
        self.lookup(path, |node| node.key.unwrap_or(node.value))
    }

    /// Whether the document writes the node at `path`: a field left out (that serde filled
    /// with its default) has no node.
    pub fn contains(&self, path: &[&str]) -> bool {
        let path: Vec<String> = path.iter().map(|segment| segment.to_string()).collect();
        self.nodes.contains_key(&path)
    }

    /// Where the value of the node at `path` starts, else the nearest ancestor's.
    pub fn value(&self, path: &[&str]) -> Position {
        self.lookup(path, |node| node.value)
    }

    fn lookup(&self, path: &[&str], pick: impl Fn(&NodeLocation) -> Position) -> Position {
        let mut path: Vec<String> = path.iter().map(|segment| segment.to_string()).collect();
        loop {
            if let Some(node) = self.nodes.get(&path) {
                return pick(node);
            }
            if path.pop().is_none() {
                return Position::START;
            }
        }
    }

    /// Keys that occur twice in one mapping.
    pub fn duplicate_keys(&self) -> &[DuplicateKey] {
        &self.duplicates
    }
}

/// The scalar value of `wanted` in the root mapping, read event by event so that a syntax
/// error after it does not hide it.
pub fn top_level_scalar(source: &str, wanted: &str) -> Option<String> {
    let mut depth = 0usize;
    // Nodes of the root mapping alternate key, value.
    let mut at_key = true;
    let mut value_wanted = false;
    for event in Parser::new_from_str(source) {
        let Ok((event, _)) = event else { break };
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 && matches!(event, Event::SequenceStart(..)) {
                    return None;
                }
                if depth == 1 {
                    if value_wanted {
                        return None;
                    }
                    at_key = !at_key;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            Event::Scalar(value, ..) if depth == 1 => {
                if value_wanted {
                    return Some(value.to_string());
                }
                value_wanted = at_key && value == wanted;
                at_key = !at_key;
            }
            Event::Alias(_) if depth == 1 => {
                if value_wanted {
                    return None;
                }
                at_key = !at_key;
            }
            _ => {}
        }
    }
    None
}

fn child(parent: &[String], segment: String) -> Vec<String> {
    let mut path = parent.to_vec();
    path.push(segment);
    path
}

fn position(span: Span) -> Position {
    // saphyr-parser counts lines from 1 and columns from 0.
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str =
        "name: gmail\nauth:\n  kind: oauth2\n  scopes: [a, b]\nendpoints:\n  list:\n    path: /x\n";

    #[test]
    fn reads_a_top_level_scalar_before_a_syntax_error() {
        assert_eq!(top_level_scalar(DOC, "name").as_deref(), Some("gmail"));
        let nested_first = "auth: { name: inner, kind: x }\nlist: [name]\nname: outer\n";
        assert_eq!(
            top_level_scalar(nested_first, "name").as_deref(),
            Some("outer")
        );
        let broken = "name: gmail\nauth:\n  kind: oauth2\n   bad: [\n";
        assert_eq!(top_level_scalar(broken, "name").as_deref(), Some("gmail"));
        assert_eq!(top_level_scalar("auth: { kind: x }\n", "name"), None);
        assert_eq!(top_level_scalar("- name\n- gmail\n", "name"), None);
        assert_eq!(top_level_scalar("name: { a: 1 }\n", "name"), None);
    }

    #[test]
    fn finds_keys_and_values() {
        let map = SourceMap::build(DOC);
        assert_eq!(map.key(&["name"]), Position { line: 1, column: 1 });
        assert_eq!(map.value(&["name"]), Position { line: 1, column: 7 });
        assert_eq!(map.key(&["auth", "kind"]), Position { line: 3, column: 3 });
        assert_eq!(
            map.value(&["auth", "scopes", "1"]),
            Position {
                line: 4,
                column: 15
            }
        );
        assert_eq!(
            map.value(&["endpoints", "list", "path"]),
            Position {
                line: 7,
                column: 11
            }
        );
    }

    #[test]
    fn tells_written_nodes_from_left_out_ones() {
        let map = SourceMap::build(DOC);
        assert!(map.contains(&["auth", "kind"]));
        assert!(map.contains(&["auth", "scopes", "0"]));
        assert!(!map.contains(&["auth", "pkce"]));
        assert!(!map.contains(&["endpoints", "list", "params"]));
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        let map = SourceMap::build(DOC);
        assert_eq!(
            map.key(&["endpoints", "list", "params", "id"]),
            Position { line: 6, column: 3 }
        );
    }

    #[test]
    fn reports_duplicate_keys() {
        let map = SourceMap::build("a: 1\nb:\n  c: 1\n  c: 2\n");
        let duplicates = map.duplicate_keys();
        assert_eq!(duplicates.len(), 1);
        assert_eq!(duplicates[0].key, "c");
        assert_eq!(duplicates[0].first, Position { line: 3, column: 3 });
        assert_eq!(duplicates[0].second, Position { line: 4, column: 3 });
    }
}
