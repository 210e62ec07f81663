//! The steps on Lambda: the functions, their code, configuration, tags and concurrency, and the
//! permission API Gateway needs to invoke them.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_lambda::client::Waiters as _;
use aws_sdk_lambda::types::{
    Architecture as LambdaArchitecture, Environment, FunctionCode, Runtime, TracingConfig,
    TracingMode, VpcConfig,
};
use aws_smithy_types::Blob;

use super::{Effect, Executor, Target, gone_unless};
use crate::config::Architecture;
use crate::deploy::client::{PROPAGATION, create_or_adopt, failed, unless_missing, with_retries};
use crate::deploy::desired::{Function, RUNTIME};
use crate::deploy::observe;
use crate::deploy::plan::{function_arn, function_role_arn, source_arn};
use crate::deploy::plan_http::GRANT_PREFIX;
use crate::deploy::record::Record;
use crate::error::{Error, Result};

impl Executor<'_> {
    pub(super) async fn create_function(
        &self,
        function: &Function,
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
                    .architectures(lambda_architecture(desired.architecture))
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
        record.set_function(&function.name, &arn);
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

    pub(super) async fn update_function_code(
        &self,
        function: &Function,
        what: &str,
    ) -> Result<Effect> {
        let Target { desired, zip } = self.target(what)?;
        self.wait_updated(&function.function_name).await;
        self.aws
            .lambda
            .update_function_code()
            .function_name(&function.function_name)
            .zip_file(Blob::new(zip.to_vec()))
            .architectures(lambda_architecture(desired.architecture))
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    pub(super) async fn update_function_configuration(
        &self,
        function: &Function,
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
        record.set_function(
            &function.name,
            &function_arn(desired, &function.function_name),
        );
        Ok(Effect::Changed)
    }

    pub(super) async fn set_function_tags(
        &self,
        function: &Function,
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

    pub(super) async fn set_function_concurrency(
        &self,
        function: &Function,
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

    /// Lets this API invoke a function. The statement id names the API, so AWS refuses a
    /// second grant; moto does not, so a grant whose outcome is unknown is looked for first.
    pub(super) async fn add_permission(&self, function_name: &str, what: &str) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.ids.api()?;
        let function = desired
            .functions
            .iter()
            .find(|f| f.function_name == function_name)
            .ok_or_else(|| Error::new(format!("internal: {what}: no such function")))?;
        // A grant under the same statement id with a wider source (an earlier deploy's) is
        // replaced, not left beside the scoped one.
        self.revoke_api(function_name, &statement_id(api), what)
            .await?;
        self.grant_api(
            function_name,
            statement_id(api),
            &source_arn(desired, api, function),
            what,
        )
        .await
    }

    /// Lets API Gateway invoke a function from `source` (an ARN of the API's), by a statement
    /// `statement` naming what it is for.
    pub(super) async fn grant_api(
        &self,
        function_name: &str,
        statement: String,
        source: &str,
        what: &str,
    ) -> Result<Effect> {
        let add = self
            .aws
            .lambda_once
            .add_permission()
            .function_name(function_name)
            .statement_id(&statement)
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(source);
        let added = create_or_adopt(
            what,
            || async {
                match add.clone().send().await {
                    Ok(_) => Ok(statement.clone()),
                    // The grant was made by an earlier attempt whose answer was lost.
                    Err(error)
                        if error
                            .as_service_error()
                            .is_some_and(|e| e.is_resource_conflict_exception()) =>
                    {
                        Ok(statement.clone())
                    }
                    Err(error) => Err(error),
                }
            },
            || async {
                let granted = observe::has_api_permission(self.aws, function_name, source).await?;
                Ok(granted.then(|| statement.clone()))
            },
        )
        .await;
        added.map(|_| Effect::Changed)
    }

    /// Deletes a function; one already gone is fine. The record forgets it either way.
    pub(super) async fn delete_function(
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

    /// Removes the statement `statement` from a function's resource policy; one already gone
    /// is fine.
    pub(super) async fn revoke_api(
        &self,
        function_name: &str,
        statement: &str,
        what: &str,
    ) -> Result<Effect> {
        let removed = unless_missing(
            self.aws
                .lambda
                .remove_permission()
                .function_name(function_name)
                .statement_id(statement)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
            || what.to_owned(),
        )?;
        Ok(gone_unless(removed.is_some()))
    }
}

/// The id of the statement that lets API `api` invoke a function: naming the API makes a
/// retried grant a conflict, not a second statement.
pub(super) fn statement_id(api: &str) -> String {
    format!("{GRANT_PREFIX}{api}")
}

fn environment(function: &Function) -> Environment {
    Environment::builder()
        .set_variables(Some(function.environment.clone().into_iter().collect()))
        .build()
}

fn vpc_config(function: &Function) -> VpcConfig {
    VpcConfig::builder()
        .set_subnet_ids(Some(function.subnet_ids.clone()))
        .set_security_group_ids(Some(function.security_group_ids.clone()))
        .build()
}

fn tracing(function: &Function) -> TracingConfig {
    TracingConfig::builder()
        .mode(if function.xray {
            TracingMode::Active
        } else {
            TracingMode::PassThrough
        })
        .build()
}

fn lambda_architecture(architecture: Architecture) -> LambdaArchitecture {
    LambdaArchitecture::from(architecture.as_str())
}

#[cfg(test)]
mod tests {
    use super::super::tests::desired;
    use super::*;

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
        assert_eq!(
            lambda_architecture(desired.architecture),
            LambdaArchitecture::X8664
        );
        assert_eq!(
            lambda_architecture(Architecture::Arm64),
            LambdaArchitecture::Arm64
        );
    }

    #[test]
    fn the_grant_to_an_api_is_named_after_it() {
        assert_eq!(statement_id("abc"), "chalice-rs-apigateway-abc");
    }
}
