//! An HTTP API's definition: OpenAPI 3.0 as API Gateway v2 imports and exports it. Each route
//! is an operation proxied to the API handler with payload format 2.0; JWT authorizers are
//! `oauth2` schemes with a `jwt` authorizer, Lambda authorizers `apiKey` schemes with a
//! `request` authorizer of payload 2.0, IAM the `awsSigv4` scheme; CORS is the API's
//! `x-amazon-apigateway-cors`.

use serde_json::{Map, Value, json};

use super::Uris;
use crate::error::{Error, Result};
use crate::model::Target;
use crate::model::http_api::{
    HttpApi, HttpAuthorizer, HttpAuthorizerKind, HttpRoute, INTEGRATION_METHOD,
    PAYLOAD_FORMAT_VERSION,
};

/// The OpenAPI key API Gateway reads an `ANY` route's operation from.
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";

/// The HTTP API with its Lambda URIs, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpDefinition {
    api: HttpApi,
    /// The API handler's integration URI.
    handler_uri: Value,
    /// Security schemes in order of first use, keyed by name.
    security_schemes: Vec<(String, Value)>,
}

impl HttpDefinition {
    /// The model's `api`, its Lambda URIs from `uris`.
    pub fn of(api: &HttpApi, uris: &Uris) -> Result<HttpDefinition> {
        let mut security_schemes: Vec<(String, Value)> = Vec::new();
        for route in &api.routes {
            if let Some(name) = &route.authorizer
                && !security_schemes.iter().any(|(known, _)| known == name)
            {
                let authorizer = api.authorizer(name).ok_or_else(|| {
                    Error::new(format!(
                        "route {} names authorizer `{name}`, which the API does not hold",
                        route.route_key()
                    ))
                })?;
                security_schemes.push((name.clone(), security_scheme(authorizer, uris)?));
            }
        }
        Ok(HttpDefinition {
            api: api.clone(),
            handler_uri: uris.api_handler()?,
            security_schemes,
        })
    }

    /// The OpenAPI 3.0 document.
    pub fn openapi3(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("openapi".into(), json!("3.0.1"));
        doc.insert(
            "info".into(),
            json!({"version": "1.0", "title": self.api.name}),
        );
        let mut paths: Map<String, Value> = Map::new();
        for route in &self.api.routes {
            let methods = paths
                .entry(route.path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(methods) = methods {
                methods.insert(operation_key(&route.method), self.operation(route));
            }
        }
        doc.insert("paths".into(), Value::Object(paths));
        if !self.security_schemes.is_empty() {
            doc.insert(
                "components".into(),
                json!({"securitySchemes": Value::Object(self.security_schemes.iter().cloned().collect())}),
            );
        }
        if let Some(cors) = &self.api.cors {
            doc.insert(
                "x-amazon-apigateway-cors".into(),
                cors.to_json([
                    "allowOrigins",
                    "allowMethods",
                    "allowHeaders",
                    "exposeHeaders",
                    "maxAge",
                    "allowCredentials",
                ]),
            );
        }
        Value::Object(doc)
    }

    fn operation(&self, route: &HttpRoute) -> Value {
        let mut operation = Map::new();
        if !route.path_params.is_empty() {
            let params: Vec<Value> = route
                .path_params
                .iter()
                .map(|name| {
                    json!({"name": name, "in": "path", "required": true,
                           "schema": {"type": "string"}})
                })
                .collect();
            operation.insert("parameters".into(), Value::Array(params));
        }
        operation.insert(
            "responses".into(),
            json!({"default": {"description": "Default response"}}),
        );
        if let Some(name) = &route.authorizer {
            operation.insert(
                "security".into(),
                json!([{ name.clone(): route.authorization_scopes() }]),
            );
        }
        operation.insert(
            "x-amazon-apigateway-integration".into(),
            json!({
                "type": "aws_proxy",
                "httpMethod": INTEGRATION_METHOD,
                "uri": self.handler_uri,
                "payloadFormatVersion": PAYLOAD_FORMAT_VERSION
            }),
        );
        Value::Object(operation)
    }
}

/// The path item key of `method`: lower case, `ANY` as API Gateway's extension.
fn operation_key(method: &str) -> String {
    if method == "ANY" {
        ANY_METHOD.to_owned()
    } else {
        method.to_ascii_lowercase()
    }
}

/// The security scheme of one authorizer.
pub fn security_scheme(authorizer: &HttpAuthorizer, uris: &Uris) -> Result<Value> {
    match &authorizer.kind {
        HttpAuthorizerKind::Iam => Ok(json!({
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4"
        })),
        HttpAuthorizerKind::Jwt(jwt) => Ok(json!({
            "type": "oauth2",
            "flows": {},
            "x-amazon-apigateway-authorizer": {
                "type": "jwt",
                "jwtConfiguration": {"issuer": jwt.issuer, "audience": jwt.audiences},
                "identitySource": jwt.identity_source
            }
        })),
        HttpAuthorizerKind::Lambda(lambda) => {
            let uri = match &lambda.target {
                Target::Function(function) => uris.authorizer(function)?,
                Target::Uri(uri) => json!(uri),
                Target::None => {
                    return Err(Error::new(format!(
                        "authorizer `{}` is a Lambda authorizer without a Lambda",
                        authorizer.name
                    )));
                }
            };
            let mut inner = Map::new();
            inner.insert("type".into(), json!("request"));
            inner.insert(
                "identitySource".into(),
                json!(lambda.identity_sources.join(",")),
            );
            inner.insert("authorizerUri".into(), uri);
            inner.insert(
                "authorizerPayloadFormatVersion".into(),
                json!(PAYLOAD_FORMAT_VERSION),
            );
            inner.insert(
                "authorizerResultTtlInSeconds".into(),
                json!(lambda.ttl_seconds),
            );
            inner.insert(
                "enableSimpleResponses".into(),
                json!(lambda.simple_responses),
            );
            if let Some(role) = &lambda.credentials {
                inner.insert("authorizerCredentials".into(), json!(role));
            }
            let (location, name) = api_key_location(&lambda.identity_sources);
            Ok(json!({
                "type": "apiKey",
                "name": name,
                "in": location,
                "x-amazon-apigateway-authorizer": inner
            }))
        }
    }
}

/// The apiKey `in`/`name` of a Lambda authorizer: its one header or query parameter when it
/// has exactly one source, else `header`/`Unused`, as API Gateway exports it.
fn api_key_location(identity_sources: &[String]) -> (&'static str, &str) {
    match identity_sources {
        [one] => {
            if let Some(header) = one.strip_prefix("$request.header.") {
                ("header", header)
            } else if let Some(query) = one.strip_prefix("$request.querystring.") {
                ("query", query)
            } else {
                ("header", "Unused")
            }
        }
        _ => ("header", "Unused"),
    }
}

#[cfg(test)]
mod tests;
