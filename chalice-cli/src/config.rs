//! `.chalice/config.json`, read as Chalice reads it: stages, per-function settings under
//! `lambda_functions.<name>`, and Chalice's lookup order.
//!
//! Settings that vary per function are looked up in `stages.<stage>.lambda_functions.<fn>`,
//! then `stages.<stage>`, then top-level `lambda_functions.<fn>`, then the top level.
//! `environment_variables` and `tags` are merged along the same chain instead (later wins),
//! top-level `lambda_functions.<fn>` included: Chalice skips that level for them, which its
//! users report as a bug.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chalice_runtime::lambda::API_HANDLER;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::naming;

mod custom_domain;

pub use self::custom_domain::{CustomDomainConfig, TlsVersion, certificate_region};

/// Where the config lives in a project.
pub const CONFIG_PATH: &str = ".chalice/config.json";

/// The settings one level of the file may hold (top level, a stage, or a function).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scope {
    version: Option<String>,
    app_name: Option<String>,
    stages: Option<BTreeMap<String, Scope>>,
    lambda_functions: Option<BTreeMap<String, Scope>>,
    api_gateway_stage: Option<String>,
    api_gateway_endpoint_type: Option<EndpointType>,
    api_gateway_endpoint_vpce: Option<StringOrList>,
    api_gateway_policy_file: Option<String>,
    minimum_compression_size: Option<u32>,
    lambda_memory_size: Option<u32>,
    lambda_timeout: Option<u32>,
    environment_variables: Option<BTreeMap<String, String>>,
    tags: Option<BTreeMap<String, String>>,
    manage_iam_role: Option<bool>,
    iam_role_arn: Option<String>,
    autogen_policy: Option<bool>,
    iam_policy_file: Option<String>,
    reserved_concurrency: Option<u32>,
    layers: Option<Vec<String>>,
    subnet_ids: Option<Vec<String>>,
    security_group_ids: Option<Vec<String>>,
    xray: Option<bool>,
    log_retention_in_days: Option<u32>,
    lambda_architecture: Option<Architecture>,
    /// chalice-rs: a JWKS file that `local` verifies Cognito tokens against.
    cognito_jwks: Option<String>,
    /// chalice-rs: the JWKS file of each JWT issuer (issuer URL to a path relative to the
    /// project), which `local` verifies HTTP API tokens against.
    jwks: Option<BTreeMap<String, String>>,
    /// chalice-rs: the API keys the stage accepts on `api_key_required` routes.
    api_keys: Option<Vec<String>>,
    /// chalice-rs: the API Gateway stage variables (`$context.stageVariables`).
    stage_variables: Option<BTreeMap<String, String>>,
    /// The REST API's custom domain name.
    api_gateway_custom_domain: Option<CustomDomainConfig>,
    /// Chalice keys read only to be refused by name (see [`custom_domain::check_unsupported`]).
    websocket_api_custom_domain: Option<serde_json::Value>,
    automatic_layer: Option<serde_json::Value>,
}

/// A string or a list of strings (`api_gateway_endpoint_vpce`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

/// The REST API's endpoint type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum EndpointType {
    /// Edge-optimized (Chalice's default).
    #[serde(rename = "EDGE")]
    Edge,
    /// Regional.
    #[serde(rename = "REGIONAL")]
    Regional,
    /// Private.
    #[serde(rename = "PRIVATE")]
    Private,
}

impl EndpointType {
    /// API Gateway's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointType::Edge => "EDGE",
            EndpointType::Regional => "REGIONAL",
            EndpointType::Private => "PRIVATE",
        }
    }
}

/// The functions' architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Architecture {
    /// x86_64 (the default).
    #[serde(rename = "x86_64")]
    X86_64,
    /// arm64.
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    /// Lambda's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// A project's `.chalice/config.json`, checked.
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    app_name: String,
    top: Scope,
}

