//! Prints the events the demo app's benchmarks time, as one JSON object
//! `{"api_event": .., "token_event": ..}`, so that `bench/run` feeds Python Chalice the same
//! bytes: `cargo run -p chalice-testkit --example bench_events`.

use chalice_testkit::events::{demo_api_event, demo_token_event};

fn main() {
    let events = serde_json::json!({
        "api_event": demo_api_event(),
        "token_event": demo_token_event(),
    });
    println!("{events}");
}
