//! Every parameter location and type, defaults and enums, api_key auth.

connector_runtime::connector!("pass/every_param.yaml");

use every_param::{SearchOrder, SearchRequest, SearchResponse, SearchFilter};

fn main() {
    let request = SearchRequest::default();
    assert_eq!(request.order, SearchOrder::Newest);
    assert_eq!(request.limit, 20);
    assert_eq!(request.r#type, None);
    let _explicit = SearchRequest {
        account: "acme".to_string(),
        query: Some("q".to_string()),
        tags: Some(vec!["a".to_string()]),
        filter: Some(SearchFilter { owner: "me".to_string(), starred: Some(true) }),
        ..SearchRequest::default()
    };
    let _response: Option<SearchResponse> = None;
    // No Default: `id` is required.
    let _upload = every_param::UploadRequest { id: 7, content: String::new() };
}
