//! What API Gateway accepts back from a Lambda authorizer, and what it passes on to the view.

use serde_json::{Map, Value};

/// A valid authorizer answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizerOutput {
    /// `principalId`.
    pub principal_id: String,
    /// `policyDocument`, evaluated against each method ARN.
    pub policy_document: Value,
    /// `context`, with every value already a string, as the view will see it.
    pub context: Map<String, Value>,
}

impl AuthorizerOutput {
    /// Checks an answer as API Gateway does: an object with a string `principalId`, a valid
    /// `policyDocument` (statements with an `Effect` of `Allow` or `Deny`, ...), and a flat
    /// `context` of strings, numbers and booleans, which it turns into strings. Anything else
    /// is an error that names the field (API Gateway: 500).
    pub fn parse(output: &Value) -> Result<Self, String> {
        let checked = Self::check(output)?;
        let principal_id = match checked.principal_id {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        let context = checked
            .context
            .into_iter()
            .flatten()
            .map(|(key, value)| {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (key.clone(), Value::String(text))
            })
            .collect();
        Ok(AuthorizerOutput {
            principal_id,
            policy_document: checked.policy_document.clone(),
            context,
        })
    }

    /// The checks of [`parse`](Self::parse) alone, for a caller that passes the answer on as
    /// it is (the Lambda authorizer): nothing is copied.
    pub fn check(output: &Value) -> Result<CheckedAnswer<'_>, String> {
        let object = output.as_object().ok_or_else(|| {
            format!(
                "the authorizer returned {}, not a JSON object",
                kind(output)
            )
        })?;
        let principal_id = match object.get("principalId") {
            Some(id @ (Value::String(_) | Value::Number(_))) => id,
            Some(other) => {
                return Err(format!("principalId must be a string, got {}", kind(other)));
            }
            None => return Err("the authorizer's answer has no principalId".into()),
        };
        let policy_document = match object.get("policyDocument") {
            Some(document @ Value::Object(_)) => {
                super::policy::validate(document).map_err(|error| error.to_string())?;
                document
            }
            Some(other) => {
                return Err(format!(
                    "policyDocument must be an object, got {}",
                    kind(other)
                ));
            }
            None => return Err("the authorizer's answer has no policyDocument".into()),
        };
        let context = match object.get("context") {
            None | Some(Value::Null) => None,
            Some(Value::Object(values)) => {
                check_context(values)?;
                Some(values)
            }
            Some(other) => return Err(format!("context must be an object, got {}", kind(other))),
        };
        Ok(CheckedAnswer {
            principal_id,
            policy_document,
            context,
        })
    }

    /// `requestContext.authorizer` as the view sees it: the context, then `principalId`.
    pub fn request_context_authorizer(&self) -> Map<String, Value> {
        let mut authorizer = self.context.clone();
        authorizer.insert(
            "principalId".into(),
            Value::String(self.principal_id.clone()),
        );
        authorizer
    }
}

/// The parts of an answer [`AuthorizerOutput::check`] accepted, borrowed from it.
#[derive(Debug)]
pub struct CheckedAnswer<'a> {
    /// `principalId`: a string or a number.
    pub principal_id: &'a Value,
    /// `policyDocument`, valid.
    pub policy_document: &'a Value,
    /// `context`, when present: strings, numbers and booleans only.
    pub context: Option<&'a Map<String, Value>>,
}

/// API Gateway's rule for an authorizer's context: strings, numbers and booleans only.
pub(crate) fn check_context(context: &Map<String, Value>) -> Result<(), String> {
    for (key, value) in context {
        if let other @ (Value::Null | Value::Array(_) | Value::Object(_)) = value {
            return Err(format!(
                "context.{key} is {}; API Gateway accepts only strings, numbers and booleans \
                 in an authorizer's context",
                kind(other)
            ));
        }
    }
    Ok(())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(context: Value) -> Value {
        json!({"principalId": "user", "policyDocument": {"Statement": []}, "context": context})
    }

    #[test]
    fn the_policy_document_is_validated_too() {
        let answer = json!({"principalId": "u", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "allow", "Action": "execute-api:Invoke", "Resource": "*"}]}});
        assert_eq!(
            AuthorizerOutput::parse(&answer).unwrap_err(),
            "policyDocument.Statement[1].Effect must be \"Allow\" or \"Deny\", got \"allow\""
        );
    }

    #[test]
    fn check_accepts_what_parse_accepts_and_borrows_the_parts() {
        let value = answer(json!({"role": "admin", "level": 3}));
        let checked = AuthorizerOutput::check(&value).unwrap();
        assert_eq!(checked.principal_id, &json!("user"));
        assert_eq!(checked.policy_document, &value["policyDocument"]);
        assert_eq!(checked.context.map(Map::len), Some(2));
        let numeric = json!({"principalId": 7, "policyDocument": {"Statement": []}});
        assert_eq!(AuthorizerOutput::parse(&numeric).unwrap().principal_id, "7");
        assert!(AuthorizerOutput::check(&numeric).unwrap().context.is_none());
    }

    #[test]
    fn context_values_become_strings() {
        let output = AuthorizerOutput::parse(&answer(
            json!({"role": "admin", "level": 3, "ok": true, "ratio": 1.5}),
        ))
        .unwrap();
        assert_eq!(
            Value::Object(output.request_context_authorizer()),
            json!({"role": "admin", "level": "3", "ok": "true", "ratio": "1.5", "principalId": "user"})
        );
    }

    #[test]
    fn invalid_answers_name_the_field_at_fault() {
        let cases = [
            (json!(null), "not a JSON object"),
            (json!("allow"), "not a JSON object"),
            (json!({"policyDocument": {}}), "no principalId"),
            (json!({"principalId": "u"}), "no policyDocument"),
            (
                json!({"principalId": "u", "policyDocument": []}),
                "policyDocument must be an object",
            ),
            (
                answer(json!({"nested": {"a": 1}})),
                "context.nested is an object",
            ),
            (answer(json!({"list": [1]})), "context.list is an array"),
            (answer(json!({"nothing": null})), "context.nothing is null"),
            (answer(json!("ctx")), "context must be an object"),
        ];
        for (value, expected) in cases {
            let error = AuthorizerOutput::parse(&value).unwrap_err();
            assert!(error.contains(expected), "{value}: {error}");
            assert_eq!(AuthorizerOutput::check(&value).unwrap_err(), error);
        }
    }
}
