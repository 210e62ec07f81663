//! The plan: the difference between the desired and the observed state, as an ordered list of
//! steps. Computing it touches no AWS, so every decision here is unit-tested.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sha2::{Digest, Sha256};

pub use super::arns::{
    authorizer_uri, function_arn, function_name_of, function_role_arn, proxy_uri, rest_api_url,
    role_arn, source_arn, target_uri,
};
use super::desired::{
    Api, Desired, DesiredApi, DesiredAuthorizer, DesiredMethod, Function, Integration, ManagedRole,
};
pub use super::log_groups::LogStep;
use super::observed::{
    Observed, ObservedApi, ObservedAuthorizer, ObservedFunction, ObservedMethod, Twin,
};
pub use super::plan_domain::DomainStep;
pub use super::plan_http::HttpStep;
pub use super::usage_plan::KeyStep;

/// One change to make: a deploy's plan ([`plan`]) or a delete's
/// ([`delete_plan`](super::delete_plan::delete_plan)), run by the same executor.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Delete a REST API left over from a lost create.
    DeleteTwinApi { id: String },
    /// Delete a resource made twice (what hangs from it goes with it).
    DeleteTwinResource(Twin),
    /// Delete an authorizer made twice (no method uses it by then).
    DeleteTwinAuthorizer(Twin),
    /// Delete the stage's REST API (or one tagged for it), if it is still there.
    DeleteRestApi { id: String },
    /// Create a role with its trust policy, tags and inline policy.
    CreateRole(ManagedRole),
    /// Replace a role's inline policy.
    PutRolePolicy(ManagedRole),
    /// Tag a role for the app and stage (one adopted with `--adopt-untagged`).
    TagRole(ManagedRole),
    /// Create a function.
    CreateFunction(Function),
    /// Upload new code.
    UpdateFunctionCode(Function),
    /// Change memory, timeout, environment, role, handler, layers, VPC, tracing.
    UpdateFunctionConfiguration(Function),
    /// Make the tags exactly the desired ones.
    SetFunctionTags {
        function: Function,
        remove: Vec<String>,
    },
    /// Set or clear reserved concurrency.
    SetFunctionConcurrency(Function),
    /// Create the REST API.
    CreateRestApi,
    /// Create a resource (its parent exists by then).
    CreateResource { path: String },
    /// Delete a method (to put it again, or for good).
    DeleteMethod { path: String, method: String },
    /// Delete an authorizer (no method uses it by then).
    DeleteAuthorizer { name: String },
    /// Create an authorizer.
    CreateAuthorizer(DesiredAuthorizer),
    /// Put a method and its integration.
    PutMethod {
        path: String,
        method: String,
        spec: DesiredMethod,
    },
    /// Delete a resource the app no longer has (its children go with it).
    DeleteResource { path: String },
    /// Let this API invoke a function.
    AddPermission {
        function: String,
        function_name: String,
    },
    /// Set a gateway response's headers.
    PutGatewayResponse {
        response_type: String,
        parameters: BTreeMap<String, String>,
    },
    /// Reset a gateway response to API Gateway's default.
    DeleteGatewayResponse { response_type: String },
    /// Deploy the API to its stage.
    CreateDeployment { stage: String },
    /// Set the stage's variables to the desired ones: `set` written, `remove` removed.
    SetStageVariables {
        stage: String,
        set: BTreeMap<String, String>,
        remove: Vec<String>,
    },
    /// Delete a function the app no longer has (or, in a delete, any of the stage's); its
    /// record entry goes with it. A function only its tags found has none.
    DeleteFunction {
        resource_name: Option<String>,
        function_name: String,
    },
    /// Delete a role the app no longer uses (or, in a delete, any of the stage's), with its
    /// inline policies; its record entry goes with it. A role only its tags found has none.
    DeleteRole {
        resource_name: Option<String>,
        role_name: String,
    },
    /// A step on an HTTP API.
    Http(HttpStep),
    /// A step on the REST API's custom domain name.
    Domain(DomainStep),
    /// Patch the REST API's own settings (policy, VPC endpoints, compression) to the config's.
    UpdateRestApi {
        patch: Vec<super::api_settings::Patch>,
    },
    /// A step on a function's log group.
    Logs(LogStep),
    /// A step on the stage's API keys or usage plan.
    Keys(KeyStep),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::DeleteTwinApi { id } => write!(f, "Deleting duplicate Rest API: {id}"),
            Step::DeleteTwinResource(twin) => {
                write!(
                    f,
                    "Deleting duplicate resource: {} ({})",
                    twin.name, twin.id
                )
            }
            Step::DeleteTwinAuthorizer(twin) => {
                write!(
                    f,
                    "Deleting duplicate authorizer: {} ({})",
                    twin.name, twin.id
                )
            }
            Step::DeleteRestApi { id } => write!(f, "Deleting Rest API: {id}"),
            Step::CreateRole(role) => write!(f, "Creating IAM role: {}", role.role_name),
            Step::PutRolePolicy(role) => {
                write!(f, "Updating policy for IAM role: {}", role.role_name)
            }
            Step::TagRole(role) => write!(f, "Tagging IAM role: {}", role.role_name),
            Step::CreateFunction(function) => {
                write!(f, "Creating lambda function: {}", function.function_name)
            }
            Step::UpdateFunctionCode(function) => write!(
                f,
                "Updating lambda function code: {}",
                function.function_name
            ),
            Step::UpdateFunctionConfiguration(function) => {
                write!(
                    f,
                    "Updating lambda function configuration: {}",
                    function.function_name
                )
            }
            Step::SetFunctionTags { function, .. } => write!(
                f,
                "Updating tags of lambda function: {}",
                function.function_name
            ),
            Step::SetFunctionConcurrency(function) => {
                write!(
                    f,
                    "Updating lambda function concurrency limit: {}",
                    function.function_name
                )
            }
            Step::CreateRestApi => f.write_str("Creating Rest API"),
            Step::CreateResource { path } => write!(f, "Creating resource: {path}"),
            Step::DeleteMethod { path, method } => write!(f, "Deleting method: {method} {path}"),
            Step::DeleteAuthorizer { name } => write!(f, "Deleting authorizer: {name}"),
            Step::CreateAuthorizer(authorizer) => {
                write!(f, "Creating authorizer: {}", authorizer.name)
            }
            Step::PutMethod { path, method, spec } => match &spec.authorizer {
                Some(authorizer) => write!(
                    f,
                    "Setting method: {method} {path} ({} {authorizer})",
                    spec.authorization_type
                ),
                None => write!(
                    f,
                    "Setting method: {method} {path} ({})",
                    spec.authorization_type
                ),
            },
            Step::DeleteResource { path } => write!(f, "Deleting resource: {path}"),
            Step::AddPermission { function_name, .. } => {
                write!(f, "Allowing API Gateway to invoke: {function_name}")
            }
            Step::PutGatewayResponse { response_type, .. } => {
                write!(f, "Setting gateway response: {response_type}")
            }
            Step::DeleteGatewayResponse { response_type } => {
                write!(f, "Resetting gateway response: {response_type}")
            }
            Step::CreateDeployment { stage } => write!(f, "Deploying Rest API to stage: {stage}"),
            Step::SetStageVariables { stage, .. } => {
                write!(f, "Setting stage variables of Rest API stage: {stage}")
            }
            Step::DeleteFunction { function_name, .. } => {
                write!(f, "Deleting function: {function_name}")
            }
            Step::DeleteRole { role_name, .. } => write!(f, "Deleting IAM role: {role_name}"),
            Step::Http(step) => step.fmt(f),
            Step::Domain(step) => step.fmt(f),
            Step::UpdateRestApi { patch } => {
                let mut settings: Vec<&str> = Vec::new();
                for setting in patch.iter().map(|patch| patch.setting()) {
                    if !settings.contains(&setting) {
                        settings.push(setting);
                    }
                }
                write!(f, "Updating Rest API settings: {}", settings.join(", "))
            }
            Step::Logs(step) => step.fmt(f),
            Step::Keys(step) => step.fmt(f),
        }
    }
}

