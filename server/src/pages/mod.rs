//! The server's HTML: the admin dashboard (`/dashboard`) and the hosted connect page
//! (`/connect/{token}`), rendered on the server with askama templates (`server/templates`);
//! htmx and one stylesheet are embedded (`/assets`). Every page is sent with a strict
//! Content-Security-Policy: scripts and styles come from this server only.

mod connect;
mod dashboard;

use askama::Template;
use poem::http::{HeaderMap, StatusCode, header};
use poem::middleware::CookieJarManager;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get};

/// htmx 2.0.11 (`npm pack htmx.org@2.0.11`, dist/htmx.min.js), committed as it is.
const HTMX: &[u8] = include_bytes!("../../assets/htmx.min.js");
const STYLE: &[u8] = include_bytes!("../../assets/style.css");

/// `/dashboard`'s routes.
pub fn dashboard() -> impl Endpoint {
    dashboard::routes().with(CookieJarManager::new())
}

/// `/connect`'s routes.
pub fn connect() -> impl Endpoint {
    connect::routes().with(CookieJarManager::new())
}

/// `/assets`: the pages' script and stylesheet.
pub fn assets() -> impl Endpoint {
    Route::new()
        .at(
            "/htmx.min.js",
            get(poem::endpoint::make_sync(|_| {
                asset(HTMX, "text/javascript; charset=utf-8")
            })),
        )
        .at(
            "/style.css",
            get(poem::endpoint::make_sync(|_| {
                asset(STYLE, "text/css; charset=utf-8")
            })),
        )
}

fn asset(bytes: &'static [u8], content_type: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(bytes)
}

/// A rendered page with the headers every page gets: nothing from elsewhere runs, the page is
/// not framed or cached, and its URL (a connect token) is not sent to other sites.
fn page(status: StatusCode, template: &impl Template) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "same-origin")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(html)
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    title: &'a str,
    message: &'a str,
}

fn message(status: StatusCode, title: &str, message: &str) -> Response {
    page(status, &Message { title, message })
}

/// 303 to `location` (after a form's POST).
fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// Whether a write comes from a page of this server: its `Origin` (else its `Referer`) is the
/// public URL's origin or names the host the request was sent to. A request with neither is
/// refused: every browser that can run the dashboard sends `Origin` with a form's POST.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .filter(|origin| *origin != "null")
        .map(str::to_owned)
        .or_else(|| {
            let referer = headers.get(header::REFERER)?.to_str().ok()?;
            let url = url::Url::parse(referer).ok()?;
            Some(url.origin().ascii_serialization())
        });
    let Some(origin) = origin else {
        return false;
    };
    let Ok(origin) = url::Url::parse(&origin) else {
        return false;
    };
    let public = url::Url::parse(public_url).map(|url| url.origin());
    if public.is_ok_and(|public| public == origin.origin()) {
        return true;
    }
    let authority = match (origin.host_str(), origin.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => return false,
    };
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(&authority))
}

/// Whether cookies should be `Secure`: the public URL is https.
fn secure_cookies(public_url: &str) -> bool {
    public_url.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn writes_must_come_from_this_origin() {
        let public = "https://connect.example.com";
        assert!(same_origin(
            &headers(&[("origin", "https://connect.example.com")]),
            public
        ));
        assert!(same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            public
        ));
        assert!(same_origin(
            &headers(&[("referer", "https://connect.example.com/dashboard/logs?x=1")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "connect.example.com")
            ]),
            public
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), public));
        assert!(!same_origin(&headers(&[]), public));
    }
}
