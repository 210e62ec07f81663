//! The kinds of authorizer a route can name: IAM, Cognito user pools, an existing Lambda
//! ("custom"), built-in authorizers written in the app with `#[app::authorizer]`, and JWT
//! authorizers (HTTP APIs only).
//!
//! Each is a `static` (the built-in kind is the static the attribute makes of the function),
//! so a route refers to any of them by name and they are all known at compile time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::auth::{AuthError, AuthRequest};
use crate::auth_answer::AuthAnswer;
use crate::unwind::{self, CatchUnwind};

/// The header API Gateway reads the token from unless told otherwise.
pub const DEFAULT_HEADER: &str = "Authorization";

/// AWS IAM (SigV4) authorization, as Chalice's `IAMAuthorizer()`.
///
/// Its security definition is always named `sigv4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamAuthorizer {
    _private: (),
}

impl IamAuthorizer {
    /// The IAM authorizer.
    pub const fn new() -> Self {
        IamAuthorizer { _private: () }
    }

    /// The security definition name Chalice gives every IAM authorizer.
    pub const fn name(&self) -> &'static str {
        "sigv4"
    }
}

impl Default for IamAuthorizer {
    fn default() -> Self {
        Self::new()
    }
}

/// A Cognito user pool authorizer, as Chalice's `CognitoUserPoolAuthorizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CognitoUserPoolAuthorizer {
    name: &'static str,
    provider_arns: &'static [&'static str],
    header: &'static str,
    scopes: &'static [&'static str],
}

impl CognitoUserPoolAuthorizer {
    /// An authorizer named `name` accepting tokens of the given user pools.
    pub const fn new(name: &'static str, provider_arns: &'static [&'static str]) -> Self {
        CognitoUserPoolAuthorizer {
            name,
            provider_arns,
            header: DEFAULT_HEADER,
            scopes: &[],
        }
    }

    /// Reads the token from another header.
    pub const fn header(mut self, header: &'static str) -> Self {
        self.header = header;
        self
    }

    /// OAuth scopes required on every route that does not name its own.
    pub const fn scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.scopes = scopes;
        self
    }

    /// The name, which is the security definition's key.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The user pool ARNs.
    pub const fn provider_arns(&self) -> &'static [&'static str] {
        self.provider_arns
    }

    /// The header holding the token.
    pub const fn header_name(&self) -> &'static str {
        self.header
    }

    /// The default scopes.
    pub const fn default_scopes(&self) -> &'static [&'static str] {
        self.scopes
    }
}

/// An authorizer Lambda that exists outside the app, as Chalice's `CustomAuthorizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomAuthorizer {
    name: &'static str,
    authorizer_uri: &'static str,
    ttl_seconds: u32,
    header: &'static str,
    invoke_role_arn: Option<&'static str>,
    identity_sources: Option<&'static [&'static str]>,
    scopes: &'static [&'static str],
    simple_responses: bool,
}

impl CustomAuthorizer {
    /// A TOKEN authorizer named `name` calling the Lambda at `authorizer_uri`
    /// (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<lambda-arn>/invocations`),
    /// caching its answers for 300 seconds as Chalice does by default.
    pub const fn new(name: &'static str, authorizer_uri: &'static str) -> Self {
        CustomAuthorizer {
            name,
            authorizer_uri,
            ttl_seconds: 300,
            header: DEFAULT_HEADER,
            invoke_role_arn: None,
            identity_sources: None,
            scopes: &[],
            simple_responses: false,
        }
    }

    /// Reads the token from another header.
    pub const fn header(mut self, header: &'static str) -> Self {
        self.header = header;
        self
    }

    /// HTTP APIs only: the Lambda answers `{"isAuthorized": .., "context": ..}` (API Gateway's
    /// `EnableSimpleResponses`) rather than an IAM policy.
    pub const fn simple_responses(mut self) -> Self {
        self.simple_responses = true;
        self
    }

