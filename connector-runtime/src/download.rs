//! The answer of a binary endpoint (`response: { type: string, format: binary }`): its bytes
//! arrive as the caller reads them, so a file of any size passes in constant memory.

use bytes::Bytes;
use futures_core::Stream;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};

use crate::Error;

/// A 2xx response whose body has not been read yet.
#[derive(Debug)]
pub struct Download {
    response: reqwest::Response,
}

impl Download {
    pub(crate) fn new(response: reqwest::Response) -> Download {
        Download { response }
    }

    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The provider's `Content-Type`, when it sent a valid one.
    pub fn content_type(&self) -> Option<&str> {
        self.headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }

    /// The provider's `Content-Length`, when it sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
    }

    /// The body, chunk by chunk as it arrives.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
        let mut response = self.response;
        async_stream::try_stream! {
            while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
                yield chunk;
            }
        }
    }

    /// The whole body in memory: for small files; use [`Download::into_stream`] otherwise.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        self.response.bytes().await.map_err(Error::from_reqwest)
    }
}
