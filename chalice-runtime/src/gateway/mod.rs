//! What API Gateway does with a request before and after the app's Lambda runs: match the
//! resource, answer CORS preflights, run the authorizer, evaluate its policy against the
//! method ARN, cache it, and build the request the view receives. The test client and the
//! local server both go through [`Gateway`], so they answer alike and as API Gateway would.

// A refusal carries the whole response API Gateway would send; they are the rare path, so
// boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod cache;
mod cognito;
mod events;
mod http_api;
mod routing;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, Method};
use serde_json::Value;

pub use crate::contract::jwt::JwkSet;

/// The name [`JwkSet`] had when only Cognito tokens were verified.
pub type Jwks = JwkSet;

use crate::api_kind::ApiKind;
use crate::authorizer::{AuthFailure, AuthType, AuthorizerKind, BuiltinAuthorizer};
use crate::contract::arn::{ApiArn, MethodArn};
use crate::contract::gateway_cors::gateway_answer;
use crate::contract::headers::{identity_header, last_value};
use crate::contract::identity::identity_value;
use crate::contract::policy::Decision;
use crate::contract::responses;
use crate::cors;
use crate::dispatch::{self, AuthorizerEvent};
use crate::log_text::printable;
use crate::registry::{Registry, Route};
use crate::request_context::{ContextParts, RequestContext, RequestId, StageContext};
use crate::response::{Body, Response};

use cache::{Answer, AuthCache};
use events::{MatchedRequest, RequestParts};
use routing::RouteTable;

/// The header API Gateway reads a REST API's key from.
const API_KEY_HEADER: &str = "x-api-key";

/// API Gateway's default cache TTL for Lambda authorizers.
const DEFAULT_TTL_SECONDS: u32 = 300;

/// What stands in for the parts of AWS the gateway cannot reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// The API Gateway product in front of the app (the app's [`App::http_api`] choice).
    ///
    /// [`App::http_api`]: crate::App::http_api
    pub api_kind: ApiKind,
    /// The API Gateway stage (`api_gateway_stage`), in the method ARN and `requestContext`.
    pub stage: String,
    /// The region in the method ARN.
    pub region: String,
    /// The account id in the method ARN.
    pub account_id: String,
    /// The REST API id in the method ARN.
    pub api_id: String,
    /// The stage variables.
    pub stage_variables: HashMap<String, String>,
    /// The API keys accepted on routes with `api_key_required`.
    pub api_keys: ApiKeys,
    /// What to do on routes whose authorizer runs outside the app (IAM, existing Lambda).
    pub unemulated: Unemulated,
    /// The user pools' keys: Cognito tokens are verified against them when given.
    pub cognito_jwks: Option<std::sync::Arc<Jwks>>,
    /// JWT issuers' keys, by issuer URL: an HTTP API's JWT authorizer verifies its issuer's
    /// token signatures against them when given.
    pub jwks: BTreeMap<String, Arc<JwkSet>>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            api_kind: ApiKind::Rest,
            stage: "api".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            api_id: "localapi01".into(),
            stage_variables: HashMap::new(),
            api_keys: ApiKeys::Any,
            unemulated: Unemulated::Allow,
            cognito_jwks: None,
            jwks: BTreeMap::new(),
        }
    }
}

impl GatewayConfig {
    /// The same configuration on another stage.
    pub fn with_stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = stage.into();
        self
    }

    /// The keys of the JWT issuer `issuer`, when the stage config names a JWKS for it.
    pub fn jwks_for(&self, issuer: &str) -> Option<&JwkSet> {
        self.jwks.get(issuer).map(Arc::as_ref)
    }

    /// What every request's `requestContext` takes from the stage.
    pub(crate) fn stage_context(&self) -> StageContext {
        StageContext {
            api_kind: self.api_kind,
            account_id: self.account_id.clone(),
            stage: self.stage.clone(),
            api_id: self.api_id.clone(),
            domain_name: self.domain_name(),
        }
    }

    /// The host name API Gateway would serve the API on.
    pub fn domain_name(&self) -> String {
        [
            &self.api_id,
            ".execute-api.",
            &self.region,
            ".amazonaws.com",
        ]
        .concat()
    }
}

/// The API keys a stage accepts, which API Gateway takes from the `x-api-key` header on routes
/// with `api_key_required`; a request without an accepted one is 403 `{"message":"Forbidden"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeys {
    /// No keys are configured: any non-empty key is accepted, with a warning.
    Any,
    /// Only these keys.
    Only(Vec<String>),
}

