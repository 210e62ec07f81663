//! The AWS calls of the deployer: reading the observed state and applying one step, each error
//! naming the step, the resource and AWS's message. Waits and bounded retries cover what AWS
//! makes eventually consistent (a new role Lambda cannot assume yet, an update in progress).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_apigateway::types::{
    AuthorizerType, EndpointConfiguration, EndpointType as ApiEndpointType, IntegrationType,
};
use aws_sdk_lambda::client::Waiters as _;
use aws_sdk_lambda::types::{
    Architecture as LambdaArchitecture, Environment, FunctionCode, Runtime, TracingConfig,
    TracingMode, VpcConfig,
};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::Blob;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use super::desired::{
    APP_TAG, Account, AuthorizerTarget, Desired, DesiredFunction, DesiredMethod, Integration,
    RUNTIME, STAGE_TAG,
};
use super::observed::{
    Observed, ObservedApi, ObservedAuthorizer, ObservedFunction, ObservedMethod, ObservedResource,
    ObservedRole,
};
use super::plan::{
    Step, api_fingerprint, architecture_name, authorizer_uri, function_arn, function_role_arn,
};
use super::record::Record;
use crate::config::EndpointType;
use crate::error::{Error, Result};
use crate::openapi::invocation_uri;

/// The CORS header that tells preflights apart.
const ALLOW_METHODS_HEADER: &str = "Access-Control-Allow-Methods";
/// Where a preflight's integration response sets it.
const ALLOW_METHODS_PARAMETER: &str = "method.response.header.Access-Control-Allow-Methods";

/// The clients of the services the deployer uses.
#[derive(Debug, Clone)]
pub struct Aws {
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    apigateway: aws_sdk_apigateway::Client,
    sts: aws_sdk_sts::Client,
    region: String,
}

fn failed(what: impl std::fmt::Display, error: impl std::error::Error) -> Error {
    Error::new(format!("{what}: {}", DisplayErrorContext(error)))
}

/// A call's answer, or `None` when AWS says the thing is not there (`is_missing` picks that
/// error out of the service's); any other failure says what was being done.
fn unless_missing<T, E, R>(
    result: std::result::Result<T, SdkError<E, R>>,
    is_missing: impl FnOnce(&E) -> bool,
    what: impl FnOnce() -> String,
) -> Result<Option<T>>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(error) if error.as_service_error().is_some_and(is_missing) => Ok(None),
        Err(error) => Err(failed(what(), error)),
    }
}

/// How to retry a call AWS answers with "not yet": how many attempts, and the first pause
/// (doubled after each attempt, capped at 5 s).
#[derive(Debug, Clone, Copy)]
struct Patience {
    attempts: u32,
    first_pause: Duration,
}

/// A role just made is assumable by Lambda within seconds: about 43 s of pauses in all.
const PROPAGATION: Patience = Patience {
    attempts: 13,
    first_pause: Duration::from_millis(250),
};

/// API Gateway refusing a change as busy or throttled: about 6 s of pauses in all.
const BUSY: Patience = Patience {
    attempts: 7,
    first_pause: Duration::from_millis(100),
};

/// Calls `call` while `retryable` says its error is AWS catching up, as `patience` allows.
async fn with_retries<T, E, F, Fut>(
    patience: Patience,
    mut call: F,
    retryable: impl Fn(&E) -> bool,
) -> std::result::Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
{
    let mut delay = patience.first_pause;
    for _ in 1..patience.attempts {
        match call().await {
            Err(error) if retryable(&error) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
    call().await
}

/// API Gateway's "try again later": another change to the API is in progress
/// (`ConflictException`) or the account is throttled (`TooManyRequestsException`).
fn apigateway_busy<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| matches!(code, "ConflictException" | "TooManyRequestsException"))
}

/// An API Gateway change, retried (bounded) while API Gateway is busy.
async fn busy_retried<T, E, R, F, Fut>(call: F) -> std::result::Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, R>>>,
{
    with_retries(BUSY, call, apigateway_busy).await
}

impl Aws {
    /// Clients for the configuration (credentials, region and endpoint from the standard chain).
    pub fn new(config: &SdkConfig) -> Result<Aws> {
        Aws::with_interceptor(config, None)
    }

    /// Clients that also run `interceptor` on every call (tests count the calls with it).
    pub fn with_interceptor(
        config: &SdkConfig,
        interceptor: Option<SharedInterceptor>,
    ) -> Result<Aws> {
        let region = config
            .region()
            .map(|region| region.to_string())
            .ok_or_else(|| {
                Error::new("no AWS region: set AWS_REGION or a region in your AWS profile")
            })?;
        macro_rules! client {
            ($service:ident) => {{
                let mut builder = $service::config::Builder::from(config);
                if let Some(interceptor) = &interceptor {
                    builder.push_interceptor(interceptor.clone());
                }
                $service::Client::from_conf(builder.build())
            }};
        }
        Ok(Aws {
            iam: client!(aws_sdk_iam),
            lambda: client!(aws_sdk_lambda),
            apigateway: client!(aws_sdk_apigateway),
            sts: client!(aws_sdk_sts),
            region,
        })
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account the credentials belong to, and its partition.
    pub async fn account(&self) -> Result<Account> {
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| failed("reading the AWS account (sts:GetCallerIdentity)", e))?;
        let id = identity
            .account()
            .ok_or_else(|| Error::new("sts:GetCallerIdentity returned no account"))?;
        Ok(Account::of_caller(id, identity.arn(), &self.region))
    }

