//! Running a plan's steps against AWS: one function per kind of step, grouped by service
//! (`apigateway`, `iam`, `lambda`), and [`Executor::apply`], which hands a step to its
//! function. Each step records what it made (or drops what it deleted) in the record, and its
//! errors name the step, the resource and AWS's message.

mod apigateway;
mod apigatewayv2;
mod domain;
mod iam;
mod lambda;
mod logs;
mod usage_plan;

use std::collections::HashMap;

use self::apigatewayv2::HttpIds;
use self::usage_plan::KeyIds;
use super::client::Aws;
use super::desired::Desired;
use super::observed::Observed;
use super::plan::Step;
use super::record::Record;
use crate::error::{Error, Result};

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
struct Ids {
    /// The REST API.
    api: Option<String>,
    /// Resource ids by path.
    resources: HashMap<String, String>,
    /// Authorizer ids by name.
    authorizers: HashMap<String, String>,
    /// The deployment the stage served when observed.
    deployment: Option<String>,
}

impl Ids {
    /// The ids already known from the observed state.
    fn from_observed(observed: &Observed) -> Ids {
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
            ids.deployment = api.stage_deployment.clone();
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
    http: HttpIds,
    keys: KeyIds,
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
            http: HttpIds::from_observed(desired, observed),
            keys: KeyIds::from_observed(observed),
        }
    }

    /// An executor of a delete's plan, whose steps need no desired state.
    pub fn deleting(aws: &'a Aws) -> Executor<'a> {
        Executor {
            aws,
            target: None,
            ids: Ids::default(),
            http: HttpIds::default(),
            keys: KeyIds::default(),
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
            Step::DeleteTwinResource(twin) => self.delete_twin_resource(&twin.id, what).await,
            Step::DeleteTwinAuthorizer(twin) => self.delete_twin_authorizer(&twin.id, what).await,
            Step::DeleteRestApi { id } => self.delete_rest_api(id, record, what).await,
            Step::CreateRole(role) => self.create_role(role, record, what).await,
            Step::PutRolePolicy(role) => self.update_role_policy(role, record, what).await,
            Step::TagRole(role) => self.tag_role(role, record, what).await,
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
            Step::PutGatewayResponse {
                response_type,
                parameters,
            } => {
                self.put_gateway_response(response_type, parameters, what)
                    .await
            }
            Step::DeleteGatewayResponse { response_type } => {
                self.delete_gateway_response(response_type, what).await
            }
            Step::CreateDeployment { stage } => self.create_deployment(stage, record, what).await,
            Step::SetStageVariables { stage, set, remove } => {
                self.set_stage_variables(stage, set, remove, what).await
            }
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
            Step::Http(step) => self.apply_http(step, record, what).await,
            Step::Domain(step) => self.apply_domain(step, record, what).await,
            Step::UpdateRestApi { patch } => self.update_rest_api(patch, what).await,
            Step::Logs(step) => self.apply_logs(step, what).await,
            Step::Keys(step) => self.apply_keys(step, record, what).await,
        }
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

#[cfg(test)]
pub(super) mod tests {

    use aws_config::{BehaviorVersion, Region, SdkConfig};

    use super::*;
    use crate::deploy::desired;
    use crate::deploy::observed::{ObservedApi, ObservedAuthorizer, ObservedResource};
    use crate::test_support::{manifest, route};

    /// A stage with every function setting the executor converts.
    pub(in crate::deploy::execute) fn desired() -> Desired {
        let app = manifest("app", vec![route("/", &["GET"])], Vec::new());
        desired::for_test(
            &app,
            r#"{"app_name": "app", "stages": {"dev": {
                "environment_variables": {"MODE": "test"},
                "subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"], "xray": true,
                "api_gateway_endpoint_type": "REGIONAL"}}}"#,
            "us-west-2",
            "aws",
        )
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
