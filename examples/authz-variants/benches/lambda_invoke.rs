//! Per-invocation cost of a REST (v1) REQUEST authorizer under Lambda, in process: the
//! counterpart of the HTTP API's 2.0 authorizer event (`examples/http-api`'s bench), which
//! `bench/run` holds to "no slower than REST". Both events carry the whole request (headers,
//! query string, request context); a TOKEN event carries only the token, so it is no yardstick
//! for them.

use std::hint::black_box;

use chalice_runtime::App;
use chalice_runtime::lambda::LambdaFunction;
use chalice_testkit::events::request_event;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use serde_json::value::RawValue;

// `main` is unused here, and `cargo clippy --all-targets` checks benches with `cfg(test)` but
// no test harness, which pulls in the example's `mod tests` with its `#[test]`s stripped.
#[allow(dead_code, unused_imports)]
#[path = "../src/main.rs"]
mod authz_variants;

/// What `lambda_runtime` does around the function: the body read as JSON text, the answer
/// serialized.
fn invoke(runtime: &tokio::runtime::Runtime, function: &LambdaFunction, event: &[u8]) -> Vec<u8> {
    let event: Box<RawValue> = serde_json::from_slice(event).expect("the event is JSON");
    let output = runtime
        .block_on(function.invoke(event.get()))
        .expect("the invocation succeeds");
    serde_json::to_vec(&output).expect("the answer serializes")
}

fn json_round_trip(event: &[u8]) -> Vec<u8> {
    let event: Value = serde_json::from_slice(event).expect("the event is JSON");
    serde_json::to_vec(&event).expect("the event serializes")
}

fn per_invocation(c: &mut Criterion) {
    let registry = App::new("authz-variants")
        .registry()
        .expect("the app is valid");
    let tenant_auth = LambdaFunction::new(registry, "tenant_auth").expect("tenant_auth");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    // The same request as the HTTP API bench's `gate` event: curl's headers plus the identity.
    let event = serde_json::to_vec(&request_event(
        "GET",
        "/tenants/{tenant}",
        "/tenants/acme",
        &[
            ("accept", "*/*"),
            ("user-agent", "curl/8.5.0"),
            ("x-tenant", "acme"),
        ],
        &[("key", "secret")],
    ))
    .expect("JSON");
    let answer = invoke(&runtime, &tenant_auth, &event);
    let answer: Value = serde_json::from_slice(&answer).expect("the answer is JSON");
    assert_eq!(
        answer["principalId"], "acme",
        "the authorizer allows: {answer}"
    );
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow");

    c.bench_function("lambda_invoke/v1_request_authorizer_event", |b| {
        b.iter(|| invoke(&runtime, &tenant_auth, black_box(&event)))
    });
    c.bench_function("json_floor/v1_request_authorizer_event", |b| {
        b.iter(|| json_round_trip(black_box(&event)))
    });
}

criterion_group!(benches, per_invocation);
criterion_main!(benches);
