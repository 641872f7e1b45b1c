//! `POST /v1/connect/sessions` and the hosted connect page's OAuth binding: an authorization
//! started on the page completes in the browser that opened the link, not in another one.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TestServer, error_code, token_response};

#[tokio::test]
async fn connect_sessions_are_checked_and_give_a_link() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post("/v1/connect/sessions", json!({ "end_user_id": " " }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = server
        .post(
            "/v1/connect/sessions",
            json!({ "end_user_id": "u", "allowed_connectors": ["nope"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "connector_not_found");
    let (status, _) = server
        .post(
            "/v1/connect/sessions",
            json!({ "end_user_id": "u", "redirect_url": "javascript:alert(1)" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = server
        .post(
            "/v1/connect/sessions",
            json!({ "end_user_id": "u", "allowed_connectors": ["gmail"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let url = body["url"].as_str().unwrap();
    assert_eq!(
        url,
        format!("{}/connect/{}", server.url, body["token"].as_str().unwrap())
    );
    assert!(body["expires_at"].is_string());
    // The page: unknown tokens are a 404 page; a connector the session does not allow too.
    let page = server.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let unknown = server
        .http
        .get(format!("{}/connect/cs_unknown", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// The `connect_browser` cookie the page sets.
fn browser_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("connect_browser="))
        .and_then(|value| value.split(';').next())
        .expect("the page sets its browser cookie")
        .to_owned()
}

#[tokio::test]
async fn an_authorization_from_the_connect_page_completes_in_its_browser_only() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_response("at", Some("rt"))))
        .mount(&provider)
        .await;
    let server = TestServer::start().await;
    server.integrate("gmail", &provider.uri()).await;
    let (_, session) = server
        .post(
            "/v1/connect/sessions",
            json!({ "end_user_id": "end-42", "allowed_connectors": ["gmail"] }),
        )
        .await;
    let url = session["url"].as_str().unwrap();
    let opened = server.http.get(url).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let cookie = browser_cookie(&opened);

    // Starts the authorization as the page's form does: the provider's consent URL.
    let start = || async {
        let response = server
            .http
            .post(format!("{url}/gmail"))
            .header(ORIGIN, &server.url)
            .header(COOKIE, &cookie)
            .form(&[("csrf", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with(&format!("{}/authorize", provider.uri())));
        url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(name, _)| name == "state")
            .unwrap()
            .1
            .into_owned()
    };
    let callback = |state: &str| format!("{}/oauth/callback?code=c&state={state}", server.url);

    // The consent link forwarded to someone else: their browser has no cookie of the page.
    let state = start().await;
    let elsewhere = server.http.get(callback(&state)).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    assert!(elsewhere.text().await.unwrap().contains("another browser"));
    let (_, listed) = server.get("/v1/connections?end_user_id=end-42").await;
    assert_eq!(listed["data"], json!([]));

    // In the browser that opened the link, it completes, for that end user.
    let state = start().await;
    let here = server
        .http
        .get(callback(&state))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(here.status(), StatusCode::OK);
    let (_, listed) = server.get("/v1/connections?end_user_id=end-42").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["data"][0]["connector"], "gmail");

    // A form posted without the browser's cookie, or from another origin, is refused.
    let forged = server
        .http
        .post(format!("{url}/gmail"))
        .header(ORIGIN, "https://evil.example")
        .header(COOKIE, &cookie)
        .form(&[("config.x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let stranger = server
        .http
        .post(format!("{url}/gmail"))
        .header(ORIGIN, &server.url)
        .form(&[("config.x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::FORBIDDEN);
}
