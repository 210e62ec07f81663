//! API Gateway's authorizer cache: one answer per authorizer and identity, kept for the TTL and
//! evaluated again against each new method ARN (so a policy cached on `/` can deny `/items`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::contract::AuthorizerOutput;
use crate::contract::arn::MethodArn;
use crate::contract::policy::{self, Decision, PolicyError};

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
    verdict: Verdict,
    /// Shared by the decisions of every request the answer lets through.
    principal_id: Arc<str>,
    /// `requestContext.authorizer` of every request the answer lets through.
    context_fields: Arc<HashMap<String, Value>>,
    decisions: Mutex<Decisions>,
}

/// What an answer decides with: an IAM policy, evaluated per method ARN, or an HTTP API's
/// simple answer, which holds for every route of its authorizer.
#[derive(Debug)]
enum Verdict {
    Policy(Value),
    Simple(bool),
}

/// The policy's decisions, by method and then path: an answer is evaluated only for its own
/// gateway's requests, whose ARNs share the stage prefix, and both lookups take the request's
/// own strings, so a remembered decision needs no ARN written.
#[derive(Debug, Default)]
struct Decisions {
    by_method: FastMap<String, FastMap<String, Result<Decision, PolicyError>>>,
    /// Decisions kept, across methods: counted as they are added, not summed per request.
    len: usize,
}

impl Answer {
    pub(crate) fn new(output: AuthorizerOutput) -> Arc<Self> {
        let context_fields = output.request_context_authorizer().into_iter().collect();
        Answer::with_context(output, context_fields)
    }

    /// An IAM-policy answer whose view context is `context_fields` (an HTTP API's
    /// `{"lambda": ..}`).
    pub(crate) fn with_context(
        output: AuthorizerOutput,
        context_fields: HashMap<String, Value>,
    ) -> Arc<Self> {
        Arc::new(Answer {
            context_fields: Arc::new(context_fields),
            principal_id: Arc::from(output.principal_id),
            verdict: Verdict::Policy(output.policy_document),
            decisions: Mutex::new(Decisions::default()),
        })
    }

    /// An HTTP API's simple answer, with the view context `context_fields`.
    pub(crate) fn simple(is_authorized: bool, context_fields: HashMap<String, Value>) -> Arc<Self> {
        Arc::new(Answer {
            context_fields: Arc::new(context_fields),
            principal_id: Arc::from(""),
            verdict: Verdict::Simple(is_authorized),
            decisions: Mutex::new(Decisions::default()),
        })
    }

    pub(crate) fn principal_id(&self) -> &Arc<str> {
        &self.principal_id
    }

    pub(crate) fn context_fields(&self) -> &Arc<HashMap<String, Value>> {
        &self.context_fields
    }

    /// The policy's decision on `method_arn`.
    pub(crate) fn evaluate(&self, method_arn: MethodArn<'_>) -> Result<Decision, PolicyError> {
        let policy_document = match &self.verdict {
            Verdict::Policy(document) => document,
            Verdict::Simple(true) => return Ok(Decision::Allow),
            Verdict::Simple(false) => return Ok(Decision::ImplicitDeny),
        };
        let mut decisions = self
            .decisions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let remembered = decisions
            .by_method
            .get(method_arn.method)
            .and_then(|by_path| by_path.get(method_arn.path));
        if let Some(decision) = remembered {
            return decision.clone();
        }
        let decision = policy::evaluate(policy_document, &method_arn.text());
        if decisions.len < DECISIONS_PER_ANSWER {
            decisions.len += 1;
            decisions
                .by_method
                .entry(method_arn.method.to_owned())
                .or_default()
                .insert(method_arn.path.to_owned(), decision.clone());
        }
        decision
    }
}

/// A cached answer and when it expires.
type Entry = (Arc<Answer>, Instant);

/// Answers of one authorizer, keyed by the identity source values. A single value, as every
/// TOKEN authorizer has, is looked up by reference: a list key would have to be built, owned,
/// for each request. An authorizer's identity always has the same number of values, and one
/// value is never a list's key.
#[derive(Debug, Default)]
struct ByIdentity {
    single: FastMap<String, Entry>,
    several: FastMap<Vec<String>, Entry>,
}

impl ByIdentity {
    fn get<S: AsRef<str>>(&self, identity: &[S]) -> Option<&Entry> {
        match identity {
            [one] => self.single.get(one.as_ref()),
            several => self.several.get(&owned(several)),
        }
    }

