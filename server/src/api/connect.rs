//! `POST /v1/connect/sessions`: a link to the hosted connect page for one end user.

use chrono::{DateTime, Utc};
use connector_runtime::openapi::{SecretKey, StrictJson};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::{Tag, check_url};
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

pub struct ConnectApi(pub SharedState);

#[derive(Debug, Clone, Object)]
pub struct CreateConnectSession {
    /// Your id for the end user; their connections carry it.
    pub end_user_id: String,
    /// The connectors they may pick from; every loaded connector when absent.
    pub allowed_connectors: Option<Vec<String>>,
    /// Where the page sends them once connected, with `connection_id` and `status` in the
    /// query.
    pub redirect_url: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct ConnectSession {
    /// Single end user, short-lived; it is the `url`'s last segment.
    pub token: String,
    /// Send the end user here.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Created(Json<ConnectSession>),
}

#[OpenApi(tag = "Tag::Connections")]
impl ConnectApi {
    /// A link to the hosted connect page, where one end user picks a connector and connects
    /// their account (API key, basic credentials checked with the provider, or OAuth). The
    /// link works for 30 minutes, in the first browser that opens it.
    #[oai(
        path = "/v1/connect/sessions",
        method = "post",
        operation_id = "create_connect_session"
    )]
    async fn create(
        &self,
        _key: SecretKey,
        input: StrictJson<CreateConnectSession>,
    ) -> ApiResult<Created> {
        let state = &self.0;
        let StrictJson(input) = input;
        if input.end_user_id.trim().is_empty() {
            return Err(ApiError::bad_request(
                "invalid_input",
                "end_user_id must not be empty",
            ));
        }
        if let Some(allowed) = &input.allowed_connectors {
            if allowed.is_empty() {
                return Err(ApiError::bad_request(
                    "invalid_input",
                    "allowed_connectors must name at least one connector (leave it out for all)",
                ));
            }
            for name in allowed {
                state.connector(name)?;
            }
        }
        if let Some(url) = &input.redirect_url {
            check_url("redirect_url", url)?;
        }
        let session = state
            .connect_sessions
            .create(
                &input.end_user_id,
                input.allowed_connectors,
                input.redirect_url,
            )
            .await
            .map_err(ApiError::internal)?;
        let url = format!(
            "{}/connect/{}",
            state.settings.public_url.trim_end_matches('/'),
            session.token
        );
        Ok(Created::Created(Json(ConnectSession {
            token: session.token,
            url,
            expires_at: session.expires_at,
        })))
    }
}
