//! The API definition: Swagger 2.0 (what API Gateway imports, shaped as Chalice's
//! `SwaggerGenerator` writes it) and OpenAPI 3, both from one model built from the manifest.
//!
//! Only the Lambda URIs differ between the places the document goes, so they come from a
//! [`Uris`] strategy, as Chalice's generator subclasses: plain ARNs, `generate-models`-style
//! placeholders, CloudFormation `Fn::Sub`, or Terraform interpolations.

use std::path::Path;

use chalice_runtime::manifest::{Manifest, ManifestAuthorizer, ManifestRoute};
use serde_json::{Map, Value, json};

use crate::config::{EndpointType, Stage};
use crate::error::{Error, Result};
use crate::naming;
use crate::project::{Profile, Project};

/// Chalice's default `app.api.binary_types`: bodies of these types reach the Lambda as base64
/// and binary responses are decoded by API Gateway.
pub const DEFAULT_BINARY_TYPES: [&str; 16] = [
    "application/octet-stream",
    "application/x-tar",
    "application/zip",
    "audio/basic",
    "audio/ogg",
    "audio/mp4",
    "audio/mpeg",
    "audio/wav",
    "audio/webm",
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "video/ogg",
    "video/mpeg",
    "video/webm",
];

/// `Access-Control-Allow-Origin` of a preflight: Chalice's default `CORSConfig`, as the runtime's
/// local gateway answers it.
const CORS_ALLOW_ORIGIN: &str = "*";
/// `Access-Control-Allow-Headers` of a preflight (Chalice's required headers, sorted).
const CORS_ALLOW_HEADERS: &str =
    "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key";

const LAMBDA_PATH: &str = "lambda:path/2015-03-31/functions";

/// Where the integration and authorizer URIs point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uris {
    /// Deployed functions, by ARN (Chalice's `SwaggerGenerator`).
    Arns {
        /// The API's region.
        region: String,
        /// The API handler's ARN.
        api_handler: String,
        /// Each built-in authorizer's ARN, by authorizer name.
        authorizers: Vec<(String, String)>,
    },
    /// `{api_handler_lambda_arn}`-style placeholders (Chalice's `generate-models`).
    Templated,
    /// `Fn::Sub` over the SAM template's logical ids (Chalice's `CFNSwaggerGenerator`).
    CloudFormation,
    /// `${aws_lambda_function.<name>.invoke_arn}` (Chalice's `TerraformSwaggerGenerator`).
    Terraform,
}

impl Uris {
    fn api_handler(&self) -> Result<Value> {
        Ok(match self {
            Uris::Arns {
                region,
                api_handler,
                ..
            } => Value::String(invocation_uri(region, api_handler)?),
            Uris::Templated => Value::String(format!(
                "arn:{{partition}}:apigateway:{{region_name}}:{LAMBDA_PATH}/{{api_handler_lambda_arn}}/invocations"
            )),
            Uris::CloudFormation => json!({"Fn::Sub": format!(
                "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:{LAMBDA_PATH}/${{APIHandler.Arn}}/invocations"
            )}),
            Uris::Terraform => Value::String(format!(
                "${{aws_lambda_function.{}.invoke_arn}}",
                naming::API_HANDLER
            )),
        })
    }

    fn authorizer(&self, name: &str) -> Result<Value> {
        Ok(match self {
            Uris::Arns {
                region,
                authorizers,
                ..
            } => {
                let arn = authorizers
                    .iter()
                    .find(|(known, _)| known == name)
                    .map(|(_, arn)| arn)
                    .ok_or_else(|| {
                        Error::new(format!(
                            "no Lambda ARN is known for the built-in authorizer `{name}`"
                        ))
                    })?;
                Value::String(invocation_uri(region, arn)?)
            }
            Uris::Templated => Value::String(format!(
                "arn:{{partition}}:apigateway:{{region_name}}:{LAMBDA_PATH}/{{{name}_lambda_arn}}/invocations"
            )),
            Uris::CloudFormation => json!({"Fn::Sub": format!(
                "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:{LAMBDA_PATH}/${{{}.Arn}}/invocations",
                naming::cfn_resource_name(name)
                    .map_err(|error| Error::new(format!("authorizer `{name}`: {error}")))?
            )}),
            Uris::Terraform => Value::String(format!("${{aws_lambda_function.{name}.invoke_arn}}")),
        })
    }
}

