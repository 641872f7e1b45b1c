//! Page streams for each pagination kind.

mod common;

use common::client;
use connector_runtime::{Auth, Error};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: pagination_test
version: 1.0.0
base_url: https://api.example.test
auth: { kind: bearer }
endpoints:
  messages:
    method: GET
    path: /users/{userId}/messages
    params:
      userId: { in: path, type: string, default: me }
      pageToken: { in: query, type: string }
      maxResults: { in: query, type: integer }
    pagination: { kind: cursor, cursor_param: pageToken, next_cursor: nextPageToken, items: messages }
    response:
      type: object
      properties:
        messages: { type: array, items: { type: object, properties: { id: { type: string } } } }
        nextPageToken: { type: string }
  children:
    method: GET
    path: /drive/children
    params:
      $top: { in: query, type: integer }
    pagination: { kind: next_url, next_url: "@odata.nextLink", items: value }
  issues:
    method: GET
    path: /issues
    params:
      per_page: { in: query, type: integer }
    pagination: { kind: link_header }
  records:
    method: GET
    path: /records
    params:
      offset: { in: query, type: integer }
      limit: { in: query, type: integer }
    pagination: { kind: offset, offset_param: offset, limit_param: limit, items: data }
  pages:
    method: GET
    path: /pages
    params:
      page: { in: query, type: integer }
    pagination: { kind: page, page_param: page, items: results }
  customers:
    method: GET
    path: /customers
    params:
      starting_after: { in: query, type: string }
    pagination: { kind: cursor, cursor_param: starting_after, next_cursor: data.-1.id, items: data }
  single:
    method: GET
    path: /single
"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessagePage {
    messages: Vec<Message>,
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    id: String,
}

#[tokio::test]
async fn cursor_pagination_walks_every_page() {
    let server = MockServer::start().await;
    let page = |ids: &[&str], next: Option<&str>| {
        let mut body =
            json!({"messages": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()});
        if let Some(next) = next {
            body["nextPageToken"] = json!(next);
        }
        ResponseTemplate::new(200).set_body_json(body)
    };
    Mock::given(path("/users/me/messages"))
        .and(query_param_is_missing("pageToken"))
        .and(query_param("maxResults", "2"))
        .respond_with(page(&["1", "2"], Some("p2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/users/me/messages"))
        .and(query_param("pageToken", "p2"))
        .and(query_param("maxResults", "2"))
        .respond_with(page(&["3", "4"], Some("p3")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/users/me/messages"))
        .and(query_param("pageToken", "p3"))
        .respond_with(page(&["5"], None))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Result<MessagePage, Error>> = client
        .pages("messages", &json!({"maxResults": 2}))
        .collect()
        .await;
    let pages: Vec<MessagePage> = pages.into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(pages.len(), 3);
    let ids: Vec<&str> = pages
        .iter()
        .flat_map(|page| &page.messages)
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(pages[2].next_page_token, None);
    for request in server.received_requests().await.unwrap() {
        assert_eq!(request.headers["authorization"], "Bearer t");
    }
}

#[tokio::test]
async fn an_empty_cursor_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(path("/users/me/messages"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"messages": [], "nextPageToken": ""})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Result<Value, Error>> = client.pages("messages", &json!({})).collect().await;
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn a_cursor_may_be_the_last_items_id() {
    // Stripe: the next page starts after the id of this page's last object; an empty page ends.
    let server = MockServer::start().await;
    for (after, ids) in [
        (None, vec!["cus_1", "cus_2"]),
        (Some("cus_2"), vec!["cus_3"]),
        (Some("cus_3"), vec![]),
    ] {
        let data: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
        let mock = Mock::given(path("/customers"));
        let mock = match after {
            Some(after) => mock.and(query_param("starting_after", after)),
            None => mock.and(query_param_is_missing("starting_after")),
        };
        mock.respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": data, "has_more": !ids.is_empty()})),
        )
        .expect(1)
        .mount(&server)
        .await;
    }
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Value> = client
        .pages("customers", &json!({}))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
}

#[tokio::test]
async fn next_url_pagination_follows_the_absolute_url() {
    let server = MockServer::start().await;
    let next = format!("{}/drive/children?$skiptoken=abc&$top=2", server.uri());
    Mock::given(path("/drive/children"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [1, 2], "@odata.nextLink": next})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/drive/children"))
        .and(query_param("$skiptoken", "abc"))
        .and(query_param("$top", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [3]})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Value> = client
        .pages("children", &json!({"$top": 2}))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1]["value"], json!([3]));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[1].url.query(),
        Some("$skiptoken=abc&$top=2"),
        "the next URL is used as it is"
    );
    assert_eq!(requests[1].headers["authorization"], "Bearer t");
}

