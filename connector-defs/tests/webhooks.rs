//! Format 1.1: `webhooks:`, how incoming deliveries are verified (`signature`), what event they
//! carry (`event_type`) and which connection they concern (`connection`).

use connector_defs::{
    ConnectorDef, SignatureEncoding, SignatureScheme, WebhookConnection, WebhookSignature,
    WebhookValue, WebhooksDef,
};

fn parse(source: &str) -> Result<ConnectorDef, Vec<String>> {
    connector_defs::parse(source, "mini.yaml").map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|diagnostic| error.render(diagnostic))
            .collect()
    })
}

/// Four lines; `webhooks:` starts on line 5.
const HEAD: &str = "name: mini
version: 1.0.0
base_url: https://api.example.com
auth: { kind: bearer }
";

/// Six lines, with the setting `installation_id`; `webhooks:` starts on line 7.
const WITH_SETTING: &str = "name: mini
version: 1.0.0
base_url: https://api.example.com
auth: { kind: bearer }
connection_config:
  installation_id: { description: The GitHub App installation. }
";

fn webhooks(source: &str) -> WebhooksDef {
    parse(source)
        .unwrap_or_else(|errors| panic!("{}\n{source}", errors.join("\n")))
        .webhooks
        .expect("a webhooks block")
}

fn signature(scheme: SignatureScheme) -> WebhookSignature {
    WebhookSignature {
        scheme,
        header: None,
        prefix: None,
        encoding: SignatureEncoding::Hex,
    }
}

#[test]
fn a_definition_without_webhooks_has_none() {
    assert_eq!(parse(HEAD).unwrap().webhooks, None);
}

#[test]
fn the_github_example_parses() {
    let webhooks = webhooks(&format!(
        "{WITH_SETTING}webhooks:
  signature: {{ scheme: hmac_sha256, header: X-Hub-Signature-256, prefix: \"sha256=\", encoding: hex }}
  event_type: {{ header: X-GitHub-Event }}
  connection: {{ body: /installation/id, matches: installation_id }}
"
    ));
    assert_eq!(
        webhooks,
        WebhooksDef {
            signature: WebhookSignature {
                scheme: SignatureScheme::HmacSha256,
                header: Some("X-Hub-Signature-256".into()),
                prefix: Some("sha256=".into()),
                encoding: SignatureEncoding::Hex,
            },
            event_type: Some(WebhookValue::Header("X-GitHub-Event".into())),
            connection: Some(WebhookConnection {
                value: WebhookValue::Body("/installation/id".into()),
                matches: "installation_id".into(),
            }),
        }
    );
    assert_eq!(
        webhooks.signature.header_name(),
        Some("X-Hub-Signature-256")
    );
    let connection = webhooks.connection.unwrap();
    assert_eq!(connection.value.body_pointer(), Some("/installation/id"));
    assert_eq!(connection.value.header(), None);
}

#[test]
fn hmac_sha256_defaults_to_hex_and_takes_base64() {
    let hex = webhooks(&format!(
        "{HEAD}webhooks:\n  signature: {{ scheme: hmac_sha256, header: X-Signature }}\n"
    ));
    assert_eq!(
        hex.signature,
        WebhookSignature {
            header: Some("X-Signature".into()),
            ..signature(SignatureScheme::HmacSha256)
        }
    );
    assert_eq!(hex.event_type, None);
    assert_eq!(hex.connection, None);
    let base64 = webhooks(&format!(
        "{HEAD}webhooks:\n  signature:\n    scheme: hmac_sha256\n    header: X-Shopify-Hmac-Sha256\n    encoding: base64\n"
    ));
    assert_eq!(base64.signature.encoding, SignatureEncoding::Base64);
    assert_eq!(base64.signature.prefix, None);
}

#[test]
fn each_scheme_parses_with_its_default_header() {
    for (scheme, expected, header) in [
        ("stripe", SignatureScheme::Stripe, Some("Stripe-Signature")),
        ("slack", SignatureScheme::Slack, Some("X-Slack-Signature")),
        (
            "standard_webhooks",
            SignatureScheme::StandardWebhooks,
            Some("webhook-signature"),
        ),
        ("none", SignatureScheme::None, None),
    ] {
        let webhooks = webhooks(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: {scheme} }}\n  event_type: {{ body: /type }}\n"
        ));
        assert_eq!(webhooks.signature, signature(expected), "{scheme}");
        assert_eq!(webhooks.signature.header_name(), header, "{scheme}");
        assert_eq!(expected.as_str(), scheme);
        assert_eq!(
            webhooks.event_type,
            Some(WebhookValue::Body("/type".into()))
        );
    }
}

