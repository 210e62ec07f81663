//! An HTTP API app's SAM template: the functions and roles as for a REST API, then the HTTP
//! API as explicit `AWS::ApiGatewayV2` resources (the API, its auto-deployed stage, the API
//! handler's Lambda proxy integration, one resource per authorizer and per route), so that
//! each authorizer's invoke permission can name the authorizer's own id.

use serde_json::{Map, Value, json};

use super::{API_HANDLER_ID, add_functions, invoke_permission};
use crate::error::{Error, Result};
use crate::model::http_api::{
    self, HttpApi, HttpAuthorizer, HttpAuthorizerKind, HttpRoute, INTEGRATION_METHOD,
    INTEGRATION_TYPE, InvokeScope, PAYLOAD_FORMAT_VERSION, PROTOCOL_TYPE,
};
use crate::model::{Model, Target};
use crate::naming;
use crate::openapi::Uris;
use crate::package::insert_unique;

/// The HTTP API's logical id.
pub const HTTP_API_ID: &str = "HttpAPI";
/// Its stage's logical id.
pub const STAGE_ID: &str = "HttpAPIStage";
/// The API handler's integration's logical id.
pub const INTEGRATION_ID: &str = "APIHandlerIntegration";

const WHAT: &str = "SAM template";

/// The SAM template of `model`, whose API is `api`.
pub fn template(model: &Model, api: &HttpApi) -> Result<Value> {
    let mut resources = Map::new();
    let api_handler = add_functions(model, &mut resources)?;
    if let Some(resource) = api_handler {
        insert_unique(&mut resources, API_HANDLER_ID.into(), resource, WHAT)?;
    }
    insert_unique(&mut resources, HTTP_API_ID.into(), api_resource(api), WHAT)?;
    insert_unique(&mut resources, STAGE_ID.into(), stage_resource(api), WHAT)?;
    insert_unique(
        &mut resources,
        INTEGRATION_ID.into(),
        json!({"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": {"Ref": HTTP_API_ID},
            "IntegrationType": INTEGRATION_TYPE,
            "IntegrationMethod": INTEGRATION_METHOD,
            "IntegrationUri": Uris::CloudFormation.api_handler()?,
            "PayloadFormatVersion": PAYLOAD_FORMAT_VERSION
        }}),
        WHAT,
    )?;
    for authorizer in api.gateway_authorizers() {
        insert_unique(
            &mut resources,
            authorizer_id(&authorizer.name)?,
            authorizer_resource(authorizer)?,
            WHAT,
        )?;
    }
    for route in &api.routes {
        insert_unique(
            &mut resources,
            route_id(route)?,
            route_resource(route)?,
            WHAT,
        )?;
    }
    let execution_arn = http_api::execution_arn(
        "${AWS::Partition}",
        "${AWS::Region}",
        "${AWS::AccountId}",
        &format!("${{{HTTP_API_ID}}}"),
    );
    for function in model.invoked_by_api() {
        let scope = api.invoke_scope(&function.name).ok_or_else(|| {
            Error::new(format!(
                "function `{}` is invoked by the HTTP API, which names no route or authorizer for it",
                function.name
            ))
        })?;
        let authorizer_ref = match &scope {
            InvokeScope::Authorizer(name) => format!("${{{}}}", authorizer_id(name)?),
            InvokeScope::AnyRoute => String::new(),
        };
        let source_arn = scope.source_arn(&execution_arn, |_| authorizer_ref.clone());
        let (id, permission) = invoke_permission(function, json!({"Fn::Sub": source_arn}))?;
        insert_unique(&mut resources, id, permission, WHAT)?;
    }
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Outputs": {
            "HttpAPIId": {"Value": {"Ref": HTTP_API_ID}},
            "APIHandlerName": {"Value": {"Ref": API_HANDLER_ID}},
            "APIHandlerArn": {"Value": {"Fn::GetAtt": [API_HANDLER_ID, "Arn"]}},
            "EndpointURL": {"Value": {"Fn::Sub": format!(
                "https://${{{HTTP_API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}{}",
                api.stage_path()
            )}}
        },
        "Resources": resources
    }))
}

/// `<Name>Authorizer`, the logical id of the authorizer `name`.
pub fn authorizer_id(name: &str) -> Result<String> {
    Ok(format!("{}Authorizer", naming::cfn_resource_name(name)?))
}