    /// Whether the Lambda answers in the simple format (HTTP APIs).
    pub const fn has_simple_responses(&self) -> bool {
        self.simple_responses
    }

    /// How long API Gateway caches an answer; 0 turns caching off.
    pub const fn ttl_seconds(mut self, ttl_seconds: u32) -> Self {
        self.ttl_seconds = ttl_seconds;
        self
    }

    /// The role API Gateway assumes to invoke the authorizer Lambda, instead of a permission.
    pub const fn invoke_role_arn(mut self, invoke_role_arn: &'static str) -> Self {
        self.invoke_role_arn = Some(invoke_role_arn);
        self
    }

    /// Makes it a REQUEST authorizer with these identity sources
    /// (`header.X-Token`, `querystring.key`, `stageVariables.name`, `context.name`).
    pub const fn identity_sources(mut self, sources: &'static [&'static str]) -> Self {
        self.identity_sources = Some(sources);
        self
    }

    /// OAuth scopes listed on every route that does not name its own.
    pub const fn scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.scopes = scopes;
        self
    }

    /// The name, which is the security definition's key.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The Lambda invocation URI.
    pub const fn authorizer_uri(&self) -> &'static str {
        self.authorizer_uri
    }

    /// The cache TTL in seconds.
    pub const fn ttl(&self) -> u32 {
        self.ttl_seconds
    }

    /// The header holding the token (TOKEN authorizers).
    pub const fn header_name(&self) -> &'static str {
        self.header
    }

    /// The invoke role, if any.
    pub const fn invoke_role(&self) -> Option<&'static str> {
        self.invoke_role_arn
    }

    /// The identity sources of a REQUEST authorizer; `None` for TOKEN.
    pub const fn request_identity_sources(&self) -> Option<&'static [&'static str]> {
        self.identity_sources
    }

    /// The default scopes.
    pub const fn default_scopes(&self) -> &'static [&'static str] {
        self.scopes
    }
}

/// The identity source a JWT authorizer reads its token from unless told otherwise.
pub const DEFAULT_JWT_IDENTITY_SOURCE: &str = "$request.header.Authorization";

/// A JWT authorizer (HTTP APIs only): API Gateway itself verifies the token against the
/// issuer's keys, its audience, expiry and the route's scopes.
///
/// ```
/// use chalice_runtime::JwtAuthorizer;
/// static JWT: JwtAuthorizer =
///     JwtAuthorizer::new("jwt", "https://issuer.example.com", &["orders-api"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwtAuthorizer {
    name: &'static str,
    issuer: &'static str,
    audiences: &'static [&'static str],
    identity_source: &'static str,
    scopes: &'static [&'static str],
}

impl JwtAuthorizer {
    /// An authorizer named `name` accepting tokens of `issuer` for one of `audiences`, read
    /// from the `Authorization` header.
    pub const fn new(
        name: &'static str,
        issuer: &'static str,
        audiences: &'static [&'static str],
    ) -> Self {
        JwtAuthorizer {
            name,
            issuer,
            audiences,
            identity_source: DEFAULT_JWT_IDENTITY_SOURCE,
            scopes: &[],
        }
    }

    /// Reads the token elsewhere, as API Gateway writes it (`$request.header.X-Token`).
    pub const fn identity_source(mut self, identity_source: &'static str) -> Self {
        self.identity_source = identity_source;
        self
    }

    /// OAuth scopes required on every route that does not name its own.
    pub const fn scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.scopes = scopes;
        self
    }

    /// The name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The issuer (`iss`) tokens must carry.
    pub const fn issuer(&self) -> &'static str {
        self.issuer
    }

    /// The accepted audiences.
    pub const fn audiences(&self) -> &'static [&'static str] {
        self.audiences
    }

    /// Where the token is read, as API Gateway writes it.
    pub const fn identity_source_name(&self) -> &'static str {
        self.identity_source
    }

    /// The default scopes.
    pub const fn default_scopes(&self) -> &'static [&'static str] {
        self.scopes
    }
}