/// The parameter by which API Gateway sets a method response's `header`.
pub fn response_header_parameter(header: &str) -> String {
    format!("method.response.header.{header}")
}

/// The header a method response parameter sets, if it sets one (see
/// [`response_header_parameter`]).
pub fn parameter_header(parameter: &str) -> Option<&str> {
    parameter.strip_prefix("method.response.header.")
}

/// A fingerprint of the API as desired (resources, methods, integrations, authorizers), written
/// as the description of each deployment, so that the stage is known to serve this API. An
/// HTTP API has no deployments (its stage deploys itself): its fingerprint is empty.
pub fn api_fingerprint(desired: &Desired) -> String {
    let Some(api) = desired.rest_api() else {
        return String::new();
    };
    let handler = desired
        .api_handler()
        .map(|f| function_arn(desired, &f.function_name));
    let authorizers: Vec<_> = api
        .authorizers
        .iter()
        .map(|authorizer| (authorizer, authorizer_uri(desired, authorizer)))
        .collect();
    let mut text = format!(
        "{:?}\n{authorizers:?}\n{handler:?}\n{:?}",
        api.resources, api.gateway_responses
    );
    // The API's own settings take effect once deployed too; an API without any keeps the
    // fingerprint it had before they were deployed.
    if !api.settings.is_default() {
        text.push_str(&format!("\n{:?}", api.settings));
    }
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("chalice-rs api {hex}")
}

/// The steps that turn `observed` into `desired`.
pub fn plan(desired: &Desired, observed: &Observed) -> Vec<Step> {
    let mut steps = Vec::new();
    for id in &observed.twin_apis {
        steps.push(Step::DeleteTwinApi { id: id.clone() });
    }
    for role in &desired.roles {
        match observed.roles.get(&role.resource_name) {
            None => steps.push(Step::CreateRole(role.clone())),
            Some(actual) => {
                let tagged = desired
                    .tags
                    .iter()
                    .all(|(key, value)| actual.tags.get(key) == Some(value));
                if !tagged {
                    steps.push(Step::TagRole(role.clone()));
                }
                if actual.policy.as_ref() != Some(&role.policy) {
                    steps.push(Step::PutRolePolicy(role.clone()));
                }
            }
        }
    }
    for function in &desired.functions {
        plan_function(
            desired,
            function,
            observed.functions.get(&function.name),
            &mut steps,
        );
    }
    super::log_groups::plan_log_groups(desired, &observed.log_groups, &mut steps);
    match &desired.api {
        Api::Rest(api) => plan_api(desired, api, observed, &mut steps),
        Api::Http(api) => {
            let mut http = Vec::new();
            super::plan_http::plan_http_api(desired, api, observed, &mut http);
            steps.extend(http.into_iter().map(Step::Http));
        }
    }
    steps.extend(
        super::plan_domain::plan_domain(desired, observed)
            .into_iter()
            .map(Step::Domain),
    );
    super::usage_plan::plan_usage_plan(desired, observed, &mut steps);
    for id in &observed.other_kind_apis.rest {
        steps.push(Step::DeleteRestApi { id: id.clone() });
    }
    for id in &observed.other_kind_apis.http {
        steps.push(Step::Http(HttpStep::DeleteApi { id: id.clone() }));
    }
    for (resource_name, function_name) in &observed.stale_functions {
        steps.push(Step::DeleteFunction {
            resource_name: Some(resource_name.clone()),
            function_name: function_name.clone(),
        });
    }
    for (resource_name, role_name) in &observed.stale_roles {
        steps.push(Step::DeleteRole {
            resource_name: Some(resource_name.clone()),
            role_name: role_name.clone(),
        });
    }
    steps
}