    /// Reads what exists of the stage: by the record, by the names chalice-rs gives, and by tags.
    pub async fn observe(&self, desired: &Desired, record: &Record) -> Result<Observed> {
        let mut observed = Observed::default();
        for role in &desired.roles {
            if let Some(found) = self.role(&role.role_name).await? {
                observed.roles.insert(role.resource_name.clone(), found);
            }
        }
        let (api_id, twins) = self.find_api(desired, record).await?;
        observed.twin_apis = twins;
        for function in &desired.functions {
            if let Some(found) = self
                .function(&function.function_name, desired, api_id.as_deref())
                .await?
            {
                observed
                    .functions
                    .insert(function.resource_name.clone(), found);
            }
        }
        if let Some(id) = api_id {
            observed.api = Some(self.api(&id, &desired.api.stage_name).await?);
        }
        for entry in record.of_type("lambda_function") {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let arn = entry
                .get("lambda_arn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !desired.functions.iter().any(|f| f.resource_name == name) && !arn.is_empty() {
                let function_name = arn.rsplit(':').next().unwrap_or(arn).to_owned();
                observed
                    .stale_functions
                    .push((name.to_owned(), function_name));
            }
        }
        for entry in record.of_type("iam_role") {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let role_name = entry
                .get("role_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !desired.roles.iter().any(|r| r.resource_name == name) && !role_name.is_empty() {
                observed
                    .stale_roles
                    .push((name.to_owned(), role_name.to_owned()));
            }
        }
        Ok(observed)
    }

    async fn role(&self, role_name: &str) -> Result<Option<ObservedRole>> {
        let role = unless_missing(
            self.iam.get_role().role_name(role_name).send().await,
            |e| e.is_no_such_entity_exception(),
            || format!("reading IAM role {role_name}"),
        )?;
        let Some(role) = role else {
            return Ok(None);
        };
        let arn = role.role().map(|r| r.arn().to_owned()).unwrap_or_default();
        let policy = unless_missing(
            self.iam
                .get_role_policy()
                .role_name(role_name)
                .policy_name(role_name)
                .send()
                .await,
            |e| e.is_no_such_entity_exception(),
            || format!("reading the policy of IAM role {role_name}"),
        )?
        .and_then(|output| parse_policy_document(output.policy_document()));
        Ok(Some(ObservedRole { arn, policy }))
    }

    async fn function(
        &self,
        function_name: &str,
        desired: &Desired,
        api_id: Option<&str>,
    ) -> Result<Option<ObservedFunction>> {
        let output = unless_missing(
            self.lambda
                .get_function()
                .function_name(function_name)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
            || format!("reading lambda function {function_name}"),
        )?;
        let Some(output) = output else {
            return Ok(None);
        };
        let Some(config) = output.configuration() else {
            return Ok(None);
        };
        let invokable_by_api = match api_id {
            Some(id) => {
                self.has_api_permission(function_name, &source_arn(desired, id))
                    .await?
            }
            None => false,
        };
        Ok(Some(ObservedFunction {
            arn: config.function_arn().unwrap_or_default().to_owned(),
            handler: config.handler().unwrap_or_default().to_owned(),
            runtime: config
                .runtime()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            role: config.role().unwrap_or_default().to_owned(),
            memory_size: config
                .memory_size()
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or_default(),
            timeout: config
                .timeout()
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or_default(),
            environment: config
                .environment()
                .and_then(|e| e.variables())
                .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            architecture: config
                .architectures()
                .first()
                .map_or("x86_64", |a| a.as_str())
                .to_owned(),
            code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
            layers: config
                .layers()
                .iter()
                .filter_map(|l| l.arn().map(str::to_owned))
                .collect(),
            tags: output
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            reserved_concurrency: output
                .concurrency()
                .and_then(|c| c.reserved_concurrent_executions())
                .and_then(|n| u32::try_from(n).ok()),
            subnet_ids: config
                .vpc_config()
                .map(|v| v.subnet_ids().to_vec())
                .unwrap_or_default(),
            security_group_ids: config
                .vpc_config()
                .map(|v| v.security_group_ids().to_vec())
                .unwrap_or_default(),
            xray: config
                .tracing_config()
                .and_then(|t| t.mode())
                .is_some_and(|m| *m == TracingMode::Active),
            invokable_by_api,
        }))
    }

