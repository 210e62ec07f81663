//! The Lambda functions of a stage: the API handler and one per built-in authorizer, each with
//! its name, handler, tags and the settings Chalice looks up for it (see [`crate::config`]).

use std::collections::BTreeMap;

use chalice_runtime::lambda::API_HANDLER;
use chalice_runtime::manifest::{Manifest, ManifestAuthorizer};

use super::authorizer::Target;
use super::role::Role;
use crate::config::FunctionConfig;
use crate::error::{Error, Result};
use crate::naming;

/// What the API handler's invoke permission allows under its API's execution ARN
/// (`arn:<partition>:execute-api:<region>:<account>:<api id>`), REST and HTTP APIs alike: the
/// source ARN API Gateway invokes a route's or method's integration with,
/// `/<stage>/<METHOD>/<path>`. An authorizer's invocation (`/authorizers/<id>`) has one segment
/// fewer, so it cannot pass for a route.
pub const ROUTE_INVOKE_SCOPE: &str = "/*/*/*";

/// One Lambda function and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// `api_handler` or the authorizer's name: its config name and resource name.
    pub name: String,
    /// The Lambda function name.
    pub function_name: String,
    /// The `Handler` string the app's binary dispatches on.
    pub handler: String,
    /// MB.
    pub memory_size: u32,
    /// Seconds.
    pub timeout: u32,
    /// Environment variables.
    pub environment: BTreeMap<String, String>,
    /// Tags, chalice-rs's included.
    pub tags: BTreeMap<String, String>,
    /// Its execution role.
    pub role: Role,
    /// X-Ray tracing.
    pub xray: bool,
    /// Layer ARNs.
    pub layers: Vec<String>,
    /// VPC subnets (a VPC needs security groups too, see [`Function::in_vpc`]).
    pub subnet_ids: Vec<String>,
    /// VPC security groups.
    pub security_group_ids: Vec<String>,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// Log retention; a log group is created when set.
    pub log_retention_in_days: Option<u32>,
}

impl Function {
    /// The function `config` describes, of `app` on `stage`, running as `role`. Its Lambda name
    /// is checked here, as it is derived from names the user chose in several places.
    pub fn new(app: &str, stage: &str, config: &FunctionConfig, role: Role) -> Result<Function> {
        let name = &config.name;
        let function_name = naming::function_name(app, stage, name);
        naming::check_function_name(&function_name).map_err(|message| {
            Error::new(format!(
                "authorizer `{name}` of app `{app}` on stage `{stage}` gives {message}; shorten app_name, the stage or the authorizer's name"
            ))
        })?;
        Ok(Function {
            name: name.clone(),
            function_name,
            handler: naming::handler(name).to_owned(),
            memory_size: config.memory_size,
            timeout: config.timeout,
            environment: config.environment_variables.clone(),
            tags: naming::function_tags(app, stage, &config.tags),
            role,
            xray: config.xray,
            layers: config.layers.clone(),
            subnet_ids: config.subnet_ids.clone(),
            security_group_ids: config.security_group_ids.clone(),
            reserved_concurrency: config.reserved_concurrency,
            log_retention_in_days: config.log_retention_in_days,
        })
    }

    /// Whether the function runs in a VPC: Chalice requires both subnets and security groups.
    pub fn in_vpc(&self) -> bool {
        !self.subnet_ids.is_empty() && !self.security_group_ids.is_empty()
    }

    /// The CloudWatch Logs group Lambda writes the function's logs to; the config's
    /// `log_retention_in_days` is set on it (`deploy` and both `package` formats).
    pub fn log_group_name(&self) -> String {
        format!("/aws/lambda/{}", self.function_name)
    }

    /// Whether this is the API handler (every other function is a built-in authorizer).
    pub fn is_api_handler(&self) -> bool {
        self.name == API_HANDLER
    }

    /// What the function's invoke permission allows under the REST API's execution ARN: a
    /// built-in authorizer only the API's authorizers (`/authorizers/*`), the API handler only
    /// the API's methods ([`ROUTE_INVOKE_SCOPE`]), so neither is invocable as the other.
    pub fn rest_invoke_scope(&self) -> &'static str {
        if self.is_api_handler() {
            ROUTE_INVOKE_SCOPE
        } else {
            "/authorizers/*"
        }
    }

    /// Whether API Gateway invokes this function, so that it needs its permission: the API
    /// handler always, a built-in authorizer's function when one of the API's authorizers
    /// (their `targets`) calls it.
    pub fn invoked_by<'a>(&self, mut targets: impl Iterator<Item = &'a Target>) -> bool {
        self.is_api_handler()
            || targets.any(|target| matches!(target, Target::Function(name) if *name == self.name))
    }
}

