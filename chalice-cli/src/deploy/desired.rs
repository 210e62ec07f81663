//! What a stage should be on AWS: the stage's [`Model`] in the terms of the AWS APIs the
//! deployer calls, plus what only a deploy knows (region, account, the code's hash). Pure
//! data, so the plan can be computed and tested without AWS.

use std::collections::BTreeMap;

use chalice_runtime::manifest::Manifest;
use serde_json::Value;

use crate::config::{Architecture, EndpointType, Stage};
use crate::error::Result;
use crate::model::{self, Model, Resource, RestApi};

use super::desired_http;
pub use super::desired_http::{DesiredHttpApi, HTTP_API};
pub use crate::model::{DEFAULT_ROLE, Function, ManagedRole, Role, Target as AuthorizerTarget};
pub use crate::naming::{RUNTIME, TAG_APP as APP_TAG, TAG_STAGE as STAGE_TAG};
pub use chalice_runtime::lambda::API_HANDLER;
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
    /// The managed roles, as the model resolves them (none when every function names its
    /// own); each trusts Lambda ([`model::role::trust_policy`]).
    pub roles: Vec<ManagedRole>,
    /// The API handler first, then one function per built-in authorizer, as the model
    /// resolves them.
    pub functions: Vec<Function>,
    /// Every function's architecture.
    pub architecture: Architecture,
    /// Base64 SHA-256 of the zip every function runs.
    pub code_sha256: String,
    /// The API: a REST API or an HTTP API, as the app chose.
    pub api: Api,
    /// The REST API's custom domain name and base path mapping, if the config names one.
    pub custom_domain: Option<model::CustomDomain>,
}

/// The stage's API, of the kind the app chose.
#[derive(Debug, Clone, PartialEq)]
pub enum Api {
    /// A REST API (API Gateway v1).
    Rest(DesiredApi),
    /// An HTTP API (API Gateway v2).
    Http(DesiredHttpApi),
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

    /// The function the API's methods are proxied to.
    pub fn api_handler(&self) -> Option<&Function> {
        self.functions.iter().find(|f| f.is_api_handler())
    }

    /// The function `name` (its record name).
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The functions API Gateway invokes (see [`Function::invoked_by`]), as
    /// [`Model::invoked_by_api`] but for the authorizers API Gateway is to hold.
    pub fn invoked_by_api(&self) -> impl Iterator<Item = &Function> {
        self.functions
            .iter()
            .filter(|f| f.invoked_by(self.authorizer_targets()))
    }

    /// Who answers for each authorizer API Gateway is to hold.
    fn authorizer_targets(&self) -> Box<dyn Iterator<Item = &AuthorizerTarget> + '_> {
        match &self.api {
            Api::Rest(api) => Box::new(api.authorizers.iter().map(|a| &a.target)),
            Api::Http(api) => Box::new(api.authorizers.iter().filter_map(|a| a.kind.target())),
        }
    }

    /// The REST API, if the app has one.
    pub fn rest_api(&self) -> Option<&DesiredApi> {
        match &self.api {
            Api::Rest(api) => Some(api),
            Api::Http(_) => None,
        }
    }

    /// The HTTP API, if the app has one.
    pub fn http_api(&self) -> Option<&DesiredHttpApi> {
        match &self.api {
            Api::Http(api) => Some(api),
            Api::Rest(_) => None,
        }
    }

    /// The API Gateway stage the API is served on.
    pub fn stage_name(&self) -> &str {
        match &self.api {
            Api::Rest(api) => &api.stage_name,
            Api::Http(api) => &api.stage_name,
        }
    }
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
    /// The gateway responses the app sets (see `RestApi::gateway_responses`): response
    /// parameters by response type.
    pub gateway_responses: GatewayResponses,
    /// Its own settings from the config: policy, VPC endpoints, compression.
    pub settings: super::api_settings::RestApiSettings,
    /// The usage plan and API keys of its stage, when the config names keys.
    pub usage_plan: Option<model::UsagePlan>,
    /// The stage's variables (`stage_variables`).
    pub stage_variables: BTreeMap<String, String>,
}

/// Gateway responses: each response type's `responseParameters`.
pub type GatewayResponses = BTreeMap<String, BTreeMap<String, String>>;

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
    /// A `MOCK` answering a CORS preflight with these headers.
    CorsPreflight {
        /// Each response header's name and value (unquoted): the allowed methods and the
        /// path's CORS configuration.
        headers: BTreeMap<String, String>,
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
    /// Reads a policy file under `.chalice/`: a role's (`autogen_policy: false`) or the REST
    /// API's (`api_gateway_policy_file`).
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
    let model = Model::resolve_with(manifest, stage, read_policy)?;
    if let Some(domain) = &model.custom_domain {
        check_regional_certificate(domain, stage, region)?;
    }
    let api = match &model.api {
        model::Api::Rest(api) => Api::Rest(DesiredApi {
            usage_plan: model.usage_plan(),
            ..desired_api(api)
        }),
        model::Api::Http(api) => Api::Http(desired_http::desired_http_api(api)),
    };
    Ok(Desired {
        tags: BTreeMap::from([
            (APP_TAG.to_owned(), model.app.clone()),
            (STAGE_TAG.to_owned(), model.stage.clone()),
        ]),
        app: model.app,
        stage: model.stage,
        region: region.to_owned(),
        account: Account::default(),
        roles: model.roles,
        functions: model.functions,
        architecture: model.architecture,
        code_sha256: code_sha256.to_owned(),
        api,
        custom_domain: model.custom_domain,
    })
}