/// A Lambda authorizer's identity sources on an HTTP API, where every Lambda authorizer is a
/// REQUEST one: its own sources, or for a TOKEN-style one the header `H` as `header.H`.
pub(crate) fn http_identity_sources(request_sources: Option<&[&str]>, header: &str) -> Vec<String> {
    match request_sources {
        Some(sources) => sources.iter().map(|source| (*source).to_owned()).collect(),
        None => vec![format!("header.{header}")],
    }
}

/// How API Gateway calls a Lambda authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// One token, from one header.
    Token,
    /// The whole request, with identity sources from headers, query, stage variables, context.
    Request,
}

impl AuthType {
    /// API Gateway's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthType::Token => "TOKEN",
            AuthType::Request => "REQUEST",
        }
    }
}

/// Why a built-in authorizer did not produce a policy.
#[derive(Debug)]
pub enum AuthFailure {
    /// It returned [`AuthError::Unauthorized`]: 401.
    Unauthorized,
    /// It failed: API Gateway answers 500 (`AuthorizerConfigurationException`).
    Error(Box<dyn std::error::Error + Send + Sync>),
}

impl AuthFailure {
    /// Sorts an error the user's function returned.
    pub fn from_error(error: Box<dyn std::error::Error + Send + Sync>) -> Self {
        match error.downcast_ref::<AuthError>() {
            Some(AuthError::Unauthorized) => AuthFailure::Unauthorized,
            None => AuthFailure::Error(error),
        }
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthFailure::Unauthorized => f.write_str("Unauthorized"),
            AuthFailure::Error(error) => write!(f, "{error}"),
        }
    }
}

/// So a test can use `?` on [`BuiltinAuthorizer::call`] and the test client's
/// `invoke()`.
impl std::error::Error for AuthFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthFailure::Unauthorized => None,
            AuthFailure::Error(error) => Some(&**error),
        }
    }
}

/// The future a built-in authorizer's generated handler returns: the policy, or why not.
pub type AuthFuture = Pin<Box<dyn Future<Output = Result<AuthAnswer, AuthFailure>> + Send>>;

/// A built-in authorizer: an app function turned into its own Lambda by `#[app::authorizer]`.
///
/// The attribute replaces the function's name with a static of this type, as Chalice binds the
/// decorated name to a `ChaliceAuthorizer`; call it through the test client or [`Self::call`].
pub struct BuiltinAuthorizer {
    name: &'static str,
    function: &'static str,
    auth_type: AuthType,
    header: &'static str,
    ttl_seconds: Option<u32>,
    execution_role: Option<&'static str>,
    identity_sources: &'static [&'static str],
    simple_responses: bool,
    handler: fn(AuthRequest) -> AuthFuture,
}

/// The settings of `#[app::authorizer(..)]`, checked by the macro, which builds the authorizer
/// through `__private::builtin_authorizer`.
pub struct BuiltinAuthorizerSettings {
    pub name: &'static str,
    pub function: &'static str,
    pub auth_type: AuthType,
    pub header: &'static str,
    pub ttl_seconds: Option<u32>,
    pub execution_role: Option<&'static str>,
    pub identity_sources: &'static [&'static str],
    /// HTTP APIs: the function returns a `SimpleAuthResponse`.
    pub simple_responses: bool,
    pub handler: fn(AuthRequest) -> AuthFuture,
}

impl BuiltinAuthorizer {
    pub(crate) const fn new(settings: BuiltinAuthorizerSettings) -> Self {
        BuiltinAuthorizer {
            name: settings.name,
            function: settings.function,
            auth_type: settings.auth_type,
            header: settings.header,
            ttl_seconds: settings.ttl_seconds,
            execution_role: settings.execution_role,
            identity_sources: settings.identity_sources,
            simple_responses: settings.simple_responses,
            handler: settings.handler,
        }
    }

