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

/// A union is an enum named after its tags; a binary endpoint answers a stream.
async fn dropbox_names(client: &dropbox::Client) -> Result<Vec<String>, connector_runtime::Error> {
    let page = client.list_folder(dropbox::ListFolderRequest::default()).await?;
    Ok(page
        .entries
        .into_iter()
        .map(|entry| match entry {
            dropbox::Metadata::File(file) => file.name,
            dropbox::Metadata::Folder(folder) => folder.name,
            dropbox::Metadata::Deleted(deleted) => deleted.name,
        })
        .collect())
}

async fn dropbox_download(client: &dropbox::Client) -> Result<Option<u64>, connector_runtime::Error> {
    let arg = dropbox::DownloadDropboxApiArg { path: "/notes.txt".into() };
    let file: connector_runtime::Download = client
        .download(dropbox::DownloadRequest { dropbox_api_arg: arg })
        .await?;
    Ok(file.content_length())
}

/// A recursive schema: a Gmail part holds parts.
fn part_count(part: &gmail::MessagePart) -> usize {
    1 + part.parts.iter().flatten().map(part_count).sum::<usize>()
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
    let dropbox = dropbox::Client::new(Auth::bearer("token")).with_cassette_recorder("cassettes");
    let _ = (dropbox_names(&dropbox), dropbox_download(&dropbox));
    let _ = part_count(&gmail::MessagePart {
        part_id: None,
        mime_type: None,
        filename: None,
        headers: None,
        body: None,
        parts: Some(vec![]),
    });
    let _ = api;
}
