//! What an HTTP API (API Gateway v2) of a stage should be, in the terms of the apigatewayv2
//! calls the deployer makes: routes by route key, authorizers by name, the stage. Pure data,
//! spelt from the model's [`HttpApi`] without deciding
//! anything of its own.

use std::collections::BTreeMap;

use crate::model::http_api::{self, HttpApi};

pub use crate::model::Target as AuthorizerTarget;
pub use crate::model::http_api::{
    Cors, INTEGRATION_METHOD, INTEGRATION_TYPE, PAYLOAD_FORMAT_VERSION,
};

/// The record name of the HTTP API.
pub const HTTP_API: &str = "http_api";

/// The HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredHttpApi {
    /// Its name: the app's.
    pub name: String,
    /// The stage, deployed automatically on every change.
    pub stage_name: String,
    /// The stage's variables.
    pub stage_variables: BTreeMap<String, String>,
    /// The API's tags.
    pub tags: BTreeMap<String, String>,
    /// The API-wide CORS configuration, if any route asks for CORS.
    pub cors: Option<Cors>,
    /// The routes by route key (`GET /orders/{id}`), each proxied to the API handler.
    pub routes: BTreeMap<String, DesiredRoute>,
    /// The authorizers API Gateway holds (IAM needs none), in the model's order.
    pub authorizers: Vec<DesiredHttpAuthorizer>,
}

/// How one route is authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRoute {
    /// `NONE`, `JWT`, `CUSTOM` or `AWS_IAM`.
    pub authorization_type: String,
    /// The authorizer's name, for `JWT` and `CUSTOM`.
    pub authorizer: Option<String>,
    /// The scopes a JWT must carry one of (`JWT` only).
    pub scopes: Vec<String>,
}

/// One authorizer of the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredHttpAuthorizer {
    /// Its name.
    pub name: String,
    /// What it checks.
    pub kind: HttpAuthorizerKind,
}

/// What an HTTP API's authorizer checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpAuthorizerKind {
    /// A JWT, checked by API Gateway itself.
    Jwt {
        /// The `iss` it must carry.
        issuer: String,
        /// The audiences one of which `aud` (or `client_id`) must be.
        audiences: Vec<String>,
        /// Where the token is (`$request.header.Authorization`).
        identity_source: String,
    },
    /// A Lambda authorizer, payload format 2.0.
    Lambda {
        /// Who answers: a function of the app or an existing Lambda's URI.
        target: AuthorizerTarget,
        /// Where the identity comes from (`$request.header.X-Token`, ...).
        identity_sources: Vec<String>,
        /// Cache TTL (0: not cached).
        ttl_seconds: u32,
        /// Whether it answers `{"isAuthorized": ..}` rather than an IAM policy.
        simple_responses: bool,
        /// The role API Gateway assumes to invoke it.
        credentials: Option<String>,
    },
}

impl HttpAuthorizerKind {
    /// API Gateway's authorizer type.
    pub fn authorizer_type(&self) -> &'static str {
        match self {
            HttpAuthorizerKind::Jwt { .. } => "JWT",
            HttpAuthorizerKind::Lambda { .. } => "REQUEST",
        }
    }

    /// The Lambda that answers, if any.
    pub fn target(&self) -> Option<&AuthorizerTarget> {
        match self {
            HttpAuthorizerKind::Jwt { .. } => None,
            HttpAuthorizerKind::Lambda { target, .. } => Some(target),
        }
    }
}

impl DesiredHttpApi {
    /// The authorizer `name`.
    pub fn authorizer(&self, name: &str) -> Option<&DesiredHttpAuthorizer> {
        self.authorizers.iter().find(|a| a.name == name)
    }
}

/// The HTTP API the model resolved, spelt for the apigatewayv2 calls.
pub fn desired_http_api(api: &HttpApi) -> DesiredHttpApi {
    let routes = api
        .routes
        .iter()
        .map(|route| {
            let spec = DesiredRoute {
                authorization_type: route.authorization_type.as_str().to_owned(),
                authorizer: route.gateway_authorizer().map(str::to_owned),
                scopes: route.authorization_scopes().to_vec(),
            };
            (route.route_key(), spec)
        })
        .collect();
    let authorizers = api
        .gateway_authorizers()
        .filter_map(|authorizer| {
            let kind = match &authorizer.kind {
                http_api::HttpAuthorizerKind::Iam => return None,
                http_api::HttpAuthorizerKind::Jwt(jwt) => HttpAuthorizerKind::Jwt {
                    issuer: jwt.issuer.clone(),
                    audiences: jwt.audiences.clone(),
                    identity_source: jwt.identity_source.clone(),
                },
                http_api::HttpAuthorizerKind::Lambda(lambda) => HttpAuthorizerKind::Lambda {
                    target: lambda.target.clone(),
                    identity_sources: lambda.identity_sources.clone(),
                    ttl_seconds: lambda.ttl_seconds,
                    simple_responses: lambda.simple_responses,
                    credentials: lambda.credentials.clone(),
                },
            };
            Some(DesiredHttpAuthorizer {
                name: authorizer.name.clone(),
                kind,
            })
        })
        .collect();
    DesiredHttpApi {
        name: api.name.clone(),
        stage_name: api.settings.stage_name.clone(),
        stage_variables: api.settings.stage_variables.clone(),
        tags: api.settings.tags.clone(),
        cors: api.cors.clone(),
        routes,
        authorizers,
    }
}
