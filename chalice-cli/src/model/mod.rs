//! The app on one stage, resolved once from its manifest and the stage's config: the
//! functions and their settings, the roles they run as, and the API (a REST API with its
//! methods, or an HTTP API with its routes) and its authorizers. As Chalice's application graph and models, it is the one place each decision
//! is made; the SAM and Terraform templates, the OpenAPI document and the deployer only spell
//! it in their own terms.

pub mod api;
pub mod api_keys;
pub mod authorizer;
pub mod domain;
pub mod function;
pub mod http_api;
pub mod role;

use std::path::Path;

use chalice_runtime::ApiKind;
use chalice_runtime::manifest::Manifest;

use crate::config::{Architecture, Stage};
use crate::error::{Error, Result};

pub use self::api::{
    ApiSettings, GatewayResponse, Method, Preflight, ReadJson, Resource, RestApi, read_json,
};
pub use self::api_keys::UsagePlan;
pub use self::authorizer::{AuthorizationType, Authorizer, AuthorizerKind, Target};
pub use self::domain::{Certificate, CustomDomain};
pub use self::function::Function;
pub use self::http_api::{HttpApi, HttpSettings};
pub use self::role::{DEFAULT_ROLE, ManagedRole, Role, RoleChoice};

/// The app on one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// `app_name`.
    pub app: String,
    /// The Chalice stage.
    pub stage: String,
    /// The functions' architecture.
    pub architecture: Architecture,
    /// The API handler first, then one per built-in authorizer, in manifest order.
    pub functions: Vec<Function>,
    /// The roles chalice-rs manages, in order of first use (none when every function names
    /// its own).
    pub roles: Vec<ManagedRole>,
    /// The API, of the kind the app chose.
    pub api: Api,
    /// The REST API's custom domain name, if the config names one.
    pub custom_domain: Option<CustomDomain>,
}

/// The API that serves the app: API Gateway's REST API or HTTP API, as the app chose in code
/// (`Manifest.api_kind`).
#[derive(Debug, Clone, PartialEq)]
pub enum Api {
    /// A REST API (API Gateway v1).
    Rest(RestApi),
    /// An HTTP API (API Gateway v2).
    Http(HttpApi),
}

impl Api {
    /// Which product it is.
    pub fn kind(&self) -> ApiKind {
        match self {
            Api::Rest(_) => ApiKind::Rest,
            Api::Http(_) => ApiKind::Http,
        }
    }

    /// Its name (the app's).
    pub fn name(&self) -> &str {
        match self {
            Api::Rest(api) => &api.name,
            Api::Http(api) => &api.name,
        }
    }

    /// The API Gateway stage it is deployed to.
    pub fn stage_name(&self) -> &str {
        match self {
            Api::Rest(api) => &api.settings.stage_name,
            Api::Http(api) => &api.settings.stage_name,
        }
    }

    /// The REST API, if it is one.
    pub fn rest(&self) -> Option<&RestApi> {
        match self {
            Api::Rest(api) => Some(api),
            Api::Http(_) => None,
        }
    }

    /// The HTTP API, if it is one.
    pub fn http(&self) -> Option<&HttpApi> {
        match self {
            Api::Http(api) => Some(api),
            Api::Rest(_) => None,
        }
    }

    /// The Lambdas the authorizers API Gateway holds call.
    fn authorizer_targets(&self) -> Vec<&Target> {
        match self {
            Api::Rest(api) => api.gateway_authorizers().map(|a| &a.target).collect(),
            Api::Http(api) => api.authorizer_targets().collect(),
        }
    }

    /// The API `manifest` declares on `stage`, of the kind the app chose; files under
    /// `.chalice/` (the REST API's resource policy) are read by `read`.
    pub fn resolve(manifest: &Manifest, stage: &Stage<'_>, read: &ReadJson<'_>) -> Result<Api> {
        Ok(match manifest.api_kind {
            ApiKind::Rest => Api::Rest(RestApi::new(
                manifest,
                ApiSettings::for_stage_with(stage, read)?,
            )?),
            ApiKind::Http => Api::Http(HttpApi::new(
                manifest,
                HttpSettings::for_stage(stage, &manifest.app_name)?,
            )?),
        })
    }
}

impl Model {
    /// Resolves `manifest` on `stage` of the project in `project_dir`, reading policy files
    /// from its `.chalice/`.
    pub fn resolve(manifest: &Manifest, stage: &Stage<'_>, project_dir: &Path) -> Result<Model> {
        let chalice_dir = project_dir.join(".chalice");
        Model::resolve_with(manifest, stage, &|file| read_json(&chalice_dir.join(file)))
    }

