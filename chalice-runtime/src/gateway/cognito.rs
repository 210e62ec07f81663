//! Cognito user pool tokens: what API Gateway checks before a Cognito route runs.
//!
//! Signatures are not verified here (that needs the pool's JWKS); the gateway says so once.
//! What can be checked without keys is checked as API Gateway does: the token is a JWT, it has
//! not expired, and it carries one of the route's scopes when the route requires any.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The claims of a JWT, read without checking its signature.
pub(crate) fn unverified_claims(token: &str) -> Result<Map<String, Value>, String> {
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the token is not a JWT (three dot-separated parts)".into());
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "the JWT payload is not base64url".to_owned())?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err("the JWT payload is not a JSON object".into()),
    }
}

/// Checks expiry and scopes; `now` is seconds since the epoch.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    required_scopes: &[&str],
    now: u64,
) -> Result<(), String> {
    if let Some(exp) = claims.get("exp") {
        let exp = exp.as_u64().ok_or("the JWT's exp claim is not a number")?;
        if exp <= now {
            return Err("the token has expired".into());
        }
    }
    if required_scopes.is_empty() {
        return Ok(());
    }
    let granted = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if granted
        .split(' ')
        .any(|scope| required_scopes.contains(&scope))
    {
        Ok(())
    } else {
        Err(format!(
            "the token has none of the scopes {required_scopes:?}"
        ))
    }
}

/// The claims as API Gateway hands them to the view: every value a string.
pub(crate) fn claims_for_context(claims: Map<String, Value>) -> Value {
    let stringified = claims
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (name, Value::String(text))
        })
        .collect();
    Value::Object(stringified)
}

#[cfg(test)]
pub(crate) fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_claims_of_a_jwt() {
        let token = unsigned_jwt(&json!({"cognito:username": "janedoe", "exp": 2000}));
        let claims = unverified_claims(&token).unwrap();
        assert_eq!(claims["cognito:username"], "janedoe");
        assert!(unverified_claims(&format!("Bearer {token}")).is_ok());
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        for token in ["", "abc", "a.b", "a.!!!.c", "a.b.c.d"] {
            assert!(unverified_claims(token).is_err(), "{token}");
        }
    }

    #[test]
    fn checks_expiry_and_scopes() {
        let claims = unverified_claims(&unsigned_jwt(
            &json!({"exp": 100, "scope": "users/read users/write"}),
        ))
        .unwrap();
        assert!(check_claims(&claims, &[], 99).is_ok());
        assert!(check_claims(&claims, &[], 100).is_err());
        assert!(check_claims(&claims, &["users/read"], 0).is_ok());
        assert!(check_claims(&claims, &["admin"], 0).is_err());
    }

    #[test]
    fn claims_reach_the_view_as_strings() {
        let claims = unverified_claims(&unsigned_jwt(
            &json!({"sub": "x", "exp": 5, "email_verified": true}),
        ))
        .unwrap();
        assert_eq!(
            claims_for_context(claims),
            json!({"sub": "x", "exp": "5", "email_verified": "true"})
        );
    }
}