/// Routes protected by IAM or an existing Lambda cannot be checked locally: allow them with a
/// warning, or refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unemulated {
    /// Allow the request, and warn once.
    Allow,
    /// Refuse the request as an unauthenticated one.
    Deny,
}

/// One HTTP request as it reaches API Gateway.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    /// The method.
    pub method: String,
    /// The request target: the raw path and query (`/users/42?verbose=1`).
    pub target: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
    /// The caller's address.
    pub source_ip: String,
}

impl GatewayRequest {
    /// A request with no headers and no body, from 127.0.0.1.
    pub fn new(method: impl Into<String>, target: impl Into<String>) -> Self {
        GatewayRequest {
            method: method.into(),
            target: target.into(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            source_ip: "127.0.0.1".into(),
        }
    }
}

/// What the gateway decided about authorization, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// No route matched: 403 before any authorizer.
    NoRoute,
    /// A CORS preflight, never authorized.
    Preflight,
    /// The route has no authorizer.
    Public,
    /// The authorizer allowed the request.
    Allowed {
        /// The principal, when the authorizer names one; shared with the cached answer.
        principal_id: Option<Arc<str>>,
        /// Whether the answer came from the cache.
        cached: bool,
    },
    /// The identity source was missing or empty, or the authorizer said `Unauthorized`: 401.
    Unauthorized,
    /// The token was checked and refused (a Cognito token that has expired, lacks the route's
    /// scopes, or does not verify): 401, with why.
    TokenRejected(String),
    /// The policy does not allow the method ARN: 403.
    Denied,
    /// The authorizer failed or answered with an invalid policy: 500.
    Failed(String),
    /// The route requires an API key and the request has no accepted one: 403.
    ApiKeyRejected,
    /// IAM or an existing Lambda: not checked locally.
    Unemulated {
        /// Whether the request was let through.
        allowed: bool,
    },
}

impl AuthDecision {
    /// Appends the decision as the request log shows it. The log writes a line per request,
    /// and `fmt` machinery cost as much as the rest of the line.
    pub fn push_to(&self, out: &mut String) {
        let last = match self {
            AuthDecision::NoRoute => "no-route",
            AuthDecision::Preflight => "preflight",
            AuthDecision::Public => "public",
            AuthDecision::Allowed {
                principal_id,
                cached,
            } => {
                out.push_str("allowed");
                if let Some(principal) = principal_id {
                    out.push_str(" principal=");
                    out.push_str(principal);
                }
                if *cached { " (cached)" } else { "" }
            }
            AuthDecision::Unauthorized => "unauthorized",
            AuthDecision::TokenRejected(reason) => {
                out.push_str("unauthorized: ");
                reason
            }
            AuthDecision::Denied => "denied",
            AuthDecision::Failed(reason) => {
                out.push_str("authorizer-error: ");
                reason
            }
            AuthDecision::ApiKeyRejected => "api-key-rejected",
            AuthDecision::Unemulated { allowed: true } => "unemulated-allowed",
            AuthDecision::Unemulated { allowed: false } => "unemulated-denied",
        };
        out.push_str(last);
    }
}

impl fmt::Display for AuthDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.push_to(&mut text);
        f.write_str(&text)
    }
}

/// The gateway's answer and how it got there.
#[derive(Debug, Clone)]
pub struct GatewayResponse {
    /// The HTTP response.
    pub response: Response,
    /// The authorization decision.
    pub decision: AuthDecision,
    /// The matched resource path, if any.
    pub resource: Option<&'static str>,
}

