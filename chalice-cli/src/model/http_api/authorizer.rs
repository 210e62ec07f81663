//! The authorizers of an HTTP API as API Gateway v2 holds them: JWT authorizers, which API
//! Gateway checks itself, and Lambda authorizers called with payload format 2.0. IAM needs no
//! authorizer resource. What only a REST API has (Cognito user pools) is an error here, naming
//! the authorizer and a route that uses it.

use chalice_runtime::manifest::{ManifestAuthorizer, ManifestRoute};

use crate::error::{Error, Result};
use crate::model::authorizer::{AuthorizationType, DEFAULT_TTL_SECONDS, Target};

/// The payload format of the Lambda authorizers and of the integration: API Gateway v2's.
pub const PAYLOAD_FORMAT_VERSION: &str = "2.0";

/// API Gateway's longest authorizer cache TTL.
pub const MAX_TTL_SECONDS: u32 = 3600;

/// The identity source of a JWT authorizer that names none.
pub const DEFAULT_JWT_IDENTITY_SOURCE: &str = "$request.header.Authorization";

/// One authorizer of the app on an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAuthorizer {
    /// Its name (also the security scheme's and the authorizer resource's).
    pub name: String,
    /// What API Gateway checks, and how.
    pub kind: HttpAuthorizerKind,
    /// Whether any route names it.
    pub used: bool,
}

/// What API Gateway checks on an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpAuthorizerKind {
    /// A SigV4 signature (`AWS_IAM` routes), checked by API Gateway with no authorizer.
    Iam,
    /// A JWT API Gateway verifies against the issuer's keys.
    Jwt(JwtAuthorizer),
    /// A Lambda given the request's identity sources in payload format 2.0.
    Lambda(LambdaAuthorizer),
}

/// A JWT authorizer's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtAuthorizer {
    /// The `iss` tokens must carry (an `https://` URL; its keys are found from it).
    pub issuer: String,
    /// The accepted audiences (at least one).
    pub audiences: Vec<String>,
    /// Where the token is read (`$request.header.X` or `$request.querystring.x`).
    pub identity_source: String,
}

/// A Lambda authorizer's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaAuthorizer {
    /// Who answers.
    pub target: Target,
    /// API Gateway's identity sources (`$request.header.X-Token`, `$context.x`, ...); a request
    /// missing one is refused with 401 without calling the Lambda.
    pub identity_sources: Vec<String>,
    /// The cache TTL, always explicit (the app's, else [`DEFAULT_TTL_SECONDS`], as `local`
    /// caches).
    pub ttl_seconds: u32,
    /// Whether the Lambda answers `{"isAuthorized": .., "context": ..}` rather than a policy.
    pub simple_responses: bool,
    /// The role API Gateway assumes to invoke the Lambda.
    pub credentials: Option<String>,
}

