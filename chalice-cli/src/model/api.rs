//! The REST API of a stage: its settings, each route's methods as API Gateway authorizes them,
//! the CORS preflights API Gateway answers itself, and the authorizers.

use std::path::Path;

use chalice_runtime::manifest::{Manifest, ManifestRoute};
use serde_json::{Value, json};

use super::authorizer::{AuthorizationType, Authorizer};
use crate::config::{EndpointType, Stage};
use crate::error::{Error, Result};

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

/// The settings of the REST API that come from the config rather than the app.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSettings {
    /// EDGE, REGIONAL or PRIVATE.
    pub endpoint_type: EndpointType,
    /// The API Gateway stage.
    pub stage_name: String,
    /// `minimum_compression_size`.
    pub minimum_compression_size: Option<u32>,
    /// `x-amazon-apigateway-binary-media-types`.
    pub binary_media_types: Vec<String>,
    /// The resource policy (`x-amazon-apigateway-policy`).
    pub policy: Option<Value>,
    /// The VPC endpoints of a PRIVATE API.
    pub vpce_ids: Vec<String>,
}

impl Default for ApiSettings {
    fn default() -> ApiSettings {
        ApiSettings::chalice_defaults()
    }
}

impl ApiSettings {
    /// Chalice's defaults: an EDGE API on stage `api`, its binary types, no policy.
    pub fn chalice_defaults() -> ApiSettings {
        ApiSettings {
            endpoint_type: EndpointType::Edge,
            stage_name: "api".to_owned(),
            minimum_compression_size: None,
            binary_media_types: DEFAULT_BINARY_TYPES.map(str::to_owned).to_vec(),
            policy: None,
            vpce_ids: Vec::new(),
        }
    }

    /// The settings of `stage` in the project at `project_dir`: the resource policy from
    /// `.chalice/<api_gateway_policy_file>`, or for a PRIVATE API without one, Chalice's policy
    /// allowing its VPC endpoints.
    pub fn for_stage(stage: &Stage<'_>, project_dir: &Path) -> Result<ApiSettings> {
        let chalice_dir = project_dir.join(".chalice");
        ApiSettings::for_stage_with(stage, &|file| read_json(&chalice_dir.join(file)))
    }

    /// [`ApiSettings::for_stage`], the policy file read by `read`.
    pub fn for_stage_with(stage: &Stage<'_>, read: &ReadJson<'_>) -> Result<ApiSettings> {
        let vpce = stage.endpoint_vpce();
        let policy_file = stage.api_gateway_policy_file();
        let endpoint_type = stage.endpoint_type();
        let private = endpoint_type == EndpointType::Private;
        let at_fault = |message: &str| stage.error(message);
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
            Some(file) => Some(read(&file).map_err(|error| {
                Error::new(format!(
                    "{error} (the REST API's resource policy, `api_gateway_policy_file`)"
                ))
            })?),
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
            endpoint_type,
            stage_name: stage.api_gateway_stage(),
            minimum_compression_size: stage.minimum_compression_size(),
            policy,
            vpce_ids: vpce,
            ..ApiSettings::chalice_defaults()
        })
    }
}

/// Reads a JSON document under `.chalice/` by its file name there.
pub type ReadJson<'a> = dyn Fn(&str) -> Result<Value> + 'a;

/// Reads a JSON document (a policy file), naming the file when it cannot.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Error::new(format!("{}: cannot read: {error}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|error| Error::new(format!("{}: not valid JSON: {error}", path.display())))
}

/// The REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct RestApi {
    /// Its name: the app's.
    pub name: String,
    /// What the config sets.
    pub settings: ApiSettings,
    /// Every method, in the manifest's order of routes and their methods.
    pub methods: Vec<Method>,
    /// Every authorizer the app declares, in manifest order.
    pub authorizers: Vec<Authorizer>,
}

/// One method of one route, as API Gateway authorizes it; every one is proxied to the API
/// handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// The resource path.
    pub path: String,
    /// The HTTP method, as the manifest spells it (upper case).
    pub http_method: String,
    /// The view's name.
    pub view_name: String,
    /// How it is authorized.
    pub authorization_type: AuthorizationType,
    /// The authorizer's name (IAM's included), if any.
    pub authorizer: Option<String>,
    /// The OAuth scopes the route asks for.
    pub scopes: Vec<String>,
    /// Whether an API key is required.
    pub api_key_required: bool,
    /// Whether the view answers with CORS headers.
    pub cors: bool,
    /// The accepted request content types.
    pub content_types: Vec<String>,
    /// The `{param}` names of the path, in order.
    pub path_params: Vec<String>,
}

impl Method {
    /// The API Gateway authorizer resource the method names: a Cognito or Lambda authorizer's
    /// (IAM has none).
    pub fn gateway_authorizer(&self) -> Option<&str> {
        match self.authorization_type {
            AuthorizationType::CognitoUserPools | AuthorizationType::Custom => {
                self.authorizer.as_deref()
            }
            AuthorizationType::None | AuthorizationType::AwsIam => None,
        }
    }

