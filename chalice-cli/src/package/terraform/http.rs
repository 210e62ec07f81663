//! An HTTP API app's Terraform configuration: the roles and functions as for a REST API, then
//! `aws_apigatewayv2_api`, its auto-deployed `_stage`, the API handler's `_integration`
//! (payload 2.0), one `_authorizer` per authorizer and one `_route` per route, and the invoke
//! permissions, each authorizer's scoped to that authorizer.

use serde_json::{Map, Value, json};

use super::{check_identifier, escape, escape_except, function_resources, invoke_permission};
use crate::error::{Error, Result};
use crate::model::http_api::{
    HttpApi, HttpAuthorizer, HttpAuthorizerKind, HttpRoute, INTEGRATION_METHOD, INTEGRATION_TYPE,
    InvokeScope, PAYLOAD_FORMAT_VERSION, PROTOCOL_TYPE,
};
use crate::model::{Model, Target};
use crate::package::insert_unique;
use chalice_runtime::lambda::API_HANDLER;

/// The HTTP API's resource name (of the API and of its stage).
pub const HTTP_API: &str = "http_api";

const WHAT: &str = "Terraform configuration";

/// The Terraform configuration of `model`, whose API is `api`.
pub fn template(model: &Model, api: &HttpApi) -> Result<Value> {
    let mut resource = function_resources(model);
    let api_ref = |attribute: &str| format!("${{aws_apigatewayv2_api.{HTTP_API}.{attribute}}}");

    let mut api_resource = Map::new();
    api_resource.insert("name".into(), json!(escape(&api.name)));
    api_resource.insert("protocol_type".into(), json!(PROTOCOL_TYPE));
    if let Some(cors) = &api.cors {
        api_resource.insert(
            "cors_configuration".into(),
            cors.to_json([
                "allow_origins",
                "allow_methods",
                "allow_headers",
                "expose_headers",
                "max_age",
                "allow_credentials",
            ]),
        );
    }
    api_resource.insert("tags".into(), escaped(&json!(api.settings.tags)));
    resource.insert(
        "aws_apigatewayv2_api".into(),
        json!({ HTTP_API: api_resource }),
    );

    let mut stage = Map::new();
    stage.insert("api_id".into(), json!(api_ref("id")));
    stage.insert("name".into(), json!(api.settings.stage_name));
    stage.insert("auto_deploy".into(), json!(true));
    if !api.settings.stage_variables.is_empty() {
        stage.insert(
            "stage_variables".into(),
            escaped(&json!(api.settings.stage_variables)),
        );
    }
    stage.insert("tags".into(), escaped(&json!(api.settings.tags)));
    resource.insert("aws_apigatewayv2_stage".into(), json!({ HTTP_API: stage }));

    resource.insert(
        "aws_apigatewayv2_integration".into(),
        json!({ API_HANDLER: {
            "api_id": api_ref("id"),
            "integration_type": INTEGRATION_TYPE,
            "integration_method": INTEGRATION_METHOD,
            "integration_uri": format!("${{aws_lambda_function.{API_HANDLER}.invoke_arn}}"),
            "payload_format_version": PAYLOAD_FORMAT_VERSION
        }}),
    );

    let mut authorizers = Map::new();
    for authorizer in api.gateway_authorizers() {
        check_identifier(&authorizer.name)?;
        insert_unique(
            &mut authorizers,
            authorizer.name.clone(),
            authorizer_resource(authorizer, &api_ref("id"))?,
            WHAT,
        )?;
    }
    if !authorizers.is_empty() {
        resource.insert(
            "aws_apigatewayv2_authorizer".into(),
            Value::Object(authorizers),
        );
    }

    let mut routes = Map::new();
    for route in &api.routes {
        insert_unique(
            &mut routes,
            route.resource_name.clone(),
            route_resource(route, &api_ref("id")),
            WHAT,
        )?;
    }
    resource.insert("aws_apigatewayv2_route".into(), Value::Object(routes));

    let mut permissions = Map::new();
    for function in model.invoked_by_api() {
        let scope = api.invoke_scope(&function.name).ok_or_else(|| {
            Error::new(format!(
                "function `{}` is invoked by the HTTP API, which names no route or authorizer for it",
                function.name
            ))
        })?;
        let name = match scope {
            InvokeScope::AnyRoute => format!("{HTTP_API}_invoke"),
            InvokeScope::Authorizer(_) => format!("{}_invoke", function.name),
        };
        let source_arn = scope.source_arn(&api_ref("execution_arn"), |name| {
            format!("${{aws_apigatewayv2_authorizer.{name}.id}}")
        });
        insert_unique(
            &mut permissions,
            name,
            invoke_permission(function, &source_arn),
            WHAT,
        )?;
    }
    resource.insert("aws_lambda_permission".into(), Value::Object(permissions));

    Ok(json!({
        "resource": resource,
        "terraform": {
            "required_version": ">= 1.0",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.26"}}
        },
        "output": {
            "EndpointURL": {"value": format!("${{aws_apigatewayv2_stage.{HTTP_API}.invoke_url}}")},
            "HttpAPIId": {"value": api_ref("id")}
        }
    }))
}