/// A REGIONAL domain's certificate must be in the region deployed to (only a deploy knows
/// which): else API Gateway refuses it half-way through, so it is refused before any call.
fn check_regional_certificate(
    domain: &model::CustomDomain,
    stage: &Stage<'_>,
    region: &str,
) -> Result<()> {
    let model::Certificate::Regional(arn) = &domain.certificate else {
        return Ok(());
    };
    let in_region = crate::config::certificate_region(arn);
    if in_region == Some(region) {
        return Ok(());
    }
    Err(stage.error(&format!(
        "`api_gateway_custom_domain.certificate_arn` \"{arn}\" is in {}, but a REGIONAL API's custom domain takes a certificate in the region deployed to, {region}",
        in_region.unwrap_or("no region")
    )))
}

/// The API as API Gateway's resource tree: every path with its ancestors (`/` first), each
/// route's methods proxied to the API handler, the CORS preflights, and the authorizers.
fn desired_api(api: &RestApi) -> DesiredApi {
    let mut resources: BTreeMap<String, BTreeMap<String, DesiredMethod>> = BTreeMap::new();
    resources.insert("/".into(), BTreeMap::new());
    for Resource {
        path,
        methods,
        preflight,
    } in api.resources()
    {
        let mut ancestor = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            ancestor.push('/');
            ancestor.push_str(segment);
            resources.entry(ancestor.clone()).or_default();
        }
        let desired = resources.entry(path.to_owned()).or_default();
        for method in methods {
            desired.insert(
                method.http_method.clone(),
                DesiredMethod {
                    authorization_type: method.authorization_type.as_str().to_owned(),
                    authorizer: method.gateway_authorizer().map(str::to_owned),
                    scopes: method.authorization_scopes().to_vec(),
                    api_key_required: method.api_key_required,
                    integration: Integration::Proxy,
                },
            );
        }
        if let Some(preflight) = preflight {
            desired.insert(
                "OPTIONS".into(),
                DesiredMethod {
                    authorization_type: model::AuthorizationType::None.as_str().to_owned(),
                    authorizer: None,
                    scopes: Vec::new(),
                    api_key_required: false,
                    integration: Integration::CorsPreflight {
                        headers: preflight
                            .headers()
                            .into_iter()
                            .map(|(name, value)| (name.to_owned(), value))
                            .collect(),
                    },
                },
            );
        }
    }
    let authorizers = api
        .gateway_authorizers()
        .filter_map(|authorizer| {
            Some(DesiredAuthorizer {
                name: authorizer.name.clone(),
                authorizer_type: authorizer.kind.authorizer_type()?.to_owned(),
                target: authorizer.target.clone(),
                identity_source: authorizer.kind.identity_source()?,
                ttl_seconds: authorizer.ttl(),
                credentials: authorizer.credentials.clone(),
                provider_arns: authorizer.kind.provider_arns().to_vec(),
            })
        })
        .collect();
    DesiredApi {
        name: api.name.clone(),
        endpoint_type: api.settings.endpoint_type,
        stage_name: api.settings.stage_name.clone(),
        resources,
        authorizers,
        gateway_responses: api
            .gateway_responses()
            .iter()
            .map(|response| {
                (
                    response.response_type.to_owned(),
                    response.response_parameters(),
                )
            })
            .collect(),
        settings: super::api_settings::RestApiSettings::of(&api.settings),
        usage_plan: None,
        stage_variables: api.settings.stage_variables.clone(),
    }
}

