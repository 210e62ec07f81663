//! One test per rule of API Gateway's JWT authorizer; each starts from a token that passes,
//! so it fails if the rule is not applied.

use serde_json::{Value, json};

use super::signer::JwtSigner;
use super::*;

const ISSUER: &str = "https://issuer.example.com";
const NOW: u64 = 1_700_000_000;

fn signer() -> JwtSigner {
    JwtSigner::from_pem(include_str!("../../gateway/test-cognito-key.pem"), "key-1").unwrap()
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": "orders-api", "sub": "jane", "scope": "orders/read profile",
           "iat": NOW - 10, "exp": NOW + 3600})
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Verifies `token` for a route of the `orders-api` audience with `scopes`, at `NOW`.
fn check(token: &str, scopes: &[&str]) -> Result<VerifiedJwt, JwtRejection> {
    let audiences = strings(&["orders-api", "other-api"]);
    let scopes = strings(scopes);
    let rules = JwtRules {
        issuer: ISSUER,
        audiences: &audiences,
        scopes: &scopes,
    };
    verify(Some(token), &rules, Some(&signer().jwk_set()), NOW)
}

fn with(changes: Value) -> String {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    signer().sign(&claims)
}

fn assert_invalid(result: Result<VerifiedJwt, JwtRejection>, description: &str) {
    let rejection = result.unwrap_err();
    assert_eq!(rejection.status(), 401, "{rejection:?}");
    assert_eq!(rejection.message(), "Unauthorized");
    assert_eq!(
        rejection.www_authenticate(),
        format!("Bearer scope=\"\" error=\"invalid_token\" error_description=\"{description}\"")
    );
}

#[test]
fn a_valid_token_passes_with_its_claims_and_scopes() {
    let verified = check(&signer().sign(&claims()), &[]).unwrap();
    assert_eq!(verified.claims["sub"], "jane");
    assert_eq!(verified.scopes, ["orders/read", "profile"]);
}

#[test]
fn the_token_may_come_alone_or_after_bearer() {
    let token = signer().sign(&claims());
    assert!(check(&format!("Bearer {token}"), &[]).is_ok());
    assert_invalid(
        check(&format!("Token {token}"), &[]),
        "the token is not a valid JWT",
    );
}

#[test]
fn a_missing_token_is_unauthorized_without_an_error_code() {
    let none: &[String] = &[];
    let rules = JwtRules {
        issuer: ISSUER,
        audiences: none,
        scopes: &strings(&["orders/read"]),
    };
    for identity in [None, Some(""), Some("Bearer ")] {
        let rejection = verify(identity, &rules, None, NOW).unwrap_err();
        assert_eq!(
            rejection,
            JwtRejection::Unauthorized {
                www_authenticate: "Bearer scope=\"orders/read\"".into()
            },
            "{identity:?}"
        );
    }
}

#[test]
fn what_is_not_a_jwt_is_invalid() {
    for token in ["abc", "a.b", "a.b.c.d", "e30.!!!.c2ln", "bm9wZQ.e30.c2ln"] {
        assert_invalid(check(token, &[]), "the token is not a valid JWT");
    }
}

#[test]
fn only_rs256_is_accepted() {
    let signer = signer();
    for alg in ["none", "HS256", "RS512", "PS256", "ES256"] {
        let token = signer.sign_with_header(&json!({"alg": alg, "kid": "key-1"}), &claims());
        assert_invalid(check(&token, &[]), "the token is not signed with RS256");
    }
    // An unsigned token, as `alg: none` would have it, is refused even without keys.
    let unsigned = signer.sign_with_header(&json!({"alg": "none", "kid": "key-1"}), &claims());
    let (unsigned, _) = unsigned.rsplit_once('.').unwrap();
    let rules = JwtRules {
        issuer: ISSUER,
        audiences: &strings(&["orders-api"]),
        scopes: &[],
    };
    assert!(verify(Some(&format!("{unsigned}.")), &rules, None, NOW).is_err());
}

#[test]
fn the_kid_must_name_a_key_of_the_issuer() {
    let signer = signer();
    for header in [
        json!({"alg": "RS256", "kid": "key-2"}),
        json!({"alg": "RS256"}),
    ] {
        let token = signer.sign_with_header(&header, &claims());
        assert_invalid(
            check(&token, &[]),
            "the token's kid does not match a key of the issuer",
        );
    }
}

#[test]
fn the_signature_must_verify() {
    // The payload of another token, under this token's signature.
    let token = signer().sign(&claims());
    let forged = with(json!({"sub": "mallory"}));
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = forged.split('.').nth(1).unwrap();
    assert_invalid(
        check(&parts.join("."), &[]),
        "the token does not have a valid signature",
    );
    // Signed by another key under the same kid.
    let other = JwtSigner::from_pem(OTHER_KEY, "key-1").unwrap();
    assert_invalid(
        check(&other.sign(&claims()), &[]),
        "the token does not have a valid signature",
    );
}

