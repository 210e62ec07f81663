//! Per-invocation cost under Lambda, in process: the event's JSON bytes in, the answer's JSON
//! bytes out, through exactly what the Runtime API loop calls for each event
//! ([`LambdaFunction::invoke`]), without the Runtime API's HTTP round trips.
//!
//! The app is the example's own `src/main.rs`, compiled into this benchmark. `json_floor/*`
//! times serde_json decoding and encoding the same event bytes alone: the floor a dispatch
//! cannot beat, which `bench/run` sets each dispatch against.

use std::hint::black_box;

use chalice_runtime::App;
use chalice_runtime::lambda::LambdaFunction;
use chalice_testkit::events::{demo_api_event, demo_token_event};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use serde_json::value::RawValue;

// `main` is unused here; and `cargo clippy --all-targets` checks benches with `cfg(test)` but no
// test harness, which pulls in the example's `mod tests` with its `#[test]`s stripped.
#[allow(dead_code, unused_imports)]
#[path = "../src/main.rs"]
mod demoauth;

/// What `lambda_runtime` does around the function: the body read as JSON text (a `RawValue`,
/// as the function asks for), the answer serialized.
fn invoke(runtime: &tokio::runtime::Runtime, function: &LambdaFunction, event: &[u8]) -> Vec<u8> {
    let event: Box<RawValue> = serde_json::from_slice(event).expect("the event is JSON");
    let output = runtime
        .block_on(function.invoke(event.get()))
        .expect("the invocation succeeds");
    serde_json::to_vec(&output).expect("the answer serializes")
}

/// Decodes the event into a `Value` and encodes it again, as every dispatch at least must.
fn json_round_trip(event: &[u8]) -> Vec<u8> {
    let event: Value = serde_json::from_slice(event).expect("the event is JSON");
    serde_json::to_vec(&event).expect("the event serializes")
}

fn per_invocation(c: &mut Criterion) {
    let registry = App::new("demoauth1").registry().expect("the app is valid");
    let api = LambdaFunction::new(registry, "api_handler").expect("api_handler");
    let authorizer = LambdaFunction::new(registry, "demo_auth").expect("demo_auth");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    let api_event = serde_json::to_vec(&demo_api_event()).expect("JSON");
    let token = serde_json::to_vec(&demo_token_event()).expect("JSON");

    let response = invoke(&runtime, &api, &api_event);
    assert!(response.starts_with(br#"{"statusCode":200"#));

    c.bench_function("lambda_invoke/api_event_authorized_route", |b| {
        b.iter(|| invoke(&runtime, &api, black_box(&api_event)))
    });
    c.bench_function("lambda_invoke/token_authorizer_event", |b| {
        b.iter(|| invoke(&runtime, &authorizer, black_box(&token)))
    });
    c.bench_function("json_floor/api_event", |b| {
        b.iter(|| json_round_trip(black_box(&api_event)))
    });
    c.bench_function("json_floor/token_event", |b| {
        b.iter(|| json_round_trip(black_box(&token)))
    });
}

criterion_group!(benches, per_invocation);
criterion_main!(benches);
