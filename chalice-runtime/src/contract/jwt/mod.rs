//! JWT authorizers of HTTP APIs: what API Gateway checks before a JWT route's integration
//! runs, in the order it documents.
//!
//! 1. The identity source holds the token alone, or prefixed with `Bearer `.
//! 2. The token is signed with RS256 (`none`, HMAC and other algorithms are refused), by the
//!    issuer's key its header's `kid` names.
//! 3. `iss` equals the issuer; `aud` names one of the audiences, or `client_id` does when the
//!    token has no `aud`; `exp` is in the future, `nbf` and `iat` (when present) are not.
//! 4. A route with scopes needs one of them in the token's `scope` or `scp`.
//!
//! A missing or invalid token is 401, a valid one without a route scope 403 (see
//! [`JwtRejection`]). Everything here is pure: the keys and the time are given, so the local
//! server, the test client and tests verify alike.

mod claims;
mod keys;
mod rejection;
pub(crate) mod signer;
mod token;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde_json::{Map, Value};

pub use keys::JwkSet;
pub use rejection::JwtRejection;

pub(crate) use keys::SignatureError;
pub(crate) use token::{Token, strip_bearer, unverified_claims};

use rejection::InvalidToken;

/// What a JWT authorizer and its route require of a token.
#[derive(Debug, Clone, Copy)]
pub struct JwtRules<'a> {
    /// The issuer (`iss`) the authorizer trusts, e.g. `https://issuer.example.com`.
    pub issuer: &'a str,
    /// The audiences; the token's `aud` (or `client_id`) must be one of them.
    pub audiences: &'a [String],
    /// The route's authorization scopes; empty when the route requires none.
    pub scopes: &'a [String],
}

/// A token API Gateway accepted for a route.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJwt {
    /// The token's claims, as JSON.
    pub claims: Map<String, Value>,
    /// The scopes the token grants (`scope` and `scp`), in order.
    pub scopes: Vec<String>,
}

impl VerifiedJwt {
    /// The claims as an HTTP API passes them to the integration in
    /// `requestContext.authorizer.jwt.claims`: every value a string, arrays as `[a b]`.
    pub fn context_claims(&self) -> HashMap<String, String> {
        self.claims
            .iter()
            .map(|(name, value)| (name.clone(), claims::claim_text(value)))
            .collect()
    }
}

/// Checks the token in `identity` (the identity source's value, `None` when the request does
/// not carry it) as API Gateway does for a route with `rules`, at `now_epoch_seconds`.
///
/// With `keys: None` the signature cannot be checked (the local server says so at start-up);
/// every other check is still made, so a token API Gateway would refuse for its algorithm,
/// its claims or its scopes is refused here too.
pub fn verify(
    identity: Option<&str>,
    rules: &JwtRules<'_>,
    keys: Option<&JwkSet>,
    now_epoch_seconds: u64,
) -> Result<VerifiedJwt, JwtRejection> {
    let identity = identity
        .map(strip_bearer)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| JwtRejection::missing_token(rules.scopes))?;
    let invalid = |reason| JwtRejection::invalid_token(rules.scopes, reason);
    let token = Token::decode(identity).map_err(|_| invalid(InvalidToken::Malformed))?;
    if !token.is_rs256() {
        return Err(invalid(InvalidToken::Algorithm));
    }
    match keys {
        Some(keys) => keys
            .verify_rs256(
                token.key_id(),
                token.signing_input.as_bytes(),
                &token.signature,
            )
            .map_err(|error| match error {
                SignatureError::UnknownKey(_) => invalid(InvalidToken::UnknownKey),
                SignatureError::Invalid => invalid(InvalidToken::Signature),
            })?,
        // Without the keys no key can match, but a token naming none never would.
        None if token.key_id().is_none() => return Err(invalid(InvalidToken::UnknownKey)),
        None => {}
    }
    let claims = token.claims;
    claims::check_issuer(&claims, rules.issuer).map_err(invalid)?;
    claims::check_audience(&claims, rules.audiences).map_err(invalid)?;
    claims::check_times(&claims, now_epoch_seconds).map_err(invalid)?;
    let scopes = claims::granted_scopes(&claims);
    if !claims::has_route_scope(&scopes, rules.scopes) {
        return Err(JwtRejection::insufficient_scope(rules.scopes));
    }
    Ok(VerifiedJwt { claims, scopes })
}

/// The local server's start-up notes about JWT keys: one per issuer the app's JWT authorizers
/// name (see [`jwt_issuer_note`]), and one per issuer the stage's `jwks` names that no
/// authorizer uses, which is most often a typo (a trailing `/` is the usual one): its tokens
/// would otherwise go unverified without a word.
pub fn jwks_notes<'a>(
    app_issuers: impl IntoIterator<Item = &'a str>,
    configured: &std::collections::BTreeMap<String, std::sync::Arc<JwkSet>>,
) -> Vec<String> {
    let mut app_issuers: Vec<&str> = app_issuers.into_iter().collect();
    app_issuers.sort_unstable();
    app_issuers.dedup();
    let mut notes: Vec<String> = app_issuers
        .iter()
        .filter_map(|issuer| jwt_issuer_note(issuer, configured.contains_key(*issuer)))
        .collect();
    for issuer in configured.keys() {
        if app_issuers.contains(&issuer.as_str()) {
            continue;
        }
        let near = app_issuers
            .iter()
            .find(|known| known.trim_end_matches('/') == issuer.trim_end_matches('/'));
        notes.push(match near {
            Some(known) => format!(
                "`jwks` names issuer `{issuer}`, which no JWT authorizer uses; did you mean \
                 `{known}`? API Gateway compares issuers exactly"
            ),
            None => format!("`jwks` names issuer `{issuer}`, which no JWT authorizer uses"),
        });
    }
    notes
}

/// The local server's start-up note about the tokens of `issuer`: verified against its JWKS,
/// or, without one, that signatures are not checked and how to configure the keys.
pub fn jwt_issuer_note(issuer: &str, has_keys: bool) -> Option<String> {
    Some(if has_keys {
        format!("JWT issuer `{issuer}`: tokens are verified against the configured JWKS")
    } else {
        format!(
            "JWT issuer `{issuer}`: token signatures are NOT verified locally (name a JWKS file \
             for this issuer under `jwks` in the stage config); issuer, audience, times and \
             scopes are checked"
        )
    })
}
