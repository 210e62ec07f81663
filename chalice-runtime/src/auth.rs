//! What a built-in authorizer receives and returns: [`AuthRequest`], [`AuthResponse`],
//! [`AuthRoute`] and [`AuthError`], and the IAM policy Chalice builds from a response.

use std::collections::HashMap;
use std::fmt;

use http::HeaderMap;
use serde_json::{Map, Value};

use crate::auth_answer::BuiltPolicy;
use crate::contract::arn::ApiOfArn;
use crate::request::MultiDict;

/// The input of a built-in authorizer, as Chalice's `AuthRequest`.
///
/// TOKEN authorizers get `token` (the configured header's value) and `method_arn`. REQUEST
/// authorizers also get the request's headers, query string, path parameters, stage variables
/// and context; their `token` is the value of the first identity source.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AuthRequest {
    /// `"TOKEN"` or `"REQUEST"`.
    pub auth_type: String,
    /// The identity token.
    pub token: String,
    /// The ARN of the method being called:
    /// `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`.
    pub method_arn: String,
    /// REQUEST only: the HTTP method.
    pub method: Option<String>,
    /// REQUEST only: the request path.
    pub path: Option<String>,
    /// REQUEST only: the matched resource path (`/users/{id}`).
    pub resource: Option<String>,
    /// REQUEST only: the headers.
    pub headers: HeaderMap,
    /// REQUEST only: the query string.
    pub query_params: MultiDict,
    /// REQUEST only: the path parameters.
    pub uri_params: HashMap<String, String>,
    /// REQUEST only: the stage variables.
    pub stage_vars: HashMap<String, String>,
    /// REQUEST only: API Gateway's request context, as sent.
    pub context: Option<Value>,
}

impl AuthRequest {
    /// A TOKEN request, as API Gateway sends to a TOKEN authorizer.
    pub fn new(
        auth_type: impl Into<String>,
        token: impl Into<String>,
        method_arn: impl Into<String>,
    ) -> Self {
        AuthRequest {
            auth_type: auth_type.into(),
            token: token.into(),
            method_arn: method_arn.into(),
            ..AuthRequest::default()
        }
    }
}

/// A route an [`AuthResponse`] allows: a path (API Gateway's resource path syntax, with `*`
/// wildcards) and the methods allowed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRoute {
    /// The path, e.g. `/users/*`; `*` alone is every path.
    pub path: String,
    /// The methods, e.g. `["GET"]`; `["*"]` is every method.
    pub methods: Vec<String>,
}

impl AuthRoute {
    /// A path with the given methods.
    pub fn new<M: Into<String>>(
        path: impl Into<String>,
        methods: impl IntoIterator<Item = M>,
    ) -> Self {
        AuthRoute {
            path: path.into(),
            methods: methods.into_iter().map(Into::into).collect(),
        }
    }
}

/// A bare path allows every method, as a string route does in Chalice.
impl From<&str> for AuthRoute {
    fn from(path: &str) -> Self {
        AuthRoute::new(path, ["*"])
    }
}

impl From<String> for AuthRoute {
    fn from(path: String) -> Self {
        AuthRoute::new(path, ["*"])
    }
}

/// The output of a built-in authorizer, as Chalice's `AuthResponse(routes, principal_id, context)`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthResponse {
    routes: Vec<AuthRoute>,
    principal_id: String,
    context: Value,
}

impl AuthResponse {
    /// Allows `routes` for `principal_id`.
    pub fn new<R: Into<AuthRoute>>(
        routes: impl IntoIterator<Item = R>,
        principal_id: impl Into<String>,
    ) -> Self {
        AuthResponse {
            routes: routes.into_iter().map(Into::into).collect(),
            principal_id: principal_id.into(),
            context: Value::Object(Map::new()),
        }
    }

    /// Allows nothing: API Gateway answers 403.
    pub fn deny(principal_id: impl Into<String>) -> Self {
        AuthResponse::new(Vec::<AuthRoute>::new(), principal_id)
    }

    /// The same response with a context object, which API Gateway hands to the view as
    /// `requestContext.authorizer` (values become strings; nested values are rejected).
    pub fn context(mut self, context: Value) -> Self {
        self.context = context;
        self
    }

    /// The routes allowed.
    pub fn routes(&self) -> &[AuthRoute] {
        &self.routes
    }

    /// The principal id.
    pub fn principal_id(&self) -> &str {
        &self.principal_id
    }

    /// The policy API Gateway receives, built as Chalice's `AuthResponse.to_dict` builds it:
    /// `{"context", "principalId", "policyDocument"}` with one `Allow` statement whose resources
    /// keep the region, account, API and stage of `method_arn`.
    pub fn to_policy(&self, method_arn: &str) -> Result<Value, InvalidAuthResponse> {
        Ok(self.clone().policy(method_arn)?.to_value())
    }