fn plan_function(
    desired: &Desired,
    function: &Function,
    actual: Option<&ObservedFunction>,
    steps: &mut Vec<Step>,
) {
    let Some(actual) = actual else {
        steps.push(Step::CreateFunction(function.clone()));
        if function.reserved_concurrency.is_some() {
            steps.push(Step::SetFunctionConcurrency(function.clone()));
        }
        return;
    };
    if actual.code_sha256 != desired.code_sha256
        || actual.architecture != desired.architecture.as_str()
    {
        steps.push(Step::UpdateFunctionCode(function.clone()));
    }
    let configured = actual.handler == function.handler
        && actual.runtime == super::desired::RUNTIME
        && actual.role == function_role_arn(desired, function)
        && actual.memory_size == function.memory_size
        && actual.timeout == function.timeout
        && actual.environment == function.environment
        && actual.layers == function.layers
        && actual.subnet_ids == function.subnet_ids
        && actual.security_group_ids == function.security_group_ids
        && actual.xray == function.xray;
    if !configured {
        steps.push(Step::UpdateFunctionConfiguration(function.clone()));
    }
    if actual.tags != function.tags {
        let remove = actual
            .tags
            .keys()
            .filter(|key| !function.tags.contains_key(*key))
            .cloned()
            .collect();
        steps.push(Step::SetFunctionTags {
            function: function.clone(),
            remove,
        });
    }
    if actual.reserved_concurrency != function.reserved_concurrency {
        steps.push(Step::SetFunctionConcurrency(function.clone()));
    }
}

fn plan_api(desired: &Desired, api: &DesiredApi, observed: &Observed, steps: &mut Vec<Step>) {
    let empty = ObservedApi::default();
    let actual = observed.api.as_ref().unwrap_or(&empty);
    let before = steps.len();
    if observed.api.is_none() {
        steps.push(Step::CreateRestApi);
    } else {
        let patch = api.settings.patch_from(&actual.settings);
        if !patch.is_empty() {
            steps.push(Step::UpdateRestApi { patch });
        }
    }
    for twin in &actual.twin_resources {
        steps.push(Step::DeleteTwinResource(twin.clone()));
    }
    for path in api.resources.keys() {
        if path != "/" && !actual.resources.contains_key(path) {
            steps.push(Step::CreateResource { path: path.clone() });
        }
    }
    let authorizers = AuthorizerChanges::between(desired, api, actual);
    // Methods that change or go are deleted before their authorizers are replaced, and put
    // again once the new ones exist.
    let puts = plan_methods(desired, api, actual, &authorizers, steps);
    for name in authorizers
        .replaced
        .iter()
        .copied()
        .chain(authorizers.removed.iter().map(|n| n.as_str()))
    {
        steps.push(Step::DeleteAuthorizer {
            name: name.to_owned(),
        });
    }
    for twin in &actual.twin_authorizers {
        steps.push(Step::DeleteTwinAuthorizer(twin.clone()));
    }
    for authorizer in &authorizers.created {
        steps.push(Step::CreateAuthorizer((*authorizer).clone()));
    }
    steps.extend(puts);
    plan_gateway_responses(api, actual, steps);
    plan_stale_resources(api, actual, steps);
    let api_changed = steps.len() > before;
    plan_permissions(desired, observed, steps);
    // A deploy that died after changing the API but before deploying it left the stage serving
    // the older API, with nothing else to change: its deployment's fingerprint tells.
    let deployed = actual.stage_deployment.is_some()
        && actual.deployed_fingerprint.as_deref() == Some(api_fingerprint(desired).as_str());
    if api_changed || !deployed {
        steps.push(Step::CreateDeployment {
            stage: api.stage_name.clone(),
        });
    }
    plan_stage_variables(api, actual, steps);
}

/// Writes the stage variables that differ and removes those the config no longer names, once
/// the stage exists (a first deployment makes it).
fn plan_stage_variables(api: &DesiredApi, actual: &ObservedApi, steps: &mut Vec<Step>) {
    let set: BTreeMap<String, String> = api
        .stage_variables
        .iter()
        .filter(|(name, value)| actual.stage_variables.get(*name) != Some(*value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let remove: Vec<String> = actual
        .stage_variables
        .keys()
        .filter(|name| !api.stage_variables.contains_key(*name))
        .cloned()
        .collect();
    if !set.is_empty() || !remove.is_empty() {
        steps.push(Step::SetStageVariables {
            stage: api.stage_name.clone(),
            set,
            remove,
        });
    }
}

/// Sets the gateway responses that differ from the desired ones, and resets those the app no
/// longer sets to API Gateway's defaults.
fn plan_gateway_responses(api: &DesiredApi, actual: &ObservedApi, steps: &mut Vec<Step>) {
    for response_type in crate::model::api::CORS_GATEWAY_RESPONSE_TYPES {
        match (
            api.gateway_responses.get(response_type),
            actual.gateway_responses.get(response_type),
        ) {
            (Some(desired), actual) if actual != Some(desired) => {
                steps.push(Step::PutGatewayResponse {
                    response_type: response_type.to_owned(),
                    parameters: desired.clone(),
                })
            }
            (None, Some(_)) => steps.push(Step::DeleteGatewayResponse {
                response_type: response_type.to_owned(),
            }),
            _ => {}
        }
    }
}

/// How the API's authorizers change.
struct AuthorizerChanges<'a> {
    /// Existing ones that must be made again (changed), by name.
    replaced: BTreeSet<&'a str>,
    /// Ones to create: new, or replaced.
    created: Vec<&'a DesiredAuthorizer>,
    /// Existing ones the app no longer has, by name.
    removed: Vec<&'a String>,
    /// Existing ones' names by id.
    names: BTreeMap<&'a str, &'a str>,
    /// The ids of twins, which go.
    twins: BTreeSet<&'a str>,
}

impl<'a> AuthorizerChanges<'a> {
    fn between(
        desired: &'a Desired,
        api: &'a DesiredApi,
        actual: &'a ObservedApi,
    ) -> AuthorizerChanges<'a> {
        let wanted = &api.authorizers;
        let mut replaced = BTreeSet::new();
        let mut created = Vec::new();
        for authorizer in wanted {
            match actual.authorizers.get(&authorizer.name) {
                None => created.push(authorizer),
                Some(existing) if !same_authorizer(desired, authorizer, existing) => {
                    replaced.insert(authorizer.name.as_str());
                    created.push(authorizer);
                }
                Some(_) => {}
            }
        }
        let removed = actual
            .authorizers
            .keys()
            .filter(|name| !wanted.iter().any(|a| &a.name == *name))
            .collect();
        let names = actual
            .authorizers
            .iter()
            .map(|(name, authorizer)| (authorizer.id.as_str(), name.as_str()))
            .collect();
        let twins = actual
            .twin_authorizers
            .iter()
            .map(|twin| twin.id.as_str())
            .collect();
        AuthorizerChanges {
            replaced,
            created,
            removed,
            names,
            twins,
        }
    }

    /// Whether the existing authorizer `id` is replaced or removed, or is a twin.
    fn goes(&self, id: &str) -> bool {
        self.twins.contains(id)
            || self.names.get(id).is_some_and(|name| {
                self.removed.iter().any(|r| r.as_str() == *name) || self.replaced.contains(name)
            })
    }
}