/// The API Gateway model of one app on one stage.
pub struct Gateway {
    registry: &'static Registry,
    config: GatewayConfig,
    routes: RouteTable,
    cache: AuthCache,
    warnings: Mutex<Vec<String>>,
    /// Nanoseconds the test clock was moved forward; atomic, as every request reads it.
    clock_offset: AtomicU64,
    /// What every request's method ARN and `requestContext` repeat, built once.
    stage_names: StageNames,
    /// Each built-in authorizer's token header, parsed once: a header looked up by its name as
    /// text has that text parsed and hashed on every request.
    token_headers: Vec<(&'static BuiltinAuthorizer, HeaderName)>,
    /// Each built-in authorizer's identity sources on an HTTP API, worked out once.
    http_identity_sources: Vec<(&'static BuiltinAuthorizer, Vec<String>)>,
}

type Refusal = (Response, AuthDecision);

/// What authorization gave the view (`requestContext.authorizer`), or the refusal.
type Authorized = Result<(Option<Arc<HashMap<String, Value>>>, AuthDecision), Refusal>;

/// What the gateway learnt of a request on the way to its view.
struct Forward<'a> {
    route: &'a Route,
    resource: &'static str,
    method: Method,
    /// The length of the normalized path, which is the start of the request target.
    path_len: usize,
    query: Vec<(String, String)>,
    path_parameters: HashMap<String, String>,
    received: SystemTime,
    request_id: RequestId,
}

/// Names derived from the configuration that every request repeats.
struct StageNames {
    /// The method ARN up to the HTTP method (see [`ApiArn::stage_prefix`]).
    arn_prefix: String,
    /// What every request's `requestContext` takes from the stage.
    context: Arc<StageContext>,
}

impl Gateway {
    /// A gateway in front of the routes of `registry`.
    pub fn new(registry: &'static Registry, config: GatewayConfig) -> Self {
        let stage_names = StageNames {
            arn_prefix: ApiArn {
                region: &config.region,
                account_id: &config.account_id,
                api_id: &config.api_id,
                stage: &config.stage,
            }
            .stage_prefix(),
            context: Arc::new(config.stage_context()),
        };
        let token_headers = registry
            .authorizers()
            .iter()
            .filter_map(|kind| match kind {
                AuthorizerKind::Builtin(builtin) => {
                    let name = HeaderName::from_bytes(builtin.header().as_bytes()).ok()?;
                    Some((*builtin, name))
                }
                _ => None,
            })
            .collect();
        let http_identity_sources = registry
            .authorizers()
            .iter()
            .filter_map(|kind| match kind {
                AuthorizerKind::Builtin(builtin) => {
                    Some((*builtin, builtin.http_identity_sources()))
                }
                _ => None,
            })
            .collect();
        Gateway {
            registry,
            config,
            stage_names,
            token_headers,
            http_identity_sources,
            // In the registry's order (sorted by path): sibling `{param}` resources are tried
            // in the same order on every run.
            routes: RouteTable::new(registry.routes().iter().map(Route::path)),
            cache: AuthCache::default(),
            warnings: Mutex::new(Vec::new()),
            clock_offset: AtomicU64::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The warnings given so far, each once.
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.warnings).clone()
    }

    /// Moves the gateway's clock forward, to expire cached policies and tokens in tests.
    pub fn advance_clock(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.clock_offset.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The method ARN of a request to `path` (already normalized) with `method`.
    pub fn method_arn(&self, method: &str, path: &str) -> String {
        self.method_arn_parts(method, path).text()
    }

    fn method_arn_parts<'a>(&'a self, method: &'a str, path: &'a str) -> MethodArn<'a> {
        MethodArn {
            stage_prefix: &self.stage_names.arn_prefix,
            method,
            path,
        }
    }

    /// Answers one request as API Gateway would: the app's REST API, or its HTTP API.
    pub async fn handle(&self, request: GatewayRequest) -> GatewayResponse {
        match self.config.api_kind {
            ApiKind::Rest => self.handle_rest(request).await,
            ApiKind::Http => self.handle_http(request).await,
        }
    }

    async fn handle_rest(&self, request: GatewayRequest) -> GatewayResponse {
        let (raw_path, raw_query) = request
            .target
            .split_once('?')
            .unwrap_or((&request.target, ""));
        let matched = self.routes.match_path(raw_path);
        let Some(matched) = matched else {
            return self.no_route(&request);
        };
        let on_path = self.registry.routes_on_path(matched.resource_path);
        let Some(resource) = on_path.first().map(Route::path) else {
            return self.no_route(&request);
        };
        let route = on_path
            .iter()
            .find(|route| route.method() == request.method);
        let Some(route) = route else {
            if request.method == "OPTIONS"
                && let Some(preflight) = self.preflight(resource)
            {
                return GatewayResponse {
                    response: preflight,
                    decision: AuthDecision::Preflight,
                    resource: Some(resource),
                };
            }
            return self.no_route(&request);
        };
        let Ok(method) = Method::from_bytes(request.method.as_bytes()) else {
            return self.no_route(&request);
        };
        let path = RouteTable::normalize(raw_path).unwrap_or(raw_path);
        let query = events::parse_query(raw_query);
        let path_parameters: HashMap<String, String> = matched.params.into_iter().collect();
        let received = SystemTime::now();
        let matched = MatchedRequest {
            config: &self.config,
            method: &method,
            path,
            resource,
            headers: &request.headers,
            query: &query,
            path_parameters: &path_parameters,
            source_ip: &request.source_ip,
            request_id: RequestId::new(received),
        };
        let method_arn = self.method_arn_parts(method.as_str(), path);
        let authorized = match self.authorize(route, &matched, method_arn).await {
            Ok(allowed) => self
                .check_api_key(route, &request.headers)
                .map(|()| allowed),
            Err(refusal) => Err(refusal),
        };
        let request_id = matched.request_id;
        let path_len = path.len();
        let forward = Forward {
            route,
            resource,
            method,
            path_len,
            query,
            path_parameters,
            received,
            request_id,
        };
        self.forward(forward, request, authorized).await
    }

