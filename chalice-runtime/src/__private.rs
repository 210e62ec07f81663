//! What the attribute macros' expansions call. Not a public API: names here may change in any
//! release, so the macros are its only users.

use std::fmt::Display;
use std::future::Future;
use std::str::FromStr;

use serde_json::Value;

pub use inventory;

pub use crate::authorizer::{
    AuthFuture, AuthType, Authorizer, BuiltinAuthorizer, BuiltinAuthorizerSettings, SupportsScopes,
};
pub use crate::registry::{AuthorizerDef, Handler, Location, RouteDef, ViewFuture};
pub use crate::response::IntoResponse;

use crate::auth::{AuthRequest, AuthResponse, SimpleAuthResponse};
use crate::auth_answer::AuthAnswer;
use crate::authorizer::{AuthFailure, DEFAULT_HEADER};
use crate::cors::CorsConfig;
use crate::error::Error;
use crate::request::Request;
use crate::response::Response;

/// `cors = true`.
pub static DEFAULT_CORS: CorsConfig = CorsConfig::DEFAULT;

/// `cors = CONFIG`: the macro passes the named item here, so anything but a `CorsConfig` is one
/// type error on the user's name for it.
pub const fn cors_config(config: &'static CorsConfig) -> Option<&'static CorsConfig> {
    Some(config)
}

/// Boxes a view's future.
pub fn view_future<F: Future<Output = Response> + Send + 'static>(future: F) -> ViewFuture {
    Box::pin(future)
}

/// Boxes an authorizer's future.
pub fn auth_future<F>(future: F) -> AuthFuture
where
    F: Future<Output = Result<AuthAnswer, AuthFailure>> + Send + 'static,
{
    Box::pin(future)
}

/// The type of a view's `{param}` argument: anything `FromStr` whose error is `Display`.
///
/// The macro binds each `{param}` through this trait, spanned on the argument's type, so a type
/// that does not parse is one error on that type, in the user's words.
#[diagnostic::on_unimplemented(
    message = "a `{{param}}` argument cannot be of type `{Self}`: it does not implement `FromStr`",
    label = "not `FromStr`",
    note = "path parameters are parsed with `FromStr` (whose error implements `Display`); take a `String`, a number, or your own `FromStr` type"
)]
pub trait PathParam: Sized {
    /// Reads and parses the `{param}` called `name`; a value that does not parse is a 400.
    fn from_path(request: &Request, name: &str) -> Result<Self, Error>;
}

impl<T> PathParam for T
where
    T: FromStr,
    T::Err: Display,
{
    fn from_path(request: &Request, name: &str) -> Result<Self, Error> {
        path_param(request, name)
    }
}

/// Reads and parses one `{param}` of the route; a value that does not parse is a 400.
pub fn path_param<T>(request: &Request, name: &str) -> Result<T, Error>
where
    T: FromStr,
    T::Err: Display,
{
    let Some(raw) = request.uri_params.get(name) else {
        return Err(Error::bad_request(format!(
            "missing path parameter '{name}'"
        )));
    };
    raw.parse().map_err(|error| {
        Error::bad_request(format!(
            "invalid value for path parameter '{name}': {error}"
        ))
    })
}

/// The type of a view's reference argument, which is the request.
#[diagnostic::on_unimplemented(
    message = "a route function takes the request as `&Request`, not `{Self}`",
    label = "expected `&Request`",
    note = "a route function takes its `{{param}}`s by name and, optionally, `&Request`"
)]
pub trait RequestArg<'a> {
    /// The argument, from the request.
    fn from_request(request: &'a Request) -> Self;
}

impl<'a> RequestArg<'a> for &'a Request {
    fn from_request(request: &'a Request) -> Self {
        request
    }
}

/// The type of a built-in authorizer's argument, which is the `AuthRequest`.
#[diagnostic::on_unimplemented(
    message = "an authorizer function takes an `AuthRequest`, not `{Self}`",
    label = "expected `AuthRequest`",
    note = "write it as `fn auth(auth: AuthRequest) -> AuthResponse`, taking the request by value; the token is `auth.token`"
)]
pub trait AuthRequestArg {
    /// The argument, from the request.
    fn from_auth_request(request: AuthRequest) -> Self;
}

impl AuthRequestArg for AuthRequest {
    fn from_auth_request(request: AuthRequest) -> Self {
        request
    }
}

/// The static `#[app::authorizer]` makes of a function.
pub const fn builtin_authorizer(settings: BuiltinAuthorizerSettings) -> BuiltinAuthorizer {
    BuiltinAuthorizer::new(settings)
}

