//! Evaluating an authorizer's IAM policy document against a method ARN, the
//! way IAM does for API Gateway.
//!
//! chalice local gets several things wrong that matter for a faithful model:
//! it ignores `Deny`, has no wildcard actions, and iterates a string
//! `Resource` character by character. This module follows IAM instead:
//! an explicit `Deny` wins, `Action` and `Resource` may be strings or
//! arrays, and both support `*` / `?` wildcards.

use std::fmt;

use serde_json::{Map, Value};

/// The one action an API Gateway authorizer policy is checked for, lower-cased
/// because IAM compares actions case-insensitively.
const INVOKE_ACTION: &str = "execute-api:invoke";

/// The outcome of evaluating a policy, with IAM's three-way distinction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allow,
    /// A `Deny` statement applied: it overrides every `Allow`.
    ExplicitDeny,
    /// No statement applied.
    ImplicitDeny,
}

/// A policy document API Gateway would reject; the message names the
/// offending element, e.g. `policyDocument.Statement[1].Effect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyError(pub(crate) String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

/// Decides whether `policy_document` lets the caller `execute-api:Invoke`
/// `method_arn`.
///
/// The document must be an object whose `Statement` is an object or an
/// array of objects (`Version` is optional and not checked). Every statement
/// is validated, even after the decision is known, so a malformed document
/// is an error whatever its order. A statement applies when its
/// `Action`/`NotAction` matches `execute-api:Invoke` (case-insensitively)
/// and its `Resource`/`NotResource` matches the ARN (case-sensitively).
/// Any applicable `Deny` gives [`Decision::ExplicitDeny`], else any
/// applicable `Allow` gives [`Decision::Allow`], else
/// [`Decision::ImplicitDeny`].
///
/// `Condition` blocks cannot be evaluated here (the request context keys
/// they test are not modelled), so they are handled fail-safe: an `Allow`
/// with a `Condition` never applies, and a `Deny` with a `Condition` is
/// treated as if its condition held, i.e. it applies whenever its action
/// and resource match. Elements other than `Effect`, `Action`,
/// `NotAction`, `Resource`, `NotResource` and `Condition` (`Sid`,
/// `Principal`, …) are ignored.
pub(crate) fn evaluate(policy_document: &Value, method_arn: &str) -> Result<Decision, PolicyError> {
    let document = policy_document.as_object().ok_or_else(|| {
        PolicyError(format!(
            "policyDocument must be a JSON object, got {}",
            describe(policy_document)
        ))
    })?;
    let statements: Vec<(String, &Value)> = match document.get("Statement") {
        None => {
            return Err(PolicyError(
                "policyDocument.Statement is missing".to_owned(),
            ));
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("policyDocument.Statement[{i}]"), item))
            .collect(),
        Some(single @ Value::Object(_)) => vec![("policyDocument.Statement".to_owned(), single)],
        Some(other) => {
            return Err(PolicyError(format!(
                "policyDocument.Statement must be an object or an array of objects, got {}",
                describe(other)
            )));
        }
    };

    let (mut allowed, mut denied) = (false, false);
    for (path, value) in statements {
        let statement = Statement::parse(&path, value)?;
        if statement.applies(method_arn) {
            match statement.effect {
                Effect::Allow => allowed = true,
                Effect::Deny => denied = true,
            }
        }
    }
    Ok(if denied {
        Decision::ExplicitDeny
    } else if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    })
}

/// Checks a policy document as API Gateway does when an authorizer returns it, before any
/// method ARN: every statement is validated as [`evaluate`] validates them.
pub(crate) fn validate(policy_document: &Value) -> Result<(), PolicyError> {
    evaluate(policy_document, "").map(drop)
}