/// `doc` with every string escaped (user text, no interpolation of ours).
fn escaped(doc: &Value) -> Value {
    escape_except(doc, &[])
}

fn authorizer_resource(authorizer: &HttpAuthorizer, api_id: &str) -> Result<Value> {
    let mut resource = Map::new();
    resource.insert("api_id".into(), json!(api_id));
    resource.insert("name".into(), json!(escape(&authorizer.name)));
    resource.insert(
        "authorizer_type".into(),
        json!(authorizer.authorizer_type()),
    );
    resource.insert(
        "identity_sources".into(),
        escaped(&json!(authorizer.identity_sources())),
    );
    match &authorizer.kind {
        HttpAuthorizerKind::Iam => {
            return Err(Error::new(format!(
                "authorizer `{}` is IAM, which has no authorizer resource",
                authorizer.name
            )));
        }
        HttpAuthorizerKind::Jwt(jwt) => {
            resource.insert(
                "jwt_configuration".into(),
                escaped(&json!({"issuer": jwt.issuer, "audience": jwt.audiences})),
            );
        }
        HttpAuthorizerKind::Lambda(lambda) => {
            let uri = match &lambda.target {
                Target::Function(function) => {
                    format!("${{aws_lambda_function.{function}.invoke_arn}}")
                }
                Target::Uri(uri) => escape(uri),
                Target::None => {
                    return Err(Error::new(format!(
                        "authorizer `{}` is a Lambda authorizer without a Lambda",
                        authorizer.name
                    )));
                }
            };
            resource.insert("authorizer_uri".into(), json!(uri));
            resource.insert(
                "authorizer_payload_format_version".into(),
                json!(PAYLOAD_FORMAT_VERSION),
            );
            resource.insert(
                "enable_simple_responses".into(),
                json!(lambda.simple_responses),
            );
            resource.insert(
                "authorizer_result_ttl_in_seconds".into(),
                json!(lambda.ttl_seconds),
            );
            if let Some(role) = &lambda.credentials {
                resource.insert("authorizer_credentials_arn".into(), json!(escape(role)));
            }
        }
    }
    Ok(Value::Object(resource))
}

fn route_resource(route: &HttpRoute, api_id: &str) -> Value {
    let mut resource = Map::new();
    resource.insert("api_id".into(), json!(api_id));
    resource.insert("route_key".into(), json!(escape(&route.route_key())));
    resource.insert(
        "target".into(),
        json!(format!(
            "integrations/${{aws_apigatewayv2_integration.{API_HANDLER}.id}}"
        )),
    );
    resource.insert(
        "authorization_type".into(),
        json!(route.authorization_type.as_str()),
    );
    if let Some(name) = route.gateway_authorizer() {
        resource.insert(
            "authorizer_id".into(),
            json!(format!("${{aws_apigatewayv2_authorizer.{name}.id}}")),
        );
    }
    if !route.authorization_scopes().is_empty() {
        resource.insert(
            "authorization_scopes".into(),
            escaped(&json!(route.authorization_scopes())),
        );
    }
    Value::Object(resource)
}