    /// The same policy, typed: what the authorizer's Lambda writes out as its answer.
    pub(crate) fn policy(self, method_arn: &str) -> Result<BuiltPolicy, InvalidAuthResponse> {
        let Value::Object(context) = self.context else {
            return Err(InvalidAuthResponse(format!(
                "the authorizer context must be a JSON object, got {}",
                self.context
            )));
        };
        let api = ApiOfArn::parse(method_arn)
            .ok_or_else(|| InvalidAuthResponse(format!("malformed method ARN {method_arn:?}")))?;
        let resources = self
            .routes
            .iter()
            .flat_map(|route| {
                let api = &api;
                route
                    .methods
                    .iter()
                    .map(move |method| api.route_arn(&route.path, method))
            })
            .collect();
        Ok(BuiltPolicy::new(context, self.principal_id, resources))
    }
}

/// The answer of an HTTP API Lambda authorizer in the simple format
/// (`#[app::authorizer(simple_responses = true)]`): whether the request is authorized, and a
/// context API Gateway hands the view as `requestContext.authorizer.lambda`.
///
/// A cached answer applies to every route of the authorizer, as API Gateway caches it by the
/// identity sources alone.
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleAuthResponse {
    is_authorized: bool,
    context: Value,
}

impl SimpleAuthResponse {
    /// Authorized (`true`) or not (`false`: API Gateway answers 403).
    pub fn new(is_authorized: bool) -> Self {
        SimpleAuthResponse {
            is_authorized,
            context: Value::Object(Map::new()),
        }
    }

    /// Authorized.
    pub fn allow() -> Self {
        SimpleAuthResponse::new(true)
    }

    /// Not authorized: API Gateway answers 403 `{"message":"Forbidden"}`.
    pub fn deny() -> Self {
        SimpleAuthResponse::new(false)
    }

    /// The same answer with a context object (`requestContext.authorizer.lambda`).
    pub fn context(mut self, context: Value) -> Self {
        self.context = context;
        self
    }

    /// Whether the request is authorized.
    pub fn is_authorized(&self) -> bool {
        self.is_authorized
    }

    /// The answer as the Lambda writes it out, `{"isAuthorized": .., "context": {..}}`; a
    /// context that is not a JSON object is an error, as API Gateway rejects it.
    pub(crate) fn checked(self) -> Result<crate::auth_answer::SimpleAnswer, InvalidAuthResponse> {
        match self.context {
            Value::Object(context) => Ok(crate::auth_answer::SimpleAnswer {
                is_authorized: self.is_authorized,
                context,
            }),
            other => Err(InvalidAuthResponse(format!(
                "the authorizer context must be a JSON object, got {other}"
            ))),
        }
    }
}

/// An [`AuthResponse`] that cannot become a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidAuthResponse(String);

impl fmt::Display for InvalidAuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidAuthResponse {}

