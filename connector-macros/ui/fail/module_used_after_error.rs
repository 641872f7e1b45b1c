// The definition is invalid, so the macro emits an empty `gmail` module beside the error:
// the uses below add no "unresolved" errors of their own.
connector_runtime::connector!("fail/module_used_after_error.yaml");

use gmail::{Client, ListMessagesRequest};

fn main() {
    let _definition = gmail::definition();
    let _request = ListMessagesRequest::default();
    let _client: Option<Client> = None;
}
