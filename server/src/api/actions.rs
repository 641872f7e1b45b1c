//! The typed actions: the server's side of the `Api` every `connector!` module generates.

use std::future::Future;
use std::sync::Arc;

use connector_runtime::openapi::{ActionCall, ActionContext, ActionError, Actions, BoxFuture};
use connector_runtime::{Download, RawClient, RawResponse};

use crate::call_log::CallKind;
use crate::calls::{self, Answered, CallSummary};
use crate::state::AppState;

/// Runs actions with the named connection's credential.
struct ConnectionActions(Arc<AppState>);

impl ActionContext for ConnectionActions {
    fn execute<'a>(
        &'a self,
        call: ActionCall<'a>,
    ) -> BoxFuture<'a, Result<RawResponse, ActionError>> {
        Box::pin(async move {
            self.run(&call, |client| {
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
            self.run(&call, |client| {
                let input = call.input.clone();
                async move { client.download_object(call.endpoint, input).await }
            })
            .await
        })
    }
}

impl ConnectionActions {
    /// `send` with a client of the call's connection, which must be of the call's connector.
    async fn run<T, F, Fut>(&self, call: &ActionCall<'_>, send: F) -> Result<T, ActionError>
    where
        F: Fn(RawClient) -> Fut,
        Fut: Future<Output = Result<T, connector_runtime::Error>>,
        T: Answered,
    {
        let connector = call.definition.name.as_str();
        calls::with_connection(
            &self.0,
            call.connection_id,
            Some(connector),
            true,
            summary(call),
            send,
        )
        .await
    }
}

/// An action's log entry: its endpoint's method and path template (never its arguments).
fn summary<'a>(call: &ActionCall<'a>) -> CallSummary<'a> {
    let endpoint = call.definition.endpoints.get(call.endpoint);
    CallSummary {
        kind: CallKind::Action,
        method: endpoint.map_or("GET", |endpoint| endpoint.method.as_str()),
        path: endpoint.map_or(call.endpoint, |endpoint| endpoint.path.as_str()),
    }
}

pub fn actions(state: Arc<AppState>) -> Actions {
    Actions::new(ConnectionActions(state))
}
