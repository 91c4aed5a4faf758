//! Token buckets on the routes anyone may call (sign-in, token grants, reset requests, device
//! challenges, link look-ups): one per client address and one per account named, so neither one
//! address nor many can make an account's or the server's work their own. Refusals are
//! RateLimited with the seconds until a request would pass (429 and Retry-After on every face).
//!
//! The buckets live in each process: they bound the load one process takes. What must hold
//! across processes (the lockout, the mail shares) is kept in the database.

use crate::error::CoreError;
use crate::events::RequestMeta;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

/// Requests per minute a bucket refills with, which is also how many it holds; 0 turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    pub per_address_per_minute: u32,
    pub per_account_per_minute: u32,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings { per_address_per_minute: 60, per_account_per_minute: 20 }
    }
}

/// Buckets kept before the idle ones (full again, so forgetting them changes nothing) are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub(crate) struct Throttle {
    address: Option<DefaultKeyedRateLimiter<String>>,
    account: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

fn limiter(per_minute: u32) -> Option<DefaultKeyedRateLimiter<String>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::dashmap(Quota::per_minute(n)))
}

impl Throttle {
    pub(crate) fn new(s: ThrottleSettings) -> Throttle {
        Throttle {
            address: limiter(s.per_address_per_minute),
            account: limiter(s.per_account_per_minute),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the caller's address bucket and, when the request names an
    /// account (a tenant and a login key, or a client id), from that account's.
    pub(crate) fn admit(&self, request: &RequestMeta, account: Option<&str>) -> Result<(), CoreError> {
        if let (Some(limiter), Some(ip)) = (&self.address, request.ip.as_deref()) {
            self.take(limiter, ip, "requests from this address")?;
        }
        if let (Some(limiter), Some(account)) = (&self.account, account) {
            self.take(limiter, account, "attempts for this account")?;
        }
        Ok(())
    }

    fn take(&self, limiter: &DefaultKeyedRateLimiter<String>, key: &str, what: &'static str) -> Result<(), CoreError> {
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            CoreError::RateLimited { what, retry_after_seconds: wait.as_secs() + 1 }
        })
    }
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("address", &self.address.is_some())
            .field("account", &self.account.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(ip: &str) -> RequestMeta {
        RequestMeta { ip: Some(ip.into()), ..RequestMeta::internal() }
    }

    #[test]
    fn a_bucket_holds_a_minute_of_requests_then_refuses_with_the_wait() {
        let t = Throttle::new(ThrottleSettings { per_address_per_minute: 3, per_account_per_minute: 2 });
        for _ in 0..2 {
            t.admit(&from("192.0.2.1"), Some("t/ann")).unwrap();
        }
        // The account's bucket is empty; another account from the same address still passes.
        let refused = t.admit(&from("192.0.2.1"), Some("t/ann")).unwrap_err();
        assert!(
            matches!(
                refused,
                CoreError::RateLimited { what: "attempts for this account", retry_after_seconds: 1..=31 }
            ),
            "{refused:?}"
        );
        // That refusal took the address's third request: it is empty now, for every account.
        let refused = t.admit(&from("192.0.2.1"), Some("t/bob")).unwrap_err();
        assert!(matches!(refused, CoreError::RateLimited { what: "requests from this address", .. }));
        t.admit(&from("192.0.2.2"), Some("t/bob")).unwrap();
        // Off is off.
        let open = Throttle::new(ThrottleSettings { per_address_per_minute: 0, per_account_per_minute: 0 });
        for _ in 0..1000 {
            open.admit(&from("192.0.2.1"), Some("t/ann")).unwrap();
        }
    }
}