/// Pushes the deletes of methods that change or go (those of resources that stay, and those
/// using an authorizer that goes); returns the puts of methods that change or are new.
fn plan_methods(
    desired: &Desired,
    api: &DesiredApi,
    actual: &ObservedApi,
    authorizers: &AuthorizerChanges<'_>,
    steps: &mut Vec<Step>,
) -> Vec<Step> {
    let mut puts = Vec::new();
    for (path, methods) in &api.resources {
        let existing = actual.resources.get(path);
        for (method, spec) in methods {
            let current = existing.and_then(|resource| resource.methods.get(method));
            let uses_replaced = spec
                .authorizer
                .as_deref()
                .is_some_and(|name| authorizers.replaced.contains(name));
            let unchanged = current.is_some_and(|current| {
                !uses_replaced && same_method(desired, spec, current, &authorizers.names)
            });
            if unchanged {
                continue;
            }
            if current.is_some() {
                steps.push(Step::DeleteMethod {
                    path: path.clone(),
                    method: method.clone(),
                });
            }
            puts.push(Step::PutMethod {
                path: path.clone(),
                method: method.clone(),
                spec: spec.clone(),
            });
        }
        if let Some(existing) = existing {
            for method in existing
                .methods
                .keys()
                .filter(|m| !methods.contains_key(*m))
            {
                steps.push(Step::DeleteMethod {
                    path: path.clone(),
                    method: method.clone(),
                });
            }
        }
    }
    // Methods still using an authorizer that is going away must go first.
    for (path, resource) in &actual.resources {
        for (method, current) in &resource.methods {
            let uses_removed = current
                .authorizer_id
                .as_deref()
                .is_some_and(|id| authorizers.goes(id));
            let already = steps.iter().any(|s| matches!(s, Step::DeleteMethod { path: p, method: m } if p == path && m == method));
            if uses_removed && !already && !api.resources.contains_key(path) {
                steps.push(Step::DeleteMethod {
                    path: path.clone(),
                    method: method.clone(),
                });
            }
        }
    }
    puts
}

/// Resources the app no longer has, deepest first, skipping those under another one deleted.
fn plan_stale_resources(api: &DesiredApi, actual: &ObservedApi, steps: &mut Vec<Step>) {
    let mut stale: Vec<&String> = actual
        .resources
        .keys()
        .filter(|path| !api.resources.contains_key(*path))
        .collect();
    stale.sort_by_key(|path| std::cmp::Reverse(path.len()));
    let stale_set: BTreeSet<&String> = stale.iter().copied().collect();
    for path in stale {
        let under_stale_parent = stale_set
            .iter()
            .any(|other| *other != path && path.starts_with(&format!("{other}/")));
        if !under_stale_parent {
            steps.push(Step::DeleteResource { path: path.clone() });
        }
    }
}

/// Every function API Gateway calls needs the permission, built-in authorizers included.
fn plan_permissions(desired: &Desired, observed: &Observed, steps: &mut Vec<Step>) {
    for function in desired.invoked_by_api() {
        let allowed = observed.api.is_some()
            && observed
                .functions
                .get(&function.name)
                .is_some_and(|f| f.invokable_by_api);
        if !allowed {
            steps.push(Step::AddPermission {
                function: function.name.clone(),
                function_name: function.function_name.clone(),
            });
        }
    }
}

fn same_authorizer(
    desired: &Desired,
    wanted: &DesiredAuthorizer,
    actual: &ObservedAuthorizer,
) -> bool {
    wanted.authorizer_type == actual.authorizer_type
        && authorizer_uri(desired, wanted) == actual.uri
        && Some(&wanted.identity_source) == actual.identity_source.as_ref()
        && (wanted.authorizer_type == "COGNITO_USER_POOLS"
            || Some(wanted.ttl_seconds) == actual.ttl_seconds)
        && wanted.credentials == actual.credentials
        && wanted.provider_arns == actual.provider_arns
}

