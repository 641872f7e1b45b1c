//! The three built-ins from a crate whose only dependency is connector-runtime.

use connector_runtime::Auth;

connector_runtime::connector!("connectors/gmail.yaml");
connector_runtime::connector!("connectors/onedrive.yaml");
connector_runtime::connector!("connectors/dropbox.yaml");

async fn list(client: &gmail::Client) -> Result<Vec<String>, connector_runtime::Error> {
    let page = client
        .list_messages(gmail::ListMessagesRequest {
            max_results: Some(10),
            ..Default::default()
        })
        .await?;
    Ok(page.messages.unwrap_or_default().into_iter().filter_map(|m| m.id).collect())
}

fn api(actions: connector_runtime::openapi::Actions) -> (gmail::Api, onedrive::Api, dropbox::Api) {
    (gmail::Api::new(actions.clone()), onedrive::Api::new(actions.clone()), dropbox::Api::new(actions))
}

fn main() {
    assert_eq!(gmail::definition().name, "gmail");
    assert_eq!(gmail::ListMessagesRequest::default().user_id, "me");
    let client = gmail::Client::new(Auth::bearer("token")).with_base_url("http://127.0.0.1:9");
    let _ = list(&client);
    let _ = onedrive::Client::new(Auth::bearer("token")).raw().definition();
    let _ = dropbox::Client::new(Auth::bearer("token")).with_cassette_recorder("cassettes");
    let _ = api;
}
