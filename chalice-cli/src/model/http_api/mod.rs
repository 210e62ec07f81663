//! The HTTP API (API Gateway v2) of a stage: its routes (`GET /orders/{id}`) as API Gateway
//! authorizes them, its authorizers, the one Lambda proxy integration (payload 2.0) to the API
//! handler, the auto-deployed stage, the CORS configuration, the tags and the invoke
//! permissions. SAM, Terraform, OpenAPI and the deployer all read these decisions from here.
//!
//! REST-only settings are errors naming the config key or route, as API Gateway has no
//! equivalent: API keys (`api_keys`, `api_key_required`), `minimum_compression_size`,
//! `api_gateway_policy_file`, `api_gateway_endpoint_vpce` and an endpoint type other than
//! REGIONAL (HTTP APIs are regional). A documented no-op: binary media types (payload 2.0 says
//! `isBase64Encoded` itself).

pub mod authorizer;

use std::collections::BTreeMap;

use chalice_runtime::lambda::API_HANDLER;
use chalice_runtime::manifest::{Manifest, ManifestRoute};

pub use self::authorizer::{
    HttpAuthorizer, HttpAuthorizerKind, JwtAuthorizer, LambdaAuthorizer, PAYLOAD_FORMAT_VERSION,
    http_identity_source,
};
use super::authorizer::{AuthorizationType, Target};
use super::function::ROUTE_INVOKE_SCOPE;
use crate::config::{EndpointType, Stage};
use crate::error::{Error, Result};
use crate::naming;

/// The integration type of the API handler's integration: Lambda proxy.
pub const INTEGRATION_TYPE: &str = "AWS_PROXY";

/// The HTTP method API Gateway invokes a Lambda with.
pub const INTEGRATION_METHOD: &str = "POST";

/// The protocol of the API.
pub const PROTOCOL_TYPE: &str = "HTTP";

/// The settings of the HTTP API that come from the config rather than the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// The API Gateway stage (`api_gateway_stage`, default `api`), deployed automatically.
    pub stage_name: String,
    /// The stage variables (`stage_variables`).
    pub stage_variables: BTreeMap<String, String>,
    /// The API's tags: the API handler's config tags, then chalice-rs's.
    pub tags: BTreeMap<String, String>,
}

impl HttpSettings {
    /// The settings of `stage` of the app `app`; a REST-only setting is an error naming its
    /// key.
    pub fn for_stage(stage: &Stage<'_>, app: &str) -> Result<HttpSettings> {
        let rest_only = |key: &str, why: &str| {
            stage.error(&format!(
                "`{key}` is a REST API setting, but the app is an HTTP API: {why}; remove it for this app"
            ))
        };
        match stage.endpoint_type_setting() {
            None | Some(EndpointType::Regional) => {}
            Some(other) => {
                return Err(rest_only(
                    "api_gateway_endpoint_type",
                    &format!(
                        "HTTP APIs are always REGIONAL, not {} (put CloudFront in front for an edge endpoint)",
                        other.as_str()
                    ),
                ));
            }
        }
        if !stage.endpoint_vpce().is_empty() {
            return Err(rest_only(
                "api_gateway_endpoint_vpce",
                "HTTP APIs have no private endpoints",
            ));
        }
        if stage.api_gateway_policy_file().is_some() {
            return Err(rest_only(
                "api_gateway_policy_file",
                "HTTP APIs have no resource policies (use an authorizer or IAM routes)",
            ));
        }
        if stage.minimum_compression_size().is_some() {
            return Err(rest_only(
                "minimum_compression_size",
                "HTTP APIs do not compress responses",
            ));
        }
        if !stage.api_keys().is_empty() {
            return Err(rest_only(
                "api_keys",
                "HTTP APIs have no API keys or usage plans",
            ));
        }
        if stage.custom_domain().is_some() {
            return Err(rest_only(
                "api_gateway_custom_domain",
                "chalice-rs does not support custom domains for HTTP APIs yet",
            ));
        }
        Ok(HttpSettings {
            stage_name: stage.api_gateway_stage(),
            stage_variables: stage.stage_variables(),
            tags: naming::function_tags(app, stage.name(), &stage.function(API_HANDLER).tags),
        })
    }
}

/// The HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApi {
    /// Its name: the app's (as the REST API's).
    pub name: String,
    /// What the config sets.
    pub settings: HttpSettings,
    /// Every route, in the manifest's order of routes and their methods.
    pub routes: Vec<HttpRoute>,
    /// Every authorizer the app declares, in manifest order.
    pub authorizers: Vec<HttpAuthorizer>,
    /// The API-wide CORS configuration, when a route asks for CORS.
    pub cors: Option<Cors>,
}

/// One route: a method on a path, proxied to the API handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path (`/orders/{id}`, `/{proxy+}`).
    pub path: String,
    /// The view's name.
    pub view_name: String,
    /// How it is authorized: NONE, JWT, CUSTOM or AWS_IAM.
    pub authorization_type: AuthorizationType,
    /// The authorizer it names (IAM's included), if any.
    pub authorizer: Option<String>,
    /// The scopes the route asks for.
    pub scopes: Vec<String>,
    /// The `{param}` names of the path, in order.
    pub path_params: Vec<String>,
    /// A name for its resource in templates, unique in the API: lower-case letters, digits and
    /// `_`, starting with the method (`get_orders_id`); its CamelCase (`GetOrdersId`, see
    /// [`naming::cfn_resource_name`]) is unique too.
    pub resource_name: String,
}