    async fn has_api_permission(&self, function_name: &str, source_arn: &str) -> Result<bool> {
        let policy = unless_missing(
            self.lambda
                .get_policy()
                .function_name(function_name)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
            || format!("reading the policy of lambda function {function_name}"),
        )?;
        let Some(policy) = policy else {
            return Ok(false);
        };
        let policy: Value =
            serde_json::from_str(policy.policy().unwrap_or_default()).unwrap_or(Value::Null);
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        Ok(statements.iter().any(|s| {
            s["Action"] == "lambda:InvokeFunction"
                && s["Principal"]["Service"] == "apigateway.amazonaws.com"
                && s["Condition"]["ArnLike"]["AWS:SourceArn"] == source_arn
        }))
    }

    /// The stage's REST API (the recorded one if it still exists, else one tagged for the stage)
    /// and any other tagged ones: twins a retried create left behind.
    async fn find_api(
        &self,
        desired: &Desired,
        record: &Record,
    ) -> Result<(Option<String>, Vec<String>)> {
        let tagged = self.tagged_apis(&desired.app, &desired.stage).await?;
        let recorded = record
            .value(super::desired::REST_API, "rest_api_id")
            .map(str::to_owned);
        let mut chosen = None;
        if let Some(id) = recorded {
            let found = unless_missing(
                self.apigateway.get_rest_api().rest_api_id(&id).send().await,
                |e| e.is_not_found_exception(),
                || format!("reading Rest API {id}"),
            )?;
            if found.is_some() {
                chosen = Some(id);
            }
        }
        // Without a record, the API that was deployed to the stage is the real one; twins from
        // a lost create never got that far.
        if chosen.is_none() {
            for id in &tagged {
                let staged = self
                    .apigateway
                    .get_stage()
                    .rest_api_id(id)
                    .stage_name(&desired.api.stage_name)
                    .send()
                    .await;
                if staged.is_ok() {
                    chosen = Some(id.clone());
                    break;
                }
            }
        }
        let chosen = chosen.or_else(|| tagged.first().cloned());
        let twins = tagged
            .into_iter()
            .filter(|id| Some(id) != chosen.as_ref())
            .collect();
        Ok((chosen, twins))
    }

    /// REST APIs tagged for this app and stage, oldest first.
    pub async fn tagged_apis(&self, app: &str, stage: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let page = self
                .apigateway
                .get_rest_apis()
                .limit(500)
                .set_position(position.clone())
                .send()
                .await
                .map_err(|e| failed("listing Rest APIs", e))?;
            for api in page.items() {
                let tags = api.tags();
                let ours = tags.is_some_and(|t| {
                    t.get(APP_TAG).map(String::as_str) == Some(app)
                        && t.get(STAGE_TAG).map(String::as_str) == Some(stage)
                });
                if ours {
                    found.push((
                        api.created_date().map(|d| d.secs()).unwrap_or_default(),
                        api.id().unwrap_or_default().to_owned(),
                    ));
                }
            }
            match page.position() {
                Some(next) if !page.items().is_empty() && Some(next) != position.as_deref() => {
                    position = Some(next.to_owned())
                }
                _ => break,
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, id)| id).collect())
    }

    async fn api(&self, id: &str, stage_name: &str) -> Result<ObservedApi> {
        let mut api = ObservedApi {
            id: id.to_owned(),
            ..ObservedApi::default()
        };
        let resources = self
            .apigateway
            .get_resources()
            .rest_api_id(id)
            .limit(500)
            .embed("methods")
            .send()
            .await
            .map_err(|e| failed(format!("reading the resources of Rest API {id}"), e))?;
        for resource in resources.items() {
            let (Some(path), Some(resource_id)) = (resource.path(), resource.id()) else {
                continue;
            };
            let mut observed = ObservedResource {
                id: resource_id.to_owned(),
                methods: BTreeMap::new(),
            };
            let methods: Vec<String> = resource
                .resource_methods()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            for method in methods {
                let found = self
                    .apigateway
                    .get_method()
                    .rest_api_id(id)
                    .resource_id(resource_id)
                    .http_method(&method)
                    .send()
                    .await
                    .map_err(|e| {
                        failed(
                            format!("reading method {method} {path} of Rest API {id}"),
                            e,
                        )
                    })?;
                observed.methods.insert(
                    method,
                    ObservedMethod {
                        authorization_type: found.authorization_type().unwrap_or("NONE").to_owned(),
                        authorizer_id: found.authorizer_id().map(str::to_owned),
                        scopes: found.authorization_scopes().to_vec(),
                        api_key_required: found.api_key_required().unwrap_or(false),
                        integration_type: found
                            .method_integration()
                            .and_then(|i| i.r#type())
                            .map(|t| t.as_str().to_owned()),
                        integration_uri: found
                            .method_integration()
                            .and_then(|i| i.uri())
                            .map(str::to_owned),
                        cors_allow_methods: found
                            .method_integration()
                            .and_then(|i| i.integration_responses())
                            .and_then(|responses| responses.get("200"))
                            .and_then(|response| response.response_parameters())
                            .and_then(|parameters| parameters.get(ALLOW_METHODS_PARAMETER))
                            .map(|value| value.trim_matches('\'').to_owned()),
                    },
                );
            }
            api.resources.insert(path.to_owned(), observed);
        }
        let authorizers = self
            .apigateway
            .get_authorizers()
            .rest_api_id(id)
            .limit(500)
            .send()
            .await
            .map_err(|e| failed(format!("reading the authorizers of Rest API {id}"), e))?;
        for authorizer in authorizers.items() {
            let Some(name) = authorizer.name() else {
                continue;
            };
            api.authorizers.insert(
                name.to_owned(),
                ObservedAuthorizer {
                    id: authorizer.id().unwrap_or_default().to_owned(),
                    authorizer_type: authorizer
                        .r#type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    uri: authorizer.authorizer_uri().map(str::to_owned),
                    identity_source: authorizer.identity_source().map(str::to_owned),
                    ttl_seconds: authorizer
                        .authorizer_result_ttl_in_seconds()
                        .and_then(|t| u32::try_from(t).ok()),
                    credentials: authorizer.authorizer_credentials().map(str::to_owned),
                    provider_arns: authorizer.provider_arns().to_vec(),
                },
            );
        }
        api.stage_deployment = unless_missing(
            self.apigateway
                .get_stage()
                .rest_api_id(id)
                .stage_name(stage_name)
                .send()
                .await,
            |e| e.is_not_found_exception(),
            || format!("reading stage {stage_name} of Rest API {id}"),
        )?
        .and_then(|stage| stage.deployment_id().map(str::to_owned));
        if let Some(deployment) = &api.stage_deployment {
            api.deployed_fingerprint = unless_missing(
                self.apigateway
                    .get_deployment()
                    .rest_api_id(id)
                    .deployment_id(deployment)
                    .send()
                    .await,
                |e| e.is_not_found_exception(),
                || format!("reading deployment {deployment} of Rest API {id}"),
            )?
            .and_then(|found| found.description().map(str::to_owned));
        }
        Ok(api)
    }
}

