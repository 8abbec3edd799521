//! Rate limits on what an attacker would repeat: {% if auth %}sign-in attempts (password guessing),
//! two-factor codes, registrations, requests for reset and sign-in links, verification resends,
//! and {% endif %}contact messages (flooding an inbox).
//!
//! Each [`Action`] is counted on its own, twice, with governor's keyed limiters: per email address
//! from one network (`rate_limit.per_email_and_ip_per_minute`, 5 by default, as Laravel does), and
//! per network whatever the email (`per_ip_per_3_minutes`, 10 by default, as Rails does). A
//! network is one IPv4 address, or one IPv6 /64, the block a single home or server gets: drawing
//! a new address from it for each attempt changes nothing.
{%- if auth %}
//!
//! Two more limits hold however many addresses an attacker has: sign-in attempts on one account
//! from anywhere (`per_account_per_hour`), and emails to one address, whatever asks for them
//! (`mails_per_address_per_hour`; over it, the mail is skipped and the visitor gets the same
//! answer).
{%- endif %}
//!
//! Over a limit, the request gets a 429 page saying how long to wait. Counters live in memory:
//! each app instance counts on its own, and a restart forgets them.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};

use crate::{config::RateLimitConfig, error::AppError};

/// What is being limited; each action has its own counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Messages sent through the contact form.
    Contact,
{%- if auth %}
    SignIn,
    /// Codes typed at the second step of signing in, for new recovery codes, or to turn
    /// two-factor off.
    TwoFactor,
    Register,
    PasswordReset,
    /// "Email me a sign-in link".
    SignInLink,
    /// Passkey challenges asked for, and the answers checked.
    Passkey,
{%- if oauth %}
    /// Trips to other providers started (keyed by the provider's name).
    OAuthStart,
    /// Returns from other providers (keyed by the provider's name).
    OAuth,
{%- endif %}
    VerificationResend,
{%- endif %}
}

/// The limiters of every action.
#[derive(Debug)]
pub struct RateLimits {
    per_email_and_network: DefaultKeyedRateLimiter<(Action, IpAddr, String)>,
    per_network: DefaultKeyedRateLimiter<(Action, IpAddr)>,
{%- if auth %}
    /// Sign-in attempts on one account, from anywhere.
    per_account: DefaultKeyedRateLimiter<String>,
    /// Emails to one address, whatever asks for them.
    mails_per_address: DefaultKeyedRateLimiter<String>,
{%- endif %}
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        let per_minute = at_least_one(config.per_email_and_ip_per_minute);
        let per_3_minutes = at_least_one(config.per_ip_per_3_minutes);
        Self {
            per_email_and_network: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            per_network: DefaultKeyedRateLimiter::keyed(spread_over(
                Duration::from_secs(180),
                per_3_minutes,
            )),
{%- if auth %}
            per_account: DefaultKeyedRateLimiter::keyed(spread_over(
                Duration::from_secs(3600),
                at_least_one(config.per_account_per_hour),
            )),
            mails_per_address: DefaultKeyedRateLimiter::keyed(spread_over(
                Duration::from_secs(3600),
                at_least_one(config.mails_per_address_per_hour),
            )),
{%- endif %}
        }
    }

    /// Counts one attempt at `action` for `email` from `ip`; a 429 error when over a limit.
    pub fn check(&self, action: Action, ip: IpAddr, email: &str) -> Result<(), AppError> {
        let network = network_of(ip);
        let email = normalize(email);
        // The network first: a refused attempt is not also counted against the address.
        let verdict = self
            .per_network
            .check_key(&(action, network))
            .and_then(|()| {
                self.per_email_and_network
                    .check_key(&(action, network, email.clone()))
            });
{%- if auth %}
        let verdict = verdict.and_then(|()| match action {
            // Guessing a password or a code: both count against the account.
            Action::SignIn | Action::TwoFactor => self.per_account.check_key(&email),
            _ => Ok(()),
        });
{%- endif %}
        verdict.map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            tracing::warn!(?action, %network, wait_secs = wait.as_secs(), "rate limit reached");
            AppError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
{%- if auth %}

    /// Counts one email to `address`; false when it has had its share this hour, and the email
    /// should be skipped.
    pub fn allow_mail_to(&self, address: &str) -> bool {
        let allowed = self
            .mails_per_address
            .check_key(&normalize(address))
            .is_ok();
        if !allowed {
            tracing::warn!("an email was skipped: its address had its share of mail this hour");
        }
        allowed
    }
{%- endif %}

    /// Forgets the counters that are back to full, so memory stays bounded. Run periodically.
    pub fn forget_idle(&self) {
        self.per_email_and_network.retain_recent();
        self.per_email_and_network.shrink_to_fit();
        self.per_network.retain_recent();
        self.per_network.shrink_to_fit();
{%- if auth %}
        for limiter in [&self.per_account, &self.mails_per_address] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
{%- endif %}
    }
}

