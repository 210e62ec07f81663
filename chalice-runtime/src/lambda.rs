//! Running under the AWS Lambda Runtime API: one binary serves the app's API handler and every
//! built-in authorizer, each deployed as its own function.
//!
//! The deployer sets each function's handler string (Lambda's `Handler`, which reaches the
//! process as `_HANDLER`) to [`API_HANDLER`] or to a built-in authorizer's name, as Chalice
//! does with `app.app` and `app.<authorizer>`: the role comes from configuration because events
//! cannot be told apart reliably (a REQUEST authorizer event also parses as a proxy event).
//!
//! The loop is the official `lambda_runtime`, with a `serde_json::Value` payload typed here
//! through `aws_lambda_events`, so a malformed event becomes a Lambda error that names what is
//! wrong and the process goes on to the next event.

use std::fmt;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use http::Uri;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

pub use lambda_runtime::Diagnostic;

use crate::api_kind::ApiKind;
use crate::auth_answer::AuthAnswer;
use crate::authorizer::{AuthFailure, AuthorizerKind, BuiltinAuthorizer};
use crate::dispatch::{self, InvalidAuthorizerAnswer, InvalidEvent};
use crate::log_text::printable;
use crate::registry::{Registry, RegistryError};

pub use crate::registry::API_HANDLER;

/// Set by Lambda (`host:port` of the Runtime API); its presence selects Lambda mode.
pub const RUNTIME_API_ENV: &str = "AWS_LAMBDA_RUNTIME_API";

/// Set by Lambda to the function's handler string.
pub const HANDLER_ENV: &str = "_HANDLER";

/// `lambda_runtime` panics when one of these is missing or malformed; checking them first
/// turns that into an init error.
const FUNCTION_ENV: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// `errorType` of an event that is not what the function serves.
pub const INVALID_EVENT: &str = "InvalidEvent";
/// `errorType` (and, exactly, `errorMessage`) of an authorizer's `Unauthorized`: the message
/// API Gateway turns into a 401.
pub const UNAUTHORIZED: &str = "Unauthorized";
/// `errorType` of an error the user's authorizer returned (API Gateway: 500).
pub const AUTHORIZER_ERROR: &str = "AuthorizerError";
/// `errorType` of an authorizer answer API Gateway would reject (API Gateway: 500).
pub const INVALID_AUTHORIZER_ANSWER: &str = "InvalidAuthorizerAnswer";

/// Which function of the app a Lambda process is.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// The API handler: REST v1 proxy events to the views.
    Api,
    /// One built-in authorizer: TOKEN or REQUEST events to the user's function.
    Authorizer(&'static BuiltinAuthorizer),
}

impl Role {
    /// The role a handler string names in `registry`.
    pub fn from_handler(registry: &'static Registry, handler: &str) -> Result<Role, InitError> {
        if handler == API_HANDLER {
            return Ok(Role::Api);
        }
        registry
            .builtin_authorizer(handler)
            .map(Role::Authorizer)
            .ok_or_else(|| {
                InitError::handler(format!(
                    "{HANDLER_ENV} is `{handler}`, which names no function of this app; expected {}",
                    handler_strings(registry)
                ))
            })
    }

    /// The handler string of this role.
    pub fn handler(&self) -> &'static str {
        match self {
            Role::Api => API_HANDLER,
            Role::Authorizer(authorizer) => authorizer.name(),
        }
    }
}

/// "`api_handler` or one of the built-in authorizers `a`, `b`", for error messages.
fn handler_strings(registry: &Registry) -> String {
    let names: Vec<String> = registry
        .authorizers()
        .iter()
        .filter_map(|kind| match kind {
            AuthorizerKind::Builtin(builtin) => Some(format!("`{}`", builtin.name())),
            _ => None,
        })
        .collect();
    if names.is_empty() {
        format!("`{API_HANDLER}` (the app has no built-in authorizers)")
    } else {
        format!(
            "`{API_HANDLER}` or a built-in authorizer: {}",
            names.join(", ")
        )
    }
}