/// IAM returns inline policies URL-encoded; moto returns them as sent.
fn parse_policy_document(document: &str) -> Option<Value> {
    serde_json::from_str(document).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(document)
            .decode_utf8()
            .ok()?;
        serde_json::from_str(&decoded).ok()
    })
}

/// The SourceArn of the permission that lets API `api_id` invoke a function.
pub fn source_arn(desired: &Desired, api_id: &str) -> String {
    format!(
        "arn:{}:execute-api:{}:{}:{api_id}/*",
        desired.account.partition, desired.region, desired.account.id
    )
}

/// The ids the executor learns as it goes: the API, its resources and authorizers.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    /// The REST API.
    pub api: Option<String>,
    /// Resource ids by path.
    pub resources: HashMap<String, String>,
    /// Authorizer ids by name.
    pub authorizers: HashMap<String, String>,
}

impl Ids {
    /// The ids already known from the observed state.
    pub fn from_observed(observed: &Observed) -> Ids {
        let mut ids = Ids::default();
        if let Some(api) = &observed.api {
            ids.api = Some(api.id.clone());
            ids.resources = api
                .resources
                .iter()
                .map(|(path, r)| (path.clone(), r.id.clone()))
                .collect();
            ids.authorizers = api
                .authorizers
                .iter()
                .map(|(name, a)| (name.clone(), a.id.clone()))
                .collect();
        }
        ids
    }

    fn api(&self) -> Result<&str> {
        self.api
            .as_deref()
            .ok_or_else(|| Error::new("internal: no Rest API id at this step"))
    }

    fn resource(&self, path: &str) -> Result<&str> {
        self.resources
            .get(path)
            .map(String::as_str)
            .ok_or_else(|| Error::new(format!("internal: no id for resource {path}")))
    }
}

