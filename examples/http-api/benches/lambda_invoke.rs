//! Per-invocation cost of an HTTP API app's functions under Lambda, in process: a payload
//! format 2.0 proxy event to the API handler and a 2.0 authorizer event to `gate`, JSON text
//! in and out through [`LambdaFunction::invoke`], beside the serde_json floor of the same
//! bytes. `bench/run` sets them against the REST (v1) figures of `examples/demoauth`.

use std::hint::black_box;

use chalice_runtime::lambda::LambdaFunction;
use chalice_testkit::events::{http_api_gate_event, http_api_profile_event};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use serde_json::value::RawValue;

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
    let app = http_api::app();
    let api = LambdaFunction::for_app(&app, "api_handler").expect("api_handler");
    let gate = LambdaFunction::for_app(&app, "gate").expect("gate");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    let api_event = serde_json::to_vec(&http_api_profile_event()).expect("JSON");
    let gate_event = serde_json::to_vec(&http_api_gate_event()).expect("JSON");
    let response = invoke(&runtime, &api, &api_event);
    assert!(response.starts_with(br#"{"statusCode":200"#));
    let answer = invoke(&runtime, &gate, &gate_event);
    assert!(answer.starts_with(br#"{"isAuthorized":true"#));

    c.bench_function("lambda_invoke/v2_api_event_authorized_route", |b| {
        b.iter(|| invoke(&runtime, &api, black_box(&api_event)))
    });
    c.bench_function("lambda_invoke/v2_authorizer_event", |b| {
        b.iter(|| invoke(&runtime, &gate, black_box(&gate_event)))
    });
    c.bench_function("json_floor/v2_api_event", |b| {
        b.iter(|| json_round_trip(black_box(&api_event)))
    });
    c.bench_function("json_floor/v2_authorizer_event", |b| {
        b.iter(|| json_round_trip(black_box(&gate_event)))
    });
}

criterion_group!(benches, per_invocation);
criterion_main!(benches);
