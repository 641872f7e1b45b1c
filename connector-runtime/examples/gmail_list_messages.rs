//! Lists the newest messages of a Gmail mailbox through the typed client.
//!
//! ```sh
//! GMAIL_ACCESS_TOKEN=ya29.… cargo run -p connector-runtime --example gmail_list_messages
//! ```
//!
//! The token is an OAuth 2.0 access token with the `gmail.readonly` scope (the OAuth
//! Playground gives one for trying this). `GMAIL_BASE_URL` points the client elsewhere, such
//! as a mock server.

use connector_runtime::{Auth, Error};
use futures_util::StreamExt;

// The path is relative to this crate's Cargo.toml; in your crate, point it at your copy.
connector_runtime::connector!("../connector-defs/connectors/gmail.yaml");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("GMAIL_ACCESS_TOKEN")
        .map_err(|_| "set GMAIL_ACCESS_TOKEN to an access token with the gmail.readonly scope")?;
    let mut client = gmail::Client::new(Auth::bearer(token));
    if let Ok(base_url) = std::env::var("GMAIL_BASE_URL") {
        client = client.with_base_url(base_url);
    }

    let profile = client
        .get_profile(gmail::GetProfileRequest::default())
        .await?;
    println!(
        "{} has {} messages",
        profile.email_address, profile.messages_total
    );

    // One page of ten, then the subject of each message.
    let request = gmail::ListMessagesRequest {
        max_results: Some(10),
        ..Default::default()
    };
    let page = match client.list_messages(request.clone()).await {
        Ok(page) => page,
        Err(Error::Upstream { status: 401, .. }) => {
            return Err("the token was refused: get a fresh one".into());
        }
        Err(error) => return Err(error.into()),
    };
    for message in page.messages.unwrap_or_default() {
        let Some(id) = message.id else { continue };
        let full = client
            .get_message(gmail::GetMessageRequest {
                user_id: "me".into(),
                id: id.clone(),
                format: Some(gmail::GetMessageFormat::Metadata),
                metadata_headers: Some(vec!["Subject".into()]),
            })
            .await?;
        println!("{id}  {}", full.snippet.unwrap_or_default());
    }

    // Or walk every page (here: the first three) as a stream.
    let mut pages = Box::pin(client.list_messages_pages(request).take(3));
    while let Some(page) = pages.next().await {
        println!(
            "page of {} messages",
            page?.messages.map_or(0, |messages| messages.len())
        );
    }
    Ok(())
}