#[tokio::test]
async fn a_next_url_on_another_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/drive/children"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"value": [1], "@odata.nextLink": "https://evil.example.test/steal"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Result<Value, Error>> = client.pages("children", &json!({})).collect().await;
    assert_eq!(pages.len(), 2);
    assert!(pages[0].is_ok());
    assert!(
        matches!(&pages[1], Err(Error::Decode { message, .. }) if message.contains("another host")),
        "{:?}",
        pages[1]
    );
}

#[tokio::test]
async fn link_header_pagination() {
    let server = MockServer::start().await;
    let link = format!(
        r#"<{}/issues?per_page=1&page=2>; rel="next", <{0}/issues?per_page=1&page=2>; rel="last""#,
        server.uri()
    );
    Mock::given(path("/issues"))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", link.as_str())
                .set_body_json(json!([{"n": 1}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/issues"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", r#"</issues?per_page=1&page=1>; rel="prev""#)
                .set_body_json(json!([{"n": 2}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Value> = client
        .pages("issues", &json!({"per_page": 1}))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pages, [json!([{"n": 1}]), json!([{"n": 2}])]);
}

#[tokio::test]
async fn offset_pagination_stops_on_an_empty_page() {
    let server = MockServer::start().await;
    for (offset, data) in [("0", json!([1, 2])), ("2", json!([3, 4])), ("4", json!([]))] {
        Mock::given(path("/records"))
            .and(query_param("offset", offset))
            .and(query_param("limit", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": data})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Value> = client
        .pages("records", &json!({"offset": 0, "limit": 2}))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
}

#[tokio::test]
async fn page_pagination_counts_from_the_first_page() {
    let server = MockServer::start().await;
    // Without a page parameter the first request leaves it out (the provider's page 1).
    Mock::given(path("/pages"))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": ["a"]})))
        .expect(1)
        .mount(&server)
        .await;
    for (page, results) in [("2", json!(["b"])), ("3", json!([]))] {
        Mock::given(path("/pages"))
            .and(query_param("page", page))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": results})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Value> = client
        .pages("pages", &json!({}))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
}

#[tokio::test]
async fn an_error_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me/messages"))
        .respond_with(ResponseTemplate::new(403).set_body_string("forbidden"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Result<Value, Error>> = client.pages("messages", &json!({})).collect().await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].as_ref().unwrap_err().status(), Some(403));
}

#[tokio::test]
async fn an_endpoint_without_pagination_has_one_page() {
    let server = MockServer::start().await;
    Mock::given(path("/single"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"x": 1})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(YAML, Auth::bearer("t"), &server);
    let pages: Vec<Value> = client
        .pages("single", &json!({}))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pages, [json!({"x": 1})]);
}

#[test]
fn the_page_stream_is_send_and_static() {
    fn assert_send_static<T: Send + 'static>(_: &T) {}
    let client = connector_runtime::RawClient::new(common::def(YAML), Auth::bearer("t"));
    let input = json!({});
    let stream = client.pages::<_, Value>("messages", &input);
    drop(input);
    assert_send_static(&stream);
}
