//! The attribute macros of chalice-rs, re-exported as `chalice_runtime::app::{route, authorizer}`.
//!
//! They only parse, check and emit calls into `chalice_runtime::__private`; every mistake is a
//! `syn::Error` at the token at fault, emitted beside the untouched item so one error does not
//! cascade into many. Independent mistakes in one attribute are reported together.

mod args;
mod authorizer;
mod errors;
mod path;
mod route;

use proc_macro::TokenStream;

/// Declares a route: `#[app::route("/users/{id}", methods = ["GET", "PUT"], authorizer = POOL,
/// scopes = ["users/read"], cors = true, content_types = ["application/json"], name = "user")]`.
///
/// `cors = true` is Chalice's default CORS configuration; `cors = CORS` names a `static CORS:
/// CorsConfig` (origin, headers, expose headers, max age, credentials).
///
/// The function takes its path parameters by name (parsed with `FromStr`; a value that does not
/// parse is a 400) and optionally `&Request`, may be `async`, and returns anything that
/// implements `IntoResponse`.
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(item.clone(), route::expand(attr.into(), item.into()))
}

/// Declares a built-in authorizer, deployed as its own Lambda: `#[app::authorizer(name = "..",
/// ttl_seconds = N, header = "..", execution_role = "arn:..", identity_sources = [..],
/// simple_responses = true)]`.
///
/// The function takes an `AuthRequest`, may be `async`, and returns an `AuthResponse`, a raw
/// policy (`serde_json::Value`), or a `Result` of either; with `simple_responses = true` (HTTP
/// APIs) a `SimpleAuthResponse` or a `Result` of one. Its name then refers to the
/// authorizer, which routes name with `authorizer = ..`.
#[proc_macro_attribute]
pub fn authorizer(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match authorizer::expand(attr.into(), item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(error) => {
            let mut tokens = authorizer::rejected(item.clone()).unwrap_or(item);
            tokens.extend(error.into_compile_error());
            tokens.into()
        }
    }
}

/// The expansion, or the item unchanged followed by the errors.
fn expand(item: TokenStream, result: syn::Result<proc_macro2::TokenStream>) -> TokenStream {
    match result {
        Ok(tokens) => tokens.into(),
        Err(error) => {
            let mut tokens: proc_macro2::TokenStream = item.into();
            tokens.extend(error.into_compile_error());
            tokens.into()
        }
    }
}
