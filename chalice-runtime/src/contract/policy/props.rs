//! Properties of the evaluator against the reference model in `tests/oracle/iam.rs` (naive,
//! shares no code with this module): on random policies and ARNs both reach the same decision,
//! and reject the same documents; the glob agrees with naive recursion on every input.

#[path = "../../../tests/oracle/iam.rs"]
mod iam;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{Decision, evaluate, wildcard_match};

/// Characters that exercise the glob: wildcards, ARN separators, case, multi-byte UTF-8.
const ALPHABET: &[&str] = &["a", "b", "A", "*", "?", "/", ":", "é", "€", "😀"];

fn glob_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..max)
        .prop_map(|chars| chars.concat())
}

/// Method ARNs: the real shape with random parts, or anything at all.
fn arn() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (
            proptest::sample::select(vec!["GET", "POST", "get", "*", "DELETE"]),
            glob_text(8),
        )
            .prop_map(|(method, path)| format!(
                "arn:aws:execute-api:us-east-1:123456789012:abc/api/{method}/{path}"
            )),
        1 => glob_text(16),
        1 => any::<String>(),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (
            proptest::sample::select(vec![
                "arn:aws:execute-api:us-east-1:123456789012:abc",
                "arn:aws:execute-api:*:*:*",
                "arn:aws:execute-api:us-east-1:*",
                "*",
                "arn:aws:execute-api:us-east-1:123456789012:ab?",
            ]),
            proptest::sample::select(vec!["api", "*", "?pi", "API"]),
            proptest::sample::select(vec!["GET", "POST", "*", "get", "G?T", "???"]),
            glob_text(6),
        )
            .prop_map(|(prefix, stage, method, path)| format!("{prefix}/{stage}/{method}/{path}")),
        1 => glob_text(10),
        1 => any::<String>(),
    ]
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(vec![
            "execute-api:Invoke", "execute-api:invoke", "EXECUTE-API:INVOKE", "execute-api:*",
            "*", "execute-api:Inv?ke", "execute-api:ManageConnections", "s3:*", "*:Invoke",
            "execute-api:Invoke*", "execute-api:Invok", "",
        ])
        .prop_map(str::to_owned),
        1 => glob_text(6).prop_map(|tail| format!("execute-api:{tail}")),
    ]
}

/// A JSON value of any shape, for the places a policy may be malformed.
fn junk() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z*]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[A-Za-z]{1,10}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// `Action`/`Resource`-like: mostly a string or a list of strings, sometimes not.
fn element(item: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    prop_oneof![
        4 => item.clone().prop_map(Value::from),
        4 => proptest::collection::vec(item.clone(), 0..4).prop_map(Value::from),
        1 => (proptest::collection::vec(item, 0..3), junk()).prop_map(|(mut items, odd)| {
            let mut list: Vec<Value> = items.drain(..).map(Value::from).collect();
            list.push(odd);
            Value::from(list)
        }),
        1 => junk(),
    ]
    .boxed()
}

fn statement() -> impl Strategy<Value = Value> {
    let effect = prop_oneof![
        8 => Just(Some(json!("Allow"))),
        6 => Just(Some(json!("Deny"))),
        1 => Just(None),
        1 => proptest::sample::select(vec![json!("allow"), json!("DENY"), json!(1), json!(["Allow"])])
            .prop_map(Some),
    ];
    let key = |plain: &'static str, not: &'static str| {
        proptest::sample::select(vec![
            vec![plain],
            vec![plain],
            vec![plain],
            vec![not],
            vec![],
            vec![plain, not],
        ])
    };
    (
        effect,
        key("Action", "NotAction"),
        element(action().boxed()),
        key("Resource", "NotResource"),
        element(pattern().boxed()),
        proptest::option::weighted(0.15, junk()),
        proptest::option::weighted(0.1, junk()),
    )
        .prop_map(
            |(effect, action_keys, actions, resource_keys, resources, condition, extra)| {
                let mut statement = serde_json::Map::new();
                if let Some(effect) = effect {
                    statement.insert("Effect".into(), effect);
                }
                for key in action_keys {
                    statement.insert(key.into(), actions.clone());
                }
                for key in resource_keys {
                    statement.insert(key.into(), resources.clone());
                }
                if let Some(condition) = condition {
                    statement.insert("Condition".into(), condition);
                }
                if let Some(extra) = extra {
                    statement.insert("Sid".into(), extra);
                }
                Value::Object(statement)
            },
        )
}

fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => proptest::collection::vec(statement(), 0..5)
            .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements})),
        3 => statement().prop_map(|statement| json!({"Statement": statement})),
        1 => (proptest::collection::vec(statement(), 0..3), junk()).prop_map(|(statements, odd)| {
            let mut list = statements;
            list.push(odd);
            json!({"Statement": list})
        }),
        1 => junk(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn decides_as_the_reference_model(document in document(), arn in arn()) {
        let reference = iam::evaluate(&document, &arn);
        let actual = evaluate(&document, &arn);
        match (&reference, &actual) {
            (Ok(iam::Verdict::Allow), Ok(Decision::Allow))
            | (Ok(iam::Verdict::ExplicitDeny), Ok(Decision::ExplicitDeny))
            | (Ok(iam::Verdict::ImplicitDeny), Ok(Decision::ImplicitDeny))
            | (Err(_), Err(_)) => {}
            _ => prop_assert!(
                false,
                "{document} against {arn:?}: reference {reference:?}, evaluate {actual:?}"
            ),
        }
    }

    #[test]
    fn glob_matches_as_naive_recursion(pattern in glob_text(12), value in glob_text(12)) {
        prop_assert_eq!(
            wildcard_match(&pattern, &value),
            iam::glob(&pattern, &value, |a, b| a == b),
            "{:?} against {:?}", pattern, value
        );
    }

    #[test]
    fn glob_matches_as_naive_recursion_on_any_text(pattern in any::<String>(), value in any::<String>()) {
        prop_assert_eq!(
            wildcard_match(&pattern, &value),
            iam::glob(&pattern, &value, |a, b| a == b)
        );
    }
}
