//! A definition with a `webhooks:` block compiles, and its module's definition carries it.

use connector_runtime::defs::{SignatureEncoding, SignatureScheme, WebhookValue};

connector_runtime::connector!("pass/webhooks.yaml");

fn main() {
    let webhooks = hooks::definition().webhooks.as_ref().expect("a webhooks block");
    assert_eq!(webhooks.signature.scheme, SignatureScheme::HmacSha256);
    assert_eq!(webhooks.signature.header_name(), Some("X-Hub-Signature-256"));
    assert_eq!(webhooks.signature.prefix.as_deref(), Some("sha256="));
    assert_eq!(webhooks.signature.encoding, SignatureEncoding::Hex);
    assert_eq!(webhooks.event_type, Some(WebhookValue::Header("X-GitHub-Event".into())));
    let connection = webhooks.connection.as_ref().expect("a connection");
    assert_eq!(connection.value, WebhookValue::Body("/installation/id".into()));
    assert_eq!(connection.matches, "installation_id");
    let _ = hooks::GetInstallationRequest { id: 1 };
}
