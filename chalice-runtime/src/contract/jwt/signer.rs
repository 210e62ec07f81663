//! [`JwtSigner`]: RS256 tokens for tests of JWT routes, signed by a test key whose JWKS the
//! stage config names, so the local server and the test client verify them as API Gateway
//! would verify the identity provider's.
//!
//! The signer reads the PEM armour itself and hands the DER to `rsa`, so the library needs
//! neither a cargo feature nor `rsa`'s `pem` feature for it: an app's Lambda binary depends on
//! nothing more for the signer's sake.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::JwkSet;

/// Signs JWTs with an RSA private key, as an identity provider would for the key id `kid`.
///
/// ```
/// use chalice_runtime::test::JwtSigner;
/// # let key = concat!(env!("CARGO_MANIFEST_DIR"), "/src/gateway/test-cognito-key.pem");
/// let signer = JwtSigner::load(key, "test-key").unwrap();
/// let token = signer.access_token("https://issuer.example.com", "orders-api", &["orders/read"], 1_700_000_000, 3600);
/// assert_eq!(token.split('.').count(), 3);
/// ```
#[derive(Clone)]
pub struct JwtSigner {
    key: RsaPrivateKey,
    kid: String,
}

impl fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwtSigner {
    /// A signer from a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what `openssl genpkey`
    /// writes) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str, kid: impl Into<String>) -> Result<JwtSigner, String> {
        let (label, der) = pem_contents(pem)?;
        let key = match label {
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| e.to_string()),
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| e.to_string()),
            other => Err(format!(
                "a `{other}` block is not an RSA private key (PRIVATE KEY or RSA PRIVATE KEY)"
            )),
        }?;
        Ok(JwtSigner {
            key,
            kid: kid.into(),
        })
    }

    /// A signer from a PEM file; an error names the file.
    pub fn load(path: impl AsRef<Path>, kid: impl Into<String>) -> Result<JwtSigner, String> {
        let path = path.as_ref();
        let pem = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        JwtSigner::from_pem(&pem, kid).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// The key id tokens name in their header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A token carrying `claims`, with the header `{"alg":"RS256","typ":"JWT","kid":<kid>}`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// A token with the given header, signed RS256 whatever the header says (to test how a
    /// token claiming another algorithm or key is refused).
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let digest = Sha256::digest(signing_input.as_bytes());
        let signature = self
            .key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
            .expect("a 2048-bit or larger RSA key signs a SHA-256 digest");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An access token as an OAuth identity provider issues one: `iss`, `aud`, `sub`
    /// `test-user`, the space-separated `scope`, `iat` `now` and `exp` `now + lifetime`.
    pub fn access_token(
        &self,
        issuer: &str,
        audience: &str,
        scopes: &[&str],
        now_epoch_seconds: u64,
        lifetime_seconds: u64,
    ) -> String {
        self.sign(&json!({
            "iss": issuer,
            "aud": audience,
            "sub": "test-user",
            "scope": scopes.join(" "),
            "iat": now_epoch_seconds,
            "exp": now_epoch_seconds + lifetime_seconds,
        }))
    }

    /// The JWKS document of the public key, to save where the stage config's `jwks` points.
    pub fn jwks(&self) -> String {
        let public = self.key.to_public_key();
        let document = json!({"keys": [{
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }]});
        serde_json::to_string_pretty(&document).expect("JSON values serialize")
    }

    /// The public key as the [`JwkSet`] a gateway configuration takes.
    pub fn jwk_set(&self) -> JwkSet {
        JwkSet::parse(&self.jwks()).expect("the signer's own JWKS parses")
    }
}

/// The label and the decoded body of the first PEM block in `pem`.
fn pem_contents(pem: &str) -> Result<(&str, Vec<u8>), String> {
    let mut lines = pem.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .ok_or("no PEM block (-----BEGIN ...-----)")?;
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines.by_ref() {
        if line == end {
            let der = STANDARD
                .decode(&body)
                .map_err(|_| format!("the `{label}` block is not base64"))?;
            return Ok((label, der));
        }
        body.push_str(line);
    }
    Err(format!("the `{label}` block has no END line"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../gateway/test-cognito-key.pem");

    #[test]
    fn tokens_verify_against_the_signers_jwks() {
        let signer = JwtSigner::from_pem(KEY, "k1").unwrap();
        let token = signer.sign(&json!({"sub": "x"}));
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        let keys = signer.jwk_set();
        assert_eq!(keys.key_ids().collect::<Vec<_>>(), ["k1"]);
        assert!(
            keys.verify_rs256(Some("k1"), signing_input.as_bytes(), &signature)
                .is_ok()
        );
        assert!(
            keys.verify_rs256(Some("k1"), b"something else", &signature)
                .is_err()
        );
    }

    #[test]
    fn bad_keys_are_clear_errors() {
        for (pem, expected) in [
            ("nothing", "no PEM block"),
            ("-----BEGIN PRIVATE KEY-----\nAAAA\n", "no END line"),
            (
                "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
                "not base64",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "not an RSA private key",
            ),
        ] {
            let error = JwtSigner::from_pem(pem, "k").unwrap_err();
            assert!(error.contains(expected), "{pem}: {error}");
        }
        let error = JwtSigner::load("/nonexistent/key.pem", "k").unwrap_err();
        assert!(error.starts_with("/nonexistent/key.pem: "), "{error}");
    }

    #[test]
    fn the_example_key_matches_the_example_jwks() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/http-api");
        let signer =
            JwtSigner::load(example.join("tests/jwt-test-key.pem"), "httpapi1-test").unwrap();
        let published = JwkSet::load(example.join(".chalice/jwks.json")).unwrap();
        assert_eq!(published, signer.jwk_set());
    }
}