    /// The name: the security definition key, the Lambda's suffix and its handler string.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The Rust function it was made from.
    pub const fn function(&self) -> &'static str {
        self.function
    }

    /// TOKEN or REQUEST.
    pub const fn auth_type(&self) -> AuthType {
        self.auth_type
    }

    /// The token header (TOKEN authorizers).
    pub const fn header(&self) -> &'static str {
        self.header
    }

    /// The cache TTL; `None` is API Gateway's default of 300 seconds.
    pub const fn ttl_seconds(&self) -> Option<u32> {
        self.ttl_seconds
    }

    /// The role API Gateway assumes to invoke the authorizer Lambda.
    pub const fn execution_role(&self) -> Option<&'static str> {
        self.execution_role
    }

    /// The identity sources (REQUEST authorizers).
    pub const fn identity_sources(&self) -> &'static [&'static str] {
        self.identity_sources
    }

    /// Its identity sources on an HTTP API (see [`http_identity_sources`]).
    pub(crate) fn http_identity_sources(&self) -> Vec<String> {
        let request_sources = match self.auth_type {
            AuthType::Request => Some(self.identity_sources),
            AuthType::Token => None,
        };
        http_identity_sources(request_sources, self.header)
    }

    /// Whether it answers with a `SimpleAuthResponse` (HTTP APIs' simple format).
    pub const fn simple_responses(&self) -> bool {
        self.simple_responses
    }

    /// Runs the user's function on `request` and returns the policy API Gateway would get. A
    /// panic is a failure, as an error is (API Gateway: 500).
    pub async fn call(&self, request: AuthRequest) -> Result<AuthAnswer, AuthFailure> {
        let answer = match unwind::catch(|| (self.handler)(request)) {
            Ok(future) => CatchUnwind(future).await,
            Err(message) => Err(message),
        };
        answer.unwrap_or_else(|message| {
            Err(AuthFailure::Error(
                format!("the authorizer `{}` panicked: {message}", self.name).into(),
            ))
        })
    }
}

impl fmt::Debug for BuiltinAuthorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltinAuthorizer")
            .field("name", &self.name)
            .field("function", &self.function)
            .field("auth_type", &self.auth_type)
            .field("header", &self.header)
            .field("ttl_seconds", &self.ttl_seconds)
            .field("execution_role", &self.execution_role)
            .field("identity_sources", &self.identity_sources)
            .field("simple_responses", &self.simple_responses)
            .finish()
    }
}

