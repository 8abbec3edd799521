//! Secrets the app keeps in its database, sealed with XChaCha20-Poly1305 so that a copy of a table
//! (a backup, a replica, a support tool) opens nothing.
//!
//! Each use has a key of its own, derived (HKDF-SHA256) from `secret_key` and the use's name, so a
//! value sealed for one use cannot be passed off as another's. A value is also bound to what it
//! belongs to (the `context`: an email's recipient, a user's id): moved to another row, it no
//! longer opens. Changing `secret_key` leaves every sealed value unreadable.

use chacha20poly1305::{
    KeyInit as _, XChaCha20Poly1305, XNonce,
    aead::{Aead as _, Payload},
};
use hkdf::Hkdf;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;

/// The 32-byte key of `purpose`, derived from `secret_key` (HKDF-SHA256): each sealer's, and the
/// key of any other keyed use of `secret_key` (the recovery codes' HMAC).
pub fn derive_key(secret_key: &SecretString, purpose: &'static [u8]) -> [u8; 32] {
    let mut key = [0_u8; 32];
    Hkdf::<Sha256>::new(None, secret_key.expose_secret().as_bytes())
        .expand(purpose, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    key
}

/// Length of the random nonce that starts every sealed value.
const NONCE_BYTES: usize = 24;

/// Seals and opens the values of one use.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// The sealer of `purpose` (a fixed name such as `b"tasks: sealed emails"`), its key derived
    /// from `secret_key`.
    pub fn new(secret_key: &SecretString, purpose: &'static [u8]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&derive_key(secret_key, purpose).into()),
        }
    }

    /// `plaintext` sealed and bound to `context`: a random nonce, then the ciphertext.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce = crate::random::bytes::<NONCE_BYTES>()?;
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| anyhow::anyhow!("could not seal a value"))?;
        Ok([nonce.as_slice(), &ciphertext].concat())
    }

    /// The plaintext of a value [`seal`](Self::seal)ed with this use's key and `context`; an
    /// error when it was sealed under another key or context, or altered.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(sealed.len() > NONCE_BYTES, "a sealed value is too short");
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "a sealed value could not be opened: secret_key changed since it was sealed, \
                     or the value was altered or moved"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(purpose: &'static [u8]) -> Sealer {
        Sealer::new(
            &SecretString::from("a secret key long enough for the tests of sealing"),
            purpose,
        )
    }

    #[test]
    fn opens_what_it_sealed_with_the_same_context() {
        let sealer = sealer(b"test");
        let sealed = sealer.seal(b"hello", b"ann").unwrap();

        assert_eq!(sealer.open(&sealed, b"ann").unwrap(), b"hello");
        assert!(!sealed.windows(5).any(|window| window == b"hello"));
    }

    #[test]
    fn refuses_another_context_another_use_or_an_altered_value() {
        let sealed = sealer(b"test").seal(b"hello", b"ann").unwrap();

        assert!(sealer(b"test").open(&sealed, b"bob").is_err());
        assert!(sealer(b"other").open(&sealed, b"ann").is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(sealer(b"test").open(&altered, b"ann").is_err());
        assert!(sealer(b"test").open(&sealed[..10], b"ann").is_err());
    }
}