    fn insert<S: AsRef<str>>(&mut self, identity: &[S], entry: Entry) {
        match identity {
            [one] => self.single.insert(one.as_ref().to_owned(), entry),
            several => self.several.insert(owned(several), entry),
        };
    }

    fn remove(&mut self, identity: &[String]) {
        match identity {
            [one] => self.single.remove(one),
            several => self.several.remove(several),
        };
    }

    fn len(&self) -> usize {
        self.single.len() + self.several.len()
    }

    fn retain_unexpired(&mut self, now: Instant) {
        self.single.retain(|_, (_, expires)| *expires > now);
        self.several.retain(|_, (_, expires)| *expires > now);
    }

    /// The identity whose answer expires first, and when.
    fn oldest(&self) -> Option<(Instant, Vec<String>)> {
        let single = self
            .single
            .iter()
            .map(|(one, (_, expires))| (*expires, std::slice::from_ref(one)));
        let several = self
            .several
            .iter()
            .map(|(several, (_, expires))| (*expires, several.as_slice()));
        single
            .chain(several)
            .min_by_key(|(expires, _)| *expires)
            .map(|(expires, identity)| (expires, identity.to_vec()))
    }
}

fn owned<S: AsRef<str>>(identity: &[S]) -> Vec<String> {
    identity
        .iter()
        .map(|value| value.as_ref().to_owned())
        .collect()
}

/// Cached authorizer answers, keyed by authorizer name and the identity source values, so one
/// token's answer never serves another token.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: RwLock<FastMap<String, ByIdentity>>,
}

impl AuthCache {
    /// The answer cached for this identity, if it has not expired at `now`.
    pub(crate) fn get<S: AsRef<str>>(
        &self,
        authorizer: &str,
        identity: &[S],
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
    pub(crate) fn put<S: AsRef<str>>(
        &self,
        authorizer: &str,
        identity: &[S],
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
            entries.values().map(ByIdentity::len).sum()
        };
        if len(&entries) >= CAPACITY {
            for answers in entries.values_mut() {
                answers.retain_unexpired(now);
            }
        }
        if len(&entries) >= CAPACITY {
            let oldest = entries
                .iter()
                .filter_map(|(name, answers)| Some((answers.oldest()?, name)))
                .min_by_key(|((expires, _), _)| *expires)
                .map(|((_, identity), name)| (name.clone(), identity));
            if let Some((name, identity)) = oldest
                && let Some(answers) = entries.get_mut(&name)
            {
                answers.remove(&identity);
            }
        }
        entries
            .entry(authorizer.to_owned())
            .or_default()
            .insert(identity, (answer, now + ttl));
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
        fn arn<'a>(method: &'a str, path: &'a str) -> MethodArn<'a> {
            MethodArn {
                stage_prefix: "arn:aws:execute-api:r:123:api/dev/",
                method,
                path,
            }
        }
        // The second round is answered from the decisions remembered in the first.
        for _ in 0..2 {
            assert_eq!(answer.evaluate(arn("GET", "/")), Ok(Decision::Allow));
            assert_eq!(
                answer.evaluate(arn("POST", "/")),
                Ok(Decision::ImplicitDeny)
            );
            for i in 0..DECISIONS_PER_ANSWER + 10 {
                let other = format!("/items/{i}");
                assert_eq!(
                    answer.evaluate(arn("GET", &other)),
                    Ok(Decision::ImplicitDeny)
                );
            }
        }
        assert_eq!(answer.decisions.lock().unwrap().len, DECISIONS_PER_ANSWER);
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
        cache.put("auth", &["a"], output("a"), Duration::from_secs(60), now);
        assert!(cache.get("auth", &["b"], now).is_none());
        assert!(cache.get("other", &["a"], now).is_none());
        // Identity parts are kept apart, not joined: ("a b", "") is not ("a", "b ").
        cache.put(
            "auth",
            &["a b", ""],
            output("x"),
            Duration::from_secs(60),
            now,
        );
        assert!(cache.get("auth", &["a", "b "], now).is_none());
    }

    #[test]
    fn zero_ttl_caches_nothing() {
        let cache = AuthCache::default();
        let now = Instant::now();
        cache.put("auth", &["a"], output("a"), Duration::ZERO, now);
        assert!(cache.get("auth", &["a"], now).is_none());
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
