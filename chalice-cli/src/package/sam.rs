//! The SAM template, as Chalice's `SAMTemplateGenerator` writes it: the roles, one
//! `AWS::Serverless::Function` per function (all from `./deployment.zip`), the
//! `AWS::Serverless::Api` with the Swagger body, an API-scoped invoke permission per function,
//! and the outputs Chalice users script against. An HTTP API app gets the same functions and
//! its `AWS::ApiGatewayV2` resources instead (see [`http`]).

use serde_json::{Map, Value, json};

use super::insert_unique;
use crate::error::{Error, Result};
use crate::model::{self, Function, Model, RestApi, Role, role};
use crate::naming;
use crate::openapi::{Api, Uris};

/// The API handler's logical id (Chalice renames `ApiHandler` to it).
pub const API_HANDLER_ID: &str = "APIHandler";
/// The REST API's logical id.
pub const REST_API_ID: &str = "RestAPI";

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
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Outputs": {
            "RestAPIId": {"Value": {"Ref": REST_API_ID}},
            "APIHandlerName": {"Value": {"Ref": API_HANDLER_ID}},
            "APIHandlerArn": {"Value": {"Fn::GetAtt": [API_HANDLER_ID, "Arn"]}},
            "EndpointURL": {"Value": {"Fn::Sub": format!(
                "https://${{{REST_API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{}/",
                settings.stage_name
            )}}
        },
        "Resources": resources
    }))
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
