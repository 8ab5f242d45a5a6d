//! Per-client rate limits from the thresholds file: a fixed one-minute window per (class, client),
//! kept per isolate. The Worker's `LIMITER` binding is a coarse extra guard in front of this.

use crate::engine::RateLimits;
use std::collections::HashMap;

/// Which budget a route spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitClass {
    /// `POST /v1/messages`.
    Messages,
    /// Creating POSTs: returns, escalations, CSAT.
    Creates,
    /// `POST /v1/orders/lookup` (limits probing of order numbers).
    Lookups,
}

impl LimitClass {
    /// Requests per minute for this class, multiplied by `scale` (the `RATE_LIMIT_SCALE` var).
    pub fn per_minute(self, limits: &RateLimits, scale: u32) -> u64 {
        let base = match self {
            LimitClass::Messages => limits.messages_per_minute,
            LimitClass::Creates => limits.creates_per_minute,
            LimitClass::Lookups => limits.lookups_per_minute,
        };
        u64::from(base) * u64::from(scale.max(1))
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u64 },
    Limited { retry_after_seconds: u64 },
}

/// The client a budget belongs to: an IPv4 address as it is, an IPv6 address by its /64 (one
/// subscriber usually holds a whole /64, so counting exact addresses would give each of them
/// 2^64 budgets), anything unparsable as `unknown`.
pub fn client_key(ip: &str) -> String {
    let ip = ip.trim();
    if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        return v4.to_string();
    }
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_string(),
    }
}

const WINDOW_MS: i64 = 60_000;
const MAX_TRACKED: usize = 10_000;

/// Fixed-window counters, aligned to the minute.
#[derive(Debug, Default)]
pub struct RateLimiter {
    counts: HashMap<(LimitClass, String), (i64, u64)>,
}

impl RateLimiter {
    /// How many (class, client) counters are held.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no counter is held.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Counts one request of `client` in `class` and decides whether it may proceed.
    pub fn check(
        &mut self,
        class: LimitClass,
        client: &str,
        limit: u64,
        now_ms: i64,
    ) -> RateDecision {
        let window = now_ms.div_euclid(WINDOW_MS);
        if self.counts.len() >= MAX_TRACKED {
            self.counts.retain(|_, (w, _)| *w == window);
        }
        let entry = self
            .counts
            .entry((class, client.to_string()))
            .or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            let reset_ms = (window + 1) * WINDOW_MS - now_ms;
            return RateDecision::Limited {
                retry_after_seconds: ((reset_ms + 999) / 1000).max(1) as u64,
            };
        }
        entry.1 += 1;
        RateDecision::Allowed {
            remaining: limit - entry.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_client_and_class_and_resets_next_minute() {
        let mut limiter = RateLimiter::default();
        let t = 120_000 + 15_000;
        for i in 0..3 {
            assert_eq!(
                limiter.check(LimitClass::Creates, "a", 3, t),
                RateDecision::Allowed { remaining: 2 - i }
            );
        }
        assert_eq!(
            limiter.check(LimitClass::Creates, "a", 3, t),
            RateDecision::Limited {
                retry_after_seconds: 45
            }
        );
        assert!(matches!(
            limiter.check(LimitClass::Creates, "b", 3, t),
            RateDecision::Allowed { .. }
        ));
        assert!(matches!(
            limiter.check(LimitClass::Messages, "a", 3, t),
            RateDecision::Allowed { .. }
        ));
        assert!(matches!(
            limiter.check(LimitClass::Creates, "a", 3, 180_000),
            RateDecision::Allowed { .. }
        ));
    }

    #[test]
    fn clients_are_ipv4_addresses_or_ipv6_slash_64s() {
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1"),
            client_key("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")
        );
        assert_eq!(client_key("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_ne!(client_key("2001:db8:1:3::1"), client_key("2001:db8:1:2::1"));
        assert_eq!(client_key("::ffff:198.51.100.1"), "198.51.100.1");
        for junk in ["", "unknown", "1.2.3", "\u{e9}\u{e9}", "::g"] {
            assert_eq!(client_key(junk), "unknown", "{junk:?}");
        }
    }

    #[test]
    fn scale_multiplies_the_thresholds() {
        let limits = crate::engine::Thresholds::default().rate_limits;
        assert_eq!(
            LimitClass::Creates.per_minute(&limits, 1),
            u64::from(limits.creates_per_minute)
        );
        assert_eq!(
            LimitClass::Creates.per_minute(&limits, 100),
            100 * u64::from(limits.creates_per_minute)
        );
    }
}
