//! Which headers cross the passthrough, in either direction.

use reqwest::header::{CONNECTION, HeaderMap, HeaderName};

/// Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy `Keep-Alive` and `Proxy-Connection`):
/// they describe one connection and never travel further.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Response headers that never reach the caller: the provider's cookies belong to the
/// server's session with it, not to the caller's.
const PROVIDER_ONLY: &[&str] = &["set-cookie", "set-cookie2"];

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
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

/// Strips a provider's response for the caller: hop-by-hop headers and cookies.
pub(crate) fn strip_response(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
    for name in PROVIDER_ONLY {
        headers.remove(*name);
    }
}