/// One authorizer of any kind, as a route refers to it.
#[derive(Debug, Clone, Copy)]
pub enum AuthorizerKind {
    /// IAM.
    Iam(&'static IamAuthorizer),
    /// Cognito user pool.
    Cognito(&'static CognitoUserPoolAuthorizer),
    /// Existing Lambda.
    Custom(&'static CustomAuthorizer),
    /// Built in.
    Builtin(&'static BuiltinAuthorizer),
    /// JWT (HTTP APIs).
    Jwt(&'static JwtAuthorizer),
}

impl AuthorizerKind {
    /// The name routes and security definitions know it by.
    pub fn name(self) -> &'static str {
        match self {
            AuthorizerKind::Iam(iam) => iam.name(),
            AuthorizerKind::Cognito(cognito) => cognito.name(),
            AuthorizerKind::Custom(custom) => custom.name(),
            AuthorizerKind::Builtin(builtin) => builtin.name(),
            AuthorizerKind::Jwt(jwt) => jwt.name(),
        }
    }

    /// The scopes a route gets when it names none.
    pub fn default_scopes(self) -> &'static [&'static str] {
        match self {
            AuthorizerKind::Cognito(cognito) => cognito.default_scopes(),
            AuthorizerKind::Custom(custom) => custom.default_scopes(),
            AuthorizerKind::Jwt(jwt) => jwt.default_scopes(),
            AuthorizerKind::Iam(_) | AuthorizerKind::Builtin(_) => &[],
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::IamAuthorizer {}
    impl Sealed for super::CognitoUserPoolAuthorizer {}
    impl Sealed for super::CustomAuthorizer {}
    impl Sealed for super::BuiltinAuthorizer {}
    impl Sealed for super::JwtAuthorizer {}
}

/// Implemented by the five authorizer kinds, so `authorizer = X` accepts any of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authorizer",
    label = "not an authorizer",
    note = "`authorizer = ..` names a `#[app::authorizer]` function or a static `IamAuthorizer`, `CognitoUserPoolAuthorizer`, `CustomAuthorizer` or `JwtAuthorizer`"
)]
pub trait Authorizer: Sync + sealed::Sealed {
    /// This authorizer, by kind.
    fn kind(&'static self) -> AuthorizerKind;
}

impl Authorizer for IamAuthorizer {
    fn kind(&'static self) -> AuthorizerKind {
        AuthorizerKind::Iam(self)
    }
}

impl Authorizer for CognitoUserPoolAuthorizer {
    fn kind(&'static self) -> AuthorizerKind {
        AuthorizerKind::Cognito(self)
    }
}

impl Authorizer for CustomAuthorizer {
    fn kind(&'static self) -> AuthorizerKind {
        AuthorizerKind::Custom(self)
    }
}

impl Authorizer for BuiltinAuthorizer {
    fn kind(&'static self) -> AuthorizerKind {
        AuthorizerKind::Builtin(self)
    }
}

impl Authorizer for JwtAuthorizer {
    fn kind(&'static self) -> AuthorizerKind {
        AuthorizerKind::Jwt(self)
    }
}

/// Authorizers whose routes may list OAuth scopes; IAM may not, as in Chalice.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authorizer that takes `scopes`",
    label = "cannot take `scopes`",
    note = "scopes need a `#[app::authorizer]` function or a static `CognitoUserPoolAuthorizer`, `CustomAuthorizer` or `JwtAuthorizer`; an `IamAuthorizer` takes none: remove `scopes` or name another authorizer"
)]
pub trait SupportsScopes: Authorizer {}

impl SupportsScopes for CognitoUserPoolAuthorizer {}
impl SupportsScopes for CustomAuthorizer {}
impl SupportsScopes for BuiltinAuthorizer {}
impl SupportsScopes for JwtAuthorizer {}

#[cfg(test)]
mod tests {
    use super::*;

    static POOL: CognitoUserPoolAuthorizer =
        CognitoUserPoolAuthorizer::new("MyPool", &["arn:pool"]).header("X-Auth");
    static CUSTOM: CustomAuthorizer = CustomAuthorizer::new("MyAuth", "uri");
    static IAM: IamAuthorizer = IamAuthorizer::new();

    #[test]
    fn defaults_follow_chalice() {
        assert_eq!(IAM.name(), "sigv4");
        assert_eq!(CUSTOM.ttl(), 300);
        assert_eq!(CUSTOM.header_name(), "Authorization");
        assert_eq!(CUSTOM.invoke_role(), None);
        assert_eq!(POOL.header_name(), "X-Auth");
        assert_eq!(POOL.provider_arns(), ["arn:pool"]);
    }

    #[test]
    fn kinds_know_their_names() {
        let all: [&'static dyn Authorizer; 3] = [&IAM, &POOL, &CUSTOM];
        let names: Vec<_> = all.iter().map(|a| a.kind().name()).collect();
        assert_eq!(names, ["sigv4", "MyPool", "MyAuth"]);
    }

    #[test]
    fn only_unauthorized_is_a_401() {
        let failure = AuthFailure::from_error(Box::new(AuthError::Unauthorized));
        assert!(matches!(failure, AuthFailure::Unauthorized));
        let failure = AuthFailure::from_error("Authorization failed".into());
        assert!(matches!(failure, AuthFailure::Error(_)));
    }
}