impl Config {
    /// Reads `.chalice/config.json` of the project in `project_dir`.
    pub fn load(project_dir: &Path) -> Result<Config> {
        let path = project_dir.join(CONFIG_PATH);
        let text = std::fs::read_to_string(&path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                Error::new(format!(
                    "{}: not found; a chalice-rs project has a `{CONFIG_PATH}` (see `chalice-rs new-project`)",
                    path.display()
                ))
            } else {
                Error::new(format!("{}: cannot read: {error}", path.display()))
            }
        })?;
        Config::parse(&text, &path)
    }

    /// Parses the text of a config file; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let at = |message: String| Error::new(format!("{}: {message}", path.display()));
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let top: Scope = serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let key = error.path().to_string();
            let inner = error.into_inner();
            let message = custom_domain::without_unsupported(&inner.to_string());
            if inner.is_syntax() || inner.is_eof() || key == "." || key == "?" || key.is_empty() {
                at(message)
            } else {
                at(format!("key `{key}`: {message}"))
            }
        })?;
        match top.version.as_deref() {
            None | Some("2.0") => {}
            Some(other) => {
                return Err(at(format!(
                    "key `version`: \"{other}\" is not supported; use \"2.0\""
                )));
            }
        }
        let app_name = match &top.app_name {
            Some(name) => name.clone(),
            None => return Err(at("key `app_name` is missing".into())),
        };
        check_app_name(&app_name).map_err(|message| at(format!("key `app_name`: {message}")))?;
        check_values(&top, "").map_err(at)?;
        for (stage, scope) in top.stages.iter().flatten() {
            for nested in ["version", "app_name", "stages"] {
                let present = match nested {
                    "version" => scope.version.is_some(),
                    "app_name" => scope.app_name.is_some(),
                    _ => scope.stages.is_some(),
                };
                if present {
                    return Err(at(format!(
                        "key `stages.{stage}.{nested}` belongs at the top level"
                    )));
                }
            }
            check_stage_name(stage)
                .map_err(|message| at(format!("key `stages.{stage}`: {message}")))?;
            check_values(scope, &format!("stages.{stage}.")).map_err(at)?;
            let functions = scope
                .lambda_functions
                .iter()
                .chain(&top.lambda_functions)
                .flat_map(BTreeMap::keys);
            check_function_names(&app_name, stage, functions.map(String::as_str))
                .map_err(|message| at(format!("key `stages.{stage}`: {message}")))?;
        }
        let config = Config {
            path: path.to_owned(),
            app_name,
            top,
        };
        for stage in config.stage_names() {
            let stage = config.stage(&stage)?;
            stage.check()?;
        }
        Ok(config)
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `app_name`.
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// The stages declared under `stages`.
    pub fn stage_names(&self) -> Vec<String> {
        self.top
            .stages
            .iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// One stage's settings. A stage the file does not declare uses the top-level settings, as
    /// Chalice's lookup falls through to them ([`Stage::undeclared_note`] says so).
    pub fn stage(&self, name: &str) -> Result<Stage<'_>> {
        static UNDECLARED: LazyLock<Scope> = LazyLock::new(Scope::default);
        let declared = self.top.stages.as_ref().and_then(|stages| stages.get(name));
        if declared.is_none() {
            let functions = self.top.lambda_functions.iter().flat_map(BTreeMap::keys);
            check_stage_name(name)
                .and_then(|()| {
                    check_function_names(&self.app_name, name, functions.map(String::as_str))
                })
                .map_err(|message| {
                    Error::new(format!(
                        "{}: stage `{name}` cannot be used: {message}",
                        self.path.display()
                    ))
                })?;
        }
        let stage = Stage {
            config: self,
            name: name.to_owned(),
            scope: declared.unwrap_or_else(|| &*UNDECLARED),
            declared: declared.is_some(),
        };
        if !stage.declared {
            stage.check()?;
        }
        Ok(stage)
    }
}

/// The settings of one stage.
#[derive(Debug, Clone)]
pub struct Stage<'a> {
    config: &'a Config,
    name: String,
    scope: &'a Scope,
    declared: bool,
}

/// The settings of one Lambda function on one stage, looked up and merged as Chalice does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    /// The function's config name: `api_handler` or a built-in authorizer's name.
    pub name: String,
    /// MB; Chalice's default 128.
    pub memory_size: u32,
    /// Seconds; Chalice's default 60.
    pub timeout: u32,
    /// Merged environment.
    pub environment_variables: BTreeMap<String, String>,
    /// Merged tags from the config (the deployer adds its own).
    pub tags: BTreeMap<String, String>,
    /// Whether chalice-rs manages the role.
    pub manage_iam_role: bool,
    /// A role to use instead of a managed one.
    pub iam_role_arn: Option<String>,
    /// Whether the managed role's policy is generated (else read from `iam_policy_file`).
    pub autogen_policy: bool,
    /// The policy file, under `.chalice/`.
    pub iam_policy_file: Option<String>,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// Layer ARNs.
    pub layers: Vec<String>,
    /// VPC subnets.
    pub subnet_ids: Vec<String>,
    /// VPC security groups.
    pub security_group_ids: Vec<String>,
    /// X-Ray tracing.
    pub xray: bool,
    /// CloudWatch log retention.
    pub log_retention_in_days: Option<u32>,
}