    /// Calls the view once the gateway let the request through, or gives the refusal.
    async fn forward(
        &self,
        forward: Forward<'_>,
        request: GatewayRequest,
        authorized: Authorized,
    ) -> GatewayResponse {
        let Forward {
            route,
            resource,
            method,
            path_len,
            query,
            path_parameters,
            received,
            request_id,
        } = forward;
        let (authorizer_context, decision) = match authorized {
            Ok(allowed) => allowed,
            Err((response, decision)) => {
                return GatewayResponse {
                    response: self.own_answer(response),
                    decision,
                    resource: Some(resource),
                };
            }
        };
        let GatewayRequest {
            target: mut path,
            headers,
            body,
            source_ip,
            ..
        } = request;
        // The normalized path is the target's start: the target keeps it, no copy needed.
        path.truncate(path_len);
        let context = RequestContext::deferred(ContextParts {
            stage: Arc::clone(&self.stage_names.context),
            resource,
            path,
            user_agent: headers.get(http::header::USER_AGENT).cloned(),
            method,
            source_ip,
            received,
            request_id,
            authorizer: authorizer_context,
        });
        let parts = RequestParts {
            headers,
            query,
            path_parameters,
            body,
        };
        let view_request = events::view_request(&self.config, route, context, parts);
        let response = dispatch::respond(self.registry, route, view_request).await;
        GatewayResponse {
            response: self.integration_response(response),
            decision,
            resource: Some(resource),
        }
    }

    fn no_route(&self, request: &GatewayRequest) -> GatewayResponse {
        let authorization = last_value(&request.headers, http::header::AUTHORIZATION);
        let response = match authorization {
            Some(value) => responses::incomplete_signature(value),
            None => responses::missing_authentication_token(),
        };
        GatewayResponse {
            response: self.own_answer(response),
            decision: AuthDecision::NoRoute,
            resource: None,
        }
    }

    /// One of API Gateway's own answers (a refusal, a limit's 4xx, a failed integration's 5xx),
    /// with the API-wide CORS headers when the app has CORS, as a REST API's
    /// `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses carry them deployed.
    pub fn own_answer(&self, response: Response) -> Response {
        gateway_answer(self.registry.gateway_cors(), response)
    }

    /// The answer to `OPTIONS` on a path with CORS routes and no `OPTIONS` view: the path's
    /// CORS configuration (its routes share one), with its CORS methods allowed.
    fn preflight(&self, resource: &str) -> Option<Response> {
        let mut config = None;
        let mut cors_methods: Vec<&str> = Vec::new();
        for route in self.registry.routes_on(resource) {
            if let Some(route_config) = route.cors() {
                config = Some(route_config);
                cors_methods.push(route.method());
            }
        }
        let config = config?;
        let mut response = Response::new(Body::Empty)
            .with_header("Content-Type", "application/json")
            .with_header(
                "Access-Control-Allow-Methods",
                &cors::allow_methods(cors_methods),
            );
        config.settings().add_to(response.headers_mut());
        Some(response)
    }