    /// [`Model::resolve`], the files under `.chalice/` (IAM and API policies) read by `read`.
    pub fn resolve_with(
        manifest: &Manifest,
        stage: &Stage<'_>,
        read: &ReadJson<'_>,
    ) -> Result<Model> {
        let app = &manifest.app_name;
        let stage_name = stage.name();
        let mut functions = Vec::new();
        let mut roles: Vec<ManagedRole> = Vec::new();
        let mut shares_default = Vec::new();
        for name in function::function_names(manifest)? {
            let config = stage.function(&name);
            let role = match role::choose(&config, stage_name) {
                RoleChoice::Existing(arn) => Role::Existing(arn),
                RoleChoice::Shared => {
                    shares_default.push(functions.len());
                    if !roles.iter().any(|r| r.resource_name == DEFAULT_ROLE) {
                        // Its policy is known once all its users are.
                        roles.push(role::shared(app, stage_name, false, false));
                    }
                    Role::Managed(DEFAULT_ROLE.to_owned())
                }
                RoleChoice::Own { policy_file } => {
                    let policy = read(&policy_file).map_err(|error| {
                        Error::new(format!(
                            "{error} (the policy of function `{name}`, whose `autogen_policy` is false)"
                        ))
                    })?;
                    let own = role::own(app, stage_name, &name, policy);
                    let resource_name = own.resource_name.clone();
                    roles.push(own);
                    Role::Managed(resource_name)
                }
            };
            functions.push(Function::new(app, stage_name, &config, role)?);
        }
        if let Some(default) = roles.iter_mut().find(|r| r.resource_name == DEFAULT_ROLE) {
            let users = || shares_default.iter().map(|&i| &functions[i]);
            *default = role::shared(
                app,
                stage_name,
                users().any(Function::in_vpc),
                users().any(|f| f.xray),
            );
        }
        let api = Api::resolve(manifest, stage, read)?;
        let custom_domain = match &api {
            Api::Rest(rest) => CustomDomain::of(stage, app, &rest.settings)?,
            Api::Http(_) => None,
        };
        Ok(Model {
            app: app.clone(),
            stage: stage_name.to_owned(),
            architecture: stage.architecture(),
            functions,
            roles,
            api,
            custom_domain,
        })
    }

    /// The managed role `resource_name`.
    pub fn role(&self, resource_name: &str) -> Option<&ManagedRole> {
        self.roles
            .iter()
            .find(|role| role.resource_name == resource_name)
    }

    /// The function `name` (`api_handler` or a built-in authorizer's name).
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The REST API's usage plan and API keys, when the stage's config names keys.
    pub fn usage_plan(&self) -> Option<UsagePlan> {
        let api = self.api.rest()?;
        UsagePlan::of(&self.app, &self.stage, api)
    }

    /// The functions API Gateway invokes, which each need its permission: the API handler, and
    /// each built-in authorizer whose authorizer the API holds (all of them).
    pub fn invoked_by_api(&self) -> impl Iterator<Item = &Function> {
        let targets = self.api.authorizer_targets();
        self.functions
            .iter()
            .filter(move |f| f.invoked_by(targets.iter().copied()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::config::Config;
    use crate::test_support::{builtin, demoauth, manifest, route};

    fn resolve(config: &str, app: &Manifest) -> Result<Model> {
        let config = Config::parse(config, Path::new("config.json")).unwrap();
        let read = |file: &str| -> Result<Value> {
            match file {
                "auth.json" => Ok(json!({"Statement": ["auth"]})),
                other => Err(Error::new(format!("{other}: cannot read"))),
            }
        };
        Model::resolve_with(app, &config.stage("dev").unwrap(), &read)
    }

    #[test]
    fn the_shared_role_covers_what_each_of_its_users_needs() {
        let app = manifest(
            "app",
            vec![route("/", &["GET"])],
            vec![builtin("a"), builtin("b"), builtin("c")],
        );
        let model = resolve(
            r#"{"app_name": "app", "stages": {"dev": {"lambda_functions": {
                "a": {"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]},
                "b": {"xray": true, "iam_role_arn": "arn:aws:iam::123456789012:role/mine"},
                "c": {"subnet_ids": ["subnet-1"]}}}}}"#,
            &app,
        )
        .unwrap();
        assert_eq!(model.roles.len(), 1);
        // `a` is in a VPC; `b` traces but has a role of its own; `c` has no security groups.
        assert_eq!(model.roles[0], role::shared("app", "dev", true, false));
        let roles: Vec<&Role> = model.functions.iter().map(|f| &f.role).collect();
        let shared = Role::Managed(DEFAULT_ROLE.into());
        assert_eq!(
            roles,
            [
                &shared,
                &shared,
                &Role::Existing("arn:aws:iam::123456789012:role/mine".into()),
                &shared
            ]
        );
    }