/// `arn:<partition>:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`,
/// the partition taken from the Lambda ARN as Chalice does.
pub fn invocation_uri(region: &str, lambda_arn: &str) -> Result<String> {
    match lambda_arn.split(':').nth(1) {
        Some(partition) if lambda_arn.starts_with("arn:") && !partition.is_empty() => Ok(format!(
            "arn:{partition}:apigateway:{region}:{LAMBDA_PATH}/{lambda_arn}/invocations"
        )),
        _ => Err(Error::new(format!(
            "\"{lambda_arn}\" is not a Lambda function ARN"
        ))),
    }
}

/// The settings of the REST API that come from the config rather than the app.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiSettings {
    /// `x-amazon-apigateway-binary-media-types`.
    pub binary_media_types: Vec<String>,
    /// The resource policy (`x-amazon-apigateway-policy`).
    pub policy: Option<Value>,
    /// The VPC endpoints of a PRIVATE API.
    pub vpce_ids: Vec<String>,
}

impl ApiSettings {
    /// Chalice's defaults: its binary types, no policy, no VPC endpoints.
    pub fn chalice_defaults() -> ApiSettings {
        ApiSettings {
            binary_media_types: DEFAULT_BINARY_TYPES.map(str::to_owned).to_vec(),
            policy: None,
            vpce_ids: Vec::new(),
        }
    }

    /// The settings of `stage`: the resource policy from `.chalice/<api_gateway_policy_file>`,
    /// or for a PRIVATE API without one, Chalice's policy allowing its VPC endpoints.
    pub fn for_stage(stage: &Stage<'_>, project_dir: &Path) -> Result<ApiSettings> {
        let vpce = stage.endpoint_vpce();
        let policy_file = stage.api_gateway_policy_file();
        let private = stage.endpoint_type() == EndpointType::Private;
        let at_fault = |message: &str| {
            Error::new(format!(
                "{}: stage `{}`: {message}",
                project_dir.join(crate::config::CONFIG_PATH).display(),
                stage.name()
            ))
        };
        if !private && !vpce.is_empty() {
            return Err(at_fault(
                "`api_gateway_endpoint_vpce` is only for `api_gateway_endpoint_type` PRIVATE",
            ));
        }
        if private && policy_file.is_some() && !vpce.is_empty() {
            return Err(at_fault(
                "give one of `api_gateway_policy_file` and `api_gateway_endpoint_vpce`, not both",
            ));
        }
        if private && policy_file.is_none() && vpce.is_empty() {
            return Err(at_fault(
                "a PRIVATE API needs `api_gateway_policy_file` or `api_gateway_endpoint_vpce`",
            ));
        }
        let policy = match policy_file {
            Some(file) => Some(read_json(&project_dir.join(".chalice").join(&file))?),
            None if private => {
                let source_vpce = match &vpce[..] {
                    [one] => json!(one),
                    many => json!(many),
                };
                Some(json!({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "arn:*:execute-api:*:*:*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": source_vpce}}
                }]}))
            }
            None => None,
        };
        Ok(ApiSettings {
            policy,
            vpce_ids: vpce,
            ..ApiSettings::chalice_defaults()
        })
    }
}

/// The API of the project's app on `stage`, for `generate-openapi`: the config is checked,
/// then a debug build gives the manifest (the document does not depend on the build profile).
pub fn for_project(project: &Project, stage: &str, uris: &Uris) -> Result<Api> {
    let stage = project.config().stage(stage)?;
    let settings = ApiSettings::for_stage(&stage, project.dir())?;
    let app = project.build(Profile::Debug, None)?;
    Api::new(&app.manifest, uris, settings)
}

/// Reads a JSON document (a policy file), naming the file when it cannot.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Error::new(format!("{}: cannot read: {error}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|error| Error::new(format!("{}: not valid JSON: {error}", path.display())))
}

/// The API as both document formats need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    title: String,
    paths: Vec<PathItem>,
    /// Security schemes in order of first use, keyed by authorizer name (the last of a name wins,
    /// as in Chalice).
    security_schemes: Vec<(String, Value)>,
    settings: ApiSettings,
}

