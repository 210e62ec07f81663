//! API Gateway's authorizer cache: one answer per authorizer and identity, kept for the TTL and
//! evaluated again against each new method ARN (so a policy cached on `/` can deny `/items`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use foldhash::HashMapExt as _;
use serde_json::Value;

use super::authorizer_output::AuthorizerOutput;
use super::policy::{self, Decision, PolicyError};

/// The cache's maps, looked up on every authorized request: foldhash, seeded per process,
/// hashes a token or a method ARN in a fraction of SipHash's time.
type FastMap<K, V> = foldhash::HashMap<K, V>;

/// Most entries kept; past it, expired entries are dropped, then the oldest.
const CAPACITY: usize = 10_000;

/// Most method ARNs whose decision one answer remembers; past it, decisions are not kept.
const DECISIONS_PER_ANSWER: usize = 256;

/// An authorizer's answer, with the decisions its policy gave per method ARN: a cached answer
/// serves many requests to the same few ARNs, and the policy says the same each time.
#[derive(Debug)]
pub(crate) struct Answer {
    output: AuthorizerOutput,
    /// `requestContext.authorizer` of every request the answer lets through.
    context_fields: Arc<HashMap<String, Value>>,
    decisions: Mutex<FastMap<String, Result<Decision, PolicyError>>>,
}

impl Answer {
    pub(crate) fn new(output: AuthorizerOutput) -> Arc<Self> {
        Arc::new(Answer {
            context_fields: Arc::new(output.request_context_authorizer().into_iter().collect()),
            output,
            decisions: Mutex::new(FastMap::new()),
        })
    }

    pub(crate) fn output(&self) -> &AuthorizerOutput {
        &self.output
    }

    pub(crate) fn context_fields(&self) -> &Arc<HashMap<String, Value>> {
        &self.context_fields
    }

    /// The policy's decision on `method_arn`.
    pub(crate) fn evaluate(&self, method_arn: &str) -> Result<Decision, PolicyError> {
        let mut decisions = self
            .decisions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(decision) = decisions.get(method_arn) {
            return decision.clone();
        }
        let decision = policy::evaluate(&self.output.policy_document, method_arn);
        if decisions.len() < DECISIONS_PER_ANSWER {
            decisions.insert(method_arn.to_owned(), decision.clone());
        }
        decision
    }
}

/// Answers of one authorizer, keyed by the identity source values.
type ByIdentity = FastMap<Vec<String>, (Arc<Answer>, Instant)>;

/// Cached authorizer answers, keyed by authorizer name and the identity source values, so one
/// token's answer never serves another token.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: RwLock<FastMap<String, ByIdentity>>,
}

impl AuthCache {
    /// The answer cached for this identity, if it has not expired at `now`.
    pub(crate) fn get(
        &self,
        authorizer: &str,
        identity: &[String],
        now: Instant,
    ) -> Option<Arc<Answer>> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match entries.get(authorizer)?.get(identity) {
            Some((answer, expires)) if *expires > now => Some(Arc::clone(answer)),
            _ => None,
        }
    }

    /// Keeps `answer` for `ttl` from `now`; a zero TTL keeps nothing.
    pub(crate) fn put(
        &self,
        authorizer: &str,
        identity: &[String],
        answer: Arc<Answer>,
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
        let len = |entries: &FastMap<String, ByIdentity>| -> usize {
            entries.values().map(FastMap::len).sum()
        };
        if len(&entries) >= CAPACITY {
            for answers in entries.values_mut() {
                answers.retain(|_, (_, expires)| *expires > now);
            }
        }
        if len(&entries) >= CAPACITY {
            let oldest = entries
                .iter()
                .flat_map(|(name, answers)| {
                    answers
                        .iter()
                        .map(move |(identity, (_, expires))| (expires, name, identity))
                })
                .min_by_key(|(expires, _, _)| **expires)
                .map(|(_, name, identity)| (name.clone(), identity.clone()));
            if let Some((name, identity)) = oldest
                && let Some(answers) = entries.get_mut(&name)
            {
                answers.remove(&identity);
            }
        }
        entries
            .entry(authorizer.to_owned())
            .or_default()
            .insert(identity.to_vec(), (answer, now + ttl));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn output(principal: &str) -> Arc<Answer> {
        Answer::new(AuthorizerOutput {
            principal_id: principal.into(),
            policy_document: json!({}),
            context: Map::new(),
        })
    }

    #[test]
    fn an_answer_decides_each_method_arn_on_its_own() {
        let root = "arn:aws:execute-api:r:123:api/dev/GET/";
        let answer = Answer::new(AuthorizerOutput {
            principal_id: "user".into(),
            policy_document: json!({
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [root]}]
            }),
            context: Map::new(),
        });
        // The second round is answered from the decisions remembered in the first.
        for _ in 0..2 {
            assert_eq!(answer.evaluate(root), Ok(Decision::Allow));
            for i in 0..DECISIONS_PER_ANSWER + 10 {
                let other = format!("{root}items/{i}");
                assert_eq!(answer.evaluate(&other), Ok(Decision::ImplicitDeny));
            }
        }
        assert_eq!(answer.decisions.lock().unwrap().len(), DECISIONS_PER_ANSWER);
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
        assert_eq!(cache.entries.read().unwrap()["auth"].len(), CAPACITY);
        assert!(
            cache
                .get("auth", &[(CAPACITY + 4).to_string()], now)
                .is_some()
        );
    }
}

#[cfg(test)]
mod props;
