//! The REST API of a stage: its settings, each route's methods as API Gateway authorizes them,
//! the CORS preflights API Gateway answers itself, and the authorizers.

use std::collections::BTreeMap;
use std::path::Path;

use chalice_runtime::contract::gateway_cors::{CorsConflict, api_wide_cors};
use chalice_runtime::cors::CorsSettings;
use chalice_runtime::manifest::{Manifest, ManifestAuthorizer, ManifestRoute};
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
    /// The API keys the stage accepts locally on `api_key_required` methods (`api_keys`);
    /// `package` and `deploy` make one generated key per entry (see [`super::UsagePlan`]).
    pub api_keys: Vec<String>,
    /// The stage variables (`stage_variables`): served by `local`, set on the stage by
    /// `deploy`, and in the SAM and Terraform templates.
    pub stage_variables: BTreeMap<String, String>,
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
            api_keys: Vec::new(),
            stage_variables: BTreeMap::new(),
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
            api_keys: stage.api_keys(),
            stage_variables: stage.stage_variables(),
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
    /// The CORS configuration the view answers with, if it has CORS.
    pub cors: Option<CorsSettings>,
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
            AuthorizationType::None | AuthorizationType::AwsIam | AuthorizationType::Jwt => None,
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
    /// The path's CORS configuration (its CORS routes share one).
    pub cors: CorsSettings,
}

impl Preflight {
    /// The preflight's response headers, name and value, in Chalice's order: the allowed
    /// methods, then the configuration's headers.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("Access-Control-Allow-Methods", self.allow_methods.clone())];
        headers.extend(self.cors.response_headers());
        headers
    }
}

/// The gateway responses that carry the app's CORS headers when a route has CORS: every 4xx
/// and 5xx API Gateway answers itself (an authorizer's 401/403, a missing API key, a throttled
/// request, a failed integration), so a browser reads them deployed as it does locally.
pub const CORS_GATEWAY_RESPONSE_TYPES: [&str; 2] = ["DEFAULT_4XX", "DEFAULT_5XX"];

/// One of API Gateway's own answers (a gateway response type) with the headers it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    /// The response type, e.g. `DEFAULT_4XX`.
    pub response_type: &'static str,
    /// The headers, name and value.
    pub headers: Vec<(&'static str, String)>,
}

impl GatewayResponse {
    /// Its `responseParameters`: each header as `gatewayresponse.header.<name>` mapped to the
    /// value as API Gateway's quoted literal.
    pub fn response_parameters(&self) -> BTreeMap<String, String> {
        self.headers
            .iter()
            .map(|(name, value)| {
                (
                    format!("gatewayresponse.header.{name}"),
                    format!("'{value}'"),
                )
            })
            .collect()
    }
}

impl RestApi {
    /// The gateway responses API Gateway answers with: with a CORS route, the 4xx and 5xx
    /// defaults carrying the headers of the app's CORS configuration (the runtime's rule,
    /// `chalice_runtime::contract::gateway_cors`, which the local gateway follows too);
    /// otherwise none, and API Gateway's own defaults hold.
    pub fn gateway_responses(&self) -> Vec<GatewayResponse> {
        // `new` refused an app whose CORS routes disagree.
        let Ok(Some(cors)) = gateway_cors(&self.methods) else {
            return Vec::new();
        };
        CORS_GATEWAY_RESPONSE_TYPES
            .iter()
            .map(|response_type| GatewayResponse {
                response_type,
                headers: cors.response_headers(),
            })
            .collect()
    }