/// Why the process cannot start serving: reported to Lambda's `/runtime/init/error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitError {
    error_type: &'static str,
    message: String,
}

impl InitError {
    fn handler(message: String) -> Self {
        InitError {
            error_type: "Runtime.HandlerNotFound",
            message,
        }
    }

    fn config(message: String) -> Self {
        InitError {
            error_type: "Runtime.InvalidConfiguration",
            message,
        }
    }

    /// Lambda's `errorType`.
    pub fn error_type(&self) -> &'static str {
        self.error_type
    }

    fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            error_type: self.error_type.to_owned(),
            error_message: self.message.clone(),
        }
    }
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InitError {}

/// What a function answers: the proxy response, or the authorizer's policy exactly as its
/// function produced it (key order kept), which is what Lambda posts back.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The API handler's proxy response.
    Api(ApiGatewayProxyResponse),
    /// An HTTP API's API handler's answer (payload format 2.0).
    HttpApi(ApiGatewayV2httpResponse),
    /// An authorizer's answer.
    Authorizer(AuthAnswer),
}

impl Serialize for Output {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Output::Api(response) => response.serialize(serializer),
            Output::HttpApi(response) => response.serialize(serializer),
            Output::Authorizer(answer) => answer.serialize(serializer),
        }
    }
}

/// One function of the app, as one Lambda process serves it: an event in, the answer out.
///
/// This is the whole per-invocation path under Lambda, so tests and benchmarks can drive it
/// without a Runtime API.
#[derive(Debug, Clone, Copy)]
pub struct LambdaFunction {
    registry: &'static Registry,
    role: Role,
    kind: ApiKind,
}

impl LambdaFunction {
    /// The function of a REST API app whose handler string is `handler`.
    pub fn new(registry: &'static Registry, handler: &str) -> Result<Self, InitError> {
        LambdaFunction::of_kind(registry, ApiKind::Rest, handler)
    }

    /// The function of `app` whose handler string is `handler`: an HTTP API app's functions
    /// serve payload format 2.0 events.
    pub fn for_app(app: &crate::App, handler: &str) -> Result<Self, InitError> {
        let registry = app
            .registry()
            .map_err(|error| InitError::config(format!("app `{}`: {error}", app.name())))?;
        LambdaFunction::of_kind(registry, app.api_kind(), handler)
    }

    /// The function of an app of `kind` whose handler string is `handler`.
    pub fn of_kind(
        registry: &'static Registry,
        kind: ApiKind,
        handler: &str,
    ) -> Result<Self, InitError> {
        Ok(LambdaFunction {
            registry,
            role: Role::from_handler(registry, handler)?,
            kind,
        })
    }

    /// Its role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Handles one event as Lambda delivers it. Failures are Lambda errors: a malformed event
    /// ([`INVALID_EVENT`]), `Unauthorized` (message exactly `Unauthorized`), an authorizer's own
    /// error ([`AUTHORIZER_ERROR`]) or an answer API Gateway would reject
    /// ([`INVALID_AUTHORIZER_ANSWER`], naming the key at fault).
    pub async fn invoke(&self, event: &str) -> Result<Output, Diagnostic> {
        match (self.role, self.kind) {
            (Role::Api, ApiKind::Rest) => {
                let event = dispatch::api_event_from_json(event)
                    .map_err(|error| self.failed(INVALID_EVENT, error.to_string()))?;
                Ok(Output::Api(
                    dispatch::handle_api_event(self.registry, event).await,
                ))
            }
            (Role::Api, ApiKind::Http) => {
                let event = dispatch::http_api_event_from_json(event)
                    .map_err(|error| self.failed(INVALID_EVENT, error.to_string()))?;
                Ok(Output::HttpApi(
                    dispatch::handle_http_api_event(self.registry, event).await,
                ))
            }
            (Role::Authorizer(authorizer), kind) => {
                match dispatch::handle_authorizer_event_of(kind, authorizer, event).await {
                    Ok(answer) => Ok(Output::Authorizer(answer)),
                    Err(AuthFailure::Unauthorized) => Err(Diagnostic {
                        error_type: UNAUTHORIZED.to_owned(),
                        error_message: UNAUTHORIZED.to_owned(),
                    }),
                    Err(AuthFailure::Error(error)) => {
                        let error_type = if error.is::<InvalidEvent>() {
                            INVALID_EVENT
                        } else if error.is::<InvalidAuthorizerAnswer>() {
                            INVALID_AUTHORIZER_ANSWER
                        } else {
                            AUTHORIZER_ERROR
                        };
                        Err(self.failed(error_type, error.to_string()))
                    }
                }
            }
        }
    }

