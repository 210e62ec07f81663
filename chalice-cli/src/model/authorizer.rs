//! Each kind of authorizer the app declares, as API Gateway holds it: its type, where the
//! identity comes from, how long the answer is cached, who answers and with what role.
//! The OpenAPI security schemes and the deployer's authorizers are both spelt from this.

use chalice_runtime::manifest::ManifestAuthorizer;

use crate::error::{Error, Result};

/// API Gateway's cache TTL when an authorizer sets none.
pub const DEFAULT_TTL_SECONDS: u32 = 300;

/// One authorizer of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its name (also the security scheme's).
    pub name: String,
    /// What API Gateway checks, and how.
    pub kind: AuthorizerKind,
    /// Who answers for a Lambda authorizer.
    pub target: Target,
    /// The cache TTL the app set; `None` leaves API Gateway's default (see [`Authorizer::ttl`]).
    pub ttl_seconds: Option<u32>,
    /// The role API Gateway assumes to invoke the Lambda.
    pub credentials: Option<String>,
    /// Whether any route names it.
    pub used: bool,
}

/// What API Gateway checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A SigV4 signature: API Gateway checks it itself, so there is no authorizer resource.
    Iam,
    /// A Lambda given one header's token.
    Token {
        /// The header.
        header: String,
    },
    /// A Lambda given the request's identity sources (`header.X`, `querystring.x`, ...).
    Request {
        /// The identity sources, as the app wrote them.
        identity_sources: Vec<String>,
    },
    /// A Cognito user pool's token in one header.
    CognitoUserPools {
        /// The header.
        header: String,
        /// The user pool ARNs.
        provider_arns: Vec<String>,
    },
}

/// Who answers for an authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A built-in authorizer's function of the app, by name.
    Function(String),
    /// An existing Lambda, by its invocation URI.
    Uri(String),
    /// No Lambda (IAM, Cognito).
    None,
}

impl Authorizer {
    /// The authorizer `declared` in the manifest; `used` says whether a route names it.
    pub fn new(declared: &ManifestAuthorizer, used: bool) -> Result<Authorizer> {
        let authorizer = match declared {
            ManifestAuthorizer::Iam { name } => Authorizer {
                name: name.clone(),
                kind: AuthorizerKind::Iam,
                target: Target::None,
                ttl_seconds: None,
                credentials: None,
                used,
            },
            ManifestAuthorizer::CognitoUserPools {
                name,
                provider_arns,
                header,
                ..
            } => Authorizer {
                name: name.clone(),
                kind: AuthorizerKind::CognitoUserPools {
                    header: header.clone(),
                    provider_arns: provider_arns.clone(),
                },
                target: Target::None,
                ttl_seconds: None,
                credentials: None,
                used,
            },
            ManifestAuthorizer::Builtin {
                name,
                auth_type,
                header,
                ttl_seconds,
                execution_role,
                identity_sources,
                ..
            } => Authorizer {
                name: name.clone(),
                kind: AuthorizerKind::lambda(name, auth_type, header, identity_sources)?,
                target: Target::Function(name.clone()),
                ttl_seconds: *ttl_seconds,
                credentials: execution_role.clone(),
                used,
            },
            ManifestAuthorizer::Custom {
                name,
                authorizer_uri,
                auth_type,
                header,
                ttl_seconds,
                invoke_role_arn,
                identity_sources,
                ..
            } => Authorizer {
                name: name.clone(),
                kind: AuthorizerKind::lambda(name, auth_type, header, identity_sources)?,
                target: Target::Uri(authorizer_uri.clone()),
                ttl_seconds: Some(*ttl_seconds),
                credentials: invoke_role_arn.clone(),
                used,
            },
            ManifestAuthorizer::Jwt { name, .. } => {
                return Err(Error::new(format!(
                    "authorizer `{name}` is a JWT authorizer, which only an HTTP API has: choose one in the app with `App::new(..).http_api()`"
                )));
            }
        };
        Ok(authorizer)
    }

    /// The cache TTL API Gateway applies.
    pub fn ttl(&self) -> u32 {
        self.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS)
    }

    /// Whether API Gateway holds an authorizer resource for it: IAM needs none; a built-in
    /// authorizer's is made whether or not a route uses it (its function is deployed anyway);
    /// other ones only when a route uses them.
    pub fn held_by_api(&self) -> bool {
        match self.kind {
            AuthorizerKind::Iam => false,
            _ => matches!(self.target, Target::Function(_)) || self.used,
        }
    }
}

