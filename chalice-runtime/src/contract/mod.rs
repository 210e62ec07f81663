//! API Gateway's contract: the rules it applies whichever way a request reaches the app.
//!
//! What a Lambda authorizer may answer ([`AuthorizerOutput`]), how its policy is evaluated
//! against a method ARN, how method and route ARNs are written, which value of a repeated header
//! counts, where an identity source is read from, which providers a user pool authorizer may
//! name, how a JWT authorizer checks a token ([`jwt`]), the answers API Gateway gives
//! itself, and which CORS headers they carry ([`gateway_cors`]). The in-process gateway (`gateway/`) and
//! the Lambda dispatch (`dispatch/`) both build on this layer, and it imports neither, so each
//! rule is written once and both front ends answer alike.

pub(crate) mod arn;
mod authorizer_output;
pub mod gateway_cors;
pub(crate) mod headers;
pub mod http_api_answer;
pub(crate) mod identity;
pub mod jwt;
pub(crate) mod policy;
pub(crate) mod responses;
pub(crate) mod user_pool;

pub(crate) use authorizer_output::check_context;
pub use authorizer_output::{AuthorizerOutput, CheckedAnswer};