    async fn authorize(
        &self,
        route: &Route,
        request: &MatchedRequest<'_>,
        method_arn: MethodArn<'_>,
    ) -> Authorized {
        match route.authorizer() {
            None => Ok((None, AuthDecision::Public)),
            Some(AuthorizerKind::Builtin(builtin)) => {
                self.authorize_builtin(builtin, request, method_arn).await
            }
            Some(AuthorizerKind::Cognito(pool)) => {
                let token = identity_header(request.headers, pool.header_name())
                    .ok_or_else(unauthorized)?;
                let claims = match &self.config.cognito_jwks {
                    Some(jwks) => cognito::verified_claims(token, jwks, pool.provider_arns()),
                    None => {
                        self.warn_once(format!(
                            "Cognito user pool authorizer `{}`: token signatures are not verified locally \
                             (set `cognito_jwks` in the stage config); expiry and scopes are checked",
                            pool.name()
                        ));
                        cognito::unverified_claims(token)
                    }
                }
                .map_err(token_rejected)?;
                cognito::check_claims(&claims, route.scopes(), self.epoch_seconds())
                    .map_err(token_rejected)?;
                let principal_id = claims
                    .get("cognito:username")
                    .or_else(|| claims.get("sub"))
                    .and_then(Value::as_str)
                    .map(Arc::from);
                let context = Arc::new(HashMap::from([(
                    "claims".to_owned(),
                    cognito::claims_for_context(claims),
                )]));
                Ok((
                    Some(context),
                    AuthDecision::Allowed {
                        principal_id,
                        cached: false,
                    },
                ))
            }
            Some(kind @ (AuthorizerKind::Iam(_) | AuthorizerKind::Custom(_))) => {
                let refusal = match kind {
                    AuthorizerKind::Iam(_) => responses::missing_authentication_token(),
                    _ => responses::unauthorized(),
                };
                self.unemulated(kind, refusal)
            }
            // The registry refuses a JWT authorizer on a REST API when the app starts.
            Some(AuthorizerKind::Jwt(jwt)) => Err(self.authorizer_failed(
                jwt.name(),
                "a JWT authorizer needs an HTTP API (`App::http_api`)".to_owned(),
            )),
        }
    }

    /// IAM or an existing Lambda, which cannot run here: allowed with a warning, or refused
    /// with `refusal` under `--deny-unemulated`.
    fn unemulated(&self, kind: AuthorizerKind, refusal: Response) -> Authorized {
        let what = match kind {
            AuthorizerKind::Iam(_) => "IAM authorization".to_owned(),
            _ => format!("the existing Lambda authorizer `{}`", kind.name()),
        };
        match self.config.unemulated {
            Unemulated::Allow => {
                self.warn_once(format!(
                    "{what} cannot run locally: requests to its routes are allowed"
                ));
                Ok((None, AuthDecision::Unemulated { allowed: true }))
            }
            Unemulated::Deny => Err((refusal, AuthDecision::Unemulated { allowed: false })),
        }
    }