impl Stage<'_> {
    /// The stage's name (the Chalice stage, e.g. `dev`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// For a stage the file does not declare, the line telling the user which settings apply.
    pub fn undeclared_note(&self) -> Option<String> {
        (!self.declared).then(|| {
            format!(
                "Stage `{}` is not declared under `stages` in {} (declared: {}): using the top-level settings.",
                self.name,
                self.config.path.display(),
                match self.config.stage_names() {
                    names if names.is_empty() => "none".to_owned(),
                    names => names.join(", "),
                }
            )
        })
    }

    /// The API Gateway stage the API is deployed to; Chalice's default `api`.
    pub fn api_gateway_stage(&self) -> String {
        self.stage_value(|s| s.api_gateway_stage.clone())
            .unwrap_or_else(|| "api".into())
    }

    /// The endpoint type; Chalice's default `EDGE`.
    pub fn endpoint_type(&self) -> EndpointType {
        self.stage_value(|s| s.api_gateway_endpoint_type)
            .unwrap_or(EndpointType::Edge)
    }

    /// The endpoint type the config sets, if it sets one (HTTP APIs are only REGIONAL).
    pub fn endpoint_type_setting(&self) -> Option<EndpointType> {
        self.stage_value(|s| s.api_gateway_endpoint_type)
    }

    /// `minimum_compression_size`.
    pub fn minimum_compression_size(&self) -> Option<u32> {
        self.stage_value(|s| s.minimum_compression_size)
    }

    /// The architecture; `x86_64` unless set.
    pub fn architecture(&self) -> Architecture {
        self.stage_value(|s| s.lambda_architecture)
            .unwrap_or(Architecture::X86_64)
    }

    /// The VPC endpoints of a PRIVATE API.
    pub fn endpoint_vpce(&self) -> Vec<String> {
        match self.stage_value(|s| s.api_gateway_endpoint_vpce.clone()) {
            None => Vec::new(),
            Some(StringOrList::One(one)) => vec![one],
            Some(StringOrList::Many(many)) => many,
        }
    }

    /// The resource policy file of the REST API, under `.chalice/`.
    pub fn api_gateway_policy_file(&self) -> Option<String> {
        self.stage_value(|s| s.api_gateway_policy_file.clone())
    }

    /// The JWKS file for verifying Cognito tokens locally, relative to the project.
    pub fn cognito_jwks(&self) -> Option<String> {
        self.stage_value(|s| s.cognito_jwks.clone())
    }

    /// The JWKS file of each JWT issuer (`jwks`: issuer URL to a path relative to the
    /// project); none set means none.
    pub fn jwks(&self) -> BTreeMap<String, String> {
        self.stage_value(|s| s.jwks.clone()).unwrap_or_default()
    }

    /// The API keys the stage accepts (`api_keys`); none set means none.
    pub fn api_keys(&self) -> Vec<String> {
        self.stage_value(|s| s.api_keys.clone()).unwrap_or_default()
    }

    /// The stage variables (`stage_variables`), by name.
    pub fn stage_variables(&self) -> BTreeMap<String, String> {
        self.stage_value(|s| s.stage_variables.clone())
            .unwrap_or_default()
    }

    /// The REST API's custom domain (`api_gateway_custom_domain`): the stage's, else the top
    /// level's.
    pub fn custom_domain(&self) -> Option<CustomDomainConfig> {
        self.stage_value(|s| s.api_gateway_custom_domain.clone())
    }

    /// An error about this stage's settings, naming the file and the stage.
    pub fn error(&self, message: &str) -> Error {
        Error::new(format!(
            "{}: stage `{}`: {message}",
            self.config.path.display(),
            self.name
        ))
    }

    /// A stage-only setting: the stage's value, else the top level's.
    fn stage_value<T>(&self, get: impl Fn(&Scope) -> Option<T>) -> Option<T> {
        get(self.scope).or_else(|| get(&self.config.top))
    }

    /// The settings of the function `name` (`api_handler` or an authorizer's name).
    pub fn function(&self, name: &str) -> FunctionConfig {
        let top = &self.config.top;
        let top_fn = top.lambda_functions.as_ref().and_then(|f| f.get(name));
        let stage_fn = self
            .scope
            .lambda_functions
            .as_ref()
            .and_then(|f| f.get(name));
        // Most specific first, as Chalice's _chain_lookup.
        let chain: Vec<&Scope> = [stage_fn, Some(self.scope), top_fn, Some(top)]
            .into_iter()
            .flatten()
            .collect();
        let lookup = |get: &dyn Fn(&Scope) -> Option<_>| chain.iter().find_map(|scope| get(scope));
        let merge = |get: &dyn Fn(&Scope) -> Option<&BTreeMap<String, String>>| {
            let mut merged = BTreeMap::new();
            for scope in chain.iter().rev() {
                if let Some(values) = get(scope) {
                    merged.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            merged
        };
        let lookup_list = |get: &dyn Fn(&Scope) -> Option<&Vec<String>>| {
            chain
                .iter()
                .find_map(|scope| get(scope))
                .cloned()
                .unwrap_or_default()
        };
        FunctionConfig {
            name: name.to_owned(),
            memory_size: lookup(&|s| s.lambda_memory_size).unwrap_or(128),
            timeout: lookup(&|s| s.lambda_timeout).unwrap_or(60),
            environment_variables: merge(&|s| s.environment_variables.as_ref()),
            tags: merge(&|s| s.tags.as_ref()),
            manage_iam_role: chain.iter().find_map(|s| s.manage_iam_role).unwrap_or(true),
            iam_role_arn: chain.iter().find_map(|s| s.iam_role_arn.clone()),
            autogen_policy: chain.iter().find_map(|s| s.autogen_policy).unwrap_or(true),
            iam_policy_file: chain.iter().find_map(|s| s.iam_policy_file.clone()),
            reserved_concurrency: lookup(&|s| s.reserved_concurrency),
            layers: lookup_list(&|s| s.layers.as_ref()),
            subnet_ids: lookup_list(&|s| s.subnet_ids.as_ref()),
            security_group_ids: lookup_list(&|s| s.security_group_ids.as_ref()),
            xray: chain.iter().find_map(|s| s.xray).unwrap_or(false),
            log_retention_in_days: lookup(&|s| s.log_retention_in_days),
        }
    }

    /// Checks what can only be checked per function: `manage_iam_role: false` needs a role,
    /// and role ARNs must look like role ARNs.
    fn check(&self) -> Result<()> {
        let mut names: Vec<&String> = Vec::new();
        names.extend(
            self.scope
                .lambda_functions
                .iter()
                .flatten()
                .map(|(name, _)| name),
        );
        names.extend(
            self.config
                .top
                .lambda_functions
                .iter()
                .flatten()
                .map(|(name, _)| name),
        );
        let api_handler = API_HANDLER.to_owned();
        names.push(&api_handler);
        for name in names {
            let function = self.function(name);
            if !function.manage_iam_role && function.iam_role_arn.is_none() {
                return Err(Error::new(format!(
                    "{}: stage `{}`, function `{name}`: `manage_iam_role` is false, so `iam_role_arn` must name the role to use",
                    self.config.path.display(),
                    self.name
                )));
            }
            if let Some(arn) = &function.iam_role_arn
                && !is_role_arn(arn)
            {
                return Err(Error::new(format!(
                    "{}: stage `{}`, function `{name}`: `iam_role_arn` \"{arn}\" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
                    self.config.path.display(),
                    self.name
                )));
            }
        }
        Ok(())
    }
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts[..], ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

/// Function names are `<app>-<stage>[-<authorizer>]` and must fit Lambda's 64 characters of
/// letters, digits, `-` and `_`.
fn check_app_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "\"{name}\" has {bad:?}; Lambda function names allow only letters, digits, `-` and `_`"
        ));
    }
    if name.len() > 40 {
        return Err(format!(
            "\"{name}\" is {} characters; keep it to 40 so `<app>-<stage>-<authorizer>` fits Lambda's 64",
            name.len()
        ));
    }
    Ok(())
}