#[test]
fn stripe_and_slack_take_another_signature_header() {
    for scheme in ["stripe", "slack"] {
        let webhooks = webhooks(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: {scheme}, header: X-Forwarded-Signature }}\n"
        ));
        assert_eq!(
            webhooks.signature.header_name(),
            Some("X-Forwarded-Signature")
        );
    }
}

#[test]
fn a_connection_may_be_read_from_a_header() {
    let webhooks = webhooks(&format!(
        "{WITH_SETTING}webhooks:\n  signature: {{ scheme: none }}\n  connection:\n    matches: installation_id\n    header: X-Installation\n"
    ));
    assert_eq!(
        webhooks.connection,
        Some(WebhookConnection {
            value: WebhookValue::Header("X-Installation".into()),
            matches: "installation_id".into(),
        })
    );
}

#[test]
fn json_pointers_may_escape_keys() {
    let webhooks = webhooks(&format!(
        "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  event_type: {{ body: \"/meta/a~1b/~0c/0\" }}\n"
    ));
    assert_eq!(
        webhooks.event_type.unwrap().body_pointer(),
        Some("/meta/a~1b/~0c/0")
    );
}

#[test]
fn a_block_survives_serialisation() {
    let source = format!(
        "{WITH_SETTING}webhooks:
  signature: {{ scheme: stripe }}
  event_type: {{ header: X-Event }}
  connection: {{ body: /account, matches: installation_id }}
"
    );
    let def = parse(&source).unwrap();
    let json = serde_json::to_value(&def).unwrap();
    // The default encoding is left out: it does not apply to stripe.
    assert_eq!(
        json["webhooks"],
        serde_json::json!({
            "signature": { "scheme": "stripe" },
            "event_type": { "header": "X-Event" },
            "connection": { "body": "/account", "matches": "installation_id" },
        })
    );
    let yaml = serde_norway::to_string(&def).unwrap();
    assert_eq!(parse(&yaml).unwrap(), def, "{yaml}");
}

#[test]
fn an_unknown_scheme_is_an_error() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: hmac_sha1, header: X-Sig }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:6:24: webhooks.signature.scheme: unknown variant `hmac_sha1`, expected one of `hmac_sha256`, `stripe`, `slack`, `standard_webhooks`, `none`"
        ]
    );
}

#[test]
fn hmac_sha256_needs_a_header() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature:\n    scheme: hmac_sha256\n    prefix: \"sha256=\"\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:7:5: signature scheme `hmac_sha256` needs `header`\n  = help: add `header:` under `signature:`, the header that carries the signature, such as `X-Hub-Signature-256`"
        ]
    );
}

