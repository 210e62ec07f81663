//! The API definition: Swagger 2.0 (what API Gateway imports, shaped as Chalice's
//! `SwaggerGenerator` writes it) and OpenAPI 3, both spelt from the model's [`RestApi`].
//!
//! Only the Lambda URIs differ between the places the document goes, so they come from a
//! [`Uris`] strategy, as Chalice's generator subclasses: plain ARNs, `generate-models`-style
//! placeholders, CloudFormation `Fn::Sub`, or Terraform interpolations.

use chalice_runtime::lambda::API_HANDLER;
use chalice_runtime::manifest::Manifest;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::model::{
    self, ApiSettings, Authorizer, AuthorizerKind, Method, Preflight, RestApi, Target,
};
use crate::naming;
use crate::project::{Profile, Project};

pub mod http;

pub use self::http::HttpDefinition;

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
    /// The API handler's invocation URI.
    pub fn api_handler(&self) -> Result<Value> {
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
            Uris::Terraform => {
                Value::String(format!("${{aws_lambda_function.{API_HANDLER}.invoke_arn}}"))
            }
        })
    }

    /// The invocation URI of the built-in authorizer `name`'s function.
    pub fn authorizer(&self, name: &str) -> Result<Value> {
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

/// The API of the project's app on `stage`, for `generate-openapi`: the config is checked,
/// then a debug build gives the manifest (the document does not depend on the build profile).
/// Only the model's API is resolved, so the functions' IAM policy files need not exist.
pub fn for_project(project: &Project, stage: &str, uris: &Uris) -> Result<Definition> {
    let stage = project.config().stage(stage)?;
    ApiSettings::for_stage(&stage, project.dir())?;
    let app = project.build(Profile::Debug)?;
    let chalice_dir = project.dir().join(".chalice");
    let api = model::Api::resolve(&app.manifest, &stage, &|file| {
        model::read_json(&chalice_dir.join(file))
    })?;
    Definition::of(&api, uris)
}

/// The document formats `generate-openapi` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFormat {
    /// Swagger 2.0 (REST APIs).
    Swagger,
    /// OpenAPI 3.0.
    Openapi3,
}

/// The definition of either kind of API.
#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    /// A REST API's.
    Rest(Api),
    /// An HTTP API's.
    Http(HttpDefinition),
}

impl Definition {
    /// The definition of the model's `api`, its Lambda URIs from `uris`.
    pub fn of(api: &model::Api, uris: &Uris) -> Result<Definition> {
        Ok(match api {
            model::Api::Rest(api) => Definition::Rest(Api::of(api, uris)?),
            model::Api::Http(api) => Definition::Http(HttpDefinition::of(api, uris)?),
        })
    }

    /// The document in `format`; without one, Swagger 2.0 for a REST API (as Chalice) and
    /// OpenAPI 3.0 for an HTTP API, the only format API Gateway documents its HTTP API
    /// extensions in.
    pub fn document(&self, format: Option<SpecFormat>) -> Result<Value> {
        match (self, format) {
            (Definition::Rest(api), None | Some(SpecFormat::Swagger)) => Ok(api.swagger()),
            (Definition::Rest(api), Some(SpecFormat::Openapi3)) => Ok(api.openapi3()),
            (Definition::Http(api), None | Some(SpecFormat::Openapi3)) => Ok(api.openapi3()),
            (Definition::Http(_), Some(SpecFormat::Swagger)) => Err(Error::new(
                "the app is an HTTP API, whose JWT and Lambda authorizers API Gateway describes in OpenAPI 3.0 only: use `--format openapi3` (the default for an HTTP API)",
            )),
        }
    }
}

/// The API with its Lambda URIs, ready to be written in either format.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    api: RestApi,
    /// The API handler's integration URI.
    handler_uri: Value,
    /// Security schemes in order of first use, keyed by name.
    security_schemes: Vec<(String, Value)>,
}

impl Api {
    /// The API `manifest` declares, with `settings`, its Lambda URIs from `uris`.
    pub fn new(manifest: &Manifest, uris: &Uris, settings: ApiSettings) -> Result<Api> {
        Api::of(&RestApi::new(manifest, settings)?, uris)
    }