/// `<Route>Route` (`GetOrdersIdRoute`), the logical id of `route`.
pub fn route_id(route: &HttpRoute) -> Result<String> {
    Ok(format!(
        "{}Route",
        naming::cfn_resource_name(&route.resource_name)?
    ))
}

fn api_resource(api: &HttpApi) -> Value {
    let mut properties = Map::new();
    properties.insert("Name".into(), json!(api.name));
    properties.insert("ProtocolType".into(), json!(PROTOCOL_TYPE));
    if let Some(cors) = &api.cors {
        properties.insert(
            "CorsConfiguration".into(),
            cors.to_json([
                "AllowOrigins",
                "AllowMethods",
                "AllowHeaders",
                "ExposeHeaders",
                "MaxAge",
                "AllowCredentials",
            ]),
        );
    }
    properties.insert("Tags".into(), json!(api.settings.tags));
    json!({"Type": "AWS::ApiGatewayV2::Api", "Properties": properties})
}

fn stage_resource(api: &HttpApi) -> Value {
    let mut properties = Map::new();
    properties.insert("ApiId".into(), json!({"Ref": HTTP_API_ID}));
    properties.insert("StageName".into(), json!(api.settings.stage_name));
    properties.insert("AutoDeploy".into(), json!(true));
    if !api.settings.stage_variables.is_empty() {
        properties.insert("StageVariables".into(), json!(api.settings.stage_variables));
    }
    properties.insert("Tags".into(), json!(api.settings.tags));
    json!({"Type": "AWS::ApiGatewayV2::Stage", "Properties": properties})
}

fn authorizer_resource(authorizer: &HttpAuthorizer) -> Result<Value> {
    let mut properties = Map::new();
    properties.insert("ApiId".into(), json!({"Ref": HTTP_API_ID}));
    properties.insert("Name".into(), json!(authorizer.name));
    properties.insert("AuthorizerType".into(), json!(authorizer.authorizer_type()));
    properties.insert(
        "IdentitySource".into(),
        json!(authorizer.identity_sources()),
    );
    match &authorizer.kind {
        HttpAuthorizerKind::Iam => {
            return Err(Error::new(format!(
                "authorizer `{}` is IAM, which has no authorizer resource",
                authorizer.name
            )));
        }
        HttpAuthorizerKind::Jwt(jwt) => {
            properties.insert(
                "JwtConfiguration".into(),
                json!({"Issuer": jwt.issuer, "Audience": jwt.audiences}),
            );
        }
        HttpAuthorizerKind::Lambda(lambda) => {
            let uri = match &lambda.target {
                Target::Function(function) => Uris::CloudFormation.authorizer(function)?,
                Target::Uri(uri) => json!(uri),
                Target::None => {
                    return Err(Error::new(format!(
                        "authorizer `{}` is a Lambda authorizer without a Lambda",
                        authorizer.name
                    )));
                }
            };
            properties.insert("AuthorizerUri".into(), uri);
            properties.insert(
                "AuthorizerPayloadFormatVersion".into(),
                json!(PAYLOAD_FORMAT_VERSION),
            );
            properties.insert(
                "EnableSimpleResponses".into(),
                json!(lambda.simple_responses),
            );
            properties.insert(
                "AuthorizerResultTtlInSeconds".into(),
                json!(lambda.ttl_seconds),
            );
            if let Some(role) = &lambda.credentials {
                properties.insert("AuthorizerCredentialsArn".into(), json!(role));
            }
        }
    }
    Ok(json!({"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": properties}))
}

fn route_resource(route: &HttpRoute) -> Result<Value> {
    let mut properties = Map::new();
    properties.insert("ApiId".into(), json!({"Ref": HTTP_API_ID}));
    properties.insert("RouteKey".into(), json!(route.route_key()));
    properties.insert(
        "Target".into(),
        json!({"Fn::Sub": format!("integrations/${{{INTEGRATION_ID}}}")}),
    );
    properties.insert(
        "AuthorizationType".into(),
        json!(route.authorization_type.as_str()),
    );
    if let Some(name) = route.gateway_authorizer() {
        properties.insert("AuthorizerId".into(), json!({"Ref": authorizer_id(name)?}));
    }
    if !route.authorization_scopes().is_empty() {
        properties.insert(
            "AuthorizationScopes".into(),
            json!(route.authorization_scopes()),
        );
    }
    Ok(json!({"Type": "AWS::ApiGatewayV2::Route", "Properties": properties}))
}
