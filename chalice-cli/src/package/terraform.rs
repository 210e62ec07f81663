//! The Terraform JSON configuration, as Chalice's `TerraformGenerator` writes it: the same
//! roles, functions, REST API (its body the Swagger document, with
//! `${aws_lambda_function.<name>.invoke_arn}` URIs) and invoke permissions as the SAM template.
//!
//! An HTTP API app gets the same roles and functions and its `aws_apigatewayv2_*` resources
//! instead (see [`http`]).
//!
//! Terraform reads every JSON string as a template, so literal text that may hold `${` or `%{`
//! (IAM policy variables such as `${aws:username}`, environment values) is escaped.

use serde_json::{Map, Value, json};

use super::{DEPLOYMENT_ZIP, insert_unique};
use crate::error::{Error, Result};
use crate::model::{
    self, Certificate, CustomDomain, Function, Model, RestApi, Role, UsagePlan, role,
};
use crate::naming;
use crate::openapi::{Api, Uris};

/// The REST API's resource name.
pub const REST_API: &str = "rest_api";
/// The custom domain name's resource name (Chalice's).
pub const CUSTOM_DOMAIN: &str = "api_gateway_custom_domain";

pub mod http;

/// The Terraform configuration of `model`.
pub fn template(model: &Model) -> Result<Value> {
    for function in &model.functions {
        check_identifier(&function.name)?;
    }
    match &model.api {
        model::Api::Rest(api) => rest_template(model, api),
        model::Api::Http(api) => http::template(model, api),
    }
}

fn rest_template(model: &Model, api: &RestApi) -> Result<Value> {
    let swagger = Api::of(api, &Uris::Terraform)?.swagger();
    let references: Vec<String> = model
        .functions
        .iter()
        .map(|function| format!("${{aws_lambda_function.{}.invoke_arn}}", function.name))
        .collect();
    let swagger = escape_except(&swagger, &references);
    let swagger_text = serde_json::to_string(&swagger)
        .map_err(|error| Error::new(format!("cannot serialize the API definition: {error}")))?;
    let mut resource = function_resources(model);

    let mut rest_api = Map::new();
    rest_api.insert("body".into(), json!("${local.chalice_api_swagger}"));
    rest_api.insert("name".into(), swagger["info"]["title"].clone());
    rest_api.insert(
        "binary_media_types".into(),
        swagger["x-amazon-apigateway-binary-media-types"].clone(),
    );
    rest_api.insert(
        "endpoint_configuration".into(),
        json!({"types": [api.settings.endpoint_type.as_str()]}),
    );
    if let Some(policy) = swagger.get("x-amazon-apigateway-policy") {
        rest_api.insert("policy".into(), json!(policy.to_string()));
    }
    if let Some(size) = api.settings.minimum_compression_size {
        rest_api.insert("minimum_compression_size".into(), json!(size));
    }
    let rest_api_ref =
        |attribute: &str| format!("${{aws_api_gateway_rest_api.{REST_API}.{attribute}}}");

    let mut permissions = Map::new();
    for function in model.invoked_by_api() {
        let name = if function.is_api_handler() {
            format!("{REST_API}_invoke")
        } else {
            format!("{}_invoke", function.name)
        };
        insert_unique(
            &mut permissions,
            name,
            invoke_permission(
                function,
                &format!(
                    "{}{}",
                    rest_api_ref("execution_arn"),
                    function.rest_invoke_scope()
                ),
            ),
            "Terraform configuration",
        )?;
    }

    resource.insert(
        "aws_api_gateway_rest_api".into(),
        json!({ REST_API: rest_api }),
    );
    // A new deployment whenever the definition changes; the stage points at the latest.
    resource.insert(
        "aws_api_gateway_deployment".into(),
        json!({ REST_API: {
            "rest_api_id": rest_api_ref("id"),
            "triggers": {"redeployment": "${md5(local.chalice_api_swagger)}"},
            "lifecycle": {"create_before_destroy": true}
        }}),
    );
    let mut stage = json!({
        "rest_api_id": rest_api_ref("id"),
        "deployment_id": format!("${{aws_api_gateway_deployment.{REST_API}.id}}"),
        "stage_name": api.settings.stage_name
    });
    if !api.settings.stage_variables.is_empty() {
        stage["variables"] = escape_except(&json!(api.settings.stage_variables), &[]);
    }
    resource.insert("aws_api_gateway_stage".into(), json!({ REST_API: stage }));
    resource.insert("aws_lambda_permission".into(), Value::Object(permissions));
    if let Some(plan) = model.usage_plan() {
        add_usage_plan(&plan, &rest_api_ref("id"), &mut resource);
    }

    let mut output = Map::new();
    output.insert(
        "EndpointURL".into(),
        json!({"value": format!("${{aws_api_gateway_stage.{REST_API}.invoke_url}}")}),
    );
    output.insert("RestAPIId".into(), json!({"value": rest_api_ref("id")}));
    if let Some(domain) = &model.custom_domain {
        add_custom_domain(domain, &rest_api_ref("id"), &mut resource);
        output.extend(custom_domain_outputs(domain));
    }

    Ok(json!({
        "resource": resource,
        "locals": {"chalice_api_swagger": swagger_text},
        "terraform": {
            "required_version": ">= 1.0",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.26"}}
        },
        "output": output
    }))
}

