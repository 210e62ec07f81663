//! Test tokens for the HTTP API example: RS256 JWTs signed with the example's test key (whose
//! JWKS `.chalice/config.json` names), or with a key the JWKS does not hold.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chalice_runtime::gateway::{GatewayConfig, JwkSet};
use chalice_runtime::test::Client;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::{Value, json};
use sha2::Sha256;

pub const ISSUER: &str = "https://issuer.example.com";
pub const KID: &str = "httpapi1-test";

/// Which key signs a token.
#[derive(Clone, Copy)]
pub enum Key {
    /// The key of the example's JWKS.
    Test,
    /// A key the JWKS does not hold.
    Other,
}

fn private_key(key: Key) -> rsa::RsaPrivateKey {
    let pem = match key {
        Key::Test => include_str!("../keys/test-signing-key.pem"),
        Key::Other => include_str!("../keys/other-key.pem"),
    };
    rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("test key")
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Valid claims for the `jwt` authorizer with `scope`.
pub fn claims(scope: &str) -> Value {
    let now = now();
    json!({"iss": ISSUER, "aud": "orders-api", "sub": "user-1", "iat": now - 10,
           "exp": now + 3600, "scope": scope})
}

/// The RS256 header naming `kid`.
pub fn header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": KID})
}

/// A JWT of `header` and `claims` signed (RS256) with `key`.
pub fn signed_token(header: &Value, claims: &Value, key: Key) -> String {
    let signing = rsa::pkcs1v15::SigningKey::<Sha256>::new(private_key(key));
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signing.sign(message.as_bytes()).to_bytes();
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A valid token with `scope`.
pub fn token(scope: &str) -> String {
    signed_token(&header(), &claims(scope), Key::Test)
}

/// The example's JWKS file, as `.chalice/config.json` names it.
pub fn jwks() -> Arc<JwkSet> {
    let text = include_str!("../keys/jwks.json");
    Arc::new(JwkSet::parse(text).expect("the example's JWKS"))
}

/// The `dev` stage with the issuer's keys.
pub fn config() -> GatewayConfig {
    let mut config = GatewayConfig::default().with_stage("api");
    config.jwks.insert(ISSUER.to_owned(), jwks());
    config
}

/// A test client of the example with the issuer's keys.
pub fn client() -> Client {
    Client::with_config(http_api::app(), config())
}