#[test]
fn fields_a_scheme_does_not_take_are_errors() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature:\n    scheme: stripe\n    prefix: \"v1=\"\n    encoding: hex\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:8:5: `prefix` does not apply to signature scheme `stripe`\n  = help: remove `prefix`, or change `scheme`",
            "mini.yaml:9:5: `encoding` does not apply to signature scheme `stripe`\n  = help: remove `encoding`, or change `scheme`",
        ]
    );
    for scheme in ["standard_webhooks", "none"] {
        assert_eq!(
            parse(&format!(
                "{HEAD}webhooks:\n  signature: {{ scheme: {scheme}, header: X-Sig }}\n"
            ))
            .unwrap_err(),
            [format!(
                "mini.yaml:6:{}: `header` does not apply to signature scheme `{scheme}`\n  = help: remove `header`, or change `scheme`",
                26 + scheme.len()
            )]
        );
    }
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: slack, encoding: base64 }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:6:31: `encoding` does not apply to signature scheme `slack`\n  = help: remove `encoding`, or change `scheme`"
        ]
    );
}

#[test]
fn header_and_body_together_are_an_error_at_the_second() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  event_type: {{ header: X-Event, body: /type }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:7:34: webhooks.event_type: give `header` or `body`, not both"]
    );
    assert_eq!(
        parse(&format!(
            "{WITH_SETTING}webhooks:\n  signature: {{ scheme: none }}\n  connection:\n    body: /installation/id\n    matches: installation_id\n    header: X-Installation\n"
        ))
        .unwrap_err(),
        ["mini.yaml:12:5: webhooks.connection: give `header` or `body`, not both"]
    );
}

#[test]
fn neither_header_nor_body_is_an_error() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  event_type: {{}}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:7:15: webhooks.event_type: missing field `header` or `body`"]
    );
    assert_eq!(
        parse(&format!(
            "{WITH_SETTING}webhooks:\n  signature: {{ scheme: none }}\n  connection: {{ matches: installation_id }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:9:15: webhooks.connection: missing field `header` or `body`"]
    );
}

#[test]
fn a_connection_needs_matches() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  connection: {{ body: /team_id }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:7:15: webhooks.connection: missing field `matches`"]
    );
}

#[test]
fn a_webhooks_block_needs_a_signature() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  event_type: {{ header: X-Event }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:6:3: webhooks: missing field `signature`"]
    );
}

