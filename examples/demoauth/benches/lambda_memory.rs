//! Peak resident memory of each function's process serving invocations through a fake Lambda
//! Runtime API (Lambda bills and limits by it): the high-water mark (`VmHWM`) after the first
//! invocation and after `CHALICE_BENCH_INVOCATIONS` (default 1000) of them. Prints one JSON
//! object per function, for `bench/run`.

use std::time::Duration;

use chalice_testkit::{FakeRuntime, LambdaProcess, Outcome};
use serde_json::json;

mod support;

/// `VmHWM` of process `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
}

fn main() {
    let invocations: u64 = std::env::var("CHALICE_BENCH_INVOCATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
        .max(1);
    for function in support::functions() {
        let runtime = FakeRuntime::start();
        let process = LambdaProcess::start(function.command(&runtime));
        let mut first = 0;
        for done in 1..=invocations {
            let request_id = runtime.push(&function.event);
            let outcome = runtime.wait(&request_id, Duration::from_secs(20));
            assert!(
                matches!(outcome, Outcome::Response(_)),
                "{}: {outcome:?}: {}",
                function.name,
                process.stderr()
            );
            if done == 1 {
                first = peak_rss_kib(process.id());
            }
        }
        let line = json!({
            "function": function.name,
            "invocations": invocations,
            "peak_rss_kib_first": first,
            "peak_rss_kib": peak_rss_kib(process.id()),
        });
        println!("{line}");
    }
}