impl Aws {
    /// Applies one step, updating `ids` and `record` with what it made.
    pub async fn apply(
        &self,
        desired: &Desired,
        step: &Step,
        ids: &mut Ids,
        record: &mut Record,
        zip: &[u8],
    ) -> Result<()> {
        let what = step.to_string();
        match step {
            Step::DeleteTwinApi { id } => {
                busy_retried(|| self.apigateway.delete_rest_api().rest_api_id(id).send())
                    .await
                    .map_err(|e| failed(&what, e))?;
            }
            Step::CreateRole(role) => {
                let mut create = self
                    .iam
                    .create_role()
                    .role_name(&role.role_name)
                    .assume_role_policy_document(role.trust_policy.to_string());
                for (key, value) in &desired.tags {
                    create = create.tags(
                        aws_sdk_iam::types::Tag::builder()
                            .key(key)
                            .value(value)
                            .build()
                            .map_err(|e| failed(&what, e))?,
                    );
                }
                let arn = match create.send().await {
                    Ok(output) => output
                        .role()
                        .map(|r| r.arn().to_owned())
                        .unwrap_or_default(),
                    // A create whose answer was lost: the role is there, with our tags.
                    Err(error)
                        if error
                            .as_service_error()
                            .is_some_and(|e| e.is_entity_already_exists_exception()) =>
                    {
                        super::plan::role_arn(desired, &role.role_name)
                    }
                    Err(error) => return Err(failed(&what, error)),
                };
                record.set(&role.resource_name, "iam_role", "role_arn", &arn);
                record.set(
                    &role.resource_name,
                    "iam_role",
                    "role_name",
                    &role.role_name,
                );
                self.put_role_policy(&role.role_name, &role.policy, &what)
                    .await?;
            }
            Step::PutRolePolicy(role) => {
                self.put_role_policy(&role.role_name, &role.policy, &what)
                    .await?;
                record.set(
                    &role.resource_name,
                    "iam_role",
                    "role_arn",
                    &super::plan::role_arn(desired, &role.role_name),
                );
                record.set(
                    &role.resource_name,
                    "iam_role",
                    "role_name",
                    &role.role_name,
                );
            }
            Step::CreateFunction(function) => {
                let arn = self.create_function(desired, function, zip, &what).await?;
                record.set(
                    &function.resource_name,
                    "lambda_function",
                    "lambda_arn",
                    &arn,
                );
            }
            Step::UpdateFunctionCode(function) => {
                self.wait_updated(&function.function_name).await;
                self.lambda
                    .update_function_code()
                    .function_name(&function.function_name)
                    .zip_file(Blob::new(zip.to_vec()))
                    .architectures(lambda_architecture(function))
                    .send()
                    .await
                    .map_err(|e| failed(&what, e))?;
            }
            Step::UpdateFunctionConfiguration(function) => {
                self.wait_updated(&function.function_name).await;
                let role = function_role_arn(desired, function);
                let lambda = &self.lambda;
                with_retries(
                    PROPAGATION,
                    || {
                        lambda
                            .update_function_configuration()
                            .function_name(&function.function_name)
                            .handler(&function.handler)
                            .runtime(Runtime::from(RUNTIME))
                            .role(&role)
                            .memory_size(i32::try_from(function.memory_size).unwrap_or(i32::MAX))
                            .timeout(i32::try_from(function.timeout).unwrap_or(i32::MAX))
                            .environment(environment(function))
                            .set_layers(Some(function.layers.clone()))
                            .vpc_config(vpc_config(function))
                            .tracing_config(tracing(function))
                            .send()
                    },
                    |e| {
                        e.as_service_error().is_some_and(|e| {
                            e.is_resource_conflict_exception()
                                || e.is_invalid_parameter_value_exception()
                        })
                    },
                )
                .await
                .map_err(|e| failed(&what, e))?;
                record.set(
                    &function.resource_name,
                    "lambda_function",
                    "lambda_arn",
                    &function_arn(desired, &function.function_name),
                );
            }
            Step::SetFunctionTags { function, remove } => {
                let arn = function_arn(desired, &function.function_name);
                if !remove.is_empty() {
                    self.lambda
                        .untag_resource()
                        .resource(&arn)
                        .set_tag_keys(Some(remove.clone()))
                        .send()
                        .await
                        .map_err(|e| failed(&what, e))?;
                }
                let tags: HashMap<String, String> = function.tags.clone().into_iter().collect();
                self.lambda
                    .tag_resource()
                    .resource(&arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| failed(&what, e))?;
            }
            Step::SetFunctionConcurrency(function) => match function.reserved_concurrency {
                Some(limit) => {
                    self.lambda
                        .put_function_concurrency()
                        .function_name(&function.function_name)
                        .reserved_concurrent_executions(i32::try_from(limit).unwrap_or(i32::MAX))
                        .send()
                        .await
                        .map_err(|e| failed(&what, e))?;
                }
                None => {
                    self.lambda
                        .delete_function_concurrency()
                        .function_name(&function.function_name)
                        .send()
                        .await
                        .map_err(|e| failed(&what, e))?;
                }
            },
            Step::CreateRestApi => {
                let mut create = self
                    .apigateway
                    .create_rest_api()
                    .name(&desired.api.name)
                    .endpoint_configuration(
                        EndpointConfiguration::builder()
                            .types(endpoint_type(desired.api.endpoint_type))
                            .build(),
                    );
                for (key, value) in &desired.tags {
                    create = create.tags(key, value);
                }
                let created = busy_retried(|| create.clone().send())
                    .await
                    .map_err(|e| failed(&what, e))?;
                let id = created.id().unwrap_or_default().to_owned();
                record.set(super::desired::REST_API, "rest_api", "rest_api_id", &id);
                let resources = self
                    .apigateway
                    .get_resources()
                    .rest_api_id(&id)
                    .send()
                    .await
                    .map_err(|e| failed(&what, e))?;
                for resource in resources.items() {
                    if let (Some(path), Some(resource_id)) = (resource.path(), resource.id()) {
                        ids.resources
                            .insert(path.to_owned(), resource_id.to_owned());
                    }
                }
                ids.api = Some(id);
            }
            Step::CreateResource { path } => {
                let (parent, part) = path.rsplit_once('/').unwrap_or(("", path));
                let parent = if parent.is_empty() { "/" } else { parent };
                let create = self
                    .apigateway
                    .create_resource()
                    .rest_api_id(ids.api()?)
                    .parent_id(ids.resource(parent)?)
                    .path_part(part);
                let created = busy_retried(|| create.clone().send())
                    .await
                    .map_err(|e| failed(&what, e))?;
                ids.resources
                    .insert(path.clone(), created.id().unwrap_or_default().to_owned());
            }
            Step::DeleteMethod { path, method } => {
                let delete = self
                    .apigateway
                    .delete_method()
                    .rest_api_id(ids.api()?)
                    .resource_id(ids.resource(path)?)
                    .http_method(method);
                busy_retried(|| delete.clone().send())
                    .await
                    .map_err(|e| failed(&what, e))?;
            }
            Step::DeleteAuthorizer { name } => {
                if let Some(id) = ids.authorizers.remove(name) {
                    let delete = self
                        .apigateway
                        .delete_authorizer()
                        .rest_api_id(ids.api()?)
                        .authorizer_id(id);
                    busy_retried(|| delete.clone().send())
                        .await
                        .map_err(|e| failed(&what, e))?;
                }
            }
            Step::CreateAuthorizer(authorizer) => {
                let kind = match authorizer.authorizer_type.as_str() {
                    "REQUEST" => AuthorizerType::Request,
                    "COGNITO_USER_POOLS" => AuthorizerType::CognitoUserPools,
                    _ => AuthorizerType::Token,
                };
                let mut create = self
                    .apigateway
                    .create_authorizer()
                    .rest_api_id(ids.api()?)
                    .name(&authorizer.name)
                    .r#type(kind)
                    .identity_source(&authorizer.identity_source)
                    .set_authorizer_uri(authorizer_uri(desired, authorizer))
                    .set_authorizer_credentials(authorizer.credentials.clone())
                    .set_provider_arns(
                        (!authorizer.provider_arns.is_empty())
                            .then(|| authorizer.provider_arns.clone()),
                    );
                if authorizer.target != AuthorizerTarget::None {
                    create = create.authorizer_result_ttl_in_seconds(
                        i32::try_from(authorizer.ttl_seconds).unwrap_or(300),
                    );
                }
                let created = busy_retried(|| create.clone().send())
                    .await
                    .map_err(|e| failed(&what, e))?;
                ids.authorizers.insert(
                    authorizer.name.clone(),
                    created.id().unwrap_or_default().to_owned(),
                );
            }
            Step::PutMethod { path, method, spec } => {
                self.put_method(desired, ids, path, method, spec, &what)
                    .await?
            }
            Step::DeleteResource { path } => {
                if let Some(id) = ids.resources.remove(path) {
                    let delete = self
                        .apigateway
                        .delete_resource()
                        .rest_api_id(ids.api()?)
                        .resource_id(id);
                    busy_retried(|| delete.clone().send())
                        .await
                        .map_err(|e| failed(&what, e))?;
                }
                ids.resources
                    .retain(|other, _| !other.starts_with(&format!("{path}/")));
            }
            Step::AddPermission { function_name, .. } => {
                let statement_id = format!("chalice-rs-apigateway-{}", ids.api()?);
                let added = self
                    .lambda
                    .add_permission()
                    .function_name(function_name)
                    .statement_id(statement_id)
                    .action("lambda:InvokeFunction")
                    .principal("apigateway.amazonaws.com")
                    .source_arn(source_arn(desired, ids.api()?))
                    .send()
                    .await;
                match added {
                    Ok(_) => {}
                    // The statement id names this API: the grant was made by an earlier
                    // attempt whose answer was lost.
                    Err(error)
                        if error
                            .as_service_error()
                            .is_some_and(|e| e.is_resource_conflict_exception()) => {}
                    Err(error) => return Err(failed(&what, error)),
                }
            }
            Step::CreateDeployment { stage } => {
                let api = ids.api()?.to_owned();
                let fingerprint = api_fingerprint(desired);
                busy_retried(|| {
                    self.apigateway
                        .create_deployment()
                        .rest_api_id(&api)
                        .stage_name(stage)
                        .description(&fingerprint)
                        .send()
                })
                .await
                .map_err(|e| failed(&what, e))?;
                let url = format!(
                    "https://{api}.execute-api.{}.amazonaws.com/{stage}/",
                    desired.region
                );
                record.set(super::desired::REST_API, "rest_api", "rest_api_id", &api);
                record.set(super::desired::REST_API, "rest_api", "rest_api_url", &url);
            }
            Step::DeleteFunction {
                resource_name,
                function_name,
            } => {
                self.delete_function(function_name, &what).await?;
                record.remove(resource_name);
            }
            Step::DeleteRole {
                resource_name,
                role_name,
            } => {
                self.delete_role(role_name, &what).await?;
                record.remove(resource_name);
            }
        }
        Ok(())
    }