    #[test]
    fn roles_come_in_order_of_first_use_with_their_policies() {
        let model = resolve(
            r#"{"app_name": "demoauth1", "stages": {"dev": {"lambda_functions": {
                "demo_auth": {"autogen_policy": false, "iam_policy_file": "auth.json"}}}}}"#,
            &demoauth(),
        )
        .unwrap();
        let names: Vec<(&str, &str)> = model
            .roles
            .iter()
            .map(|r| (r.resource_name.as_str(), r.role_name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (DEFAULT_ROLE, "demoauth1-dev"),
                ("demo_auth_role", "demoauth1-dev-demo_auth")
            ]
        );
        assert_eq!(
            model.role("demo_auth_role").unwrap().policy,
            json!({"Statement": ["auth"]})
        );
        assert_eq!(
            model.function("demo_auth").unwrap().role,
            Role::Managed("demo_auth_role".into())
        );
    }

    #[test]
    fn an_unreadable_policy_file_names_the_function() {
        let error = resolve(
            r#"{"app_name": "demoauth1", "stages": {"dev": {"autogen_policy": false}}}"#,
            &demoauth(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "policy-dev.json: cannot read (the policy of function `api_handler`, whose `autogen_policy` is false)"
        );
    }

    #[test]
    fn an_http_app_has_an_http_api_invoking_its_handler_and_lambda_authorizer() {
        let model = resolve(
            r#"{"app_name": "httpapi1", "stages": {"dev": {}}}"#,
            &crate::test_support::httpapi1(),
        )
        .unwrap();
        assert_eq!(model.api.kind(), ApiKind::Http);
        assert_eq!(
            (model.api.name(), model.api.stage_name()),
            ("httpapi1", "api")
        );
        assert!(model.api.rest().is_none());
        let invoked: Vec<&str> = model
            .invoked_by_api()
            .map(|f| f.function_name.as_str())
            .collect();
        assert_eq!(invoked, ["httpapi1-dev", "httpapi1-dev-gate"]);
        let error = resolve(
            r#"{"app_name": "httpapi1", "stages": {"dev": {"minimum_compression_size": 1}}}"#,
            &crate::test_support::httpapi1(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("`minimum_compression_size`"), "{error}");
    }

    #[test]
    fn every_function_is_invoked_by_the_api_and_settings_are_the_stages() {
        let app = manifest("app", vec![route("/", &["GET"])], vec![builtin("idle")]);
        let model = resolve(
            r#"{"app_name": "app", "stages": {"dev": {"lambda_architecture": "arm64", "api_gateway_stage": "v1"}}}"#,
            &app,
        )
        .unwrap();
        let invoked: Vec<&str> = model
            .invoked_by_api()
            .map(|f| f.function_name.as_str())
            .collect();
        assert_eq!(invoked, ["app-dev", "app-dev-idle"]);
        assert_eq!(model.architecture, Architecture::Arm64);
        assert_eq!(model.api.stage_name(), "v1");
        assert_eq!(model.api.rest().unwrap().settings.stage_name, "v1");
        assert_eq!((model.app.as_str(), model.stage.as_str()), ("app", "dev"));
    }

    #[test]
    fn a_rest_api_gets_its_custom_domain_and_an_http_api_refuses_one() {
        let config = r#"{"app_name": "app", "stages": {"dev": {"api_gateway_custom_domain": {
            "domain_name": "api.example.com",
            "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/c"}}}}"#;
        let app = manifest("app", vec![route("/", &["GET"])], Vec::new());
        let model = resolve(config, &app).unwrap();
        let domain = model.custom_domain.unwrap();
        assert_eq!(
            (domain.domain_name.as_str(), domain.stage_name.as_str()),
            ("api.example.com", "api")
        );
        let none = resolve(r#"{"app_name": "app", "stages": {"dev": {}}}"#, &app).unwrap();
        assert_eq!(none.custom_domain, None);
        let error = resolve(
            &config.replace("\"app\"", "\"httpapi1\""),
            &crate::test_support::httpapi1(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(
                "`api_gateway_custom_domain` is a REST API setting, but the app is an HTTP API"
            ),
            "{error}"
        );
    }
}
