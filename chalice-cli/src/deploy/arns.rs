//! The ARNs, URIs and URLs of the desired resources. Each is derived from names, so a plan
//! knows them before anything exists, and the planner and the executor compute them alike.

use super::desired::{AuthorizerTarget, Desired, DesiredAuthorizer, Function, Role};
use crate::openapi::invocation_uri;

/// The ARN a function of `desired` has (Lambda ARNs are derived from the name).
pub fn function_arn(desired: &Desired, function_name: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:{function_name}",
        desired.account.partition, desired.region, desired.account.id
    )
}

/// The ARN a managed role has.
pub fn role_arn(desired: &Desired, role_name: &str) -> String {
    format!(
        "arn:{}:iam::{}:role/{role_name}",
        desired.account.partition, desired.account.id
    )
}

/// The function name an (unqualified) Lambda ARN ends with.
pub fn function_name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// The URL a REST or HTTP API's stage is served at.
pub fn rest_api_url(region: &str, api_id: &str, stage: &str) -> String {
    format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/")
}

/// The execution ARN of API `api_id`: what its methods' and authorizers' ARNs start with.
pub fn execute_api_arn(desired: &Desired, api_id: &str) -> String {
    format!(
        "arn:{}:execute-api:{}:{}:{api_id}",
        desired.account.partition, desired.region, desired.account.id
    )
}

/// The SourceArn of the permission that lets API `api_id` invoke `function`, scoped as the
/// model scopes it.
pub fn source_arn(desired: &Desired, api_id: &str, function: &Function) -> String {
    format!(
        "{}{}",
        execute_api_arn(desired, api_id),
        function.rest_invoke_scope()
    )
}

/// The role ARN a function should have.
pub fn function_role_arn(desired: &Desired, function: &Function) -> String {
    match &function.role {
        Role::Existing(arn) => arn.clone(),
        Role::Managed(resource_name) => {
            let role = desired
                .roles
                .iter()
                .find(|r| &r.resource_name == resource_name);
            role_arn(desired, role.map_or("", |r| r.role_name.as_str()))
        }
    }
}

/// The URI the API's methods are proxied to: the API handler's.
pub fn proxy_uri(desired: &Desired) -> crate::error::Result<String> {
    let handler = desired
        .api_handler()
        .map_or("", |f| f.function_name.as_str());
    invocation_uri(&desired.region, &function_arn(desired, handler))
}

/// The URI an authorizer should invoke.
pub fn authorizer_uri(desired: &Desired, authorizer: &DesiredAuthorizer) -> Option<String> {
    target_uri(desired, &authorizer.target)
}

/// The URI API Gateway invokes the Lambda of an authorizer answered by `target` at.
pub fn target_uri(desired: &Desired, target: &AuthorizerTarget) -> Option<String> {
    match target {
        AuthorizerTarget::Function(resource_name) => {
            let function = desired.function(resource_name)?;
            invocation_uri(
                &desired.region,
                &function_arn(desired, &function.function_name),
            )
            .ok()
        }
        AuthorizerTarget::Uri(uri) => Some(uri.clone()),
        AuthorizerTarget::None => None,
    }
}