    /// The API `manifest` declares, with `settings`.
    pub fn new(manifest: &Manifest, settings: ApiSettings) -> Result<RestApi> {
        let mut authorizers = Vec::new();
        for declared in &manifest.authorizers {
            let user = manifest
                .routes
                .iter()
                .find(|route| route.authorizer.as_deref() == Some(declared.name()));
            check_rest_kind(declared, user)?;
            authorizers.push(Authorizer::new(declared, user.is_some())?);
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
                    cors: route.cors.clone(),
                    content_types: route.content_types.clone(),
                    path_params: route.path_params.clone(),
                });
            }
        }
        gateway_cors(&methods).map_err(|conflict| Error::new(conflict.to_string()))?;
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
            let cors: Vec<(String, &CorsSettings)> = resource
                .methods
                .iter()
                .filter_map(|m| Some((m.http_method.to_ascii_uppercase(), m.cors.as_ref()?)))
                .collect();
            if let Some((_, config)) = cors.first()
                && !has_options
            {
                resource.preflight = Some(Preflight {
                    allow_methods: chalice_runtime::cors::allow_methods(
                        cors.iter().map(|(method, _)| method.as_str()),
                    ),
                    cors: (*config).clone(),
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

/// The CORS configuration API Gateway's own answers carry: the one every CORS method shares
/// (the runtime's rule), or the first two methods that differ, named.
fn gateway_cors(
    methods: &[Method],
) -> std::result::Result<Option<&CorsSettings>, CorsConflict<String>> {
    api_wide_cors(methods.iter().filter_map(|method| {
        let cors = method.cors.as_ref()?;
        let route = format!(
            "`{}` ({} {})",
            method.view_name,
            method.http_method.to_ascii_uppercase(),
            method.path
        );
        Some((route, cors))
    }))
}

/// An authorizer only HTTP APIs have (JWT, or a Lambda answering simple responses) is an error
/// naming it and a route that uses it.
fn check_rest_kind(declared: &ManifestAuthorizer, user: Option<&ManifestRoute>) -> Result<()> {
    let what = match declared {
        ManifestAuthorizer::Jwt { .. } => "is a JWT authorizer",
        ManifestAuthorizer::Builtin {
            simple_responses: true,
            ..
        }
        | ManifestAuthorizer::Custom {
            simple_responses: true,
            ..
        } => "answers with simple responses",
        _ => return Ok(()),
    };
    let route = user.map_or(String::new(), |route| {
        format!(
            " (route {} {}, view `{}`)",
            route.methods.join(","),
            route.path,
            route.view_name
        )
    });
    Err(Error::new(format!(
        "authorizer `{}`{route} {what}, which only an HTTP API has: choose one in the app with `App::new(..).http_api()`",
        declared.name()
    )))
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

#[cfg(test)]
mod tests {
    use chalice_runtime::manifest::ManifestAuthorizer;

    use super::*;
    use crate::config::Config;
    use crate::test_support::{authorized, builtin, manifest, route};

    fn cognito(name: &str) -> ManifestAuthorizer {
        ManifestAuthorizer::CognitoUserPools {
            name: name.into(),
            provider_arns: vec!["arn:aws:cognito-idp:us-west-2:123456789012:userpool/p".into()],
            header: "Authorization".into(),
            scopes: Vec::new(),
        }
    }

    fn custom(name: &str) -> ManifestAuthorizer {
        ManifestAuthorizer::Custom {
            name: name.into(),
            authorizer_uri: "uri".into(),
            auth_type: "TOKEN".into(),
            header: "Authorization".into(),
            ttl_seconds: 300,
            invoke_role_arn: None,
            identity_sources: Vec::new(),
            scopes: Vec::new(),
            simple_responses: false,
        }
    }

    fn api(routes: Vec<ManifestRoute>, authorizers: Vec<ManifestAuthorizer>) -> Result<RestApi> {
        RestApi::new(
            &manifest("app", routes, authorizers),
            ApiSettings::chalice_defaults(),
        )
    }

    #[test]
    fn each_route_method_is_authorized_as_its_authorizer_kind_says() {
        let api = api(
            vec![
                route("/open", &["GET"]),
                authorized("/iam", &["GET"], "sigv4", &["ignored"]),
                authorized("/pool", &["GET"], "pool", &["read"]),
                authorized("/lambda", &["GET", "POST"], "auth", &["write"]),
            ],
            vec![
                builtin("auth"),
                ManifestAuthorizer::Iam {
                    name: "sigv4".into(),
                },
                cognito("pool"),
            ],
        )
        .unwrap();
        let seen: Vec<_> = api
            .methods
            .iter()
            .map(|m| {
                (
                    m.path.as_str(),
                    m.http_method.as_str(),
                    m.authorization_type.as_str(),
                    m.gateway_authorizer(),
                    m.authorization_scopes().to_vec(),
                )
            })
            .collect();
        let read = vec!["read".to_owned()];
        assert_eq!(
            seen,
            [
                ("/open", "GET", "NONE", None, vec![]),
                ("/iam", "GET", "AWS_IAM", None, vec![]),
                ("/pool", "GET", "COGNITO_USER_POOLS", Some("pool"), read),
                ("/lambda", "GET", "CUSTOM", Some("auth"), vec![]),
                ("/lambda", "POST", "CUSTOM", Some("auth"), vec![]),
            ]
        );
        // The route's scopes stay on the method for the OpenAPI security requirement.
        assert_eq!(api.methods[3].scopes, ["write"]);
        assert_eq!(api.methods[1].authorizer.as_deref(), Some("sigv4"));
    }

    #[test]
    fn an_undeclared_authorizer_or_a_second_view_for_a_method_is_an_error() {
        let error = api(vec![authorized("/x", &["GET"], "ghost", &[])], vec![])
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "route /x names authorizer `ghost`, which the app's manifest does not declare (view `view`)"
        );
        let error = api(
            vec![route("/x", &["GET"]), route("/x", &["POST", "get"])],
            vec![],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "the manifest has two views for GET /x (the second is `view`)"
        );
    }

    #[test]
    fn http_only_authorizers_are_errors_naming_the_route() {
        let jwt = ManifestAuthorizer::Jwt {
            name: "jwt".into(),
            issuer: "https://issuer.example.com".into(),
            audiences: vec!["a".into()],
            identity_source: "$request.header.Authorization".into(),
            scopes: Vec::new(),
        };
        let error = api(vec![authorized("/o", &["GET"], "jwt", &[])], vec![jwt])
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "authorizer `jwt` (route GET /o, view `view`) is a JWT authorizer, which only an HTTP API has: choose one in the app with `App::new(..).http_api()`"
        );
        let mut simple = custom("gate");
        if let ManifestAuthorizer::Custom {
            simple_responses, ..
        } = &mut simple
        {
            *simple_responses = true;
        }
        let error = api(vec![], vec![simple]).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "authorizer `gate` answers with simple responses, which only an HTTP API has"
            ),
            "{error}"
        );
    }

    #[test]
    fn resources_keep_the_order_paths_first_appear_in() {
        let api = api(
            vec![
                route("/b", &["GET"]),
                route("/a", &["GET"]),
                route("/b", &["PUT"]),
            ],
            vec![],
        )
        .unwrap();
        let resources: Vec<(&str, Vec<&str>)> = api
            .resources()
            .iter()
            .map(|r| {
                (
                    r.path,
                    r.methods.iter().map(|m| m.http_method.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(resources, [("/b", vec!["GET", "PUT"]), ("/a", vec!["GET"])]);
    }

    fn full_cors() -> CorsSettings {
        chalice_runtime::CorsConfig::new("https://app.example")
            .allow_headers(&["X-Special"])
            .expose_headers(&["X-Request-Id"])
            .max_age(600)
            .allow_credentials(true)
            .settings()
    }

    #[test]
    fn a_cors_route_puts_the_cors_headers_on_the_4xx_and_5xx_gateway_responses() {
        let plain = route("/plain", &["GET"]);
        let without = api(vec![plain.clone()], vec![]).unwrap();
        assert_eq!(without.gateway_responses(), []);
        let with_cors = ManifestRoute {
            cors: Some(CorsSettings::default()),
            ..route("/cors", &["POST"])
        };
        let api = api(vec![plain, with_cors], vec![]).unwrap();
        let responses = api.gateway_responses();
        let types: Vec<&str> = responses.iter().map(|r| r.response_type).collect();
        assert_eq!(types, ["DEFAULT_4XX", "DEFAULT_5XX"]);
        for response in &responses {
            let parameters = response.response_parameters();
            assert_eq!(
                parameters["gatewayresponse.header.Access-Control-Allow-Origin"],
                "'*'"
            );
            assert_eq!(
                parameters["gatewayresponse.header.Access-Control-Allow-Headers"],
                format!("'{}'", chalice_runtime::cors::ALLOW_HEADERS)
            );
            assert_eq!(parameters.len(), 2);
        }
    }

    #[test]
    fn the_gateway_responses_carry_every_header_of_a_full_cors_config() {
        let with_cors = ManifestRoute {
            cors: Some(full_cors()),
            ..route("/cors", &["POST"])
        };
        let api = api(vec![with_cors], vec![]).unwrap();
        for response in api.gateway_responses() {
            let parameters = response.response_parameters();
            let header = |name: &str| parameters[&format!("gatewayresponse.header.{name}")].clone();
            assert_eq!(
                header("Access-Control-Allow-Origin"),
                "'https://app.example'"
            );
            assert_eq!(
                header("Access-Control-Allow-Headers"),
                "'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key,X-Special'"
            );
            assert_eq!(header("Access-Control-Expose-Headers"), "'X-Request-Id'");
            assert_eq!(header("Access-Control-Max-Age"), "'600'");
            assert_eq!(header("Access-Control-Allow-Credentials"), "'true'");
        }
    }

    #[test]
    fn cors_routes_with_different_configs_are_an_error_naming_both() {
        let first = ManifestRoute {
            cors: Some(full_cors()),
            ..route("/a", &["GET"])
        };
        let second = ManifestRoute {
            view_name: "other".into(),
            cors: Some(CorsSettings::default()),
            ..route("/b", &["PUT"])
        };
        let error = api(vec![first, second], vec![]).unwrap_err().to_string();
        assert!(
            error.contains("(GET /a) and `other` (PUT /b) have different CORS configurations"),
            "{error}"
        );
    }

    #[test]
    fn a_cors_path_gets_a_preflight_unless_it_has_an_options_view() {
        let cors = |path: &str, methods: &[&str]| ManifestRoute {
            cors: Some(full_cors()),
            ..route(path, methods)
        };
        let api = api(
            vec![
                cors("/cors", &["PUT", "GET"]),
                route("/cors", &["DELETE"]),
                cors("/own", &["GET", "OPTIONS"]),
                route("/plain", &["GET"]),
            ],
            vec![],
        )
        .unwrap();
        let preflights: Vec<_> = api
            .resources()
            .into_iter()
            .map(|r| (r.path, r.preflight))
            .collect();
        assert_eq!(
            preflights,
            [
                (
                    "/cors",
                    Some(Preflight {
                        allow_methods: "GET,PUT,OPTIONS".into(),
                        cors: full_cors(),
                    })
                ),
                ("/own", None),
                ("/plain", None),
            ]
        );
        let preflight = Preflight {
            allow_methods: "GET,OPTIONS".into(),
            cors: full_cors(),
        };
        let headers = preflight.headers();
        assert_eq!(
            headers[0],
            ("Access-Control-Allow-Methods", "GET,OPTIONS".to_owned())
        );
        assert_eq!(headers[1..], full_cors().response_headers()[..]);
    }

    #[test]
    fn api_gateway_holds_builtin_authorizers_and_the_others_routes_use() {
        let api = api(
            vec![authorized("/", &["GET"], "used", &[])],
            vec![
                builtin("idle"),
                custom("used"),
                custom("unused"),
                cognito("pool"),
                ManifestAuthorizer::Iam {
                    name: "sigv4".into(),
                },
            ],
        )
        .unwrap();
        let held: Vec<&str> = api.gateway_authorizers().map(|a| a.name.as_str()).collect();
        assert_eq!(held, ["idle", "used"]);
    }

    #[test]
    fn settings_come_from_the_stage_and_a_policy_file_is_named_when_unreadable() {
        let config = Config::parse(
            r#"{"app_name": "a", "stages": {
                "dev": {"api_gateway_stage": "v1", "minimum_compression_size": 10,
                        "api_gateway_endpoint_type": "REGIONAL", "api_gateway_policy_file": "api.json",
                        "api_keys": ["k1"], "stage_variables": {"env": "dev"}},
                "edge": {}}}"#,
            Path::new("config.json"),
        )
        .unwrap();
        let read = |file: &str| -> Result<Value> {
            match file {
                "api.json" => Ok(json!({"Statement": []})),
                other => Err(Error::new(format!("{other}: cannot read"))),
            }
        };
        let dev = ApiSettings::for_stage_with(&config.stage("dev").unwrap(), &read).unwrap();
        assert_eq!(
            (dev.endpoint_type, dev.stage_name.as_str()),
            (EndpointType::Regional, "v1")
        );
        assert_eq!(dev.minimum_compression_size, Some(10));
        assert_eq!(dev.policy, Some(json!({"Statement": []})));
        assert_eq!(dev.api_keys, ["k1"]);
        assert_eq!(dev.stage_variables["env"], "dev");
        let edge = ApiSettings::for_stage_with(&config.stage("edge").unwrap(), &read).unwrap();
        assert_eq!(edge, ApiSettings::chalice_defaults());
        let error = ApiSettings::for_stage_with(&config.stage("dev").unwrap(), &|file| {
            Err(Error::new(format!("{file}: cannot read")))
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "api.json: cannot read (the REST API's resource policy, `api_gateway_policy_file`)"
        );
    }

    mod settings_files {
        use super::*;
        use crate::test_support::assert_json;

        fn settings(config: Value, files: &[(&str, &str)]) -> Result<ApiSettings> {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "chalice-rs-api-settings-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            std::fs::create_dir_all(dir.join(".chalice")).unwrap();
            for (name, text) in files {
                std::fs::write(dir.join(".chalice").join(name), text).unwrap();
            }
            let config =
                Config::parse(&config.to_string(), &dir.join(crate::config::CONFIG_PATH)).unwrap();
            let result = ApiSettings::for_stage(&config.stage("dev").unwrap(), &dir);
            std::fs::remove_dir_all(&dir).unwrap();
            result
        }

        #[test]
        fn private_api_gets_chalices_vpce_policy() {
            let settings = settings(
                json!({"app_name": "a", "stages": {"dev": {
                    "api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": "vpce-1"}}}),
                &[],
            )
            .unwrap();
            assert_json(
                settings.policy.as_ref().unwrap(),
                &json!({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "arn:*:execute-api:*:*:*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
                }]}),
            );
            assert_eq!(settings.vpce_ids, ["vpce-1"]);
        }

        #[test]
        fn policy_file_is_read_from_dot_chalice() {
            let settings = settings(
                json!({"app_name": "a", "stages": {"dev": {"api_gateway_policy_file": "api-policy.json"}}}),
                &[("api-policy.json", r#"{"Version": "2012-10-17", "Statement": []}"#)],
            )
            .unwrap();
            assert_eq!(
                settings.policy,
                Some(json!({"Version": "2012-10-17", "Statement": []}))
            );
        }

        #[test]
        fn mistakes_name_the_stage_or_file() {
            let cases = [
                (
                    json!({"app_name": "a", "stages": {"dev": {"api_gateway_endpoint_vpce": "vpce-1"}}}),
                    vec![],
                    "only for `api_gateway_endpoint_type` PRIVATE",
                ),
                (
                    json!({"app_name": "a", "stages": {"dev": {"api_gateway_endpoint_type": "PRIVATE"}}}),
                    vec![],
                    "needs `api_gateway_policy_file` or `api_gateway_endpoint_vpce`",
                ),
                (
                    json!({"app_name": "a", "stages": {"dev": {"api_gateway_policy_file": "missing.json"}}}),
                    vec![],
                    "missing.json: cannot read",
                ),
                (
                    json!({"app_name": "a", "stages": {"dev": {"api_gateway_policy_file": "bad.json"}}}),
                    vec![("bad.json", "{nope")],
                    "bad.json: not valid JSON",
                ),
            ];
            for (config, files, expected) in cases {
                let error = settings(config, &files).unwrap_err().to_string();
                assert!(error.contains(expected), "{error}");
            }
        }
    }
}