/// The network `ip` is counted as: an IPv4 address alone (an IPv4 address written as IPv6,
/// `::ffff:192.0.2.1`, too), an IPv6 address by its /64.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// Addresses are counted as they are stored: " Ann@Example.COM " is ann@example.com.
fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// `n` at once, then one more every `period / n`.
fn spread_over(period: Duration, n: NonZeroU32) -> Quota {
    Quota::with_period(period / n.get())
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn limits() -> RateLimits {
        RateLimits::new(&RateLimitConfig {
            per_email_and_ip_per_minute: 5,
            per_ip_per_3_minutes: 10,
{%- if auth %}
            per_account_per_hour: 20,
            mails_per_address_per_hour: 3,
{%- endif %}
        })
    }

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    fn v6(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn five_tries_per_email_and_address_then_a_429_with_a_wait() {
        let limits = limits();
        for _ in 0..5 {
            limits
                .check(Action::Contact, HOME, "a@example.com")
                .unwrap();
        }

        let refused = limits.check(Action::Contact, HOME, "A@Example.com ");

        assert!(matches!(
            refused,
            Err(AppError::TooManyRequests { retry_after_secs }) if retry_after_secs >= 1
        ));
        // The same email from another address, and another email, still get through.
        limits
            .check(Action::Contact, ELSEWHERE, "a@example.com")
            .unwrap();
        limits
            .check(Action::Contact, HOME, "b@example.com")
            .unwrap();
    }

    #[test]
    fn ten_tries_per_address_whatever_the_email() {
        let limits = limits();
        for n in 0..10 {
            limits
                .check(Action::Contact, HOME, &format!("{n}@example.com"))
                .unwrap();
        }

        assert!(
            limits
                .check(Action::Contact, HOME, "new@example.com")
                .is_err()
        );
        limits
            .check(Action::Contact, ELSEWHERE, "new@example.com")
            .unwrap();
    }

    #[test]
    fn every_address_of_an_ipv6_64_counts_as_one_network() {
        let limits = limits();
        for n in 0..10 {
            let rotated = v6(&format!("2001:db8:1:2:{n:x}::{n:x}"));
            limits
                .check(Action::Contact, rotated, &format!("{n}@example.com"))
                .unwrap();
        }

        let next_in_the_same_64 = v6("2001:db8:1:2:ffff:ffff:ffff:ffff");
        let next_64 = v6("2001:db8:1:3::1");
        assert!(
            limits
                .check(Action::Contact, next_in_the_same_64, "new@example.com")
                .is_err()
        );
        limits
            .check(Action::Contact, next_64, "new@example.com")
            .unwrap();
        assert_eq!(network_of(v6("::ffff:192.0.2.1")), HOME);
    }
{%- if auth %}

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

    #[test]
    fn sign_ins_on_one_account_are_limited_however_many_networks_try() {
        let limits = limits();
        for n in 0..20_u8 {
            let network = IpAddr::V4(Ipv4Addr::new(203, 0, 113, n));
            limits
                .check(Action::SignIn, network, "admin@example.com")
                .unwrap();
        }

        let fresh_network = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 99));
        assert!(
            limits
                .check(Action::SignIn, fresh_network, "Admin@example.com")
                .is_err()
        );
        limits
            .check(Action::SignIn, fresh_network, "someone@example.com")
            .unwrap();
    }

    #[test]
    fn three_mails_an_hour_to_one_address_whatever_asks() {
        let limits = limits();

        let allowed: Vec<bool> = (0..4)
            .map(|_| limits.allow_mail_to("victim@example.com"))
            .collect();

        assert_eq!(allowed, [true, true, true, false]);
        assert!(!limits.allow_mail_to(" VICTIM@example.com"));
        assert!(limits.allow_mail_to("other@example.com"));
    }
{%- endif %}
}