fn same_method(
    desired: &Desired,
    wanted: &DesiredMethod,
    actual: &ObservedMethod,
    authorizer_names: &BTreeMap<&str, &str>,
) -> bool {
    let actual_authorizer = actual
        .authorizer_id
        .as_deref()
        .and_then(|id| authorizer_names.get(id).copied());
    let same_integration = match &wanted.integration {
        Integration::Proxy => {
            let uri = proxy_uri(desired).ok();
            actual.integration_type.as_deref() == Some("AWS_PROXY") && uri == actual.integration_uri
        }
        Integration::CorsPreflight { headers } => {
            actual.integration_type.as_deref() == Some("MOCK")
                && actual.preflight_headers == *headers
        }
    };
    wanted.authorization_type == actual.authorization_type
        && wanted.authorizer.as_deref() == actual_authorizer
        && wanted.scopes == actual.scopes
        && wanted.api_key_required == actual.api_key_required
        && same_integration
}

#[cfg(test)]
mod tests {
    use chalice_runtime::manifest::Manifest;
    use serde_json::json;

    use super::*;
    use crate::deploy::desired;
    use crate::deploy::observed::{ObservedApi, ObservedResource, ObservedRole};
    use crate::openapi::invocation_uri;

    fn manifest() -> Manifest {
        serde_json::from_value(json!({
            "manifest_version": 1, "app_name": "app",
            "routes": [
                {"path": "/", "methods": ["GET"], "view_name": "index", "authorizer": "auth", "scopes": [],
                 "cors": false, "content_types": ["application/json"], "api_key_required": false, "path_params": []},
                {"path": "/users/{id}", "methods": ["GET", "PUT"], "view_name": "user", "authorizer": null, "scopes": [],
                 "cors": true, "content_types": ["application/json"], "api_key_required": false, "path_params": ["id"]}
            ],
            "authorizers": [{"kind": "builtin", "name": "auth", "function": "auth", "auth_type": "TOKEN",
                             "header": "Authorization", "ttl_seconds": null, "execution_role": null, "identity_sources": []}]
        }))
        .unwrap()
    }

    fn desired_of(manifest: &Manifest) -> Desired {
        desired_in(manifest, "us-west-2", "aws")
    }

    fn desired_in(manifest: &Manifest, region: &str, partition: &str) -> Desired {
        desired::for_test(
            manifest,
            r#"{"app_name": "app", "stages": {"dev": {}}}"#,
            region,
            partition,
        )
    }

    /// What AWS holds right after `desired` was applied in full.
    fn deployed(desired: &Desired) -> Observed {
        let mut observed = Observed::default();
        for role in &desired.roles {
            observed.roles.insert(
                role.resource_name.clone(),
                ObservedRole {
                    arn: role_arn(desired, &role.role_name),
                    policy: Some(role.policy.clone()),
                    tags: desired.tags.clone(),
                },
            );
        }
        for function in &desired.functions {
            observed.functions.insert(
                function.name.clone(),
                ObservedFunction {
                    arn: function_arn(desired, &function.function_name),
                    handler: function.handler.clone(),
                    runtime: desired::RUNTIME.into(),
                    role: function_role_arn(desired, function),
                    memory_size: function.memory_size,
                    timeout: function.timeout,
                    environment: function.environment.clone(),
                    architecture: desired.architecture.as_str().into(),
                    code_sha256: desired.code_sha256.clone(),
                    layers: function.layers.clone(),
                    tags: function.tags.clone(),
                    reserved_concurrency: function.reserved_concurrency,
                    subnet_ids: Vec::new(),
                    security_group_ids: Vec::new(),
                    xray: false,
                    invokable_by_api: true,
                    api_grants: Default::default(),
                },
            );
        }
        let mut api = ObservedApi {
            id: "api1".into(),
            stage_deployment: Some("d1".into()),
            deployed_fingerprint: Some(api_fingerprint(desired)),
            gateway_responses: desired.rest_api().unwrap().gateway_responses.clone(),
            settings: desired.rest_api().unwrap().settings.clone(),
            stage_variables: desired.rest_api().unwrap().stage_variables.clone(),
            ..ObservedApi::default()
        };
        for function in &desired.functions {
            if let Some(days) = function.log_retention_in_days {
                observed
                    .log_groups
                    .insert(function.log_group_name(), Some(days));
            }
        }
        if let Some(plan) = &desired.rest_api().unwrap().usage_plan {
            let keys: BTreeMap<String, String> = plan
                .key_names
                .iter()
                .map(|name| (name.clone(), format!("id-{name}")))
                .collect();
            observed.keys.plan = Some(crate::deploy::usage_plan::ObservedPlan {
                id: "p1".into(),
                api_stages: vec![("api1".into(), plan.stage_name.clone())],
                key_ids: keys.values().cloned().collect(),
            });
            observed.keys.keys = keys;
        }
        for (index, authorizer) in desired.rest_api().unwrap().authorizers.iter().enumerate() {
            api.authorizers.insert(
                authorizer.name.clone(),
                ObservedAuthorizer {
                    id: format!("a{index}"),
                    authorizer_type: authorizer.authorizer_type.clone(),
                    uri: authorizer_uri(desired, authorizer),
                    identity_source: Some(authorizer.identity_source.clone()),
                    ttl_seconds: Some(authorizer.ttl_seconds),
                    credentials: authorizer.credentials.clone(),
                    provider_arns: authorizer.provider_arns.clone(),
                },
            );
        }
        let handler_uri =
            invocation_uri(&desired.region, &function_arn(desired, "app-dev")).unwrap();
        for (index, (path, methods)) in desired.rest_api().unwrap().resources.iter().enumerate() {
            let mut resource = ObservedResource {
                id: format!("r{index}"),
                methods: BTreeMap::new(),
            };
            for (method, spec) in methods {
                let (integration_type, integration_uri, preflight_headers) = match &spec.integration
                {
                    Integration::Proxy => ("AWS_PROXY", Some(handler_uri.clone()), BTreeMap::new()),
                    Integration::CorsPreflight { headers } => ("MOCK", None, headers.clone()),
                };
                resource.methods.insert(
                    method.clone(),
                    ObservedMethod {
                        authorization_type: spec.authorization_type.clone(),
                        authorizer_id: spec
                            .authorizer
                            .as_ref()
                            .map(|name| api.authorizers[name].id.clone()),
                        scopes: spec.scopes.clone(),
                        api_key_required: spec.api_key_required,
                        integration_type: Some(integration_type.into()),
                        integration_uri,
                        preflight_headers,
                    },
                );
            }
            api.resources.insert(path.clone(), resource);
        }
        observed.api = Some(api);
        observed
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_first_deploy_creates_everything_in_dependency_order() {
        let desired = desired_of(&manifest());
        assert_eq!(
            names(&plan(&desired, &Observed::default())),
            [
                "Creating IAM role: app-dev",
                "Creating lambda function: app-dev",
                "Creating lambda function: app-dev-auth",
                "Creating Rest API",
                "Creating resource: /users",
                "Creating resource: /users/{id}",
                "Creating authorizer: auth",
                "Setting method: GET / (CUSTOM auth)",
                "Setting method: GET /users/{id} (NONE)",
                "Setting method: OPTIONS /users/{id} (NONE)",
                "Setting method: PUT /users/{id} (NONE)",
                "Setting gateway response: DEFAULT_4XX",
                "Setting gateway response: DEFAULT_5XX",
                "Allowing API Gateway to invoke: app-dev",
                "Allowing API Gateway to invoke: app-dev-auth",
                "Deploying Rest API to stage: api",
            ]
        );
    }

    #[test]
    fn nothing_changed_means_no_step() {
        let desired = desired_of(&manifest());
        assert_eq!(plan(&desired, &deployed(&desired)), []);
    }

    #[test]
    fn new_code_updates_only_the_code() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        for function in observed.functions.values_mut() {
            function.code_sha256 = "old".into();
        }
        assert_eq!(
            names(&plan(&desired, &observed)),
            [
                "Updating lambda function code: app-dev",
                "Updating lambda function code: app-dev-auth"
            ]
        );
    }

