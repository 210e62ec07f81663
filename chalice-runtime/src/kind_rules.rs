//! Which authorizers and route settings each API Gateway product has: a REST-only setting on
//! an HTTP API (or the reverse) is refused when the app starts, naming the route or the
//! authorizer, never silently dropped. The macros catch what one attribute shows; these are
//! the rules that need the app's kind, which only `App` knows.

use std::sync::OnceLock;

use crate::api_kind::ApiKind;
use crate::authorizer::AuthorizerKind;
use crate::contract::user_pool::issuer;
use crate::registry::{Registry, RegistryError, Route};

/// The identity-source prefixes a JWT authorizer may read its token from.
const JWT_SOURCE_PREFIXES: [&str; 2] = ["$request.header.", "$request.querystring."];

/// The registry of this program checked for an app of `kind`, once per kind.
pub(crate) fn registry_for(kind: ApiKind) -> Result<&'static Registry, &'static RegistryError> {
    static CHECKED: [OnceLock<Result<(), RegistryError>>; 2] = [OnceLock::new(), OnceLock::new()];
    let registry = Registry::global()?;
    let slot = match kind {
        ApiKind::Rest => &CHECKED[0],
        ApiKind::Http => &CHECKED[1],
    };
    slot.get_or_init(|| check(registry, kind))
        .as_ref()
        .map(|()| registry)
}

/// Checks every route and authorizer of `registry` against what `kind` supports.
pub(crate) fn check(registry: &Registry, kind: ApiKind) -> Result<(), RegistryError> {
    for authorizer in registry.authorizers() {
        check_authorizer(*authorizer, kind)?;
    }
    for route in registry.routes() {
        check_route(route, kind)?;
    }
    Ok(())
}

fn error(message: String) -> RegistryError {
    RegistryError::new(message)
}

/// "route GET /orders/{id} (`get_order` at src/lib.rs:12)".
fn describe(route: &Route) -> String {
    format!(
        "route {} {} (`{}` at {})",
        route.method(),
        route.path(),
        route.view_name(),
        route.location()
    )
}