    async fn put_role_policy(&self, role_name: &str, policy: &Value, what: &str) -> Result<()> {
        self.iam
            .put_role_policy()
            .role_name(role_name)
            .policy_name(role_name)
            .policy_document(policy.to_string())
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        Ok(())
    }

    async fn create_function(
        &self,
        desired: &Desired,
        function: &DesiredFunction,
        zip: &[u8],
        what: &str,
    ) -> Result<String> {
        let role = function_role_arn(desired, function);
        let lambda = &self.lambda;
        let created = with_retries(
            PROPAGATION,
            || {
                let mut create = lambda
                    .create_function()
                    .function_name(&function.function_name)
                    .runtime(Runtime::from(RUNTIME))
                    .role(&role)
                    .handler(&function.handler)
                    .code(
                        FunctionCode::builder()
                            .zip_file(Blob::new(zip.to_vec()))
                            .build(),
                    )
                    .memory_size(i32::try_from(function.memory_size).unwrap_or(i32::MAX))
                    .timeout(i32::try_from(function.timeout).unwrap_or(i32::MAX))
                    .environment(environment(function))
                    .architectures(lambda_architecture(function))
                    .set_layers(Some(function.layers.clone()))
                    .vpc_config(vpc_config(function))
                    .tracing_config(tracing(function));
                for (key, value) in &function.tags {
                    create = create.tags(key, value);
                }
                create.send()
            },
            // A role made seconds ago may not be assumable by Lambda yet.
            |e| {
                e.as_service_error().is_some_and(|e| {
                    e.is_invalid_parameter_value_exception() && e.to_string().contains("role")
                }) || e
                    .as_service_error()
                    .is_some_and(|e| e.is_too_many_requests_exception())
            },
        )
        .await;
        let arn = match created {
            Ok(output) => output.function_arn().unwrap_or_default().to_owned(),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_conflict_exception()) =>
            {
                // A create whose answer was lost: the function exists; bring it up to date.
                function_arn(desired, &function.function_name)
            }
            Err(error) => return Err(failed(what, error)),
        };
        let _ = self
            .lambda
            .wait_until_function_active_v2()
            .function_name(&function.function_name)
            .wait(Duration::from_secs(300))
            .await;
        Ok(arn)
    }

    async fn wait_updated(&self, function_name: &str) {
        let _ = self
            .lambda
            .wait_until_function_updated_v2()
            .function_name(function_name)
            .wait(Duration::from_secs(300))
            .await;
    }

    async fn put_method(
        &self,
        desired: &Desired,
        ids: &Ids,
        path: &str,
        method: &str,
        spec: &DesiredMethod,
        what: &str,
    ) -> Result<()> {
        let api = ids.api()?;
        let resource = ids.resource(path)?;
        let authorizer_id =
            match &spec.authorizer {
                Some(name) => Some(ids.authorizers.get(name).cloned().ok_or_else(|| {
                    Error::new(format!("{what}: authorizer {name} was not created"))
                })?),
                None => None,
            };
        let put = self
            .apigateway
            .put_method()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .authorization_type(&spec.authorization_type)
            .set_authorizer_id(authorizer_id)
            .api_key_required(spec.api_key_required)
            .set_authorization_scopes((!spec.scopes.is_empty()).then(|| spec.scopes.clone()));
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        match &spec.integration {
            Integration::Proxy => {
                let handler = desired
                    .functions
                    .iter()
                    .find(|f| f.resource_name == super::desired::API_HANDLER);
                let uri = invocation_uri(
                    &desired.region,
                    &function_arn(desired, handler.map_or("", |f| f.function_name.as_str())),
                )
                .map_err(|error| Error::new(format!("{what}: {error}")))?;
                let put = self
                    .apigateway
                    .put_integration()
                    .rest_api_id(api)
                    .resource_id(resource)
                    .http_method(method)
                    .r#type(IntegrationType::AwsProxy)
                    .integration_http_method("POST")
                    .uri(uri);
                busy_retried(|| put.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
            }
            Integration::CorsPreflight { allow_methods } => {
                let put = self
                    .apigateway
                    .put_integration()
                    .rest_api_id(api)
                    .resource_id(resource)
                    .http_method(method)
                    .r#type(IntegrationType::Mock)
                    .request_templates("application/json", "{\"statusCode\": 200}");
                busy_retried(|| put.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
                let headers = [
                    (ALLOW_METHODS_HEADER, format!("'{allow_methods}'")),
                    (
                        "Access-Control-Allow-Origin",
                        format!("'{}'", chalice_runtime::cors::ALLOW_ORIGIN),
                    ),
                    (
                        "Access-Control-Allow-Headers",
                        format!("'{}'", chalice_runtime::cors::ALLOW_HEADERS),
                    ),
                ];
                let mut response = self
                    .apigateway
                    .put_method_response()
                    .rest_api_id(api)
                    .resource_id(resource)
                    .http_method(method)
                    .status_code("200");
                let mut integration_response = self
                    .apigateway
                    .put_integration_response()
                    .rest_api_id(api)
                    .resource_id(resource)
                    .http_method(method)
                    .status_code("200");
                for (header, value) in headers {
                    response = response
                        .response_parameters(format!("method.response.header.{header}"), false);
                    integration_response = integration_response
                        .response_parameters(format!("method.response.header.{header}"), value);
                }
                busy_retried(|| response.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
                busy_retried(|| integration_response.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
            }
        }
        Ok(())
    }

    /// Deletes a function; one already gone is fine.
    pub async fn delete_function(&self, function_name: &str, what: &str) -> Result<bool> {
        let deleted = unless_missing(
            self.lambda
                .delete_function()
                .function_name(function_name)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
            || what.to_owned(),
        )?;
        Ok(deleted.is_some())
    }

    /// Deletes a role and its inline policies; one already gone is fine.
    pub async fn delete_role(&self, role_name: &str, what: &str) -> Result<bool> {
        let policies = unless_missing(
            self.iam
                .list_role_policies()
                .role_name(role_name)
                .send()
                .await,
            |e| e.is_no_such_entity_exception(),
            || what.to_owned(),
        )?;
        let Some(policies) = policies else {
            return Ok(false);
        };
        for policy in policies.policy_names() {
            self.iam
                .delete_role_policy()
                .role_name(role_name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| failed(what, e))?;
        }
        let deleted = unless_missing(
            self.iam.delete_role().role_name(role_name).send().await,
            |e| e.is_no_such_entity_exception(),
            || what.to_owned(),
        )?;
        Ok(deleted.is_some())
    }

    /// Deletes a REST API; one already gone is fine.
    pub async fn delete_rest_api(&self, id: &str, what: &str) -> Result<bool> {
        let found = unless_missing(
            self.apigateway.get_rest_api().rest_api_id(id).send().await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        if found.is_none() {
            return Ok(false);
        }
        busy_retried(|| self.apigateway.delete_rest_api().rest_api_id(id).send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(true)
    }

    /// Functions tagged for this app and stage (found even when the record is lost).
    pub async fn tagged_functions(&self, app: &str, stage: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .lambda
                .list_functions()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| failed("listing lambda functions", e))?;
            for function in page.functions() {
                let (Some(name), Some(arn)) = (function.function_name(), function.function_arn())
                else {
                    continue;
                };
                if !name.starts_with(&format!("{app}-{stage}")) {
                    continue;
                }
                let tags = self
                    .lambda
                    .list_tags()
                    .resource(arn)
                    .send()
                    .await
                    .map_err(|e| failed(format!("reading the tags of {name}"), e))?;
                let tags = tags.tags();
                if tags.is_some_and(|t| {
                    t.get(APP_TAG).map(String::as_str) == Some(app)
                        && t.get(STAGE_TAG).map(String::as_str) == Some(stage)
                }) {
                    found.push(name.to_owned());
                }
            }
            match page.next_marker() {
                Some(next) => marker = Some(next.to_owned()),
                None => break,
            }
        }
        Ok(found)
    }

    /// Roles named for this app and stage (`<app>-<stage>` and `<app>-<stage>-<function>`)
    /// that carry its tags: found even when the record is lost.
    pub async fn tagged_roles(&self, app: &str, stage: &str) -> Result<Vec<String>> {
        let prefix = format!("{app}-{stage}");
        let mut named = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_roles()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| failed("listing IAM roles", e))?;
            named.extend(
                page.roles()
                    .iter()
                    .map(|role| role.role_name().to_owned())
                    .filter(|name| name == &prefix || name.starts_with(&format!("{prefix}-"))),
            );
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        let mut found = Vec::new();
        for name in named {
            if self.role_is_ours(&name, app, stage).await? {
                found.push(name);
            }
        }
        Ok(found)
    }

    /// Whether a role carries this app's and stage's tags.
    pub async fn role_is_ours(&self, role_name: &str, app: &str, stage: &str) -> Result<bool> {
        let output = unless_missing(
            self.iam.get_role().role_name(role_name).send().await,
            |e| e.is_no_such_entity_exception(),
            || format!("reading IAM role {role_name}"),
        )?;
        Ok(output
            .and_then(|output| output.role().cloned())
            .is_some_and(|role| {
                let tags: BTreeMap<&str, &str> =
                    role.tags().iter().map(|t| (t.key(), t.value())).collect();
                tags.get(APP_TAG) == Some(&app) && tags.get(STAGE_TAG) == Some(&stage)
            }))
    }
}

fn environment(function: &DesiredFunction) -> Environment {
    Environment::builder()
        .set_variables(Some(function.environment.clone().into_iter().collect()))
        .build()
}

fn vpc_config(function: &DesiredFunction) -> VpcConfig {
    VpcConfig::builder()
        .set_subnet_ids(Some(function.subnet_ids.clone()))
        .set_security_group_ids(Some(function.security_group_ids.clone()))
        .build()
}

fn tracing(function: &DesiredFunction) -> TracingConfig {
    TracingConfig::builder()
        .mode(if function.xray {
            TracingMode::Active
        } else {
            TracingMode::PassThrough
        })
        .build()
}

fn lambda_architecture(function: &DesiredFunction) -> LambdaArchitecture {
    LambdaArchitecture::from(architecture_name(function))
}

fn endpoint_type(endpoint: EndpointType) -> ApiEndpointType {
    match endpoint {
        EndpointType::Edge => ApiEndpointType::Edge,
        EndpointType::Regional => ApiEndpointType::Regional,
        EndpointType::Private => ApiEndpointType::Private,
    }
}