    #[test]
    fn a_changed_route_authorizer_replaces_only_that_method() {
        let before = desired_of(&manifest());
        let observed = deployed(&before);
        let mut changed = manifest();
        changed.routes[1].authorizer = Some("auth".into());
        changed.routes[1].methods = vec!["GET".into()];
        changed.routes.push(
            serde_json::from_value(
                json!({"path": "/users/{id}", "methods": ["PUT"], "view_name": "put",
            "authorizer": null, "scopes": [], "cors": true, "content_types": ["application/json"],
            "api_key_required": false, "path_params": ["id"]}),
            )
            .unwrap(),
        );
        assert_eq!(
            names(&plan(&desired_of(&changed), &observed)),
            [
                "Deleting method: GET /users/{id}",
                "Setting method: GET /users/{id} (CUSTOM auth)",
                "Deploying Rest API to stage: api"
            ]
        );
    }

    #[test]
    fn a_removed_authorizer_goes_with_its_function_after_its_methods() {
        let before = desired_of(&manifest());
        let mut observed = deployed(&before);
        observed
            .stale_functions
            .push(("auth".into(), "app-dev-auth".into()));
        let mut changed = manifest();
        changed.routes[0].authorizer = None;
        changed.authorizers.clear();
        let desired = desired_of(&changed);
        assert_eq!(
            names(&plan(&desired, &observed)),
            [
                "Deleting method: GET /",
                "Deleting authorizer: auth",
                "Setting method: GET / (NONE)",
                "Deploying Rest API to stage: api",
                "Deleting function: app-dev-auth",
            ]
        );
    }

