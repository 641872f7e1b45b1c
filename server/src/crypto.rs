//! Secrets at rest: AES-256-GCM under `CONNECTOR_ENCRYPTION_KEY`, with key ids so that keys
//! can rotate; API secret keys stored as SHA-256 hashes.
//!
//! A sealed value is `{key_id}:{base64(nonce ‖ ciphertext)}`. The key id names the key that
//! sealed it, so a deployment can add a new key first in `CONNECTOR_ENCRYPTION_KEY` (which
//! seals from then on) and keep the old ones after it (which still open what they sealed).
//! Every value is bound to its place (`aad`, such as `connection:conn_123`), so a ciphertext
//! copied to another row does not open.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Why a key or a sealed value cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "CONNECTOR_ENCRYPTION_KEY must be one or more comma-separated base64 keys of 32 bytes (make one with `openssl rand -base64 32`): {0}"
    )]
    BadKey(String),
    #[error("a secret was sealed with key `{0}`, which CONNECTOR_ENCRYPTION_KEY does not hold")]
    UnknownKey(String),
    #[error("a stored secret cannot be decrypted (wrong key, or the value was tampered with)")]
    Corrupt,
}

/// The keys that seal and open secrets; the first seals.
#[derive(Clone)]
pub struct Cipher {
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Cipher").field("key_ids", &ids).finish()
    }
}

impl Cipher {
    /// Parses `CONNECTOR_ENCRYPTION_KEY`: comma-separated base64 keys of 32 bytes.
    pub fn from_config(value: &str) -> Result<Cipher, CryptoError> {
        let mut keys = Vec::new();
        for (index, text) in value.split(',').map(str::trim).enumerate() {
            let bytes = STANDARD
                .decode(text)
                .map_err(|error| CryptoError::BadKey(format!("key {}: {error}", index + 1)))?;
            if bytes.len() != 32 {
                return Err(CryptoError::BadKey(format!(
                    "key {} is {} bytes long",
                    index + 1,
                    bytes.len()
                )));
            }
            keys.push((
                key_id(&bytes),
                Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
            ));
        }
        Ok(Cipher { keys })
    }

    /// A new random key, base64, for a first start without one.
    pub fn generate_key() -> String {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        STANDARD.encode(bytes)
    }

    /// The id of the key that seals.
    pub fn key_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> String {
        let (id, cipher) = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any input of this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{id}:{}", STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, CryptoError> {
        let (id, data) = sealed.split_once(':').ok_or(CryptoError::Corrupt)?;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(key_id, _)| key_id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let data = STANDARD.decode(data).map_err(|_| CryptoError::Corrupt)?;
        if data.len() < 12 {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, ciphertext) = data.split_at(12);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Corrupt)
    }
}

/// A key's id: the first 8 hex digits of its SHA-256, so the id reveals nothing of the key.
fn key_id(key: &[u8]) -> String {
    hex::encode(&Sha256::digest(key)[..4])
}

/// How API secret keys are stored: hex SHA-256. Keys are long random strings, so a plain
/// hash (rather than a password hash) is enough.
pub fn hash_secret_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A random token of `bytes` bytes, URL-safe base64 (secret keys, connection ids).
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_their_key_and_place_only() {
        let old = Cipher::generate_key();
        let new = Cipher::generate_key();
        let before = Cipher::from_config(&old).unwrap();
        let sealed = before.seal(b"refresh-token", "connection:a");
        assert!(!sealed.contains("refresh-token"));
        assert_eq!(
            before.open(&sealed, "connection:a").unwrap(),
            b"refresh-token"
        );
        assert!(matches!(
            before.open(&sealed, "connection:b"),
            Err(CryptoError::Corrupt)
        ));

        // Rotation: the new key seals, the old one still opens.
        let rotated = Cipher::from_config(&format!("{new},{old}")).unwrap();
        assert_eq!(
            rotated.open(&sealed, "connection:a").unwrap(),
            b"refresh-token"
        );
        assert_ne!(rotated.key_id(), before.key_id());
        let only_new = Cipher::from_config(&new).unwrap();
        assert!(matches!(
            only_new.open(&sealed, "connection:a"),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(Cipher::from_config("not base64!").is_err());
        assert!(Cipher::from_config(&STANDARD.encode([0u8; 16])).is_err());
    }
}
