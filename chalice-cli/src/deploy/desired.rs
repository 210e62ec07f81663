//! What a stage should be on AWS, from the app's manifest and the stage's config: pure data,
//! so the plan can be computed and tested without AWS.

use std::collections::BTreeMap;

use chalice_runtime::manifest::{Manifest, ManifestAuthorizer};
use serde_json::Value;

use crate::config::{Architecture, EndpointType, Stage};
use crate::error::{Error, Result};
use crate::naming;

pub use crate::naming::{API_HANDLER, RUNTIME, TAG_APP as APP_TAG, TAG_STAGE as STAGE_TAG};
/// The record name of the managed role shared by the functions.
pub const DEFAULT_ROLE: &str = "default-role";
/// The record name of the REST API.
pub const REST_API: &str = "rest_api";

/// The whole stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// `app_name`.
    pub app: String,
    /// The Chalice stage.
    pub stage: String,
    /// The region.
    pub region: String,
    /// The account deployed to: learnt from AWS only once the rest checked out (see
    /// [`Desired::in_account`]), so that bad input fails before any AWS call.
    pub account: Account,
    /// Tags every resource gets.
    pub tags: BTreeMap<String, String>,
    /// The managed roles (none with `manage_iam_role: false`).
    pub roles: Vec<DesiredRole>,
    /// The API handler first, then one function per built-in authorizer.
    pub functions: Vec<DesiredFunction>,
    /// The REST API.
    pub api: DesiredApi,
}

/// The account and partition ARNs are built in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
}

impl Account {
    /// The account of the caller whose ARN is `caller_arn` (sts:GetCallerIdentity); the
    /// partition is the ARN's, else the region's.
    pub fn of_caller(id: &str, caller_arn: Option<&str>, region: &str) -> Account {
        let partition = caller_arn
            .and_then(|arn| arn.strip_prefix("arn:"))
            .and_then(|rest| rest.split(':').next())
            .filter(|partition| !partition.is_empty())
            .map_or_else(|| partition_of_region(region).to_owned(), str::to_owned);
        Account {
            id: id.to_owned(),
            partition,
        }
    }
}

/// The partition a region belongs to, by its prefix.
pub fn partition_of_region(region: &str) -> &'static str {
    [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ]
    .into_iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map_or("aws", |(_, partition)| partition)
}

impl Desired {
    /// The same state, in `account`.
    pub fn in_account(self, account: Account) -> Desired {
        Desired { account, ..self }
    }
}

/// An IAM role chalice-rs manages.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredRole {
    /// Its record name (`default-role`, or `<function>_role` for a role with its own policy).
    pub resource_name: String,
    /// The role name.
    pub role_name: String,
    /// The trust policy (Lambda may assume it).
    pub trust_policy: Value,
    /// The inline policy, named after the role.
    pub policy: Value,
}

/// How a function gets its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRef {
    /// A managed role, by record name.
    Managed(String),
    /// A role the user made.
    Arn(String),
}

/// One Lambda function.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredFunction {
    /// Its record name: `api_handler` or the authorizer's name.
    pub resource_name: String,
    /// The function name.
    pub function_name: String,
    /// The handler string the runtime dispatches on.
    pub handler: String,
    /// Its role.
    pub role: RoleRef,
    /// MB.
    pub memory_size: u32,
    /// Seconds.
    pub timeout: u32,
    /// Environment.
    pub environment: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// x86_64 or arm64.
    pub architecture: Architecture,
    /// Base64 SHA-256 of the zip.
    pub code_sha256: String,
    /// Layers.
    pub layers: Vec<String>,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// VPC subnets.
    pub subnet_ids: Vec<String>,
    /// VPC security groups.
    pub security_group_ids: Vec<String>,
    /// X-Ray active tracing.
    pub xray: bool,
}

/// The REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredApi {
    /// Its name: the app's.
    pub name: String,
    /// Endpoint type.
    pub endpoint_type: EndpointType,
    /// The API Gateway stage.
    pub stage_name: String,
    /// Every resource path (parents included, `/` first) with its methods.
    pub resources: BTreeMap<String, BTreeMap<String, DesiredMethod>>,
    /// The authorizers API Gateway holds (IAM needs none).
    pub authorizers: Vec<DesiredAuthorizer>,
}

