//! The typed actions: the server's side of the `Api` every `connector!` module generates.

use std::sync::Arc;

use connector_runtime::openapi::{ActionCall, ActionContext, ActionError, Actions, BoxFuture};
use connector_runtime::{Download, RawResponse};

use crate::calls;
use crate::state::AppState;

/// Runs actions with the named connection's credential.
struct ConnectionActions(Arc<AppState>);

impl ActionContext for ConnectionActions {
    fn execute<'a>(
        &'a self,
        call: ActionCall<'a>,
    ) -> BoxFuture<'a, Result<RawResponse, ActionError>> {
        Box::pin(async move {
            let state = &self.0;
            let connector = call.definition.name.as_str();
            calls::with_connection(state, call.connection_id, Some(connector), true, |client| {
                let input = call.input.clone();
                async move { client.execute(call.endpoint, input).await }
            })
            .await
        })
    }

    fn download<'a>(
        &'a self,
        call: ActionCall<'a>,
    ) -> BoxFuture<'a, Result<Download, ActionError>> {
        Box::pin(async move {
            let state = &self.0;
            let connector = call.definition.name.as_str();
            calls::with_connection(state, call.connection_id, Some(connector), true, |client| {
                let input = call.input.clone();
                async move { client.download_object(call.endpoint, input).await }
            })
            .await
        })
    }
}

pub fn actions(state: Arc<AppState>) -> Actions {
    Actions::new(ConnectionActions(state))
}