/// The errors an authorizer may return on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The caller is not authenticated: API Gateway answers 401 `{"message":"Unauthorized"}`.
    ///
    /// On Lambda this is the error message `Unauthorized`, the one API Gateway turns into a 401.
    Unauthorized,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Unauthorized => f.write_str("Unauthorized"),
        }
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USERS_ARN: &str =
        "arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/GET/users/42";
    const PREFIX: &str = "arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev";

    fn resources(response: AuthResponse, method_arn: &str) -> Value {
        response.to_policy(method_arn).unwrap()["policyDocument"]["Statement"][0]["Resource"]
            .clone()
    }

    fn under_prefix(suffixes: &[&str]) -> Value {
        suffixes.iter().map(|s| format!("{PREFIX}/{s}")).collect()
    }

    /// Every row of the table in reference/chalice-authorizers.md §1.7.
    #[test]
    fn resource_lists_match_chalice_for_every_table_row() {
        let rows: Vec<(AuthResponse, &[&str])> = vec![
            (AuthResponse::new(["/users/{id}"], "u"), &["*/users/{id}"]),
            (
                AuthResponse::new([AuthRoute::new("/users/{id}", ["GET"])], "u"),
                &["GET/users/{id}"],
            ),
            (AuthResponse::new(["/"], "u"), &["*/"]),
            (
                AuthResponse::new([AuthRoute::new("/", ["GET", "POST"])], "u"),
                &["GET/", "POST/"],
            ),
            (AuthResponse::new(["*"], "u"), &["*/*"]),
            (
                AuthResponse::new([AuthRoute::new("*", ["GET"])], "u"),
                &["GET/*"],
            ),
            (
                AuthResponse::new([AuthRoute::new("*", ["*"])], "u"),
                &["*/*"],
            ),
            (AuthResponse::new(["/users/*"], "u"), &["*/users/*"]),
            (AuthResponse::new(["users"], "u"), &["*/sers"]),
            (AuthResponse::new(["/users/"], "u"), &["*/users/"]),
            (
                AuthResponse::new([AuthRoute::new("/a", ["get"])], "u"),
                &["get/a"],
            ),
            (
                AuthResponse::new([AuthRoute::new("/a", Vec::<String>::new())], "u"),
                &[],
            ),
            (AuthResponse::deny("u"), &[]),
        ];
        for (response, expected) in rows {
            let routes = format!("{:?}", response.routes());
            assert_eq!(
                resources(response, USERS_ARN),
                under_prefix(expected),
                "routes {routes}"
            );
        }
    }

    #[test]
    fn serializes_as_chalice_to_dict_with_key_order() {
        let policy = AuthResponse::new(["/a"], "principal")
            .to_policy("arn:aws:execute-api:us-west-2:1:id/dev/GET/a")
            .unwrap();
        assert_eq!(
            policy.to_string(),
            r#"{"context":{},"principalId":"principal","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:us-west-2:1:id/dev/*/a"]}]}}"#
        );
    }

    #[test]
    fn colons_in_the_path_do_not_break_arn_parsing() {
        let arn = "arn:aws:execute-api:us-west-2:1:id/api/GET/foo/a:b:c:d";
        assert_eq!(
            resources(AuthResponse::new(["/foo/*"], "p"), arn),
            json!(["arn:aws:execute-api:us-west-2:1:id/api/*/foo/*"])
        );
    }

    #[test]
    fn serialization_replaces_the_method_with_a_wildcard() {
        let arn = "arn:aws:execute-api:us-west-2:123:rest-api-id/dev/GET/needs/auth";
        let policy = AuthResponse::new(["/needs/auth"], "foo")
            .to_policy(arn)
            .unwrap();
        assert_eq!(policy["principalId"], "foo");
        assert_eq!(policy["context"], json!({}));
        assert_eq!(
            policy["policyDocument"]["Statement"][0]["Resource"],
            json!([arn.replace("GET", "*")])
        );
    }

    #[test]
    fn context_is_passed_through() {
        let policy = AuthResponse::new(["/foo"], "principal")
            .context(json!({"foo": "bar"}))
            .to_policy(USERS_ARN)
            .unwrap();
        assert_eq!(policy["context"], json!({"foo": "bar"}));
    }

    #[test]
    fn auth_routes_and_strings_mix_in_order() {
        let arn = "arn:aws:execute-api:us-west-2:123:rest-api-id/dev/GET/a";
        let p = "arn:aws:execute-api:us-west-2:123:rest-api-id/dev";
        let routes = [
            AuthRoute::new("/a", ["GET"]),
            AuthRoute::new("/a/b", ["GET", "POST"]),
        ];
        assert_eq!(
            resources(AuthResponse::new(routes, "p"), arn),
            json!([
                format!("{p}/GET/a"),
                format!("{p}/GET/a/b"),
                format!("{p}/POST/a/b")
            ])
        );
        let mixed = [AuthRoute::from("/a"), AuthRoute::new("/a/b", ["GET"])];
        assert_eq!(
            resources(AuthResponse::new(mixed, "p"), arn),
            json!([format!("{p}/*/a"), format!("{p}/GET/a/b")])
        );
    }

    #[test]
    fn root_resource_keeps_a_single_slash() {
        let arn = "arn:aws:execute-api:us-west-2:123:rest-api-id/dev/GET/";
        assert_eq!(
            resources(AuthResponse::new([AuthRoute::new("/", ["GET"])], "p"), arn),
            json!(["arn:aws:execute-api:us-west-2:123:rest-api-id/dev/GET/"])
        );
    }

    #[test]
    fn malformed_method_arns_and_contexts_are_errors_not_panics() {
        assert!(
            AuthResponse::new(["/"], "p")
                .to_policy("not-an-arn")
                .is_err()
        );
        assert!(
            AuthResponse::new(["/"], "p")
                .to_policy("arn:aws:execute-api:r:a:noslash")
                .is_err()
        );
        let err = AuthResponse::new(["/"], "p")
            .context(json!([1]))
            .to_policy(USERS_ARN)
            .unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");
    }

    #[test]
    fn unauthorized_displays_as_the_message_api_gateway_expects() {
        assert_eq!(AuthError::Unauthorized.to_string(), "Unauthorized");
    }
}
