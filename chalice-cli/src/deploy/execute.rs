//! Running a plan's steps against AWS: one function per kind of step, and [`Executor::apply`],
//! which hands a step to its function. Each step records what it made (or drops what it
//! deleted) in the record, and its errors name the step, the resource and AWS's message.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_apigateway::types::{
    AuthorizerType, EndpointConfiguration, EndpointType as ApiEndpointType, IntegrationType,
};
use aws_sdk_lambda::client::Waiters as _;
use aws_sdk_lambda::types::{
    Architecture as LambdaArchitecture, Environment, FunctionCode, Runtime, TracingConfig,
    TracingMode, VpcConfig,
};
use aws_smithy_types::Blob;
use serde_json::Value;

use super::client::{Aws, PROPAGATION, busy_retried, failed, unless_missing, with_retries};
use super::desired::{
    API_HANDLER, AuthorizerTarget, Desired, DesiredAuthorizer, DesiredFunction, DesiredMethod,
    DesiredRole, Integration, REST_API, RUNTIME,
};
use super::observed::Observed;
use super::plan::{
    ALLOW_METHODS_HEADER, Step, api_fingerprint, architecture_name, authorizer_uri, function_arn,
    function_role_arn, response_header_parameter, rest_api_url, role_arn, source_arn,
};
use super::record::Record;
use crate::config::EndpointType;
use crate::error::{Error, Result};
use crate::openapi::invocation_uri;

/// Whether a step changed AWS: deleting what is already gone did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It made, changed or deleted something.
    Changed,
    /// What it was to delete was not there.
    AlreadyGone,
}

/// The ids the executor learns as it goes: the API, its resources and authorizers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// What a deploy's steps build: the desired state, and the code to upload.
#[derive(Debug, Clone, Copy)]
struct Target<'a> {
    desired: &'a Desired,
    zip: &'a [u8],
}

/// Applies steps one at a time, remembering the ids of what it made for the steps after.
#[derive(Debug)]
pub struct Executor<'a> {
    aws: &'a Aws,
    target: Option<Target<'a>>,
    ids: Ids,
}