/// Stands in for a `#[app::authorizer]` function the macro rejected, under the function's name,
/// so that routes naming it add no errors of their own. Never runs: the crate does not compile.
pub const fn rejected_authorizer(function: &'static str) -> BuiltinAuthorizer {
    fn handler(_: AuthRequest) -> AuthFuture {
        auth_future(async { Err(AuthFailure::Error("rejected by #[app::authorizer]".into())) })
    }
    BuiltinAuthorizer::new(BuiltinAuthorizerSettings {
        name: function,
        function,
        auth_type: AuthType::Token,
        header: DEFAULT_HEADER,
        ttl_seconds: None,
        execution_role: None,
        identity_sources: &[],
        simple_responses: false,
        handler,
    })
}

/// Anything a built-in authorizer may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from an authorizer",
    label = "not an authorizer result",
    note = "an authorizer returns `AuthResponse`, a raw policy as `serde_json::Value`, or `Result<T, E>` of one of these where `E` converts into `Box<dyn Error + Send + Sync>`; a `SimpleAuthResponse` needs `simple_responses = true`"
)]
pub trait IntoAuthorizerResult {
    /// The policy API Gateway gets for a request to `method_arn`.
    fn into_policy(self, method_arn: &str) -> Result<AuthAnswer, AuthFailure>;
}

impl IntoAuthorizerResult for AuthResponse {
    fn into_policy(self, method_arn: &str) -> Result<AuthAnswer, AuthFailure> {
        self.policy(method_arn)
            .map(AuthAnswer::Built)
            .map_err(|error| AuthFailure::Error(Box::new(error)))
    }
}

/// A raw policy goes to API Gateway unmodified, as in Chalice.
impl IntoAuthorizerResult for Value {
    fn into_policy(self, _method_arn: &str) -> Result<AuthAnswer, AuthFailure> {
        Ok(AuthAnswer::Raw(self))
    }
}

// Without this, a bad `E` is reported as std's "`E: Error` is not satisfied"; with it, as
// "`Result<_, E>` cannot be returned from an authorizer" with the note above.
#[diagnostic::do_not_recommend]
impl<T, E> IntoAuthorizerResult for Result<T, E>
where
    T: IntoAuthorizerResult,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn into_policy(self, method_arn: &str) -> Result<AuthAnswer, AuthFailure> {
        match self {
            Ok(value) => value.into_policy(method_arn),
            Err(error) => Err(AuthFailure::from_error(error.into())),
        }
    }
}

/// Anything a built-in authorizer with `simple_responses = true` may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from an authorizer with `simple_responses = true`",
    label = "not a simple authorizer result",
    note = "with `simple_responses = true` an authorizer returns `SimpleAuthResponse` (or `Result<SimpleAuthResponse, E>`); to return an `AuthResponse` policy, remove `simple_responses`"
)]
pub trait IntoSimpleAuthorizerResult {
    /// The simple answer API Gateway gets.
    fn into_simple(self) -> Result<AuthAnswer, AuthFailure>;
}

impl IntoSimpleAuthorizerResult for SimpleAuthResponse {
    fn into_simple(self) -> Result<AuthAnswer, AuthFailure> {
        self.checked()
            .map(AuthAnswer::Simple)
            .map_err(|error| AuthFailure::Error(Box::new(error)))
    }
}

#[diagnostic::do_not_recommend]
impl<T, E> IntoSimpleAuthorizerResult for Result<T, E>
where
    T: IntoSimpleAuthorizerResult,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn into_simple(self) -> Result<AuthAnswer, AuthFailure> {
        match self {
            Ok(value) => value.into_simple(),
            Err(error) => Err(AuthFailure::from_error(error.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-west-2:1:id/dev/GET/a";

    #[test]
    fn raw_policies_pass_through_unchanged() {
        let raw = json!({"context": {"foo": "bar"}, "principalId": "user",
                         "policyDocument": {"Version": "2012-10-17", "Statement": []}});
        assert_eq!(raw.clone().into_policy(ARN).unwrap(), AuthAnswer::Raw(raw));
    }

    #[test]
    fn errors_sort_into_unauthorized_and_failures() {
        let unauthorized: Result<AuthResponse, AuthError> = Err(AuthError::Unauthorized);
        assert!(matches!(
            unauthorized.into_policy(ARN),
            Err(AuthFailure::Unauthorized)
        ));
        let boxed: Result<AuthResponse, Box<dyn std::error::Error + Send + Sync>> =
            Err(Box::new(AuthError::Unauthorized));
        assert!(matches!(
            boxed.into_policy(ARN),
            Err(AuthFailure::Unauthorized)
        ));
        let failed: Result<Value, std::io::Error> = Err(std::io::Error::other("db down"));
        match failed.into_policy(ARN) {
            Err(AuthFailure::Error(error)) => assert_eq!(error.to_string(), "db down"),
            other => panic!("{other:?}"),
        }
    }
}
