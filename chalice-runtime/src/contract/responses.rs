//! The answers API Gateway itself gives, before or instead of calling the integration.

use http::HeaderMap;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use serde_json::json;

use crate::response::Response;

fn gateway_error(status: u16, error_type: &str, body: String) -> Response {
    Response::new(body)
        .with_status(status)
        .with_header("Content-Type", "application/json")
        .with_header("x-amzn-ErrorType", error_type)
}

/// 403 for a path or method the API does not have.
pub fn missing_authentication_token() -> Response {
    gateway_error(
        403,
        "MissingAuthenticationTokenException",
        r#"{"message":"Missing Authentication Token"}"#.into(),
    )
}

/// 403 for a path the API does not have, when the request carries an `Authorization` header:
/// API Gateway reads it as a malformed SigV4 signature.
pub fn incomplete_signature(authorization: &str) -> Response {
    let message = format!(
        "Authorization header requires 'Credential' parameter. Authorization header requires \
         'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
         Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization={authorization}"
    );
    gateway_error(
        403,
        "IncompleteSignatureException",
        json!({ "message": message }).to_string(),
    )
}

/// 401: the identity source is missing or empty, or the authorizer said `Unauthorized`.
pub fn unauthorized() -> Response {
    gateway_error(
        401,
        "UnauthorizedException",
        r#"{"message":"Unauthorized"}"#.into(),
    )
}

/// 403: the policy does not allow this method ARN.
pub fn access_denied() -> Response {
    gateway_error(
        403,
        "AccessDeniedException",
        r#"{"Message":"User is not authorized to access this resource"}"#.into(),
    )
}

/// 403: the route requires an API key and the request has no accepted one.
pub fn forbidden() -> Response {
    gateway_error(
        403,
        "ForbiddenException",
        r#"{"message":"Forbidden"}"#.into(),
    )
}

/// 500: the authorizer failed or answered with something that is not a valid policy.
pub fn authorizer_configuration_error() -> Response {
    gateway_error(
        500,
        "AuthorizerConfigurationException",
        r#"{"message":null}"#.into(),
    )
}

/// 502: the integration failed.
pub fn bad_gateway() -> Response {
    gateway_error(
        502,
        "InternalServerErrorException",
        r#"{"message": "Internal server error"}"#.into(),
    )
}

/// The answers an HTTP API (API Gateway v2) gives itself: `{"message": ..}` with API Gateway's
/// wording, without the REST API's `x-amzn-ErrorType`.
pub mod http_api {
    use crate::response::Response;

    fn message(status: u16, body: &'static str) -> Response {
        Response::new(body)
            .with_status(status)
            .with_header("Content-Type", "application/json")
    }

    /// 404: no route matches the method and path.
    pub fn not_found() -> Response {
        message(404, r#"{"message":"Not Found"}"#)
    }

    /// 401: the identity source is missing, or a JWT is missing or invalid; a JWT authorizer's
    /// answer carries API Gateway's `www-authenticate` header.
    pub fn unauthorized(www_authenticate: Option<&str>) -> Response {
        let response = message(401, r#"{"message":"Unauthorized"}"#);
        match www_authenticate {
            Some(value) => response.with_header("www-authenticate", value),
            None => response,
        }
    }

    /// 403: a Lambda authorizer said no, or a JWT lacks the route's scopes.
    pub fn forbidden(www_authenticate: Option<&str>) -> Response {
        let response = message(403, r#"{"message":"Forbidden"}"#);
        match www_authenticate {
            Some(value) => response.with_header("www-authenticate", value),
            None => response,
        }
    }

    /// 500: the authorizer failed or answered with something API Gateway cannot read.
    pub fn internal_server_error() -> Response {
        message(500, r#"{"message":"Internal Server Error"}"#)
    }
}

/// Drops the framing headers an integration set: API Gateway frames its answer itself, so a
/// view's `Content-Length` that disagrees with its body cannot split one answer in two.
pub(crate) fn strip_framing_headers(headers: &mut HeaderMap) {
    if headers.contains_key(CONTENT_LENGTH) {
        headers.remove(CONTENT_LENGTH);
    }
    if headers.contains_key(TRANSFER_ENCODING) {
        headers.remove(TRANSFER_ENCODING);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_headers_go_and_the_rest_stay() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, "5".parse().unwrap());
        headers.append(TRANSFER_ENCODING, "chunked".parse().unwrap());
        headers.insert("x-kept", "1".parse().unwrap());
        strip_framing_headers(&mut headers);
        assert_eq!(headers.len(), 1);
        assert_eq!(headers["x-kept"], "1");
    }
}
