//! Property of the authorizer cache against a plain model: whatever the order of answers put,
//! looked up and expired, a lookup returns exactly the answer last put under the same authorizer
//! and the same identity values while its TTL runs, and never one put under another key.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Map, json};

use super::{Answer, AuthCache};
use crate::contract::AuthorizerOutput;

#[derive(Debug, Clone)]
enum Op {
    Put { key: Key, ttl_seconds: u64 },
    Get { key: Key },
    Wait { seconds: u64 },
}

type Key = (String, Vec<String>);

/// Keys that collide if anything but the exact authorizer and identity list were compared:
/// joined or concatenated parts, prefixes, case, empty parts.
fn key() -> impl Strategy<Value = Key> {
    (
        proptest::sample::select(vec!["auth", "Auth", "auth2", ""]),
        proptest::collection::vec(
            proptest::sample::select(vec!["a", "b", "a b", "ab", "", "A", "a\0b", "é"]),
            0..3,
        ),
    )
        .prop_map(|(name, parts)| {
            (
                name.to_owned(),
                parts.into_iter().map(str::to_owned).collect(),
            )
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (key(), 0u64..5).prop_map(|(key, ttl_seconds)| Op::Put { key, ttl_seconds }),
        4 => key().prop_map(|key| Op::Get { key }),
        1 => (0u64..4).prop_map(|seconds| Op::Wait { seconds }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn lookups_only_ever_return_their_own_identitys_answer(ops in proptest::collection::vec(op(), 1..60)) {
        let cache = AuthCache::default();
        let start = Instant::now();
        let mut now = start;
        // The model: the tag of the answer last put under each key, and when it expires.
        let mut model: HashMap<Key, (String, Instant)> = HashMap::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Put { key, ttl_seconds } => {
                    let tag = format!("answer-{step}");
                    let output = AuthorizerOutput {
                        principal_id: tag.clone(),
                        policy_document: json!({}),
                        context: Map::new(),
                    };
                    let ttl = Duration::from_secs(ttl_seconds);
                    cache.put(&key.0, &key.1, Answer::new(output), ttl, now);
                    if ttl_seconds > 0 {
                        model.insert(key, (tag, now + ttl));
                    }
                }
                Op::Get { key } => {
                    let expected = model
                        .get(&key)
                        .filter(|(_, expires)| *expires > now)
                        .map(|(tag, _)| tag.clone());
                    let actual = cache
                        .get(&key.0, &key.1, now)
                        .map(|answer| answer.principal_id().to_string());
                    prop_assert_eq!(actual, expected, "lookup of {:?} at {:?}", key, now - start);
                }
                Op::Wait { seconds } => now += Duration::from_secs(seconds),
            }
        }
    }
}