    /// The method's `authorizationScopes`: API Gateway checks scopes only for Cognito.
    pub fn authorization_scopes(&self) -> &[String] {
        if self.authorization_type == AuthorizationType::CognitoUserPools {
            &self.scopes
        } else {
            &[]
        }
    }
}

/// One resource path and what it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource<'a> {
    /// The path.
    pub path: &'a str,
    /// Its methods, in manifest order.
    pub methods: Vec<&'a Method>,
    /// The CORS preflight API Gateway answers on it, if any.
    pub preflight: Option<Preflight>,
}

/// A CORS preflight (`OPTIONS`) answered by API Gateway itself with a mock integration, never
/// authorized, as the runtime's local gateway answers it: on a path with CORS views and no
/// `OPTIONS` view of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// `Access-Control-Allow-Methods`.
    pub allow_methods: String,
}

impl Preflight {
    /// The preflight's response headers, name and value, in Chalice's order.
    pub fn headers(&self) -> [(&'static str, &str); 3] {
        [
            ("Access-Control-Allow-Methods", &self.allow_methods),
            (
                "Access-Control-Allow-Origin",
                chalice_runtime::cors::ALLOW_ORIGIN,
            ),
            (
                "Access-Control-Allow-Headers",
                chalice_runtime::cors::ALLOW_HEADERS,
            ),
        ]
    }
}

impl RestApi {
    /// The API `manifest` declares, with `settings`.
    pub fn new(manifest: &Manifest, settings: ApiSettings) -> Result<RestApi> {
        let mut authorizers = Vec::new();
        for declared in &manifest.authorizers {
            let used = manifest
                .routes
                .iter()
                .any(|route| route.authorizer.as_deref() == Some(declared.name()));
            authorizers.push(Authorizer::new(declared, used)?);
        }
        let mut methods: Vec<Method> = Vec::new();
        for route in &manifest.routes {
            let authorizer = match &route.authorizer {
                None => None,
                Some(name) => Some(find_authorizer(&authorizers, route, name)?),
            };
            for http_method in &route.methods {
                if methods.iter().any(|known| {
                    known.path == route.path && known.http_method.eq_ignore_ascii_case(http_method)
                }) {
                    return Err(Error::new(format!(
                        "the manifest has two views for {} {} (the second is `{}`)",
                        http_method.to_ascii_uppercase(),
                        route.path,
                        route.view_name
                    )));
                }
                methods.push(Method {
                    path: route.path.clone(),
                    http_method: http_method.clone(),
                    view_name: route.view_name.clone(),
                    authorization_type: authorizer
                        .map_or(AuthorizationType::None, |a| a.kind.authorization_type()),
                    authorizer: route.authorizer.clone(),
                    scopes: route.scopes.clone(),
                    api_key_required: route.api_key_required,
                    cors: route.cors,
                    content_types: route.content_types.clone(),
                    path_params: route.path_params.clone(),
                });
            }
        }
        Ok(RestApi {
            name: manifest.app_name.clone(),
            settings,
            methods,
            authorizers,
        })
    }

    /// The resources, in order of first appearance, each with its methods and preflight.
    pub fn resources(&self) -> Vec<Resource<'_>> {
        let mut resources: Vec<Resource<'_>> = Vec::new();
        for method in &self.methods {
            match resources.iter_mut().find(|r| r.path == method.path) {
                Some(resource) => resource.methods.push(method),
                None => resources.push(Resource {
                    path: &method.path,
                    methods: vec![method],
                    preflight: None,
                }),
            }
        }
        for resource in &mut resources {
            let has_options = resource
                .methods
                .iter()
                .any(|m| m.http_method.eq_ignore_ascii_case("OPTIONS"));
            let cors: Vec<String> = resource
                .methods
                .iter()
                .filter(|m| m.cors)
                .map(|m| m.http_method.to_ascii_uppercase())
                .collect();
            if !cors.is_empty() && !has_options {
                resource.preflight = Some(Preflight {
                    allow_methods: chalice_runtime::cors::allow_methods(
                        cors.iter().map(String::as_str),
                    ),
                });
            }
        }
        resources
    }

    /// The authorizer `name`.
    pub fn authorizer(&self, name: &str) -> Option<&Authorizer> {
        self.authorizers.iter().find(|a| a.name == name)
    }

    /// The authorizer resources API Gateway holds (see [`Authorizer::held_by_api`]).
    pub fn gateway_authorizers(&self) -> impl Iterator<Item = &Authorizer> {
        self.authorizers.iter().filter(|a| a.held_by_api())
    }
}

fn find_authorizer<'a>(
    authorizers: &'a [Authorizer],
    route: &ManifestRoute,
    name: &str,
) -> Result<&'a Authorizer> {
    authorizers.iter().find(|a| a.name == name).ok_or_else(|| {
        Error::new(format!(
            "route {} names authorizer `{name}`, which the app's manifest does not declare (view `{}`)",
            route.path, route.view_name
        ))
    })
}