    /// A failure, also logged: CloudWatch is where the user will look for it.
    fn failed(&self, error_type: &str, message: String) -> Diagnostic {
        eprintln!(
            "chalice-rs: {}: {error_type}: {}",
            self.role.handler(),
            printable(&message)
        );
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: message,
        }
    }
}

/// Serves events from the Runtime API until it goes away; returns the exit code.
///
/// Init failures (a conflict in the app, an unknown `_HANDLER`, a missing Lambda variable) are
/// posted to `/runtime/init/error` before exiting, as Lambda expects, rather than surfacing as a
/// panic on the first event.
pub(crate) fn run(
    app_name: &str,
    kind: ApiKind,
    registry: Result<&'static Registry, &RegistryError>,
) -> i32 {
    let endpoint = match runtime_api_endpoint(std::env::var(RUNTIME_API_ENV).ok().as_deref()) {
        Ok(endpoint) => endpoint,
        Err(message) => {
            eprintln!("chalice-rs: {message}");
            return 1;
        }
    };
    // One event at a time per process, as Lambda delivers them: a single thread is enough and
    // starts faster.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("chalice-rs: cannot start the async runtime: {error}");
            return 1;
        }
    };
    runtime.block_on(async {
        let function = match init(app_name, kind, registry, |name| std::env::var(name).ok()) {
            Ok(function) => function,
            Err(error) => {
                eprintln!("chalice-rs: cannot start: {}: {error}", error.error_type);
                report_init_error(endpoint.clone(), &error).await;
                return 1;
            }
        };
        // The event stays JSON text until the function types it: one pass, no `Value`.
        let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
            function.invoke(event.payload.get()).await
        });
        match lambda_runtime::run(handler).await {
            Ok(()) => 0,
            Err(error) => {
                eprintln!("chalice-rs: the Lambda Runtime API at {endpoint} failed: {error}");
                1
            }
        }
    })
}

/// The function this process serves, from the app and the environment Lambda set.
fn init(
    app_name: &str,
    kind: ApiKind,
    registry: Result<&'static Registry, &RegistryError>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<LambdaFunction, InitError> {
    let registry =
        registry.map_err(|error| InitError::config(format!("app `{app_name}`: {error}")))?;
    for name in FUNCTION_ENV {
        if env(name).is_none_or(|value| value.is_empty()) {
            return Err(InitError::config(format!(
                "{name} is not set; Lambda sets it for every function"
            )));
        }
    }
    let memory = env(FUNCTION_ENV[1]).unwrap_or_default();
    if memory.parse::<i32>().is_err() {
        return Err(InitError::config(format!(
            "{} is `{memory}`, not a number of megabytes",
            FUNCTION_ENV[1]
        )));
    }
    let handler = env(HANDLER_ENV).unwrap_or_default();
    if handler.is_empty() {
        return Err(InitError::handler(format!(
            "{HANDLER_ENV} is not set: the function's handler string must be {}",
            handler_strings(registry)
        )));
    }
    LambdaFunction::of_kind(registry, kind, &handler)
}