impl AuthorizerKind {
    /// A Lambda authorizer of `auth_type` `TOKEN` or `REQUEST`; a REQUEST one must name where
    /// the identity comes from.
    fn lambda(
        name: &str,
        auth_type: &str,
        header: &str,
        identity_sources: &[String],
    ) -> Result<AuthorizerKind> {
        match auth_type {
            "TOKEN" => Ok(AuthorizerKind::Token {
                header: header.to_owned(),
            }),
            "REQUEST" if identity_sources.is_empty() => Err(Error::new(format!(
                "authorizer `{name}` is a REQUEST authorizer without identity sources"
            ))),
            "REQUEST" => Ok(AuthorizerKind::Request {
                identity_sources: identity_sources.to_vec(),
            }),
            other => Err(Error::new(format!(
                "authorizer `{name}` has the auth type \"{other}\"; expected TOKEN or REQUEST"
            ))),
        }
    }

    /// API Gateway's authorizer type; IAM has none.
    pub fn authorizer_type(&self) -> Option<&'static str> {
        match self {
            AuthorizerKind::Iam => None,
            AuthorizerKind::Token { .. } => Some("TOKEN"),
            AuthorizerKind::Request { .. } => Some("REQUEST"),
            AuthorizerKind::CognitoUserPools { .. } => Some("COGNITO_USER_POOLS"),
        }
    }

    /// The Cognito user pools it trusts (none for other kinds).
    pub fn provider_arns(&self) -> &[String] {
        match self {
            AuthorizerKind::CognitoUserPools { provider_arns, .. } => provider_arns,
            _ => &[],
        }
    }

    /// The `authorizationType` of a method it protects.
    pub fn authorization_type(&self) -> AuthorizationType {
        match self {
            AuthorizerKind::Iam => AuthorizationType::AwsIam,
            AuthorizerKind::CognitoUserPools { .. } => AuthorizationType::CognitoUserPools,
            AuthorizerKind::Token { .. } | AuthorizerKind::Request { .. } => {
                AuthorizationType::Custom
            }
        }
    }

    /// API Gateway's `identitySource`: `method.request.header.X` for a header; for a REQUEST
    /// authorizer its sources, `header.X` → `method.request.header.X`,
    /// `querystring.x` → `method.request.querystring.x`, `stageVariables.x` and `context.x` as
    /// they are, joined with `,`. IAM has none.
    pub fn identity_source(&self) -> Option<String> {
        match self {
            AuthorizerKind::Iam => None,
            AuthorizerKind::Token { header } | AuthorizerKind::CognitoUserPools { header, .. } => {
                Some(format!("method.request.header.{header}"))
            }
            AuthorizerKind::Request { identity_sources } => Some(
                identity_sources
                    .iter()
                    .map(|source| {
                        if source.starts_with("header.") || source.starts_with("querystring.") {
                            format!("method.request.{source}")
                        } else {
                            source.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }
}

/// How a method is authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationType {
    /// Open.
    None,
    /// SigV4.
    AwsIam,
    /// A Cognito user pool authorizer.
    CognitoUserPools,
    /// A Lambda authorizer.
    Custom,
    /// A JWT authorizer (HTTP APIs).
    Jwt,
}

impl AuthorizationType {
    /// API Gateway's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::None => "NONE",
            AuthorizationType::AwsIam => "AWS_IAM",
            AuthorizationType::CognitoUserPools => "COGNITO_USER_POOLS",
            AuthorizationType::Custom => "CUSTOM",
            AuthorizationType::Jwt => "JWT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::builtin;

    fn lambda(auth_type: &str, sources: &[&str]) -> ManifestAuthorizer {
        ManifestAuthorizer::Builtin {
            name: "tenant_auth".into(),
            function: "tenant_auth".into(),
            auth_type: auth_type.into(),
            header: "X-Token".into(),
            ttl_seconds: Some(0),
            execution_role: Some("arn:aws:iam::123456789012:role/invoke".into()),
            identity_sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            simple_responses: false,
        }
    }

    #[test]
    fn a_builtin_authorizer_is_answered_by_its_function() {
        let token = Authorizer::new(&builtin("auth"), false).unwrap();
        assert_eq!(
            token.kind,
            AuthorizerKind::Token {
                header: "Authorization".into()
            }
        );
        assert_eq!(token.target, Target::Function("auth".into()));
        assert_eq!(
            (token.ttl_seconds, token.ttl()),
            (None, DEFAULT_TTL_SECONDS)
        );
        assert_eq!(token.kind.authorizer_type(), Some("TOKEN"));
        assert_eq!(
            token.kind.identity_source().unwrap(),
            "method.request.header.Authorization"
        );
        assert_eq!(token.kind.authorization_type(), AuthorizationType::Custom);
        // A TTL of zero turns caching off: it is kept, not taken for "unset".
        let request = Authorizer::new(&lambda("REQUEST", &["header.X-Tenant"]), true).unwrap();
        assert_eq!(request.ttl(), 0);
        assert_eq!(
            request.credentials.as_deref(),
            Some("arn:aws:iam::123456789012:role/invoke")
        );
    }

    #[test]
    fn request_identity_sources_become_api_gateway_expressions() {
        let request = Authorizer::new(
            &lambda(
                "REQUEST",
                &[
                    "header.X-Tenant",
                    "querystring.key",
                    "stageVariables.tier",
                    "context.identity.sourceIp",
                ],
            ),
            true,
        )
        .unwrap();
        assert_eq!(request.kind.authorizer_type(), Some("REQUEST"));
        assert_eq!(
            request.kind.identity_source().unwrap(),
            "method.request.header.X-Tenant,method.request.querystring.key,stageVariables.tier,context.identity.sourceIp"
        );
    }

    #[test]
    fn a_request_authorizer_needs_sources_and_types_are_token_or_request() {
        for (declared, expected) in [
            (lambda("REQUEST", &[]), "without identity sources"),
            (lambda("COOKIE", &[]), "\"COOKIE\""),
        ] {
            let error = Authorizer::new(&declared, true).unwrap_err().to_string();
            assert!(
                error.contains("`tenant_auth`") && error.contains(expected),
                "{error}"
            );
        }
    }

    #[test]
    fn a_custom_authorizer_is_an_existing_lambdas_uri_with_its_ttl() {
        let custom = Authorizer::new(
            &ManifestAuthorizer::Custom {
                name: "ext".into(),
                authorizer_uri: "arn:aws:apigateway:us-west-2:lambda:path/x".into(),
                auth_type: "TOKEN".into(),
                header: "Authorization".into(),
                ttl_seconds: 60,
                invoke_role_arn: None,
                identity_sources: Vec::new(),
                scopes: Vec::new(),
                simple_responses: false,
            },
            true,
        )
        .unwrap();
        assert_eq!(
            custom.target,
            Target::Uri("arn:aws:apigateway:us-west-2:lambda:path/x".into())
        );
        assert_eq!(custom.ttl(), 60);
        assert!(custom.held_by_api());
        assert!(
            !Authorizer {
                used: false,
                ..custom
            }
            .held_by_api()
        );
    }

    #[test]
    fn cognito_and_iam_are_checked_by_api_gateway_itself() {
        let cognito = Authorizer::new(
            &ManifestAuthorizer::CognitoUserPools {
                name: "pool".into(),
                provider_arns: vec!["arn:pool".into()],
                header: "Authorization".into(),
                scopes: Vec::new(),
            },
            true,
        )
        .unwrap();
        assert_eq!(cognito.target, Target::None);
        assert_eq!(cognito.kind.authorizer_type(), Some("COGNITO_USER_POOLS"));
        assert_eq!(
            cognito.kind.authorization_type(),
            AuthorizationType::CognitoUserPools
        );
        assert_eq!(cognito.ttl(), DEFAULT_TTL_SECONDS);
        let iam = Authorizer::new(
            &ManifestAuthorizer::Iam {
                name: "sigv4".into(),
            },
            true,
        )
        .unwrap();
        assert_eq!(iam.kind.authorization_type(), AuthorizationType::AwsIam);
        assert_eq!(
            (iam.kind.authorizer_type(), iam.kind.identity_source()),
            (None, None)
        );
        assert!(!iam.held_by_api());
    }

    #[test]
    fn builtin_authorizers_are_held_even_unused() {
        let unused = Authorizer::new(&builtin("auth"), false).unwrap();
        assert!(unused.held_by_api());
    }
}
