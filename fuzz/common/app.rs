//! The app every fuzz target runs: routes like a real API's (literals beside `{params}`,
//! several methods, typed parameters, binary bodies), guarded by a fixed-policy TOKEN
//! authorizer, a REQUEST authorizer, and one whose whole answer the fuzzer chooses; plus the
//! helpers the targets share. Included with `#[path]` so each fuzz binary registers the routes
//! itself.

#![allow(dead_code)]

use std::cell::RefCell;

use chalice_runtime::{
    App, AuthError, AuthRequest, AuthResponse, Registry, Request, Response, app,
};
use serde_json::{Value, json};

/// The only token `fixed_token` accepts.
pub const FIXED_TOKEN: &str = "let-me-in";

/// The policy `fixed_token` answers with: GET under `/items/`, anything under `/files/`, the
/// root, but never `/items/admin`.
pub fn fixed_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [
            "arn:aws:execute-api:us-east-1:123456789012:localapi01/api/GET/items/*",
            "arn:aws:execute-api:*:*:*/api/*/files/*",
            "arn:aws:execute-api:us-east-1:123456789012:localapi01/api/GET/"
        ]},
        {"Effect": "Deny", "Action": "*", "Resource": "*/items/admin"}
    ]})
}

#[app::authorizer]
fn fixed_token(auth: AuthRequest) -> Result<Value, AuthError> {
    if auth.token != FIXED_TOKEN {
        return Err(AuthError::Unauthorized);
    }
    Ok(json!({"principalId": "fixed", "policyDocument": fixed_policy()}))
}

#[app::authorizer(identity_sources = ["header.X-Token", "querystring.k"])]
fn request_auth(auth: AuthRequest) -> Result<AuthResponse, AuthError> {
    let k = auth.query_params.get("k").unwrap_or_default().to_owned();
    match auth.token.as_str() {
        "ok" => Ok(AuthResponse::new(["/req/*"], "req").context(json!({"k": k, "n": 1}))),
        "nested" => Ok(AuthResponse::new(["*"], "req").context(json!({"k": {"v": k}}))),
        "list" => Ok(AuthResponse::new(["*"], "req").context(json!([k]))),
        _ => Err(AuthError::Unauthorized),
    }
}

thread_local! {
    /// The whole answer `chosen_answer` gives; `None` makes it read the answer from the token.
    pub static CHOSEN: RefCell<Option<Value>> = const { RefCell::new(None) };
    /// The route (resource, method) of the last view that ran.
    pub static RAN: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

#[app::authorizer(ttl_seconds = 0)]
fn chosen_answer(auth: AuthRequest) -> Result<Value, AuthError> {
    if let Some(answer) = CHOSEN.with(|chosen| chosen.borrow().clone()) {
        return Ok(answer);
    }
    serde_json::from_str(&auth.token).map_err(|_| AuthError::Unauthorized)
}

fn record(req: &Request) -> Value {
    RAN.with(|ran| *ran.borrow_mut() = Some((req.path.clone(), req.method.clone())));
    json!({"request": req})
}

#[app::route("/", authorizer = fixed_token)]
fn root(req: &Request) -> Value {
    record(req)
}

#[app::route("/items", methods = ["GET", "POST"], authorizer = fixed_token)]
fn items(req: &Request) -> Value {
    record(req)
}

#[app::route("/items/{id}", methods = ["GET", "DELETE"], authorizer = fixed_token)]
fn item(id: String, req: &Request) -> Value {
    let _ = id;
    record(req)
}

#[app::route("/items/admin", authorizer = fixed_token)]
fn items_admin(req: &Request) -> Value {
    record(req)
}

#[app::route("/items/{id}/notes", authorizer = fixed_token)]
fn item_notes(id: String, req: &Request) -> Value {
    let _ = id;
    record(req)
}

#[app::route("/files/{name}", methods = ["GET", "PUT"], authorizer = fixed_token)]
fn file(name: String, req: &Request) -> Value {
    let _ = name;
    record(req)
}

#[app::route("/open", methods = ["GET", "POST", "PUT"], cors = true)]
fn open(req: &Request) -> Result<Value, chalice_runtime::Error> {
    let body = req.json_body()?;
    Ok(json!({"body": body, "seen": record(req)}))
}

#[app::route("/num/{n}")]
fn num(n: u32, req: &Request) -> Value {
    record(req);
    json!({"n": n})
}

#[app::route("/bin", methods = ["POST"], content_types = ["*/*"])]
fn bin(req: &Request) -> Response {
    record(req);
    Response::new(req.raw_body.clone()).with_header("Content-Type", "application/octet-stream")
}

#[app::route("/req/{a}", methods = ["GET", "POST"], authorizer = request_auth)]
fn req_view(a: String, req: &Request) -> Value {
    let _ = a;
    record(req)
}

#[app::route("/p", methods = ["GET", "POST", "DELETE"], authorizer = chosen_answer)]
fn p0(req: &Request) -> Value {
    record(req)
}

#[app::route("/p/{a}", methods = ["GET", "POST", "DELETE"], authorizer = chosen_answer)]
fn p1(a: String, req: &Request) -> Value {
    let _ = a;
    record(req)
}

#[app::route("/p/{a}/{b}", methods = ["GET", "POST", "DELETE"], authorizer = chosen_answer)]
fn p2(a: String, b: String, req: &Request) -> Value {
    let _ = (a, b);
    record(req)
}

#[app::route("/p/{a}/{b}/{c}", methods = ["GET", "POST", "DELETE"], authorizer = chosen_answer)]
fn p3(a: String, b: String, c: String, req: &Request) -> Value {
    let _ = (a, b, c);
    record(req)
}

pub fn registry() -> &'static Registry {
    App::new("fuzz").registry().expect("the fuzz app is valid")
}

/// The app's routes: (resource, method, authorizer name or `None`).
pub fn routes() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    registry()
        .routes()
        .iter()
        .map(|route| {
            (
                route.path(),
                route.method(),
                route.authorizer().map(|a| a.name()),
            )
        })
        .collect()
}

/// One runtime per fuzz process: futures here never wait on I/O.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// The stage the gateway's default configuration uses, for the oracle's method ARNs.
pub const STAGE: crate::apigw::Stage<'static> = crate::apigw::Stage {
    region: "us-east-1",
    account_id: "123456789012",
    api_id: "localapi01",
    stage: "api",
};

/// Takes the route of the view that ran, if one did.
pub fn take_ran() -> Option<(String, String)> {
    RAN.with(|ran| ran.borrow_mut().take())
}