impl HttpRoute {
    /// API Gateway's route key: `GET /orders/{id}`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The authorizer resource the route names: a JWT or Lambda authorizer's (IAM has none).
    pub fn gateway_authorizer(&self) -> Option<&str> {
        match self.authorization_type {
            AuthorizationType::Jwt | AuthorizationType::Custom => self.authorizer.as_deref(),
            _ => None,
        }
    }

    /// The route's `AuthorizationScopes`: an HTTP API checks scopes only for JWT authorizers.
    pub fn authorization_scopes(&self) -> &[String] {
        if self.authorization_type == AuthorizationType::Jwt {
            &self.scopes
        } else {
            &[]
        }
    }
}

/// The API's CORS configuration. An HTTP API configures CORS once for every route, and answers
/// preflights itself: the origin, headers and settings are those of the app's CORS
/// configuration (its CORS views share one, see `chalice_runtime::contract::gateway_cors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// `AllowOrigins`.
    pub allow_origins: Vec<String>,
    /// `AllowMethods`: the CORS routes' methods, then `OPTIONS`.
    pub allow_methods: Vec<String>,
    /// `AllowHeaders`.
    pub allow_headers: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `MaxAge`, in seconds, when set.
    pub max_age: Option<u32>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

impl Cors {
    /// The configuration as JSON with the keys each format spells them with, in the order
    /// origins, methods, headers, expose headers, max age, credentials; the last three only
    /// when set, so a default configuration reads as API Gateway's own defaults.
    pub fn to_json(&self, keys: [&str; 6]) -> serde_json::Value {
        let [origins, methods, headers, expose, max_age, credentials] = keys;
        let mut object = serde_json::Map::new();
        object.insert(origins.into(), serde_json::json!(self.allow_origins));
        object.insert(methods.into(), serde_json::json!(self.allow_methods));
        object.insert(headers.into(), serde_json::json!(self.allow_headers));
        if !self.expose_headers.is_empty() {
            object.insert(expose.into(), serde_json::json!(self.expose_headers));
        }
        if let Some(seconds) = self.max_age {
            object.insert(max_age.into(), serde_json::json!(seconds));
        }
        if self.allow_credentials {
            object.insert(credentials.into(), serde_json::json!(true));
        }
        serde_json::Value::Object(object)
    }
}

/// Who may invoke a function through the API, which scopes its Lambda permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeScope {
    /// Any route of the API (`<execution arn>/<stage>/<METHOD>/<path>`, see
    /// [`ROUTE_INVOKE_SCOPE`]), never an authorizer: the API handler.
    AnyRoute,
    /// The authorizer of this name (`<execution arn>/authorizers/<id>`).
    Authorizer(String),
}

impl InvokeScope {
    /// The permission's source ARN under the API's `execution_arn`
    /// (`arn:<partition>:execute-api:<region>:<account>:<api id>`), `authorizer_id` giving an
    /// authorizer's id from its name. Templates pass their references, the deployer real ids.
    pub fn source_arn(
        &self,
        execution_arn: &str,
        authorizer_id: impl Fn(&str) -> String,
    ) -> String {
        match self {
            InvokeScope::AnyRoute => format!("{execution_arn}{ROUTE_INVOKE_SCOPE}"),
            InvokeScope::Authorizer(name) => {
                format!("{execution_arn}/authorizers/{}", authorizer_id(name))
            }
        }
    }
}

/// `arn:<partition>:execute-api:<region>:<account>:<api id>`, the prefix of the API's
/// invocation ARNs.
pub fn execution_arn(partition: &str, region: &str, account: &str, api_id: &str) -> String {
    format!("arn:{partition}:execute-api:{region}:{account}:{api_id}")
}