/// Adds the custom domain name and its base path mapping to the API's stage.
fn add_custom_domain(domain: &CustomDomain, rest_api_id: &str, resource: &mut Map<String, Value>) {
    let mut properties = Map::new();
    properties.insert("domain_name".into(), json!(domain.domain_name));
    properties.insert(
        "endpoint_configuration".into(),
        json!({"types": [domain.endpoint_type.as_str()]}),
    );
    match &domain.certificate {
        Certificate::Edge(arn) => properties.insert("certificate_arn".into(), json!(arn)),
        Certificate::Regional(arn) => {
            properties.insert("regional_certificate_arn".into(), json!(arn))
        }
    };
    properties.insert(
        "security_policy".into(),
        json!(domain.security_policy.as_str()),
    );
    let tags: Map<String, Value> = domain
        .tags
        .iter()
        .map(|(key, value)| (escape(key), json!(escape(value))))
        .collect();
    properties.insert("tags".into(), Value::Object(tags));
    resource.insert(
        "aws_api_gateway_domain_name".into(),
        json!({ CUSTOM_DOMAIN: properties }),
    );
    let mut mapping = Map::new();
    mapping.insert("api_id".into(), json!(rest_api_id));
    mapping.insert(
        "stage_name".into(),
        json!(format!("${{aws_api_gateway_stage.{REST_API}.stage_name}}")),
    );
    mapping.insert(
        "domain_name".into(),
        json!(format!(
            "${{aws_api_gateway_domain_name.{CUSTOM_DOMAIN}.domain_name}}"
        )),
    );
    if let Some(base_path) = &domain.base_path {
        mapping.insert("base_path".into(), json!(escape(base_path)));
    }
    resource.insert(
        "aws_api_gateway_base_path_mapping".into(),
        json!({ format!("{CUSTOM_DOMAIN}_mapping"): mapping }),
    );
}

/// The outputs Chalice's Terraform template gives a custom domain: where DNS should point.
fn custom_domain_outputs(domain: &CustomDomain) -> Map<String, Value> {
    let (alias, zone) = if domain.is_edge() {
        ("cloudfront_domain_name", "cloudfront_zone_id")
    } else {
        ("regional_domain_name", "regional_zone_id")
    };
    let attribute = |name: &str| format!("${{aws_api_gateway_domain_name.{CUSTOM_DOMAIN}.{name}}}");
    let mut outputs = Map::new();
    outputs.insert("AliasDomainName".into(), json!({"value": attribute(alias)}));
    outputs.insert("HostedZoneId".into(), json!({"value": attribute(zone)}));
    outputs.insert(
        "CustomDomainURL".into(),
        json!({"value": escape(&domain.url())}),
    );
    outputs
}

/// Adds the usage plan of the REST API's stage, its API keys (values generated by API
/// Gateway, never written here) and the key bindings.
fn add_usage_plan(plan: &UsagePlan, rest_api_id: &str, resource: &mut Map<String, Value>) {
    let keys: Map<String, Value> = plan
        .key_names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            (
                format!("key_{}", index + 1),
                json!({"name": escape(name), "enabled": true}),
            )
        })
        .collect();
    let bindings: Map<String, Value> = keys
        .keys()
        .map(|id| {
            (
                id.clone(),
                json!({
                    "key_id": format!("${{aws_api_gateway_api_key.{id}.id}}"),
                    "key_type": "API_KEY",
                    "usage_plan_id": format!("${{aws_api_gateway_usage_plan.{REST_API}.id}}")
                }),
            )
        })
        .collect();
    resource.insert(
        "aws_api_gateway_usage_plan".into(),
        json!({ REST_API: {
            "name": escape(&plan.name),
            "api_stages": [{
                "api_id": rest_api_id,
                "stage": format!("${{aws_api_gateway_stage.{REST_API}.stage_name}}")
            }]
        }}),
    );
    resource.insert("aws_api_gateway_api_key".into(), Value::Object(keys));
    resource.insert(
        "aws_api_gateway_usage_plan_key".into(),
        Value::Object(bindings),
    );
}