#[derive(Debug, Clone, PartialEq)]
struct PathItem {
    path: String,
    operations: Vec<Operation>,
    /// The methods whose view has CORS on; a preflight is added when there are any.
    cors_methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Operation {
    method: String,
    content_types: Vec<String>,
    /// `(scheme, scopes)`, `api_key` first as Chalice orders them.
    security: Vec<(String, Vec<String>)>,
    path_params: Vec<String>,
    integration_uri: Value,
}

impl Api {
    /// The API of `manifest`, its Lambda URIs from `uris`.
    pub fn new(manifest: &Manifest, uris: &Uris, settings: ApiSettings) -> Result<Api> {
        let handler_uri = uris.api_handler()?;
        let mut paths: Vec<PathItem> = Vec::new();
        let mut security_schemes: Vec<(String, Value)> = Vec::new();
        for route in &manifest.routes {
            let index = match paths.iter().position(|item| item.path == route.path) {
                Some(index) => index,
                None => {
                    paths.push(PathItem {
                        path: route.path.clone(),
                        operations: Vec::new(),
                        cors_methods: Vec::new(),
                    });
                    paths.len() - 1
                }
            };
            for method in &route.methods {
                let item = &mut paths[index];
                let method = method.to_ascii_lowercase();
                if item.operations.iter().any(|op| op.method == method) {
                    return Err(Error::new(format!(
                        "the manifest has two views for {} {} (the second is `{}`)",
                        method.to_ascii_uppercase(),
                        route.path,
                        route.view_name
                    )));
                }
                let mut security = Vec::new();
                if route.api_key_required {
                    security.push(("api_key".to_owned(), Vec::new()));
                }
                if let Some(name) = &route.authorizer {
                    let authorizer = find_authorizer(manifest, route, name)?;
                    set_scheme(
                        &mut security_schemes,
                        name,
                        security_scheme(authorizer, uris)?,
                    );
                    security.push((name.clone(), route.scopes.clone()));
                }
                if route.api_key_required {
                    set_scheme(
                        &mut security_schemes,
                        "api_key",
                        json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
                    );
                }
                if route.cors {
                    item.cors_methods.push(method.to_ascii_uppercase());
                }
                item.operations.push(Operation {
                    method,
                    content_types: route.content_types.clone(),
                    security,
                    path_params: route.path_params.clone(),
                    integration_uri: handler_uri.clone(),
                });
            }
        }
        Ok(Api {
            title: manifest.app_name.clone(),
            paths,
            security_schemes,
            settings,
        })
    }

    /// Swagger 2.0, key for key as Chalice's `generate_swagger`.
    pub fn swagger(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("swagger".into(), json!("2.0"));
        doc.insert(
            "info".into(),
            json!({"version": "1.0", "title": self.title}),
        );
        doc.insert("schemes".into(), json!(["https"]));
        let mut paths = Map::new();
        for item in &self.paths {
            let mut methods = Map::new();
            for op in &item.operations {
                let mut method = Map::new();
                method.insert("consumes".into(), json!(op.content_types));
                method.insert("produces".into(), json!(["application/json"]));
                method.insert(
                    "responses".into(),
                    json!({"200": {"description": "200 response",
                                   "schema": {"$ref": "#/definitions/Empty"}}}),
                );
                method.insert(
                    "x-amazon-apigateway-integration".into(),
                    proxy_integration(&op.integration_uri),
                );
                if !op.security.is_empty() {
                    method.insert("security".into(), security_requirements(&op.security));
                }
                if !op.path_params.is_empty() {
                    let params: Vec<Value> = op
                        .path_params
                        .iter()
                        .map(|name| json!({"name": name, "in": "path", "required": true, "type": "string"}))
                        .collect();
                    method.insert("parameters".into(), Value::Array(params));
                }
                methods.insert(op.method.clone(), Value::Object(method));
            }
            if let Some(preflight) = Preflight::of(item) {
                let headers: Map<String, Value> = preflight
                    .headers
                    .iter()
                    .map(|(name, _)| (name.clone(), json!({"type": "string"})))
                    .collect();
                methods.insert(
                    "options".into(),
                    json!({
                        "consumes": ["application/json"],
                        "produces": ["application/json"],
                        "responses": {"200": {"description": "200 response",
                                              "schema": {"$ref": "#/definitions/Empty"},
                                              "headers": headers}},
                        "x-amazon-apigateway-integration": preflight.integration(),
                    }),
                );
            }
            paths.insert(item.path.clone(), Value::Object(methods));
        }
        doc.insert("paths".into(), Value::Object(paths));
        doc.insert(
            "definitions".into(),
            json!({"Empty": {"type": "object", "title": "Empty Schema"}}),
        );
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(self.settings.binary_media_types),
        );
        if !self.security_schemes.is_empty() {
            doc.insert("securityDefinitions".into(), self.schemes());
        }
        self.add_api_extensions(&mut doc);
        Value::Object(doc)
    }

