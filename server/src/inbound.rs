//! A provider's incoming webhook, checked as its definition's `webhooks:` block says: the
//! signature (constant-time comparisons, timestamps within tolerance), the event type, and the
//! value that names the connection it concerns. Stored and forwarded by `api::incoming`.

use connector_defs::{SignatureEncoding, SignatureScheme, WebhookSignature, WebhookValue};
use hmac::{Hmac, Mac};
use poem::http::HeaderMap;
use serde_json::Value;
use sha2::Sha256;

/// How far a signed timestamp (stripe, slack) may be from now, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery is refused (each a 401).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    #[error("no webhook secret is set for `{0}`: PUT /v1/integrations/{0} with webhook_secret")]
    NoSecret(String),
    #[error("the `{0}` header is missing")]
    MissingHeader(String),
    #[error("the `{0}` header is not in the expected form")]
    MalformedHeader(String),
    #[error("the signature does not match")]
    BadSignature,
    #[error("the signed timestamp is {0} s from the server's clock (at most {TOLERANCE_SECS} s)")]
    OutOfTolerance(i64),
}

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Rejection> {
    headers
        .get(name)
        .ok_or_else(|| Rejection::MissingHeader(name.to_owned()))?
        .to_str()
        .map(str::trim)
        .map_err(|_| Rejection::MalformedHeader(name.to_owned()))
}

fn within_tolerance(timestamp: i64, now: i64) -> Result<(), Rejection> {
    let skew = now.saturating_sub(timestamp);
    if skew.abs() > TOLERANCE_SECS {
        return Err(Rejection::OutOfTolerance(skew));
    }
    Ok(())
}

/// Checks a delivery's signature with the integration's `secret`; `now` in Unix seconds.
pub fn verify(
    signature: &WebhookSignature,
    secret: Option<&str>,
    connector: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Rejection> {
    if signature.scheme == SignatureScheme::None {
        return Ok(());
    }
    let secret = secret.ok_or_else(|| Rejection::NoSecret(connector.to_owned()))?;
    let name = signature.header_name().unwrap_or_default();
    match signature.scheme {
        SignatureScheme::None => Ok(()),
        SignatureScheme::HmacSha256 => {
            let value = header(headers, name)?;
            let value = match &signature.prefix {
                Some(prefix) => value
                    .strip_prefix(prefix.as_str())
                    .ok_or_else(|| Rejection::MalformedHeader(name.to_owned()))?,
                None => value,
            };
            let given = match signature.encoding {
                SignatureEncoding::Hex => hex::decode(value).ok(),
                SignatureEncoding::Base64 => {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.decode(value).ok()
                }
            }
            .ok_or_else(|| Rejection::MalformedHeader(name.to_owned()))?;
            mac(secret.as_bytes(), &[body])
                .verify_slice(&given)
                .map_err(|_| Rejection::BadSignature)
        }
        SignatureScheme::Stripe => {
            // `t=…,v1=…[,v1=…]`: the HMAC of `{t}.{body}`, keyed with the whole `whsec_…`
            // string, as Stripe's libraries do.
            let value = header(headers, name)?;
            let mut timestamp = None;
            let mut candidates = Vec::new();
            for pair in value.split(',') {
                match pair.trim().split_once('=') {
                    Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
                    Some(("v1", signature)) => candidates.push(signature),
                    _ => {}
                }
            }
            let timestamp = timestamp.ok_or_else(|| Rejection::MalformedHeader(name.to_owned()))?;
            within_tolerance(timestamp, now)?;
            let signed = mac(
                secret.as_bytes(),
                &[timestamp.to_string().as_bytes(), b".", body],
            );
            candidates
                .iter()
                .filter_map(|candidate| hex::decode(candidate).ok())
                .any(|given| signed.clone().verify_slice(&given).is_ok())
                .then_some(())
                .ok_or(Rejection::BadSignature)
        }
        SignatureScheme::Slack => {
            // `v0=` hex of the HMAC of `v0:{X-Slack-Request-Timestamp}:{body}`.
            let stamp = header(headers, "X-Slack-Request-Timestamp")?;
            let timestamp = stamp
                .parse::<i64>()
                .map_err(|_| Rejection::MalformedHeader("X-Slack-Request-Timestamp".into()))?;
            within_tolerance(timestamp, now)?;
            let given = header(headers, name)?
                .strip_prefix("v0=")
                .and_then(|hex_digits| hex::decode(hex_digits).ok())
                .ok_or_else(|| Rejection::MalformedHeader(name.to_owned()))?;
            mac(secret.as_bytes(), &[b"v0:", stamp.as_bytes(), b":", body])
                .verify_slice(&given)
                .map_err(|_| Rejection::BadSignature)
        }
        SignatureScheme::StandardWebhooks => {
            let webhook =
                standardwebhooks::Webhook::new(secret).map_err(|_| Rejection::BadSignature)?;
            webhook.verify(body, headers).map_err(|error| match error {
                standardwebhooks::WebhookError::MissingHeader(name) => {
                    Rejection::MissingHeader(format!("webhook-{name}"))
                }
                standardwebhooks::WebhookError::TimestampTooOldError
                | standardwebhooks::WebhookError::FutureTimestampError => {
                    let stamp = header(headers, "webhook-timestamp")
                        .ok()
                        .and_then(|stamp| stamp.parse::<i64>().ok())
                        .unwrap_or(now);
                    Rejection::OutOfTolerance(now.saturating_sub(stamp))
                }
                _ => Rejection::BadSignature,
            })
        }
    }
}

/// A value a delivery carries (`{header}` or `{body: pointer}`), as text: a JSON number or
/// boolean gives its digits or word (42 matches a setting "42"), a string itself; an object, an
/// array, null or nothing gives `None`.
pub fn value_of(place: &WebhookValue, headers: &HeaderMap, json: Option<&Value>) -> Option<String> {
    match place {
        WebhookValue::Header(name) => headers
            .get(name.as_str())
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().to_owned()),
        WebhookValue::Body(pointer) => match json?.pointer(pointer)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        },
    }
}

