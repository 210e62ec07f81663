//! The routes and authorizers the attribute macros register at compile time, gathered and
//! checked once into a [`Registry`].

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use crate::authorizer::{Authorizer, AuthorizerKind, BuiltinAuthorizer};
use crate::contract::identity::IdentitySource;
use crate::contract::user_pool;
use crate::request::Request;
use crate::response::Response;

/// The handler string of the function that serves API Gateway's proxy events; each built-in
/// authorizer's function has the authorizer's name as its handler string. The deployer sets
/// them and the Lambda runtime reads them back (`_HANDLER`), so both take them from here.
pub const API_HANDLER: &str = "api_handler";

/// The future an `async` view's generated handler returns.
pub type ViewFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// How a route's view is called, as the macro generates it: a plain `fn` view is called in
/// place, without boxing a future that would only ever be polled once.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum Handler {
    /// A plain `fn` view.
    Sync(fn(Request) -> Response),
    /// An `async fn` view.
    Async(fn(Request) -> ViewFuture),
}

/// Where a route or authorizer was declared, for error messages.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Location {
    pub module: &'static str,
    pub file: &'static str,
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One `#[app::route]`, as the macro registers it.
#[doc(hidden)]
pub struct RouteDef {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    pub view_name: &'static str,
    pub authorizer: Option<&'static dyn Authorizer>,
    pub scopes: Option<&'static [&'static str]>,
    pub cors: bool,
    pub content_types: &'static [&'static str],
    pub api_key_required: bool,
    pub handler: Handler,
    pub location: Location,
}

/// One `#[app::authorizer]`, as the macro registers it.
#[doc(hidden)]
pub struct AuthorizerDef {
    pub authorizer: &'static BuiltinAuthorizer,
    pub location: Location,
}

inventory::collect!(RouteDef);
inventory::collect!(AuthorizerDef);

/// One method of one route.
#[derive(Clone, Copy)]
pub struct Route {
    path: &'static str,
    method: &'static str,
    def: &'static RouteDef,
    authorizer: Option<AuthorizerKind>,
}

impl Route {
    /// The resource path, e.g. `/users/{id}`.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The HTTP method, upper case.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The view function's name (or the route's `name = ".."`).
    pub fn view_name(&self) -> &'static str {
        self.def.view_name
    }

    /// The authorizer protecting it, if any.
    pub fn authorizer(&self) -> Option<AuthorizerKind> {
        self.authorizer
    }

    /// The OAuth scopes required: the route's own, else the authorizer's defaults.
    pub fn scopes(&self) -> &'static [&'static str] {
        match (self.def.scopes, self.authorizer) {
            (Some(scopes), _) => scopes,
            (None, Some(authorizer)) => authorizer.default_scopes(),
            (None, None) => &[],
        }
    }

    /// Whether API Gateway answers CORS preflights and adds CORS headers.
    pub fn cors(&self) -> bool {
        self.def.cors
    }

    /// The request content types the view accepts.
    pub fn content_types(&self) -> &'static [&'static str] {
        self.def.content_types
    }

    /// Whether an API key is required.
    pub fn api_key_required(&self) -> bool {
        self.def.api_key_required
    }

    /// The names of the path's `{param}` segments, in order.
    pub fn path_params(&self) -> Vec<&'static str> {
        path_params(self.path)
    }

    /// Where the route was declared.
    pub(crate) fn location(&self) -> Location {
        self.def.location
    }

    pub(crate) fn handler(&self) -> Handler {
        self.def.handler
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("path", &self.path)
            .field("method", &self.method)
            .field("view_name", &self.view_name())
            .field("authorizer", &self.authorizer.map(AuthorizerKind::name))
            .finish()
    }
}

/// The names of `{param}` segments of a resource path (`proxy` for a greedy `{proxy+}`).
pub(crate) fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.strip_suffix('+').unwrap_or(name))
        .collect()
}

/// Every route and authorizer of the app, checked for conflicts the macros cannot see
/// (they only see one module at a time).
#[derive(Debug)]
pub struct Registry {
    routes: Vec<Route>,
    authorizers: Vec<AuthorizerKind>,
}

/// A conflict between registrations in different places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError(String);

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegistryError {}

impl RegistryError {
    pub(crate) fn new(message: String) -> Self {
        RegistryError(message)
    }
}

