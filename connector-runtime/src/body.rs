//! Reading a provider's body into memory, up to a size limit, and showing it.

use bytes::{Bytes, BytesMut};

/// Why a capped read failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is larger than the limit; the rest of it was not read.
    TooLarge,
    Transport(reqwest::Error),
}

/// Reads the body of `response`, failing as soon as it passes `limit` bytes: at once when its
/// `Content-Length` says so, else when the chunks read so far exceed it.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, ReadError> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body = BytesMut::with_capacity(announced.unwrap_or(0) as usize);
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A body as JSON when it is, else as text (for error details and cassettes).
pub(crate) fn json_or_text(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()))
}
