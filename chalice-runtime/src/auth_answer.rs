//! What a built-in authorizer hands back to API Gateway: [`AuthAnswer`].
//!
//! A policy built from an [`AuthResponse`](crate::AuthResponse) stays typed until it is
//! written out. Before, every TOKEN answer went through `serde_json::Value` on the way to JSON
//! text: three `IndexMap`s built, checked and then encoded. That was the larger part of the
//! authorizer's time per event.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::contract::{AuthorizerOutput, check_context};

/// A built-in authorizer's answer, as API Gateway will receive it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthAnswer {
    /// Built from an `AuthResponse`, as Chalice's `AuthResponse.to_dict` builds it.
    Built(BuiltPolicy),
    /// A policy the function returned as JSON, passed on unchanged as in Chalice.
    Raw(Value),
    /// An HTTP API's simple answer, from a `SimpleAuthResponse`.
    Simple(SimpleAnswer),
}

/// `{"isAuthorized": .., "context": {..}}`: what an HTTP API authorizer with simple responses
/// answers (payload format 2.0).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleAnswer {
    /// Whether the request is authorized.
    pub is_authorized: bool,
    /// What the view receives as `requestContext.authorizer.lambda`.
    #[serde(default)]
    pub context: Map<String, Value>,
}

impl Serialize for SimpleAnswer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("isAuthorized", &self.is_authorized)?;
        map.serialize_entry("context", &self.context)?;
        map.end()
    }
}

impl AuthAnswer {
    /// The answer as a JSON value.
    pub fn into_value(self) -> Value {
        match self {
            AuthAnswer::Built(policy) => policy.to_value(),
            AuthAnswer::Raw(value) => value,
            AuthAnswer::Simple(simple) => serde_json::to_value(simple).unwrap_or_default(),
        }
    }

    /// Checks the answer as API Gateway will ([`AuthorizerOutput::check`]). A built policy is
    /// valid by construction but for its context, which the function chose.
    pub fn check(&self) -> Result<(), String> {
        match self {
            AuthAnswer::Built(policy) => check_context(&policy.context),
            AuthAnswer::Raw(value) => AuthorizerOutput::check(value).map(drop),
            AuthAnswer::Simple(_) => Ok(()),
        }
    }

    /// What API Gateway keeps of the answer: principal, policy and context.
    pub fn output(&self) -> Result<AuthorizerOutput, String> {
        match self {
            AuthAnswer::Built(policy) => AuthorizerOutput::parse(&policy.to_value()),
            AuthAnswer::Raw(value) => AuthorizerOutput::parse(value),
            AuthAnswer::Simple(_) => Err(
                "a simple response (`isAuthorized`) answers an HTTP API authorizer with simple \
                 responses, not an IAM-policy authorizer"
                    .into(),
            ),
        }
    }
}

impl Serialize for AuthAnswer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AuthAnswer::Built(policy) => policy.serialize(serializer),
            AuthAnswer::Raw(value) => value.serialize(serializer),
            AuthAnswer::Simple(simple) => simple.serialize(serializer),
        }
    }
}

/// One `Allow` statement for `resources`, with the principal and the context.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltPolicy {
    context: Map<String, Value>,
    principal_id: String,
    resources: Vec<String>,
}

impl BuiltPolicy {
    pub(crate) fn new(
        context: Map<String, Value>,
        principal_id: String,
        resources: Vec<String>,
    ) -> Self {
        BuiltPolicy {
            context,
            principal_id,
            resources,
        }
    }

    /// The policy as a JSON value, keys in Chalice's order.
    pub fn to_value(&self) -> Value {
        // Serializing our own map types into a `Value` cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// `{"context", "principalId", "policyDocument"}`, in Chalice's order.
impl Serialize for BuiltPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("context", &self.context)?;
        map.serialize_entry("principalId", &self.principal_id)?;
        map.serialize_entry("policyDocument", &Document(&self.resources))?;
        map.end()
    }
}

struct Document<'a>(&'a [String]);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Version", "2012-10-17")?;
        map.serialize_entry("Statement", &[Statement(self.0)])?;
        map.end()
    }
}

struct Statement<'a>(&'a [String]);

impl Serialize for Statement<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("Action", "execute-api:Invoke")?;
        map.serialize_entry("Effect", "Allow")?;
        map.serialize_entry("Resource", self.0)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthResponse, AuthRoute};
    use proptest::prelude::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-west-2:123:abc/dev/GET/users/7";

    fn built(response: AuthResponse) -> AuthAnswer {
        AuthAnswer::Built(response.policy(ARN).unwrap())
    }

    #[test]
    fn a_built_policy_is_written_in_chalice_order() {
        let answer = built(AuthResponse::new(["/users/*"], "u").context(json!({"a": 1})));
        assert_eq!(
            serde_json::to_string(&answer).unwrap(),
            r#"{"context":{"a":1},"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:us-west-2:123:abc/dev/*/users/*"]}]}}"#
        );
        assert_eq!(
            serde_json::to_string(&answer.clone().into_value()).unwrap(),
            serde_json::to_string(&answer).unwrap()
        );
    }

    fn any_context_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::from),
            Just(json!([1])),
            Just(json!({"nested": "x"})),
        ]
    }

    proptest! {
        /// API Gateway's check, run on the JSON, is the oracle for the typed shortcut.
        #[test]
        fn a_built_policy_passes_the_check_exactly_when_its_json_does(
            context in prop::collection::vec(("[a-z]{1,3}", any_context_value()), 0..4),
            paths in prop::collection::vec("(/[a-z*]{0,3}){1,3}|\\*", 0..3),
            methods in prop::collection::vec("GET|POST|\\*", 1..3),
            principal in "[a-z0-9]{0,6}",
        ) {
            let routes: Vec<AuthRoute> =
                paths.iter().map(|path| AuthRoute::new(path, methods.clone())).collect();
            let context: Map<String, Value> = context.into_iter().collect();
            let answer = built(AuthResponse::new(routes, principal).context(Value::Object(context)));
            let json = answer.clone().into_value();
            prop_assert_eq!(answer.check(), AuthorizerOutput::check(&json).map(drop));
            prop_assert_eq!(answer.output(), AuthorizerOutput::parse(&json));
        }
    }
}
