//! What an HTTP API (API Gateway v2) of a stage is right now, as the deployer reads it.

use std::collections::BTreeMap;

use super::desired_http::Cors;
use super::observed::Twin;

/// The HTTP API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedHttpApi {
    /// Its id.
    pub id: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its CORS configuration.
    pub cors: Option<Cors>,
    /// The routes by route key.
    pub routes: BTreeMap<String, ObservedRoute>,
    /// Routes of a key another one already has: twins of a create whose answer was lost.
    pub twin_routes: Vec<Twin>,
    /// The authorizers the record or a route names, by name.
    pub authorizers: BTreeMap<String, ObservedHttpAuthorizer>,
    /// Authorizers of a name another one already has: twins of a lost create.
    pub twin_authorizers: Vec<Twin>,
    /// Every integration.
    pub integrations: Vec<ObservedIntegration>,
    /// Its stages by name.
    pub stages: BTreeMap<String, ObservedStage>,
}

/// One stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedStage {
    /// Whether it deploys every change by itself.
    pub auto_deploy: bool,
    /// Its variables.
    pub variables: BTreeMap<String, String>,
}

/// One route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedRoute {
    /// Its id.
    pub id: String,
    /// `NONE`, `JWT`, `CUSTOM`, `AWS_IAM`.
    pub authorization_type: String,
    /// The authorizer's id.
    pub authorizer_id: Option<String>,
    /// The scopes.
    pub scopes: Vec<String>,
    /// What it calls: `integrations/<id>`.
    pub target: Option<String>,
}

/// One authorizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedHttpAuthorizer {
    /// Its id.
    pub id: String,
    /// `JWT` or `REQUEST`.
    pub authorizer_type: String,
    /// Where the identity comes from.
    pub identity_sources: Vec<String>,
    /// A JWT authorizer's issuer.
    pub issuer: Option<String>,
    /// A JWT authorizer's audiences.
    pub audiences: Vec<String>,
    /// A Lambda authorizer's invocation URI.
    pub uri: Option<String>,
    /// A Lambda authorizer's cache TTL.
    pub ttl_seconds: Option<u32>,
    /// Whether a Lambda authorizer answers simply.
    pub simple_responses: bool,
    /// A Lambda authorizer's payload format.
    pub payload_format_version: Option<String>,
    /// The role API Gateway assumes to invoke it.
    pub credentials: Option<String>,
}

/// One integration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedIntegration {
    /// Its id.
    pub id: String,
    /// `AWS_PROXY`, ...
    pub integration_type: String,
    /// What it calls.
    pub uri: Option<String>,
    /// Its payload format.
    pub payload_format_version: Option<String>,
}