/// The `resource` block's roles, role policies, log groups and functions, in Chalice's order;
/// the API's resources follow.
fn function_resources(model: &Model) -> Map<String, Value> {
    let mut roles = Map::new();
    let mut role_policies = Map::new();
    for role in &model.roles {
        roles.insert(
            role.resource_name.clone(),
            json!({
                "name": role.role_name,
                "assume_role_policy": role::trust_policy().to_string()
            }),
        );
        role_policies.insert(
            role.resource_name.clone(),
            json!({
                "name": format!("{}Policy", role.resource_name),
                "policy": escape_except(&role.policy, &[]).to_string(),
                "role": format!("${{aws_iam_role.{}.id}}", role.resource_name)
            }),
        );
    }
    let mut log_groups = Map::new();
    let mut functions = Map::new();
    for function in &model.functions {
        if let Some(days) = function.log_retention_in_days {
            log_groups.insert(
                format!("{}-log-group", function.name),
                json!({
                    "name": function.log_group_name(),
                    "retention_in_days": days
                }),
            );
        }
        functions.insert(function.name.clone(), function_resource(model, function));
    }
    let mut resource = Map::new();
    if !roles.is_empty() {
        resource.insert("aws_iam_role".into(), Value::Object(roles));
        resource.insert("aws_iam_role_policy".into(), Value::Object(role_policies));
    }
    if !log_groups.is_empty() {
        resource.insert("aws_cloudwatch_log_group".into(), Value::Object(log_groups));
    }
    resource.insert("aws_lambda_function".into(), Value::Object(functions));
    resource
}

/// The `aws_lambda_permission` letting API Gateway invoke `function` from `source_arn`.
fn invoke_permission(function: &Function, source_arn: &str) -> Value {
    json!({
        "function_name": format!("${{aws_lambda_function.{}.arn}}", function.name),
        "action": "lambda:InvokeFunction",
        "principal": "apigateway.amazonaws.com",
        "source_arn": source_arn
    })
}

fn function_resource(model: &Model, function: &Function) -> Value {
    let zip = format!("${{path.module}}/{DEPLOYMENT_ZIP}");
    let mut resource = Map::new();
    resource.insert("function_name".into(), json!(function.function_name));
    resource.insert("runtime".into(), json!(naming::RUNTIME));
    resource.insert("handler".into(), json!(function.handler));
    resource.insert("memory_size".into(), json!(function.memory_size));
    resource.insert("tags".into(), json!(function.tags));
    resource.insert("timeout".into(), json!(function.timeout));
    resource.insert(
        "source_code_hash".into(),
        json!(format!("${{filebase64sha256(\"{zip}\")}}")),
    );
    resource.insert("filename".into(), json!(zip));
    resource.insert("architectures".into(), json!([model.architecture.as_str()]));
    if function.in_vpc() {
        resource.insert(
            "vpc_config".into(),
            json!({"subnet_ids": function.subnet_ids, "security_group_ids": function.security_group_ids}),
        );
    }
    if let Some(concurrency) = function.reserved_concurrency {
        resource.insert("reserved_concurrent_executions".into(), json!(concurrency));
    }
    if !function.environment.is_empty() {
        let variables: Map<String, Value> = function
            .environment
            .iter()
            .map(|(name, value)| (name.clone(), json!(escape(value))))
            .collect();
        resource.insert("environment".into(), json!({"variables": variables}));
    }
    if function.xray {
        resource.insert("tracing_config".into(), json!({"mode": "Active"}));
    }
    if !function.layers.is_empty() {
        resource.insert("layers".into(), json!(function.layers));
    }
    let role = match &function.role {
        Role::Managed(resource_name) => format!("${{aws_iam_role.{resource_name}.arn}}"),
        Role::Existing(arn) => arn.clone(),
    };
    resource.insert("role".into(), json!(role));
    Value::Object(resource)
}

/// A Terraform resource name must start with a letter or `_`; the rest are letters, digits,
/// `_` and `-`.
fn check_identifier(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        Ok(())
    } else {
        Err(Error::new(format!(
            "the authorizer `{name}` cannot name a Terraform resource (start it with a letter or `_`; use letters, digits, `_` and `-`)"
        )))
    }
}

/// `text` as a Terraform template that means exactly `text`.
fn escape(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// `doc` with every string escaped, except the interpolations chalice-rs put there itself.
fn escape_except(doc: &Value, references: &[String]) -> Value {
    match doc {
        Value::String(text) if references.contains(text) => doc.clone(),
        Value::String(text) => Value::String(escape(text)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| escape_except(item, references))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (escape(key), escape_except(value, references)))
                .collect(),
        ),
        other => other.clone(),
    }
}
