//! What the process benchmarks share: the functions they start, as Lambda would, against the
//! fake Runtime API: this app's release binary and, when `bench/run` says where a Python with
//! Chalice is (`CHALICE_BENCH_PYTHON`), the same app written for Python Chalice
//! (`bench/python/demoauth`) under a minimal Python runtime loop (`bench/python/bootstrap.py`).

use std::path::PathBuf;
use std::process::Command;

use chalice_testkit::events::{demo_api_event, demo_token_event};
use chalice_testkit::{FakeRuntime, LambdaProcess};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_demoauth");

/// One function of the demo app, in one of the two frameworks.
pub struct Function {
    /// How the benchmark names it: `api_handler`, `demo_auth`, `chalice_api_handler`, ...
    pub name: String,
    /// The event it is timed with.
    pub event: Value,
    python: Option<PathBuf>,
    handler: &'static str,
}

impl Function {
    /// The command Lambda would run for this function against `runtime`.
    pub fn command(&self, runtime: &FakeRuntime) -> Command {
        match &self.python {
            None => LambdaProcess::command(BIN, runtime, self.handler),
            Some(python) => {
                let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/python");
                let mut command = LambdaProcess::command(python, runtime, self.handler);
                command
                    .arg(bench.join("bootstrap.py"))
                    .env("LAMBDA_TASK_ROOT", bench.join("demoauth"))
                    .env("PYTHONDONTWRITEBYTECODE", "1");
                command
            }
        }
    }
}

/// The API handler and the authorizer in chalice-rs, then in Python Chalice if it is given.
pub fn functions() -> Vec<Function> {
    let python = std::env::var_os("CHALICE_BENCH_PYTHON").map(PathBuf::from);
    if python.is_none() {
        eprintln!("CHALICE_BENCH_PYTHON is not set: measuring chalice-rs only (bench/run sets it)");
    }
    let mut functions = vec![
        Function {
            name: "api_handler".into(),
            event: demo_api_event(),
            python: None,
            handler: "api_handler",
        },
        Function {
            name: "demo_auth".into(),
            event: demo_token_event(),
            python: None,
            handler: "demo_auth",
        },
    ];
    if let Some(python) = python {
        functions.extend([
            Function {
                name: "chalice_api_handler".into(),
                event: demo_api_event(),
                python: Some(python.clone()),
                handler: "app.app",
            },
            Function {
                name: "chalice_demo_auth".into(),
                event: demo_token_event(),
                python: Some(python),
                handler: "app.demo_auth",
            },
        ]);
    }
    functions
}