    /// OpenAPI 3.0 with the same operations, integrations and security schemes, as API
    /// Gateway imports and exports it.
    pub fn openapi3(&self) -> Value {
        let empty = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}});
        let mut doc = Map::new();
        doc.insert("openapi".into(), json!("3.0.1"));
        doc.insert(
            "info".into(),
            json!({"version": "1.0", "title": self.title}),
        );
        let mut paths = Map::new();
        for item in &self.paths {
            let mut methods = Map::new();
            for op in &item.operations {
                let mut method = Map::new();
                if !op.path_params.is_empty() {
                    let params: Vec<Value> = op
                        .path_params
                        .iter()
                        .map(|name| {
                            json!({"name": name, "in": "path", "required": true,
                                           "schema": {"type": "string"}})
                        })
                        .collect();
                    method.insert("parameters".into(), Value::Array(params));
                }
                method.insert(
                    "responses".into(),
                    json!({"200": {"description": "200 response", "content": empty}}),
                );
                if !op.security.is_empty() {
                    method.insert("security".into(), security_requirements(&op.security));
                }
                method.insert(
                    "x-amazon-apigateway-integration".into(),
                    proxy_integration(&op.integration_uri),
                );
                methods.insert(op.method.clone(), Value::Object(method));
            }
            if let Some(preflight) = Preflight::of(item) {
                let headers: Map<String, Value> = preflight
                    .headers
                    .iter()
                    .map(|(name, _)| (name.clone(), json!({"schema": {"type": "string"}})))
                    .collect();
                methods.insert(
                    "options".into(),
                    json!({
                        "responses": {"200": {"description": "200 response",
                                              "headers": headers, "content": empty}},
                        "x-amazon-apigateway-integration": preflight.integration(),
                    }),
                );
            }
            paths.insert(item.path.clone(), Value::Object(methods));
        }
        doc.insert("paths".into(), Value::Object(paths));
        let mut components = Map::new();
        components.insert(
            "schemas".into(),
            json!({"Empty": {"type": "object", "title": "Empty Schema"}}),
        );
        if !self.security_schemes.is_empty() {
            components.insert("securitySchemes".into(), self.schemes());
        }
        doc.insert("components".into(), Value::Object(components));
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(self.settings.binary_media_types),
        );
        self.add_api_extensions(&mut doc);
        Value::Object(doc)
    }

    fn schemes(&self) -> Value {
        Value::Object(self.security_schemes.iter().cloned().collect())
    }

    fn add_api_extensions(&self, doc: &mut Map<String, Value>) {
        if let Some(policy) = &self.settings.policy {
            doc.insert("x-amazon-apigateway-policy".into(), policy.clone());
        }
        if !self.settings.vpce_ids.is_empty() {
            doc.insert(
                "x-amazon-apigateway-endpoint-configuration".into(),
                json!({"vpcEndpointIds": self.settings.vpce_ids}),
            );
        }
    }
}

/// Replaces the scheme `name` in place, or appends it: a definition keeps the position of its
/// first use and the value of its last, as Chalice's dict assignment does.
fn set_scheme(schemes: &mut Vec<(String, Value)>, name: &str, scheme: Value) {
    match schemes.iter_mut().find(|(known, _)| known == name) {
        Some(entry) => entry.1 = scheme,
        None => schemes.push((name.to_owned(), scheme)),
    }
}

fn find_authorizer<'m>(
    manifest: &'m Manifest,
    route: &ManifestRoute,
    name: &str,
) -> Result<&'m ManifestAuthorizer> {
    manifest
        .authorizers
        .iter()
        .find(|authorizer| authorizer.name() == name)
        .ok_or_else(|| {
            Error::new(format!(
                "route {} (`{}`) names the authorizer `{name}`, which the app's manifest does not declare",
                route.path, route.view_name
            ))
        })
}

fn security_requirements(security: &[(String, Vec<String>)]) -> Value {
    Value::Array(
        security
            .iter()
            .map(|(name, scopes)| json!({ name.clone(): scopes }))
            .collect(),
    )
}

/// Chalice's `aws_proxy` integration to the API handler.
fn proxy_integration(uri: &Value) -> Value {
    json!({
        "responses": {"default": {"statusCode": "200"}},
        "uri": uri,
        "passthroughBehavior": "when_no_match",
        "httpMethod": "POST",
        "contentHandling": "CONVERT_TO_TEXT",
        "type": "aws_proxy"
    })
}

/// A CORS preflight answered by API Gateway itself (a `mock` integration, never authorized).
struct Preflight {
    /// Header name and value, in Chalice's order.
    headers: Vec<(String, String)>,
}