/// One method of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredMethod {
    /// `NONE`, `AWS_IAM`, `COGNITO_USER_POOLS` or `CUSTOM`.
    pub authorization_type: String,
    /// The authorizer's name, for the last two.
    pub authorizer: Option<String>,
    /// OAuth scopes (Cognito).
    pub scopes: Vec<String>,
    /// Whether an API key is required.
    pub api_key_required: bool,
    /// What it calls.
    pub integration: Integration,
}

/// A method's integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    /// `AWS_PROXY` to the API handler.
    Proxy,
    /// A `MOCK` answering a CORS preflight with these allowed methods.
    CorsPreflight {
        /// `Access-Control-Allow-Methods`.
        allow_methods: String,
    },
}

/// One authorizer of the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredAuthorizer {
    /// Its name.
    pub name: String,
    /// `TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`.
    pub authorizer_type: String,
    /// Who answers: a function of the app (record name) or an existing Lambda's URI.
    pub target: AuthorizerTarget,
    /// `method.request.header.Authorization`, ...
    pub identity_source: String,
    /// Cache TTL.
    pub ttl_seconds: u32,
    /// The role API Gateway assumes to invoke it.
    pub credentials: Option<String>,
    /// Cognito user pools.
    pub provider_arns: Vec<String>,
}

/// Who answers for an authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerTarget {
    /// A built-in authorizer's function, by record name.
    Function(String),
    /// An existing Lambda's invocation URI.
    Uri(String),
    /// Cognito: no Lambda.
    None,
}

/// Everything needed to build the desired state.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The app's manifest.
    pub manifest: &'a Manifest,
    /// The stage's config.
    pub stage: &'a Stage<'a>,
    /// The region.
    pub region: &'a str,
    /// The zip's SHA-256.
    pub code_sha256: &'a str,
    /// Reads a policy file under `.chalice/` (for `autogen_policy: false`).
    pub read_policy: &'a dyn Fn(&str) -> Result<Value>,
}

/// The desired state of the stage.
pub fn desired(inputs: Inputs<'_>) -> Result<Desired> {
    let Inputs {
        manifest,
        stage,
        region,
        code_sha256,
        read_policy,
    } = inputs;
    let app = manifest.app_name.clone();
    let tags = BTreeMap::from([
        (APP_TAG.to_owned(), app.clone()),
        (STAGE_TAG.to_owned(), stage.name().to_owned()),
    ]);
    let builtins: Vec<&ManifestAuthorizer> = manifest
        .authorizers
        .iter()
        .filter(|a| matches!(a, ManifestAuthorizer::Builtin { .. }))
        .collect();

    let mut roles: Vec<DesiredRole> = Vec::new();
    let mut functions = Vec::new();
    let function_names =
        std::iter::once(API_HANDLER.to_owned()).chain(builtins.iter().map(|a| a.name().to_owned()));
    for resource_name in function_names {
        let config = stage.function(&resource_name);
        let role = if !config.manage_iam_role {
            RoleRef::Arn(config.iam_role_arn.clone().unwrap_or_default())
        } else if let Some(arn) = &config.iam_role_arn {
            RoleRef::Arn(arn.clone())
        } else if config.autogen_policy {
            if !roles.iter().any(|r| r.resource_name == DEFAULT_ROLE) {
                roles.push(DesiredRole {
                    resource_name: DEFAULT_ROLE.into(),
                    role_name: naming::role_name(&app, stage.name()),
                    trust_policy: naming::lambda_trust_policy(),
                    policy: naming::managed_role_policy(false, false),
                });
            }
            // The shared role covers what any function using it needs.
            if let Some(role) = roles.iter_mut().find(|r| r.resource_name == DEFAULT_ROLE) {
                let vpc = !config.subnet_ids.is_empty()
                    || role_needs(&role.policy, "ec2:CreateNetworkInterface");
                let xray = config.xray || role_needs(&role.policy, "xray:PutTraceSegments");
                role.policy = naming::managed_role_policy(vpc, xray);
            }
            RoleRef::Managed(DEFAULT_ROLE.into())
        } else {
            let file = config
                .iam_policy_file
                .clone()
                .unwrap_or_else(|| format!("policy-{}.json", stage.name()));
            let role_resource = format!("{resource_name}_role");
            roles.push(DesiredRole {
                resource_name: role_resource.clone(),
                role_name: naming::function_role_name(&app, stage.name(), &resource_name),
                trust_policy: naming::lambda_trust_policy(),
                policy: read_policy(&file)?,
            });
            RoleRef::Managed(role_resource)
        };
        let function_tags = naming::function_tags(&app, stage.name(), &config.tags);
        let function_name = naming::function_name(&app, stage.name(), &resource_name);
        naming::check_function_name(&function_name).map_err(|message| {
            Error::new(format!(
                "authorizer `{resource_name}` of app `{app}` on stage `{}` gives {message}; shorten app_name, the stage or the authorizer's name",
                stage.name()
            ))
        })?;
        functions.push(DesiredFunction {
            handler: naming::handler(&resource_name).to_owned(),
            resource_name,
            function_name,
            role,
            memory_size: config.memory_size,
            timeout: config.timeout,
            environment: config.environment_variables.clone(),
            tags: function_tags,
            architecture: stage.architecture(),
            code_sha256: code_sha256.to_owned(),
            layers: config.layers.clone(),
            reserved_concurrency: config.reserved_concurrency,
            subnet_ids: config.subnet_ids.clone(),
            security_group_ids: config.security_group_ids.clone(),
            xray: config.xray,
        });
    }

    let api = desired_api(manifest, stage)?;
    Ok(Desired {
        app,
        stage: stage.name().to_owned(),
        region: region.to_owned(),
        account: Account::default(),
        tags,
        roles,
        functions,
        api,
    })
}