#[test]
fn a_body_value_must_be_a_json_pointer() {
    assert_eq!(
        parse(&format!(
            "{WITH_SETTING}webhooks:\n  signature: {{ scheme: none }}\n  event_type: {{ body: type }}\n  connection: {{ body: \"/installation/~2id\", matches: installation_id }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:9:23: `type` is not a JSON pointer: it must start with `/`\n  = help: write the path of the field in the JSON body, such as `/installation/id`",
            "mini.yaml:10:23: `/installation/~2id` is not a JSON pointer: `~` must be followed by `0` or `1`\n  = help: write `~0` for a `~` and `~1` for a `/` inside a key",
        ]
    );
}

#[test]
fn header_names_must_be_valid() {
    assert_eq!(
        parse(&format!(
            "{WITH_SETTING}webhooks:\n  signature: {{ scheme: hmac_sha256, header: \"X Hub Signature\" }}\n  event_type: {{ header: \"X-Event:\" }}\n  connection: {{ header: \"\", matches: installation_id }}\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:8:45: `X Hub Signature` is not a valid HTTP header name",
            "mini.yaml:9:25: `X-Event:` is not a valid HTTP header name",
            "mini.yaml:10:25: `` is not a valid HTTP header name",
        ]
    );
}

#[test]
fn matches_without_any_declared_setting_says_so() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  connection: {{ body: /installation/id, matches: installation_id }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:7:50: `matches` names connection_config setting `installation_id`, but the definition declares no connection_config\n  = help: declare it under `connection_config:` as `installation_id: { description: … }`, or leave `connection` out"]
    );
}

#[test]
fn matches_must_name_a_declared_setting() {
    assert_eq!(
        parse(&format!(
            "{WITH_SETTING}webhooks:\n  signature: {{ scheme: none }}\n  connection: {{ body: /installation/id, matches: instalation_id }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:9:50: `matches` names no connection_config setting `instalation_id`\n  = help: did you mean `installation_id`?"]
    );
    assert_eq!(
        parse(&format!(
            "{WITH_SETTING}webhooks:\n  signature: {{ scheme: none }}\n  connection: {{ body: /team_id, matches: team }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:9:42: `matches` names no connection_config setting `team`\n  = help: the settings are: installation_id; declare `team` under `connection_config:`"]
    );
}

#[test]
fn unknown_keys_are_errors_where_they_are() {
    for (block, message) in [
        (
            "webhooks:\n  signature: { scheme: none }\n  events: [push]\n",
            "mini.yaml:7:3: webhooks: unknown field `events`, expected one of `signature`, `event_type`, `connection`",
        ),
        (
            "webhooks:\n  signature: { scheme: hmac_sha256, header: X-Sig, secret: s3cr3t }\n",
            "mini.yaml:6:52: webhooks.signature: unknown field `secret`, expected one of `scheme`, `header`, `prefix`, `encoding`",
        ),
        (
            "webhooks:\n  signature: { scheme: none }\n  event_type:\n    heder: X-Event\n",
            "mini.yaml:8:5: webhooks.event_type: unknown field `heder`, expected `header` or `body`",
        ),
        (
            "webhooks:\n  signature: { scheme: none }\n  event_type: { header: X-Event, matches: installation_id }\n",
            "mini.yaml:7:34: webhooks.event_type: unknown field `matches`, expected `header` or `body`",
        ),
        (
            "webhooks:\n  signature: { scheme: none }\n  connection: { body: /id, matches: installation_id, default: x }\n",
            "mini.yaml:7:54: webhooks.connection: unknown field `default`, expected one of `header`, `body`, `matches`",
        ),
    ] {
        assert_eq!(
            parse(&format!("{HEAD}{block}")).unwrap_err(),
            [message],
            "{block}"
        );
    }
}

#[test]
fn a_key_given_twice_is_an_error() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  event_type: {{ header: X-A, header: X-B }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:7:30: webhooks.event_type: duplicate field `header`"]
    );
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  connection: {{ body: /id, matches: a, matches: b }}\n"
        ))
        .unwrap_err(),
        ["mini.yaml:7:40: webhooks.connection: duplicate field `matches`"]
    );
}

#[test]
fn a_value_must_be_a_mapping() {
    assert_eq!(
        parse(&format!(
            "{HEAD}webhooks:\n  signature: {{ scheme: none }}\n  event_type: X-GitHub-Event\n"
        ))
        .unwrap_err(),
        [
            "mini.yaml:7:15: webhooks.event_type: invalid type: string \"X-GitHub-Event\", expected a mapping with `header` or `body`"
        ]
    );
}

#[test]
fn github_slack_and_stripe_describe_their_webhooks() {
    let builtin = |file: &str| {
        let (_, source) = connector_defs::BUILTIN
            .iter()
            .find(|(name, _)| *name == file)
            .unwrap();
        webhooks(source)
    };
    assert_eq!(
        builtin("github.yaml"),
        WebhooksDef {
            signature: WebhookSignature {
                scheme: SignatureScheme::HmacSha256,
                header: Some("X-Hub-Signature-256".into()),
                prefix: Some("sha256=".into()),
                encoding: SignatureEncoding::Hex,
            },
            event_type: Some(WebhookValue::Header("X-GitHub-Event".into())),
            // Neither definition declares a setting the account could be matched against.
            connection: None,
        }
    );
    assert_eq!(
        builtin("slack.yaml"),
        WebhooksDef {
            signature: signature(SignatureScheme::Slack),
            event_type: Some(WebhookValue::Body("/event/type".into())),
            connection: None,
        }
    );
    assert_eq!(
        builtin("stripe.yaml"),
        WebhooksDef {
            signature: signature(SignatureScheme::Stripe),
            event_type: Some(WebhookValue::Body("/type".into())),
            connection: None,
        }
    );
}