/// Lambda's reserved environment variables, which a function's configuration may not set.
const RESERVED_ENVIRONMENT: [&str; 18] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

/// The retention periods CloudWatch Logs accepts, in days.
const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// `api_keys` holds no empty key, and `stage_variables` only names API Gateway accepts.
fn check_api_keys_and_stage_variables(
    scope: &Scope,
    key: &dyn Fn(&str) -> String,
) -> std::result::Result<(), String> {
    if let Some(keys) = &scope.api_keys
        && keys.iter().any(String::is_empty)
    {
        return Err(format!("{}: an API key cannot be empty", key("api_keys")));
    }
    for name in scope.stage_variables.iter().flat_map(BTreeMap::keys) {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "{}: `{name}` is not a stage variable name; API Gateway allows letters, digits and `_`",
                key("stage_variables")
            ));
        }
    }
    Ok(())
}

/// `jwks` maps issuers to files: neither empty, and no `=` in an issuer (the app reads
/// `--jwks ISSUER=PATH` up to the first one).
fn check_jwks(scope: &Scope, key: &dyn Fn(&str) -> String) -> std::result::Result<(), String> {
    for (issuer, file) in scope.jwks.iter().flatten() {
        if issuer.is_empty() || issuer.contains('=') {
            return Err(format!(
                "{}: `{issuer}` is not an issuer URL (e.g. https://issuer.example.com)",
                key("jwks")
            ));
        }
        if file.is_empty() {
            return Err(format!(
                "{}: issuer `{issuer}` needs the path of its JWKS file",
                key("jwks")
            ));
        }
    }
    Ok(())
}

/// Checks the values one level of the file sets (`at` is its key prefix, e.g. `stages.dev.`)
/// against what AWS accepts, then its `lambda_functions`, so that a deploy never starts with a
/// value AWS would refuse half-way.
fn check_values(scope: &Scope, at: &str) -> std::result::Result<(), String> {
    let key = |name: &str| format!("key `{at}{name}`");
    check_api_keys_and_stage_variables(scope, &key)?;
    check_jwks(scope, &key)?;
    if let Some(memory) = scope.lambda_memory_size
        && !(128..=10240).contains(&memory)
    {
        return Err(format!(
            "{}: {memory} MB is out of range; Lambda allows 128 to 10240",
            key("lambda_memory_size")
        ));
    }
    if let Some(timeout) = scope.lambda_timeout
        && !(1..=900).contains(&timeout)
    {
        return Err(format!(
            "{}: {timeout} seconds is out of range; Lambda allows 1 to 900",
            key("lambda_timeout")
        ));
    }
    if let Some(days) = scope.log_retention_in_days
        && !LOG_RETENTION_DAYS.contains(&days)
    {
        return Err(format!(
            "{}: {days} is not a retention CloudWatch Logs accepts ({})",
            key("log_retention_in_days"),
            LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
        ));
    }
    if let Some(stage) = &scope.api_gateway_stage
        && (stage.is_empty()
            || stage.len() > 128
            || !stage
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(format!(
            "{}: \"{stage}\" is not an API Gateway stage name (1 to 128 letters, digits, `-` and `_`)",
            key("api_gateway_stage")
        ));
    }
    for name in scope.environment_variables.iter().flat_map(BTreeMap::keys) {
        if RESERVED_ENVIRONMENT.contains(&name.as_str()) {
            return Err(format!(
                "{}: `{name}` is reserved by Lambda and cannot be set",
                key("environment_variables")
            ));
        }
        let mut chars = name.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "{}: `{name}` is not a Lambda environment variable name (a letter, then letters, digits and `_`)",
                key("environment_variables")
            ));
        }
    }
    if let Some(tags) = &scope.tags {
        check_tags(tags, &key("tags"))?;
    }
    if let Some(domain) = &scope.api_gateway_custom_domain {
        let field = |name: &str| format!("key `{at}api_gateway_custom_domain.{name}`");
        custom_domain::check(domain, &field)?;
    }
    custom_domain::check_unsupported(
        custom_domain::Unsupported {
            websocket_api_custom_domain: scope.websocket_api_custom_domain.as_ref(),
            automatic_layer: scope.automatic_layer.as_ref(),
        },
        &key,
    )?;
    for layer in scope.layers.iter().flatten() {
        let parts: Vec<&str> = layer.split(':').collect();
        if !matches!(parts[..], ["arn", _, "lambda", _, _, "layer", _, version] if version.parse::<u32>().is_ok())
        {
            return Err(format!(
                "{}: \"{layer}\" is not a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)",
                key("layers")
            ));
        }
    }
    for (function, nested) in scope.lambda_functions.iter().flatten() {
        check_function_key(function)
            .map_err(|message| format!("key `{at}lambda_functions.{function}`: {message}"))?;
        for forbidden in ["stages", "lambda_functions", "api_gateway_custom_domain"] {
            let present = match forbidden {
                "stages" => nested.stages.is_some(),
                "api_gateway_custom_domain" => nested.api_gateway_custom_domain.is_some(),
                _ => nested.lambda_functions.is_some(),
            };
            if present {
                return Err(format!(
                    "key `{at}lambda_functions.{function}.{forbidden}` is not allowed inside a function"
                ));
            }
        }
        check_values(nested, &format!("{at}lambda_functions.{function}."))?;
    }
    Ok(())
}

