//! JWT routes of an HTTP API: the token read from the authorizer's identity source, verified
//! by [`contract::jwt::verify`](crate::contract::jwt::verify), and the answer API Gateway gives.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::super::{AuthDecision, Authorized, Gateway};
use super::events::HttpMatched;
use crate::authorizer::JwtAuthorizer;
use crate::contract::jwt::{JwtRejection, JwtRules, verify};
use crate::contract::responses::http_api;
use crate::registry::Route;

impl Gateway {
    /// Verifies the route's JWT as API Gateway does; the view gets `{"jwt": {claims, scopes}}`.
    pub(super) fn authorize_jwt(
        &self,
        jwt: &'static JwtAuthorizer,
        route: &Route,
        request: &HttpMatched<'_>,
    ) -> Authorized {
        let identity = request.jwt_identity(jwt.identity_source_name());
        let audiences: Vec<String> = jwt.audiences().iter().map(|a| (*a).to_owned()).collect();
        let scopes: Vec<String> = route.scopes().iter().map(|s| (*s).to_owned()).collect();
        let rules = JwtRules {
            issuer: jwt.issuer(),
            audiences: &audiences,
            scopes: &scopes,
        };
        let keys = self.config.jwks_for(jwt.issuer());
        if keys.is_none() {
            self.warn_once(format!(
                "JWT authorizer `{}`: token signatures are NOT verified locally (no JWKS for \
                 issuer {} in the stage config's `jwks`); issuer, audience, expiry and scopes \
                 are checked",
                jwt.name(),
                jwt.issuer()
            ));
        }
        match verify(identity, &rules, keys, self.epoch_seconds()) {
            Ok(verified) => {
                let principal = verified
                    .claims
                    .get("sub")
                    .and_then(Value::as_str)
                    .map(Arc::from);
                // API Gateway hands every claim over as a string.
                let claims = verified.context_claims();
                let scopes = (!verified.scopes.is_empty()).then_some(verified.scopes);
                let context = HashMap::from([(
                    "jwt".to_owned(),
                    json!({"claims": claims, "scopes": scopes}),
                )]);
                Ok((
                    Some(Arc::new(context)),
                    AuthDecision::Allowed {
                        principal_id: principal,
                        cached: false,
                    },
                ))
            }
            Err(JwtRejection::Unauthorized { www_authenticate }) => Err((
                http_api::unauthorized(Some(&www_authenticate)),
                AuthDecision::TokenRejected(www_authenticate),
            )),
            Err(JwtRejection::Forbidden { www_authenticate }) => Err((
                http_api::forbidden(Some(&www_authenticate)),
                AuthDecision::Denied,
            )),
        }
    }
}
