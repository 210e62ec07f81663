//! The app's manifest: every route and authorizer, as JSON, which is all the CLI reads of an
//! app (`<app binary> --chalice-manifest`).

use serde::{Deserialize, Serialize};

use crate::api_kind::ApiKind;
use crate::authorizer::{AuthType, AuthorizerKind, http_identity_sources};
use crate::cors::CorsSettings;
use crate::registry::{Registry, Route};

/// The version of this format; the CLI refuses manifests it does not know.
pub const MANIFEST_VERSION: u32 = 1;

/// What the app declares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The name given to `App::new`.
    pub app_name: String,
    /// The API Gateway product the app is served by; manifests written before HTTP APIs
    /// existed are REST.
    #[serde(default)]
    pub api_kind: ApiKind,
    /// The routes, sorted by path.
    pub routes: Vec<ManifestRoute>,
    /// Every authorizer: all built-in ones, and every other one a route names.
    pub authorizers: Vec<ManifestAuthorizer>,
}

/// One view on one path, with the methods it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRoute {
    /// The resource path.
    pub path: String,
    /// The HTTP methods.
    pub methods: Vec<String>,
    /// The view's name.
    pub view_name: String,
    /// The authorizer's name, if any.
    pub authorizer: Option<String>,
    /// The OAuth scopes required.
    pub scopes: Vec<String>,
    /// The CORS configuration, when the route has CORS (`true`/`false` in manifests written
    /// before full configurations).
    #[serde(default, deserialize_with = "crate::cors::deserialize_route_cors")]
    pub cors: Option<CorsSettings>,
    /// The accepted request content types.
    pub content_types: Vec<String>,
    /// Whether an API key is required.
    pub api_key_required: bool,
    /// The `{param}` names of the path, in order.
    pub path_params: Vec<String>,
}

/// One authorizer and all its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ManifestAuthorizer {
    /// Built in: deployed as its own Lambda.
    Builtin {
        /// The name.
        name: String,
        /// The Rust function.
        function: String,
        /// `TOKEN` or `REQUEST`.
        auth_type: String,
        /// The token header (TOKEN).
        header: String,
        /// The cache TTL; `None` is API Gateway's default (300 s).
        ttl_seconds: Option<u32>,
        /// The role API Gateway assumes to invoke it.
        execution_role: Option<String>,
        /// The identity sources (REQUEST).
        identity_sources: Vec<String>,
        /// HTTP APIs: the function answers `{"isAuthorized": .., "context": ..}` (API Gateway's
        /// `EnableSimpleResponses`) rather than an IAM policy.
        #[serde(default)]
        simple_responses: bool,
    },
    /// IAM.
    Iam {
        /// Always `sigv4`.
        name: String,
    },
    /// Cognito user pool.
    CognitoUserPools {
        /// The name.
        name: String,
        /// The user pool ARNs.
        provider_arns: Vec<String>,
        /// The token header.
        header: String,
        /// Default scopes.
        scopes: Vec<String>,
    },
    /// An existing Lambda.
    Custom {
        /// The name.
        name: String,
        /// The Lambda invocation URI.
        authorizer_uri: String,
        /// `TOKEN` or `REQUEST`.
        auth_type: String,
        /// The token header (TOKEN).
        header: String,
        /// The cache TTL.
        ttl_seconds: u32,
        /// The invoke role.
        invoke_role_arn: Option<String>,
        /// The identity sources (REQUEST).
        identity_sources: Vec<String>,
        /// Default scopes.
        scopes: Vec<String>,
        /// HTTP APIs: the function answers `{"isAuthorized": .., "context": ..}` (API Gateway's
        /// `EnableSimpleResponses`) rather than an IAM policy.
        #[serde(default)]
        simple_responses: bool,
    },
    /// A JWT authorizer (HTTP APIs only): API Gateway verifies the token itself.
    Jwt {
        /// The name.
        name: String,
        /// The issuer (`iss`) tokens must carry; its JWKS is found from it.
        issuer: String,
        /// The accepted audiences (`aud`, or `client_id` when a token has no `aud`).
        audiences: Vec<String>,
        /// Where the token is read, as API Gateway writes it (`$request.header.Authorization`).
        identity_source: String,
        /// Default scopes.
        scopes: Vec<String>,
    },
}