/// Slack's `url_verification` request: the challenge to answer with.
pub fn slack_challenge(json: Option<&Value>) -> Option<&str> {
    let json = json?;
    (json.get("type")?.as_str()? == "url_verification")
        .then(|| json.get("challenge")?.as_str())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    poem::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    fn scheme(yaml: &str) -> WebhookSignature {
        serde_norway::from_str(yaml).unwrap()
    }

    fn hex_mac(key: &str, parts: &[&[u8]]) -> String {
        hex::encode(mac(key.as_bytes(), parts).finalize().into_bytes())
    }

    #[test]
    fn hmac_sha256_with_prefix_hex_and_base64() {
        let github =
            scheme("{ scheme: hmac_sha256, header: X-Hub-Signature-256, prefix: \"sha256=\" }");
        let body = br#"{"zen":"hi"}"#;
        let good = format!("sha256={}", hex_mac("s3cret", &[body]));
        let check = |value: &str, secret| {
            verify(
                &github,
                Some(secret),
                "github",
                &headers(&[("X-Hub-Signature-256", value)]),
                body,
                NOW,
            )
        };
        assert_eq!(check(&good, "s3cret"), Ok(()));
        assert_eq!(check(&good, "other"), Err(Rejection::BadSignature));
        assert_eq!(
            check(&good[7..], "s3cret"),
            Err(Rejection::MalformedHeader("X-Hub-Signature-256".into()))
        );
        assert_eq!(
            verify(
                &github,
                Some("s3cret"),
                "github",
                &HeaderMap::new(),
                body,
                NOW
            ),
            Err(Rejection::MissingHeader("X-Hub-Signature-256".into()))
        );
        assert_eq!(
            verify(&github, None, "github", &HeaderMap::new(), body, NOW),
            Err(Rejection::NoSecret("github".into()))
        );
        let shopify =
            scheme("{ scheme: hmac_sha256, header: X-Shopify-Hmac-Sha256, encoding: base64 }");
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(mac(b"k", &[body]).finalize().into_bytes());
        let sent = headers(&[("X-Shopify-Hmac-Sha256", encoded.as_str())]);
        assert_eq!(
            verify(&shopify, Some("k"), "shopify", &sent, body, NOW),
            Ok(())
        );
    }

    #[test]
    fn stripe_keys_with_the_whole_secret_and_bounds_the_timestamp() {
        let stripe = scheme("{ scheme: stripe }");
        let secret = "whsec_test123";
        let body = br#"{"type":"charge.succeeded"}"#;
        let signed = |t: i64| {
            format!(
                "t={t},v1={},v1=00",
                hex_mac(secret, &[t.to_string().as_bytes(), b".", body])
            )
        };
        let check = |value: &str| {
            verify(
                &stripe,
                Some(secret),
                "stripe",
                &headers(&[("Stripe-Signature", value)]),
                body,
                NOW,
            )
        };
        assert_eq!(check(&signed(NOW - 10)), Ok(()));
        assert_eq!(
            check(&signed(NOW - 301)),
            Err(Rejection::OutOfTolerance(301))
        );
        assert_eq!(
            check(&signed(NOW + 400)),
            Err(Rejection::OutOfTolerance(-400))
        );
        assert_eq!(
            check(&format!("t={NOW},v1=abcd")),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check("v1=abcd"),
            Err(Rejection::MalformedHeader("Stripe-Signature".into()))
        );
    }

    #[test]
    fn slack_signs_version_timestamp_and_body() {
        let slack = scheme("{ scheme: slack }");
        let body = b"{\"type\":\"event_callback\"}";
        let stamp = (NOW - 5).to_string();
        let good = format!(
            "v0={}",
            hex_mac("sl", &[b"v0:", stamp.as_bytes(), b":", body])
        );
        let sent = headers(&[
            ("X-Slack-Request-Timestamp", &stamp),
            ("X-Slack-Signature", &good),
        ]);
        assert_eq!(
            verify(&slack, Some("sl"), "slack", &sent, body, NOW),
            Ok(())
        );
        assert_eq!(
            verify(&slack, Some("sl"), "slack", &sent, body, NOW + 600),
            Err(Rejection::OutOfTolerance(605))
        );
        assert_eq!(
            verify(&slack, Some("sl"), "slack", &sent, b"{}", NOW),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn values_come_from_headers_and_json_pointers() {
        let json: Value =
            serde_json::json!({ "installation": { "id": 42 }, "team_id": "T1", "list": [] });
        let sent = headers(&[("X-GitHub-Event", "push")]);
        let at = |place| value_of(&place, &sent, Some(&json));
        assert_eq!(
            at(WebhookValue::Header("X-GitHub-Event".into())).as_deref(),
            Some("push")
        );
        assert_eq!(
            at(WebhookValue::Body("/installation/id".into())).as_deref(),
            Some("42")
        );
        assert_eq!(
            at(WebhookValue::Body("/team_id".into())).as_deref(),
            Some("T1")
        );
        assert_eq!(at(WebhookValue::Body("/list".into())), None);
        assert_eq!(at(WebhookValue::Body("/missing".into())), None);
        let challenge = serde_json::json!({ "type": "url_verification", "challenge": "c-1" });
        assert_eq!(slack_challenge(Some(&challenge)), Some("c-1"));
        assert_eq!(slack_challenge(Some(&json)), None);
    }
}