/// The desired state of `manifest` on stage `dev` of the config `config_json`, with code
/// `sha`, in account 123456789012 of `partition` and in `region`: the tests' fixture.
#[cfg(test)]
pub(crate) fn for_test(
    manifest: &Manifest,
    config_json: &str,
    region: &str,
    partition: &str,
) -> Desired {
    let config = crate::config::Config::parse(config_json, std::path::Path::new("config.json"))
        .expect("the test's config parses");
    desired(Inputs {
        manifest,
        stage: &config
            .stage("dev")
            .expect("the test's config has stage dev"),
        region,
        code_sha256: "sha",
        read_policy: &|file| {
            Err(crate::error::Error::new(format!(
                "{file}: not in this test"
            )))
        },
    })
    .expect("the test's app resolves")
    .in_account(Account {
        id: "123456789012".into(),
        partition: partition.into(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chalice_runtime::manifest::ManifestAuthorizer;

    use super::*;
    use crate::config::Config;
    use crate::error::Error;
    use crate::test_support::{authorized, builtin, manifest, route};

    #[test]
    fn the_model_is_spelt_as_api_gateway_and_lambda_take_it() {
        let app = manifest(
            "app",
            vec![
                authorized("/users/{id}", &["GET"], "pool", &["read"]),
                authorized("/admin", &["POST"], "auth", &["ignored"]),
                chalice_runtime::manifest::ManifestRoute {
                    cors: Some(chalice_runtime::cors::CorsSettings::default()),
                    ..route("/users/{id}", &["PUT"])
                },
            ],
            vec![
                builtin("auth"),
                ManifestAuthorizer::CognitoUserPools {
                    name: "pool".into(),
                    provider_arns: vec!["arn:pool".into()],
                    header: "Authorization".into(),
                    scopes: Vec::new(),
                },
            ],
        );
        let config = Config::parse(
            r#"{"app_name": "app", "stages": {"dev": {"lambda_functions": {"auth": {"iam_role_arn": "arn:aws:iam::123456789012:role/r"}}}}}"#,
            Path::new("config.json"),
        )
        .unwrap();
        let desired = desired(Inputs {
            manifest: &app,
            stage: &config.stage("dev").unwrap(),
            region: "us-west-2",
            code_sha256: "sha",
            read_policy: &|file| Err(Error::new(format!("{file}: not expected"))),
        })
        .unwrap();
        let api = desired.rest_api().unwrap();
        let paths: Vec<&str> = api.resources.keys().map(String::as_str).collect();
        assert_eq!(paths, ["/", "/admin", "/users", "/users/{id}"]);
        let user = &api.resources["/users/{id}"];
        assert_eq!(user["GET"].authorization_type, "COGNITO_USER_POOLS");
        assert_eq!(user["GET"].scopes, ["read"]);
        let Integration::CorsPreflight { headers } = &user["OPTIONS"].integration else {
            panic!("{:?}", user["OPTIONS"]);
        };
        assert_eq!(headers["Access-Control-Allow-Methods"], "PUT,OPTIONS");
        assert_eq!(headers["Access-Control-Allow-Origin"], "*");
        assert_eq!(headers.len(), 3);
        let admin = &api.resources["/admin"]["POST"];
        assert_eq!(
            (
                admin.authorization_type.as_str(),
                admin.authorizer.as_deref()
            ),
            ("CUSTOM", Some("auth"))
        );
        assert!(admin.scopes.is_empty());
        assert_eq!(
            api.authorizers,
            [
                DesiredAuthorizer {
                    name: "auth".into(),
                    authorizer_type: "TOKEN".into(),
                    target: AuthorizerTarget::Function("auth".into()),
                    identity_source: "method.request.header.Authorization".into(),
                    ttl_seconds: 300,
                    credentials: None,
                    provider_arns: Vec::new(),
                },
                DesiredAuthorizer {
                    name: "pool".into(),
                    authorizer_type: "COGNITO_USER_POOLS".into(),
                    target: AuthorizerTarget::None,
                    identity_source: "method.request.header.Authorization".into(),
                    ttl_seconds: 300,
                    credentials: None,
                    provider_arns: vec!["arn:pool".into()],
                },
            ]
        );
        let roles: Vec<&Role> = desired.functions.iter().map(|f| &f.role).collect();
        assert_eq!(
            roles,
            [
                &Role::Managed(DEFAULT_ROLE.into()),
                &Role::Existing("arn:aws:iam::123456789012:role/r".into())
            ]
        );
        let invoked: Vec<&str> = desired.invoked_by_api().map(|f| f.name.as_str()).collect();
        assert_eq!(invoked, [API_HANDLER, "auth"]);
        assert_eq!(desired.api_handler().unwrap().function_name, "app-dev");
        assert_eq!(desired.code_sha256, "sha");
    }

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

    #[test]
    fn a_regional_domains_certificate_must_be_in_the_region_deployed_to() {
        let app = manifest("app", vec![route("/", &["GET"])], Vec::new());
        let config = Config::parse(
            r#"{"app_name": "app", "stages": {"dev": {"api_gateway_endpoint_type": "REGIONAL",
                "api_gateway_custom_domain": {"domain_name": "api.example.com",
                "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/c"}}}}"#,
            Path::new("config.json"),
        )
        .unwrap();
        let stage = config.stage("dev").unwrap();
        let read_policy = |file: &str| Err(Error::new(format!("{file}: not expected")));
        let inputs = |region| Inputs {
            manifest: &app,
            stage: &stage,
            region,
            code_sha256: "sha",
            read_policy: &read_policy,
        };
        let error = desired(inputs("us-west-2")).unwrap_err().to_string();
        assert_eq!(
            error,
            "config.json: stage `dev`: `api_gateway_custom_domain.certificate_arn` \"arn:aws:acm:eu-west-1:123456789012:certificate/c\" is in eu-west-1, but a REGIONAL API's custom domain takes a certificate in the region deployed to, us-west-2"
        );
        let found = desired(inputs("eu-west-1")).unwrap();
        assert_eq!(found.custom_domain.unwrap().domain_name, "api.example.com");
    }
}