impl<'a> Executor<'a> {
    /// An executor of a deploy's plan toward `desired`, knowing the ids of what exists.
    pub fn deploying(
        aws: &'a Aws,
        desired: &'a Desired,
        zip: &'a [u8],
        observed: &Observed,
    ) -> Executor<'a> {
        Executor {
            aws,
            target: Some(Target { desired, zip }),
            ids: Ids::from_observed(observed),
        }
    }

    /// An executor of a delete's plan, whose steps need no desired state.
    pub fn deleting(aws: &'a Aws) -> Executor<'a> {
        Executor {
            aws,
            target: None,
            ids: Ids::default(),
        }
    }

    fn target(&self, what: &str) -> Result<Target<'a>> {
        self.target.ok_or_else(|| {
            Error::new(format!(
                "internal: {what}: a deploy step in a plan without the app's desired state"
            ))
        })
    }

    fn desired(&self, what: &str) -> Result<&'a Desired> {
        Ok(self.target(what)?.desired)
    }

    /// Applies one step, updating the ids and `record` with what it made or deleted.
    pub async fn apply(&mut self, step: &Step, record: &mut Record) -> Result<Effect> {
        let what = &step.to_string();
        match step {
            Step::DeleteTwinApi { id } => self.delete_twin_api(id, what).await,
            Step::DeleteRestApi { id } => self.delete_rest_api(id, record, what).await,
            Step::CreateRole(role) => self.create_role(role, record, what).await,
            Step::PutRolePolicy(role) => self.update_role_policy(role, record, what).await,
            Step::CreateFunction(function) => self.create_function(function, record, what).await,
            Step::UpdateFunctionCode(function) => self.update_function_code(function, what).await,
            Step::UpdateFunctionConfiguration(function) => {
                self.update_function_configuration(function, record, what)
                    .await
            }
            Step::SetFunctionTags { function, remove } => {
                self.set_function_tags(function, remove, what).await
            }
            Step::SetFunctionConcurrency(function) => {
                self.set_function_concurrency(function, what).await
            }
            Step::CreateRestApi => self.create_rest_api(record, what).await,
            Step::CreateResource { path } => self.create_resource(path, what).await,
            Step::DeleteMethod { path, method } => self.delete_method(path, method, what).await,
            Step::DeleteAuthorizer { name } => self.delete_authorizer(name, what).await,
            Step::CreateAuthorizer(authorizer) => self.create_authorizer(authorizer, what).await,
            Step::PutMethod { path, method, spec } => {
                self.put_method(path, method, spec, what).await
            }
            Step::DeleteResource { path } => self.delete_resource(path, what).await,
            Step::AddPermission { function_name, .. } => {
                self.add_permission(function_name, what).await
            }
            Step::CreateDeployment { stage } => self.create_deployment(stage, record, what).await,
            Step::DeleteFunction {
                resource_name,
                function_name,
            } => {
                self.delete_function(resource_name.as_deref(), function_name, record, what)
                    .await
            }
            Step::DeleteRole {
                resource_name,
                role_name,
            } => {
                self.delete_role(resource_name.as_deref(), role_name, record, what)
                    .await
            }
        }
    }

    async fn delete_twin_api(&self, id: &str, what: &str) -> Result<Effect> {
        let apigateway = &self.aws.apigateway;
        busy_retried(|| apigateway.delete_rest_api().rest_api_id(id).send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    /// Deletes a REST API; one already gone is fine. The record forgets it either way.
    async fn delete_rest_api(&self, id: &str, record: &mut Record, what: &str) -> Result<Effect> {
        let apigateway = &self.aws.apigateway;
        let found = unless_missing(
            apigateway.get_rest_api().rest_api_id(id).send().await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        if found.is_some() {
            busy_retried(|| apigateway.delete_rest_api().rest_api_id(id).send())
                .await
                .map_err(|e| failed(what, e))?;
        }
        if record.value(REST_API, "rest_api_id") == Some(id) {
            record.remove(REST_API);
        }
        Ok(gone_unless(found.is_some()))
    }

    async fn create_role(
        &self,
        role: &DesiredRole,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let mut create = self
            .aws
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
                    .map_err(|e| failed(what, e))?,
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
                role_arn(desired, &role.role_name)
            }
            Err(error) => return Err(failed(what, error)),
        };
        record_role(record, role, &arn);
        self.put_role_policy(&role.role_name, &role.policy, what)
            .await?;
        Ok(Effect::Changed)
    }

    async fn update_role_policy(
        &self,
        role: &DesiredRole,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        self.put_role_policy(&role.role_name, &role.policy, what)
            .await?;
        record_role(record, role, &role_arn(desired, &role.role_name));
        Ok(Effect::Changed)
    }

    async fn put_role_policy(&self, role_name: &str, policy: &Value, what: &str) -> Result<()> {
        self.aws
            .iam
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
        function: &DesiredFunction,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let Target { desired, zip } = self.target(what)?;
        let role = function_role_arn(desired, function);
        let lambda = &self.aws.lambda;
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
        let _ = lambda
            .wait_until_function_active_v2()
            .function_name(&function.function_name)
            .wait(Duration::from_secs(300))
            .await;
        record.set(
            &function.resource_name,
            "lambda_function",
            "lambda_arn",
            &arn,
        );
        Ok(Effect::Changed)
    }

    /// Waits until a function takes changes again (its last update is done).
    async fn wait_updated(&self, function_name: &str) {
        let _ = self
            .aws
            .lambda
            .wait_until_function_updated_v2()
            .function_name(function_name)
            .wait(Duration::from_secs(300))
            .await;
    }

    async fn update_function_code(&self, function: &DesiredFunction, what: &str) -> Result<Effect> {
        let zip = self.target(what)?.zip;
        self.wait_updated(&function.function_name).await;
        self.aws
            .lambda
            .update_function_code()
            .function_name(&function.function_name)
            .zip_file(Blob::new(zip.to_vec()))
            .architectures(lambda_architecture(function))
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn update_function_configuration(
        &self,
        function: &DesiredFunction,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        self.wait_updated(&function.function_name).await;
        let role = function_role_arn(desired, function);
        let lambda = &self.aws.lambda;
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
                    e.is_resource_conflict_exception() || e.is_invalid_parameter_value_exception()
                })
            },
        )
        .await
        .map_err(|e| failed(what, e))?;
        record.set(
            &function.resource_name,
            "lambda_function",
            "lambda_arn",
            &function_arn(desired, &function.function_name),
        );
        Ok(Effect::Changed)
    }

    async fn set_function_tags(
        &self,
        function: &DesiredFunction,
        remove: &[String],
        what: &str,
    ) -> Result<Effect> {
        let arn = function_arn(self.desired(what)?, &function.function_name);
        let lambda = &self.aws.lambda;
        if !remove.is_empty() {
            lambda
                .untag_resource()
                .resource(&arn)
                .set_tag_keys(Some(remove.to_vec()))
                .send()
                .await
                .map_err(|e| failed(what, e))?;
        }
        let tags: HashMap<String, String> = function.tags.clone().into_iter().collect();
        lambda
            .tag_resource()
            .resource(&arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn set_function_concurrency(
        &self,
        function: &DesiredFunction,
        what: &str,
    ) -> Result<Effect> {
        let lambda = &self.aws.lambda;
        match function.reserved_concurrency {
            Some(limit) => {
                lambda
                    .put_function_concurrency()
                    .function_name(&function.function_name)
                    .reserved_concurrent_executions(i32::try_from(limit).unwrap_or(i32::MAX))
                    .send()
                    .await
                    .map_err(|e| failed(what, e))?;
            }
            None => {
                lambda
                    .delete_function_concurrency()
                    .function_name(&function.function_name)
                    .send()
                    .await
                    .map_err(|e| failed(what, e))?;
            }
        }
        Ok(Effect::Changed)
    }

    async fn create_rest_api(&mut self, record: &mut Record, what: &str) -> Result<Effect> {
        let desired = self.desired(what)?;
        let apigateway = &self.aws.apigateway;
        let mut create = apigateway
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
            .map_err(|e| failed(what, e))?;
        let id = created.id().unwrap_or_default().to_owned();
        record.set(REST_API, "rest_api", "rest_api_id", &id);
        // The root resource is made with the API: the resources made next hang from it.
        let resources = apigateway
            .get_resources()
            .rest_api_id(&id)
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        for resource in resources.items() {
            if let (Some(path), Some(resource_id)) = (resource.path(), resource.id()) {
                self.ids
                    .resources
                    .insert(path.to_owned(), resource_id.to_owned());
            }
        }
        self.ids.api = Some(id);
        Ok(Effect::Changed)
    }

    async fn create_resource(&mut self, path: &str, what: &str) -> Result<Effect> {
        let (parent, part) = parent_and_part(path);
        let create = self
            .aws
            .apigateway
            .create_resource()
            .rest_api_id(self.ids.api()?)
            .parent_id(self.ids.resource(parent)?)
            .path_part(part);
        let created = busy_retried(|| create.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        self.ids
            .resources
            .insert(path.to_owned(), created.id().unwrap_or_default().to_owned());
        Ok(Effect::Changed)
    }

    async fn delete_method(&self, path: &str, method: &str, what: &str) -> Result<Effect> {
        let delete = self
            .aws
            .apigateway
            .delete_method()
            .rest_api_id(self.ids.api()?)
            .resource_id(self.ids.resource(path)?)
            .http_method(method);
        busy_retried(|| delete.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn delete_authorizer(&mut self, name: &str, what: &str) -> Result<Effect> {
        let Some(id) = self.ids.authorizers.remove(name) else {
            return Ok(Effect::AlreadyGone);
        };
        let delete = self
            .aws
            .apigateway
            .delete_authorizer()
            .rest_api_id(self.ids.api()?)
            .authorizer_id(id);
        busy_retried(|| delete.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn create_authorizer(
        &mut self,
        authorizer: &DesiredAuthorizer,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let mut create = self
            .aws
            .apigateway
            .create_authorizer()
            .rest_api_id(self.ids.api()?)
            .name(&authorizer.name)
            .r#type(authorizer_type(&authorizer.authorizer_type))
            .identity_source(&authorizer.identity_source)
            .set_authorizer_uri(authorizer_uri(desired, authorizer))
            .set_authorizer_credentials(authorizer.credentials.clone())
            .set_provider_arns(
                (!authorizer.provider_arns.is_empty()).then(|| authorizer.provider_arns.clone()),
            );
        if authorizer.target != AuthorizerTarget::None {
            create = create.authorizer_result_ttl_in_seconds(
                i32::try_from(authorizer.ttl_seconds).unwrap_or(300),
            );
        }
        let created = busy_retried(|| create.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        self.ids.authorizers.insert(
            authorizer.name.clone(),
            created.id().unwrap_or_default().to_owned(),
        );
        Ok(Effect::Changed)
    }

    /// Puts a method, then its integration: a proxy to the API handler, or a CORS preflight.
    async fn put_method(
        &self,
        path: &str,
        method: &str,
        spec: &DesiredMethod,
        what: &str,
    ) -> Result<Effect> {
        let authorizer_id =
            match &spec.authorizer {
                Some(name) => Some(self.ids.authorizers.get(name).cloned().ok_or_else(|| {
                    Error::new(format!("{what}: authorizer {name} was not created"))
                })?),
                None => None,
            };
        let put = self
            .aws
            .apigateway
            .put_method()
            .rest_api_id(self.ids.api()?)
            .resource_id(self.ids.resource(path)?)
            .http_method(method)
            .authorization_type(&spec.authorization_type)
            .set_authorizer_id(authorizer_id)
            .api_key_required(spec.api_key_required)
            .set_authorization_scopes((!spec.scopes.is_empty()).then(|| spec.scopes.clone()));
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        match &spec.integration {
            Integration::Proxy => self.put_proxy_integration(path, method, what).await?,
            Integration::CorsPreflight { allow_methods } => {
                self.put_preflight_integration(path, method, allow_methods, what)
                    .await?
            }
        }
        Ok(Effect::Changed)
    }

    /// Proxies a method to the API handler.
    async fn put_proxy_integration(&self, path: &str, method: &str, what: &str) -> Result<()> {
        let desired = self.desired(what)?;
        let handler = desired
            .functions
            .iter()
            .find(|f| f.resource_name == API_HANDLER);
        let uri = invocation_uri(
            &desired.region,
            &function_arn(desired, handler.map_or("", |f| f.function_name.as_str())),
        )
        .map_err(|error| Error::new(format!("{what}: {error}")))?;
        let put = self
            .aws
            .apigateway
            .put_integration()
            .rest_api_id(self.ids.api()?)
            .resource_id(self.ids.resource(path)?)
            .http_method(method)
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(uri);
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(())
    }

    /// Answers a CORS preflight from API Gateway itself (a `MOCK` integration) with the
    /// allowed methods, origin and headers.
    async fn put_preflight_integration(
        &self,
        path: &str,
        method: &str,
        allow_methods: &str,
        what: &str,
    ) -> Result<()> {
        let apigateway = &self.aws.apigateway;
        let (api, resource) = (self.ids.api()?, self.ids.resource(path)?);
        let put = apigateway
            .put_integration()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .r#type(IntegrationType::Mock)
            .request_templates("application/json", "{\"statusCode\": 200}");
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        let mut response = apigateway
            .put_method_response()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .status_code("200");
        let mut integration_response = apigateway
            .put_integration_response()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .status_code("200");
        for (header, value) in preflight_headers(allow_methods) {
            let parameter = response_header_parameter(header);
            response = response.response_parameters(&parameter, false);
            integration_response = integration_response.response_parameters(parameter, value);
        }
        busy_retried(|| response.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        busy_retried(|| integration_response.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(())
    }

    /// Deletes a resource (its children go with it) and forgets their ids.
    async fn delete_resource(&mut self, path: &str, what: &str) -> Result<Effect> {
        let mut effect = Effect::AlreadyGone;
        if let Some(id) = self.ids.resources.remove(path) {
            let delete = self
                .aws
                .apigateway
                .delete_resource()
                .rest_api_id(self.ids.api()?)
                .resource_id(id);
            busy_retried(|| delete.clone().send())
                .await
                .map_err(|e| failed(what, e))?;
            effect = Effect::Changed;
        }
        self.ids
            .resources
            .retain(|other, _| !other.starts_with(&format!("{path}/")));
        Ok(effect)
    }

    async fn add_permission(&self, function_name: &str, what: &str) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.ids.api()?;
        let added = self
            .aws
            .lambda
            .add_permission()
            .function_name(function_name)
            .statement_id(statement_id(api))
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(source_arn(desired, api))
            .send()
            .await;
        match added {
            Ok(_) => Ok(Effect::Changed),
            // The statement id names this API: the grant was made by an earlier attempt whose
            // answer was lost.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_conflict_exception()) =>
            {
                Ok(Effect::Changed)
            }
            Err(error) => Err(failed(what, error)),
        }
    }

    /// Deploys the API to its stage, the deployment described by the API's fingerprint.
    async fn create_deployment(
        &self,
        stage: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.ids.api()?;
        let fingerprint = api_fingerprint(desired);
        let apigateway = &self.aws.apigateway;
        busy_retried(|| {
            apigateway
                .create_deployment()
                .rest_api_id(api)
                .stage_name(stage)
                .description(&fingerprint)
                .send()
        })
        .await
        .map_err(|e| failed(what, e))?;
        record.set(REST_API, "rest_api", "rest_api_id", api);
        record.set(
            REST_API,
            "rest_api",
            "rest_api_url",
            &rest_api_url(&desired.region, api, stage),
        );
        Ok(Effect::Changed)
    }

    /// Deletes a function; one already gone is fine. The record forgets it either way.
    async fn delete_function(
        &self,
        resource_name: Option<&str>,
        function_name: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let deleted = unless_missing(
            self.aws
                .lambda
                .delete_function()
                .function_name(function_name)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
            || what.to_owned(),
        )?;
        if let Some(name) = resource_name {
            record.remove(name);
        }
        Ok(gone_unless(deleted.is_some()))
    }

    /// Deletes a role and its inline policies; one already gone is fine. The record forgets
    /// it either way.
    async fn delete_role(
        &self,
        resource_name: Option<&str>,
        role_name: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let iam = &self.aws.iam;
        let policies = iam
            .list_role_policies()
            .role_name(role_name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let deleted = match unless_missing(
            policies,
            |e| e.is_no_such_entity_exception(),
            || what.to_owned(),
        )? {
            None => None,
            Some(policies) => {
                for policy in policies {
                    iam.delete_role_policy()
                        .role_name(role_name)
                        .policy_name(policy)
                        .send()
                        .await
                        .map_err(|e| failed(what, e))?;
                }
                unless_missing(
                    iam.delete_role().role_name(role_name).send().await,
                    |e| e.is_no_such_entity_exception(),
                    || what.to_owned(),
                )?
            }
        };
        if let Some(name) = resource_name {
            record.remove(name);
        }
        Ok(gone_unless(deleted.is_some()))
    }
}

/// `Changed` if something was deleted, else `AlreadyGone`.
fn gone_unless(deleted: bool) -> Effect {
    if deleted {
        Effect::Changed
    } else {
        Effect::AlreadyGone
    }
}

/// Records a managed role's ARN and name.
fn record_role(record: &mut Record, role: &DesiredRole, arn: &str) {
    record.set(&role.resource_name, "iam_role", "role_arn", arn);
    record.set(
        &role.resource_name,
        "iam_role",
        "role_name",
        &role.role_name,
    );
}

/// A resource's parent path and its own path part: `/users/{id}` is `{id}` under `/users`.
fn parent_and_part(path: &str) -> (&str, &str) {
    let (parent, part) = path.rsplit_once('/').unwrap_or(("", path));
    (if parent.is_empty() { "/" } else { parent }, part)
}

/// The id of the statement that lets API `api` invoke a function: naming the API makes a
/// retried grant a conflict, not a second statement.
fn statement_id(api: &str) -> String {
    format!("chalice-rs-apigateway-{api}")
}

/// The headers a CORS preflight answers with, as API Gateway's quoted literals.
fn preflight_headers(allow_methods: &str) -> [(&'static str, String); 3] {
    [
        (ALLOW_METHODS_HEADER, format!("'{allow_methods}'")),
        (
            "Access-Control-Allow-Origin",
            format!("'{}'", chalice_runtime::cors::ALLOW_ORIGIN),
        ),
        (
            "Access-Control-Allow-Headers",
            format!("'{}'", chalice_runtime::cors::ALLOW_HEADERS),
        ),
    ]
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

/// API Gateway's authorizer type for the desired one's name (`TOKEN` unless it says otherwise).
fn authorizer_type(name: &str) -> AuthorizerType {
    match name {
        "REQUEST" => AuthorizerType::Request,
        "COGNITO_USER_POOLS" => AuthorizerType::CognitoUserPools,
        _ => AuthorizerType::Token,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use chalice_runtime::manifest::Manifest;
    use serde_json::json;

    use super::*;
    use crate::config::Config;
    use crate::deploy::desired::{self, Account, Inputs};
    use crate::deploy::observed::{ObservedApi, ObservedAuthorizer, ObservedResource};

    /// A stage with every function setting the executor converts.
    fn desired() -> Desired {
        let manifest: Manifest = serde_json::from_value(json!({
            "manifest_version": 1, "app_name": "app", "authorizers": [],
            "routes": [{"path": "/", "methods": ["GET"], "view_name": "index", "authorizer": null,
                        "scopes": [], "cors": false, "content_types": ["application/json"],
                        "api_key_required": false, "path_params": []}]
        }))
        .unwrap();
        let config = Config::parse(
            r#"{"app_name": "app", "stages": {"dev": {
                "environment_variables": {"MODE": "test"},
                "subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"], "xray": true,
                "api_gateway_endpoint_type": "REGIONAL"}}}"#,
            Path::new("config.json"),
        )
        .unwrap();
        let stage = config.stage("dev").unwrap();
        desired::desired(Inputs {
            manifest: &manifest,
            stage: &stage,
            region: "us-west-2",
            code_sha256: "sha",
            read_policy: &|_| unreachable!(),
        })
        .unwrap()
        .in_account(Account {
            id: "123456789012".into(),
            partition: "aws".into(),
        })
    }

    #[test]
    fn function_settings_convert_to_lambdas_types() {
        let desired = desired();
        let function = &desired.functions[0];
        assert_eq!(
            environment(function).variables().unwrap()["MODE"],
            "test".to_owned()
        );
        let vpc = vpc_config(function);
        assert_eq!(vpc.subnet_ids(), ["subnet-1"]);
        assert_eq!(vpc.security_group_ids(), ["sg-1"]);
        assert_eq!(tracing(function).mode(), Some(&TracingMode::Active));
        let mut untraced = function.clone();
        untraced.xray = false;
        assert_eq!(tracing(&untraced).mode(), Some(&TracingMode::PassThrough));
        assert_eq!(lambda_architecture(function), LambdaArchitecture::X8664);
        assert_eq!(
            endpoint_type(desired.api.endpoint_type),
            ApiEndpointType::Regional
        );
        assert_eq!(endpoint_type(EndpointType::Edge), ApiEndpointType::Edge);
        assert_eq!(
            endpoint_type(EndpointType::Private),
            ApiEndpointType::Private
        );
    }

    #[test]
    fn authorizer_types_are_api_gateways() {
        assert_eq!(authorizer_type("TOKEN"), AuthorizerType::Token);
        assert_eq!(authorizer_type("REQUEST"), AuthorizerType::Request);
        assert_eq!(
            authorizer_type("COGNITO_USER_POOLS"),
            AuthorizerType::CognitoUserPools
        );
    }

    #[test]
    fn a_resource_hangs_from_its_parent_path() {
        assert_eq!(parent_and_part("/users"), ("/", "users"));
        assert_eq!(parent_and_part("/users/{id}"), ("/users", "{id}"));
        assert_eq!(parent_and_part("/a/b/c"), ("/a/b", "c"));
    }

    #[test]
    fn a_preflight_answers_with_quoted_literals_read_back_by_their_parameter() {
        let headers = preflight_headers("GET,OPTIONS");
        assert_eq!(
            headers[0],
            ("Access-Control-Allow-Methods", "'GET,OPTIONS'".to_owned())
        );
        assert!(
            headers
                .iter()
                .all(|(_, value)| value.starts_with('\'') && value.ends_with('\''))
        );
        assert_eq!(
            response_header_parameter(headers[0].0),
            "method.response.header.Access-Control-Allow-Methods"
        );
        assert_eq!(statement_id("abc"), "chalice-rs-apigateway-abc");
    }

    #[test]
    fn ids_start_from_what_was_observed() {
        assert_eq!(Ids::from_observed(&Observed::default()), Ids::default());
        let mut api = ObservedApi {
            id: "api1".into(),
            ..ObservedApi::default()
        };
        api.resources.insert(
            "/".into(),
            ObservedResource {
                id: "root".into(),
                ..ObservedResource::default()
            },
        );
        api.authorizers.insert(
            "auth".into(),
            ObservedAuthorizer {
                id: "a1".into(),
                ..ObservedAuthorizer::default()
            },
        );
        let ids = Ids::from_observed(&Observed {
            api: Some(api),
            ..Observed::default()
        });
        assert_eq!(ids.api().unwrap(), "api1");
        assert_eq!(ids.resource("/").unwrap(), "root");
        assert_eq!(ids.authorizers["auth"], "a1");
        assert!(
            ids.resource("/users")
                .unwrap_err()
                .to_string()
                .contains("no id for resource /users")
        );
        assert!(Ids::default().api().is_err());
    }

    #[test]
    fn a_gone_delete_is_told_apart_from_a_change() {
        assert_eq!(gone_unless(true), Effect::Changed);
        assert_eq!(gone_unless(false), Effect::AlreadyGone);
        let mut record = Record::default();
        let role = &desired().roles[0];
        record_role(&mut record, role, "arn:aws:iam::123456789012:role/app-dev");
        assert_eq!(
            record.value(&role.resource_name, "role_name"),
            Some("app-dev")
        );
        assert_eq!(
            record.get(&role.resource_name).unwrap()["resource_type"],
            "iam_role"
        );
    }

    #[tokio::test]
    async fn a_deploy_step_in_a_deletes_executor_fails_before_any_call() {
        // Clients pointed nowhere: any call would fail with a connection error instead.
        let config = SdkConfig::builder()
            .region(Region::new("us-west-2"))
            .endpoint_url("http://127.0.0.1:9")
            .behavior_version(BehaviorVersion::latest())
            .build();
        let aws = Aws::new(&config).unwrap();
        let mut executor = Executor::deleting(&aws);
        let mut record = Record::default();
        let error = executor
            .apply(&Step::CreateRestApi, &mut record)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "internal: Creating Rest API: a deploy step in a plan without the app's desired state"
        );
        assert_eq!(record, Record::default());
    }
}
