//! API Gateway's authorizer cache: one answer per authorizer and identity, kept for the TTL and
//! evaluated again against each new method ARN (so a policy cached on `/` can deny `/items`).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::authorizer_output::AuthorizerOutput;

/// Most entries kept; past it, expired entries are dropped, then the oldest.
const CAPACITY: usize = 10_000;

type Key = (String, Vec<String>);

/// Cached authorizer answers, keyed by authorizer name and the identity source values, so one
/// token's answer never serves another token.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: RwLock<HashMap<Key, (AuthorizerOutput, Instant)>>,
}

impl AuthCache {
    /// The answer cached for this identity, if it has not expired at `now`.
    pub(crate) fn get(
        &self,
        authorizer: &str,
        identity: &[String],
        now: Instant,
    ) -> Option<AuthorizerOutput> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (authorizer.to_owned(), identity.to_vec());
        match entries.get(&key) {
            Some((output, expires)) if *expires > now => Some(output.clone()),
            _ => None,
        }
    }

    /// Keeps `output` for `ttl` from `now`; a zero TTL keeps nothing.
    pub(crate) fn put(
        &self,
        authorizer: &str,
        identity: &[String],
        output: AuthorizerOutput,
        ttl: Duration,
        now: Instant,
    ) {
        if ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, expires)| *expires > now);
        }
        if entries.len() >= CAPACITY {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (_, expires))| *expires)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            (authorizer.to_owned(), identity.to_vec()),
            (output, now + ttl),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn output(principal: &str) -> AuthorizerOutput {
        AuthorizerOutput {
            principal_id: principal.into(),
            policy_document: json!({}),
            context: Map::new(),
        }
    }

    #[test]
    fn answers_expire_after_the_ttl() {
        let cache = AuthCache::default();
        let now = Instant::now();
        let token = vec!["allow".to_owned()];
        cache.put("auth", &token, output("a"), Duration::from_secs(10), now);
        assert!(
            cache
                .get("auth", &token, now + Duration::from_secs(9))
                .is_some()
        );
        assert!(
            cache
                .get("auth", &token, now + Duration::from_secs(10))
                .is_none()
        );
    }

    #[test]
    fn one_identity_never_gets_another_identitys_answer() {
        let cache = AuthCache::default();
        let now = Instant::now();
        cache.put(
            "auth",
            &["a".into()],
            output("a"),
            Duration::from_secs(60),
            now,
        );
        assert!(cache.get("auth", &["b".into()], now).is_none());
        assert!(cache.get("other", &["a".into()], now).is_none());
        // Identity parts are kept apart, not joined: ("a b", "") is not ("a", "b ").
        cache.put(
            "auth",
            &["a b".into(), "".into()],
            output("x"),
            Duration::from_secs(60),
            now,
        );
        assert!(cache.get("auth", &["a".into(), "b ".into()], now).is_none());
    }

    #[test]
    fn zero_ttl_caches_nothing() {
        let cache = AuthCache::default();
        let now = Instant::now();
        cache.put("auth", &["a".into()], output("a"), Duration::ZERO, now);
        assert!(cache.get("auth", &["a".into()], now).is_none());
    }

    #[test]
    fn capacity_is_bounded() {
        let cache = AuthCache::default();
        let now = Instant::now();
        for i in 0..CAPACITY + 5 {
            cache.put(
                "auth",
                &[i.to_string()],
                output("a"),
                Duration::from_secs(60 + i as u64),
                now,
            );
        }
        assert_eq!(cache.entries.read().unwrap().len(), CAPACITY);
        assert!(
            cache
                .get("auth", &[(CAPACITY + 4).to_string()], now)
                .is_some()
        );
    }
}

#[cfg(test)]
mod props;
