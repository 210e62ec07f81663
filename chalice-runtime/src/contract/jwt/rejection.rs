//! How API Gateway refuses a request to a JWT route: 401 for a missing or invalid token, 403
//! for a valid token without a scope the route requires, each with a `www-authenticate`
//! challenge that says why.
//!
//! API Gateway's challenge has the form `Bearer scope="<route scopes>" error="<code>"
//! error_description="<why>"` (RFC 6750's parameters, space-separated as API Gateway writes
//! them). AWS documents one description, "the token does not have a valid audience"; the
//! others are written in the same style. A request without a token gets the scheme and the
//! scope only, as RFC 6750 asks of a request that carries no credentials.

use std::fmt;

/// API Gateway's refusal of a request to a JWT route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtRejection {
    /// 401 `{"message":"Unauthorized"}`: no token, or one that is not valid.
    Unauthorized {
        /// The `www-authenticate` header value.
        www_authenticate: String,
    },
    /// 403 `{"message":"Forbidden"}`: a valid token without any of the route's scopes.
    Forbidden {
        /// The `www-authenticate` header value.
        www_authenticate: String,
    },
}

impl JwtRejection {
    /// The HTTP status: 401 or 403.
    pub fn status(&self) -> u16 {
        match self {
            JwtRejection::Unauthorized { .. } => 401,
            JwtRejection::Forbidden { .. } => 403,
        }
    }

    /// The `message` of API Gateway's JSON body: `Unauthorized` or `Forbidden`.
    pub fn message(&self) -> &'static str {
        match self {
            JwtRejection::Unauthorized { .. } => "Unauthorized",
            JwtRejection::Forbidden { .. } => "Forbidden",
        }
    }

    /// The `www-authenticate` header value.
    pub fn www_authenticate(&self) -> &str {
        match self {
            JwtRejection::Unauthorized { www_authenticate }
            | JwtRejection::Forbidden { www_authenticate } => www_authenticate,
        }
    }

    pub(crate) fn missing_token(route_scopes: &[String]) -> Self {
        JwtRejection::Unauthorized {
            www_authenticate: format!("Bearer scope=\"{}\"", scope_attribute(route_scopes)),
        }
    }

    pub(crate) fn invalid_token(route_scopes: &[String], reason: InvalidToken) -> Self {
        JwtRejection::Unauthorized {
            www_authenticate: challenge(route_scopes, "invalid_token", &reason.to_string()),
        }
    }

    pub(crate) fn insufficient_scope(route_scopes: &[String]) -> Self {
        JwtRejection::Forbidden {
            www_authenticate: challenge(
                route_scopes,
                "insufficient_scope",
                "the token does not have any of the route's scopes",
            ),
        }
    }
}

/// Why a token is not valid, as the challenge's `error_description` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidToken {
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    Issuer,
    Audience,
    NoExpiry,
    MalformedTime,
    Expired,
    NotYetValid,
    IssuedInFuture,
}

impl fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidToken::Malformed => "the token is not a valid JWT",
            InvalidToken::Algorithm => "the token is not signed with RS256",
            InvalidToken::UnknownKey => "the token's kid does not match a key of the issuer",
            InvalidToken::Signature => "the token does not have a valid signature",
            InvalidToken::Issuer => "the token does not have a valid issuer",
            InvalidToken::Audience => "the token does not have a valid audience",
            InvalidToken::NoExpiry => "the token does not have an expiration time",
            InvalidToken::MalformedTime => "the token has a malformed exp, nbf or iat claim",
            InvalidToken::Expired => "the token has expired",
            InvalidToken::NotYetValid => "the token is not valid yet",
            InvalidToken::IssuedInFuture => "the token was issued in the future",
        })
    }
}

fn challenge(route_scopes: &[String], error: &str, description: &str) -> String {
    format!(
        "Bearer scope=\"{}\" error=\"{error}\" error_description=\"{description}\"",
        scope_attribute(route_scopes)
    )
}

/// The route's scopes, space-separated, keeping only the characters RFC 6749 allows in a
/// scope so the header stays well-formed whatever the app declared.
fn scope_attribute(route_scopes: &[String]) -> String {
    let allowed = |c: &char| c.is_ascii_graphic() && *c != '"' && *c != '\\';
    route_scopes
        .iter()
        .map(|scope| scope.chars().filter(allowed).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}
