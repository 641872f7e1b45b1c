//! The answer of a binary action: the provider's bytes streamed through, with its
//! `Content-Type`, `Content-Length` and `Content-Disposition`.

use futures_core::Stream as _;
use poem::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH};
use poem::{Body, IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};

use super::ActionError;
use crate::Download;

/// A binary action's 200 (`application/octet-stream` in the document; the provider's own
/// content type on the wire), or an error.
#[derive(Debug)]
pub enum DownloadResponse {
    Ok(Download),
    Err(ActionError),
}

impl ApiResponse for DownloadResponse {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut schema = MetaSchema::new("string");
        schema.format = Some("binary");
        let mut meta = MetaResponses {
            responses: vec![MetaResponse {
                description: "The file's bytes, streamed as the provider sends them, with its content type.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/octet-stream",
                    schema: MetaSchemaRef::Inline(Box::new(schema)),
                }],
                headers: vec![],
            }],
        };
        meta.responses.extend(ActionError::meta().responses);
        meta
    }

    fn register(registry: &mut Registry) {
        ActionError::register(registry);
    }

    fn from_parse_request_error(error: poem::Error) -> Self {
        DownloadResponse::Err(ActionError::from_parse_error(&error))
    }
}

impl IntoResponse for DownloadResponse {
    fn into_response(self) -> Response {
        let download = match self {
            DownloadResponse::Ok(download) => download,
            DownloadResponse::Err(error) => return error.into_response(),
        };
        let mut response = Response::builder().content_type(
            download
                .content_type()
                .unwrap_or("application/octet-stream"),
        );
        for name in [CONTENT_LENGTH, CONTENT_DISPOSITION] {
            if let Some(value) = download.headers().get(&name) {
                response = response.header(name, value.clone());
            }
        }
        let chunks = download.into_stream();
        let body = async_stream::stream! {
            let mut chunks = std::pin::pin!(chunks);
            // `StreamExt::map` without futures-util: the runtime depends on futures-core only.
            while let Some(chunk) =
                std::future::poll_fn(|context| chunks.as_mut().poll_next(context)).await
            {
                yield chunk.map_err(std::io::Error::other);
            }
        };
        response.body(Body::from_bytes_stream(body))
    }
}