impl ManifestAuthorizer {
    /// The authorizer's name.
    pub fn name(&self) -> &str {
        match self {
            ManifestAuthorizer::Builtin { name, .. }
            | ManifestAuthorizer::Iam { name }
            | ManifestAuthorizer::CognitoUserPools { name, .. }
            | ManifestAuthorizer::Custom { name, .. }
            | ManifestAuthorizer::Jwt { name, .. } => name,
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Manifest {
    /// The manifest of `registry` for the REST API app `app_name`.
    pub fn new(app_name: &str, registry: &Registry) -> Self {
        Manifest::for_kind(app_name, ApiKind::Rest, registry)
    }

    /// The manifest of `registry` for the app `app_name` served by `api_kind`.
    pub fn for_kind(app_name: &str, api_kind: ApiKind, registry: &Registry) -> Self {
        let mut routes: Vec<ManifestRoute> = Vec::new();
        for route in registry.routes() {
            let same_view = routes
                .iter_mut()
                .find(|entry| entry.path == route.path() && entry.view_name == route.view_name());
            match same_view {
                Some(entry) => entry.methods.push(route.method().to_owned()),
                None => routes.push(manifest_route(route)),
            }
        }
        Manifest {
            manifest_version: MANIFEST_VERSION,
            app_name: app_name.to_owned(),
            api_kind,
            routes,
            authorizers: registry
                .authorizers()
                .iter()
                .map(|kind| manifest_authorizer(*kind, api_kind))
                .collect(),
        }
    }
}

fn manifest_route(route: &Route) -> ManifestRoute {
    ManifestRoute {
        path: route.path().to_owned(),
        methods: vec![route.method().to_owned()],
        view_name: route.view_name().to_owned(),
        authorizer: route.authorizer().map(|kind| kind.name().to_owned()),
        scopes: strings(route.scopes()),
        cors: route.cors().map(|config| config.settings()),
        content_types: strings(route.content_types()),
        api_key_required: route.api_key_required(),
        path_params: strings(&route.path_params()),
    }
}

/// A Lambda authorizer's type and identity sources: on an HTTP API every Lambda authorizer is
/// `REQUEST`, and a TOKEN-style header `H` is the identity source `header.H`.
fn lambda_identity(
    api_kind: ApiKind,
    request_sources: Option<&[&str]>,
    header: &str,
) -> (String, Vec<String>) {
    match (request_sources, api_kind) {
        (None, ApiKind::Rest) => ("TOKEN".to_owned(), Vec::new()),
        (Some(sources), ApiKind::Rest) => ("REQUEST".to_owned(), strings(sources)),
        (sources, ApiKind::Http) => ("REQUEST".to_owned(), http_identity_sources(sources, header)),
    }
}

fn manifest_authorizer(kind: AuthorizerKind, api_kind: ApiKind) -> ManifestAuthorizer {
    match kind {
        AuthorizerKind::Builtin(builtin) => {
            let request_sources = match builtin.auth_type() {
                AuthType::Request => Some(builtin.identity_sources()),
                AuthType::Token => None,
            };
            let (auth_type, identity_sources) =
                lambda_identity(api_kind, request_sources, builtin.header());
            ManifestAuthorizer::Builtin {
                name: builtin.name().to_owned(),
                function: builtin.function().to_owned(),
                auth_type,
                header: builtin.header().to_owned(),
                ttl_seconds: builtin.ttl_seconds(),
                execution_role: builtin.execution_role().map(str::to_owned),
                identity_sources,
                simple_responses: builtin.simple_responses(),
            }
        }
        AuthorizerKind::Jwt(jwt) => ManifestAuthorizer::Jwt {
            name: jwt.name().to_owned(),
            issuer: jwt.issuer().to_owned(),
            audiences: strings(jwt.audiences()),
            identity_source: jwt.identity_source_name().to_owned(),
            scopes: strings(jwt.default_scopes()),
        },
        AuthorizerKind::Iam(iam) => ManifestAuthorizer::Iam {
            name: iam.name().to_owned(),
        },
        AuthorizerKind::Cognito(pool) => ManifestAuthorizer::CognitoUserPools {
            name: pool.name().to_owned(),
            provider_arns: strings(pool.provider_arns()),
            header: pool.header_name().to_owned(),
            scopes: strings(pool.default_scopes()),
        },
        AuthorizerKind::Custom(custom) => {
            let (auth_type, identity_sources) = lambda_identity(
                api_kind,
                custom.request_identity_sources(),
                custom.header_name(),
            );
            ManifestAuthorizer::Custom {
                name: custom.name().to_owned(),
                authorizer_uri: custom.authorizer_uri().to_owned(),
                auth_type,
                header: custom.header_name().to_owned(),
                ttl_seconds: custom.ttl(),
                invoke_role_arn: custom.invoke_role().map(str::to_owned),
                identity_sources,
                scopes: strings(custom.default_scopes()),
                simple_responses: custom.has_simple_responses(),
            }
        }
    }
}