    #[test]
    fn twins_are_deleted_first_and_missing_permissions_added() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        observed.twin_apis.push("twin".into());
        observed.functions.get_mut("auth").unwrap().invokable_by_api = false;
        assert_eq!(
            names(&plan(&desired, &observed)),
            [
                "Deleting duplicate Rest API: twin",
                "Allowing API Gateway to invoke: app-dev-auth"
            ]
        );
    }

    #[test]
    fn twin_resources_go_first_and_twin_authorizers_after_the_methods_using_them() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        let api = observed.api.as_mut().unwrap();
        let twin = |name: &str, id: &str| Twin {
            name: name.into(),
            id: id.into(),
        };
        api.twin_resources.push(twin("/users", "r9"));
        api.twin_authorizers.push(twin("auth", "a9"));
        // `GET /` uses the twin: it is put again with the authorizer kept.
        api.resources
            .get_mut("/")
            .unwrap()
            .methods
            .get_mut("GET")
            .unwrap()
            .authorizer_id = Some("a9".into());
        assert_eq!(
            names(&plan(&desired, &observed)),
            [
                "Deleting duplicate resource: /users (r9)",
                "Deleting method: GET /",
                "Deleting duplicate authorizer: auth (a9)",
                "Setting method: GET / (CUSTOM auth)",
                "Deploying Rest API to stage: api",
            ]
        );
    }

    #[test]
    fn a_stage_never_deployed_is_deployed() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        observed.api.as_mut().unwrap().stage_deployment = None;
        assert_eq!(
            names(&plan(&desired, &observed)),
            ["Deploying Rest API to stage: api"]
        );
    }

    #[test]
    fn stale_resources_are_deleted_from_the_top_of_the_stale_subtree() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        let api = observed.api.as_mut().unwrap();
        for path in ["/old", "/old/{x}", "/old/{x}/deeper"] {
            api.resources.insert(
                path.into(),
                ObservedResource {
                    id: path.into(),
                    methods: BTreeMap::new(),
                },
            );
        }
        assert_eq!(
            names(&plan(&desired, &observed)),
            [
                "Deleting resource: /old",
                "Deploying Rest API to stage: api"
            ]
        );
    }

    #[test]
    fn changed_settings_update_configuration_and_role_policy() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        observed
            .functions
            .get_mut("api_handler")
            .unwrap()
            .memory_size = 1024;
        observed.roles.get_mut("default-role").unwrap().policy = Some(json!({}));
        assert_eq!(
            names(&plan(&desired, &observed)),
            [
                "Updating policy for IAM role: app-dev",
                "Updating lambda function configuration: app-dev"
            ]
        );
    }

    #[test]
    fn arns_are_built_in_the_accounts_partition() {
        let desired = desired_in(&manifest(), "cn-north-1", "aws-cn");
        assert_eq!(
            function_arn(&desired, "app-dev"),
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:app-dev"
        );
        assert_eq!(
            function_role_arn(&desired, &desired.functions[0]),
            "arn:aws-cn:iam::123456789012:role/app-dev"
        );
        assert_eq!(
            authorizer_uri(&desired, &desired.rest_api().unwrap().authorizers[0]).unwrap(),
            "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:app-dev-auth/invocations"
        );
        assert_eq!(
            source_arn(&desired, "abc", &desired.functions[0]),
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/*/*/*"
        );
        assert_eq!(
            source_arn(&desired, "abc", &desired.functions[1]),
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/authorizers/*"
        );
        // What a deploy made there is recognised as up to date, and an `aws` ARN is not.
        let mut observed = deployed(&desired);
        assert_eq!(plan(&desired, &observed), []);
        observed.functions.get_mut("api_handler").unwrap().role =
            "arn:aws:iam::123456789012:role/app-dev".into();
        assert_eq!(
            names(&plan(&desired, &observed)),
            ["Updating lambda function configuration: app-dev"]
        );
    }

    #[test]
    fn names_and_urls_derive_from_arns_and_ids() {
        assert_eq!(
            function_name_of("arn:aws:lambda:us-west-2:123456789012:function:app-dev"),
            "app-dev"
        );
        assert_eq!(function_name_of("app-dev"), "app-dev");
        assert_eq!(
            rest_api_url("eu-west-1", "abc", "api"),
            "https://abc.execute-api.eu-west-1.amazonaws.com/api/"
        );
        let parameter = response_header_parameter("Access-Control-Max-Age");
        assert_eq!(parameter, "method.response.header.Access-Control-Max-Age");
        assert_eq!(parameter_header(&parameter), Some("Access-Control-Max-Age"));
        assert_eq!(parameter_header("method.request.header.Origin"), None);
    }

    #[test]
    fn a_cors_routes_changed_methods_put_its_preflight_again() {
        let before = desired_of(&manifest());
        let observed = deployed(&before);
        let mut changed = manifest();
        changed.routes[1].methods = vec!["GET".into(), "PUT".into(), "DELETE".into()];
        assert_eq!(
            names(&plan(&desired_of(&changed), &observed)),
            [
                "Deleting method: OPTIONS /users/{id}",
                "Setting method: DELETE /users/{id} (NONE)",
                "Setting method: OPTIONS /users/{id} (NONE)",
                "Deploying Rest API to stage: api"
            ]
        );
        // Only the allowed methods differ: the preflight alone is put again.
        let mut observed = deployed(&before);
        let preflight = observed
            .api
            .as_mut()
            .unwrap()
            .resources
            .get_mut("/users/{id}")
            .unwrap();
        preflight
            .methods
            .get_mut("OPTIONS")
            .unwrap()
            .preflight_headers
            .insert("Access-Control-Allow-Methods".into(), "GET,OPTIONS".into());
        assert_eq!(
            names(&plan(&before, &observed)),
            [
                "Deleting method: OPTIONS /users/{id}",
                "Setting method: OPTIONS /users/{id} (NONE)",
                "Deploying Rest API to stage: api"
            ]
        );
    }

    #[test]
    fn a_changed_cors_config_puts_the_preflight_and_gateway_responses_again() {
        let before = desired_of(&manifest());
        let observed = deployed(&before);
        let mut changed = manifest();
        changed.routes[1].cors = Some(chalice_runtime::CorsConfig::DEFAULT.max_age(600).settings());
        assert_eq!(
            names(&plan(&desired_of(&changed), &observed)),
            [
                "Deleting method: OPTIONS /users/{id}",
                "Setting method: OPTIONS /users/{id} (NONE)",
                "Setting gateway response: DEFAULT_4XX",
                "Setting gateway response: DEFAULT_5XX",
                "Deploying Rest API to stage: api"
            ]
        );
    }

    #[test]
    fn cors_gateway_responses_are_set_when_missing_and_reset_when_cors_goes() {
        let desired = desired_of(&manifest());
        let mut observed = deployed(&desired);
        observed.api.as_mut().unwrap().gateway_responses.clear();
        let steps = plan(&desired, &observed);
        assert_eq!(
            names(&steps),
            [
                "Setting gateway response: DEFAULT_4XX",
                "Setting gateway response: DEFAULT_5XX",
                "Deploying Rest API to stage: api"
            ]
        );
        let Step::PutGatewayResponse { parameters, .. } = &steps[0] else {
            panic!("{steps:?}");
        };
        assert_eq!(
            parameters["gatewayresponse.header.Access-Control-Allow-Origin"],
            "'*'"
        );
        // The app drops CORS: what was set is reset to API Gateway's defaults.
        let mut without_cors = manifest();
        for route in &mut without_cors.routes {
            route.cors = None;
        }
        let desired = desired_of(&without_cors);
        let mut observed = deployed(&desired);
        observed.api.as_mut().unwrap().gateway_responses = desired_of(&manifest())
            .rest_api()
            .unwrap()
            .gateway_responses
            .clone();
        let steps = names(&plan(&desired, &observed));
        for response_type in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            let reset = format!("Resetting gateway response: {response_type}");
            assert!(steps.contains(&reset), "{steps:?}");
        }
        assert_eq!(steps.last().unwrap(), "Deploying Rest API to stage: api");
    }

    #[test]
    fn stage_variables_are_written_changed_and_removed_after_the_deployment() {
        let mut desired = desired_of(&manifest());
        let Api::Rest(api) = &mut desired.api else {
            panic!("a REST app");
        };
        api.stage_variables = [("env", "dev"), ("db", "main")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        // A first deploy: the deployment makes the stage, then its variables are set.
        let steps = plan(&desired, &Observed::default());
        let first = names(&steps);
        let at = |name: &str| first.iter().position(|n| n == name).unwrap();
        assert!(
            at("Deploying Rest API to stage: api")
                < at("Setting stage variables of Rest API stage: api"),
            "{first:?}"
        );
        // In sync: nothing to do.
        let mut observed = deployed(&desired);
        assert!(plan(&desired, &observed).is_empty());
        // One changed, one the config no longer names: one update, the stage not redeployed.
        let actual = &mut observed.api.as_mut().unwrap().stage_variables;
        actual.insert("env".into(), "old".into());
        actual.insert("gone".into(), "x".into());
        let steps = plan(&desired, &observed);
        assert_eq!(
            names(&steps),
            ["Setting stage variables of Rest API stage: api"]
        );
        let Step::SetStageVariables { set, remove, .. } = &steps[0] else {
            panic!("{steps:?}");
        };
        assert_eq!(set, &BTreeMap::from([("env".to_owned(), "dev".to_owned())]));
        assert_eq!(remove, &["gone".to_owned()]);
    }

    #[test]
    fn a_stage_serving_an_older_api_is_deployed_again() {
        let before = desired_of(&manifest());
        let mut changed = manifest();
        changed.routes[1].authorizer = Some("auth".into());
        let desired = desired_of(&changed);
        assert_ne!(api_fingerprint(&before), api_fingerprint(&desired));
        // Every method is as desired, but the deployment is of the API before the change.
        let mut observed = deployed(&desired);
        observed.api.as_mut().unwrap().deployed_fingerprint = Some(api_fingerprint(&before));
        assert_eq!(
            names(&plan(&desired, &observed)),
            ["Deploying Rest API to stage: api"]
        );
        observed.api.as_mut().unwrap().deployed_fingerprint = None;
        assert_eq!(
            names(&plan(&desired, &observed)),
            ["Deploying Rest API to stage: api"]
        );
        // New code changes no API: its fingerprint is the same.
        let mut new_code = desired.clone();
        new_code.code_sha256 = "new".into();
        assert_eq!(api_fingerprint(&new_code), api_fingerprint(&desired));
    }

    /// A stage with every key `package` writes besides the routes: a PRIVATE API's endpoint
    /// and its policy, compression, log retention, an API key.
    fn desired_with_settings(compression: u32) -> Desired {
        desired::for_test(
            &manifest(),
            &format!(
                r#"{{"app_name": "app", "stages": {{"dev": {{"api_gateway_endpoint_type": "PRIVATE",
                    "api_gateway_endpoint_vpce": "vpce-1", "minimum_compression_size": {compression},
                    "log_retention_in_days": 7, "api_keys": ["k"]}}}}}}"#
            ),
            "us-west-2",
            "aws",
        )
    }

    #[test]
    fn a_first_deploy_applies_every_setting_and_makes_the_plan_once_the_stage_is_deployed() {
        let desired = desired_with_settings(10);
        let steps = names(&plan(&desired, &Observed::default()));
        let at = |line: &str| {
            steps
                .iter()
                .position(|s| s == line)
                .unwrap_or_else(|| panic!("{line} not in {steps:?}"))
        };
        // The settings go with the create: no patch.
        assert!(
            !steps.iter().any(|s| s.starts_with("Updating Rest API")),
            "{steps:?}"
        );
        assert!(
            at("Creating lambda function: app-dev-auth")
                < at("Creating log group: /aws/lambda/app-dev")
        );
        assert!(
            at("Setting log retention of /aws/lambda/app-dev-auth: 7 days")
                < at("Creating Rest API")
        );
        let deployed_at = at("Deploying Rest API to stage: api");
        assert_eq!(
            steps[deployed_at + 1..],
            [
                "Creating API key: app-dev-key-1",
                "Creating usage plan: app-dev",
                "Adding API key to usage plan: app-dev-key-1"
            ]
        );
        assert_eq!(plan(&desired, &deployed(&desired)), []);
    }

    #[test]
    fn a_changed_setting_is_patched_and_the_api_deployed_again() {
        let before = desired_with_settings(10);
        let desired = desired_with_settings(20);
        assert_ne!(api_fingerprint(&before), api_fingerprint(&desired));
        let mut observed = deployed(&desired);
        observed.api.as_mut().unwrap().settings = before.rest_api().unwrap().settings.clone();
        let steps = plan(&desired, &observed);
        assert_eq!(
            names(&steps),
            [
                "Updating Rest API settings: minimum compression size",
                "Deploying Rest API to stage: api"
            ]
        );
        let Step::UpdateRestApi { patch } = &steps[0] else {
            panic!("{steps:?}");
        };
        assert_eq!(patch[0].value, "20");
        // A setting the config gives is part of the fingerprint, whatever its value.
        let plain = desired_of(&manifest());
        assert!(plain.rest_api().unwrap().settings.is_default());
        let mut with_default = plain.clone();
        if let Api::Rest(api) = &mut with_default.api {
            api.settings.minimum_compression_size = Some(0);
        }
        assert_ne!(api_fingerprint(&plain), api_fingerprint(&with_default));
    }
}