/// The config names of the app's functions: the API handler, then each built-in authorizer in
/// manifest order. Two with one name would be one Lambda function, so that is an error.
pub fn function_names(manifest: &Manifest) -> Result<Vec<String>> {
    let mut names = vec![API_HANDLER.to_owned()];
    for authorizer in &manifest.authorizers {
        if let ManifestAuthorizer::Builtin { name, .. } = authorizer {
            if names.contains(name) {
                return Err(Error::new(format!(
                    "two functions are named `{name}`; built-in authorizer names must be unique and not `{API_HANDLER}`"
                )));
            }
            names.push(name.clone());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;
    use crate::test_support::{builtin, manifest, route};

    fn config_of(json: &str, function: &str) -> FunctionConfig {
        let config = Config::parse(json, Path::new("config.json")).unwrap();
        config.stage("dev").unwrap().function(function)
    }

    #[test]
    fn settings_come_from_the_config_and_names_from_naming() {
        let config = config_of(
            r#"{"app_name": "app", "tags": {"team": "auth"}, "stages": {"dev": {
                "lambda_memory_size": 512, "xray": true, "log_retention_in_days": 14,
                "environment_variables": {"A": "1"}, "layers": ["arn:aws:lambda:us-west-2:123456789012:layer:l:1"],
                "lambda_functions": {"auth": {"lambda_timeout": 5, "reserved_concurrency": 2}}}}}"#,
            "auth",
        );
        let function = Function::new("app", "dev", &config, Role::Managed("r".into())).unwrap();
        assert_eq!(function.function_name, "app-dev-auth");
        assert_eq!(function.handler, "auth");
        assert_eq!((function.memory_size, function.timeout), (512, 5));
        assert_eq!(function.reserved_concurrency, Some(2));
        assert_eq!(function.log_retention_in_days, Some(14));
        assert_eq!(function.log_group_name(), "/aws/lambda/app-dev-auth");
        assert!(function.xray && !function.is_api_handler());
        assert_eq!(function.environment["A"], "1");
        assert_eq!(function.layers.len(), 1);
        assert_eq!(
            function.tags,
            BTreeMap::from([
                ("chalice-rs:app".to_owned(), "app".to_owned()),
                ("chalice-rs:stage".to_owned(), "dev".to_owned()),
                ("team".to_owned(), "auth".to_owned()),
            ])
        );
    }

    #[test]
    fn a_vpc_needs_subnets_and_security_groups() {
        let config = config_of(
            r#"{"app_name": "app", "stages": {"dev": {"subnet_ids": ["subnet-1"]}}}"#,
            API_HANDLER,
        );
        let mut function =
            Function::new("app", "dev", &config, Role::Existing("arn".into())).unwrap();
        assert!(!function.in_vpc());
        function.security_group_ids = vec!["sg-1".into()];
        assert!(function.in_vpc());
    }

    #[test]
    fn a_name_too_long_for_lambda_is_an_error_naming_the_authorizer() {
        let long = "a".repeat(60);
        let config = config_of(r#"{"app_name": "app", "stages": {"dev": {}}}"#, &long);
        let error = Function::new("app", "dev", &config, Role::Existing("arn".into()))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("authorizer `{long}` of app `app` on stage `dev` gives the Lambda function name `app-dev-{long}`, 68 characters")),
            "{error}"
        );
    }

    #[test]
    fn functions_are_the_api_handler_then_each_builtin_authorizer() {
        let app = manifest(
            "app",
            vec![route("/", &["GET"])],
            vec![
                builtin("b"),
                ManifestAuthorizer::Iam {
                    name: "sigv4".into(),
                },
                builtin("a"),
            ],
        );
        assert_eq!(function_names(&app).unwrap(), [API_HANDLER, "b", "a"]);
        for clash in ["a", API_HANDLER] {
            let mut twice = app.clone();
            twice.authorizers.push(builtin(clash));
            let error = function_names(&twice).unwrap_err().to_string();
            assert!(error.contains(&format!("`{clash}`")), "{error}");
        }
    }
}