    /// The model's `api`, its Lambda URIs from `uris`.
    pub fn of(api: &RestApi, uris: &Uris) -> Result<Api> {
        let mut security_schemes: Vec<(String, Value)> = Vec::new();
        for method in &api.methods {
            if let Some(name) = &method.authorizer
                && !security_schemes.iter().any(|(known, _)| known == name)
            {
                let authorizer = api.authorizer(name).ok_or_else(|| {
                    Error::new(format!(
                        "route {} names authorizer `{name}`, which the API does not hold",
                        method.path
                    ))
                })?;
                security_schemes.push((name.clone(), security_scheme(authorizer, uris)?));
            }
            if method.api_key_required && !security_schemes.iter().any(|(k, _)| k == "api_key") {
                security_schemes.push((
                    "api_key".to_owned(),
                    json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
                ));
            }
        }
        Ok(Api {
            api: api.clone(),
            handler_uri: uris.api_handler()?,
            security_schemes,
        })
    }

    /// Swagger 2.0, key for key as Chalice's `generate_swagger`.
    pub fn swagger(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("swagger".into(), json!("2.0"));
        doc.insert(
            "info".into(),
            json!({"version": "1.0", "title": self.api.name}),
        );
        doc.insert("schemes".into(), json!(["https"]));
        let mut paths = Map::new();
        for resource in self.api.resources() {
            let mut methods = Map::new();
            for op in &resource.methods {
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
                    proxy_integration(&self.handler_uri),
                );
                if let Some(security) = security_requirements(op) {
                    method.insert("security".into(), security);
                }
                if !op.path_params.is_empty() {
                    let params: Vec<Value> = op
                        .path_params
                        .iter()
                        .map(|name| json!({"name": name, "in": "path", "required": true, "type": "string"}))
                        .collect();
                    method.insert("parameters".into(), Value::Array(params));
                }
                methods.insert(op.http_method.to_ascii_lowercase(), Value::Object(method));
            }
            if let Some(preflight) = &resource.preflight {
                let headers: Map<String, Value> = preflight
                    .headers()
                    .iter()
                    .map(|(name, _)| ((*name).to_owned(), json!({"type": "string"})))
                    .collect();
                methods.insert(
                    "options".into(),
                    json!({
                        "consumes": ["application/json"],
                        "produces": ["application/json"],
                        "responses": {"200": {"description": "200 response",
                                              "schema": {"$ref": "#/definitions/Empty"},
                                              "headers": headers}},
                        "x-amazon-apigateway-integration": mock_integration(preflight),
                    }),
                );
            }
            paths.insert(resource.path.to_owned(), Value::Object(methods));
        }
        doc.insert("paths".into(), Value::Object(paths));
        doc.insert(
            "definitions".into(),
            json!({"Empty": {"type": "object", "title": "Empty Schema"}}),
        );
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(self.api.settings.binary_media_types),
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
            json!({"version": "1.0", "title": self.api.name}),
        );
        let mut paths = Map::new();
        for resource in self.api.resources() {
            let mut methods = Map::new();
            for op in &resource.methods {
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
                if let Some(security) = security_requirements(op) {
                    method.insert("security".into(), security);
                }
                method.insert(
                    "x-amazon-apigateway-integration".into(),
                    proxy_integration(&self.handler_uri),
                );
                methods.insert(op.http_method.to_ascii_lowercase(), Value::Object(method));
            }
            if let Some(preflight) = &resource.preflight {
                let headers: Map<String, Value> = preflight
                    .headers()
                    .iter()
                    .map(|(name, _)| ((*name).to_owned(), json!({"schema": {"type": "string"}})))
                    .collect();
                methods.insert(
                    "options".into(),
                    json!({
                        "responses": {"200": {"description": "200 response",
                                              "headers": headers, "content": empty}},
                        "x-amazon-apigateway-integration": mock_integration(preflight),
                    }),
                );
            }
            paths.insert(resource.path.to_owned(), Value::Object(methods));
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
            json!(self.api.settings.binary_media_types),
        );
        self.add_api_extensions(&mut doc);
        Value::Object(doc)
    }

    fn schemes(&self) -> Value {
        Value::Object(self.security_schemes.iter().cloned().collect())
    }

    fn add_api_extensions(&self, doc: &mut Map<String, Value>) {
        let responses: Map<String, Value> = self
            .api
            .gateway_responses()
            .iter()
            .map(|response| {
                (
                    response.response_type.to_owned(),
                    json!({"responseParameters": response.response_parameters()}),
                )
            })
            .collect();
        if !responses.is_empty() {
            doc.insert(
                "x-amazon-apigateway-gateway-responses".into(),
                Value::Object(responses),
            );
        }
        let settings = &self.api.settings;
        if let Some(policy) = &settings.policy {
            doc.insert("x-amazon-apigateway-policy".into(), policy.clone());
        }
        if !settings.vpce_ids.is_empty() {
            doc.insert(
                "x-amazon-apigateway-endpoint-configuration".into(),
                json!({"vpcEndpointIds": settings.vpce_ids}),
            );
        }
    }
}