    async fn authorize_builtin(
        &self,
        builtin: &'static BuiltinAuthorizer,
        request: &MatchedRequest<'_>,
        method_arn: MethodArn<'_>,
    ) -> Authorized {
        // Borrowed from the request where it can be: a cached answer is found without a copy.
        let token: [Cow<'_, str>; 1];
        let sources: Vec<Cow<'_, str>>;
        let identity: &[Cow<'_, str>] = match builtin.auth_type() {
            AuthType::Token => {
                let value = self
                    .token(builtin, request.headers)
                    .ok_or_else(unauthorized)?;
                token = [Cow::Borrowed(value)];
                &token
            }
            AuthType::Request => {
                sources = builtin
                    .identity_sources()
                    .iter()
                    .map(|source| identity_value(request, source).ok_or_else(unauthorized))
                    .collect::<Result<_, _>>()?;
                &sources
            }
        };
        let now = self.now();
        let cached = if cacheable(identity) {
            self.cache.get(builtin.name(), identity, now)
        } else {
            None
        };
        let from_cache = cached.is_some();
        let answer = match cached {
            Some(answer) => answer,
            // Boxed: this rare state would otherwise count in the size of every request's
            // future, which is moved whole into place.
            None => {
                Box::pin(self.ask_authorizer(builtin, request, method_arn, identity, now)).await?
            }
        };
        match answer.evaluate(method_arn) {
            Ok(Decision::Allow) => Ok((
                Some(Arc::clone(answer.context_fields())),
                AuthDecision::Allowed {
                    principal_id: Some(Arc::clone(answer.principal_id())),
                    cached: from_cache,
                },
            )),
            Ok(Decision::ExplicitDeny | Decision::ImplicitDeny) => {
                Err((responses::access_denied(), AuthDecision::Denied))
            }
            Err(error) => {
                Err(self.authorizer_failed(builtin.name(), format!("invalid policy: {error}")))
            }
        }
    }

    /// A TOKEN authorizer's token: its header's value, if not empty.
    fn token<'a>(&self, builtin: &BuiltinAuthorizer, headers: &'a HeaderMap) -> Option<&'a str> {
        // Absent when the header is not a valid name: no request can carry it.
        let (_, name) = self
            .token_headers
            .iter()
            .find(|(known, _)| known.name() == builtin.name())?;
        identity_header(headers, name)
    }

    /// Runs a built-in authorizer and caches its answer for the identity.
    async fn ask_authorizer(
        &self,
        builtin: &'static BuiltinAuthorizer,
        request: &MatchedRequest<'_>,
        method_arn: MethodArn<'_>,
        identity: &[Cow<'_, str>],
        now: Instant,
    ) -> Result<Arc<Answer>, Refusal> {
        let method_arn = method_arn.text();
        let event = match builtin.auth_type() {
            AuthType::Token => {
                AuthorizerEvent::Token(events::token_event(&identity[0], &method_arn))
            }
            AuthType::Request => AuthorizerEvent::Request(Box::new(events::request_event(
                &self.config,
                request,
                &method_arn,
            ))),
        };
        let answer =
            dispatch::run_authorizer(builtin, event)
                .await
                .map_err(|failure| match failure {
                    AuthFailure::Unauthorized => unauthorized(),
                    AuthFailure::Error(error) => {
                        self.authorizer_failed(builtin.name(), error.to_string())
                    }
                })?;
        let output = answer.output().map_err(|reason| {
            self.authorizer_failed(builtin.name(), format!("invalid answer: {reason}"))
        })?;
        let answer = Answer::new(output);
        if cacheable(identity) {
            let ttl = builtin.ttl_seconds().unwrap_or(DEFAULT_TTL_SECONDS);
            self.cache.put(
                builtin.name(),
                identity,
                Arc::clone(&answer),
                Duration::from_secs(ttl.into()),
                now,
            );
        }
        Ok(answer)
    }

    /// API Gateway's API key check, after the authorizer's: a route with `api_key_required`
    /// needs an accepted `x-api-key`.
    fn check_api_key(&self, route: &Route, headers: &HeaderMap) -> Result<(), Refusal> {
        if !route.api_key_required() {
            return Ok(());
        }
        let key = identity_header(headers, API_KEY_HEADER);
        let accepted = match (&self.config.api_keys, key) {
            (_, None) => false,
            (ApiKeys::Only(keys), Some(key)) => keys.iter().any(|known| known == key),
            (ApiKeys::Any, Some(_)) => {
                self.warn_once(
                    "no API keys are configured for this stage (`api_keys` in the stage config): \
                     any x-api-key is accepted on routes with api_key_required"
                        .to_owned(),
                );
                true
            }
        };
        if accepted {
            Ok(())
        } else {
            Err((responses::forbidden(), AuthDecision::ApiKeyRejected))
        }
    }

    fn authorizer_failed(&self, name: &str, reason: String) -> Refusal {
        eprintln!(
            "chalice-rs: authorizer `{name}` failed: {}",
            printable(&reason)
        );
        let response = match self.config.api_kind {
            ApiKind::Rest => responses::authorizer_configuration_error(),
            ApiKind::Http => responses::http_api::internal_server_error(),
        };
        (response, AuthDecision::Failed(reason))
    }

    fn warn_once(&self, message: String) {
        let mut warnings = lock(&self.warnings);
        if !warnings.contains(&message) {
            eprintln!("chalice-rs: warning: {message}");
            warnings.push(message);
        }
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.clock_offset.load(Ordering::Relaxed))
    }

    fn now(&self) -> Instant {
        Instant::now() + self.offset()
    }

    fn epoch_seconds(&self) -> u64 {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (since_epoch + self.offset()).as_secs()
    }
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether an answer for this identity is cached: API Gateway keys its cache on the identity
/// sources, so an authorizer without any is run on every request.
fn cacheable(identity: &[Cow<'_, str>]) -> bool {
    !identity.is_empty()
}

fn unauthorized() -> Refusal {
    (responses::unauthorized(), AuthDecision::Unauthorized)
}

/// API Gateway's 401 for a token the gateway checked and refused; the decision keeps why.
fn token_rejected(reason: String) -> Refusal {
    (
        responses::unauthorized(),
        AuthDecision::TokenRejected(reason),
    )
}

impl Gateway {
    /// The HTTP response API Gateway makes of the view's: Chalice's default content type, and
    /// a 502 (its own answer) for a status code HTTP does not have, as API Gateway answers such
    /// a proxy response.
    fn integration_response(&self, response: Response) -> Response {
        if !(100..=599).contains(&response.status_code()) {
            return self.own_answer(responses::bad_gateway());
        }
        response.with_default_content_type()
    }
}
