//! `chalice-rs package`: the app built for Lambda (`deployment.zip`) and a template that
//! deploys it with the user's own tools: SAM/CloudFormation (`sam.json`) or Terraform
//! (`chalice.tf.json`), shaped as Chalice's `chalice package` writes them.
//!
//! [`Deployment`] resolves, from the manifest and the stage's config, what to deploy: the
//! functions, their settings and roles, and the API's settings. The template modules only
//! spell it in their format.

pub mod sam;
pub mod terraform;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chalice_runtime::manifest::{Manifest, ManifestAuthorizer};
use serde_json::Value;

use crate::bundle;
use crate::config::{Architecture, EndpointType, Stage};
use crate::error::{Error, Result};
use crate::naming;
use crate::openapi::{self, ApiSettings};
use crate::project::Project;

/// The deployment package's file name, beside the template.
pub const DEPLOYMENT_ZIP: &str = "deployment.zip";

/// The template format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SAM (`sam.json`).
    CloudFormation,
    /// Terraform JSON (`chalice.tf.json`).
    Terraform,
}

impl Format {
    /// The template's file name, as Chalice names it.
    pub fn template_file(self) -> &'static str {
        match self {
            Format::CloudFormation => "sam.json",
            Format::Terraform => "chalice.tf.json",
        }
    }
}

/// What `package` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// The template.
    pub template: PathBuf,
    /// The zip.
    pub zip: PathBuf,
    /// How the app was built.
    pub build_note: String,
}

/// Builds the app for Lambda and writes the zip and the template for `stage` into `out`.
pub fn run(project: &Project, out: &Path, stage: &str, format: Format) -> Result<Packaged> {
    let stage = project.config().stage(stage)?;
    if out.exists() && !out.is_dir() {
        return Err(Error::new(format!(
            "{}: exists and is not a directory; give `package` a directory to write into",
            out.display()
        )));
    }
    // Config mistakes are reported before the (slow) release build.
    ApiSettings::for_stage(&stage, project.dir())?;
    let bundle = bundle::build(project, stage.architecture())?;
    let deployment = Deployment::new(&bundle.app.manifest, &stage, project.dir())?;
    let template = match format {
        Format::CloudFormation => sam::template(&deployment)?,
        Format::Terraform => terraform::template(&deployment)?,
    };
    std::fs::create_dir_all(out)
        .map_err(|error| Error::new(format!("{}: cannot create: {error}", out.display())))?;
    let zip = out.join(DEPLOYMENT_ZIP);
    bundle::write_zip(&bundle, &zip)?;
    let template_path = out.join(format.template_file());
    write_json(&template_path, &template)?;
    Ok(Packaged {
        template: template_path,
        zip,
        build_note: bundle.build_note,
    })
}

/// Writes `doc` as Chalice's `serialize_to_json` does: two-space indent, newline at the end.
pub fn write_json(path: &Path, doc: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(doc)
        .map_err(|error| Error::new(format!("cannot serialize {}: {error}", path.display())))?;
    text.push('\n');
    std::fs::write(path, text)
        .map_err(|error| Error::new(format!("{}: cannot write: {error}", path.display())))
}

/// Everything a template describes, resolved from the manifest and the stage's config.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// `app_name`.
    pub app: String,
    /// The Chalice stage.
    pub stage: String,
    /// The API Gateway stage.
    pub api_gateway_stage: String,
    /// EDGE, REGIONAL or PRIVATE.
    pub endpoint_type: EndpointType,
    /// `minimum_compression_size`.
    pub minimum_compression_size: Option<u32>,
    /// The functions' architecture.
    pub architecture: Architecture,
    /// The API handler first, then one per built-in authorizer, in manifest order.
    pub functions: Vec<Function>,
    /// The roles chalice-rs creates, in order of first use.
    pub roles: Vec<ManagedRole>,
    /// The app's manifest (the API definition is generated from it per format).
    pub manifest: Manifest,
    /// The API's resource policy and VPC endpoints.
    pub api_settings: ApiSettings,
}

/// One Lambda function and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// `api_handler` or the authorizer's name: its config name and resource name.
    pub name: String,
    /// The Lambda function name.
    pub function_name: String,
    /// The `Handler` string.
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
    /// VPC subnets (used only together with security groups, as Chalice).
    pub subnet_ids: Vec<String>,
    /// VPC security groups.
    pub security_group_ids: Vec<String>,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// Log retention; a log group is created when set.
    pub log_retention_in_days: Option<u32>,
}

impl Function {
    /// Whether the function runs in a VPC: Chalice requires both subnets and security groups.
    pub fn in_vpc(&self) -> bool {
        !self.subnet_ids.is_empty() && !self.security_group_ids.is_empty()
    }
}

/// A function's execution role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A role of [`Deployment::roles`], by resource name.
    Managed(String),
    /// An existing role, by ARN.
    Existing(String),
}

/// A role chalice-rs creates.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedRole {
    /// Chalice's resource name: `default-role`, or `<function>_role` for a function's own.
    pub resource_name: String,
    /// The IAM role name.
    pub role_name: String,
    /// Its inline policy.
    pub policy: Value,
}