/// A method's `security`: `api_key` first, as Chalice orders them, then its authorizer with
/// the route's scopes.
fn security_requirements(method: &Method) -> Option<Value> {
    let mut security = Vec::new();
    if method.api_key_required {
        security.push(json!({"api_key": []}));
    }
    if let Some(name) = &method.authorizer {
        security.push(json!({ name.clone(): method.scopes }));
    }
    (!security.is_empty()).then_some(Value::Array(security))
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

/// The `mock` integration answering a CORS preflight with its headers.
fn mock_integration(preflight: &Preflight) -> Value {
    let parameters: Map<String, Value> = preflight
        .headers()
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

/// The security scheme of one authorizer, keys in Chalice's order.
pub fn security_scheme(authorizer: &Authorizer, uris: &Uris) -> Result<Value> {
    let request = match &authorizer.kind {
        AuthorizerKind::Iam => {
            return Ok(json!({
                "in": "header",
                "type": "apiKey",
                "name": "Authorization",
                "x-amazon-apigateway-authtype": "awsSigv4"
            }));
        }
        AuthorizerKind::CognitoUserPools {
            header,
            provider_arns,
        } => {
            return Ok(json!({
                "in": "header",
                "type": "apiKey",
                "name": header,
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": provider_arns
                }
            }));
        }
        AuthorizerKind::Token { .. } => false,
        AuthorizerKind::Request { .. } => true,
    };
    let mut inner = Map::new();
    inner.insert(
        "type".into(),
        json!(if request { "request" } else { "token" }),
    );
    let credentials = authorizer.credentials.as_ref().map(|role| json!(role));
    let ttl = authorizer.ttl_seconds.map(|ttl| json!(ttl));
    // Chalice writes a built-in authorizer's role before its TTL, a custom one's after.
    let rest = match &authorizer.target {
        Target::Function(function) => {
            inner.insert("authorizerUri".into(), uris.authorizer(function)?);
            [
                ("authorizerCredentials", credentials),
                ("authorizerResultTtlInSeconds", ttl),
            ]
        }
        Target::Uri(uri) => {
            inner.insert("authorizerUri".into(), json!(uri));
            [
                ("authorizerResultTtlInSeconds", ttl),
                ("authorizerCredentials", credentials),
            ]
        }
        Target::None => {
            return Err(Error::new(format!(
                "authorizer `{}` is a Lambda authorizer without a Lambda",
                authorizer.name
            )));
        }
    };
    for (key, value) in rest {
        if let Some(value) = value {
            inner.insert(key.into(), value);
        }
    }
    Ok(lambda_scheme(&authorizer.kind, inner))
}

/// A Lambda authorizer's scheme. A TOKEN authorizer names its header; a REQUEST one lists its
/// `identitySource`, and its apiKey `in`/`name` are the one header or query parameter when
/// there is exactly one, else `header`/`Unused`, as API Gateway documents.
fn lambda_scheme(kind: &AuthorizerKind, mut inner: Map<String, Value>) -> Value {
    let (location, name) = match kind {
        AuthorizerKind::Request { identity_sources } => {
            inner.insert("identitySource".into(), json!(kind.identity_source()));
            match &identity_sources[..] {
                [one] => match one.split_once('.') {
                    Some(("header", name)) => ("header", name),
                    Some(("querystring", name)) => ("query", name),
                    _ => ("header", "Unused"),
                },
                _ => ("header", "Unused"),
            }
        }
        AuthorizerKind::Token { header } | AuthorizerKind::CognitoUserPools { header, .. } => {
            ("header", header.as_str())
        }
        AuthorizerKind::Iam => ("header", "Authorization"),
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
