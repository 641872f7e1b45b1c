//! Walking the pages of a paginated endpoint.

use connector_defs::{PaginationDef, PaginationKind, ParamType};
use futures_core::Stream;
use reqwest::header::{HeaderMap, LINK};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use crate::{Error, RawClient};

/// What to request after the current page.
enum Next {
    /// The same endpoint with updated inputs.
    Input,
    /// This URL as it is.
    Url(Url),
    Stop,
}

pub(crate) fn pages<O: DeserializeOwned + Send + 'static>(
    client: RawClient,
    endpoint: String,
    input: Result<Map<String, Value>, Error>,
) -> impl Stream<Item = Result<O, Error>> + Send + 'static {
    async_stream::stream! {
        let mut input = match input {
            Ok(input) => input,
            Err(error) => {
                yield Err(error);
                return;
            }
        };
        let pagination = match client.definition().endpoints.get(&endpoint) {
            Some(found) => found.pagination.clone(),
            None => None,
        };
        let mut state = pagination.as_ref().map(|pagination| State::new(&client, &endpoint, pagination, &input));
        let mut url: Option<Url> = None;
        // The origin of the first request: next-page URLs elsewhere are refused.
        let mut origin: Option<url::Origin> = None;
        loop {
            let prepared = match client.prepare(&endpoint, &input, url.take()) {
                Ok(prepared) => prepared,
                Err(error) => {
                    yield Err(error);
                    return;
                }
            };
            let request_url = prepared.url.clone();
            let origin = origin.get_or_insert_with(|| request_url.origin()).clone();
            let response = match client.run(&endpoint, &prepared, crate::client::Transfer::Whole).await {
                Ok(response) => crate::client::read(response, false).await,
                Err(error) => Err(error),
            };
            let response = match response {
                Ok(response) => response,
                Err(error) => {
                    yield Err(error);
                    return;
                }
            };
            let page = match response.json::<O>() {
                Ok(page) => page,
                Err(error) => {
                    yield Err(error);
                    return;
                }
            };
            let next = match (&pagination, &mut state) {
                (Some(pagination), Some(state)) => {
                    let value: Value = response.json().unwrap_or(Value::Null);
                    state.next(pagination, &value, &response.headers, &request_url, &mut input)
                }
                _ => Ok(Next::Stop),
            };
            yield Ok(page);
            match next {
                Ok(Next::Stop) => return,
                Ok(Next::Input) => {}
                Ok(Next::Url(next)) => {
                    if next.origin() != origin {
                        yield Err(Error::Decode {
                            message: format!(
                                "the next page is on another host ({}); credentials are only sent to {}",
                                next.origin().ascii_serialization(),
                                origin.ascii_serialization()
                            ),
                            body: String::new(),
                        });
                        return;
                    }
                    url = Some(next);
                }
                Err(error) => {
                    yield Err(error);
                    return;
                }
            }
        }
    }
}

/// The paginator's memory between pages.
struct State {
    /// cursor: the cursor last sent, to stop if the provider returns it again.
    last_cursor: Option<Value>,
    /// offset: the offset of the next request; page: the page number of the next request.
    counter: i64,
    /// next_url, link_header: URLs already requested, against loops.
    seen: Vec<Url>,
    cursor_type: Option<ParamType>,
}

impl State {
    fn new(
        client: &RawClient,
        endpoint: &str,
        pagination: &PaginationDef,
        input: &Map<String, Value>,
    ) -> State {
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
        let cursor_type = pagination.cursor_param.as_ref().and_then(|name| {
            client
                .definition()
                .endpoints
                .get(endpoint)?
                .params
                .get(name)
                .map(|param| param.ty)
        });
        State {
            last_cursor: pagination
                .cursor_param
                .as_ref()
                .and_then(|name| input.get(name).cloned()),
            counter,
            seen: Vec::new(),
            cursor_type,
        }
    }

    fn next(
        &mut self,
        pagination: &PaginationDef,
        body: &Value,
        headers: &HeaderMap,
        request_url: &Url,
        input: &mut Map<String, Value>,
    ) -> Result<Next, Error> {
        match pagination.kind {
            PaginationKind::Cursor => {
                let (Some(param), Some(field)) =
                    (&pagination.cursor_param, &pagination.next_cursor)
                else {
                    return Ok(Next::Stop);
                };
                let cursor = match field_value(body, field) {
                    None | Some(Value::Null) => return Ok(Next::Stop),
                    Some(Value::String(s)) if s.is_empty() => return Ok(Next::Stop),
                    Some(cursor) => coerce(cursor.clone(), self.cursor_type),
                };
                if self.last_cursor.as_ref() == Some(&cursor) {
                    return Ok(Next::Stop);
                }
                self.last_cursor = Some(cursor.clone());
                input.insert(param.clone(), cursor);
                Ok(Next::Input)
            }
            PaginationKind::Offset | PaginationKind::Page => {
                let count = items(body, pagination.items.as_deref()).map_or(0, Vec::len);
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
                input.insert(param.clone(), Value::from(self.counter));
                Ok(Next::Input)
            }
            PaginationKind::LinkHeader => {
                let next = headers
                    .get_all(LINK)
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .find_map(next_link);
                self.follow(next.as_deref(), request_url)
            }
            PaginationKind::NextUrl => {
                let next = pagination
                    .next_url
                    .as_deref()
                    .and_then(|field| field_value(body, field));
                self.follow(next.and_then(Value::as_str), request_url)
            }
        }
    }

    fn follow(&mut self, next: Option<&str>, request_url: &Url) -> Result<Next, Error> {
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
        self.seen.push(request_url.clone());
        Ok(Next::Url(next))
    }
}

/// A response field by its exact name, else by a dotted path (`paging.next`).
fn field_value<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    if let Some(value) = body.get(field) {
        return Some(value);
    }
    field
        .split('.')
        .try_fold(body, |value, part| value.get(part))
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
}