impl HttpAuthorizer {
    /// The authorizer `declared` in the manifest, of which `routes` are the routes naming it.
    pub fn new(declared: &ManifestAuthorizer, routes: &[&ManifestRoute]) -> Result<HttpAuthorizer> {
        let name = declared.name();
        let at_fault = |message: String| {
            let route = match routes.first() {
                Some(route) => format!(
                    " (route {} {}, view `{}`)",
                    route.methods.join(","),
                    route.path,
                    route.view_name
                ),
                None => String::new(),
            };
            Error::new(format!("authorizer `{name}`{route} {message}"))
        };
        let kind = match declared {
            ManifestAuthorizer::Iam { .. } => HttpAuthorizerKind::Iam,
            ManifestAuthorizer::CognitoUserPools { provider_arns, .. } => {
                return Err(at_fault(format!(
                    "is a Cognito user pool authorizer, which HTTP APIs do not have: declare a JwtAuthorizer with {} and the app client id as its audience",
                    match provider_arns.first().and_then(|arn| cognito_issuer(arn)) {
                        Some(issuer) => format!("the pool's issuer {issuer}"),
                        None => "the pool's issuer (https://cognito-idp.<region>.amazonaws.com/<pool id>)".to_owned(),
                    }
                )));
            }
            ManifestAuthorizer::Jwt {
                issuer,
                audiences,
                identity_source,
                ..
            } => {
                HttpAuthorizerKind::Jwt(jwt(issuer, audiences, identity_source).map_err(at_fault)?)
            }
            ManifestAuthorizer::Builtin {
                auth_type,
                header,
                ttl_seconds,
                execution_role,
                identity_sources,
                simple_responses,
                ..
            } => HttpAuthorizerKind::Lambda(
                lambda(
                    Target::Function(name.to_owned()),
                    (auth_type, header, identity_sources),
                    ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS),
                    *simple_responses,
                    execution_role.clone(),
                )
                .map_err(at_fault)?,
            ),
            ManifestAuthorizer::Custom {
                authorizer_uri,
                auth_type,
                header,
                ttl_seconds,
                invoke_role_arn,
                identity_sources,
                simple_responses,
                ..
            } => HttpAuthorizerKind::Lambda(
                lambda(
                    Target::Uri(authorizer_uri.clone()),
                    (auth_type, header, identity_sources),
                    *ttl_seconds,
                    *simple_responses,
                    invoke_role_arn.clone(),
                )
                .map_err(at_fault)?,
            ),
        };
        Ok(HttpAuthorizer {
            name: name.to_owned(),
            kind,
            used: !routes.is_empty(),
        })
    }

    /// Whether API Gateway holds an authorizer resource for it: IAM needs none; a built-in
    /// authorizer's is made whether or not a route uses it (its function is deployed anyway);
    /// the others only when a route uses them.
    pub fn held_by_api(&self) -> bool {
        match &self.kind {
            HttpAuthorizerKind::Iam => false,
            HttpAuthorizerKind::Lambda(lambda) => {
                matches!(lambda.target, Target::Function(_)) || self.used
            }
            HttpAuthorizerKind::Jwt(_) => self.used,
        }
    }

    /// The `AuthorizationType` of a route it protects.
    pub fn authorization_type(&self) -> AuthorizationType {
        match self.kind {
            HttpAuthorizerKind::Iam => AuthorizationType::AwsIam,
            HttpAuthorizerKind::Jwt(_) => AuthorizationType::Jwt,
            HttpAuthorizerKind::Lambda(_) => AuthorizationType::Custom,
        }
    }

    /// API Gateway's `AuthorizerType` (`JWT` or `REQUEST`); IAM has none.
    pub fn authorizer_type(&self) -> Option<&'static str> {
        match self.kind {
            HttpAuthorizerKind::Iam => None,
            HttpAuthorizerKind::Jwt(_) => Some("JWT"),
            HttpAuthorizerKind::Lambda(_) => Some("REQUEST"),
        }
    }

    /// API Gateway's `IdentitySource` list (empty for IAM).
    pub fn identity_sources(&self) -> Vec<String> {
        match &self.kind {
            HttpAuthorizerKind::Iam => Vec::new(),
            HttpAuthorizerKind::Jwt(jwt) => vec![jwt.identity_source.clone()],
            HttpAuthorizerKind::Lambda(lambda) => lambda.identity_sources.clone(),
        }
    }

    /// The Lambda authorizer's configuration, if it is one.
    pub fn lambda(&self) -> Option<&LambdaAuthorizer> {
        match &self.kind {
            HttpAuthorizerKind::Lambda(lambda) => Some(lambda),
            _ => None,
        }
    }

    /// The JWT authorizer's configuration, if it is one.
    pub fn jwt(&self) -> Option<&JwtAuthorizer> {
        match &self.kind {
            HttpAuthorizerKind::Jwt(jwt) => Some(jwt),
            _ => None,
        }
    }
}

fn jwt(
    issuer: &str,
    audiences: &[String],
    identity_source: &str,
) -> std::result::Result<JwtAuthorizer, String> {
    if !issuer.starts_with("https://") || issuer.len() == "https://".len() {
        return Err(format!(
            "has the issuer \"{issuer}\"; API Gateway needs an https:// URL, where it finds the issuer's keys"
        ));
    }
    if audiences.is_empty() || audiences.iter().any(String::is_empty) {
        return Err("needs at least one audience, and no empty one".to_owned());
    }
    let source = if identity_source.is_empty() {
        DEFAULT_JWT_IDENTITY_SOURCE.to_owned()
    } else {
        http_identity_source(identity_source)?
    };
    if !(source.starts_with("$request.header.") || source.starts_with("$request.querystring.")) {
        return Err(format!(
            "reads its token from \"{identity_source}\"; a JWT authorizer reads it from one header or query parameter (`$request.header.X`, `$request.querystring.x`)"
        ));
    }
    Ok(JwtAuthorizer {
        issuer: issuer.to_owned(),
        audiences: audiences.to_vec(),
        identity_source: source,
    })
}

