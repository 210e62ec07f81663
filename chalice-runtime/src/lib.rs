//! chalice-rs: AWS Chalice's app framework for Rust, centred on API Gateway authorization.
//!
//! Annotate functions with [`app::route`] and [`app::authorizer`], name an authorizer of any
//! kind on a route, and call [`App::run`] from `main`. The same binary prints its manifest for
//! the CLI, serves API Gateway's proxy events as the API handler, and runs each built-in
//! authorizer, and [`test::Client`] sends requests through a model of API Gateway in process.
//!
//! ```no_run
//! use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
//! use serde_json::{Value, json};
//!
//! #[app::authorizer]
//! fn demo_auth(auth: AuthRequest) -> AuthResponse {
//!     if auth.token == "allow" {
//!         AuthResponse::new(["/"], "user")
//!     } else {
//!         AuthResponse::deny("user")
//!     }
//! }
//!
//! #[app::route("/", authorizer = demo_auth)]
//! fn index(req: &Request) -> Value {
//!     json!({ "context": req.context })
//! }
//!
//! fn main() {
//!     App::new("demoauth1").run()
//! }
//! ```
//!
//! `App::new(..).http_api()` makes the app an API Gateway HTTP API instead: payload format 2.0
//! everywhere, [`JwtAuthorizer`]s, and built-in Lambda authorizers that may answer in the
//! simple format (`#[app::authorizer(simple_responses = true)]` returning
//! [`SimpleAuthResponse`]). A view reads `req.context.authorizer`, which serializes as API
//! Gateway sent it (`{"jwt": {"claims": .., "scopes": ..}}` or `{"lambda": {..}}`). An authorizer
//! or setting the app's kind does not have is an error naming the route when the app starts.

// The layers, bottom up: a module imports only modules of its own layer and of the layers
// before it (`error` and `response`, two sides of one concept, import each other).
//
// What every layer uses: the response a view or API Gateway gives, and small helpers.
mod error;
mod log_text;
mod response;
mod unwind;
// API Gateway's contract, which both front ends below apply (public for `AuthorizerOutput`,
// which checks an authorizer's answer as API Gateway does), and Chalice's CORS headers.
pub mod contract;
pub mod cors;
// The app model: what the user writes and what the macros register.
mod api_kind;
mod auth;
mod auth_answer;
mod authorizer;
mod kind_rules;
mod registry;
mod request;
mod request_context;
// Running the user's code: one event in, the answer out (public for apps that drive their own
// Lambda loop), and the in-process API Gateway in front of it.
pub mod dispatch;
pub mod gateway;
// The front ends: the Lambda Runtime API loop, the local server, the manifest the CLI reads,
// `App` (whose `run` picks one of them), and the test client.
mod application;
pub mod lambda;
pub mod local;
pub mod manifest;
pub mod test;

#[doc(hidden)]
pub mod __private;

/// The attribute macros: `#[app::route(..)]` and `#[app::authorizer(..)]`.
pub mod app {
    pub use chalice_macros::{authorizer, route};
}

pub use crate::application::{App, LOCAL_ARG, MANIFEST_ARG};
pub use api_kind::ApiKind;
pub use auth::{
    AuthError, AuthRequest, AuthResponse, AuthRoute, InvalidAuthResponse, SimpleAuthResponse,
};
pub use auth_answer::{AuthAnswer, BuiltPolicy, SimpleAnswer};
pub use authorizer::{
    AuthFailure, AuthType, Authorizer, AuthorizerKind, BuiltinAuthorizer,
    CognitoUserPoolAuthorizer, CustomAuthorizer, IamAuthorizer, JwtAuthorizer, SupportsScopes,
};
pub use cors::CorsConfig;
pub use error::{Error, ErrorKind};
pub use registry::{API_HANDLER, Registry, RegistryError, Route};
pub use request::{MultiDict, Request};
pub use request_context::RequestContext;
pub use response::{Body, IntoResponse, Response};

/// The allocator an app binary declares in its `main.rs` (`new-project` writes it):
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;
/// ```
///
/// An invocation or a local request makes a few hundred small allocations, and glibc's malloc
/// costs more on them than the gateway does on the request. The library sets no allocator
/// itself: a program that links it for other reasons (the CLI reads the manifest types) keeps
/// its own.
#[cfg(feature = "mimalloc")]
pub use mimalloc::MiMalloc;
