//! A JWT in compact form (`header.payload.signature`), decoded but not yet trusted.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The one signing algorithm API Gateway accepts from a token: `none`, HMAC and the rest are
/// refused, whatever the key set holds.
pub(crate) const ALGORITHM: &str = "RS256";

/// A decoded JWT: its header and claims, and what its signature covers.
#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.payload`, the bytes the signature is over.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

/// Why a token could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    NotThreeParts,
    Header,
    PayloadEncoding,
    PayloadNotObject,
    Signature,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Malformed::NotThreeParts => "the token is not a JWT (three dot-separated parts)",
            Malformed::Header => "the JWT header is not base64url JSON",
            Malformed::PayloadEncoding => "the JWT payload is not base64url",
            Malformed::PayloadNotObject => "the JWT payload is not a JSON object",
            Malformed::Signature => "the JWT signature is not base64url",
        })
    }
}

/// The token an identity source holds: the token alone, or prefixed with `Bearer `.
pub(crate) fn strip_bearer(identity: &str) -> &str {
    identity.strip_prefix("Bearer ").unwrap_or(identity)
}

impl<'a> Token<'a> {
    /// Decodes `token` (without a `Bearer ` prefix).
    pub(crate) fn decode(token: &'a str) -> Result<Token<'a>, Malformed> {
        let (header, payload, signature) = split(token)?;
        let header = match base64url(header).and_then(|b| serde_json::from_slice(&b).ok()) {
            Some(Value::Object(header)) => header,
            _ => return Err(Malformed::Header),
        };
        let claims = payload_claims(payload)?;
        let signature = base64url(signature).ok_or(Malformed::Signature)?;
        Ok(Token {
            header,
            claims,
            signing_input: &token[..header_and_payload_len(token)],
            signature,
        })
    }

    /// The header's `alg`, when it is a string.
    pub(crate) fn algorithm(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// Whether the token says it is signed with the one algorithm API Gateway accepts.
    pub(crate) fn is_rs256(&self) -> bool {
        self.algorithm() == Some(ALGORITHM)
    }

    /// The header's `kid`: which of the issuer's keys signed the token.
    pub(crate) fn key_id(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}

/// The claims of `token`, read without looking at its header or signature.
pub(crate) fn unverified_claims(token: &str) -> Result<Map<String, Value>, Malformed> {
    let (_, payload, _) = split(token)?;
    payload_claims(payload)
}

fn split(token: &str) -> Result<(&str, &str, &str), Malformed> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok((header, payload, signature)),
        _ => Err(Malformed::NotThreeParts),
    }
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn payload_claims(payload: &str) -> Result<Map<String, Value>, Malformed> {
    let bytes = base64url(payload).ok_or(Malformed::PayloadEncoding)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err(Malformed::PayloadNotObject),
    }
}

/// base64url, tolerating the padding some encoders add.
fn base64url(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()
}
