//! Pagination as a state machine: given a page, what to request next. The fetching is
//! [`RawClient::pages`](crate::RawClient::pages)'s.

use connector_defs::{Endpoint, PaginationDef, PaginationKind, ParamType};
use reqwest::header::{HeaderMap, LINK};
use serde_json::{Map, Value};
use url::{Origin, Url};

use crate::Error;

/// What to request after the current page.
pub(crate) enum Next {
    /// The same endpoint with these inputs.
    Input(Map<String, Value>),
    /// This URL as it is (on the first request's host).
    Url(Url),
    Stop,
}

/// A page as received.
pub(crate) struct Page<'a> {
    /// The body as JSON (`null` when it is not JSON).
    pub body: &'a Value,
    pub headers: &'a HeaderMap,
    /// The URL the page was requested from.
    pub url: &'a Url,
}

/// The paginator of one walk through an endpoint's pages: its memory between pages.
pub(crate) struct Paginator {
    pagination: PaginationDef,
    /// The type of the parameter a cursor goes back in.
    cursor_type: Option<ParamType>,
    /// cursor: the cursor last sent, to stop if the provider returns it again.
    last_cursor: Option<Value>,
    /// offset: the offset of the next request; page: the page number of the next request.
    counter: i64,
    /// next_url, link_header: URLs already requested, against loops.
    seen: Vec<Url>,
    /// The origin of the first request: next-page URLs elsewhere are refused.
    origin: Option<Origin>,
}

impl Paginator {
    /// The paginator for `endpoint` starting from `input`; `None` when the endpoint does not
    /// paginate.
    pub(crate) fn new(endpoint: &Endpoint, input: &Map<String, Value>) -> Option<Paginator> {
        let pagination = endpoint.pagination.clone()?;
        let param_value = |param: &Option<String>| {
            param
                .as_ref()
                .and_then(|name| input.get(name))
                .and_then(Value::as_i64)
        };
        let counter = match pagination.kind {
            PaginationKind::Offset => param_value(&pagination.offset_param).unwrap_or(0),
            PaginationKind::Page => param_value(&pagination.page_param)
                .or(pagination.start_page)
                .unwrap_or(1),
            _ => 0,
        };
        let cursor_param = pagination.cursor_param.as_ref();
        Some(Paginator {
            cursor_type: cursor_param
                .and_then(|name| endpoint.params.get(name))
                .map(|param| param.ty),
            last_cursor: cursor_param.and_then(|name| input.get(name).cloned()),
            counter,
            seen: Vec::new(),
            origin: None,
            pagination,
        })
    }

    /// What to request after `page`, which was requested with `input`.
    pub(crate) fn next(
        &mut self,
        page: &Page<'_>,
        input: &Map<String, Value>,
    ) -> Result<Next, Error> {
        let origin = self.origin.get_or_insert_with(|| page.url.origin()).clone();
        let pagination = &self.pagination;
        let with_input = |param: &String, value: Value| {
            let mut next = input.clone();
            next.insert(param.clone(), value);
            Next::Input(next)
        };
        match pagination.kind {
            PaginationKind::Cursor => {
                let (Some(param), Some(field)) =
                    (&pagination.cursor_param, &pagination.next_cursor)
                else {
                    return Ok(Next::Stop);
                };
                let cursor = match field_value(page.body, field) {
                    None | Some(Value::Null) => return Ok(Next::Stop),
                    Some(Value::String(s)) if s.is_empty() => return Ok(Next::Stop),
                    Some(cursor) => coerce(cursor.clone(), self.cursor_type),
                };
                if self.last_cursor.as_ref() == Some(&cursor) {
                    return Ok(Next::Stop);
                }
                self.last_cursor = Some(cursor.clone());
                Ok(with_input(param, cursor))
            }
            PaginationKind::Offset | PaginationKind::Page => {
                let count = items(page.body, pagination.items.as_deref()).map_or(0, Vec::len);
                if count == 0 {
                    return Ok(Next::Stop);
                }
                let param = if pagination.kind == PaginationKind::Offset {
                    self.counter += count as i64;
                    &pagination.offset_param
                } else {
                    self.counter += 1;
                    &pagination.page_param
                };
                let Some(param) = param else {
                    return Ok(Next::Stop);
                };
                Ok(with_input(param, Value::from(self.counter)))
            }
            PaginationKind::LinkHeader => {
                let next = page
                    .headers
                    .get_all(LINK)
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .find_map(next_link);
                self.follow(next.as_deref(), page.url, &origin)
            }
            PaginationKind::NextUrl => {
                let next = pagination
                    .next_url
                    .as_deref()
                    .and_then(|field| field_value(page.body, field))
                    .and_then(Value::as_str);
                self.follow(next, page.url, &origin)
            }
        }
    }

