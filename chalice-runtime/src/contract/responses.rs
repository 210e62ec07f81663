//! The answers API Gateway itself gives, before or instead of calling the integration.

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