fn lambda(
    target: Target,
    (auth_type, header, identity_sources): (&str, &str, &[String]),
    ttl_seconds: u32,
    simple_responses: bool,
    credentials: Option<String>,
) -> std::result::Result<LambdaAuthorizer, String> {
    let identity_sources = match auth_type {
        // A TOKEN-style authorizer reads one header: an HTTP API names it as a source.
        "TOKEN" => vec![http_identity_source(&format!("header.{header}"))?],
        "REQUEST" => identity_sources
            .iter()
            .map(|source| http_identity_source(source))
            .collect::<std::result::Result<Vec<_>, _>>()?,
        other => {
            return Err(format!(
                "has the auth type \"{other}\"; expected REQUEST (or TOKEN, read as its header)"
            ));
        }
    };
    if ttl_seconds > MAX_TTL_SECONDS {
        return Err(format!(
            "caches answers for {ttl_seconds} s; API Gateway allows at most {MAX_TTL_SECONDS}"
        ));
    }
    if identity_sources.is_empty() && ttl_seconds > 0 {
        return Err(
            "caches answers but has no identity sources to key them by: name identity sources or set the TTL to 0"
                .to_owned(),
        );
    }
    Ok(LambdaAuthorizer {
        target,
        identity_sources,
        ttl_seconds,
        simple_responses,
        credentials,
    })
}

/// API Gateway v2's form of an identity source given in Chalice's short form: `header.X` →
/// `$request.header.X`, `querystring.x` → `$request.querystring.x`, `context.x` →
/// `$context.x`, `stageVariables.x` → `$stageVariables.x`; one already in API Gateway's form is
/// kept. Anything else is refused, naming the source.
pub fn http_identity_source(source: &str) -> std::result::Result<String, String> {
    let short = source
        .strip_prefix("$request.")
        .or_else(|| source.strip_prefix('$'))
        .unwrap_or(source);
    let (place, name) = short.split_once('.').unwrap_or((short, ""));
    let prefix = match place {
        "header" | "querystring" => "$request.",
        "context" | "stageVariables" => "$",
        _ => "",
    };
    let well_formed = !prefix.is_empty()
        && !name.is_empty()
        && !name.chars().any(|c| c.is_whitespace() || c == ',')
        && (source == short || format!("{prefix}{short}") == source);
    if well_formed {
        Ok(format!("{prefix}{short}"))
    } else {
        Err(format!(
            "has the identity source \"{source}\"; expected header.X, querystring.x, context.x or stageVariables.x (or API Gateway's $request.header.X, $request.querystring.x, $context.x, $stageVariables.x)"
        ))
    }
}

