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
        let object = output.as_object().ok_or_else(|| {
            format!(
                "the authorizer returned {}, not a JSON object",
                kind(output)
            )
        })?;
        let principal_id = match object.get("principalId") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(format!("principalId must be a string, got {}", kind(other)));
            }
            None => return Err("the authorizer's answer has no principalId".into()),
        };
        let policy_document = match object.get("policyDocument") {
            Some(document @ Value::Object(_)) => {
                super::policy::validate(document).map_err(|error| error.to_string())?;
                document.clone()
            }
            Some(other) => {
                return Err(format!(
                    "policyDocument must be an object, got {}",
                    kind(other)
                ));
            }
            None => return Err("the authorizer's answer has no policyDocument".into()),
        };
        let mut context = Map::new();
        match object.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(values)) => {
                for (key, value) in values {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(format!(
                                "context.{key} is {}; API Gateway accepts only strings, numbers \
                                 and booleans in an authorizer's context",
                                kind(other)
                            ));
                        }
                    };
                    context.insert(key.clone(), Value::String(text));
                }
            }
            Some(other) => return Err(format!("context must be an object, got {}", kind(other))),
        }
        Ok(AuthorizerOutput {
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
        }
    }
}
