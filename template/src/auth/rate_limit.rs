//! Rate limits on what an attacker would repeat: sign-in attempts (password guessing), password
//! reset requests and verification resends (flooding someone's inbox).
//!
//! Each action is counted twice, with governor's keyed limiters: per email address from one IP
//! address (`auth.rate_limit.per_email_and_ip_per_minute`, 5 by default, as Laravel does), and per
//! IP address whatever the email (`per_ip_per_3_minutes`, 10 by default, as Rails does). Over
//! either, the request gets a 429 page saying how long to wait. Counters live in memory: each app
//! instance counts on its own, and a restart forgets them.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};

use crate::{app::AppState, config::RateLimitConfig, error::AppError};

/// What is being limited; each action has its own counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    PasswordReset,
    VerificationResend,
}

/// The limiters of every action.
#[derive(Debug)]
pub struct RateLimits {
    sign_in: Limiter,
    password_reset: Limiter,
    verification_resend: Limiter,
}

#[derive(Debug)]
struct Limiter {
    per_email_and_ip: DefaultKeyedRateLimiter<(IpAddr, String)>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        let limiter = || Limiter::new(config);
        Self {
            sign_in: limiter(),
            password_reset: limiter(),
            verification_resend: limiter(),
        }
    }

    /// Counts one attempt at `action` for `email` from `ip`; a 429 error when over a limit.
    pub fn check(&self, action: Action, ip: IpAddr, email: &str) -> Result<(), AppError> {
        let limiter = match action {
            Action::SignIn => &self.sign_in,
            Action::PasswordReset => &self.password_reset,
            Action::VerificationResend => &self.verification_resend,
        };
        let clock = governor::clock::DefaultClock::default();
        let email = crate::models::user::normalize_email(email);
        let verdict = limiter
            .per_email_and_ip
            .check_key(&(ip, email))
            .and_then(|()| limiter.per_ip.check_key(&ip));
        verdict.map_err(|not_until| {
            let wait = not_until.wait_time_from(clock.now());
            tracing::warn!(?action, %ip, wait_secs = wait.as_secs(), "rate limit reached");
            AppError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// Forgets the counters that are back to full, so memory stays bounded. Run periodically.
    pub fn forget_idle(&self) {
        for limiter in [
            &self.sign_in,
            &self.password_reset,
            &self.verification_resend,
        ] {
            limiter.per_email_and_ip.retain_recent();
            limiter.per_email_and_ip.shrink_to_fit();
            limiter.per_ip.retain_recent();
            limiter.per_ip.shrink_to_fit();
        }
    }
}

impl Limiter {
    fn new(config: &RateLimitConfig) -> Self {
        let per_minute =
            NonZeroU32::new(config.per_email_and_ip_per_minute).unwrap_or(NonZeroU32::MIN);
        let per_3_minutes = NonZeroU32::new(config.per_ip_per_3_minutes).unwrap_or(NonZeroU32::MIN);
        // One more attempt every 180 s / n, up to n in a burst.
        let per_ip = Quota::with_period(Duration::from_secs(180) / per_3_minutes.get())
            .unwrap_or_else(|| Quota::per_minute(per_3_minutes))
            .allow_burst(per_3_minutes);
        Self {
            per_email_and_ip: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            per_ip: DefaultKeyedRateLimiter::keyed(per_ip),
        }
    }
}

/// The client's IP address: the connection's peer, or, behind a reverse proxy
/// (`server.client_ip_header`), the last address the proxy appended to that header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = &app.config.server.client_ip_header;
        let forwarded = (!header.is_empty())
            .then(|| parts.headers.get_all(header.as_str()).iter().next_back())
            .flatten()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        // Without either (a request built in a test), all such requests count as one client.
        Ok(Self(
            forwarded
                .or(peer)
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RateLimits {
        RateLimits::new(&RateLimitConfig {
            per_email_and_ip_per_minute: 5,
            per_ip_per_3_minutes: 10,
        })
    }

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    #[test]
    fn five_tries_per_email_and_address_then_a_429_with_a_wait() {
        let limits = limits();
        for _ in 0..5 {
            limits.check(Action::SignIn, HOME, "a@example.com").unwrap();
        }

        let refused = limits.check(Action::SignIn, HOME, "A@Example.com ");

        assert!(matches!(
            refused,
            Err(AppError::TooManyRequests { retry_after_secs }) if retry_after_secs >= 1
        ));
        // The same email from another address, and another email, still get through.
        limits
            .check(Action::SignIn, ELSEWHERE, "a@example.com")
            .unwrap();
        limits.check(Action::SignIn, HOME, "b@example.com").unwrap();
    }

    #[test]
    fn ten_tries_per_address_whatever_the_email() {
        let limits = limits();
        for n in 0..10 {
            limits
                .check(Action::PasswordReset, HOME, &format!("{n}@example.com"))
                .unwrap();
        }

        assert!(
            limits
                .check(Action::PasswordReset, HOME, "new@example.com")
                .is_err()
        );
        limits
            .check(Action::PasswordReset, ELSEWHERE, "new@example.com")
            .unwrap();
    }

    #[test]
    fn each_action_counts_on_its_own() {
        let limits = limits();
        for _ in 0..5 {
            limits
                .check(Action::VerificationResend, HOME, "a@example.com")
                .unwrap();
        }
        assert!(
            limits
                .check(Action::VerificationResend, HOME, "a@example.com")
                .is_err()
        );

        limits.check(Action::SignIn, HOME, "a@example.com").unwrap();
        limits
            .check(Action::PasswordReset, HOME, "a@example.com")
            .unwrap();
    }
}
