//! Values no one can guess, from the operating system's random source: form tokens, the links
//! sent by email, storage keys, salts.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

/// `N` random bytes.
pub fn bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system's random number generator failed: {e}"))?;
    Ok(bytes)
}

/// `N` random bytes as URL-safe base64 without padding (16 bytes make 22 characters, 32 make 43).
pub fn token<const N: usize>() -> anyhow::Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(bytes::<N>()?))
}