/// The issuer of the Cognito user pool `arn` (`arn:aws:cognito-idp:R:A:userpool/<id>`).
fn cognito_issuer(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, region, _, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let pool = resource.strip_prefix("userpool/")?;
    (service == "cognito-idp" && !region.is_empty() && !pool.is_empty())
        .then(|| format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{authorized, builtin, httpapi1};

    fn declared(name: &str) -> ManifestAuthorizer {
        httpapi1()
            .authorizers
            .into_iter()
            .find(|a| a.name() == name)
            .unwrap()
    }

    fn jwt_declared(issuer: &str, audiences: &[&str], source: &str) -> ManifestAuthorizer {
        ManifestAuthorizer::Jwt {
            name: "jwt".into(),
            issuer: issuer.into(),
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
            identity_source: source.into(),
            scopes: Vec::new(),
        }
    }

    fn request(sources: &[&str], ttl: Option<u32>) -> ManifestAuthorizer {
        ManifestAuthorizer::Builtin {
            name: "gate".into(),
            function: "gate".into(),
            auth_type: "REQUEST".into(),
            header: "Authorization".into(),
            ttl_seconds: ttl,
            execution_role: None,
            identity_sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            simple_responses: false,
        }
    }

    #[test]
    fn the_examples_jwt_authorizer_is_api_gateways_jwt_configuration() {
        let route = authorized("/orders", &["POST"], "jwt", &["orders/write"]);
        let jwt = HttpAuthorizer::new(&declared("jwt"), &[&route]).unwrap();
        assert_eq!(
            jwt.kind,
            HttpAuthorizerKind::Jwt(JwtAuthorizer {
                issuer: "https://issuer.example.com".into(),
                audiences: vec!["orders-api".into()],
                identity_source: "$request.header.Authorization".into(),
            })
        );
        assert_eq!(jwt.authorization_type(), AuthorizationType::Jwt);
        assert_eq!(jwt.authorizer_type(), Some("JWT"));
        assert_eq!(jwt.identity_sources(), ["$request.header.Authorization"]);
        assert!(jwt.held_by_api());
        assert!(
            !HttpAuthorizer::new(&declared("jwt"), &[])
                .unwrap()
                .held_by_api()
        );
    }

    #[test]
    fn the_examples_lambda_authorizer_has_payload_2_sources_ttl_and_simple_responses() {
        let gate = HttpAuthorizer::new(&declared("gate"), &[]).unwrap();
        assert_eq!(
            gate.kind,
            HttpAuthorizerKind::Lambda(LambdaAuthorizer {
                target: Target::Function("gate".into()),
                identity_sources: vec!["$request.header.X-Token".into()],
                ttl_seconds: DEFAULT_TTL_SECONDS,
                simple_responses: true,
                credentials: None,
            })
        );
        assert_eq!(
            (gate.authorization_type(), gate.authorizer_type()),
            (AuthorizationType::Custom, Some("REQUEST"))
        );
        // A built-in authorizer's function is deployed whether used or not.
        assert!(gate.held_by_api() && !gate.used);
        let iam = HttpAuthorizer::new(&declared("sigv4"), &[]).unwrap();
        assert_eq!(iam.authorization_type(), AuthorizationType::AwsIam);
        assert!(!iam.held_by_api() && iam.identity_sources().is_empty());
    }

    #[test]
    fn identity_sources_take_api_gateway_v2_form() {
        let cases = [
            ("header.X-Token", "$request.header.X-Token"),
            ("querystring.key", "$request.querystring.key"),
            ("context.identity.sourceIp", "$context.identity.sourceIp"),
            ("stageVariables.tier", "$stageVariables.tier"),
            ("$request.header.X-Token", "$request.header.X-Token"),
            ("$context.routeKey", "$context.routeKey"),
            ("$stageVariables.tier", "$stageVariables.tier"),
        ];
        for (short, full) in cases {
            assert_eq!(http_identity_source(short).unwrap(), full, "{short}");
        }
        for bad in [
            "cookie.x",
            "header.",
            "header",
            "method.request.header.X",
            "$header.X",
            "$request.context.x",
            "header.a,b",
        ] {
            let error = http_identity_source(bad).unwrap_err();
            assert!(error.contains(&format!("\"{bad}\"")), "{error}");
        }
    }

    #[test]
    fn a_token_style_authorizer_reads_its_header() {
        let token = HttpAuthorizer::new(&builtin("auth"), &[]).unwrap();
        assert_eq!(token.identity_sources(), ["$request.header.Authorization"]);
    }

    #[test]
    fn kind_rules_and_limits_are_errors_naming_the_authorizer_and_route() {
        let route = authorized("/pool", &["GET"], "pool", &[]);
        let pool = ManifestAuthorizer::CognitoUserPools {
            name: "pool".into(),
            provider_arns: vec![
                "arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc".into(),
            ],
            header: "Authorization".into(),
            scopes: Vec::new(),
        };
        let error = HttpAuthorizer::new(&pool, &[&route])
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "authorizer `pool` (route GET /pool, view `view`) is a Cognito user pool authorizer, which HTTP APIs do not have: declare a JwtAuthorizer with the pool's issuer https://cognito-idp.us-west-2.amazonaws.com/us-west-2_abc and the app client id as its audience"
        );
        let cases = [
            (jwt_declared("http://issuer", &["a"], ""), "https:// URL"),
            (jwt_declared("https://i", &[], ""), "at least one audience"),
            (
                jwt_declared("https://i", &["a"], "$context.x"),
                "one header or query parameter",
            ),
            (request(&["header.X"], Some(3601)), "at most 3600"),
            (request(&[], None), "no identity sources"),
            (request(&["body.x"], None), "\"body.x\""),
        ];
        for (declared, expected) in cases {
            let error = HttpAuthorizer::new(&declared, &[]).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("authorizer `{}` ", declared.name()))
                    && error.contains(expected),
                "{error}"
            );
        }
        // Without caching, no identity source is needed.
        let uncached = HttpAuthorizer::new(&request(&[], Some(0)), &[]).unwrap();
        assert!(uncached.identity_sources().is_empty());
        let defaulted = HttpAuthorizer::new(&jwt_declared("https://i", &["a"], ""), &[]).unwrap();
        assert_eq!(defaulted.identity_sources(), [DEFAULT_JWT_IDENTITY_SOURCE]);
    }
}