/// The Runtime API address, checked the way `lambda_runtime` will use it (it panics on a value
/// it cannot use): `host:port`, or an `http://` URI with a host.
fn runtime_api_endpoint(value: Option<&str>) -> Result<Uri, String> {
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{RUNTIME_API_ENV} is not set"))?;
    let uri: Uri = value.parse().map_err(|_| {
        format!("{RUNTIME_API_ENV} is `{value}`, not an address like 127.0.0.1:9001")
    })?;
    if uri.authority().is_none() || uri.scheme().is_some_and(|s| s.as_str() != "http") {
        return Err(format!(
            "{RUNTIME_API_ENV} is `{value}`, not an address like 127.0.0.1:9001"
        ));
    }
    Ok(uri)
}

/// Posts an init failure to Lambda; if that fails too, stderr already has it.
async fn report_init_error(endpoint: Uri, error: &InitError) {
    let client = lambda_runtime_api_client::PooledClient::builder()
        .with_endpoint(endpoint)
        .build();
    let body = match serde_json::to_vec(&error.diagnostic()) {
        Ok(body) => body,
        Err(_) => return,
    };
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("Lambda-Runtime-Function-Error-Type", error.error_type)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(lambda_runtime_api_client::body::Body::from(body));
    let Ok(request) = request else { return };
    if let Err(post_error) = client.call(request).await {
        eprintln!("chalice-rs: could not report the init error to Lambda: {post_error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_api_values_are_checked_before_lambda_runtime_sees_them() {
        assert!(runtime_api_endpoint(Some("127.0.0.1:9001")).is_ok());
        assert!(runtime_api_endpoint(Some("http://127.0.0.1:9123/.rt")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("a b:1"),
            Some("/.rt"),
            Some("https://h:1"),
        ] {
            let error = runtime_api_endpoint(bad).unwrap_err();
            assert!(error.contains(RUNTIME_API_ENV), "{bad:?}: {error}");
        }
    }

    fn empty_registry() -> &'static Registry {
        Box::leak(Box::new(Registry::build([], []).unwrap()))
    }

    fn lambda_env(handler: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
        move |name| match name {
            "AWS_LAMBDA_FUNCTION_NAME" => Some("app-dev".into()),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" => Some("128".into()),
            "AWS_LAMBDA_FUNCTION_VERSION" => Some("$LATEST".into()),
            HANDLER_ENV => handler.map(str::to_owned),
            _ => None,
        }
    }

    #[test]
    fn the_handler_string_picks_the_role() {
        let function = init(
            "app",
            ApiKind::Rest,
            Ok(empty_registry()),
            lambda_env(Some("api_handler")),
        )
        .unwrap();
        assert!(matches!(function.role(), Role::Api));
    }

    #[test]
    fn init_failures_are_clear_errors() {
        let registry = empty_registry();
        let unknown =
            init("app", ApiKind::Rest, Ok(registry), lambda_env(Some("nope"))).unwrap_err();
        assert_eq!(unknown.error_type(), "Runtime.HandlerNotFound");
        assert!(unknown.to_string().contains("`nope`"), "{unknown}");
        assert!(unknown.to_string().contains("`api_handler`"), "{unknown}");

        let missing = init("app", ApiKind::Rest, Ok(registry), lambda_env(None)).unwrap_err();
        assert!(
            missing.to_string().contains("_HANDLER is not set"),
            "{missing}"
        );

        let no_memory = init("app", ApiKind::Rest, Ok(registry), |name: &str| {
            (name != "AWS_LAMBDA_FUNCTION_MEMORY_SIZE").then(|| "x".to_owned())
        })
        .unwrap_err();
        assert!(
            no_memory
                .to_string()
                .contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not set"),
            "{no_memory}"
        );
        let bad_memory = init("app", ApiKind::Rest, Ok(registry), |_: &str| {
            Some("lots".to_owned())
        })
        .unwrap_err();
        assert!(bad_memory.to_string().contains("`lots`"), "{bad_memory}");
    }
}