impl Registry {
    /// The registry of this program: everything the macros registered, checked once.
    pub fn global() -> Result<&'static Registry, &'static RegistryError> {
        static REGISTRY: OnceLock<Result<Registry, RegistryError>> = OnceLock::new();
        REGISTRY
            .get_or_init(|| {
                Registry::build(
                    inventory::iter::<RouteDef>,
                    inventory::iter::<AuthorizerDef>,
                )
            })
            .as_ref()
    }

    /// Builds and checks a registry from registrations.
    pub(crate) fn build(
        route_defs: impl IntoIterator<Item = &'static RouteDef>,
        authorizer_defs: impl IntoIterator<Item = &'static AuthorizerDef>,
    ) -> Result<Registry, RegistryError> {
        let mut by_name: BTreeMap<&'static str, (AuthorizerKind, String)> = BTreeMap::new();
        let mut add_authorizer = |kind: AuthorizerKind, at: String| -> Result<(), RegistryError> {
            match by_name.get(kind.name()) {
                Some((existing, _)) if same_authorizer(*existing, kind) => Ok(()),
                Some((_, first)) => Err(RegistryError(format!(
                    "two different authorizers are named `{}` (at {first} and at {at}); \
                     authorizer names must be unique",
                    kind.name()
                ))),
                None => {
                    by_name.insert(kind.name(), (kind, at));
                    Ok(())
                }
            }
        };
        let mut authorizer_defs: Vec<_> = authorizer_defs.into_iter().collect();
        authorizer_defs
            .sort_by_key(|def| (def.authorizer.name(), def.location.file, def.location.line));
        for def in &authorizer_defs {
            // Its Lambda's handler string would select the API handler instead.
            if def.authorizer.name() == API_HANDLER {
                return Err(RegistryError(format!(
                    "the built-in authorizer at {} is named `{API_HANDLER}`, the handler string \
                     of the API function; give it another name",
                    def.location,
                )));
            }
            for source in def.authorizer.identity_sources() {
                IdentitySource::parse(source).map_err(|error| {
                    RegistryError(format!(
                        "the built-in authorizer `{}` at {}: {error}",
                        def.authorizer.name(),
                        def.location
                    ))
                })?;
            }
            add_authorizer(
                AuthorizerKind::Builtin(def.authorizer),
                def.location.to_string(),
            )?;
        }

        let mut routes: BTreeMap<(&'static str, &'static str), Route> = BTreeMap::new();
        for def in route_defs {
            let authorizer = def.authorizer.map(|a| a.kind());
            if let Some(kind) = authorizer {
                check_declaration(kind, def.location)?;
                add_authorizer(kind, def.location.to_string())?;
            }
            for &method in def.methods {
                let route = Route {
                    path: def.path,
                    method,
                    def,
                    authorizer,
                };
                if let Some(first) = routes.insert((def.path, method), route) {
                    return Err(RegistryError(format!(
                        "duplicate route {method} {}: declared by `{}` at {} and by `{}` at {}",
                        def.path,
                        first.view_name(),
                        first.location(),
                        def.view_name,
                        def.location
                    )));
                }
            }
        }
        Ok(Registry {
            routes: routes.into_values().collect(),
            authorizers: by_name.into_values().map(|(kind, _)| kind).collect(),
        })
    }

    /// Every route method, sorted by path then method.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route for `path` (a resource path) and `method`.
    pub fn route(&self, path: &str, method: &str) -> Option<&Route> {
        self.routes_on_path(path)
            .iter()
            .find(|route| route.method == method)
    }

    /// The routes declared on `path`, one per method.
    pub fn routes_on(&self, path: &str) -> impl Iterator<Item = &Route> {
        self.routes_on_path(path).iter()
    }

    /// The routes declared on `path`: found by binary search, as the routes are sorted by path,
    /// so a request's lookup does not grow with the number of routes.
    pub(crate) fn routes_on_path(&self, path: &str) -> &[Route] {
        let start = self.routes.partition_point(|route| route.path < path);
        let len = self.routes[start..].partition_point(|route| route.path == path);
        &self.routes[start..start + len]
    }

    /// Every authorizer: each built-in one (used or not, as Chalice deploys them all) and every
    /// other one a route names, sorted by name.
    pub fn authorizers(&self) -> &[AuthorizerKind] {
        &self.authorizers
    }