/// IAM's glob match: `*` matches any run of characters (including `/` and
/// `:`, so it spans ARN parts), `?` exactly one character, and everything
/// else only itself. The whole of `value` must match.
///
/// Greedy two-pointer matching that only ever backtracks to the most
/// recent `*`: O(pattern × value) in the worst case, never exponential, and
/// no allocation. It compares bytes, but `?` and a backtracking `*` step
/// over whole UTF-8 characters, so the value offset is always on a
/// character boundary whenever `?` or `*` is consulted.
pub(crate) fn wildcard_match(pattern: &str, value: &str) -> bool {
    let (pattern, value) = (pattern.as_bytes(), value.as_bytes());
    let (mut p, mut v) = (0, 0);
    // After the last `*` seen: where the pattern resumes, and where the
    // part of the value that `*` has not swallowed starts.
    let mut last_star: Option<(usize, usize)> = None;
    while let Some(&byte) = value.get(v) {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                last_star = Some((p, v));
            }
            Some(b'?') => {
                p += 1;
                v += utf8_width(byte);
            }
            Some(&pb) if pb == byte => {
                p += 1;
                v += 1;
            }
            _ => match last_star {
                // Let the last `*` swallow one more character and retry.
                Some((resume, unswallowed)) => {
                    let width = value.get(unswallowed).map_or(1, |&b| utf8_width(b));
                    p = resume;
                    v = unswallowed + width;
                    last_star = Some((resume, v));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&b| b == b'*'))
}

/// The length of the UTF-8 character that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One statement, validated; borrows its patterns from the document.
#[derive(Debug)]
struct Statement<'a> {
    effect: Effect,
    action: Patterns<'a>,
    resource: Patterns<'a>,
    has_condition: bool,
}

/// The patterns of `Action`/`Resource`, or of their `Not` forms.
#[derive(Debug)]
struct Patterns<'a> {
    negated: bool,
    patterns: Vec<&'a str>,
}

impl<'a> Statement<'a> {
    fn parse(path: &str, value: &'a Value) -> Result<Self, PolicyError> {
        let statement = value.as_object().ok_or_else(|| {
            PolicyError(format!("{path} must be an object, got {}", describe(value)))
        })?;
        let effect = match statement.get("Effect") {
            Some(Value::String(s)) if s == "Allow" => Effect::Allow,
            Some(Value::String(s)) if s == "Deny" => Effect::Deny,
            Some(other) => {
                return Err(PolicyError(format!(
                    "{path}.Effect must be \"Allow\" or \"Deny\", got {}",
                    describe(other)
                )));
            }
            None => return Err(PolicyError(format!("{path}.Effect is missing"))),
        };
        Ok(Self {
            effect,
            action: Patterns::parse(path, statement, "Action", "NotAction")?,
            resource: Patterns::parse(path, statement, "Resource", "NotResource")?,
            has_condition: statement.contains_key("Condition"),
        })
    }

    fn applies(&self, method_arn: &str) -> bool {
        if self.has_condition && self.effect == Effect::Allow {
            return false;
        }
        self.action
            .matches(|pattern| wildcard_match(&pattern.to_ascii_lowercase(), INVOKE_ACTION))
            && self
                .resource
                .matches(|pattern| wildcard_match(pattern, method_arn))
    }
}

