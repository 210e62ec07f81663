//! A reference model of IAM policy evaluation for the policies API Gateway authorizers return:
//! the oracle the property tests and fuzzers hold the gateway's own evaluator against.
//!
//! It is written to be obviously right rather than fast, and shares no code with the runtime:
//! statements are read one by one, an applicable explicit `Deny` wins over any `Allow`, an
//! `Allow` allows, and anything else is an implicit deny. `*` and `?` are matched by plain
//! recursion over characters (memoized, so large fuzz inputs stay polynomial). A `Condition`
//! cannot be checked without the request context, so it fails safe: a conditional `Allow`
//! never applies and a conditional `Deny` always does (when its action and resource match).
//!
//! Included with `#[path]` by the runtime's unit tests, its integration tests and the fuzz
//! targets, so all of them use this one oracle.

#![allow(dead_code)]

use serde_json::Value;

/// What the reference evaluator decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An applicable `Allow` and no applicable `Deny`.
    Allow,
    /// An applicable `Deny`.
    ExplicitDeny,
    /// Nothing applies.
    ImplicitDeny,
}

/// A document IAM would refuse to evaluate; the text says why, for failure messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// Decides whether `document` lets the caller `execute-api:Invoke` `method_arn`.
pub fn evaluate(document: &Value, method_arn: &str) -> Result<Verdict, Malformed> {
    let Value::Object(document) = document else {
        return Err(Malformed("the document is not an object".into()));
    };
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err(Malformed("Statement is neither object nor list".into())),
        None => return Err(Malformed("no Statement".into())),
    };
    let mut any_allow = false;
    let mut any_deny = false;
    for statement in statements {
        let Value::Object(statement) = statement else {
            return Err(Malformed("a statement is not an object".into()));
        };
        let is_allow = match statement.get("Effect") {
            Some(Value::String(effect)) if effect == "Allow" => true,
            Some(Value::String(effect)) if effect == "Deny" => false,
            _ => return Err(Malformed("Effect is not Allow or Deny".into())),
        };
        let action_applies = element_applies(statement, "Action", "NotAction", |pattern| {
            glob(pattern, "execute-api:Invoke", |a, b| {
                a.eq_ignore_ascii_case(&b)
            })
        })?;
        let resource_applies = element_applies(statement, "Resource", "NotResource", |pattern| {
            glob(pattern, method_arn, |a, b| a == b)
        })?;
        let conditional = statement.contains_key("Condition");
        if !(action_applies && resource_applies) {
            continue;
        }
        if is_allow && !conditional {
            any_allow = true;
        }
        if !is_allow {
            any_deny = true;
        }
    }
    if any_deny {
        Ok(Verdict::ExplicitDeny)
    } else if any_allow {
        Ok(Verdict::Allow)
    } else {
        Ok(Verdict::ImplicitDeny)
    }
}

/// Whether the `key` (or `not_key`) element of a statement covers the thing `matches` tests.
fn element_applies(
    statement: &serde_json::Map<String, Value>,
    key: &str,
    not_key: &str,
    matches: impl Fn(&str) -> bool,
) -> Result<bool, Malformed> {
    let (value, negated) = match (statement.get(key), statement.get(not_key)) {
        (Some(value), None) => (value, false),
        (None, Some(value)) => (value, true),
        _ => return Err(Malformed(format!("not exactly one of {key}/{not_key}"))),
    };
    let patterns: Vec<&str> = match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(list) => {
            let mut patterns = Vec::new();
            for item in list {
                match item {
                    Value::String(pattern) => patterns.push(pattern.as_str()),
                    _ => return Err(Malformed(format!("a {key} entry is not a string"))),
                }
            }
            patterns
        }
        _ => return Err(Malformed(format!("{key} is not a string or list"))),
    };
    let mut any = false;
    for pattern in patterns {
        if matches(pattern) {
            any = true;
        }
    }
    Ok(if negated { !any } else { any })
}

/// IAM's `*` (any run of characters) and `?` (one character) over whole strings; `same`
/// compares two literal characters.
pub fn glob(pattern: &str, value: &str, same: impl Fn(char, char) -> bool) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    let mut memo = vec![None; (pattern.len() + 1) * (value.len() + 1)];
    glob_from(&pattern, &value, 0, 0, &same, &mut memo)
}

fn glob_from(
    pattern: &[char],
    value: &[char],
    p: usize,
    v: usize,
    same: &impl Fn(char, char) -> bool,
    memo: &mut Vec<Option<bool>>,
) -> bool {
    let slot = p * (value.len() + 1) + v;
    if let Some(known) = memo[slot] {
        return known;
    }
    let result = match pattern.get(p) {
        None => v == value.len(),
        // `*` matches nothing here, or swallows one more character.
        Some('*') => {
            glob_from(pattern, value, p + 1, v, same, memo)
                || (v < value.len() && glob_from(pattern, value, p, v + 1, same, memo))
        }
        Some('?') => v < value.len() && glob_from(pattern, value, p + 1, v + 1, same, memo),
        Some(&literal) => {
            v < value.len()
                && same(literal, value[v])
                && glob_from(pattern, value, p + 1, v + 1, same, memo)
        }
    };
    memo[slot] = Some(result);
    result
}