#[test]
fn the_issuer_must_match_exactly() {
    for iss in [
        json!("https://issuer.example.com/"),
        json!("https://evil.example.com"),
        json!(null),
        json!(7),
    ] {
        assert_invalid(
            check(&with(json!({"iss": iss})), &[]),
            "the token does not have a valid issuer",
        );
    }
}

#[test]
fn the_audience_must_be_one_of_the_authorizers() {
    assert!(check(&with(json!({"aud": "other-api"})), &[]).is_ok());
    assert!(check(&with(json!({"aud": ["x", "orders-api"]})), &[]).is_ok());
    for aud in [json!("elsewhere"), json!(["x", "y"]), json!(5), json!(null)] {
        assert_invalid(
            check(&with(json!({"aud": aud})), &[]),
            "the token does not have a valid audience",
        );
    }
}

#[test]
fn client_id_counts_only_when_aud_is_absent() {
    assert!(check(&with(json!({"aud": null, "client_id": "orders-api"})), &[]).is_ok());
    assert_invalid(
        check(&with(json!({"aud": null, "client_id": "elsewhere"})), &[]),
        "the token does not have a valid audience",
    );
    // Both present: `aud` decides, either way.
    assert_invalid(
        check(
            &with(json!({"aud": "elsewhere", "client_id": "orders-api"})),
            &[],
        ),
        "the token does not have a valid audience",
    );
    assert!(
        check(
            &with(json!({"aud": "orders-api", "client_id": "elsewhere"})),
            &[]
        )
        .is_ok()
    );
    // An `aud` of another type is still the token's audience: `client_id` does not stand in.
    assert_invalid(
        check(&with(json!({"aud": 5, "client_id": "orders-api"})), &[]),
        "the token does not have a valid audience",
    );
}

#[test]
fn exp_must_be_in_the_future() {
    assert!(check(&with(json!({"exp": NOW + 1})), &[]).is_ok());
    assert_invalid(
        check(&with(json!({"exp": NOW})), &[]),
        "the token has expired",
    );
    assert_invalid(
        check(&with(json!({"exp": null})), &[]),
        "the token does not have an expiration time",
    );
    assert_invalid(
        check(&with(json!({"exp": "tomorrow"})), &[]),
        "the token has a malformed exp, nbf or iat claim",
    );
}

#[test]
fn nbf_must_not_be_in_the_future() {
    assert!(check(&with(json!({"nbf": NOW})), &[]).is_ok());
    assert_invalid(
        check(&with(json!({"nbf": NOW + 1})), &[]),
        "the token is not valid yet",
    );
}

#[test]
fn iat_must_not_be_in_the_future() {
    assert!(check(&with(json!({"iat": NOW})), &[]).is_ok());
    assert!(check(&with(json!({"iat": null})), &[]).is_ok());
    assert_invalid(
        check(&with(json!({"iat": NOW + 1})), &[]),
        "the token was issued in the future",
    );
}

#[test]
fn a_route_scope_must_be_in_scope_or_scp() {
    assert!(check(&with(json!({})), &["orders/read"]).is_ok());
    assert!(
        check(
            &with(json!({"scope": null, "scp": ["a", "orders/write"]})),
            &["orders/write"]
        )
        .is_ok()
    );
    assert!(
        check(
            &with(json!({"scope": null, "scp": "a orders/write"})),
            &["orders/write"]
        )
        .is_ok()
    );
    let rejection = check(&with(json!({})), &["orders/write", "admin"]).unwrap_err();
    assert_eq!(rejection.status(), 403);
    assert_eq!(rejection.message(), "Forbidden");
    assert_eq!(
        rejection.www_authenticate(),
        "Bearer scope=\"orders/write admin\" error=\"insufficient_scope\" \
         error_description=\"the token does not have any of the route's scopes\""
    );
    // A scope is a whole word of `scope`, not a part of one.
    assert_eq!(
        check(&with(json!({"scope": "orders/reader"})), &["orders/read"])
            .unwrap_err()
            .status(),
        403
    );
}

#[test]
fn an_invalid_token_is_401_even_on_a_route_with_scopes() {
    let rejection = check(&with(json!({"exp": NOW - 1})), &["orders/read"]).unwrap_err();
    assert_eq!(
        rejection.www_authenticate(),
        "Bearer scope=\"orders/read\" error=\"invalid_token\" error_description=\"the token has expired\""
    );
}

#[test]
fn without_keys_every_claim_is_still_checked() {
    let audiences = strings(&["orders-api"]);
    let rules = JwtRules {
        issuer: ISSUER,
        audiences: &audiences,
        scopes: &[],
    };
    let other = JwtSigner::from_pem(OTHER_KEY, "unknown").unwrap();
    assert!(verify(Some(&other.sign(&claims())), &rules, None, NOW).is_ok());
    let mut expired = claims();
    expired["exp"] = json!(NOW);
    let rejection = verify(Some(&other.sign(&expired)), &rules, None, NOW).unwrap_err();
    assert!(
        rejection
            .www_authenticate()
            .contains("the token has expired")
    );
}

