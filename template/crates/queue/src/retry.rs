//! When a failed task runs again: exponential backoff with jitter.
//!
//! The n-th failure waits 2^n + n⁴ seconds (n⁴ is River's curve): 3 s, 20 s, 89 s, 4.5 min,
//! 11 min, 23 min… With the default ten attempts the last one runs about four and a half hours
//! after the first: long enough to ride out a mail server's outage. A random tenth either way
//! keeps tasks that failed together from all retrying in the same second.

use std::time::Duration;

/// No wait is longer than a day.
const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How long to wait after the `attempt`-th failed run (1 for the first).
pub fn delay(attempt: i32) -> Duration {
    let n = u64::try_from(attempt.clamp(1, 30)).unwrap_or(1);
    let base = (1u64 << n).saturating_add(n.pow(4));
    let base = Duration::from_secs(base).min(MAX_DELAY);
    // ±10 %: a factor between 0.9 and 1.1.
    base.mul_f64(0.9 + 0.2 * random_fraction())
}

/// A number in [0, 1): from the OS's random source, which is plenty for spreading retries.
fn random_fraction() -> f64 {
    let mut bytes = [0_u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_waits_longer_within_a_tenth_of_the_base() {
        for (attempt, base) in [(1, 3), (2, 20), (3, 89), (4, 272), (10, 11_024)] {
            let base = Duration::from_secs(base);
            for _ in 0..50 {
                let waited = delay(attempt);
                assert!(
                    waited >= base.mul_f64(0.9) && waited <= base.mul_f64(1.1),
                    "attempt {attempt}: {waited:?} is not within 10 % of {base:?}"
                );
            }
        }
    }

    #[test]
    fn no_wait_exceeds_a_day() {
        assert!(delay(30) <= MAX_DELAY.mul_f64(1.1));
        assert!(delay(i32::MAX) <= MAX_DELAY.mul_f64(1.1));
    }
}
