//! The `credentials` of `POST /v1/connections`, by field name, turned into the secret a
//! connection stores.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use connector_defs::AuthKind;
use connector_runtime::ConnectorDef;
use connector_runtime::jwt::SigningKey;
use connector_runtime::oauth::ServiceAccount;
use connector_runtime::openapi::InvalidField;

use crate::error::{ApiError, ApiResult};
use crate::store::{ClientCredentials, Secret};

/// What a new connection's credentials give.
pub struct Given {
    /// `None`: a connection whose first token is fetched or minted (oauth2_client_credentials
    /// without a token, jwt_bearer, app_jwt).
    pub secret: Option<Secret>,
    /// When an imported access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The connection's own OAuth client (oauth2_client_credentials with `auth.credentials`).
    pub client: Option<ClientCredentials>,
    /// jwt_bearer: the service account that signs the assertions.
    pub service_account: Option<ServiceAccountKey>,
}

/// A jwt_bearer connection's service account: the signer, and the key's text and id as stored.
pub struct ServiceAccountKey {
    pub signer: ServiceAccount,
    pub private_key: String,
    pub key_id: Option<String>,
}

/// The fields a connection of `def` must bring, and those it may.
fn accepted(def: &ConnectorDef) -> (Vec<&str>, Vec<&str>) {
    let auth = &def.auth;
    match auth.kind {
        AuthKind::Oauth2 => (vec!["access_token"], vec!["refresh_token", "expires_at"]),
        AuthKind::Oauth2ClientCredentials => {
            (auth.credential_fields(), vec!["access_token", "expires_at"])
        }
        // A basic password may be empty (an API key sent as the username).
        AuthKind::Basic => auth
            .credential_fields()
            .into_iter()
            .partition(|name| *name != "password"),
        AuthKind::ApiKey | AuthKind::Bearer => (auth.credential_fields(), Vec::new()),
        AuthKind::JwtBearer => auth
            .credential_fields()
            .into_iter()
            .partition(|name| !matches!(*name, "subject" | "key_id")),
        AuthKind::AppJwt | AuthKind::None => (Vec::new(), Vec::new()),
    }
}

/// Checks the given fields against the connector's (400 `invalid_input` naming
/// `credentials.NAME`, with a suggestion for a near miss) and builds the secret.
pub fn read(def: &ConnectorDef, given: BTreeMap<String, Option<String>>) -> ApiResult<Given> {
    let mut given: BTreeMap<String, String> = given
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
    let (required, optional) = accepted(def);
    let known = || required.iter().chain(&optional).copied();
    let kind = def.auth.kind.as_str();
    if let Some(unknown) = given
        .keys()
        .find(|name| !known().any(|known| known == name.as_str()))
    {
        let suggestion = connector_defs::suggest::closest(unknown, known());
        let fields: Vec<&str> = known().collect();
        let message = match suggestion {
            Some(close) => format!(
                "connector `{}` ({kind}) has no credential field `credentials.{unknown}`; did you mean `{close}`?",
                def.name
            ),
            None if fields.is_empty() => format!(
                "connector `{}` ({kind}) takes no credentials, got `credentials.{unknown}`",
                def.name
            ),
            None => format!(
                "connector `{}` ({kind}) has no credential field `credentials.{unknown}` (it has: {})",
                def.name,
                fields.join(", ")
            ),
        };
        return Err(ApiError::from(&InvalidField {
            field: format!("credentials.{unknown}"),
            message,
            suggestion: suggestion.map(str::to_owned),
        }));
    }
    let expires_at = given
        .remove("expires_at")
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| {
                    invalid(
                        "expires_at",
                        format!(
                            "credentials.expires_at must be an RFC 3339 date-time, got `{text}`"
                        ),
                    )
                })
        })
        .transpose()?;
    let client_credentials = def.auth.kind == AuthKind::Oauth2ClientCredentials;
    // A client-credentials connection imported with a token needs no client of its own.
    let needs_all = !(client_credentials && given.contains_key("access_token"));
    if let Some(missing) = required
        .iter()
        .find(|name| needs_all && !given.contains_key(**name))
    {
        return Err(invalid(
            missing,
            format!(
                "connector `{}` ({kind}) needs `credentials.{missing}`",
                def.name
            ),
        ));
    }
    let client = (client_credentials && def.auth.per_connection_client())
        .then(|| {
            Some(ClientCredentials {
                client_id: given.remove("client_id")?,
                client_secret: given.remove("client_secret").unwrap_or_default(),
            })
        })
        .flatten();
    let oauth2 = |access_token: String, refresh_token: Option<String>, client| Secret::Oauth2 {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        client,
    };
    let service_account = match def.auth.kind {
        AuthKind::JwtBearer => Some(service_account(std::mem::take(&mut given))?),
        _ => None,
    };
    let secret = match def.auth.kind {
        AuthKind::Oauth2 => given
            .remove("access_token")
            .map(|token| oauth2(token, given.remove("refresh_token"), None)),
        AuthKind::Oauth2ClientCredentials => given
            .remove("access_token")
            .map(|token| oauth2(token, None, client.clone())),
        AuthKind::ApiKey | AuthKind::Basic => Some(Secret::Fields { fields: given }),
        AuthKind::Bearer => given.remove("token").map(|token| Secret::Bearer { token }),
        AuthKind::JwtBearer | AuthKind::AppJwt => None,
        AuthKind::None => Some(Secret::None),
    };
    Ok(Given {
        secret,
        expires_at,
        client,
        service_account,
    })
}

/// The service account of a jwt_bearer connection; a key that does not sign is refused now.
fn service_account(mut given: BTreeMap<String, String>) -> ApiResult<ServiceAccountKey> {
    let issuer = given.remove("issuer").unwrap_or_default();
    let private_key = given.remove("private_key").unwrap_or_default();
    let key_id = given.remove("key_id");
    let key = SigningKey::from_pem(&private_key)
        .map_err(|error| invalid("private_key", format!("credentials.private_key: {error}")))?;
    Ok(ServiceAccountKey {
        signer: ServiceAccount {
            issuer,
            subject: given.remove("subject"),
            key: key.with_key_id(key_id.clone()),
        },
        private_key,
        key_id,
    })
}

fn invalid(name: &str, message: String) -> ApiError {
    ApiError::from(&InvalidField {
        field: format!("credentials.{name}"),
        message,
        suggestion: None,
    })
}
