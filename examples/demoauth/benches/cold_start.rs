//! Cold start: from spawning the function's process to its first answer reaching a fake Lambda
//! Runtime API, the event already queued (as Lambda has it waiting on the first `/next`). For
//! chalice-rs that is the release binary; for Python Chalice (when `CHALICE_BENCH_PYTHON` is
//! set) the interpreter, the imports of the app and Chalice, and the first event.
//!
//! Each iteration starts a fresh process and a fresh fake runtime; only spawn-to-answer is timed.

use std::time::{Duration, Instant};

use chalice_testkit::{FakeRuntime, LambdaProcess, Outcome};
use criterion::{Criterion, criterion_group, criterion_main};

mod support;

fn cold_start(c: &mut Criterion) {
    let mut group = c.benchmark_group("cold_start");
    for function in support::functions() {
        group.bench_function(&function.name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let runtime = FakeRuntime::start();
                    let request_id = runtime.push(&function.event);
                    let command = function.command(&runtime);
                    let started = Instant::now();
                    let process = LambdaProcess::start(command);
                    let outcome = runtime.wait(&request_id, Duration::from_secs(20));
                    total += started.elapsed();
                    assert!(
                        matches!(outcome, Outcome::Response(_)),
                        "{outcome:?}: {}",
                        process.stderr()
                    );
                    drop(process);
                }
                total
            })
        });
    }
    group.finish();
}

// Set here rather than on the group so that `--measurement-time` on the command line
// (bench/run --quick) overrides them.
criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(10));
    targets = cold_start
}
criterion_main!(benches);