impl Deployment {
    /// Resolves the deployment of `manifest` on `stage`; policy files are read from the
    /// project's `.chalice/`.
    pub fn new(manifest: &Manifest, stage: &Stage<'_>, project_dir: &Path) -> Result<Deployment> {
        if manifest.routes.is_empty() {
            return Err(Error::new(format!(
                "the app `{}` has no routes, so there is no REST API to package",
                manifest.app_name
            )));
        }
        let app = manifest.app_name.clone();
        let mut names = vec![naming::API_HANDLER.to_owned()];
        for authorizer in &manifest.authorizers {
            if let ManifestAuthorizer::Builtin { name, .. } = authorizer {
                if names.contains(name) {
                    return Err(Error::new(format!(
                        "two functions are named `{name}`; built-in authorizer names must be unique and not `{}`",
                        naming::API_HANDLER
                    )));
                }
                names.push(name.clone());
            }
        }
        let mut functions = Vec::new();
        let mut roles: Vec<ManagedRole> = Vec::new();
        // Which functions share the default role, to give it what they need (VPC, X-Ray).
        let mut default_role_users: Vec<usize> = Vec::new();
        for name in names {
            let config = stage.function(&name);
            let role = match naming::existing_role(&config) {
                Some(arn) => Role::Existing(arn.to_owned()),
                None if !config.autogen_policy => {
                    let file = config
                        .iam_policy_file
                        .clone()
                        .unwrap_or_else(|| format!("policy-{}.json", stage.name()));
                    let resource_name = format!("{name}_role");
                    roles.push(ManagedRole {
                        resource_name: resource_name.clone(),
                        role_name: naming::function_role_name(&app, stage.name(), &name),
                        policy: openapi::read_json(&project_dir.join(".chalice").join(file))
                            .map_err(|error| {
                                Error::new(format!(
                                    "{error} (the policy of function `{name}`, whose `autogen_policy` is false)"
                                ))
                            })?,
                    });
                    Role::Managed(resource_name)
                }
                None => {
                    default_role_users.push(functions.len());
                    if !roles.iter().any(|role| role.resource_name == DEFAULT_ROLE) {
                        roles.push(ManagedRole {
                            resource_name: DEFAULT_ROLE.to_owned(),
                            role_name: naming::role_name(&app, stage.name()),
                            policy: Value::Null,
                        });
                    }
                    Role::Managed(DEFAULT_ROLE.to_owned())
                }
            };
            functions.push(Function {
                function_name: naming::function_name(&app, stage.name(), &name),
                handler: naming::handler(&name).to_owned(),
                memory_size: config.memory_size,
                timeout: config.timeout,
                environment: config.environment_variables.clone(),
                tags: naming::function_tags(&app, stage.name(), &config.tags),
                role,
                xray: config.xray,
                layers: config.layers.clone(),
                subnet_ids: config.subnet_ids.clone(),
                security_group_ids: config.security_group_ids.clone(),
                reserved_concurrency: config.reserved_concurrency,
                log_retention_in_days: config.log_retention_in_days,
                name,
            });
        }
        if let Some(default) = roles
            .iter_mut()
            .find(|role| role.resource_name == DEFAULT_ROLE)
        {
            let users = default_role_users.iter().map(|&i| &functions[i]);
            let vpc = users.clone().any(Function::in_vpc);
            let xray = users.clone().any(|f| f.xray);
            default.policy = naming::managed_role_policy(vpc, xray);
        }
        Ok(Deployment {
            app,
            stage: stage.name().to_owned(),
            api_gateway_stage: stage.api_gateway_stage(),
            endpoint_type: stage.endpoint_type(),
            minimum_compression_size: stage.minimum_compression_size(),
            architecture: stage.architecture(),
            functions,
            roles,
            manifest: manifest.clone(),
            api_settings: ApiSettings::for_stage(stage, project_dir)?,
        })
    }

    /// The managed role `resource_name`.
    pub fn role(&self, resource_name: &str) -> Option<&ManagedRole> {
        self.roles
            .iter()
            .find(|role| role.resource_name == resource_name)
    }
}

/// The resource name of the role functions share, as Chalice names it.
pub const DEFAULT_ROLE: &str = "default-role";

/// Lambda's name for an architecture.
pub fn architecture_name(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "x86_64",
        Architecture::Arm64 => "arm64",
    }
}

/// Inserts a resource under a name not taken yet; two app names that map to one template
/// name (`demo-auth` and `demo_auth` both give `DemoAuth`) are an error, as in Chalice.
fn insert_unique(
    resources: &mut serde_json::Map<String, Value>,
    name: String,
    resource: Value,
    what: &str,
) -> Result<()> {
    if resources.contains_key(&name) {
        return Err(Error::new(format!(
            "two resources of the {what} are named `{name}`; rename the built-in authorizer that gives it"
        )));
    }
    resources.insert(name, resource);
    Ok(())
}

#[cfg(test)]
mod tests;