impl HttpApi {
    /// The API `manifest` declares, with `settings`; REST-only route settings and authorizers
    /// are errors naming them.
    pub fn new(manifest: &Manifest, settings: HttpSettings) -> Result<HttpApi> {
        let mut authorizers = Vec::new();
        for declared in &manifest.authorizers {
            let users: Vec<&ManifestRoute> = manifest
                .routes
                .iter()
                .filter(|route| route.authorizer.as_deref() == Some(declared.name()))
                .collect();
            authorizers.push(HttpAuthorizer::new(declared, &users)?);
        }
        let mut routes: Vec<HttpRoute> = Vec::new();
        let mut taken: Vec<String> = Vec::new();
        for route in &manifest.routes {
            let authorizer = match &route.authorizer {
                None => None,
                Some(name) => Some(authorizers.iter().find(|a| a.name == *name).ok_or_else(
                    || {
                        Error::new(format!(
                            "route {} names authorizer `{name}`, which the app's manifest does not declare (view `{}`)",
                            route.path, route.view_name
                        ))
                    },
                )?),
            };
            for method in &route.methods {
                let method = method.to_ascii_uppercase();
                if route.api_key_required {
                    return Err(Error::new(format!(
                        "route {method} {} (view `{}`) sets `api_key_required`, but the app is an HTTP API, which has no API keys: remove it, or protect the route with an authorizer",
                        route.path, route.view_name
                    )));
                }
                if routes
                    .iter()
                    .any(|known| known.path == route.path && known.method == method)
                {
                    return Err(Error::new(format!(
                        "the manifest has two views for {method} {} (the second is `{}`)",
                        route.path, route.view_name
                    )));
                }
                let resource_name = unique_resource_name(&method, &route.path, &mut taken)?;
                routes.push(HttpRoute {
                    method,
                    path: route.path.clone(),
                    view_name: route.view_name.clone(),
                    authorization_type: authorizer
                        .map_or(AuthorizationType::None, HttpAuthorizer::authorization_type),
                    authorizer: route.authorizer.clone(),
                    scopes: route.scopes.clone(),
                    path_params: route.path_params.clone(),
                    resource_name,
                });
            }
        }
        Ok(HttpApi {
            name: manifest.app_name.clone(),
            settings,
            cors: cors(&manifest.routes)?,
            routes,
            authorizers,
        })
    }

    /// The authorizer `name`.
    pub fn authorizer(&self, name: &str) -> Option<&HttpAuthorizer> {
        self.authorizers.iter().find(|a| a.name == name)
    }

    /// The authorizer resources API Gateway holds (see [`HttpAuthorizer::held_by_api`]).
    pub fn gateway_authorizers(&self) -> impl Iterator<Item = &HttpAuthorizer> {
        self.authorizers.iter().filter(|a| a.held_by_api())
    }

    /// The Lambdas the held authorizers call.
    pub fn authorizer_targets(&self) -> impl Iterator<Item = &Target> {
        self.gateway_authorizers()
            .filter_map(|a| a.lambda().map(|lambda| &lambda.target))
    }

    /// The scope of the invoke permission of the app's function `function` (its config name),
    /// if API Gateway invokes it: any route for the API handler, its authorizer for a built-in
    /// authorizer's function.
    pub fn invoke_scope(&self, function: &str) -> Option<InvokeScope> {
        if function == API_HANDLER {
            return Some(InvokeScope::AnyRoute);
        }
        self.gateway_authorizers().find_map(|authorizer| {
            let lambda = authorizer.lambda()?;
            matches!(&lambda.target, Target::Function(name) if name == function)
                .then(|| InvokeScope::Authorizer(authorizer.name.clone()))
        })
    }

    /// The path after the API's host that the stage is served at (`/api/`).
    pub fn stage_path(&self) -> String {
        format!("/{}/", self.settings.stage_name)
    }
}

/// The API-wide CORS configuration, when any route asks for CORS: the one every CORS route
/// shares (the runtime's rule), or an error naming the first two that differ.
fn cors(routes: &[ManifestRoute]) -> Result<Option<Cors>> {
    let cors_routes = routes.iter().filter_map(|route| {
        let described = format!(
            "`{}` ({} {})",
            route.view_name,
            route.methods.join(",").to_ascii_uppercase(),
            route.path
        );
        Some((described, route.cors.as_ref()?))
    });
    let Some(settings) = chalice_runtime::contract::gateway_cors::api_wide_cors(cors_routes)
        .map_err(|conflict| Error::new(conflict.to_string()))?
    else {
        return Ok(None);
    };
    let methods: Vec<String> = routes
        .iter()
        .filter(|route| route.cors.is_some())
        .flat_map(|route| route.methods.iter().map(|m| m.to_ascii_uppercase()))
        .collect();
    let Some(allow_methods) =
        chalice_runtime::cors::http_api_allow_methods(methods.iter().map(String::as_str))
    else {
        return Ok(None);
    };
    Ok(Some(Cors {
        allow_origins: vec![settings.allow_origin.clone()],
        allow_methods: allow_methods.split(',').map(str::to_owned).collect(),
        allow_headers: settings.allow_headers.clone(),
        expose_headers: settings.expose_headers.clone(),
        max_age: settings.max_age,
        allow_credentials: settings.allow_credentials,
    }))
}

/// `get_orders_id` for `GET /orders/{id}`, with `_2`, `_3`... when the name or its CamelCase is
/// taken already (`/a-b` and `/a_b` both give `get_a_b`).
fn unique_resource_name(method: &str, path: &str, taken: &mut Vec<String>) -> Result<String> {
    let mut base = method.to_ascii_lowercase();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let word: String = segment
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        for part in word.split('_').filter(|p| !p.is_empty()) {
            base.push('_');
            base.push_str(part);
        }
    }
    let mut candidate = base.clone();
    let mut n = 1;
    loop {
        let camel = naming::cfn_resource_name(&candidate)?;
        if !taken.contains(&camel) {
            taken.push(camel);
            return Ok(candidate);
        }
        n += 1;
        candidate = format!("{base}_{n}");
    }
}

#[cfg(test)]
mod tests;