    /// The built-in authorizer named `name`.
    pub fn builtin_authorizer(&self, name: &str) -> Option<&'static BuiltinAuthorizer> {
        self.authorizers.iter().find_map(|kind| match kind {
            AuthorizerKind::Builtin(builtin) if builtin.name() == name => Some(*builtin),
            _ => None,
        })
    }
}

/// What API Gateway would refuse when the authorizer is created, refused when the app starts
/// instead of weakening what the local gateway checks.
fn check_declaration(kind: AuthorizerKind, at: Location) -> Result<(), RegistryError> {
    match kind {
        AuthorizerKind::Cognito(pool) => {
            user_pool::check_providers(pool.provider_arns()).map_err(|error| {
                RegistryError(format!(
                    "the Cognito user pool authorizer `{}` (used at {at}): {error}",
                    pool.name()
                ))
            })
        }
        _ => Ok(()),
    }
}

fn same_authorizer(a: AuthorizerKind, b: AuthorizerKind) -> bool {
    match (a, b) {
        (AuthorizerKind::Iam(_), AuthorizerKind::Iam(_)) => true,
        (AuthorizerKind::Cognito(a), AuthorizerKind::Cognito(b)) => a == b,
        (AuthorizerKind::Custom(a), AuthorizerKind::Custom(b)) => a == b,
        (AuthorizerKind::Jwt(a), AuthorizerKind::Jwt(b)) => a == b,
        (AuthorizerKind::Builtin(a), AuthorizerKind::Builtin(b)) => std::ptr::eq(a, b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorizer::CustomAuthorizer;

    fn view(_: Request) -> Response {
        Response::new("")
    }

    const HERE: Location = Location {
        module: "tests",
        file: "registry.rs",
        line: 1,
    };

    static A: CustomAuthorizer = CustomAuthorizer::new("Same", "uri-a");
    static B: CustomAuthorizer = CustomAuthorizer::new("Same", "uri-b");

    static ROUTE_A: RouteDef = RouteDef {
        path: "/a",
        methods: &["GET", "PUT"],
        view_name: "a",
        authorizer: Some(&A),
        scopes: None,
        cors: false,
        content_types: &["application/json"],
        api_key_required: false,
        handler: Handler::Sync(view),
        location: HERE,
    };
    static ROUTE_B: RouteDef = RouteDef {
        path: "/b",
        authorizer: Some(&B),
        view_name: "b",
        methods: &["GET"],
        ..ROUTE_SHAPE
    };
    static ROUTE_A_AGAIN: RouteDef = RouteDef {
        path: "/a",
        methods: &["PUT"],
        view_name: "a_again",
        ..ROUTE_SHAPE
    };
    const ROUTE_SHAPE: RouteDef = RouteDef {
        path: "/",
        methods: &["GET"],
        view_name: "index",
        authorizer: None,
        scopes: None,
        cors: false,
        content_types: &["application/json"],
        api_key_required: false,
        handler: Handler::Sync(view),
        location: HERE,
    };

    #[test]
    fn one_route_per_method_sorted() {
        let registry = Registry::build([&ROUTE_A], []).unwrap();
        let methods: Vec<_> = registry.routes().iter().map(Route::method).collect();
        assert_eq!(methods, ["GET", "PUT"]);
        assert_eq!(registry.authorizers().len(), 1);
        assert!(registry.route("/a", "PUT").is_some());
        assert!(registry.route("/a", "POST").is_none());
    }

    #[test]
    fn each_route_is_found_among_many_paths() {
        static ROOT: RouteDef = RouteDef {
            methods: &["GET", "POST"],
            ..ROUTE_SHAPE
        };
        static NESTED: RouteDef = RouteDef {
            path: "/a/{id}",
            view_name: "nested",
            ..ROUTE_SHAPE
        };
        static LAST: RouteDef = RouteDef {
            path: "/b",
            view_name: "last",
            ..ROUTE_SHAPE
        };
        let registry = Registry::build([&LAST, &NESTED, &ROUTE_A, &ROOT], []).unwrap();
        for route in registry.routes() {
            let found = registry.route(route.path(), route.method()).unwrap();
            assert_eq!(
                (found.path(), found.method()),
                (route.path(), route.method())
            );
            let on_path: Vec<_> = registry.routes_on(route.path()).map(Route::path).collect();
            assert!(!on_path.is_empty() && on_path.iter().all(|path| *path == route.path()));
        }
        assert_eq!(registry.routes_on("/").count(), 2);
        assert_eq!(registry.routes_on("/a").count(), 2);
        assert_eq!(registry.routes_on("/a/{id}").count(), 1);
        assert_eq!(registry.routes_on("/c").count(), 0);
        assert_eq!(registry.routes_on("").count(), 0);
        assert!(registry.route("/b", "POST").is_none());
    }

    #[test]
    fn duplicate_path_and_method_across_modules_is_an_error() {
        let err = Registry::build([&ROUTE_A, &ROUTE_A_AGAIN], []).unwrap_err();
        assert!(err.to_string().contains("duplicate route PUT /a"), "{err}");
    }

    #[test]
    fn two_authorizers_with_one_name_is_an_error() {
        let err = Registry::build([&ROUTE_A, &ROUTE_B], []).unwrap_err();
        assert!(err.to_string().contains("named `Same`"), "{err}");
    }

    fn deny_all(_: crate::auth::AuthRequest) -> crate::authorizer::AuthFuture {
        Box::pin(async { Ok(crate::AuthAnswer::Raw(serde_json::Value::Null)) })
    }

    static API_HANDLER_AUTH: BuiltinAuthorizer =
        BuiltinAuthorizer::new(crate::authorizer::BuiltinAuthorizerSettings {
            name: "api_handler",
            function: "api_handler",
            auth_type: crate::authorizer::AuthType::Token,
            header: "Authorization",
            ttl_seconds: None,
            execution_role: None,
            identity_sources: &[],
            simple_responses: false,
            handler: deny_all,
        });
    static API_HANDLER_DEF: AuthorizerDef = AuthorizerDef {
        authorizer: &API_HANDLER_AUTH,
        location: HERE,
    };

    #[test]
    fn an_authorizer_named_like_the_api_handler_is_an_error() {
        let err = Registry::build([], [&API_HANDLER_DEF]).unwrap_err();
        assert!(
            err.to_string()
                .contains("named `api_handler`, the handler string"),
            "{err}"
        );
    }

    static BAD_SOURCE_AUTH: BuiltinAuthorizer =
        BuiltinAuthorizer::new(crate::authorizer::BuiltinAuthorizerSettings {
            name: "by_context",
            function: "by_context",
            auth_type: crate::authorizer::AuthType::Request,
            header: "Authorization",
            ttl_seconds: None,
            execution_role: None,
            identity_sources: &["header.X-Token", "context.identity.nope"],
            simple_responses: false,
            handler: deny_all,
        });
    static BAD_SOURCE_DEF: AuthorizerDef = AuthorizerDef {
        authorizer: &BAD_SOURCE_AUTH,
        location: HERE,
    };

    #[test]
    fn an_identity_source_that_names_nothing_is_an_error_naming_the_authorizer() {
        let err = Registry::build([], [&BAD_SOURCE_DEF])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`by_context`"), "{err}");
        assert!(err.contains("`context.identity.nope`"), "{err}");
        assert!(err.contains("identity.sourceIp"), "{err}");
    }

    static NOT_A_POOL: crate::CognitoUserPoolAuthorizer =
        crate::CognitoUserPoolAuthorizer::new("Pool", &["MyPool"]);
    static BEHIND_NOT_A_POOL: RouteDef = RouteDef {
        authorizer: Some(&NOT_A_POOL),
        ..ROUTE_A
    };

    /// A provider that is no user pool would leave the token's issuer unchecked; API Gateway
    /// refuses such an authorizer when it is created.
    #[test]
    fn a_cognito_provider_that_is_no_user_pool_is_an_error_naming_it() {
        let err = Registry::build([&BEHIND_NOT_A_POOL], [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`Pool`"), "{err}");
        assert!(err.contains("`MyPool` is not a user-pool ARN"), "{err}");
    }

    #[test]
    fn path_params_are_read_in_order() {
        assert_eq!(path_params("/foo/{bar}/baz/{qux}"), ["bar", "qux"]);
        assert_eq!(path_params("/files/{id}/{proxy+}"), ["id", "proxy"]);
        assert!(path_params("/").is_empty());
    }
}
