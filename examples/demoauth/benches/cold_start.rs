//! Cold start: from spawning the release binary to its first answer reaching a fake Lambda
//! Runtime API, the event already queued (as Lambda has it waiting on the first `/next`).
//!
//! Each iteration starts a fresh process and a fresh fake runtime; only spawn-to-answer is timed.

use std::time::{Duration, Instant};

use chalice_testkit::events::{ProxyEvent, method_arn, token_event};
use chalice_testkit::{FakeRuntime, LambdaProcess, Outcome};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_demoauth");

fn cold_start(c: &mut Criterion) {
    let api_event = ProxyEvent::new("GET", "/", "/")
        .header("Authorization", "allow")
        .authorizer(json!({"principalId": "user", "integrationLatency": 12}))
        .build();
    let token = token_event("allow", &method_arn("GET", "/"));

    let mut group = c.benchmark_group("cold_start");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (handler, event) in [("api_handler", &api_event), ("demo_auth", &token)] {
        group.bench_function(handler, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let runtime = FakeRuntime::start();
                    let request_id = runtime.push(event);
                    let command = LambdaProcess::command(BIN, &runtime, handler);
                    let started = Instant::now();
                    let process = LambdaProcess::start(command);
                    let outcome = runtime.wait(&request_id, Duration::from_secs(20));
                    total += started.elapsed();
                    assert!(matches!(outcome, Outcome::Response(_)), "{outcome:?}");
                    drop(process);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