#[test]
fn claims_reach_the_integration_as_strings() {
    let verified = check(
        &with(json!({"groups": ["admin", "users"], "verified": true, "meta": {"a": 1}})),
        &[],
    )
    .unwrap();
    let claims = verified.context_claims();
    assert_eq!(claims["groups"], "[admin users]");
    assert_eq!(claims["verified"], "true");
    assert_eq!(claims["exp"], (NOW + 3600).to_string());
    assert_eq!(claims["meta"], r#"{"a":1}"#);
    assert_eq!(claims["sub"], "jane");
}

#[test]
fn the_start_up_note_says_whether_signatures_are_checked() {
    let verified = jwt_issuer_note(ISSUER, true).unwrap();
    assert!(
        verified.contains("verified against the configured JWKS"),
        "{verified}"
    );
    let unverified = jwt_issuer_note(ISSUER, false).unwrap();
    assert!(unverified.contains("NOT verified"), "{unverified}");
    assert!(unverified.contains("`jwks`"), "{unverified}");
}

#[test]
fn configured_keys_that_no_authorizer_uses_are_pointed_out() {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    let keys = Arc::new(signer().jwk_set());
    let configured = BTreeMap::from([
        (ISSUER.to_owned(), keys.clone()),
        ("https://pool.example.com/".to_owned(), keys.clone()),
        ("https://unused.example.com".to_owned(), keys),
    ]);
    let notes = jwks_notes([ISSUER, "https://pool.example.com", ISSUER], &configured);
    assert_eq!(notes.len(), 4, "{notes:#?}");
    assert!(notes[0].contains("`https://issuer.example.com`: tokens are verified"));
    assert!(notes[1].contains("`https://pool.example.com`: token signatures are NOT verified"));
    assert!(
        notes[2].contains("issuer `https://pool.example.com/`, which no JWT authorizer uses; did you mean `https://pool.example.com`?"),
        "{}",
        notes[2]
    );
    assert_eq!(
        notes[3],
        "`jwks` names issuer `https://unused.example.com`, which no JWT authorizer uses"
    );
    assert!(jwks_notes([], &BTreeMap::new()).is_empty());
}

#[test]
fn bad_jwks_documents_say_what_is_wrong() {
    for (text, expected) in [
        ("nope", "not JSON"),
        ("{}", "no \"keys\""),
        (r#"{"keys": [{"kty": "EC"}]}"#, "no RSA signing key"),
        (
            r#"{"keys": [{"kty": "RSA", "use": "enc", "kid": "k"}]}"#,
            "no RSA signing key",
        ),
        (
            r#"{"keys": [{"kty": "RSA", "kid": "k", "e": "AQAB"}]}"#,
            "keys[0].n is missing",
        ),
        (
            r#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}"#,
            "keys[0].kid is missing",
        ),
        (
            r#"{"keys": [{"kty": "RSA", "kid": "k", "n": "*", "e": "AQAB"}]}"#,
            "keys[0].n is not base64url",
        ),
    ] {
        let error = JwkSet::parse(text).unwrap_err();
        assert!(error.contains(expected), "{text}: {error}");
    }
    let jwks: Value = serde_json::from_str(&signer().jwks()).unwrap();
    let key = &jwks["keys"][0];
    let twice = json!({"keys": [key, key]}).to_string();
    assert!(
        JwkSet::parse(&twice)
            .unwrap_err()
            .contains("kid `key-1` appears twice")
    );
    let error = JwkSet::load("/nonexistent/jwks.json").unwrap_err();
    assert!(error.starts_with("/nonexistent/jwks.json: "), "{error}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever a client sends is answered, never a panic.
    #[test]
    fn any_identity_is_answered(identity in "(Bearer )?[A-Za-z0-9_.=-]{0,60}") {
        let _ = check(&identity, &["orders/read"]);
    }

    /// Changing any one character of a valid token makes it invalid.
    #[test]
    fn a_token_changed_anywhere_is_refused(position in 0usize..1000, replacement in "[A-Za-z0-9_.-]") {
        let token = signer().sign(&claims());
        let position = position % token.len();
        let original = &token[position..=position];
        proptest::prop_assume!(original != replacement);
        let changed = format!("{}{replacement}{}", &token[..position], &token[position + 1..]);
        let rejection = check(&changed, &[]).unwrap_err();
        proptest::prop_assert_eq!(rejection.status(), 401);
    }
}

/// A second key, to sign tokens the test JWKS must not accept.
const OTHER_KEY: &str = include_str!("../../../../examples/http-api/tests/jwt-test-key.pem");