impl Preflight {
    fn of(item: &PathItem) -> Option<Preflight> {
        if item.cors_methods.is_empty() {
            return None;
        }
        // Sorted, then OPTIONS: what the runtime's local gateway answers.
        let mut methods = item.cors_methods.clone();
        methods.sort_unstable();
        methods.dedup();
        methods.push("OPTIONS".into());
        Some(Preflight {
            headers: vec![
                ("Access-Control-Allow-Methods".into(), methods.join(",")),
                (
                    "Access-Control-Allow-Origin".into(),
                    CORS_ALLOW_ORIGIN.into(),
                ),
                (
                    "Access-Control-Allow-Headers".into(),
                    CORS_ALLOW_HEADERS.into(),
                ),
            ],
        })
    }

    fn integration(&self) -> Value {
        let parameters: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    format!("method.response.header.{name}"),
                    Value::String(format!("'{value}'")),
                )
            })
            .collect();
        json!({
            "responses": {"default": {"statusCode": "200", "responseParameters": parameters}},
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "passthroughBehavior": "when_no_match",
            "type": "mock",
            "contentHandling": "CONVERT_TO_TEXT"
        })
    }
}

/// The security scheme of one authorizer, keys in Chalice's order.
pub fn security_scheme(authorizer: &ManifestAuthorizer, uris: &Uris) -> Result<Value> {
    Ok(match authorizer {
        ManifestAuthorizer::Iam { .. } => json!({
            "in": "header",
            "type": "apiKey",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "awsSigv4"
        }),
        ManifestAuthorizer::CognitoUserPools {
            header,
            provider_arns,
            ..
        } => json!({
            "in": "header",
            "type": "apiKey",
            "name": header,
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": provider_arns
            }
        }),
        ManifestAuthorizer::Custom {
            name,
            authorizer_uri,
            auth_type,
            header,
            ttl_seconds,
            invoke_role_arn,
            identity_sources,
            ..
        } => {
            let request = is_request(name, auth_type, identity_sources)?;
            let mut inner = Map::new();
            inner.insert(
                "type".into(),
                json!(if request { "request" } else { "token" }),
            );
            inner.insert("authorizerUri".into(), json!(authorizer_uri));
            inner.insert("authorizerResultTtlInSeconds".into(), json!(ttl_seconds));
            if let Some(role) = invoke_role_arn {
                inner.insert("authorizerCredentials".into(), json!(role));
            }
            lambda_scheme(header, request, identity_sources, inner)
        }
        ManifestAuthorizer::Builtin {
            name,
            auth_type,
            header,
            ttl_seconds,
            execution_role,
            identity_sources,
            ..
        } => {
            let request = is_request(name, auth_type, identity_sources)?;
            let mut inner = Map::new();
            inner.insert(
                "type".into(),
                json!(if request { "request" } else { "token" }),
            );
            inner.insert("authorizerUri".into(), uris.authorizer(name)?);
            if let Some(role) = execution_role {
                inner.insert("authorizerCredentials".into(), json!(role));
            }
            if let Some(ttl) = ttl_seconds {
                inner.insert("authorizerResultTtlInSeconds".into(), json!(ttl));
            }
            lambda_scheme(header, request, identity_sources, inner)
        }
    })
}

fn is_request(name: &str, auth_type: &str, identity_sources: &[String]) -> Result<bool> {
    match auth_type {
        "TOKEN" => Ok(false),
        "REQUEST" if identity_sources.is_empty() => Err(Error::new(format!(
            "authorizer `{name}` is a REQUEST authorizer without identity sources"
        ))),
        "REQUEST" => Ok(true),
        other => Err(Error::new(format!(
            "authorizer `{name}` has the auth type \"{other}\"; expected TOKEN or REQUEST"
        ))),
    }
}

/// A Lambda authorizer's scheme. A TOKEN authorizer names its header; a REQUEST one lists its
/// `identitySource`, and its apiKey `in`/`name` are the one header or query parameter when
/// there is exactly one, else `header`/`Unused`, as API Gateway documents.
fn lambda_scheme(
    header: &str,
    request: bool,
    identity_sources: &[String],
    mut inner: Map<String, Value>,
) -> Value {
    let (location, name) = if request {
        inner.insert(
            "identitySource".into(),
            json!(naming::identity_source(identity_sources)),
        );
        match identity_sources {
            [one] => match one.split_once('.') {
                Some(("header", name)) => ("header", name),
                Some(("querystring", name)) => ("query", name),
                _ => ("header", "Unused"),
            },
            _ => ("header", "Unused"),
        }
    } else {
        ("header", header)
    };
    json!({
        "in": location,
        "type": "apiKey",
        "name": name,
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": inner
    })
}

#[cfg(test)]
mod tests;
