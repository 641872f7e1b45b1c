//! The provider facts table (`providers-facts.tsv`): a header line, then one provider a line.
//! Its extraction replaced tabs and line breaks inside values by spaces, so splitting on tabs
//! reads it exactly.

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// The columns the generator reads, in the table's order.
pub const COLUMNS: &[&str] = &[
    "name",
    "display_name",
    "auth_mode",
    "authorization_url",
    "token_url",
    "refresh_url",
    "base_url",
    "scope_separator",
    "default_scopes",
    "pkce_disabled",
    "token_auth",
    "authorization_params",
    "categories",
    "token_params",
    "refresh_params",
    "proxy_headers",
    "proxy_query",
    "connection_config",
    "credential_fields",
    "verify",
    "retry",
    "paginate",
    "body_format",
];

/// One provider: its values by column name (empty when the table has none).
#[derive(Debug, Clone)]
pub struct Row {
    values: IndexMap<String, String>,
}

impl Row {
    pub fn get(&self, column: &str) -> &str {
        self.values.get(column).map(String::as_str).unwrap_or("")
    }

    /// Replaces a value (a hand correction from the overrides file).
    pub fn set(&mut self, column: &str, value: String) {
        self.values.insert(column.to_owned(), value);
    }

    /// A JSON-object column (`connection_config`, `proxy_headers`…); empty when absent.
    pub fn object(&self, column: &str) -> Result<Map<String, Value>, String> {
        match self.get(column) {
            "" => Ok(Map::new()),
            text => match serde_json::from_str(text) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(format!("column `{column}` is not a JSON object: {text}")),
            },
        }
    }
}

/// Reads the table; `Err` names the line that does not fit the header.
pub fn read(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    if let Some(missing) = COLUMNS.iter().find(|column| !header.contains(column)) {
        return Err(format!("the facts table has no column `{missing}`"));
    }
    lines
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(index, line)| {
            let cells: Vec<&str> = line.split('\t').collect();
            if cells.len() != header.len() {
                return Err(format!(
                    "line {} has {} cells, the header {}",
                    index + 2,
                    cells.len(),
                    header.len()
                ));
            }
            let values = header
                .iter()
                .zip(cells)
                .map(|(column, cell)| ((*column).to_owned(), cell.trim().to_owned()))
                .collect();
            Ok(Row { values })
        })
        .collect()
}
