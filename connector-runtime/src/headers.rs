//! Which headers cross the passthrough, in either direction.

use reqwest::header::{
    CONNECTION, HeaderMap, HeaderName, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, SET_COOKIE, TE,
    TRAILER, TRANSFER_ENCODING, UPGRADE,
};

/// Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy `Keep-Alive` and `Proxy-Connection`):
/// they describe one connection and never travel further. Names, not strings: removing by a
/// string parses it on every call, and the proxy calls this twice per request.
static HOP_BY_HOP: [HeaderName; 9] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION,
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

/// Response headers that never reach the caller: the provider's cookies belong to the
/// server's session with it, not to the caller's.
static PROVIDER_ONLY: [HeaderName; 2] = [SET_COOKIE, HeaderName::from_static("set-cookie2")];

/// Removes the hop-by-hop headers, and every header the `Connection` header names, from a
/// request or a response that is passed on.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Strips a provider's response for the caller: hop-by-hop headers and cookies.
pub(crate) fn strip_response(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
    for name in &PROVIDER_ONLY {
        headers.remove(name);
    }
}
