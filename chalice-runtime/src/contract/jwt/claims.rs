//! The claims API Gateway checks once a token's signature holds: issuer, audience, the three
//! times, and the route's scopes.

use serde_json::{Map, Value};

use super::rejection::InvalidToken;

/// `iss` must equal the authorizer's issuer exactly.
pub(crate) fn check_issuer(claims: &Map<String, Value>, issuer: &str) -> Result<(), InvalidToken> {
    match claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == issuer => Ok(()),
        _ => Err(InvalidToken::Issuer),
    }
}

/// `aud` (a string or an array of strings) must name one of the audiences; only when the
/// token has no `aud` does `client_id` count instead (Cognito access tokens carry that).
pub(crate) fn check_audience(
    claims: &Map<String, Value>,
    audiences: &[String],
) -> Result<(), InvalidToken> {
    let accepted = |value: &str| audiences.iter().any(|audience| audience == value);
    let matches = match claims.get("aud") {
        Some(Value::String(aud)) => accepted(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(accepted),
        Some(_) => false,
        None => claims
            .get("client_id")
            .and_then(Value::as_str)
            .is_some_and(accepted),
    };
    if matches {
        Ok(())
    } else {
        Err(InvalidToken::Audience)
    }
}

/// `exp` must be after `now`; `nbf` and `iat`, when present, at or before it. No clock skew
/// is allowed: AWS documents none. Times are seconds since the epoch and may be fractional.
pub(crate) fn check_times(claims: &Map<String, Value>, now: u64) -> Result<(), InvalidToken> {
    let now = now as f64;
    let exp = time(claims, "exp")?.ok_or(InvalidToken::NoExpiry)?;
    if exp <= now {
        return Err(InvalidToken::Expired);
    }
    if time(claims, "nbf")?.is_some_and(|nbf| nbf > now) {
        return Err(InvalidToken::NotYetValid);
    }
    if time(claims, "iat")?.is_some_and(|iat| iat > now) {
        return Err(InvalidToken::IssuedInFuture);
    }
    Ok(())
}

fn time(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, InvalidToken> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value.as_f64().map(Some).ok_or(InvalidToken::MalformedTime),
    }
}

/// The scopes a token grants: `scope` (space-separated, OAuth's form) and `scp` (an array, as
/// Okta and Azure AD write it, or a space-separated string), in order, without repeats.
pub(crate) fn granted_scopes(claims: &Map<String, Value>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for name in ["scope", "scp"] {
        let found: Vec<&str> = match claims.get(name) {
            Some(Value::String(text)) => text.split_ascii_whitespace().collect(),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for scope in found {
            if !scopes.iter().any(|known| known == scope) {
                scopes.push(scope.to_owned());
            }
        }
    }
    scopes
}

/// A route with scopes needs at least one of them among the token's; one without any takes
/// every valid token.
pub(crate) fn has_route_scope(granted: &[String], route_scopes: &[String]) -> bool {
    route_scopes.is_empty() || route_scopes.iter().any(|scope| granted.contains(scope))
}

/// The claims as an HTTP API passes them to the integration (`requestContext.authorizer.jwt
/// .claims`): strings as they are, numbers and booleans as their text, arrays as
/// `[a b]`, objects as JSON.
pub(crate) fn claim_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(claim_text).collect();
            format!("[{}]", items.join(" "))
        }
        other => other.to_string(),
    }
}