    fn follow(
        &mut self,
        next: Option<&str>,
        request_url: &Url,
        origin: &Origin,
    ) -> Result<Next, Error> {
        let Some(next) = next.map(str::trim).filter(|next| !next.is_empty()) else {
            return Ok(Next::Stop);
        };
        let next = request_url.join(next).map_err(|error| Error::Decode {
            message: format!("the next page's URL `{next}` does not parse: {error}"),
            body: String::new(),
        })?;
        if next == *request_url || self.seen.contains(&next) {
            return Ok(Next::Stop);
        }
        if next.origin() != *origin {
            return Err(Error::Decode {
                message: format!(
                    "the next page is on another host ({}); credentials are only sent to {}",
                    next.origin().ascii_serialization(),
                    origin.ascii_serialization()
                ),
                body: String::new(),
            });
        }
        self.seen.push(request_url.clone());
        Ok(Next::Url(next))
    }
}

/// A response field by its exact name, else by a dotted path (`paging.next`) whose numeric
/// segments index arrays, negative ones from the end: Stripe's next cursor is the id of the
/// page's last item, `data.-1.id`.
fn field_value<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    if let Some(value) = body.get(field) {
        return Some(value);
    }
    field.split('.').try_fold(body, |value, part| match value {
        Value::Array(elements) => {
            let index = part.parse::<i64>().ok()?;
            let index = if index < 0 {
                elements.len().checked_sub(index.unsigned_abs() as usize)?
            } else {
                usize::try_from(index).ok()?
            };
            elements.get(index)
        }
        _ => value.get(part),
    })
}

/// The items of a page: the named field, or the body itself when it is an array.
fn items<'a>(body: &'a Value, field: Option<&str>) -> Option<&'a Vec<Value>> {
    match field {
        Some(field) => field_value(body, field)?.as_array(),
        None => body.as_array(),
    }
}

/// A cursor converted to the type of the parameter that carries it.
fn coerce(cursor: Value, ty: Option<ParamType>) -> Value {
    match (ty, &cursor) {
        (Some(ParamType::String), Value::Number(n)) => Value::String(n.to_string()),
        (Some(ParamType::Integer), Value::String(s)) => {
            s.parse::<i64>().map(Value::from).unwrap_or(cursor)
        }
        (Some(ParamType::Number), Value::String(s)) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(cursor),
        _ => cursor,
    }
}

/// The `rel="next"` target of a `Link` header value (RFC 8288).
fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..]
            .find('<')
            .map_or(rest.len(), |next| close + next);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link() {
        let header = r#"<https://api.test/items?page=1>; rel="prev", <https://api.test/items?page=3>; rel="next", <https://api.test/items?page=9>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.test/items?page=3")
        );
        assert_eq!(next_link(r#"<https://api.test/x>; rel="last""#), None);
        assert_eq!(next_link("</p2>; rel=next").as_deref(), Some("/p2"));
    }

    #[test]
    fn fields_by_name_or_path() {
        let body = serde_json::json!({"@odata.nextLink": "a", "paging": {"next": "b"}});
        assert_eq!(
            field_value(&body, "@odata.nextLink"),
            Some(&Value::from("a"))
        );
        assert_eq!(field_value(&body, "paging.next"), Some(&Value::from("b")));
        assert_eq!(field_value(&body, "nope"), None);
    }

    #[test]
    fn numeric_path_segments_index_arrays() {
        let body = serde_json::json!({"data": [{"id": "cus_1"}, {"id": "cus_2"}], "empty": []});
        assert_eq!(
            field_value(&body, "data.-1.id"),
            Some(&Value::from("cus_2"))
        );
        assert_eq!(field_value(&body, "data.0.id"), Some(&Value::from("cus_1")));
        assert_eq!(field_value(&body, "data.2.id"), None);
        assert_eq!(field_value(&body, "data.-3.id"), None);
        assert_eq!(field_value(&body, "empty.-1.id"), None);
        assert_eq!(field_value(&body, "data.last.id"), None);
    }
}
