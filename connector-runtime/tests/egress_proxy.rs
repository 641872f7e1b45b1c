//! The streamed passthrough honours an egress proxy named by the environment, as reqwest does
//! for every other provider call. A test binary of its own: it sets `HTTP_PROXY`.

mod common;

use connector_runtime::{Auth, PassthroughHttp, RawClient, RawRequest};
use std::time::Duration;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const YAML: &str = r#"
name: egress_test
version: 1.0.0
base_url: http://provider.example.test
auth: { kind: bearer }
endpoints:
  list: { method: GET, path: /items }
"#;

#[tokio::test]
async fn the_passthrough_goes_through_the_egress_proxy_of_the_environment() {
    let proxy = MockServer::start().await;
    // The proxy sees the provider's URL in absolute form, the credential placed.
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer token-1"))
        .and(header("host", "provider.example.test"))
        .respond_with(ResponseTemplate::new(200).set_body_string("via the proxy"))
        .expect(1)
        .mount(&proxy)
        .await;
    // SAFETY: this binary's only test; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("HTTP_PROXY", proxy.uri()) };
    let client = RawClient::new(common::def(YAML), Auth::bearer("token-1")).with_passthrough_http(
        PassthroughHttp::new("egress-test", Duration::from_secs(2), None),
    );
    let request = RawRequest {
        method: reqwest::Method::GET,
        path: "/items".into(),
        ..Default::default()
    };
    let response = client.send_streaming(request, None).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "via the proxy");
}
