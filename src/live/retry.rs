//! When to send a request again: the exponential backoff with full jitter
//! after a 5xx or a lost connection, and the wait a `Retry-After` header
//! asks for after a 429 (used by [`super::http::Client`]).

use std::time::{Duration, SystemTime};

/// The exponential backoff with full jitter before attempt `attempt + 1`:
/// `unit` (in [0, 1)) times `min(cap, base * 2^(attempt - 1))`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let exp = base
        .checked_mul(1u32 << attempt.saturating_sub(1).min(20))
        .unwrap_or(cap)
        .min(cap);
    exp.mul_f64(unit.clamp(0.0, 1.0))
}

/// A `Retry-After` value: delay seconds or an HTTP date (relative to `now`).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        assert_eq!(backoff(1, base, cap, 0.0), Duration::ZERO);
        assert_eq!(backoff(1, base, cap, 0.5), Duration::from_millis(50));
        assert_eq!(backoff(3, base, cap, 0.5), Duration::from_millis(200));
        assert_eq!(backoff(10, base, cap, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(64, base, cap, 1.0), cap);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