fn check_authorizer(authorizer: AuthorizerKind, kind: ApiKind) -> Result<(), RegistryError> {
    match (authorizer, kind) {
        (AuthorizerKind::Builtin(builtin), ApiKind::Rest) if builtin.simple_responses() => {
            Err(error(format!(
                "the built-in authorizer `{}` has `simple_responses = true`, which only HTTP APIs \
                 have; make the app an HTTP API (`App::new(..).http_api()`) or return an \
                 `AuthResponse` without `simple_responses`",
                builtin.name()
            )))
        }
        (AuthorizerKind::Custom(custom), ApiKind::Rest) if custom.has_simple_responses() => {
            Err(error(format!(
                "the existing Lambda authorizer `{}` has `simple_responses()`, which only HTTP \
                 APIs have; make the app an HTTP API (`App::new(..).http_api()`) or remove it",
                custom.name()
            )))
        }
        (AuthorizerKind::Jwt(jwt), ApiKind::Http) => {
            let source = jwt.identity_source_name();
            let valid_source = JWT_SOURCE_PREFIXES.iter().any(|prefix| {
                source
                    .strip_prefix(prefix)
                    .is_some_and(|name| !name.is_empty())
            });
            if !valid_source {
                return Err(error(format!(
                    "the JWT authorizer `{}`: identity source `{source}` must be \
                     `$request.header.<name>` or `$request.querystring.<name>`",
                    jwt.name()
                )));
            }
            if jwt.audiences().is_empty() {
                return Err(error(format!(
                    "the JWT authorizer `{}` has no audience; API Gateway needs at least one",
                    jwt.name()
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_route(route: &Route, kind: ApiKind) -> Result<(), RegistryError> {
    match (route.authorizer(), kind) {
        (Some(AuthorizerKind::Jwt(jwt)), ApiKind::Rest) => {
            return Err(error(format!(
                "{} names the JWT authorizer `{}`, which only HTTP APIs have; make the app an \
                 HTTP API (`App::new(..).http_api()`), or use a Cognito user pool or built-in \
                 authorizer",
                describe(route),
                jwt.name()
            )));
        }
        (Some(AuthorizerKind::Cognito(pool)), ApiKind::Http) => {
            let issuers: Vec<String> = pool
                .provider_arns()
                .iter()
                .filter_map(|arn| issuer(arn))
                .collect();
            return Err(error(format!(
                "{} names the Cognito user pool authorizer `{}`, which HTTP APIs do not have; \
                 use a `JwtAuthorizer` with the pool's issuer ({}) and its app client id as the \
                 audience",
                describe(route),
                pool.name(),
                issuers.join(", ")
            )));
        }
        _ => {}
    }
    if kind == ApiKind::Http && route.api_key_required() {
        return Err(error(format!(
            "{} has `api_key_required`, but HTTP APIs have no API keys; remove it or make the \
             app a REST API",
            describe(route)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorizer::{
        AuthType, BuiltinAuthorizer, BuiltinAuthorizerSettings, CognitoUserPoolAuthorizer,
        CustomAuthorizer, JwtAuthorizer,
    };
    use crate::registry::{AuthorizerDef, Handler, Location, RouteDef};
    use crate::request::Request;
    use crate::response::Response;

    fn view(_: Request) -> Response {
        Response::new("")
    }

    const HERE: Location = Location {
        module: "tests",
        file: "kind_rules.rs",
        line: 7,
    };

    const SHAPE: RouteDef = RouteDef {
        path: "/orders/{id}",
        methods: &["GET"],
        view_name: "get_order",
        authorizer: None,
        scopes: None,
        cors: false,
        content_types: &["application/json"],
        api_key_required: false,
        handler: Handler::Sync(view),
        location: HERE,
    };

    static JWT: JwtAuthorizer = JwtAuthorizer::new("jwt", "https://issuer.example.com", &["a"]);
    static BEHIND_JWT: RouteDef = RouteDef {
        authorizer: Some(&JWT),
        ..SHAPE
    };
    static POOL: CognitoUserPoolAuthorizer = CognitoUserPoolAuthorizer::new(
        "pool",
        &["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"],
    );
    static BEHIND_POOL: RouteDef = RouteDef {
        authorizer: Some(&POOL),
        ..SHAPE
    };
    static WITH_KEY: RouteDef = RouteDef {
        api_key_required: true,
        ..SHAPE
    };
    static SIMPLE_CUSTOM: CustomAuthorizer = CustomAuthorizer::new("ext", "uri").simple_responses();
    static BEHIND_SIMPLE_CUSTOM: RouteDef = RouteDef {
        authorizer: Some(&SIMPLE_CUSTOM),
        ..SHAPE
    };
    static BAD_SOURCE: JwtAuthorizer =
        JwtAuthorizer::new("odd", "https://issuer.example.com", &["a"]).identity_source("header.X");
    static BEHIND_BAD_SOURCE: RouteDef = RouteDef {
        authorizer: Some(&BAD_SOURCE),
        ..SHAPE
    };
    static NO_AUDIENCE: JwtAuthorizer =
        JwtAuthorizer::new("deaf", "https://issuer.example.com", &[]);
    static BEHIND_NO_AUDIENCE: RouteDef = RouteDef {
        authorizer: Some(&NO_AUDIENCE),
        ..SHAPE
    };

    fn allow(_: crate::auth::AuthRequest) -> crate::authorizer::AuthFuture {
        Box::pin(async { Ok(crate::AuthAnswer::Raw(serde_json::Value::Null)) })
    }
    static SIMPLE: BuiltinAuthorizer = BuiltinAuthorizer::new(BuiltinAuthorizerSettings {
        name: "gate",
        function: "gate",
        auth_type: AuthType::Request,
        header: "Authorization",
        ttl_seconds: None,
        execution_role: None,
        identity_sources: &["header.X-Token"],
        simple_responses: true,
        handler: allow,
    });
    static SIMPLE_DEF: AuthorizerDef = AuthorizerDef {
        authorizer: &SIMPLE,
        location: HERE,
    };

    fn error(
        routes: &[&'static RouteDef],
        authorizers: &[&'static AuthorizerDef],
        kind: ApiKind,
    ) -> String {
        let registry =
            Registry::build(routes.iter().copied(), authorizers.iter().copied()).unwrap();
        check(&registry, kind).unwrap_err().to_string()
    }

    #[test]
    fn a_jwt_authorizer_on_a_rest_api_names_the_route() {
        let message = error(&[&BEHIND_JWT], &[], ApiKind::Rest);
        assert!(
            message.contains("route GET /orders/{id} (`get_order` at kind_rules.rs:7)"),
            "{message}"
        );
        assert!(message.contains("JWT authorizer `jwt`"), "{message}");
        assert!(message.contains("http_api()"), "{message}");
        let registry = Registry::build([&BEHIND_JWT], []).unwrap();
        assert_eq!(check(&registry, ApiKind::Http), Ok(()));
    }

    #[test]
    fn simple_responses_on_a_rest_api_name_the_authorizer() {
        let message = error(&[], &[&SIMPLE_DEF], ApiKind::Rest);
        assert!(message.contains("built-in authorizer `gate`"), "{message}");
        let message = error(&[&BEHIND_SIMPLE_CUSTOM], &[], ApiKind::Rest);
        assert!(
            message.contains("existing Lambda authorizer `ext`"),
            "{message}"
        );
        let registry = Registry::build([&BEHIND_SIMPLE_CUSTOM], [&SIMPLE_DEF]).unwrap();
        assert_eq!(check(&registry, ApiKind::Http), Ok(()));
    }

    #[test]
    fn a_cognito_authorizer_on_an_http_api_names_the_route_and_the_issuer_to_use() {
        let message = error(&[&BEHIND_POOL], &[], ApiKind::Http);
        assert!(message.contains("route GET /orders/{id}"), "{message}");
        assert!(message.contains("`pool`"), "{message}");
        assert!(
            message.contains("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"),
            "{message}"
        );
        let registry = Registry::build([&BEHIND_POOL], []).unwrap();
        assert_eq!(check(&registry, ApiKind::Rest), Ok(()));
    }

    #[test]
    fn api_keys_on_an_http_api_name_the_route() {
        let message = error(&[&WITH_KEY], &[], ApiKind::Http);
        assert!(message.contains("route GET /orders/{id}"), "{message}");
        assert!(message.contains("no API keys"), "{message}");
    }

    #[test]
    fn a_jwt_authorizer_needs_a_request_source_and_an_audience() {
        let message = error(&[&BEHIND_BAD_SOURCE], &[], ApiKind::Http);
        assert!(
            message.contains("`odd`") && message.contains("`header.X`"),
            "{message}"
        );
        let message = error(&[&BEHIND_NO_AUDIENCE], &[], ApiKind::Http);
        assert!(message.contains("`deaf` has no audience"), "{message}");
    }
}
