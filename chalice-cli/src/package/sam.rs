//! The SAM template, as Chalice's `SAMTemplateGenerator` writes it: the roles, one
//! `AWS::Serverless::Function` per function (all from `./deployment.zip`), the
//! `AWS::Serverless::Api` with the Swagger body, an API-scoped invoke permission per function,
//! and the outputs Chalice users script against. An HTTP API app gets the same functions and
//! its `AWS::ApiGatewayV2` resources instead (see [`http`]).

use serde_json::{Map, Value, json};

use super::insert_unique;
use crate::error::{Error, Result};
use crate::model::{
    self, Certificate, CustomDomain, Function, Model, RestApi, Role, UsagePlan, role,
};
use crate::naming;
use crate::openapi::{Api, Uris};

/// The API handler's logical id (Chalice renames `ApiHandler` to it).
pub const API_HANDLER_ID: &str = "APIHandler";
/// The REST API's logical id.
pub const REST_API_ID: &str = "RestAPI";
/// The usage plan's logical id (when the config names API keys).
pub const USAGE_PLAN_ID: &str = "UsagePlan";
/// The custom domain name's logical id (Chalice's, from `api_gateway_custom_domain`).
pub const CUSTOM_DOMAIN_ID: &str = "ApiGatewayCustomDomain";

pub mod http;

pub use self::http::HTTP_API_ID;

/// The SAM template of `model`.
pub fn template(model: &Model) -> Result<Value> {
    match &model.api {
        model::Api::Rest(api) => rest_template(model, api),
        model::Api::Http(api) => http::template(model, api),
    }
}

fn rest_template(model: &Model, api: &RestApi) -> Result<Value> {
    let definition = Api::of(api, &Uris::CloudFormation)?.swagger();
    let mut resources = Map::new();
    let api_handler = add_functions(model, &mut resources)?;
    let settings = &api.settings;
    let mut api_properties = Map::new();
    api_properties.insert(
        "EndpointConfiguration".into(),
        json!(settings.endpoint_type.as_str()),
    );
    api_properties.insert("StageName".into(), json!(settings.stage_name));
    api_properties.insert("DefinitionBody".into(), definition);
    if let Some(size) = settings.minimum_compression_size {
        api_properties.insert("MinimumCompressionSize".into(), json!(size));
    }
    if !settings.stage_variables.is_empty() {
        api_properties.insert("Variables".into(), json!(settings.stage_variables));
    }
    insert_unique(
        &mut resources,
        REST_API_ID.into(),
        json!({"Type": "AWS::Serverless::Api", "Properties": api_properties}),
        "SAM template",
    )?;
    if let Some(resource) = api_handler {
        insert_unique(
            &mut resources,
            API_HANDLER_ID.into(),
            resource,
            "SAM template",
        )?;
    }
    if let Some(plan) = model.usage_plan() {
        add_usage_plan(&plan, &mut resources)?;
    }
    for function in model.invoked_by_api() {
        let (id, permission) = invoke_permission(
            function,
            json!({"Fn::Sub": [
                format!(
                    "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{RestAPIId}}{}",
                    function.rest_invoke_scope()
                ),
                {"RestAPIId": {"Ref": REST_API_ID}}
            ]}),
        )?;
        insert_unique(&mut resources, id, permission, "SAM template")?;
    }
    let mut outputs = json!({
        "RestAPIId": {"Value": {"Ref": REST_API_ID}},
        "APIHandlerName": {"Value": {"Ref": API_HANDLER_ID}},
        "APIHandlerArn": {"Value": {"Fn::GetAtt": [API_HANDLER_ID, "Arn"]}},
        "EndpointURL": {"Value": {"Fn::Sub": format!(
            "https://${{{REST_API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{}/",
            settings.stage_name
        )}}
    });
    if let Some(domain) = &model.custom_domain {
        add_custom_domain(domain, &mut resources)?;
        if let Some(outputs) = outputs.as_object_mut() {
            outputs.extend(custom_domain_outputs(domain));
        }
    }
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Outputs": outputs,
        "Resources": resources
    }))
}

