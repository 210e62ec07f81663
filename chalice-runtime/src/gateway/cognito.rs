//! Cognito user pool tokens: what API Gateway checks before a Cognito route runs.
//!
//! With the pool's keys (its JWKS) a token is verified as API Gateway verifies it: an RS256
//! signature by one of the keys, an issuer that is one of the route's user pools, `token_use`
//! `id` or `access`. Without them the gateway can only decode the token, and says so once.
//! Either way the token must not have expired and must carry one of the route's scopes when
//! the route requires any.

use serde_json::{Map, Value};

use crate::contract::jwt::{JwkSet, SignatureError, Token, strip_bearer};
use crate::contract::user_pool::issuer;

/// The claims of a token verified against `jwks` for the given user pools.
pub(crate) fn verified_claims(
    token: &str,
    jwks: &JwkSet,
    provider_arns: &[&str],
) -> Result<Map<String, Value>, String> {
    let token = Token::decode(strip_bearer(token)).map_err(|error| error.to_string())?;
    if !token.is_rs256() {
        return Err(format!(
            "the JWT is signed with {}, not RS256",
            token.algorithm().unwrap_or("no algorithm")
        ));
    }
    jwks.verify_rs256(
        token.key_id(),
        token.signing_input.as_bytes(),
        &token.signature,
    )
    .map_err(|error| match error {
        SignatureError::UnknownKey(Some(kid)) => format!("no key `{kid}` in the JWKS"),
        SignatureError::UnknownKey(None) => "the JWT header has no kid".to_owned(),
        SignatureError::Invalid => "the JWT signature does not verify".to_owned(),
    })?;
    let claims = token.claims;
    // The registry refuses an authorizer whose providers are not user pools, so the list is
    // never empty; were it, no token would pass.
    let issuers: Vec<String> = provider_arns.iter().filter_map(|arn| issuer(arn)).collect();
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !issuers.iter().any(|expected| expected == iss) {
        return Err(format!(
            "the token's issuer {iss:?} is none of the route's user pools"
        ));
    }
    match claims.get("token_use").and_then(Value::as_str) {
        Some("id" | "access") => Ok(claims),
        other => Err(format!(
            "token_use must be \"id\" or \"access\", got {other:?}"
        )),
    }
}

/// The claims of a JWT, read without checking its signature.
pub(crate) fn unverified_claims(token: &str) -> Result<Map<String, Value>, String> {
    crate::contract::jwt::unverified_claims(strip_bearer(token)).map_err(|error| error.to_string())
}

/// Checks expiry and scopes; `now` is seconds since the epoch.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    required_scopes: &[&str],
    now: u64,
) -> Result<(), String> {
    let exp = claims.get("exp").ok_or("the token has no exp claim")?;
    let exp = exp.as_u64().ok_or("the JWT's exp claim is not a number")?;
    if exp <= now {
        return Err("the token has expired".into());
    }
    if required_scopes.is_empty() {
        return Ok(());
    }
    // Scopes are only in access tokens; a verified ID token never grants them.
    if claims.get("token_use").and_then(Value::as_str) == Some("id") {
        return Err("the route requires scopes, which only an access token carries".into());
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
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::jwt::signer::JwtSigner;
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

    const POOL: &str = "arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc";

    /// The test key, as the pool's key `key-1`.
    fn signer() -> JwtSigner {
        JwtSigner::from_pem(include_str!("test-cognito-key.pem"), "key-1").unwrap()
    }

    fn signed(header: &Value, claims: &Value) -> String {
        signer().sign_with_header(header, claims)
    }

    #[test]
    fn verifies_tokens_as_api_gateway_does() {
        let jwks = signer().jwk_set();
        let header = json!({"alg": "RS256", "kid": "key-1"});
        let claims = json!({"iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_abc", "token_use": "access",
                            "scope": "users/read", "exp": 4_102_444_800_u64, "username": "jane"});
        let token = signed(&header, &claims);
        assert_eq!(
            verified_claims(&token, &jwks, &[POOL]).unwrap()["username"],
            "jane"
        );

        let tampered = {
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            let mut forged = claims.clone();
            forged["username"] = json!("mallory");
            parts[1] = signed(&header, &forged)
                .split('.')
                .nth(1)
                .unwrap()
                .to_owned();
            parts.join(".")
        };
        let cases = [
            (tampered, "does not verify"),
            (
                signed(&json!({"alg": "HS256", "kid": "key-1"}), &claims),
                "not RS256",
            ),
            (
                signed(&json!({"alg": "RS256", "kid": "other"}), &claims),
                "no key `other`",
            ),
            (
                signed(
                    &header,
                    &json!({"iss": "https://cognito-idp.us-west-2.amazonaws.com/elsewhere", "token_use": "id"}),
                ),
                "none of the route's user pools",
            ),
            (
                signed(
                    &header,
                    &json!({"iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_abc", "token_use": "refresh"}),
                ),
                "token_use",
            ),
            (unsigned_jwt(&claims), "not RS256"),
        ];
        for (token, expected) in cases {
            let error = verified_claims(&token, &jwks, &[POOL]).unwrap_err();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }

    #[test]
    fn id_tokens_carry_no_scopes() {
        let claims = unverified_claims(&unsigned_jwt(
            &json!({"token_use": "id", "scope": "users/read", "exp": 100}),
        ))
        .unwrap();
        assert!(check_claims(&claims, &["users/read"], 0).is_err());
        assert!(check_claims(&claims, &[], 0).is_ok());
    }

    #[test]
    fn a_token_without_an_expiry_is_refused() {
        let claims =
            unverified_claims(&unsigned_jwt(&json!({"token_use": "access", "scope": "a"})))
                .unwrap();
        assert_eq!(
            check_claims(&claims, &[], 0),
            Err("the token has no exp claim".to_owned())
        );
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
