//! The accounts' settings (`[auth]` in `config/default.toml`), read with the rest by
//! `crate::config`.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Passwords shorter than this many characters are refused.
    pub password_min_chars: usize,
    /// Passwords longer than this many characters are refused (hashing cost stays bounded).
    pub password_max_chars: usize,
    /// argon2id memory cost in KiB (OWASP's baseline: 19456, with 2 iterations).
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    pub argon2_iterations: u32,
    /// At most this many passwords are hashed at once; 0 means half the CPU cores (at least one).
    /// Hashing is deliberately slow: a burst of sign-ins waits here instead of slowing pages.
    pub max_concurrent_hashes: usize,
    /// "Remember me" keeps a session this many days after its last use; without it, the session
    /// ends when the browser closes.
    pub remember_days: i64,
    /// A password reset link works for this many minutes.
    pub reset_token_minutes: i64,
    /// An email verification link works for this many hours.
    pub verify_token_hours: i64,
    /// A sign-in link sent by email works for this many minutes (at most 15).
    pub sign_in_link_minutes: i64,
    /// Administrators must have two-factor sign-in on before they reach the admin area.
    pub admins_need_two_factor: bool,
}

impl AuthConfig {
    /// What must hold, each with the message that names the key to fix (see
    /// `crate::config::Config::load`).
    pub fn checks(&self) -> [(bool, &'static str); 4] {
        [
            (
                self.password_min_chars >= 8 && self.password_min_chars <= self.password_max_chars,
                "auth.password_min_chars must be at least 8 and at most auth.password_max_chars",
            ),
            (
                self.password_max_chars <= 1024,
                "auth.password_max_chars must be at most 1024",
            ),
            (
                self.remember_days > 0
                    && self.reset_token_minutes > 0
                    && self.verify_token_hours > 0,
                "auth.remember_days, auth.reset_token_minutes and auth.verify_token_hours must be \
                 above 0",
            ),
            (
                (1..=15).contains(&self.sign_in_link_minutes),
                "auth.sign_in_link_minutes must be between 1 and 15: the link opens the account \
                 to whoever holds it",
            ),
        ]
    }
}