fn desired_api(manifest: &Manifest, stage: &Stage<'_>) -> Result<DesiredApi> {
    let mut resources: BTreeMap<String, BTreeMap<String, DesiredMethod>> = BTreeMap::new();
    resources.insert("/".into(), BTreeMap::new());
    let mut used: Vec<&str> = Vec::new();
    for route in &manifest.routes {
        // Every ancestor is a resource too.
        let mut path = String::new();
        for segment in route.path.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            path.push_str(segment);
            resources.entry(path.clone()).or_default();
        }
        let authorizer = match &route.authorizer {
            None => None,
            Some(name) => Some(
                manifest
                    .authorizers
                    .iter()
                    .find(|a| a.name() == name)
                    .ok_or_else(|| {
                        Error::new(format!(
                            "route {} names authorizer `{name}`, which the manifest does not list",
                            route.path
                        ))
                    })?,
            ),
        };
        let (authorization_type, authorizer_name) = match authorizer {
            None => ("NONE", None),
            Some(ManifestAuthorizer::Iam { .. }) => ("AWS_IAM", None),
            Some(ManifestAuthorizer::CognitoUserPools { name, .. }) => {
                ("COGNITO_USER_POOLS", Some(name.clone()))
            }
            Some(other) => ("CUSTOM", Some(other.name().to_owned())),
        };
        if let Some(name) = &authorizer_name {
            used.push(
                manifest
                    .authorizers
                    .iter()
                    .find(|a| a.name() == name)
                    .map(ManifestAuthorizer::name)
                    .unwrap_or_default(),
            );
        }
        let methods = resources.entry(route.path.clone()).or_default();
        for method in &route.methods {
            methods.insert(
                method.clone(),
                DesiredMethod {
                    authorization_type: authorization_type.into(),
                    authorizer: authorizer_name.clone(),
                    scopes: if authorization_type == "COGNITO_USER_POOLS" {
                        route.scopes.clone()
                    } else {
                        Vec::new()
                    },
                    api_key_required: route.api_key_required,
                    integration: Integration::Proxy,
                },
            );
        }
    }
    // CORS preflights, for paths with CORS routes and no OPTIONS view.
    for route in manifest.routes.iter().filter(|r| r.cors) {
        let cors_methods: Vec<&str> = manifest
            .routes
            .iter()
            .filter(|r| r.path == route.path && r.cors)
            .flat_map(|r| r.methods.iter().map(String::as_str))
            .collect();
        let methods = resources.entry(route.path.clone()).or_default();
        if !methods.contains_key("OPTIONS") {
            methods.insert(
                "OPTIONS".into(),
                DesiredMethod {
                    authorization_type: "NONE".into(),
                    authorizer: None,
                    scopes: Vec::new(),
                    api_key_required: false,
                    integration: Integration::CorsPreflight {
                        allow_methods: chalice_runtime::cors::allow_methods(cors_methods),
                    },
                },
            );
        }
    }
    let mut authorizers = Vec::new();
    for authorizer in &manifest.authorizers {
        let desired = match authorizer {
            ManifestAuthorizer::Iam { .. } => continue,
            ManifestAuthorizer::Builtin {
                name,
                auth_type,
                header,
                ttl_seconds,
                execution_role,
                identity_sources,
                ..
            } => DesiredAuthorizer {
                name: name.clone(),
                authorizer_type: auth_type.clone(),
                target: AuthorizerTarget::Function(name.clone()),
                identity_source: identity_sources_expression(auth_type, header, identity_sources),
                ttl_seconds: ttl_seconds.unwrap_or(300),
                credentials: execution_role.clone(),
                provider_arns: Vec::new(),
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
            } => {
                if !used.contains(&name.as_str()) {
                    continue;
                }
                DesiredAuthorizer {
                    name: name.clone(),
                    authorizer_type: auth_type.clone(),
                    target: AuthorizerTarget::Uri(authorizer_uri.clone()),
                    identity_source: identity_sources_expression(
                        auth_type,
                        header,
                        identity_sources,
                    ),
                    ttl_seconds: *ttl_seconds,
                    credentials: invoke_role_arn.clone(),
                    provider_arns: Vec::new(),
                }
            }
            ManifestAuthorizer::CognitoUserPools {
                name,
                provider_arns,
                header,
                ..
            } => {
                if !used.contains(&name.as_str()) {
                    continue;
                }
                DesiredAuthorizer {
                    name: name.clone(),
                    authorizer_type: "COGNITO_USER_POOLS".into(),
                    target: AuthorizerTarget::None,
                    identity_source: format!("method.request.header.{header}"),
                    ttl_seconds: 300,
                    credentials: None,
                    provider_arns: provider_arns.clone(),
                }
            }
        };
        authorizers.push(desired);
    }
    Ok(DesiredApi {
        name: manifest.app_name.clone(),
        endpoint_type: stage.endpoint_type(),
        stage_name: stage.api_gateway_stage(),
        resources,
        authorizers,
    })
}

