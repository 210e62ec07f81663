//! An issuer's signing keys: its JSON Web Key Set, as published at its `jwks_uri`.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The RSA signing keys of a JWKS document, by key id (`kid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwkSet {
    keys: BTreeMap<String, RsaPublicKey>,
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// The token names no key, or one the set does not hold.
    UnknownKey(Option<String>),
    /// The key does not verify the signature.
    Invalid,
}

impl JwkSet {
    /// Reads a JWKS document (`{"keys": [...]}`). RSA signing keys are kept (those without
    /// `use`, or with `use: "sig"`); other keys are skipped. An error names the entry at fault.
    pub fn parse(text: &str) -> Result<JwkSet, String> {
        let document: Value =
            serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        let entries = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("no \"keys\" array")?;
        let mut keys = BTreeMap::new();
        for (index, key) in entries.iter().enumerate() {
            if key["kty"] != "RSA" || key.get("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let kid = key["kid"]
                .as_str()
                .ok_or_else(|| format!("keys[{index}].kid is missing"))?;
            let public = rsa_key(key, index)?;
            if keys.insert(kid.to_owned(), public).is_some() {
                return Err(format!("keys[{index}]: kid `{kid}` appears twice"));
            }
        }
        if keys.is_empty() {
            return Err("no RSA signing key".into());
        }
        Ok(JwkSet { keys })
    }

    /// Reads a JWKS file; an error names the file.
    pub fn load(path: impl AsRef<Path>) -> Result<JwkSet, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        JwkSet::parse(&text).map_err(|error| format!("{}: not a JWKS: {error}", path.display()))
    }

    /// The key ids, in order.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Checks an RS256 signature over `signing_input` by the key `kid`.
    pub(crate) fn verify_rs256(
        &self,
        kid: Option<&str>,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        let key = kid
            .and_then(|kid| self.keys.get(kid))
            .ok_or_else(|| SignatureError::UnknownKey(kid.map(str::to_owned)))?;
        let digest = Sha256::digest(signing_input);
        key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
            .map_err(|_| SignatureError::Invalid)
    }
}

fn rsa_key(key: &Value, index: usize) -> Result<RsaPublicKey, String> {
    let field = |name: &str| -> Result<BigUint, String> {
        let text = key[name]
            .as_str()
            .ok_or_else(|| format!("keys[{index}].{name} is missing"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| format!("keys[{index}].{name} is not base64url"))?;
        Ok(BigUint::from_bytes_be(&bytes))
    };
    RsaPublicKey::new(field("n")?, field("e")?).map_err(|error| format!("keys[{index}]: {error}"))
}