/// Tags as AWS takes them; `key` names where they are (e.g. key `tags`).
fn check_tags(tags: &BTreeMap<String, String>, key: &str) -> std::result::Result<(), String> {
    for (name, value) in tags {
        if name.is_empty() || name.len() > 128 || value.len() > 256 {
            return Err(format!(
                "{key}: tag `{name}`: keys are 1 to 128 characters, values up to 256"
            ));
        }
        if name.to_ascii_lowercase().starts_with("aws:") {
            return Err(format!(
                "{key}: tag `{name}`: the `aws:` prefix is reserved by AWS"
            ));
        }
    }
    Ok(())
}

/// A `lambda_functions` key names `api_handler` or a built-in authorizer.
fn check_function_key(name: &str) -> std::result::Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a function name is letters, digits, `-` and `_`".into());
    }
    Ok(())
}

/// The Lambda names the stage gives the API handler and `functions` must be valid ones.
fn check_function_names<'a>(
    app_name: &str,
    stage: &str,
    functions: impl Iterator<Item = &'a str>,
) -> std::result::Result<(), String> {
    for function in std::iter::once(API_HANDLER).chain(functions) {
        let name = naming::function_name(app_name, stage, function);
        naming::check_function_name(&name).map_err(|message| {
            format!(
                "stage `{stage}` of app `{app_name}` gives {message}; shorten app_name or the stage's name"
            )
        })?;
    }
    Ok(())
}