fn identity_sources_expression(auth_type: &str, header: &str, sources: &[String]) -> String {
    if auth_type == "REQUEST" {
        naming::identity_source(sources)
    } else {
        format!("method.request.header.{header}")
    }
}

/// Whether a managed role's policy already grants `action` (to another function using it).
fn role_needs(policy: &Value, action: &str) -> bool {
    policy["Statement"].as_array().is_some_and(|statements| {
        statements.iter().any(|s| {
            s["Action"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == action))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_is_the_callers_else_the_regions() {
        for (arn, region, partition) in [
            (
                Some("arn:aws:sts::123456789012:assumed-role/r/s"),
                "us-west-2",
                "aws",
            ),
            (
                Some("arn:aws-cn:iam::123456789012:user/u"),
                "cn-north-1",
                "aws-cn",
            ),
            (
                Some("arn:aws-us-gov:iam::123456789012:root"),
                "us-gov-west-1",
                "aws-us-gov",
            ),
            (None, "cn-northwest-1", "aws-cn"),
            (None, "us-gov-east-1", "aws-us-gov"),
            (None, "us-isob-east-1", "aws-iso-b"),
            (None, "eu-west-1", "aws"),
            (Some("not an arn"), "us-iso-east-1", "aws-iso"),
        ] {
            assert_eq!(
                Account::of_caller("123456789012", arn, region),
                Account {
                    id: "123456789012".into(),
                    partition: partition.into()
                },
                "{arn:?} {region}"
            );
        }
    }
}
