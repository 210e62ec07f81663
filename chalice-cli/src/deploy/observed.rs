//! What a stage is on AWS right now, as the deployer reads it before planning.

use std::collections::BTreeMap;

use serde_json::Value;

pub use super::observed_domain::ObservedDomain;
pub use super::observed_http::ObservedHttpApi;

/// The actual state of the stage's resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// Managed roles that exist, by record name.
    pub roles: BTreeMap<String, ObservedRole>,
    /// Functions that exist, by record name.
    pub functions: BTreeMap<String, ObservedFunction>,
    /// The REST API, if one exists.
    pub api: Option<ObservedApi>,
    /// Other REST APIs tagged for this app and stage: twins of a create whose answer was lost.
    pub twin_apis: Vec<String>,
    /// The HTTP API, if the app has one and it exists.
    pub http_api: Option<ObservedHttpApi>,
    /// Other HTTP APIs tagged for this app and stage: twins of a lost create.
    pub twin_http_apis: Vec<String>,
    /// APIs of the kind the app no longer is (it moved between REST and HTTP), to delete.
    pub other_kind_apis: OtherKindApis,
    /// Functions of this app and stage the app no longer has (record name, function name).
    pub stale_functions: Vec<(String, String)>,
    /// Managed roles the app no longer uses (record name, role name).
    pub stale_roles: Vec<(String, String)>,
    /// Roles and functions of the stage's names not tagged for it: a deploy refuses them
    /// unless told to adopt them.
    pub foreign: Vec<super::ownership::Foreign>,
    /// The custom domain name the config names, if it exists.
    pub domain: Option<ObservedDomain>,
    /// Custom domain names this stage recorded, still tagged for it, that the config no
    /// longer names: to delete.
    pub stale_domains: Vec<String>,
    /// The log groups of the stage's functions that exist, with their retention.
    pub log_groups: super::log_groups::ObservedLogGroups,
    /// The stage's API keys and usage plan.
    pub keys: super::usage_plan::ObservedKeys,
}

/// What carries the stage's tags, whatever the record says (roles are also looked for by the
/// names chalice-rs gives them): what `delete` removes besides what the record lists, so a
/// record lost, or written before a create's answer came, still leaves nothing behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tagged {
    /// REST API ids, oldest first.
    pub apis: Vec<String>,
    /// HTTP API ids, oldest first.
    pub http_apis: Vec<String>,
    /// Function names.
    pub functions: Vec<String>,
    /// Role names.
    pub roles: Vec<String>,
    /// Custom domain names.
    pub domains: Vec<String>,
    /// Usage plan ids.
    pub usage_plans: Vec<String>,
    /// API keys: (name, id).
    pub api_keys: Vec<(String, String)>,
}

/// A role.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRole {
    /// Its ARN.
    pub arn: String,
    /// Its inline policy named after it, if any.
    pub policy: Option<Value>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// A function's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedFunction {
    /// Its ARN.
    pub arn: String,
    /// Handler string.
    pub handler: String,
    /// Runtime.
    pub runtime: String,
    /// Role ARN.
    pub role: String,
    /// MB.
    pub memory_size: u32,
    /// Seconds.
    pub timeout: u32,
    /// Environment.
    pub environment: BTreeMap<String, String>,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Base64 SHA-256 of the code.
    pub code_sha256: String,
    /// Layer ARNs.
    pub layers: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// VPC subnets.
    pub subnet_ids: Vec<String>,
    /// VPC security groups.
    pub security_group_ids: Vec<String>,
    /// Active tracing.
    pub xray: bool,
    /// Whether API Gateway (this API) may invoke it.
    pub invokable_by_api: bool,
    /// The statements of its resource policy that let API Gateway invoke it: statement id by
    /// source ARN.
    pub api_grants: BTreeMap<String, String>,
}

/// APIs of the stage of the kind the app no longer is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherKindApis {
    /// REST API ids (the app is an HTTP API now).
    pub rest: Vec<String>,
    /// HTTP API ids (the app is a REST API now).
    pub http: Vec<String>,
}

/// The REST API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedApi {
    /// Its id.
    pub id: String,
    /// Resources by path.
    pub resources: BTreeMap<String, ObservedResource>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, ObservedAuthorizer>,
    /// The deployment the stage points at, if the stage exists.
    pub stage_deployment: Option<String>,
    /// The stage's variables (none when the stage does not exist).
    pub stage_variables: BTreeMap<String, String>,
    /// The description of that deployment: the fingerprint of the API it deployed.
    pub deployed_fingerprint: Option<String>,
    /// Resources of a path another one already has: twins of a create whose answer was lost.
    pub twin_resources: Vec<Twin>,
    /// Authorizers of a name another one already has: twins of a lost create.
    pub twin_authorizers: Vec<Twin>,
    /// The gateway responses of the types the app may set that are set (have parameters).
    pub gateway_responses: super::desired::GatewayResponses,
    /// Its own settings: policy, VPC endpoints, compression.
    pub settings: super::api_settings::RestApiSettings,
}

/// Something made twice (a create whose answer was lost, then retried): the copy to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twin {
    /// What it and the copy kept are called: a resource's path, an authorizer's name.
    pub name: String,
    /// Its id.
    pub id: String,
}

/// One resource and its methods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedResource {
    /// Its id.
    pub id: String,
    /// Methods by HTTP method.
    pub methods: BTreeMap<String, ObservedMethod>,
}

/// One method and its integration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedMethod {
    /// Authorization type.
    pub authorization_type: String,
    /// Authorizer id.
    pub authorizer_id: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// API key required.
    pub api_key_required: bool,
    /// Integration type (`AWS_PROXY`, `MOCK`).
    pub integration_type: Option<String>,
    /// Integration URI.
    pub integration_uri: Option<String>,
    /// The headers a CORS preflight (`MOCK`) answers with, by name, unquoted.
    pub preflight_headers: BTreeMap<String, String>,
}

/// One authorizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedAuthorizer {
    /// Its id.
    pub id: String,
    /// `TOKEN`, `REQUEST`, `COGNITO_USER_POOLS`.
    pub authorizer_type: String,
    /// Lambda URI.
    pub uri: Option<String>,
    /// Identity source.
    pub identity_source: Option<String>,
    /// TTL.
    pub ttl_seconds: Option<u32>,
    /// Invoke role.
    pub credentials: Option<String>,
    /// User pools.
    pub provider_arns: Vec<String>,
}