fn check_stage_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a stage name is letters, digits, `-` and `_`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<Config> {
        Config::parse(&value.to_string(), Path::new(".chalice/config.json"))
    }

    /// reference/chalice-test-cases.md 202: per-function values win over stage values.
    #[test]
    fn function_scope_wins_over_stage() {
        let config = parse(json!({
            "version": "2.0", "app_name": "app",
            "stages": {"dev": {
                "manage_iam_role": true, "iam_role_arn": "arn:aws:iam::123456789012:role/stage-role",
                "autogen_policy": true, "iam_policy_file": "policy.json",
                "environment_variables": {"env": "stage"}, "lambda_timeout": 1, "lambda_memory_size": 1024,
                "tags": {"tag": "stage"},
                "lambda_functions": {
                    "api_handler": {"lambda_timeout": 30},
                    "myauth": {"iam_role_arn": "arn:aws:iam::123456789012:role/auth-role", "autogen_policy": true,
                               "iam_policy_file": "function.json", "environment_variables": {"env": "function"},
                               "lambda_timeout": 2, "lambda_memory_size": 2048, "tags": {"tag": "function"}}
                }
            }}
        }))
        .unwrap();
        let stage = config.stage("dev").unwrap();
        let auth = stage.function("myauth");
        assert!(auth.manage_iam_role && auth.autogen_policy);
        assert_eq!(
            auth.iam_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/auth-role")
        );
        assert_eq!(auth.iam_policy_file.as_deref(), Some("function.json"));
        assert_eq!(auth.environment_variables["env"], "function");
        assert_eq!((auth.timeout, auth.memory_size), (2, 2048));
        assert_eq!(auth.tags["tag"], "function");
        assert_eq!(stage.function("api_handler").timeout, 30);
        assert_eq!(stage.function("api_handler").memory_size, 1024);
    }

    /// 203: environment variables merge along the chain, per stage and function.
    #[test]
    fn environment_merges_per_stage_and_function() {
        let config = parse(json!({
            "app_name": "app",
            "environment_variables": {"env": "global"},
            "stages": {
                "dev": {"environment_variables": {"env": "dev-stage"},
                        "lambda_functions": {"api_handler": {"environment_variables": {"env": "dev-api-handler"}},
                                             "myauth": {"environment_variables": {"env": "dev-myauth"}}}},
                "beta": {"lambda_functions": {"api_handler": {"environment_variables": {"env": "beta-api-handler"}},
                                              "myauth": {"environment_variables": {"env": "beta-myauth"}}}},
                "prod": {"environment_variables": {"env": "prod-stage"}},
                "other": {}
            }
        }))
        .unwrap();
        for (stage, function, expected) in [
            ("dev", "api_handler", "dev-api-handler"),
            ("dev", "myauth", "dev-myauth"),
            ("beta", "api_handler", "beta-api-handler"),
            ("beta", "myauth", "beta-myauth"),
            ("prod", "api_handler", "prod-stage"),
            ("prod", "myauth", "prod-stage"),
            ("other", "api_handler", "global"),
            ("other", "myauth", "global"),
        ] {
            let env = config
                .stage(stage)
                .unwrap()
                .function(function)
                .environment_variables;
            assert_eq!(env["env"], expected, "{stage}/{function}");
        }
    }

    /// reference §6: a stage-level generic key beats a top-level per-function key.
    #[test]
    fn stage_generic_key_beats_top_level_function_key() {
        let config = parse(json!({
            "app_name": "app",
            "lambda_functions": {"header_auth": {"lambda_timeout": 7, "environment_variables": {"TOP_FN": "1"}}},
            "stages": {"dev": {"lambda_timeout": 30}, "prod": {}}
        }))
        .unwrap();
        assert_eq!(
            config.stage("dev").unwrap().function("header_auth").timeout,
            30
        );
        let prod = config.stage("prod").unwrap().function("header_auth");
        assert_eq!(prod.timeout, 7);
        assert_eq!(prod.environment_variables["TOP_FN"], "1");
    }

    #[test]
    fn defaults_are_chalices() {
        let config = parse(json!({"app_name": "app", "stages": {"dev": {}}})).unwrap();
        let stage = config.stage("dev").unwrap();
        assert_eq!(stage.api_gateway_stage(), "api");
        assert_eq!(stage.endpoint_type(), EndpointType::Edge);
        let function = stage.function("api_handler");
        assert_eq!((function.memory_size, function.timeout), (128, 60));
        assert!(function.manage_iam_role && function.autogen_policy);
    }

    #[test]
    fn api_keys_and_stage_variables_are_the_stages_else_the_top_levels() {
        let config = parse(json!({"app_name": "app",
            "api_keys": ["top-key"], "stage_variables": {"env": "top"},
            "stages": {"dev": {}, "prod": {"api_keys": ["k1", "k2"], "stage_variables": {"env": "prod", "db_name": "main"}},
                       "open": {"api_keys": [], "stage_variables": {}}}}))
        .unwrap();
        let dev = config.stage("dev").unwrap();
        assert_eq!(dev.api_keys(), ["top-key"]);
        assert_eq!(
            dev.stage_variables(),
            BTreeMap::from([("env".to_owned(), "top".to_owned())])
        );
        let prod = config.stage("prod").unwrap();
        assert_eq!(prod.api_keys(), ["k1", "k2"]);
        assert_eq!(
            prod.stage_variables(),
            BTreeMap::from([
                ("db_name".to_owned(), "main".to_owned()),
                ("env".to_owned(), "prod".to_owned())
            ])
        );
        let open = config.stage("open").unwrap();
        assert!(open.api_keys().is_empty() && open.stage_variables().is_empty());
        let unset = parse(json!({"app_name": "app", "stages": {"dev": {}}})).unwrap();
        let unset = unset.stage("dev").unwrap();
        assert!(unset.api_keys().is_empty() && unset.stage_variables().is_empty());
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let cases = [
            (
                json!({"app_name": "app", "stages": {"dev": {"lambda_timeout": "30"}}}),
                "key `stages.dev.lambda_timeout`",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"environment_variables": {"A": 1}}}}),
                "key `stages.dev.environment_variables.A`",
            ),
            (json!({"stages": {}}), "key `app_name` is missing"),
            (json!({"app_name": "my app"}), "key `app_name`"),
            (
                json!({"app_name": "app", "version": "3.0"}),
                "key `version`",
            ),
            (
                json!({"app_name": "app", "lamda_timeout": 3}),
                "unknown field `lamda_timeout`",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"api_gateway_endpoint_type": "EDGY"}}}),
                "key `stages.dev.api_gateway_endpoint_type`",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"manage_iam_role": false}}}),
                "`iam_role_arn` must name the role",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"iam_role_arn": "role"}}}),
                "is not an IAM role ARN",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"app_name": "x"}}}),
                "belongs at the top level",
            ),
            (json!([1]), "invalid type"),
            (
                json!({"app_name": "app", "stages": {"dev": {"api_keys": "k"}}}),
                "key `stages.dev.api_keys`: invalid type: string \"k\", expected a sequence",
            ),
            (
                json!({"app_name": "app", "api_keys": ["k", 1]}),
                "key `api_keys[1]`: invalid type",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"api_keys": [""]}}}),
                "key `stages.dev.api_keys`: an API key cannot be empty",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"stage_variables": ["a"]}}}),
                "key `stages.dev.stage_variables`: invalid type",
            ),
            (
                json!({"app_name": "app", "stage_variables": {"n": 1}}),
                "key `stage_variables.n`: invalid type",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"stage_variables": {"a-b": "1"}}}}),
                "key `stages.dev.stage_variables`: `a-b` is not a stage variable name",
            ),
            (
                json!({"app_name": "app", "lambda_functions": {"a": {"lambda_timeout": 0}}}),
                "key `lambda_functions.a.lambda_timeout`: 0 seconds is out of range; Lambda allows 1 to 900",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"lambda_memory_size": 10241}}}),
                "key `stages.dev.lambda_memory_size`: 10241 MB is out of range; Lambda allows 128 to 10240",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"lambda_functions": {"a": {"stages": {}}}}}}),
                "key `stages.dev.lambda_functions.a.stages` is not allowed inside a function",
            ),
            (
                json!({"app_name": "app", "environment_variables": {"1X": "y"}}),
                "key `environment_variables`: `1X` is not a Lambda environment variable name",
            ),
            (
                json!({"app_name": "app", "environment_variables": {"_HANDLER": "y"}}),
                "key `environment_variables`: `_HANDLER` is reserved by Lambda",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"api_gateway_stage": ""}}}),
                "key `stages.dev.api_gateway_stage`: \"\" is not an API Gateway stage name",
            ),
            (
                json!({"app_name": "app", "stages": {"stage-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx": {}}}),
                "gives the Lambda function name `app-stage-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, 65 characters; Lambda allows 64",
            ),
            (
                json!({"app_name": "app", "lambda_functions": {"an_authorizer_with_a_name_long_enough_to_overflow_lambdas_limit": {}},
                       "stages": {"prod": {}}}),
                "key `stages.prod`: stage `prod` of app `app` gives the Lambda function name `app-prod-an_authorizer_with_a_name_long_enough_to_overflow_lambdas_limit`",
            ),
            (
                json!({"app_name": "app", "tags": {"k": "v".repeat(257)}}),
                "key `tags`: tag `k`: keys are 1 to 128 characters, values up to 256",
            ),
        ];
        for (value, expected) in cases {
            let error = parse(value.clone()).unwrap_err().to_string();
            assert!(error.starts_with(".chalice/config.json: "), "{error}");
            assert!(error.contains(expected), "{value}: {error}");
        }
        let truncated = Config::parse("{\"app_name\": \"a", Path::new("c.json"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            truncated,
            "c.json: EOF while parsing a string at line 1 column 15"
        );
    }

    #[test]
    fn an_undeclared_stage_uses_the_top_level_settings_and_says_so() {
        let config = parse(json!({"app_name": "app", "lambda_memory_size": 512,
            "api_gateway_stage": "v1", "stages": {"dev": {}, "prod": {}}}))
        .unwrap();
        let qa = config.stage("qa").unwrap();
        assert_eq!(qa.name(), "qa");
        assert_eq!(qa.api_gateway_stage(), "v1");
        assert_eq!(qa.function(API_HANDLER).memory_size, 512);
        let note = qa.undeclared_note().unwrap();
        assert!(
            note.contains("Stage `qa` is not declared")
                && note.contains("(declared: dev, prod)")
                && note.contains("top-level settings"),
            "{note}"
        );
        assert_eq!(config.stage("dev").unwrap().undeclared_note(), None);
        let error = config.stage("q a").unwrap_err().to_string();
        assert!(error.contains("stage `q a` cannot be used"), "{error}");
        let long = config.stage(&"s".repeat(70)).unwrap_err().to_string();
        assert!(
            long.contains("shorten app_name or the stage's name"),
            "{long}"
        );
    }

    #[test]
    fn manage_iam_role_false_with_a_role_is_valid() {
        let config = parse(json!({"app_name": "app", "stages": {"dev": {
            "manage_iam_role": false, "iam_role_arn": "arn:aws:iam::123456789012:role/mine"}}}))
        .unwrap();
        let function = config.stage("dev").unwrap().function("api_handler");
        assert!(!function.manage_iam_role);
    }

    #[test]
    fn jwks_name_a_file_per_issuer_and_stages_override_the_top_level() {
        let config = parse(json!({"app_name": "app",
            "jwks": {"https://top.example.com": "top.json"},
            "stages": {"dev": {"jwks": {"https://issuer.example.com": ".chalice/jwks.json"}},
                       "prod": {}}}))
        .unwrap();
        assert_eq!(
            config.stage("dev").unwrap().jwks(),
            BTreeMap::from([(
                "https://issuer.example.com".to_owned(),
                ".chalice/jwks.json".to_owned()
            )])
        );
        assert_eq!(
            config.stage("prod").unwrap().jwks(),
            BTreeMap::from([("https://top.example.com".to_owned(), "top.json".to_owned())])
        );
        for (jwks, expected) in [
            (
                json!({"": "a.json"}),
                "key `stages.dev.jwks`: `` is not an issuer URL",
            ),
            (
                json!({"https://i?a=b": "a.json"}),
                "key `stages.dev.jwks`: `https://i?a=b` is not an issuer URL",
            ),
            (
                json!({"https://i": ""}),
                "key `stages.dev.jwks`: issuer `https://i` needs the path of its JWKS file",
            ),
            (json!(["a.json"]), "jwks"),
        ] {
            let error = parse(json!({"app_name": "app", "stages": {"dev": {"jwks": jwks}}}))
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn a_custom_domain_is_the_stages_else_the_top_levels() {
        let config = parse(json!({"app_name": "app",
            "api_gateway_custom_domain": {"domain_name": "api.example.com",
                "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/top"},
            "stages": {"dev": {}, "prod": {"api_gateway_custom_domain": {
                "domain_name": "prod.example.com",
                "certificate_arn": "arn:aws:acm:us-west-2:123456789012:certificate/prod",
                "url_prefix": "v1", "tls_version": "TLS_1_0", "tags": {"team": "web"}}}}}))
        .unwrap();
        let dev = config.stage("dev").unwrap().custom_domain().unwrap();
        assert_eq!(
            (
                dev.domain_name.as_str(),
                dev.url_prefix,
                dev.tls_version,
                dev.tags
            ),
            ("api.example.com", None, None, None)
        );
        let prod = config.stage("prod").unwrap().custom_domain().unwrap();
        assert_eq!(
            prod,
            CustomDomainConfig {
                domain_name: "prod.example.com".into(),
                certificate_arn: "arn:aws:acm:us-west-2:123456789012:certificate/prod".into(),
                url_prefix: Some("v1".into()),
                tls_version: Some(TlsVersion::Tls10),
                tags: Some(BTreeMap::from([("team".to_owned(), "web".to_owned())])),
            }
        );
        let none = parse(json!({"app_name": "app", "stages": {"dev": {}}})).unwrap();
        assert_eq!(none.stage("dev").unwrap().custom_domain(), None);
    }

    #[test]
    fn custom_domain_errors_name_the_file_and_key() {
        let cert = "arn:aws:acm:us-east-1:123456789012:certificate/c";
        let cases = [
            (
                json!({"domain_name": "api.example.com"}),
                "key `stages.dev.api_gateway_custom_domain`: missing field `certificate_arn`",
            ),
            (
                json!({"domain_name": "API.example.com", "certificate_arn": cert}),
                "key `stages.dev.api_gateway_custom_domain.domain_name`: \"API.example.com\" is not a domain name API Gateway accepts",
            ),
            (
                json!({"domain_name": "api.example.com", "certificate_arn": "arn:aws:iam::123456789012:role/r"}),
                "key `stages.dev.api_gateway_custom_domain.certificate_arn`: \"arn:aws:iam::123456789012:role/r\" is not an ACM certificate ARN",
            ),
            (
                json!({"domain_name": "api.example.com", "certificate_arn": cert, "url_prefix": "a/b"}),
                "key `stages.dev.api_gateway_custom_domain.url_prefix`: \"a/b\" is not a base path",
            ),
            (
                json!({"domain_name": "api.example.com", "certificate_arn": cert, "tls_version": "TLS_1_1"}),
                "key `stages.dev.api_gateway_custom_domain.tls_version`: unknown variant `TLS_1_1`, expected `TLS_1_0` or `TLS_1_2`",
            ),
            (
                json!({"domain_name": "api.example.com", "certificate_arn": cert, "tags": {"aws:x": "y"}}),
                "key `stages.dev.api_gateway_custom_domain.tags`: tag `aws:x`: the `aws:` prefix is reserved by AWS",
            ),
            (
                json!({"domain_name": "api.example.com", "certificate_arn": cert, "base_path": "v1"}),
                "key `stages.dev.api_gateway_custom_domain.base_path`: unknown field `base_path`, expected one of `domain_name`, `certificate_arn`, `url_prefix`, `tls_version`, `tags`",
            ),
            (
                json!("api.example.com"),
                "key `stages.dev.api_gateway_custom_domain`: invalid type",
            ),
        ];
        for (domain, expected) in cases {
            let error = parse(json!({"app_name": "app", "stages": {"dev": {"api_gateway_custom_domain": domain}}}))
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(".chalice/config.json: "), "{error}");
            assert!(error.contains(expected), "{domain}: {error}");
        }
        let in_a_function = parse(json!({"app_name": "app", "lambda_functions": {"api_handler": {
            "api_gateway_custom_domain": {"domain_name": "api.example.com", "certificate_arn": cert}}}}))
        .unwrap_err()
        .to_string();
        assert_eq!(
            in_a_function,
            ".chalice/config.json: key `lambda_functions.api_handler.api_gateway_custom_domain` is not allowed inside a function"
        );
    }

    #[test]
    fn chalice_keys_not_supported_yet_are_refused_by_name() {
        for (value, expected) in [
            (
                json!({"app_name": "app", "websocket_api_custom_domain": {"domain_name": "ws.example.com"}}),
                ".chalice/config.json: key `websocket_api_custom_domain`: `websocket_api_custom_domain` is not supported by chalice-rs yet",
            ),
            (
                json!({"app_name": "app", "stages": {"dev": {"automatic_layer": true}}}),
                ".chalice/config.json: key `stages.dev.automatic_layer`: `automatic_layer` is not supported by chalice-rs yet",
            ),
            (
                json!({"app_name": "app", "lambda_functions": {"api_handler": {"automatic_layer": "yes"}}}),
                ".chalice/config.json: key `lambda_functions.api_handler.automatic_layer`: `automatic_layer` is not supported by chalice-rs yet",
            ),
        ] {
            let error = parse(value.clone()).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{value}: {error}");
        }
        // `false` asks for what chalice-rs does anyway.
        parse(json!({"app_name": "app", "automatic_layer": false})).unwrap();
        // A truly unknown key keeps serde's error, listing only the keys a config can use.
        let error = parse(json!({"app_name": "app", "stages": {"dev": {"lamda_timeout": 3}}}))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "key `stages.dev.lamda_timeout`: unknown field `lamda_timeout`, expected one of"
            ) && error.contains("`api_gateway_custom_domain`")
                && !error.contains("automatic_layer")
                && !error.contains("websocket_api_custom_domain"),
            "{error}"
        );
    }
}
