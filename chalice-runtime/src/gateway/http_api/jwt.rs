//! JWT routes of an HTTP API: the token read from the authorizer's identity source, verified
//! by `verify` (the API of `contract::jwt`, which the jwt work provides), and the answer API
//! Gateway gives.
//!
//! Until `contract::jwt` is merged, `verify` below is a private stand-in with exactly its
//! signature; the lead replaces it with `use crate::contract::jwt::{..}` when merging.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::super::cognito::claims_for_context;
use super::super::{AuthDecision, Authorized, Gateway};
use super::events::HttpMatched;
use crate::authorizer::JwtAuthorizer;
use crate::contract::responses::http_api;
use crate::registry::Route;

/// The issuer's keys (the stand-in reads them as the Cognito JWKS is read).
pub type JwkSet = super::super::cognito::Jwks;

/// What a token must satisfy.
pub(crate) struct JwtRules<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) audiences: &'a [String],
    pub(crate) scopes: &'a [String],
}

/// A token that passed: its claims and scopes.
pub(crate) struct VerifiedJwt {
    pub(crate) claims: Map<String, Value>,
    pub(crate) scopes: Vec<String>,
}

/// Why a token was refused, with API Gateway's `www-authenticate` value.
pub(crate) enum JwtRejection {
    Unauthorized { www_authenticate: String },
    Forbidden { www_authenticate: String },
}

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
                // API Gateway hands every claim over as a string, as for Cognito tokens.
                let claims = claims_for_context(verified.claims);
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

fn invalid(description: &str) -> JwtRejection {
    JwtRejection::Unauthorized {
        www_authenticate: format!(
            "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{description}\""
        ),
    }
}

/// The stand-in for `contract::jwt::verify` (see the module's comment).
pub(crate) fn verify(
    identity: Option<&str>,
    rules: &JwtRules<'_>,
    keys: Option<&JwkSet>,
    now_epoch_seconds: u64,
) -> Result<VerifiedJwt, JwtRejection> {
    let token = identity
        .filter(|value| !value.is_empty())
        .ok_or_else(|| invalid("the token is missing"))?;
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("the token is not a JWT"));
    };
    let object = |part: &str| -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let header = object(header).ok_or_else(|| invalid("the token header is malformed"))?;
    let claims = object(payload).ok_or_else(|| invalid("the token payload is malformed"))?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(invalid("the token is not signed with RS256"));
    }
    if let Some(keys) = keys {
        let kid = header.get("kid").and_then(Value::as_str).unwrap_or("");
        let key = keys
            .key(kid)
            .ok_or_else(|| invalid("no key matches the token's kid"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .ok_or_else(|| invalid("the token signature is malformed"))?;
        let signed = &token[..token.rfind('.').unwrap_or(0)];
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| invalid("the token signature does not verify"))?;
    }
    check_claims(&claims, rules, now_epoch_seconds)?;
    let scopes: Vec<String> = claims
        .get("scope")
        .and_then(Value::as_str)
        .map(|scope| {
            scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !rules.scopes.is_empty() && !scopes.iter().any(|scope| rules.scopes.contains(scope)) {
        return Err(JwtRejection::Forbidden {
            www_authenticate: format!(
                "Bearer scope=\"{}\" error=\"insufficient_scope\" error_description=\"the token \
                 has none of the route's scopes\"",
                rules.scopes.join(" ")
            ),
        });
    }
    Ok(VerifiedJwt { claims, scopes })
}

fn check_claims(
    claims: &Map<String, Value>,
    rules: &JwtRules<'_>,
    now: u64,
) -> Result<(), JwtRejection> {
    if claims.get("iss").and_then(Value::as_str) != Some(rules.issuer) {
        return Err(invalid("the token's issuer is not the authorizer's"));
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => rules.audiences.contains(aud),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| rules.audiences.iter().any(|known| known == aud)),
        Some(_) => false,
        None => claims
            .get("client_id")
            .and_then(Value::as_str)
            .is_some_and(|id| rules.audiences.iter().any(|known| known == id)),
    };
    if !audience_ok {
        return Err(invalid("the token's audience is not accepted"));
    }
    let time = |name: &str| claims.get(name).map(|value| value.as_u64());
    match time("exp") {
        Some(Some(exp)) if exp > now => {}
        Some(Some(_)) => return Err(invalid("the token has expired")),
        _ => return Err(invalid("the token has no valid exp claim")),
    }
    match time("nbf") {
        Some(Some(nbf)) if nbf > now => return Err(invalid("the token is not valid yet")),
        Some(None) => return Err(invalid("the token's nbf claim is not a number")),
        _ => {}
    }
    match time("iat") {
        Some(Some(iat)) if iat > now => return Err(invalid("the token was issued in the future")),
        Some(None) => return Err(invalid("the token's iat claim is not a number")),
        _ => {}
    }
    Ok(())
}
