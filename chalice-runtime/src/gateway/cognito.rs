//! Cognito user pool tokens: what API Gateway checks before a Cognito route runs.
//!
//! With the pool's keys (its JWKS) a token is verified as API Gateway verifies it: an RS256
//! signature by one of the keys, an issuer that is one of the route's user pools, `token_use`
//! `id` or `access`. Without them the gateway can only decode the token, and says so once.
//! Either way the token must not have expired and must carry one of the route's scopes when
//! the route requires any.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::contract::user_pool::issuer;

/// A user pool's signing keys: the JWKS at
/// `https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<(String, RsaPublicKey)>,
}

impl Jwks {
    /// Reads a JWKS document; RSA signing keys are kept, others skipped.
    pub fn parse(text: &str) -> Result<Jwks, String> {
        let document: Value =
            serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        let entries = document["keys"].as_array().ok_or("no \"keys\" array")?;
        let mut keys = Vec::new();
        for (index, key) in entries.iter().enumerate() {
            if key["kty"] != "RSA" || key.get("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let field = |name: &str| -> Result<BigUint, String> {
                let text = key[name]
                    .as_str()
                    .ok_or_else(|| format!("keys[{index}].{name} is missing"))?;
                let bytes = URL_SAFE_NO_PAD
                    .decode(text.trim_end_matches('='))
                    .map_err(|_| format!("keys[{index}].{name} is not base64url"))?;
                Ok(BigUint::from_bytes_be(&bytes))
            };
            let kid = key["kid"]
                .as_str()
                .ok_or_else(|| format!("keys[{index}].kid is missing"))?;
            let public = RsaPublicKey::new(field("n")?, field("e")?)
                .map_err(|error| format!("keys[{index}]: {error}"))?;
            keys.push((kid.to_owned(), public));
        }
        if keys.is_empty() {
            return Err("no RSA signing key".into());
        }
        Ok(Jwks { keys })
    }

    /// The RSA key with id `kid`.
    pub(crate) fn key(&self, kid: &str) -> Option<&RsaPublicKey> {
        self.keys
            .iter()
            .find(|(id, _)| id == kid)
            .map(|(_, key)| key)
    }

    /// Reads a JWKS file; the error names the file.
    pub fn load(path: &Path) -> Result<Jwks, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        Jwks::parse(&text).map_err(|error| format!("{}: not a JWKS: {error}", path.display()))
    }
}

/// The claims of a token verified against `jwks` for the given user pools.
pub(crate) fn verified_claims(
    token: &str,
    jwks: &Jwks,
    provider_arns: &[&str],
) -> Result<Map<String, Value>, String> {
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let claims = unverified_claims(token)?;
    let (signed, signature) = token.rsplit_once('.').ok_or("the token is not a JWT")?;
    let header = signed.split('.').next().unwrap_or_default();
    let header: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("the JWT header is not base64url JSON")?;
    if header["alg"] != "RS256" {
        return Err(format!(
            "the JWT is signed with {}, not RS256",
            header["alg"]
        ));
    }
    let kid = header["kid"].as_str().ok_or("the JWT header has no kid")?;
    let (_, key) = jwks
        .keys
        .iter()
        .find(|(id, _)| id == kid)
        .ok_or_else(|| format!("no key `{kid}` in the JWKS"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "the JWT signature is not base64url")?;
    let signature =
        Signature::try_from(signature.as_slice()).map_err(|_| "malformed JWT signature")?;
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "the JWT signature does not verify")?;
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

    const POOL: &str = "arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc";

    fn signing_key() -> rsa::RsaPrivateKey {
        use rsa::pkcs8::DecodePrivateKey as _;
        rsa::RsaPrivateKey::from_pkcs8_pem(include_str!("test-cognito-key.pem")).unwrap()
    }

    /// The JWKS of the test key, as Cognito publishes it.
    pub(crate) fn test_jwks() -> String {
        use rsa::traits::PublicKeyParts as _;
        let public = signing_key().to_public_key();
        serde_json::json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "key-1",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be())}]})
        .to_string()
    }

    fn signed(header: &Value, claims: &Value) -> String {
        use rsa::signature::{SignatureEncoding as _, Signer as _};
        let signing = rsa::pkcs1v15::SigningKey::<Sha256>::new(signing_key());
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = signing.sign(message.as_bytes()).to_bytes();
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn verifies_tokens_as_api_gateway_does() {
        let jwks = Jwks::parse(&test_jwks()).unwrap();
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
            parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
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
    fn bad_jwks_documents_say_what_is_wrong() {
        for (text, expected) in [
            ("nope", "not JSON"),
            ("{}", "no \"keys\""),
            (r#"{"keys": [{"kty": "EC"}]}"#, "no RSA signing key"),
            (
                r#"{"keys": [{"kty": "RSA", "kid": "k", "e": "AQAB"}]}"#,
                "keys[0].n is missing",
            ),
        ] {
            assert!(Jwks::parse(text).unwrap_err().contains(expected), "{text}");
        }
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