impl<'a> Patterns<'a> {
    /// Reads exactly one of `key` / `not_key`, each a string or an array
    /// of strings.
    fn parse(
        path: &str,
        statement: &'a Map<String, Value>,
        key: &str,
        not_key: &str,
    ) -> Result<Self, PolicyError> {
        let (negated, name, value) = match (statement.get(key), statement.get(not_key)) {
            (Some(value), None) => (false, key, value),
            (None, Some(value)) => (true, not_key, value),
            (Some(_), Some(_)) => {
                return Err(PolicyError(format!(
                    "{path} must have only one of {key} and {not_key}, got both"
                )));
            }
            (None, None) => {
                return Err(PolicyError(format!(
                    "{path}.{key} is missing (a statement needs {key} or {not_key})"
                )));
            }
        };
        let patterns = match value {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str().ok_or_else(|| {
                        PolicyError(format!(
                            "{path}.{name}[{i}] must be a string, got {}",
                            describe(item)
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(PolicyError(format!(
                    "{path}.{name} must be a string or an array of strings, got {}",
                    describe(other)
                )));
            }
        };
        Ok(Self { negated, patterns })
    }

    /// The plain form matches when any pattern does; the `Not` form when
    /// none does. An empty list therefore matches nothing, or everything.
    fn matches(&self, is_match: impl Fn(&str) -> bool) -> bool {
        self.patterns.iter().any(|p| is_match(p)) != self.negated
    }
}

/// A short rendering of a JSON value for error messages: scalars as JSON
/// (long strings cut), containers by kind only.
fn describe(value: &Value) -> String {
    const MAX_CHARS: usize = 60;
    match value {
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        Value::String(s) if s.chars().count() > MAX_CHARS => {
            let cut: String = s.chars().take(MAX_CHARS).collect();
            Value::String(format!("{cut}…")).to_string()
        }
        scalar => scalar.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;

    const PREFIX: &str = "arn:aws:execute-api:";
    const ARN: &str = "arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/GET/users/42";

    fn statement(effect: &str, resource: Value) -> Value {
        json!({"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource})
    }

    fn document(statements: Vec<Value>) -> Value {
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    fn eval(doc: &Value) -> Decision {
        evaluate(doc, ARN).expect("valid policy")
    }

    fn error(doc: &Value) -> String {
        evaluate(doc, ARN).expect_err("invalid policy").0
    }

    /// chalice's ARNMatcher cases: both sides get `arn:aws:execute-api:`,
    /// the patterns go into one Allow statement's `Resource` list.
    fn arn_matcher(arn: &str, patterns: &[&str]) -> bool {
        let resources: Vec<String> = patterns.iter().map(|p| format!("{PREFIX}{p}")).collect();
        let doc = document(vec![statement("Allow", json!(resources))]);
        match evaluate(&doc, &format!("{PREFIX}{arn}")) {
            Ok(Decision::Allow) => true,
            Ok(Decision::ImplicitDeny) => false,
            other => panic!("unexpected {other:?}"),
        }
    }

    // chalice-test-cases.md items 65-71 (test_can_allow_route_arns).

    #[test]
    fn item_65_identical() {
        assert!(arn_matcher(
            "mars-west-2:123456789012:ymy8tbxw7b/api/GET/foo",
            &["mars-west-2:123456789012:ymy8tbxw7b/api/GET/foo"],
        ));
    }

    #[test]
    fn item_66_trailing_star() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-1:123456789012:ymy8tbxw7b/api/GET/*"],
        ));
    }

    #[test]
    fn item_67_question_marks() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/PUT/foobar",
            &["mars-west-1:123456789012:ymy8tbxw7b/api/???/foobar"],
        ));
    }

    #[test]
    fn item_68_question_marks_and_star() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-1:123456789012:ymy8tbxw7b/api/???/*"],
        ));
    }

    #[test]
    fn item_69_star_api_id() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-1:123456789012:*/api/GET/*"],
        ));
    }

    #[test]
    fn item_70_star_everything() {
        assert!(arn_matcher(
            "mars-west-2:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["*"],
        ));
    }

    #[test]
    fn item_71_dot_in_path() {
        assert!(arn_matcher(
            "mars-west-2:123456789012:ymy8tbxw7b/api/GET/foo.bar",
            &["mars-west-2:123456789012:ymy8tbxw7b/*/GET/*"],
        ));
    }

    // Items 72-75 (test_can_deny_route_arns).

    #[test]
    fn item_72_other_method() {
        assert!(!arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-1:123456789012:ymy8tbxw7b/api/PUT/*"],
        ));
    }

    #[test]
    fn item_73_too_few_question_marks() {
        assert!(!arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-1:123456789012:ymy8tbxw7b/api/??/foobar"],
        ));
    }

    #[test]
    fn item_74_other_region() {
        assert!(!arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-2:123456789012:ymy8tbxw7b/api/???/*"],
        ));
    }

    #[test]
    fn item_75_dot_is_literal() {
        assert!(!arn_matcher(
            "mars-west-2:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-2:123456789012:ymy8tbxw7b/*/GET/foo..."],
        ));
    }

    // Items 76-80 (test_can_allow/deny_multiple_resource_arns).

    #[test]
    fn item_76_second_pattern_matches() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &[
                "mars-west-1:123456789012:ymy8tbxw7b/api/PUT/*",
                "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            ],
        ));
    }

    #[test]
    fn item_77_first_pattern_matches() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &[
                "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
                "mars-west-1:123456789012:ymy8tbxw7b/api/PUT/*",
            ],
        ));
    }

    #[test]
    fn item_78_star_among_others() {
        assert!(arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &["mars-west-1:123456789012:ymy8tbxw7b/api/PUT/foobar", "*"],
        ));
    }

    #[test]
    fn item_79_none_match() {
        assert!(!arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &[
                "mars-west-1:123456789012:ymy8tbxw7b/api/POST/*",
                "mars-west-1:123456789012:ymy8tbxw7b/api/PUT/foobar",
            ],
        ));
    }

    #[test]
    fn item_80_other_region_in_all() {
        assert!(!arn_matcher(
            "mars-west-1:123456789012:ymy8tbxw7b/api/GET/foobar",
            &[
                "mars-west-2:123456789012:ymy8tbxw7b/api/GET/foobar",
                "mars-west-2:123456789012:ymy8tbxw7b/api/*/*",
            ],
        ));
    }

    // Decisions.

    #[test]
    fn explicit_deny_beats_allow_in_either_order() {
        let allow = statement("Allow", json!("*"));
        let deny = statement("Deny", json!(ARN));
        assert_eq!(
            eval(&document(vec![allow.clone(), deny.clone()])),
            Decision::ExplicitDeny
        );
        assert_eq!(eval(&document(vec![deny, allow])), Decision::ExplicitDeny);
    }

    #[test]
    fn deny_for_another_resource_does_not_apply() {
        let doc = document(vec![
            statement("Allow", json!("*")),
            statement("Deny", json!(format!("{PREFIX}*/dev/POST/*"))),
        ]);
        assert_eq!(eval(&doc), Decision::Allow);
    }

    #[test]
    fn deny_alone_is_explicit() {
        let doc = document(vec![statement("Deny", json!(ARN))]);
        assert_eq!(eval(&doc), Decision::ExplicitDeny);
    }

    #[test]
    fn nothing_applicable_is_implicit_deny() {
        let doc = document(vec![statement(
            "Allow",
            json!(format!("{PREFIX}*/dev/GET/users")),
        )]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn empty_statement_array_is_implicit_deny() {
        assert_eq!(eval(&json!({"Statement": []})), Decision::ImplicitDeny);
    }

    #[test]
    fn empty_resource_list_is_implicit_deny() {
        // What chalice's `AuthResponse(routes=[])` produces.
        let doc = document(vec![statement("Allow", json!([]))]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn single_statement_object_and_no_version() {
        let doc = json!({"Statement": statement("Allow", json!(ARN))});
        assert_eq!(eval(&doc), Decision::Allow);
    }

    #[test]
    fn chalice_auth_response_shape() {
        // AuthResponse(['/users/*'], ...).to_dict() for this ARN.
        let doc = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": ["arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/*/users/*"],
            }],
        });
        assert_eq!(eval(&doc), Decision::Allow);
        // `{id}` is not translated by chalice, so it never matches.
        let doc = document(vec![statement(
            "Allow",
            json!(["arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/*/users/{id}"]),
        )]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn root_resource_star_matches_only_root_and_trailing_paths() {
        let root = "arn:aws:execute-api:us-west-2:1:id/dev/GET/";
        let doc = document(vec![statement(
            "Allow",
            json!("arn:aws:execute-api:us-west-2:1:id/dev/*/"),
        )]);
        assert_eq!(evaluate(&doc, root), Ok(Decision::Allow));
        assert_eq!(
            evaluate(&doc, "arn:aws:execute-api:us-west-2:1:id/dev/GET/items"),
            Ok(Decision::ImplicitDeny)
        );
    }

    // Actions.

    #[test]
    fn wildcard_actions() {
        for action in [
            "*",
            "execute-api:*",
            "execute-api:Inv*",
            "execute-api:Invok?",
            "*:Invoke",
        ] {
            let doc = json!({"Statement": {"Effect": "Allow", "Action": action, "Resource": "*"}});
            assert_eq!(eval(&doc), Decision::Allow, "{action}");
        }
    }

    #[test]
    fn actions_compare_case_insensitively() {
        for action in ["execute-api:invoke", "EXECUTE-API:INVOKE", "Execute-Api:*"] {
            let doc = json!({"Statement": {"Effect": "Allow", "Action": action, "Resource": "*"}});
            assert_eq!(eval(&doc), Decision::Allow, "{action}");
        }
    }

    #[test]
    fn other_actions_do_not_apply() {
        for action in [
            "execute-api:ManageConnections",
            "execute-api:Invoke*x",
            "s3:*",
            "execute-api",
            "execute-api:Invok",
            "",
        ] {
            let doc = json!({"Statement": {"Effect": "Allow", "Action": action, "Resource": "*"}});
            assert_eq!(eval(&doc), Decision::ImplicitDeny, "{action:?}");
        }
    }

    #[test]
    fn action_as_list() {
        let doc = json!({"Statement": [{
            "Effect": "Allow",
            "Action": ["execute-api:Other", "execute-api:Invoke"],
            "Resource": "*",
        }]});
        assert_eq!(eval(&doc), Decision::Allow);
        let doc = json!({"Statement": [{
            "Effect": "Allow",
            "Action": ["execute-api:Other", "s3:GetObject"],
            "Resource": "*",
        }]});
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn action_string_is_not_a_substring_test() {
        // chalice local treats a string Action as a substring test.
        let doc = json!({"Statement": {
            "Effect": "Allow",
            "Action": "xexecute-api:Invoke",
            "Resource": "*",
        }});
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn not_action() {
        let doc = json!({"Statement": {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}});
        assert_eq!(eval(&doc), Decision::Allow);
        let doc = json!({"Statement": {
            "Effect": "Allow",
            "NotAction": ["s3:*", "execute-api:*"],
            "Resource": "*",
        }});
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "NotAction": "execute-api:ManageConnections", "Resource": "*"},
        ]});
        assert_eq!(eval(&doc), Decision::ExplicitDeny);
    }

    // Resources.

    #[test]
    fn resource_string_is_one_pattern() {
        // chalice local iterates a string per character: any `*` in it
        // allowed everything.
        let doc = document(vec![statement(
            "Allow",
            json!("arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/POST/*"),
        )]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
        let doc = document(vec![statement("Allow", json!(ARN))]);
        assert_eq!(eval(&doc), Decision::Allow);
        let doc = document(vec![statement("Allow", json!("a"))]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn resource_match_is_case_sensitive() {
        let doc = document(vec![statement("Allow", json!(ARN.to_uppercase()))]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
        let doc = document(vec![statement(
            "Allow",
            json!("arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/get/*"),
        )]);
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn not_resource() {
        let doc = json!({"Statement": {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "NotResource": format!("{PREFIX}*/dev/*/admin/*"),
        }});
        assert_eq!(eval(&doc), Decision::Allow);
        let doc = json!({"Statement": {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "NotResource": [format!("{PREFIX}*/dev/*/admin/*"), format!("{PREFIX}*/dev/GET/*")],
        }});
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "NotResource": format!("{PREFIX}*/dev/*/public/*")},
        ]});
        assert_eq!(eval(&doc), Decision::ExplicitDeny);
    }

    #[test]
    fn empty_not_resource_list_matches_everything() {
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": []}});
        assert_eq!(eval(&doc), Decision::Allow);
    }

    // Conditions.

    #[test]
    fn allow_with_condition_never_applies() {
        let doc = json!({"Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }});
        assert_eq!(eval(&doc), Decision::ImplicitDeny);
    }

    #[test]
    fn deny_with_condition_applies_when_it_matches() {
        let conditional_deny = |resource: &str| {
            json!({
                "Effect": "Deny",
                "Action": "execute-api:Invoke",
                "Resource": resource,
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            })
        };
        let allow = statement("Allow", json!("*"));
        let doc = document(vec![allow.clone(), conditional_deny("*")]);
        assert_eq!(eval(&doc), Decision::ExplicitDeny);
        let other = format!("{PREFIX}*/dev/DELETE/*");
        let doc = document(vec![allow, conditional_deny(&other)]);
        assert_eq!(eval(&doc), Decision::Allow);
    }

    // Malformed documents.

    #[test]
    fn document_must_be_an_object() {
        assert_eq!(
            error(&json!([])),
            "policyDocument must be a JSON object, got an array"
        );
        assert_eq!(
            error(&Value::Null),
            "policyDocument must be a JSON object, got null"
        );
        assert_eq!(
            error(&json!("{}")),
            "policyDocument must be a JSON object, got \"{}\""
        );
    }

    #[test]
    fn statement_is_required() {
        assert_eq!(
            error(&json!({"Version": "2012-10-17"})),
            "policyDocument.Statement is missing"
        );
    }

    #[test]
    fn statement_must_be_object_or_array() {
        assert_eq!(
            error(&json!({"Statement": "Allow"})),
            "policyDocument.Statement must be an object or an array of objects, got \"Allow\""
        );
        assert_eq!(
            error(&json!({"Statement": [statement("Allow", json!("*")), 3]})),
            "policyDocument.Statement[1] must be an object, got 3"
        );
    }

    #[test]
    fn effect_is_case_sensitive() {
        let doc = document(vec![
            statement("Allow", json!("*")),
            statement("allow", json!("*")),
        ]);
        assert_eq!(
            error(&doc),
            "policyDocument.Statement[1].Effect must be \"Allow\" or \"Deny\", got \"allow\""
        );
        let doc = document(vec![statement("DENY", json!("*"))]);
        assert_eq!(
            error(&doc),
            "policyDocument.Statement[0].Effect must be \"Allow\" or \"Deny\", got \"DENY\""
        );
    }

    #[test]
    fn effect_is_required_and_a_string() {
        let doc = json!({"Statement": {"Action": "*", "Resource": "*"}});
        assert_eq!(error(&doc), "policyDocument.Statement.Effect is missing");
        let doc = json!({"Statement": {"Effect": true, "Action": "*", "Resource": "*"}});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement.Effect must be \"Allow\" or \"Deny\", got true"
        );
    }

    #[test]
    fn resource_is_required() {
        let doc = json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke"}]});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement[0].Resource is missing \
             (a statement needs Resource or NotResource)"
        );
    }

    #[test]
    fn action_is_required() {
        let doc = json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement[0].Action is missing (a statement needs Action or NotAction)"
        );
    }

    #[test]
    fn both_forms_are_rejected() {
        let doc = json!({"Statement": {
            "Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*",
        }});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement must have only one of Action and NotAction, got both"
        );
        let doc = json!({"Statement": {
            "Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*",
        }});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement must have only one of Resource and NotResource, got both"
        );
    }

    #[test]
    fn wrongly_typed_action_and_resource() {
        let doc = json!({"Statement": {"Effect": "Allow", "Action": 1, "Resource": "*"}});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement.Action must be a string or an array of strings, got 1"
        );
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": {}}});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement.NotResource must be a string or an array of strings, \
             got an object"
        );
        let doc =
            json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": ["*", null]}]});
        assert_eq!(
            error(&doc),
            "policyDocument.Statement[0].Resource[1] must be a string, got null"
        );
    }

    #[test]
    fn malformed_statement_after_a_deny_is_still_an_error() {
        let doc = document(vec![
            statement("Deny", json!("*")),
            json!({"Effect": "Allow", "Action": "*"}),
        ]);
        assert!(error(&doc).starts_with("policyDocument.Statement[1].Resource is missing"));
    }

    #[test]
    fn long_strings_are_cut_in_messages() {
        let long = "x".repeat(500);
        let message = error(&json!({"Statement": long}));
        assert!(
            message.ends_with(&format!("got \"{}…\"", "x".repeat(60))),
            "{message}"
        );
    }

    #[test]
    fn policy_error_displays_its_message() {
        let err = PolicyError("policyDocument.Statement is missing".to_owned());
        assert_eq!(err.to_string(), "policyDocument.Statement is missing");
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert_eq!(boxed.to_string(), "policyDocument.Statement is missing");
    }

    // The glob itself.

    #[test]
    fn wildcard_basics() {
        let cases = [
            ("", "", true),
            ("", "a", false),
            ("a", "", false),
            ("*", "", true),
            ("**", "", true),
            ("?", "", false),
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("abc", "ab", false),
            ("ab", "abc", false),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbcd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a??c", "abc", false),
            ("*/GET/*", "id/dev/GET/a/b", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXcYb", false),
            ("*ab", "aab", true),
            ("*aab", "aaab", true),
            ("a.c", "abc", false),
            ("a[b]c", "a[b]c", true),
            ("a[b]c", "abc", false),
            ("$*", "$x", true),
        ];
        for (pattern, value, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, value),
                expected,
                "{pattern:?} vs {value:?}"
            );
        }
    }

    #[test]
    fn wildcard_star_spans_slashes_and_colons() {
        assert!(wildcard_match(
            "arn:*",
            "arn:aws:execute-api:us-west-2:1:id/dev/GET/a:b/c"
        ));
        assert!(wildcard_match("arn:aws:execute-api:*:*/GET/*", ARN));
    }

    #[test]
    fn wildcard_question_mark_is_one_char_not_one_byte() {
        assert!(wildcard_match("caf?", "café"));
        assert!(wildcard_match("??", "é€"));
        assert!(!wildcard_match("???", "é€"));
        // A `*` gives back whole characters, never part of one.
        assert!(wildcard_match("*?", "€"));
        assert!(!wildcard_match("*??", "€"));
        assert!(!wildcard_match("*???", "é€"));
        assert!(wildcard_match("*€", "a€"));
        assert!(wildcard_match("€*€", "€x€€"));
        assert!(!wildcard_match("é", "e"));
    }

    #[test]
    fn wildcard_has_no_escapes() {
        assert!(wildcard_match("a*", "a*"));
        assert!(!wildcard_match("a\\*", "ab"));
        assert!(wildcard_match("a\\*", "a\\*"));
    }

    #[test]
    fn wildcard_is_not_exponential() {
        let value = "a".repeat(10_000);
        let start = Instant::now();
        assert!(!wildcard_match("*a*a*a*a*a*a*a*b", &value));
        assert!(wildcard_match("*a*a*a*a*a*a*a*", &value));
        assert!(!wildcard_match(&format!("{}b", "*a".repeat(50)), &value));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn long_resource_lists_and_arns() {
        let arn = format!("{PREFIX}r:1:id/dev/GET/{}", "x/".repeat(5_000));
        let mut resources: Vec<String> = (0..100).map(|i| format!("{PREFIX}*/POST/{i}*")).collect();
        let doc = document(vec![statement("Allow", json!(resources))]);
        assert_eq!(evaluate(&doc, &arn), Ok(Decision::ImplicitDeny));
        resources.push(format!("{PREFIX}*/GET/*x/"));
        let doc = document(vec![statement("Allow", json!(resources))]);
        assert_eq!(evaluate(&doc, &arn), Ok(Decision::Allow));
    }
}

#[cfg(test)]
mod props;
