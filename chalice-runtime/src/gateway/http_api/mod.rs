//! The HTTP API (API Gateway v2) in front of the app: its routing (route keys, `{param}`,
//! `{proxy+}`, an unknown route is 404 `{"message":"Not Found"}`), JWT authorizers, Lambda
//! authorizers with payload format 2.0, and its own answers. Matching paths, identity sources,
//! policy evaluation, the authorizer cache and calling the view are the REST gateway's, so
//! each rule is written once.

mod events;
mod jwt;
mod lambda_authorizer;

use std::collections::HashMap;
use std::time::SystemTime;

use http::Method;

use super::events::{MatchedRequest, parse_query};
use super::routing::RouteTable;
use super::{AuthDecision, Authorized, Forward, Gateway, GatewayRequest, GatewayResponse, Refusal};
use crate::authorizer::AuthorizerKind;
use crate::contract::arn::MethodArn;
use crate::contract::responses::http_api;
use crate::cors;
use crate::registry::Route;
use crate::request_context::RequestId;
use crate::response::{Body, Response};
use events::HttpMatched;

impl Gateway {
    /// Answers one request as an HTTP API would.
    pub(super) async fn handle_http(&self, mut request: GatewayRequest) -> GatewayResponse {
        let (raw_path, raw_query) = request
            .target
            .split_once('?')
            .unwrap_or((&request.target, ""));
        let matched = self.routes.match_path(raw_path);
        if request.method == "OPTIONS"
            && !self.has_options_route(matched.as_ref().map(|m| m.resource_path))
            && let Some(response) = self.http_api_preflight()
        {
            return GatewayResponse {
                response,
                decision: AuthDecision::Preflight,
                resource: None,
            };
        }
        let Some(matched) = matched else {
            return self.not_found();
        };
        let on_path = self.registry.routes_on_path(matched.resource_path);
        let Some(resource) = on_path.first().map(Route::path) else {
            return self.not_found();
        };
        let Some(route) = on_path
            .iter()
            .find(|route| route.method() == request.method)
        else {
            return self.not_found();
        };
        let Ok(method) = Method::from_bytes(request.method.as_bytes()) else {
            return self.not_found();
        };
        let path = RouteTable::normalize(raw_path).unwrap_or(raw_path);
        let query = parse_query(raw_query);
        let path_parameters: HashMap<String, String> = matched.params.into_iter().collect();
        let received = SystemTime::now();
        let request_id = RequestId::new(received);
        let matched = HttpMatched {
            request: MatchedRequest {
                config: &self.config,
                method: &method,
                path,
                resource,
                headers: &request.headers,
                query: &query,
                path_parameters: &path_parameters,
                source_ip: &request.source_ip,
                request_id,
            },
            raw_query,
            received,
        };
        let route_arn = self.method_arn_parts(method.as_str(), path);
        let authorized = self.authorize_http(route, &matched, route_arn).await;
        // The view sees the headers as the Lambda dispatch rebuilds them from the 2.0 event.
        request.headers = events::view_headers(&request.headers);
        let forward = Forward {
            route,
            resource,
            method: method.clone(),
            path_len: path.len(),
            query,
            path_parameters,
            received,
            request_id,
        };
        self.forward(forward, request, authorized).await
    }

    /// Whether the app has its own `OPTIONS` view on the matched path.
    fn has_options_route(&self, resource_path: Option<&str>) -> bool {
        resource_path.is_some_and(|path| {
            self.registry
                .routes_on_path(path)
                .iter()
                .any(|route| route.method() == "OPTIONS")
        })
    }

    /// The answer to any preflight when a route asks for CORS: an HTTP API answers them from
    /// its one API-wide CORS configuration, on every path.
    fn http_api_preflight(&self) -> Option<Response> {
        let config = self.registry.gateway_cors()?;
        let allow_methods = cors::http_api_allow_methods(
            self.registry
                .routes()
                .iter()
                .filter(|route| route.cors().is_some())
                .map(Route::method),
        )?;
        let mut response = Response::new(Body::Empty)
            .with_status(204)
            .with_header("Access-Control-Allow-Methods", &allow_methods);
        config.settings().add_to(response.headers_mut());
        Some(response)
    }

    /// 404 for a method and path no route has: the HTTP API's own answer.
    fn not_found(&self) -> GatewayResponse {
        GatewayResponse {
            response: self.own_answer(http_api::not_found()),
            decision: AuthDecision::NoRoute,
            resource: None,
        }
    }

    async fn authorize_http(
        &self,
        route: &Route,
        request: &HttpMatched<'_>,
        route_arn: MethodArn<'_>,
    ) -> Authorized {
        match route.authorizer() {
            None => Ok((None, AuthDecision::Public)),
            Some(AuthorizerKind::Jwt(jwt)) => self.authorize_jwt(jwt, route, request),
            Some(AuthorizerKind::Builtin(builtin)) => {
                self.authorize_lambda_v2(builtin, route, request, route_arn)
                    .await
            }
            Some(kind @ AuthorizerKind::Iam(_)) => self.unemulated(kind, http_api::forbidden(None)),
            Some(kind @ AuthorizerKind::Custom(_)) => {
                self.unemulated(kind, http_api::unauthorized(None))
            }
            // The registry refuses a Cognito authorizer on an HTTP API when the app starts.
            Some(AuthorizerKind::Cognito(pool)) => Err(self.authorizer_failed(
                pool.name(),
                "HTTP APIs have no Cognito user pool authorizers; use a JwtAuthorizer".to_owned(),
            )),
        }
    }
}

/// 401 `{"message":"Unauthorized"}`: a Lambda authorizer's identity source is missing, or it
/// said `Unauthorized`.
fn unauthorized() -> Refusal {
    (http_api::unauthorized(None), AuthDecision::Unauthorized)
}