/// Adds the custom domain name and its base path mapping to the API's stage.
fn add_custom_domain(domain: &CustomDomain, resources: &mut Map<String, Value>) -> Result<()> {
    let mut properties = Map::new();
    properties.insert("DomainName".into(), json!(domain.domain_name));
    properties.insert(
        "EndpointConfiguration".into(),
        json!({"Types": [domain.endpoint_type.as_str()]}),
    );
    match &domain.certificate {
        Certificate::Edge(arn) => properties.insert("CertificateArn".into(), json!(arn)),
        Certificate::Regional(arn) => {
            properties.insert("RegionalCertificateArn".into(), json!(arn))
        }
    };
    properties.insert(
        "SecurityPolicy".into(),
        json!(domain.security_policy.as_str()),
    );
    let tags: Vec<Value> = domain
        .tags
        .iter()
        .map(|(key, value)| json!({"Key": key, "Value": value}))
        .collect();
    properties.insert("Tags".into(), Value::Array(tags));
    insert_unique(
        resources,
        CUSTOM_DOMAIN_ID.into(),
        json!({"Type": "AWS::ApiGateway::DomainName", "Properties": properties}),
        "SAM template",
    )?;
    let mut mapping = Map::new();
    mapping.insert("DomainName".into(), json!({"Ref": CUSTOM_DOMAIN_ID}));
    mapping.insert("RestApiId".into(), json!({"Ref": REST_API_ID}));
    // SAM names the stage it makes for the API `<api>.Stage`: the mapping waits for it.
    mapping.insert(
        "Stage".into(),
        json!({"Ref": format!("{REST_API_ID}.Stage")}),
    );
    if let Some(base_path) = &domain.base_path {
        mapping.insert("BasePath".into(), json!(base_path));
    }
    insert_unique(
        resources,
        format!("{CUSTOM_DOMAIN_ID}Mapping"),
        json!({"Type": "AWS::ApiGateway::BasePathMapping", "Properties": mapping}),
        "SAM template",
    )
}

/// The outputs Chalice's deploy prints for a custom domain: where DNS should point (an
/// alias to the CloudFront distribution of an EDGE domain, or to the regional domain).
fn custom_domain_outputs(domain: &CustomDomain) -> Map<String, Value> {
    let (alias, zone) = if domain.is_edge() {
        ("DistributionDomainName", "DistributionHostedZoneId")
    } else {
        ("RegionalDomainName", "RegionalHostedZoneId")
    };
    let mut outputs = Map::new();
    outputs.insert(
        "AliasDomainName".into(),
        json!({"Value": {"Fn::GetAtt": [CUSTOM_DOMAIN_ID, alias]}}),
    );
    outputs.insert(
        "HostedZoneId".into(),
        json!({"Value": {"Fn::GetAtt": [CUSTOM_DOMAIN_ID, zone]}}),
    );
    outputs.insert("CustomDomainURL".into(), json!({"Value": domain.url()}));
    outputs
}

/// Adds the usage plan of the REST API's stage, its API keys (values generated by API
/// Gateway, never written here) and the key bindings.
fn add_usage_plan(plan: &UsagePlan, resources: &mut Map<String, Value>) -> Result<()> {
    insert_unique(
        resources,
        USAGE_PLAN_ID.into(),
        json!({
            "Type": "AWS::ApiGateway::UsagePlan",
            "Properties": {
                "UsagePlanName": plan.name,
                // SAM names the stage it makes for the API `<api>.Stage`.
                "ApiStages": [{"ApiId": {"Ref": REST_API_ID}, "Stage": {"Ref": format!("{REST_API_ID}.Stage")}}]
            }
        }),
        "SAM template",
    )?;
    for (index, name) in plan.key_names.iter().enumerate() {
        let key_id = format!("ApiKey{}", index + 1);
        insert_unique(
            resources,
            format!("{key_id}UsagePlanKey"),
            json!({
                "Type": "AWS::ApiGateway::UsagePlanKey",
                "Properties": {
                    "KeyId": {"Ref": key_id},
                    "KeyType": "API_KEY",
                    "UsagePlanId": {"Ref": USAGE_PLAN_ID}
                }
            }),
            "SAM template",
        )?;
        insert_unique(
            resources,
            key_id,
            json!({
                "Type": "AWS::ApiGateway::ApiKey",
                "Properties": {"Name": name, "Enabled": true}
            }),
            "SAM template",
        )?;
    }
    Ok(())
}

