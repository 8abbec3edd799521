//! Password hashing: argon2id, run on tokio's blocking pool, a few at a time.
//!
//! A hash costs tens of milliseconds of a core and about 19 MiB on purpose, so that a stolen
//! database is slow to crack. Run on the async workers, a burst of sign-ins would stall every other
//! request; run without a cap on the blocking pool, it would take every core. [`Passwords`] keeps
//! at most `auth.max_concurrent_hashes` running and queues the rest.

use std::sync::Arc;

use anyhow::Context as _;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _},
};
use base64::{Engine as _, engine::general_purpose::STANDARD_NO_PAD};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Semaphore;

use super::AuthConfig;
use crate::random;

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// A hash no password matches: verified against when an email is unknown, so that "no such
    /// user" takes as long as "wrong password" and timing reveals no accounts.
    dummy_hash: Arc<str>,
}

impl Passwords {
    pub fn new(config: &AuthConfig) -> anyhow::Result<Self> {
        let params = Params::new(config.argon2_memory_kib, config.argon2_iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("auth.argon2_* settings are not valid: {e}"))?;
        let concurrency = match config.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        };
        let dummy_hash = dummy_hash(&params)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        Ok(Self {
            argon2,
            permits: Arc::new(Semaphore::new(concurrency)),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The PHC string to store for `password`.
    pub async fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let password = password.clone();
        let argon2 = self.argon2.clone();
        self.run(move || hash_with(&argon2, password.expose_secret().as_bytes()))
            .await
    }

    /// Whether `password` matches `stored`. With no stored hash (an unknown email, or an account
    /// without a password, whose stored value is no PHC string), a dummy hash is verified
    /// instead, which takes as long and returns false.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> anyhow::Result<bool> {
        let stored = stored.filter(|hash| hash.starts_with('$'));
        let known = stored.is_some();
        let stored = stored.map_or_else(|| Arc::clone(&self.dummy_hash), Arc::from);
        let password = password.clone();
        let argon2 = self.argon2.clone();
        let matches = self
            .run(move || {
                // The parameters are read from the stored hash: hashes made with older settings
                // still verify.
                Ok(argon2
                    .verify_password(password.expose_secret().as_bytes(), &*stored)
                    .is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit moves into the closure:
    /// if the request is cancelled while hashing, the slot stays taken until the hash is done.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .context("the password hasher is closed")?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .context("password hashing panicked")?
    }
}

/// A hash with the configured parameters and random salt and output: verifying a password against
/// it costs as much as against a real one, and always fails. Made from random bytes rather than
/// by hashing, so that starting the app costs no hash (and none of its memory).
fn dummy_hash(params: &Params) -> anyhow::Result<String> {
    let salt = random::bytes::<16>()?;
    let output = random::bytes::<{ Params::DEFAULT_OUTPUT_LEN }>()?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output)
    ))
}

fn hash_with(argon2: &Argon2<'_>, password: &[u8]) -> anyhow::Result<String> {
    argon2
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("could not hash a password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Environment};

    fn passwords() -> Passwords {
        let config = Config::load_for(Environment::Test, None).expect("test config");
        Passwords::new(&config.auth).expect("valid parameters")
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let passwords = passwords();
        let right = SecretString::from("correct horse battery staple");
        let wrong = SecretString::from("correct horse battery stapler");

        let hash = passwords.hash(&right).await.unwrap();

        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(passwords.verify(&right, Some(&hash)).await.unwrap());
        assert!(!passwords.verify(&wrong, Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn the_dummy_hash_has_the_parameters_of_real_hashes() {
        let passwords = passwords();
        let real = passwords
            .hash(&SecretString::from("correct horse battery staple"))
            .await
            .unwrap();

        let dummy = argon2::PasswordHash::new(&passwords.dummy_hash).unwrap();
        let real = argon2::PasswordHash::new(&real).unwrap();

        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let passwords = passwords();
        let guess = SecretString::from("not a password: no account has this hash");

        assert!(!passwords.verify(&guess, None).await.unwrap());
    }

    #[test]
    fn production_uses_owasp_parameters() {
        let config = Config::load_for(Environment::Production, None).expect("production config");

        assert_eq!(config.auth.argon2_memory_kib, 19_456);
        assert_eq!(config.auth.argon2_iterations, 2);
        assert_eq!(
            (
                config.auth.password_min_chars,
                config.auth.password_max_chars
            ),
            (12, 128)
        );
    }
}