/// Adds the roles, log groups and functions of `model` to `resources`, except the API
/// handler's function, which is returned for the caller to place (Chalice adds it after the
/// REST API).
fn add_functions(model: &Model, resources: &mut Map<String, Value>) -> Result<Option<Value>> {
    let mut roles_done: Vec<&str> = Vec::new();
    let mut api_handler = None;
    for function in &model.functions {
        let is_api_handler = function.is_api_handler();
        let id = logical_id(function)?;
        if let Role::Managed(resource_name) = &function.role
            && !roles_done.contains(&resource_name.as_str())
        {
            roles_done.push(resource_name);
            let role = model.role(resource_name).ok_or_else(|| {
                Error::new(format!(
                    "function `{}` uses the role `{resource_name}`, which the model does not define",
                    function.name
                ))
            })?;
            let role_id = naming::cfn_resource_name(&role.resource_name)?;
            let resource = json!({
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": role::trust_policy(),
                    "Policies": [{"PolicyDocument": role.policy, "PolicyName": format!("{role_id}Policy")}]
                }
            });
            insert_unique(resources, role_id, resource, "SAM template")?;
        }
        if let Some(days) = function.log_retention_in_days {
            let log_id = naming::cfn_resource_name(&format!("{}-log-group", function.name))?;
            let resource = json!({
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": {"Fn::Sub": format!("/aws/lambda/${{{id}}}")},
                    "RetentionInDays": days
                }
            });
            insert_unique(resources, log_id, resource, "SAM template")?;
        }
        let resource = function_resource(model, function)?;
        if is_api_handler {
            api_handler = Some(resource);
        } else {
            insert_unique(resources, id, resource, "SAM template")?;
        }
    }
    Ok(api_handler)
}

/// The invoke permission of `function`, API Gateway calling it from `source_arn`: its
/// logical id and resource.
fn invoke_permission(function: &Function, source_arn: Value) -> Result<(String, Value)> {
    let id = logical_id(function)?;
    let function_ref = if function.is_api_handler() {
        json!({"Ref": id})
    } else {
        json!({"Fn::GetAtt": [id, "Arn"]})
    };
    Ok((
        format!("{id}InvokePermission"),
        json!({
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": function_ref,
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": source_arn
            }
        }),
    ))
}

/// `APIHandler` for the API handler, Chalice's CamelCase of the name for the others.
pub fn logical_id(function: &Function) -> Result<String> {
    if function.is_api_handler() {
        Ok(API_HANDLER_ID.to_owned())
    } else {
        naming::cfn_resource_name(&function.name)
    }
}

fn function_resource(model: &Model, function: &Function) -> Result<Value> {
    let mut properties = Map::new();
    properties.insert("Runtime".into(), json!(naming::RUNTIME));
    properties.insert("Handler".into(), json!(function.handler));
    properties.insert(
        "CodeUri".into(),
        json!(format!("./{}", super::DEPLOYMENT_ZIP)),
    );
    properties.insert("Tags".into(), json!(function.tags));
    properties.insert(
        "Tracing".into(),
        json!(if function.xray {
            "Active"
        } else {
            "PassThrough"
        }),
    );
    properties.insert("Timeout".into(), json!(function.timeout));
    properties.insert("MemorySize".into(), json!(function.memory_size));
    properties.insert("Architectures".into(), json!([model.architecture.as_str()]));
    if !function.environment.is_empty() {
        properties.insert(
            "Environment".into(),
            json!({"Variables": function.environment}),
        );
    }
    if function.in_vpc() {
        properties.insert(
            "VpcConfig".into(),
            json!({"SecurityGroupIds": function.security_group_ids, "SubnetIds": function.subnet_ids}),
        );
    }
    if let Some(concurrency) = function.reserved_concurrency {
        properties.insert("ReservedConcurrentExecutions".into(), json!(concurrency));
    }
    if !function.layers.is_empty() {
        properties.insert("Layers".into(), json!(function.layers));
    }
    let role = match &function.role {
        Role::Managed(resource_name) => {
            json!({"Fn::GetAtt": [naming::cfn_resource_name(resource_name)?, "Arn"]})
        }
        Role::Existing(arn) => json!(arn),
    };
    properties.insert("Role".into(), role);
    Ok(json!({"Type": "AWS::Serverless::Function", "Properties": properties}))
}
